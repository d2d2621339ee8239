"""What a dispatch returns: the solve's :class:`Result` and the checked :class:`Dispatch`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from fleetplan.evaluate import Problem
from fleetplan.instance import Instance, Rejection
from fleetplan.phrase import Phrase
from fleetplan.plan import Objective, Plan


class Status(StrEnum):
    OPTIMAL = "optimal"  # every lexicographic stage closed
    FEASIBLE = "feasible"  # a plan, but the deadline stopped the proof; see ``bound``
    GREEDY_FALLBACK = "greedy_fallback"  # the model found nothing in time; the greedy plan is given
    INFEASIBLE = "infeasible"  # some stranded passengers cannot be carried (or, with hard limits, reached in time)
    # a plan, but the evaluator or the independent oracle disagrees with one of its claims (see the
    # problems): never sent out as "optimal", since a dispatcher forgives a slow answer, not a wrong one
    DISPUTED = "disputed"


@dataclass(frozen=True)
class Relaxation:
    """A change that would make an infeasible instance feasible: the ``description`` in English and,
    as facts, the ``phrase`` it was worded from (:mod:`fleetplan.wording` renders it in any language)."""

    # "later_limit", "relay", "call_in", "overtime", "split", "second_driver", "closure_exemption", "more_seats"
    kind: str
    description: str
    # minutes for later_limit, minutes sooner at the scene for relay, drivers for call_in, overtime and
    # second_driver, coaches for closure_exemption, seats for more_seats
    amount: int | None = None
    phrase: Phrase | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Result:
    """The answer of :func:`solver.dispatch.solve`: ranked plans, the rejected candidates and how
    far the search got."""

    status: Status
    plans: tuple[Plan, ...]
    rejections: tuple[Rejection, ...]
    solve_ms: int
    bound: Objective | None = None  # best proven lower bound (lexicographic) when not optimal
    relaxations: tuple[Relaxation, ...] = ()
    reasons: tuple[str, ...] = ()  # in English; ``reason_phrases`` are the same, to word in any language
    reason_phrases: tuple[Phrase, ...] = ()
    wall_capped: bool = False  # a deterministic budget hit its wall-clock safety cap: the plans may depend on load
    # Whether the search closed every stage of the best plan (or proved the model has no plan): always
    # for ``optimal``, never for ``feasible`` and ``greedy_fallback``, either way for ``infeasible``.
    proven: bool = False
    # The alternatives were left for later: the caller said no more were wanted now (others wait)
    alternatives_deferred: bool = False

    @property
    def best(self) -> Plan | None:
        return self.plans[0] if self.plans else None


@dataclass(frozen=True)
class Dispatch:
    """One decision end to end: the instance it was built on, the solver's result, and the
    evaluator's problems with each plan (one tuple per plan, in rank order; empty = sound)."""

    instance: Instance
    result: Result
    problems: tuple[tuple[Problem, ...], ...]

    @property
    def best(self) -> Plan | None:
        return self.result.best

    @property
    def sound(self) -> bool:
        """Whether the evaluator found no problem in any plan."""
        return not any(self.problems)
