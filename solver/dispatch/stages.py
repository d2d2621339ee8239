"""The lexicographic stage loop: minimise the objective terms stage by stage, fixing each stage at
the value it reached before the next, each stage starting from the best plan known.

Consecutive terms share a stage with mixed-radix weights (:func:`lexicographic_stages`), so fewer
CP-SAT calls order plans exactly lexicographically. Every call takes its limit from the solve's
:class:`~solver.dispatch.params.Allowance` (wall-clock or deterministic seconds alike).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from fleetplan.instance import Instance
from fleetplan.plan import Objective
from fleetplan.units import ceil_minutes

from solver.dispatch.model import DispatchModel
from solver.dispatch.params import Allowance, SolveParams
from solver.dispatch.plans import (
    delay_min_per_passenger,
    group_by,
    km,
    late_penalty,
    own_passengers_delay_min,
    recrewing_options,
    rescues_of_group,
    unreached_penalty,
    visit_late_penalty,
    visits_of_group,
)

MIN_STAGE_TIME_S = 0.02
# A stage may use most of the time left: an earlier term outranks all later ones, and every later
# stage starts from a plan already (the previous stage's), so a short stage still answers.
LATER_STAGE_WEIGHT = 0.25
MAX_STAGE_BITS = 40  # keep each stage's objective well inside CP-SAT's integer range
# Terms that open a stage of their own on a large model. Empty running weighted behind the trips in one
# objective kept the 1,000-coach benchmark from closing in 30 s; as two stages both close in about 2 s.
# On the desk's small models the extra stage is only an extra CP-SAT call (docs/benchmarks.md, stop 35).
STAGE_OPENERS = frozenset({"deadhead_km"})
# Full-problem workers in order of use. With two workers CP-SAT's default portfolio has none that
# linearises the at-most-one constraints, and it could not prove even "uncovered trips ≥ 0" within a
# second (18 % of single incidents ran out their deadline); max_lp proves these bounds at once.
SUBSOLVERS = ("max_lp", "core", "default_lp", "quick_restart", "reduced_costs", "no_lp")

# Stages that gain from CP-SAT's presolve. The earlier ones (the rescue terms, then the trips) are
# assignments whose LP bound is found at once: on the 1,000-coach benchmark presolve took 0.08-0.11 s of
# their 0.13-0.45 s a call and removed little, while the empty-running stage closed slower without it
# (docs/benchmarks.md, stop 40). A stage presolves when it holds any of these terms (:func:`presolved`).
PRESOLVED_TERMS = frozenset({"deadhead_km", "coverage_lost", "rescue_coaches"})

KEEP_PROPOSED_SHARE = 0.2  # of the time left, at most, for breaking a tie toward the crews proposed before
Stage = list[tuple[str, int]]  # (term name, weight) in order


def stage_time(remaining_s: float, later_stages: int) -> float:
    """The time limit of a stage with ``later_stages`` still to come: each of them keeps a quarter of
    this stage's share."""
    return remaining_s / (1 + LATER_STAGE_WEIGHT * later_stages)


# --------------------------------------------------------------------------- stages and their bounds
def term_upper_bounds(instance: Instance) -> dict[str, int]:
    """An upper bound of every objective term over all plans of ``instance``, in the objective's order."""
    groups = instance.groups
    by_crew = group_by(instance.rescue_options, lambda o: o.crew_id)
    trips_by_crew = group_by(instance.trip_options, lambda o: o.crew_id)
    trips_by_task = group_by(instance.trip_options, lambda o: o.trip_id)
    worst_late = {
        g.id: max(
            [unreached_penalty(instance, g.id)]
            + [late_penalty(instance, o) for o in rescues_of_group(instance, g.id)]
            + [visit_late_penalty(instance, g.id, v.late_s) for _, v in visits_of_group(instance, g.id)]
        )
        for g in groups
    }
    worst_delay = {
        g.id: max(
            [0]
            + [delay_min_per_passenger(o) for o in rescues_of_group(instance, g.id)]
            + [ceil_minutes(v.delay_at_destination_s) for _, v in visits_of_group(instance, g.id)]
        )
        for g in groups
    }
    routes_by_crew = group_by(instance.route_options, lambda r: r.crew_id)
    recrewing = recrewing_options(instance)
    bounds = {
        "passengers_not_reached": sum(g.passengers for g in groups),
        "late_penalty": sum(g.passengers * worst_late[g.id] for g in groups),
        "passenger_delay_min": sum(g.passengers * worst_delay[g.id] for g in groups)
        + sum(own_passengers_delay_min(o) for o in instance.rescue_options)
        + sum(own_passengers_delay_min(r) for r in instance.route_options),
        "trips_uncovered": len(instance.trip_tasks),
        "trips_retimed_min": sum(
            max(ceil_minutes(o.departure_shift_s) for o in options) for options in trips_by_task.values()
        ),
        "trips_recrewed": len({o.trip_id for o in instance.trip_options if o.id in recrewing}),
        "deadhead_km": sum(
            max([0] + [km(o.deadhead_m) for o in (*by_crew.get(c.id, []), *routes_by_crew.get(c.id, []))])
            + max([0] + [km(o.deadhead_m) for o in trips_by_crew.get(c.id, [])])
            for c in instance.crews
        ),
        "coverage_lost": sum(1 for vehicles in instance.standby_by_city.values() if vehicles),
        "rescue_coaches": len(
            {o.vehicle_id for o in instance.rescue_options} | {r.vehicle_id for r in instance.route_options}
        ),
    }
    assert tuple(bounds) == Objective.term_names()  # the stages follow this order
    return bounds


