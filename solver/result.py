"""What a dispatch solve returns, and the parameters it takes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fleetplan.instance import Rejection
from fleetplan.plan import Objective, Plan


class Status(StrEnum):
    OPTIMAL = "optimal"  # every lexicographic stage closed
    FEASIBLE = "feasible"  # a plan, but the deadline stopped the proof; see ``bound``
    GREEDY_FALLBACK = "greedy_fallback"  # the model found nothing in time; the greedy plan is given
    INFEASIBLE = "infeasible"  # some stranded passengers cannot be carried (or, with hard limits, reached in time)


@dataclass(frozen=True)
class SolveParams:
    """Knobs of one dispatch solve."""

    time_limit_s: float = 1.0  # for the whole answer, alternatives included
    alternatives: int = 3  # plans wanted in all (the best and k-1 alternatives)
    workers: int = 2
    seed: int = 0
    allow_split: bool = True  # passengers of one group may ride in several vehicles
    hard_limits: bool = False  # a plan must reach every passenger within its tier limit


@dataclass(frozen=True)
class Relaxation:
    """A change that would make an infeasible instance feasible."""

    kind: str  # "later_limit", "second_driver", "split", "closure_exemption", "more_seats"
    description: str
    amount: int | None = None  # minutes for later_limit, seats for more_seats


@dataclass(frozen=True)
class Result:
    status: Status
    plans: tuple[Plan, ...]
    rejections: tuple[Rejection, ...]
    solve_ms: int
    bound: Objective | None = None  # best proven lower bound (lexicographic) when not optimal
    relaxations: tuple[Relaxation, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def best(self) -> Plan | None:
        return self.plans[0] if self.plans else None
