"""The speed of a coach on an edge at a clock time (docs/world-model.md §2), and driving an edge
through the clock.

For road class ``c`` with road speed ``r`` at clock time ``t`` under weather ``w``::

    road  = r × congestion(c, t) × factor(w)
    speed = min(road, legal_cap(c), night_cap(c) if night(t), weather_cap(w))

Speed is piecewise constant in clock time: it changes only at the daily marks ``night_start``,
``night_end`` (the policy's night, :class:`~fleetplan.model.DrivingPolicy`), 07:00, 09:00, 17:00 and
19:00. :func:`drive_s` drives a length through those pieces from its entry second and rounds the
time up to whole seconds.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import datetime, time
from enum import StrEnum

from fleetplan.model import DrivingPolicy, RoadClass, VehicleClass, Weather, require
from fleetplan.units import DAY, kmh_to_mps, seconds_since_midnight

# Float noise when a length is summed over pieces: a true time this close above a whole second is
# that second (a real fraction of a second is orders of magnitude larger).
ROUNDING_SLACK_S = 1e-6
_POLICY_DEFAULTS = DrivingPolicy()  # the regulation defaults policy.toml states (22:00–06:00)


class TimeBand(StrEnum):
    """Time-of-day bands: which congestion and caps hold (the night is the policy's window)."""

    NIGHT = "night"  # night_start–night_end (22:00–06:00 by default): night cap, free-flowing streets
    MORNING_PEAK = "morning_peak"  # 07:00–09:00
    DAY = "day"  # the other day hours
    EVENING_PEAK = "evening_peak"  # 17:00–19:00


PEAKS = ((time(7, 0), time(9, 0), TimeBand.MORNING_PEAK), (time(17, 0), time(19, 0), TimeBand.EVENING_PEAK))


@dataclass(frozen=True)
class WeatherEffect:
    """How a weather changes speed: the road speed is multiplied by ``factor``; ``cap_kmh`` caps it."""

    factor: float
    cap_kmh: float | None = None

    def __post_init__(self) -> None:
        require(0 < self.factor <= 1, "factor", f"{self.factor} is outside (0, 1]")
        require(self.cap_kmh is None or self.cap_kmh > 0, "cap_kmh", "must be positive")


@dataclass(frozen=True)
class SpeedRules:
    """Legal caps, the night window and cap, weather effects and city congestion (world-model §2)."""

    # the same for every coach class of the fleet; a lookup by vehicle class keeps the door open
    coach_cap_kmh: tuple[tuple[RoadClass, float], ...] = (
        (RoadClass.EXPRESSWAY, 100.0),  # 实施条例 Art. 78 (V)
        (RoadClass.RAMP, 60.0),  # E
        (RoadClass.NATIONAL, 80.0),  # E
        (RoadClass.CITY, 60.0),  # E
    )
    night_cap_factor: float = 0.8  # night cap: 80 % of the legal cap (动态监督管理办法, S)
    night_start: time = _POLICY_DEFAULTS.night_start
    night_end: time = _POLICY_DEFAULTS.night_end
    weather: tuple[tuple[Weather, WeatherEffect], ...] = (
        (Weather.CLEAR, WeatherEffect(1.0)),
        (Weather.RAIN, WeatherEffect(0.85)),  # wet road (E)
        (Weather.SNOWFALL, WeatherEffect(0.6)),  # snow falling on a cleared road (E)
        (Weather.SNOW, WeatherEffect(1.0, 30.0)),  # snow-covered road: ≤30 km/h (Art. 46, V)
        (Weather.ICE, WeatherEffect(1.0, 30.0)),  # icy road: ≤30 km/h (Art. 46, V)
        (Weather.FOG_200, WeatherEffect(1.0, 60.0)),  # visibility < 200 m: ≤60 km/h (Art. 81, V)
        (Weather.FOG_100, WeatherEffect(1.0, 40.0)),  # visibility < 100 m: ≤40 km/h (Art. 81, V)
        (Weather.FOG_50, WeatherEffect(1.0, 20.0)),  # visibility < 50 m: ≤20 km/h, next exit (Art. 81, V)
        (Weather.BLIZZARD, WeatherEffect(0.6, 40.0)),  # snowfall, visibility < 100 m (Art. 81, V; factor E)
    )
    city_congestion: tuple[tuple[TimeBand, float], ...] = (  # streets only (E)
        (TimeBand.NIGHT, 1.0),
        (TimeBand.MORNING_PEAK, 0.6),
        (TimeBand.DAY, 0.85),
        (TimeBand.EVENING_PEAK, 0.6),
    )

    def __post_init__(self) -> None:
        require(0 < self.night_cap_factor <= 1, "night_cap_factor", f"{self.night_cap_factor} is outside (0, 1]")
        require(self.night_start != self.night_end, "night_end", "the night must not be empty")
        require(set(dict(self.weather)) == set(Weather), "weather", "needs an effect for every weather")
        require(set(dict(self.coach_cap_kmh)) == set(RoadClass), "coach_cap_kmh", "needs a cap for every road class")
        require(set(dict(self.city_congestion)) == set(TimeBand), "city_congestion", "needs a factor for every band")

    @classmethod
    def for_policy(cls, policy: DrivingPolicy) -> SpeedRules:
        """The default rules with the night window of ``policy``, so driving rules and speeds share one night."""
        return replace(DEFAULT_SPEED_RULES, night_start=policy.night_start, night_end=policy.night_end)

    def is_night(self, clock: time) -> bool:
        """``night_start`` ≤ clock < ``night_end``, across midnight when the end is earlier."""
        if self.night_start < self.night_end:
            return self.night_start <= clock < self.night_end
        return clock >= self.night_start or clock < self.night_end

    def band(self, clock: time) -> TimeBand:
        """The time band of a clock time; the night wins over a peak it overlaps."""
        if self.is_night(clock):
            return TimeBand.NIGHT
        for start, end, band in PEAKS:
            if start <= clock < end:
                return band
        return TimeBand.DAY

    @property
    def marks_s(self) -> tuple[int, ...]:
        """Seconds of the day at which a speed may change, sorted."""
        clocks = {self.night_start, self.night_end} | {clock for start, end, _ in PEAKS for clock in (start, end)}
        return tuple(sorted(seconds_since_midnight(clock) for clock in clocks))

    def speed_kmh(
        self, road_class: RoadClass, road_speed_kmh: float, vehicle_class: VehicleClass, weather: Weather, clock: time
    ) -> float:
        """Speed on an edge of ``road_class`` with road speed ``road_speed_kmh`` at ``clock``.

        Returns
        -------
        float
            ``min(road × congestion × weather factor, legal cap, night cap at night, weather cap)`` in km/h.
        """
        band = self.band(clock)
        effect = dict(self.weather)[weather]
        congestion = dict(self.city_congestion)[band] if road_class is RoadClass.CITY else 1.0
        legal_cap = self.cap_kmh(vehicle_class, road_class)
        caps = [legal_cap]
        if band is TimeBand.NIGHT:
            caps.append(self.night_cap_factor * legal_cap)
        if effect.cap_kmh is not None:
            caps.append(effect.cap_kmh)
        return min(road_speed_kmh * congestion * effect.factor, *caps)

    def cap_kmh(self, vehicle_class: VehicleClass, road_class: RoadClass) -> float:
        """Legal speed cap of a vehicle class on a road class."""
        return dict(self.coach_cap_kmh)[road_class]

    def schedule_mps(
        self, road_class: RoadClass, road_speed_kmh: float, vehicle_class: VehicleClass, weather: Weather
    ) -> tuple[float, ...]:
        """Speed in m/s in each piece of the day (piece ``j`` starts at ``marks_s[j]``); a single value
        when the speed never changes."""
        speeds = tuple(
            kmh_to_mps(self.speed_kmh(road_class, road_speed_kmh, vehicle_class, weather, _clock(start_s)))
            for start_s in self.marks_s
        )
        return speeds[:1] if len(set(speeds)) == 1 else speeds


DEFAULT_SPEED_RULES = SpeedRules()


def time_band(moment: datetime | time, rules: SpeedRules = DEFAULT_SPEED_RULES) -> TimeBand:
    """The time band of a clock time (local, naive) under ``rules`` (whose night is the policy's)."""
    return rules.band(moment.time() if isinstance(moment, datetime) else moment)


def drive_s(length_m: float, speeds_mps: tuple[float, ...], marks_s: tuple[int, ...], start_s: int) -> int:
    """Whole seconds to drive ``length_m`` entering at ``start_s`` (seconds after a midnight).

    Parameters
    ----------
    length_m
        Metres to drive (a whole edge or a part of one).
    speeds_mps
        The speed in each piece of the day, as :meth:`SpeedRules.schedule_mps` gives it.
    marks_s
        The seconds of the day where the pieces start (:attr:`SpeedRules.marks_s`).
    start_s
        The entry time; only its second of the day matters.

    Returns
    -------
    int
        ``ceil(exit − entry)``: the length is driven through the pieces it spans.
    """
    if length_m <= 0:
        return 0
    if len(speeds_mps) == 1:
        return ceil_s(length_m / speeds_mps[0])
    piece, window_s = piece_at(marks_s, start_s)
    elapsed_s, left_m = 0.0, float(length_m)
    while True:
        speed = speeds_mps[piece]
        if speed * window_s >= left_m:
            return ceil_s(elapsed_s + left_m / speed)
        left_m -= speed * window_s
        elapsed_s += window_s
        piece = piece + 1 if piece + 1 < len(marks_s) else 0
        window_s = (marks_s[piece + 1] if piece + 1 < len(marks_s) else marks_s[0] + DAY) - marks_s[piece]


def piece_at(marks_s: tuple[int, ...], clock_s: int) -> tuple[int, int]:
    """(index of the piece of the day holding ``clock_s``, whole seconds from ``clock_s`` to its end).

    Piece ``j`` runs from ``marks_s[j]`` to the next mark; the last one wraps past midnight.
    """
    clock_s %= DAY
    if clock_s < marks_s[0]:
        clock_s += DAY  # before the first mark: still in the last piece of the day before
    piece = bisect_right(marks_s, clock_s) - 1
    end_s = marks_s[piece + 1] if piece + 1 < len(marks_s) else marks_s[0] + DAY
    return piece, end_s - clock_s


def ceil_s(seconds: float) -> int:
    """``seconds`` rounded up to a whole second, float noise (:data:`ROUNDING_SLACK_S`) forgiven."""
    return math.ceil(seconds - ROUNDING_SLACK_S)


def _clock(second_of_day: int) -> time:
    hours, rest = divmod(second_of_day % DAY, 3600)
    return time(hours, rest // 60, rest % 60)