def lexicographic_stages(upper_bounds: dict[str, int], openers: frozenset[str] = STAGE_OPENERS) -> list[Stage]:
    """Consecutive terms (in the order of ``upper_bounds``) packed into stages with mixed-radix weights.

    Inside a stage, a term's weight is the product of (bound + 1) of the terms after it, so the
    weighted sum orders plans exactly lexicographically; a stage closes before its largest possible
    value would exceed ``2**MAX_STAGE_BITS`` and at every term of ``openers`` (by default
    :data:`STAGE_OPENERS`). Fewer stages mean fewer CP-SAT calls.
    """
    stages: list[list[str]] = [[]]
    span = 1
    for name, bound in upper_bounds.items():
        radix = bound + 1
        if stages[-1] and (span * radix > 2**MAX_STAGE_BITS or name in openers):
            stages.append([])
            span = 1
        stages[-1].append(name)
        span *= radix
    weighted = []
    for names in stages:
        weights, weight = [], 1
        for name in reversed(names):
            weights.append((name, weight))
            weight *= upper_bounds[name] + 1
        weighted.append(list(reversed(weights)))
    return weighted


def presolved(stage: Stage) -> bool:
    """Whether CP-SAT presolves the model for ``stage`` (see :data:`PRESOLVED_TERMS`)."""
    return any(name in PRESOLVED_TERMS for name, _ in stage)


def decode(stage: Stage, value: int) -> dict[str, int]:
    """Split a stage's combined bound back into per-term bounds (the leading term is exact)."""
    decoded = {}
    for name, weight in stage:
        decoded[name], value = divmod(max(value, 0), weight)
    return decoded


