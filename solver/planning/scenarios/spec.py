"""What a scenario of the book says: the incidents, the changes to the corridor's data, and what the
hand-reasoned plan must show (see ``docs/scenarios.md``). Built by :mod:`.loader` from a TOML file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fleetplan.model import DutyInterval, IncidentKind

# (field name, value) pairs: the frozen form of a small table of changes
Changes = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Bounds:
    """An expected whole number: exactly one value (``low == high``) or a closed range, either end open."""

    low: int | None = None
    high: int | None = None

    def holds(self, value: int) -> bool:
        """Whether ``value`` is within the bounds."""
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def __str__(self) -> str:
        if self.low is not None and self.low == self.high:
            return str(self.low)
        if self.high is None:
            return f"≥ {self.low}"
        if self.low is None:
            return f"≤ {self.high}"
        return f"{self.low}–{self.high}"


@dataclass(frozen=True)
class IncidentSpec:
    """One reported failure: the failed coach, where (a location text), when, how many on board."""

    id: str
    vehicle: str
    at: str
    time: datetime
    passengers: int
    kind: IncidentKind = IncidentKind.BREAKDOWN
    trip: str | None = None  # None: the engine finds the trip the coach is on (or about to run)
    drivable: bool = False


@dataclass(frozen=True)
class Setup:
    """Changes to the default data, applied in memory before the dispatch.

    ``policy`` and ``ops`` change fields of :class:`~fleetplan.model.DrivingPolicy` and
    :class:`~fleetplan.operations.OperationsPolicy`; ``vehicles`` and ``drivers`` change fields of one
    coach or driver each (id → changes); ``unavailable`` marks coaches or drivers as not usable now
    (id → why); ``duty_log`` adds intervals to the drivers' logs.
    """

    policy: Changes = ()
    ops: Changes = ()
    vehicles: tuple[tuple[str, Changes], ...] = ()
    drivers: tuple[tuple[str, Changes], ...] = ()
    unavailable: tuple[tuple[str, str], ...] = ()
    duty_log: tuple[DutyInterval, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.policy or self.ops or self.vehicles or self.drivers or self.unavailable or self.duty_log)


@dataclass(frozen=True)
class IncidentExpect:
    """What the plan must show for one incident (only what the hand reasoning supports is set).

    Passenger counts and the response are read from the best plan: *reached* = taken by a coach on
    scene by the deadline, *late* = taken by a later one, *not reached* = taken by none
    (docs/world-model.md §5); the response runs from the report to the last carrying coach on scene.
    """

    incident_id: str
    tier: str | None = None
    limit_min: int | None = None
    reached: Bounds | None = None
    late: Bounds | None = None
    not_reached: Bounds | None = None
    response_min: Bounds | None = None
    rescuers_include: tuple[str, ...] = ()  # each of these coaches carries some of them
    rescuers_any_of: tuple[str, ...] = ()  # at least one of these coaches carries some of them
    rescuers_only: tuple[str, ...] = ()  # every carrying coach is one of these
    rescuers_count: Bounds | None = None
    drivers_include: tuple[str, ...] = ()  # each of these drivers drives a carrying coach
    drivers_only: tuple[str, ...] = ()  # every carrying coach is driven by one of these
    passing_offered: tuple[str, ...] = ()  # coaches on the road offered to stop for them
    passing_not_offered: tuple[str, ...] = ()
    rest_at_scene_min: int | None = None  # the carrying driven coach waits at least this long at the scene
    rest_on_way_any_of: tuple[str, ...] = ()  # a carrying coach rests on the way at one of these places


@dataclass(frozen=True)
class Expect:
    """What the dispatch as a whole must show. Every plan passing the evaluator is always checked."""

    status: tuple[str, ...] = ()  # one of these statuses
    plans: Bounds | None = None
    not_used: tuple[str, ...] = ()  # coaches or drivers in no plan at all
    rejected: tuple[tuple[str, tuple[str, ...]], ...] = ()  # candidate → one of these rejection codes
    # A trip is re-crewed when a plan gives it another coach or driver or moves its departure; a
    # "cover" by its own crew at its own time leaves it untouched.
    covered: tuple[str, ...] = ()  # trips the best plan re-crews
    uncovered: tuple[str, ...] = ()  # trips the best plan leaves without a crew
    untouched: tuple[str, ...] = ()  # trips no plan re-crews or leaves uncovered
    trip_covers: Bounds | None = None  # how many trips the best plan re-crews
    relaxations: tuple[str, ...] = ()  # kinds of relaxation the result must name
    # passengers of all incidents together (for incidents competing for the same coaches)
    reached_total: Bounds | None = None
    late_total: Bounds | None = None
    not_reached_total: Bounds | None = None
    distinct_alternatives: bool = False  # no alternative repeats an earlier one's rescues or is dominated by it
    incidents: tuple[IncidentExpect, ...] = ()


@dataclass(frozen=True)
class Scenario:
    """A named corridor scenario: ``name`` is the file's stem, ``path`` the file."""

    name: str
    path: Path
    title: str
    incidents: tuple[IncidentSpec, ...]
    conditions: str
    setup: Setup
    expect: Expect
    tags: tuple[str, ...] = ()
