"""Dispatch with a deterministic solver budget, so a replication gives the same plans on every engine.

:func:`solver.dispatch.solve` stops each lexicographic stage on a *wall-clock* deadline: under load
(a process pool, a Dask worker, a busy laptop) a stage that has not closed can return a different
plan, and the evolving state of a what-if would drift. Here the same model (:func:`build_model`,
the same stages from :func:`lexicographic_stages`) is solved by one CP-SAT worker with a
``max_deterministic_time`` budget, which does not depend on the machine's load. A wall-clock cap far
above the budget remains as a safety net; hitting it is counted.

The instance comes from :func:`fleetplan.build_instance.build_instance` and the plan is checked by
:func:`fleetplan.evaluate.evaluate`, exactly as in :func:`solver.service.dispatch`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from ortools.sat.python import cp_model

from fleetplan.build_instance import build_instance
from fleetplan.corridor import Corridor
from fleetplan.evaluate import evaluate
from fleetplan.instance import Instance
from fleetplan.model import Conditions, Incident
from fleetplan.operations import OperationsPolicy
from fleetplan.plan import Plan

from solver import greedy
from solver.dispatch import build_model, lexicographic_stages, new_solver, term_upper_bounds
from solver.plans import build_plan
from solver.result import SolveParams, Status

MIN_STAGE_BUDGET_S = 0.005  # deterministic seconds; a stage given less cannot even load the model
WALL_CAP_FACTOR = 20.0  # the wall-clock safety cap, as a multiple of the deterministic budget (+1 s)
PARAMS = SolveParams(alternatives=1, workers=1)


@dataclass(frozen=True)
class ReproducibleDispatch:
    """The instance, the best plan (None only if even the greedy baseline had none), how it was found
    (``optimal``, ``feasible`` when the budget stopped a stage, ``greedy_fallback``), the evaluator's
    findings, and whether the wall-clock safety cap was hit (then the result may depend on load)."""

    instance: Instance
    plan: Plan | None
    status: Status
    problems: tuple[str, ...]
    wall_capped: bool = False


def dispatch_reproducibly(corridor: Corridor, incidents: Sequence[Incident], conditions: Conditions,
                          budget_s: float, ops: OperationsPolicy = OperationsPolicy(),
                          unavailable: Mapping[str, str] = MappingProxyType({}), seed: int = 0) -> ReproducibleDispatch:
    """Build the instance, solve it within ``budget_s`` deterministic seconds and evaluate the plan.

    Parameters
    ----------
    corridor, incidents, conditions, ops, unavailable
        As for :func:`solver.service.dispatch`.
    budget_s
        CP-SAT deterministic time for all stages together.
    seed
        CP-SAT's random seed.

    Returns
    -------
    ReproducibleDispatch

    Raises
    ------
    FleetplanError
        Whatever :func:`build_instance` raises for the incidents (unknown ids, unknown location, …).
    """
    instance = build_instance(corridor, incidents, conditions, ops, unavailable)
    plan, status, wall_capped = solve_reproducibly(instance, budget_s, seed)
    problems = tuple(evaluate(plan, instance, ops)) if plan is not None else ()
    return ReproducibleDispatch(instance, plan, status, problems, wall_capped)


def solve_reproducibly(instance: Instance, budget_s: float, seed: int = 0) -> tuple[Plan | None, Status, bool]:
    """The best plan of ``instance`` found within ``budget_s`` deterministic seconds.

    Returns
    -------
    (plan, status, wall_capped)
        ``status`` is ``optimal`` if every stage closed, ``feasible`` if the budget stopped one,
        ``greedy_fallback`` if CP-SAT found nothing.
    """
    dm = build_model(instance, PARAMS)
    stages = lexicographic_stages(term_upper_bounds(instance))
    solver = new_solver(replace(PARAMS, seed=seed))  # one worker: deterministic time is then reproducible
    solver.parameters.max_time_in_seconds = WALL_CAP_FACTOR * budget_s + 1.0
    used_s, proven, wall_capped = 0.0, True, False
    solution = None
    for index, stage in enumerate(stages):
        remaining_s = budget_s - used_s
        if remaining_s <= 0:
            proven = False
            break
        objective = sum(weight * dm.terms[name] for name, weight in stage)
        dm.model.minimize(objective)
        solver.parameters.max_deterministic_time = max(remaining_s / (len(stages) - index), MIN_STAGE_BUDGET_S)
        status = solver.solve(dm.model)
        used_s += solver.deterministic_time
        wall_capped |= solver.wall_time >= solver.parameters.max_time_in_seconds
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            proven = False
            break
        solution = _read(dm, solver)
        proven &= status == cp_model.OPTIMAL
        dm.model.add(objective <= int(round(solver.objective_value)))  # fix this stage before the next
        _hint(dm, solution)
    if solution is None:
        plan = greedy.solve(instance)
        return plan, Status.GREEDY_FALLBACK, wall_capped
    rescues, trips = solution
    plan = build_plan(instance, rescues, trips, source="cp-sat")
    return plan, Status.OPTIMAL if proven else Status.FEASIBLE, wall_capped


def _read(dm, solver: cp_model.CpSolver) -> tuple[dict[str, int], frozenset[str]]:
    rescues = {option_id: int(solver.value(dm.passengers[option_id]))
               for option_id, used in dm.use_rescue.items() if solver.boolean_value(used)}
    trips = frozenset(option_id for option_id, used in dm.use_trip.items() if solver.boolean_value(used))
    return rescues, trips


def _hint(dm, solution: tuple[dict[str, int], frozenset[str]]) -> None:
    """Start the next stage from this stage's plan (it stays feasible: the stage is fixed at its value)."""
    rescues, trips = solution
    dm.model.clear_hints()
    for option_id, used in dm.use_rescue.items():
        dm.model.add_hint(used, option_id in rescues)
        dm.model.add_hint(dm.passengers[option_id], rescues.get(option_id, 0))
    for option_id, used in dm.use_trip.items():
        dm.model.add_hint(used, option_id in trips)