# --------------------------------------------------------------------------- solutions and hints
@dataclass(frozen=True)
class Solution:
    """The chosen options: rescue option id → passengers, the trip option ids, and route option id →
    passengers taken at each of its scenes."""

    rescues: dict[str, int]
    trips: frozenset[str]
    routes: dict[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass
class StagesReached:
    """What a run of lexicographic stages reached: the last solution (None if none was found), the
    values and proven bounds of the terms it minimised, and whether CP-SAT proved there is none."""

    solution: Solution | None = None
    values: dict[str, int] = field(default_factory=dict)
    bounds: dict[str, int] = field(default_factory=dict)
    proven: bool = True
    infeasible: bool = False


def read_solution(dm: DispatchModel, solver: cp_model.CpSolver) -> Solution:
    rescues = {o: int(solver.value(dm.passengers[o])) for o, v in dm.use_rescue.items() if solver.boolean_value(v)}
    trips = frozenset(o for o, v in dm.use_trip.items() if solver.boolean_value(v))
    routes = {
        route.id: tuple(int(solver.value(dm.route_passengers[route.id, g])) for g in route.group_ids)
        for route in dm.instance.route_options
        if solver.boolean_value(dm.use_route[route.id])
    }
    return Solution(rescues, trips, routes)


def hint(dm: DispatchModel, solution: Solution) -> None:
    """Start from a solution's options (CP-SAT completes the other variables)."""
    dm.model.clear_hints()
    for option_id, var in dm.use_rescue.items():
        dm.model.add_hint(var, option_id in solution.rescues)
        dm.model.add_hint(dm.passengers[option_id], solution.rescues.get(option_id, 0))
    for option_id, var in dm.use_trip.items():
        dm.model.add_hint(var, option_id in solution.trips)
    for route in dm.instance.route_options:
        loads = solution.routes.get(route.id, (0,) * len(route.visits))
        dm.model.add_hint(dm.use_route[route.id], route.id in solution.routes)
        for group_id, pax in zip(route.group_ids, loads):
            dm.model.add_hint(dm.route_passengers[route.id, group_id], pax)


def _hint_everything(dm: DispatchModel, solver: cp_model.CpSolver) -> None:
    """Start the next stage from the last solution, every variable of it: a complete hint is taken
    as is, where a partial one must first be completed by a search of its own."""
    dm.model.clear_hints()
    values = list(solver.response_proto.solution)  # one value per model variable, in index order
    dm.model.proto.solution_hint.vars.extend(range(len(values)))
    dm.model.proto.solution_hint.values.extend(values)


# --------------------------------------------------------------------------- the loop
def minimise_stages(
    dm: DispatchModel,
    stages: list[Stage],
    params: SolveParams,
    allowance: Allowance,
    stages_after: int = 0,
    first: StagesReached | None = None,
) -> StagesReached:
    """Minimise each stage in turn, fixing it at the value reached before the next.

    Parameters
    ----------
    dm
        The model; each stage's optimum is added to it as a constraint.
    stages
        From :func:`lexicographic_stages`.
    params
        Workers and seed.
    allowance
        What this run may spend; it is shared among this run's stages and ``stages_after`` later ones.
    stages_after
        Stages that will run after this run (on another model), which keep their share.
    first
        Stages already run (their solution starts this run, their bounds and proof carry over).

    Returns
    -------
    StagesReached
    """
    solver = new_solver(params)
    reached = StagesReached(
        solution=first.solution if first else None,
        bounds=dict(first.bounds) if first else {},
        proven=first.proven if first else True,
    )
    for index, stage in enumerate(stages):
        remaining = allowance.left_s()
        if remaining <= 0:
            reached.proven = False
            break
        objective = sum(weight * dm.terms[name] for name, weight in stage)
        dm.model.minimize(objective)
        later = len(stages) - index - 1 + stages_after
        allowance.limit(solver, max(stage_time(remaining, later), MIN_STAGE_TIME_S))
        solver.parameters.cp_model_presolve = presolved(stage)
        status = solver.solve(dm.model)
        allowance.charge(solver)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            reached.infeasible = reached.solution is None and status == cp_model.INFEASIBLE
            reached.proven = False
            break
        reached.solution = read_solution(dm, solver)
        reached.values.update({name: int(solver.value(dm.terms[name])) for name, _ in stage})
        reached.bounds.update(decode(stage, int(math.ceil(solver.best_objective_bound - 1e-6))))
        if status != cp_model.OPTIMAL:
            reached.proven = False
        dm.model.add(objective <= int(round(solver.objective_value)))  # fix this stage before the next
        _hint_everything(dm, solver)
    return reached


def keep_proposed(dm: DispatchModel, reached: StagesReached, params: SolveParams, allowance: Allowance) -> None:
    """Among the plans as good as ``reached`` on every term (the stages fixed each one), the one that
    uses the most of ``params.keep``'s crews: a tie is broken toward what was proposed before, never
    by the search's order. A crew kept for an incident counts only where it goes to that incident's
    passengers (planned together, a crew moved to another incident is a changed proposal). Keeps
    ``reached``'s plan when no time is left or nothing better is found."""
    incident_of = {group.id: group.incident_id for group in dm.instance.groups}

    def proposed(vehicle_id: str, driver_id: str, group_ids: Iterable[str]) -> bool:
        return (vehicle_id, driver_id) in params.keep or any(
            (vehicle_id, driver_id, incident_of[group_id]) in params.keep for group_id in group_ids
        )

    options = {option.id: option for option in dm.instance.rescue_options}
    kept = [
        use
        for option_id, use in dm.use_rescue.items()
        if proposed(options[option_id].vehicle_id, options[option_id].driver_id, (options[option_id].group_id,))
    ]
    kept += [
        dm.use_route[route.id]
        for route in dm.instance.route_options
        if proposed(route.vehicle_id, route.driver_id, route.group_ids)
    ]
    if not kept or reached.solution is None or allowance.left_s() <= 0:
        return
    dm.model.maximize(sum(kept))
    solver = new_solver(params)
    allowance.limit(solver, max(allowance.left_s() * KEEP_PROPOSED_SHARE, MIN_STAGE_TIME_S))
    status = solver.solve(dm.model)
    allowance.charge(solver)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        reached.solution = read_solution(dm, solver)


def bound_of(reached: StagesReached) -> Objective:
    """The lexicographic lower bound the stages proved (0 for a term no stage reached)."""
    return Objective(**{name: reached.bounds.get(name, 0) for name in Objective.term_names()})


def new_solver(params: SolveParams) -> cp_model.CpSolver:
    """A CP-SAT solver for the dispatch model: its workers, seed and LP-strong portfolio."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = params.workers
    solver.parameters.random_seed = params.seed
    if params.workers == 1:
        solver.parameters.linearization_level = 2  # the one worker is then max_lp
    else:
        solver.parameters.subsolvers.extend(SUBSOLVERS)
    # Presolve runs again at every stage. On the 1,000-coach benchmark its symmetry search ran into
    # its default one-second limit and probing took 0.3 s a stage, for no gain in the search; of its
    # three passes, the later two cost each call about a third of its presolve and found little.
    solver.parameters.symmetry_detection_deterministic_time_limit = 0.1
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.max_presolve_iterations = 1
    return solver
