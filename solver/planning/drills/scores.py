"""Scoring a drill against the service promise (DESIGN §1: tiered response-time limits).

Each incident is scored from the dispatch's own numbers (:func:`score_dispatch`); the promise score
(:func:`promise_score`) adds them up per tier. A passenger is *reached* when the coach that takes
them is on scene by the group's deadline, *late* when it comes later (by how much), and *not
reached* when no coach takes them (docs/world-model.md §5).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from solver.dispatch import Dispatch

ALL_TIERS = "all"


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
    late_s: int = 0  # the latest carrying coach beyond the group's deadline (0 when every one is in time)

    @property
    def within_limit(self) -> bool:
        return self.passengers_within_limit == self.passengers

    @property
    def passengers_late(self) -> int:
        """Reached, but after the deadline."""
        return self.passengers_carried - self.passengers_within_limit

    @property
    def passengers_not_reached(self) -> int:
        """Taken by no coach at all."""
        return self.passengers - self.passengers_carried


@dataclass(frozen=True)
class Tally:
    """Incidents and passengers within their limit, for one tier or for all (``tier`` = ``all``)."""

    tier: str
    limit_s: int | None  # the tier's limit; None for all tiers together
    incidents: int
    incidents_within: int
    passengers: int
    passengers_within: int
    passengers_late: int
    passengers_not_reached: int
    worst_late_s: int  # the largest lateness of a reached passenger (0 if none was late)
    worst_late_incident: str | None

    @property
    def incidents_share(self) -> float:
        return self.incidents_within / self.incidents if self.incidents else 1.0

    @property
    def passengers_share(self) -> float:
        return self.passengers_within / self.passengers if self.passengers else 1.0

    @property
    def kept(self) -> bool:
        return self.incidents_within == self.incidents


@dataclass(frozen=True)
class PromiseScore:
    """The drill against the service promise: a tally per tier (tightest limit first) and for all."""

    tiers: tuple[Tally, ...]
    total: Tally

    @property
    def kept(self) -> bool:
        """Every incident had every passenger reached within its limit."""
        return self.total.kept

    @property
    def incidents_beyond(self) -> int:
        return self.total.incidents - self.total.incidents_within


def promise_score(scores: Iterable[IncidentScore]) -> PromiseScore:
    """Add the incident scores up per tier and for all tiers."""
    scores = tuple(scores)
    limits: dict[str, int] = {}
    for score in scores:
        limits.setdefault(score.tier, score.limit_s)
    ordered = sorted(limits, key=lambda tier: (limits[tier], tier))
    tiers = tuple(tally(tier, [s for s in scores if s.tier == tier], limits[tier]) for tier in ordered)
    return PromiseScore(tiers, tally(ALL_TIERS, scores, None))


def tally(tier: str, scores: Iterable[IncidentScore], limit_s: int | None) -> Tally:
    """One :class:`Tally` of ``scores``; the worst lateness names its incident (the first on a tie)."""
    scores = tuple(scores)
    late = [s for s in scores if s.passengers_late]
    worst = max(late, key=lambda s: s.late_s) if late else None  # max keeps the first on a tie
    return Tally(
        tier,
        limit_s,
        len(scores),
        sum(1 for s in scores if s.within_limit),
        sum(s.passengers for s in scores),
        sum(s.passengers_within_limit for s in scores),
        sum(s.passengers_late for s in scores),
        sum(s.passengers_not_reached for s in scores),
        worst.late_s if worst else 0,
        worst.incident_id if worst else None,
    )


def score_dispatch(outcome: Dispatch) -> list[IncidentScore]:
    """Each incident of a dispatch against its tier limit, from the best plan."""
    instance, plan = outcome.instance, outcome.result.best
    scores = []
    for group in instance.groups:
        rescues = [r for r in (plan.rescues if plan else ()) if r.group_id == group.id and r.passengers > 0]
        # lateness counts from the deadline, not the report: a pre-departure group's deadline is
        # its scheduled departure plus the limit
        late_s = max((int((r.scene_arrival - group.deadline).total_seconds()) for r in rescues), default=0)
        scores.append(
            IncidentScore(
                group.incident_id,
                group.failed_vehicle_id,
                group.scene_text,
                group.reported_at,
                group.tier,
                group.limit_s,
                group.passengers,
                sum(r.passengers for r in rescues),
                sum(r.passengers for r in rescues if r.scene_arrival <= group.deadline),
                max((int((r.scene_arrival - group.reported_at).total_seconds()) for r in rescues), default=None),
                tuple(r.vehicle_id for r in rescues),
                max(0, late_s),
            )
        )
    return scores
