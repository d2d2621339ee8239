"""The oracle's speed table (world-model §2) and its drive through clock time over one edge.

``road = r × congestion(c, t) × factor(w)`` and ``speed = min(road, legal_cap(c), night_cap(c) at
night, weather_cap(w))``. Speed is piecewise constant in clock time, changing only at the policy's
``night_start`` and ``night_end`` and at 07:00, 09:00, 17:00 and 19:00; a coach entering an edge at
``t0`` drives its length through those pieces and the edge takes ``ceil(exit − t0)`` whole seconds.
Everything is exact :class:`~fractions.Fraction` arithmetic so that the ceiling is the world's, not a
rounding artefact. Times are whole seconds since :data:`EPOCH`, a midnight, so ``t % DAY_S`` is the
clock time.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from fractions import Fraction
from functools import lru_cache

from fleetplan.errors import InvalidValueError
from fleetplan.oracle.world import DAY_S, Policy

EPOCH = datetime(2000, 1, 1)

# world-model §2: legal caps per road class (实施条例 Art. 78 for the expressway, E for the others)
LEGAL_CAP_KMH = {"expressway": Fraction(100), "ramp": Fraction(60), "national": Fraction(80), "city": Fraction(60)}
NIGHT_CAP_SHARE = Fraction(4, 5)  # 动态监督管理办法: at night 80 % of the legal cap

# world-model §2, the full weather table: name → (factor, cap km/h or None)
WEATHER: dict[str, tuple[Fraction, Fraction | None]] = {
    "clear": (Fraction(1), None),
    "rain": (Fraction(17, 20), None),
    "snowfall": (Fraction(3, 5), None),
    "snow": (Fraction(1), Fraction(30)),
    "ice": (Fraction(1), Fraction(30)),
    "fog_200": (Fraction(1), Fraction(60)),
    "fog_100": (Fraction(1), Fraction(40)),
    "fog_50": (Fraction(1), Fraction(20)),
    "blizzard": (Fraction(3, 5), Fraction(40)),
}

# city congestion (E): the two peaks, other day hours, night
PEAKS_SOD = ((7 * 3600, 9 * 3600), (17 * 3600, 19 * 3600))
PEAK_FACTOR = Fraction(3, 5)
DAY_FACTOR = Fraction(17, 20)
NIGHT_FACTOR = Fraction(1)
KMH_TO_MPS = Fraction(1000, 3600)


def to_s(moment: datetime) -> int:
    """Whole seconds since :data:`EPOCH` (sub-second parts are dropped: plans are in whole seconds)."""
    return (moment - EPOCH) // timedelta(seconds=1)


def from_s(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def in_daily_window(sod: int, start_sod: int, end_sod: int) -> bool:
    """Whether clock time ``sod`` lies in ``[start, end)``, a window that may wrap midnight."""
    if start_sod <= end_sod:
        return start_sod <= sod < end_sod
    return sod >= start_sod or sod < end_sod


def is_night(sod: int, policy: Policy) -> bool:
    return in_daily_window(sod, policy.night_start_sod, policy.night_end_sod)


def congestion(road_class: str, sod: int, policy: Policy) -> Fraction:
    """City streets only: ×0.6 in the peaks, ×0.85 other day hours, ×1 at night."""
    if road_class != "city":
        return Fraction(1)
    if is_night(sod, policy):
        return NIGHT_FACTOR
    if any(start <= sod < end for start, end in PEAKS_SOD):
        return PEAK_FACTOR
    return DAY_FACTOR


def weather_effect(weather: str) -> tuple[Fraction, Fraction | None]:
    """(factor, cap) of a weather of the table; an unknown name is an error, not clear weather."""
    try:
        return WEATHER[weather]
    except KeyError:
        raise InvalidValueError("weather", f"{weather!r} is not one of {', '.join(WEATHER)}") from None


def speed_kmh(road_class: str, road_speed_kmh: Fraction, weather: str, sod: int, policy: Policy) -> Fraction:
    """The coach's speed on an edge of ``road_class`` at clock time ``sod`` (world-model §2)."""
    factor, weather_cap = weather_effect(weather)
    legal = LEGAL_CAP_KMH[road_class]
    limits = [road_speed_kmh * congestion(road_class, sod, policy) * factor, legal]
    if is_night(sod, policy):
        limits.append(NIGHT_CAP_SHARE * legal)
    if weather_cap is not None:
        limits.append(weather_cap)
    return min(limits)


def marks_sod(policy: Policy) -> tuple[int, ...]:
    """The clock times at which some speed may change."""
    found = {policy.night_start_sod, policy.night_end_sod}
    for start, end in PEAKS_SOD:
        found.update((start, end))
    return tuple(sorted(found))


def next_mark(t: int, marks: tuple[int, ...]) -> int:
    """The first mark strictly after ``t`` (seconds since :data:`EPOCH`)."""
    day = t // DAY_S * DAY_S
    for mark in marks:
        if day + mark > t:
            return day + mark
    return day + DAY_S + marks[0]


def drive_s(
    length_m: Fraction | int,
    t0: int,
    road_class: str,
    road_speed_kmh: Fraction,
    weather: str,
    policy: Policy,
    weather_from_s: int | None = None,
) -> int:
    """Whole seconds to drive ``length_m`` of an edge entered at ``t0``, speed following the clock.

    The drive runs through the pieces of constant speed; ``t`` only ever takes whole-second values
    (``t0``, the marks and ``weather_from_s``), the exit time is exact and rounded up once. With
    ``weather_from_s`` the road is clear before that second and has ``weather`` from it on.
    """
    if weather_from_s is None:  # speeds repeat every day: the same drive at the same clock time
        return _drive_s_at_clock(Fraction(length_m), t0 % DAY_S, road_class, road_speed_kmh, weather, policy)
    return _drive_s(Fraction(length_m), t0, road_class, road_speed_kmh, weather, policy, weather_from_s)


@lru_cache(maxsize=65536)
def _drive_s_at_clock(
    length_m: Fraction, clock_s: int, road_class: str, road_speed_kmh: Fraction, weather: str, policy: Policy
) -> int:
    return _drive_s(length_m, clock_s, road_class, road_speed_kmh, weather, policy, None)


def _drive_s(
    length_m: Fraction,
    t0: int,
    road_class: str,
    road_speed_kmh: Fraction,
    weather: str,
    policy: Policy,
    weather_from_s: int | None,
) -> int:
    left = length_m
    if left <= 0:
        return 0
    marks = marks_sod(policy)
    t = t0
    while True:
        clear_now = weather_from_s is not None and t < weather_from_s
        mps = speed_kmh(road_class, road_speed_kmh, "clear" if clear_now else weather, t % DAY_S, policy) * KMH_TO_MPS
        boundary = next_mark(t, marks)
        if clear_now:
            assert weather_from_s is not None
            boundary = min(boundary, weather_from_s)
        reach = mps * (boundary - t)
        if reach >= left:
            return math.ceil(t + left / mps - t0)
        left -= reach
        t = boundary
