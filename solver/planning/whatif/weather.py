"""Weather calendars: the weather of each day of the period and the hours when the G1 entrances are
closed (DESIGN §2.3: Jilin winters close the Siping–Changchun entrances for hours to over a day;
vehicles already on the expressway continue).

Shares and durations are estimates (E). ``clear`` has no weather and no closures; ``winter`` draws
each day's weather and its closures from a seeded generator.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np

from fleetplan.model import ALL_ENTRANCES, Conditions, Dataset, RoadClass, Weather, require

# share of winter days by weather (E: a cold Jilin month, mostly dry, a blizzard a few days a month).
# Snowfall is snow falling on ploughed roads (×0.6); snow-covered and icy roads (≤30 km/h, 实施条例
# Art. 46) are the ice days.
WINTER_WEATHER: tuple[tuple[Weather, float], ...] = (
    (Weather.CLEAR, 0.55),
    (Weather.SNOWFALL, 0.25),
    (Weather.ICE, 0.12),
    (Weather.BLIZZARD, 0.08),
)
# weather → (chance that the G1 entrances close that day, shortest and longest closure in hours) (E)
WINTER_CLOSURES: dict[Weather, tuple[float, float, float]] = {
    Weather.BLIZZARD: (1.0, 4.0, 30.0),
    Weather.SNOWFALL: (0.10, 2.0, 8.0),
    Weather.ICE: (0.20, 2.0, 10.0),
}
ALL_ENTRANCES_CLOSED = frozenset({ALL_ENTRANCES})


@dataclass(frozen=True)
class ClosureWindow:
    """All G1 entrances closed from ``start`` to ``end``."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require(self.end > self.start, "end", f"{self.end} is not after {self.start}")

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True)
class WeatherCalendar:
    """The weather of every day of a period and the G1 closure windows."""

    name: str
    days: tuple[tuple[date, Weather], ...]
    closures: tuple[ClosureWindow, ...] = ()

    def weather_on(self, day: date) -> Weather:
        return dict(self.days).get(day, Weather.CLEAR)

    def entrances_closed(self, moment: datetime) -> bool:
        return any(window.covers(moment) for window in self.closures)

    @property
    def closure_hours(self) -> float:
        return sum(window.hours for window in self.closures)

    def day_counts(self) -> dict[str, int]:
        """Days per weather, every weather listed."""
        counts = Counter(weather for _, weather in self.days)
        return {weather.value: counts.get(weather, 0) for weather in Weather}


def draw_calendar(name: str, days: Iterable[date], rng: np.random.Generator) -> WeatherCalendar:
    """The calendar ``name`` over ``days``, drawn from ``rng`` (``clear`` draws nothing).

    Raises
    ------
    InvalidValueError
        For an unknown calendar name.
    """
    days = tuple(days)
    if name == "clear":
        return WeatherCalendar(name, tuple((day, Weather.CLEAR) for day in days))
    require(name in ("winter", "winter-open"), "calendar", f"{name!r} is not one of clear, winter, winter-open")
    weathers, shares = zip(*WINTER_WEATHER)
    drawn = rng.choice(len(weathers), size=len(days), p=np.array(shares) / sum(shares))
    chances, starts, lengths = rng.random(len(days)), rng.random(len(days)), rng.random(len(days))
    calendar, closures = [], []
    for index, day in enumerate(days):
        weather = weathers[drawn[index]]
        calendar.append((day, weather))
        if weather in WINTER_CLOSURES:
            chance, shortest_h, longest_h = WINTER_CLOSURES[weather]
            if chances[index] < chance:
                start = datetime.combine(day, time(0, 0)) + timedelta(hours=24 * starts[index])
                hours = shortest_h + (longest_h - shortest_h) * lengths[index]
                closures.append(
                    ClosureWindow(
                        start.replace(second=0, microsecond=0),
                        (start + timedelta(hours=hours)).replace(second=0, microsecond=0),
                    )
                )
    return WeatherCalendar(name, tuple(calendar), tuple(closures) if name == "winter" else ())


def conditions_at(
    dataset: Dataset,
    calendar: WeatherCalendar,
    moment: datetime,
    blocked_edges: frozenset[tuple[str, str]] = frozenset(),
) -> Conditions:
    """Road conditions at ``moment``: the day's weather (the dataset preset of that name, without its
    own closures), the calendar's entrance closures and the carriageways blocked by accidents."""
    weather = calendar.weather_on(moment.date())
    preset = next((c for c in dataset.conditions if c.name == weather.value), None)
    if preset is not None:
        weather_by_class = preset.weather
    else:  # no preset of that name: the same weather on every road class
        weather_by_class = () if weather == Weather.CLEAR else tuple((road, weather) for road in RoadClass)
    closed = calendar.entrances_closed(moment)
    name = f"whatif-{weather.value}" + ("-g1-closed" if closed else "") + ("-blocked" if blocked_edges else "")
    return Conditions(
        name=name,
        weather=weather_by_class,
        closed_edges=frozenset(blocked_edges),
        closed_entrances=ALL_ENTRANCES_CLOSED if closed else frozenset(),
        description=f"{weather.value} day" + (", all G1 entrances closed" if closed else ""),
    )
