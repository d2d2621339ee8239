"""The independent evaluator: re-check every claim of a plan (DESIGN §5.5).

It shares no code with the solver or with the instance builder's option generation: positions come
from the timetable, travel times from the road network, legality from the rules, and every number the
plan states (times, distances, passengers, objective terms) is recomputed and compared. It returns a
list of :class:`~fleetplan.problems.Problem` (a code, the subject, the numbers and a sentence); an
empty list means the plan is sound.
"""

from __future__ import annotations

from fleetplan.evaluate.covers import check_trip_cover
from fleetplan.evaluate.facts import Facts
from fleetplan.evaluate.objective import objective_problems, recomputed_objective
from fleetplan.evaluate.plan_checks import double_bookings, group_totals, trip_accounting, unavailable_used
from fleetplan.evaluate.rescues import check_rescue
from fleetplan.evaluate.routes import check_routes
from fleetplan.instance import Instance
from fleetplan.operations import OperationsPolicy
from fleetplan.plan import Objective, Plan
from fleetplan.problems import Problem

__all__ = ["evaluate", "recompute_objective"]


def evaluate(plan: Plan, instance: Instance, ops: OperationsPolicy | None = None) -> list[Problem]:
    """Every problem found in ``plan`` for ``instance``.

    Parameters
    ----------
    plan
        A plan for ``instance`` (from any solver).
    instance
        What the plan answers; its dataset, network and conditions are the facts checked against.
    ops
        The operating assumptions to judge by (default: the ones the instance was built with).

    Returns
    -------
    list of Problem
        Empty when every claim of the plan holds.
    """
    facts = Facts(instance, ops if ops is not None else instance.ops)
    problems: list[Problem] = []
    for rescue in plan.rescues:
        problems += check_rescue(facts, rescue)
    problems += check_routes(facts, plan)
    for cover in plan.trip_covers:
        problems += check_trip_cover(facts, cover, plan)
    problems += group_totals(facts, plan)
    problems += double_bookings(facts, plan)
    problems += unavailable_used(facts, plan)
    problems += trip_accounting(facts, plan)
    problems += objective_problems(facts, plan)
    return problems


def recompute_objective(plan: Plan, instance: Instance, ops: OperationsPolicy | None = None) -> Objective:
    """The objective of ``plan`` recomputed from its claims and the facts (the solver's own account
    is not used): the score an independent judge gives a plan from any method."""
    return recomputed_objective(Facts(instance, ops if ops is not None else instance.ops), plan)
