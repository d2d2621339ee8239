"""Units and clock conventions, fixed once for the whole code base.

- Durations are integer **seconds** (``*_s``); distances are **metres** (``*_m``); speeds given by
  people are km/h (``*_kmh``) and converted here only.
- Clock times are naive :class:`datetime.datetime` values in China Standard Time (UTC+8). China has
  no daylight saving, so naive local times compare and subtract correctly.
- Identifiers carry their unit (``travel_time_s``, ``length_m``) so a mix-up shows in review.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SECOND = 1
MINUTE = 60
HOUR = 3600
DAY = 24 * HOUR
KM = 1000

CHINA = ZoneInfo("Asia/Shanghai")

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def china_now() -> datetime:
    """The wall clock as a naive China-local datetime, to the second (the clock convention above)."""
    return datetime.now(CHINA).replace(tzinfo=None, microsecond=0)


def kmh_to_mps(speed_kmh: float) -> float:
    """Convert km/h to m/s."""
    return speed_kmh * KM / HOUR


def travel_time_s(length_m: float, speed_kmh: float) -> int:
    """Whole seconds to cover ``length_m`` at ``speed_kmh``, rounded up so that ETAs never flatter."""
    if speed_kmh <= 0:
        raise ValueError(f"speed must be positive, got {speed_kmh} km/h")
    return math.ceil(length_m / kmh_to_mps(speed_kmh))


def minutes(duration_s: float) -> float:
    """Seconds as minutes, for display."""
    return duration_s / MINUTE


def ceil_minutes(duration_s: float) -> int:
    """Whole minutes, rounded up (a started minute counts); 0 for a negative duration.

    The one rounding of durations into minutes that the objective, the evaluator and the KPIs share.
    """
    return -(-max(int(duration_s), 0) // MINUTE)


def parse_hhmm(text: str) -> time:
    """Parse ``HH:MM`` (00:00–23:59); raises ``ValueError`` naming the problem."""
    match = _HHMM.match(text.strip())
    if not match:
        raise ValueError(f"time {text!r} is not HH:MM")
    hours, mins = int(match.group(1)), int(match.group(2))
    if hours > 23 or mins > 59:
        raise ValueError(f"time {text!r} is out of range 00:00–23:59")
    return time(hours, mins)


def format_hhmm(moment: datetime | time) -> str:
    """Format a clock time as ``HH:MM``."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def seconds_since_midnight(moment: datetime | time) -> int:
    """Seconds since local midnight of ``moment``'s own day."""
    return moment.hour * HOUR + moment.minute * MINUTE + moment.second


def at_day(day: date, clock: time) -> datetime:
    """Combine a calendar day and a clock time."""
    return datetime.combine(day, clock)


def seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds from ``start`` to ``end`` (negative if ``end`` is earlier)."""
    return int((end - start).total_seconds())


def after(moment: datetime, duration_s: float) -> datetime:
    """``moment`` plus ``duration_s`` seconds."""
    return moment + timedelta(seconds=duration_s)
