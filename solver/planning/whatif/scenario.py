"""What a what-if run asks: the period, the backups and where they stand, the weather calendar and
the incident rates (DESIGN §3.3). Frozen and validated on construction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from fleetplan.errors import InvalidValueError
from fleetplan.model import require
from fleetplan.operations import OperationsPolicy

from solver.dispatch import Budget
from solver.planning.rates import BreakdownRates

# "clear": every day clear, no closures; "winter": a seeded Jilin winter; "winter-open": the same winter
# weather (the same draws) with the G1 entrances never closed, to see what the closures cost
CALENDARS = ("clear", "winter", "winter-open")
MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class IncidentRates:
    """How often things go wrong (E unless noted; DESIGN §2.3).

    Breakdowns follow ``breakdowns`` (:class:`~solver.planning.rates.BreakdownRates`: per vehicle-km,
    by coach age and season). A coach that does not start at its first stop (a pre-departure failure)
    is scaled the same way.
    """

    breakdowns: BreakdownRates = field(default_factory=BreakdownRates)
    no_start_per_departure: float = 0.002
    accidents_per_million_km: float = 2.0
    bad_weather_accident_factor: float = 3.0  # on a snow, ice or blizzard day
    illness_per_trip: float = 0.002
    breakdown_repair_h: tuple[float, float] = (4.0, 48.0)  # uniform range of workshop time
    accident_repair_h: tuple[float, float] = (72.0, 240.0)
    accident_blocking_min: tuple[float, float] = (30.0, 180.0)  # carriageway blocked behind the scene
    # A blizzard's onset strands coaches on G1 at once (issue #18 §6): on each blizzard day the snow sets
    # in at a moment of the service hours and each coach then on G1 is snowbound with this probability
    # (0: never; the blizzard what-if of docs/benchmarks.md uses 0.5), until dug out and checked.
    blizzard_stranding_share: float = 0.0
    stranded_h: tuple[float, float] = (2.0, 8.0)

    def __post_init__(self) -> None:
        require(
            self.bad_weather_accident_factor >= 1.0,
            "bad_weather_accident_factor",
            f"{self.bad_weather_accident_factor} must be at least 1",
        )
        for name in ("no_start_per_departure", "illness_per_trip", "blizzard_stranding_share"):
            require(0.0 <= getattr(self, name) <= 1.0, name, f"{getattr(self, name)} is not a probability")
        require(self.accidents_per_million_km >= 0, "accidents_per_million_km", "must not be negative")
        for name in ("breakdown_repair_h", "accident_repair_h", "accident_blocking_min", "stranded_h"):
            low, high = getattr(self, name)
            require(0 <= low <= high, name, f"({low}, {high}) is not a range low ≤ high")


@dataclass(frozen=True)
class WhatIfScenario:
    """One what-if: a period of the timetable with backups placed at sites.

    Parameters
    ----------
    start, end
        First and last day of the period (inclusive). The timetable repeats weekly over it.
    backups
        Site id → number of standby coaches standing there (a depot or a staging point). Given as a
        mapping; kept as ``(site, count)`` pairs sorted by site so that the scenario hashes and
        prints the same whatever the order. It *replaces* the dataset's standby placement.
    calendar
        Weather calendar, one of :data:`CALENDARS`.
    rates
        Incident rates.
    solve_budget_s
        CP-SAT budget of one dispatch in *deterministic* seconds, so that a replication gives the
        same plans on any machine load and any engine.
    ops
        Operating assumptions passed to every dispatch.

    Raises
    ------
    InvalidValueError
        Naming the field: reversed or non-date days, a period over a year, a negative or
        non-integer count, an unknown calendar, a non-positive budget.
    """

    start: date
    end: date
    backups: Mapping[str, int] | tuple[tuple[str, int], ...]
    calendar: str = "clear"
    rates: IncidentRates = field(default_factory=IncidentRates)
    solve_budget_s: float = 0.3
    ops: OperationsPolicy = field(default_factory=OperationsPolicy)

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            require(isinstance(value, date) and not isinstance(value, datetime), name, f"{value!r} is not a day")
        require(self.end >= self.start, "end", f"{self.end} is before the start {self.start} (dates reversed?)")
        require(self.days <= MAX_PERIOD_DAYS, "end", f"the period has {self.days} days; at most {MAX_PERIOD_DAYS}")
        object.__setattr__(self, "backups", _normalised_backups(self.backups))
        require(self.calendar in CALENDARS, "calendar", f"{self.calendar!r} is not one of {', '.join(CALENDARS)}")
        try:  # checked here once, not as an error at every incident of the run
            Budget.deterministic(self.solve_budget_s)
        except InvalidValueError as error:
            raise InvalidValueError("solve_budget_s", error.problem) from None

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1

    @property
    def period(self) -> tuple[date, ...]:
        """Every day of the period, in order."""
        return tuple(self.start + timedelta(days=offset) for offset in range(self.days))

    @property
    def backup_counts(self) -> dict[str, int]:
        """Site id → count, as a plain dict."""
        return dict(self.backups)

    @property
    def total_backups(self) -> int:
        assert isinstance(self.backups, tuple)  # normalised to (site, count) pairs in __post_init__
        return sum(count for _, count in self.backups)

    def describe(self) -> str:
        """One line for reports, e.g. ``2027-01-01…2027-01-31, winter, changchun_depot=1,siping_depot=2``."""
        assert isinstance(self.backups, tuple)  # normalised to (site, count) pairs in __post_init__
        placement = ",".join(f"{site}={count}" for site, count in self.backups) or "no backups"
        return f"{self.start}…{self.end}, {self.calendar}, {placement}"


def _normalised_backups(backups) -> tuple[tuple[str, int], ...]:
    pairs = list(backups.items()) if isinstance(backups, Mapping) else list(backups)
    sites = [site for site, _ in pairs]
    require(len(sites) == len(set(sites)), "backups", "a site is listed twice")
    for site, count in pairs:
        require(isinstance(site, str) and site.strip() != "", "backups", f"{site!r} is not a site id")
        require(
            isinstance(count, int) and not isinstance(count, bool),
            "backups",
            f"{site}={count!r}: the count must be a whole number",
        )
        require(count >= 0, "backups", f"{site}={count}: the count must not be negative")
    return tuple(sorted(pairs))
