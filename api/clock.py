"""The service's clock: the wall clock, or a drill's (issue 16 §5).

A drill desk runs on a clock of its own: it reads ``FLEETPLAN_CLOCK_FROM`` (China local time) when the
process starts and runs ``FLEETPLAN_CLOCK_SPEEDUP`` times as fast as the wall clock, so that a drill at
a busy hour of the timetable — a simulated feed stamping its fixes with the same clock
(``fleetplan feed simulate --stamp simulated``), detection, reports, tracking — hangs together on any
day. Without either setting the clock is the wall clock, as for a real desk.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fleetplan.units import china_now

Clock = Callable[[], datetime]  # naive China-local time, to the second


@dataclass(frozen=True)
class DrillClock:
    """Reads ``start`` when made, and runs ``speedup`` times as fast as the wall clock from then on."""

    start: datetime
    speedup: float = 1.0
    _made_at: float = field(default_factory=time.monotonic, compare=False, repr=False)

    def __call__(self) -> datetime:
        elapsed_s = (time.monotonic() - self._made_at) * self.speedup
        return (self.start + timedelta(seconds=elapsed_s)).replace(microsecond=0)


def service_clock(start: datetime | None, speedup: float = 1.0) -> Clock:
    """The wall clock (:func:`china_now`) unless a drill sets a start or a speed-up."""
    if start is None and speedup == 1.0:
        return china_now
    return DrillClock(start or china_now(), speedup)


def is_drill(clock: Clock) -> bool:
    return isinstance(clock, DrillClock)
