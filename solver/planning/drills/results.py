"""What a drill records: each rescuing coach's drive, each incident's score against its tier limit
(:mod:`.scores`), what would have met a missed limit, the checks of the contingency plan, and the
whole :class:`DrillReport`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from solver.dispatch import Dispatch, Relaxation, Status
from solver.planning.drills.scenarios import DrillScenario
from solver.planning.drills.scores import IncidentScore, PromiseScore, promise_score

__all__ = ["Check", "DrillReport", "IncidentScore", "Remedy", "RescueLeg"]


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
class Check:
    """One thing the contingency plan expects of the system in this drill."""

    name: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class Remedy:
    """What would have met the limit of one late incident: the relaxations the dispatch names when
    every limit of the incident's wave is made hard, and a backup staged elsewhere — the first staging
    point at which one more standby coach (with a driver) gets every passenger of the incident
    reached in time, or, when none does, the one that comes closest (none when no site helps)."""

    incident_id: str
    late_s: int  # how late the drill's dispatch reached it (0 if the miss is passengers not reached)
    wave: tuple[str, ...]  # the incidents dispatched together: the relaxations are for all of them
    relaxations: tuple[Relaxation, ...]
    met_with_hard_limits: bool  # with hard limits the dispatch found a plan in time: no relaxation needed
    sites_tried: tuple[str, ...]
    backup: IncidentScore | None = None  # the incident dispatched again with the extra backup at backup_site
    backup_site: str | None = None  # None when no extra backup helps, or none could be tried

    @property
    def backup_meets(self) -> bool:
        """One more backup at :attr:`backup_site` gets every passenger reached within the limit."""
        return self.backup is not None and self.backup.within_limit


@dataclass(frozen=True)
class DrillReport:
    """A drill as run: its scenario, the dispatch of each wave, the scores, rescues, remedies and checks."""

    scenario: DrillScenario
    dispatches: tuple[Dispatch, ...]  # one per wave
    scores: tuple[IncidentScore, ...]
    legs: tuple[RescueLeg, ...]
    checks: tuple[Check, ...]
    problems: tuple[str, ...]  # the evaluator's findings on the chosen plans (empty = sound)
    uncovered_trips: tuple[str, ...]
    recovered_trips: tuple[str, ...]
    remedies: tuple[Remedy, ...] = ()  # one per incident beyond its limit

    @property
    def promise(self) -> PromiseScore:
        """The score against the service promise: incidents and passengers within the limit, per tier."""
        return promise_score(self.scores)

    @property
    def checks_passed(self) -> bool:
        """Every mechanics check passed. It says nothing about the limits: see :attr:`promise`."""
        return all(check.passed for check in self.checks)

    @property
    def share_within_limit(self) -> float:
        total = sum(s.passengers for s in self.scores)
        return sum(s.passengers_within_limit for s in self.scores) / total if total else 1.0

    @property
    def statuses(self) -> tuple[Status, ...]:
        return tuple(d.result.status for d in self.dispatches)
