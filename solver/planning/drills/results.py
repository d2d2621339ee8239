"""What a drill records: each rescuing coach's drive, each incident's score against its tier limit,
the checks of the contingency plan, and the whole :class:`DrillReport`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from solver.dispatch import Dispatch, Status
from solver.planning.drills.scenarios import DrillScenario


@dataclass(frozen=True)
class RescueLeg:
    """One rescuing coach: where from, when, and the roads it drives."""

    incident_id: str
    vehicle_id: str
    driver_id: str
    origin: str
    depart_at: datetime
    scene_arrival: datetime
    passengers: int
    late_s: int
    to_scene_roads: tuple[str, ...]
    onward_roads: tuple[str, ...]
    to_scene_nodes: tuple[str, ...]  # nodes passed on the way to the scene
    onward_nodes: tuple[str, ...]  # nodes passed from the scene to the destination
    to_scene_path: tuple[tuple[float, float], ...]  # (lat, lon) for maps
    onward_path: tuple[tuple[float, float], ...]
    clear_weather_s: int | None  # the same drive to the scene in clear weather (None for a passing coach)

    @property
    def response_s(self) -> int:
        return int((self.scene_arrival - self.depart_at).total_seconds())


@dataclass(frozen=True)
class IncidentScore:
    """How the response to one incident measured against its tier limit."""

    incident_id: str
    vehicle_id: str
    location: str
    reported_at: datetime
    tier: str
    limit_s: int
    passengers: int
    passengers_carried: int
    passengers_within_limit: int
    response_s: int | None  # report to the last rescuing coach on scene; None if nobody goes
    rescuers: tuple[str, ...]

    @property
    def within_limit(self) -> bool:
        return self.passengers_within_limit == self.passengers


@dataclass(frozen=True)
class Check:
    """One thing the contingency plan expects of the system in this drill."""

    name: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class DrillReport:
    """A drill as run: its scenario, the dispatch of each wave, the scores, rescues and checks."""

    scenario: DrillScenario
    dispatches: tuple[Dispatch, ...]  # one per wave
    scores: tuple[IncidentScore, ...]
    legs: tuple[RescueLeg, ...]
    checks: tuple[Check, ...]
    problems: tuple[str, ...]  # the evaluator's findings on the chosen plans (empty = sound)
    uncovered_trips: tuple[str, ...]
    recovered_trips: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Every check passed (the limits themselves are scored, not checked)."""
        return all(check.passed for check in self.checks)

    @property
    def share_within_limit(self) -> float:
        total = sum(s.passengers for s in self.scores)
        return sum(s.passengers_within_limit for s in self.scores) / total if total else 1.0

    @property
    def statuses(self) -> tuple[Status, ...]:
        return tuple(d.result.status for d in self.dispatches)
