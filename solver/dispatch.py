"""CP-SAT dispatch: choose rescue and trip options for an :class:`~fleetplan.instance.Instance`.

The instance already holds every feasible option with its times and distances, so the model is an
assignment: which options are used and how many passengers each rescue takes. Each constraint family
is one small function; the lexicographic objective is minimised stage by stage, fixing each term at
its optimum before the next; alternatives exclude the option sets already returned.

Solving order: the rescue terms on a model of the rescues alone (exact for them, and much smaller);
the rescue options their values rule out dropped (:mod:`solver.fixing`); then the trip and cost terms
on the full model, each stage starting from the best plan that keeps the previous stage's rescues.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from fleetplan.instance import Instance
from fleetplan.plan import Objective, Plan

from solver import greedy
from solver.fixing import rescue_options_ruled_out, without_rescue_options
from solver.plans import (build_plan, ceil_min, delay_min_per_passenger, group_by, km, late_penalty,
                          own_passengers_delay_min, rescues_of_group, unreached_penalty)
from solver.relax import find_relaxations
from solver.result import Result, SolveParams, Status

MIN_STAGE_TIME_S = 0.02
# A stage may use most of the time left: an earlier term outranks all later ones, and every later
# stage starts from a plan already (the previous stage's), so a short stage still answers.
LATER_STAGE_WEIGHT = 0.25


def stage_time(remaining_s: float, later_stages: int) -> float:
    """The time limit of a stage with ``later_stages`` still to come: each of them keeps a quarter of
    this stage's share."""
    return remaining_s / (1 + LATER_STAGE_WEIGHT * later_stages)


# --------------------------------------------------------------------------- the model
@dataclass
class DispatchModel:
    """A CP-SAT model of one instance with its variables and named objective terms."""

    instance: Instance
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    use_rescue: dict[str, cp_model.IntVar] = field(default_factory=dict)
    passengers: dict[str, cp_model.IntVar] = field(default_factory=dict)
    use_trip: dict[str, cp_model.IntVar] = field(default_factory=dict)
    crew_starts: dict[str, list[cp_model.IntVar]] = field(default_factory=dict)  # rescues and standalone trips
    crew_used: dict[str, cp_model.LinearExprT] = field(default_factory=dict)  # the sum of its starts (0 or 1)
    # Slacks as variables of their own, so that every objective term is a non-negative sum: CP-SAT
    # then bounds a stage from below at once instead of searching to prove "1 - covers ≥ 0".
    left_behind: dict[str, cp_model.IntVar] = field(default_factory=dict)  # group → passengers not carried
    not_on_time: dict[str, cp_model.IntVar] = field(default_factory=dict)  # group → not reached in the limit
    uncovered: dict[str, cp_model.IntVar] = field(default_factory=dict)  # trip task → runs nobody
    vehicle_used: dict[str, cp_model.LinearExprT] = field(default_factory=dict)
    terms: dict[str, cp_model.LinearExprT] = field(default_factory=dict)


def build_model(instance: Instance, params: SolveParams) -> DispatchModel:
    """The complete model: variables, every constraint family and the objective terms."""
    dm = DispatchModel(instance)
    add_option_variables(dm)
    add_seat_limits(dm)
    add_group_passenger_limits(dm, params)
    add_crew_sequences(dm)
    add_vehicle_and_driver_exclusivity(dm)
    add_trip_coverage(dm)
    add_interchangeable_order(dm)
    add_objective_terms(dm, params)
    return dm


def add_option_variables(dm: DispatchModel) -> None:
    """One boolean per option, a passenger count per rescue option."""
    for option in dm.instance.rescue_options:
        dm.use_rescue[option.id] = dm.model.new_bool_var(f"use_{option.id}")
        group = dm.instance.group(option.group_id)
        dm.passengers[option.id] = dm.model.new_int_var(0, min(option.capacity, group.passengers), f"pax_{option.id}")
    for option in dm.instance.trip_options:
        dm.use_trip[option.id] = dm.model.new_bool_var(f"use_{option.id}")


def add_seat_limits(dm: DispatchModel) -> None:
    """A rescue carries passengers only if used, never more than its seats, and at least one."""
    for option in dm.instance.rescue_options:
        use, pax = dm.use_rescue[option.id], dm.passengers[option.id]
        dm.model.add(pax <= option.capacity * use)
        dm.model.add(pax >= 1).only_enforce_if(use)


def add_group_passenger_limits(dm: DispatchModel, params: SolveParams) -> None:
    """No group sends off more passengers than it has; without splitting, one vehicle per group."""
    for group in dm.instance.groups:
        options = rescues_of_group(dm.instance, group.id)
        left = dm.left_behind[group.id] = dm.model.new_int_var(0, group.passengers, f"left_{group.id}")
        late = dm.not_on_time[group.id] = dm.model.new_int_var(0, group.passengers, f"late_{group.id}")
        dm.model.add(sum(dm.passengers[o.id] for o in options) + left == group.passengers)
        dm.model.add(sum(dm.passengers[o.id] for o in options if o.late_s == 0) + late == group.passengers)
        if not params.allow_split:
            dm.model.add_at_most_one(dm.use_rescue[o.id] for o in options)
        if params.hard_limits:
            dm.model.add(late == 0)


def add_crew_sequences(dm: DispatchModel) -> None:
    """A crew does at most one rescue and at most one trip; a trip chained after a rescue needs that
    rescue, and a standalone trip option excludes any rescue of the crew.

    A crew's *starts* are its rescue options and its standalone trip options: at most one of them is
    used, and the crew is used exactly when one is (a chained trip implies its rescue). One clique per
    crew instead of an implication per (rescue, trip) pair keeps the model small and its LP tight.
    """
    rescues_by_crew = group_by(dm.instance.rescue_options, lambda o: o.crew_id)
    trips_by_crew = group_by(dm.instance.trip_options, lambda o: o.crew_id)
    for crew in dm.instance.crews:
        trips = trips_by_crew.get(crew.id, [])
        starts = [dm.use_rescue[o.id] for o in rescues_by_crew.get(crew.id, [])] + \
            [dm.use_trip[o.id] for o in trips if o.after_rescue_id is None]
        dm.model.add_at_most_one(starts)
        dm.model.add_at_most_one(dm.use_trip[o.id] for o in trips)
        for option in trips:
            if option.after_rescue_id is not None:
                dm.model.add_implication(dm.use_trip[option.id], dm.use_rescue[option.after_rescue_id])
        dm.crew_starts[crew.id] = starts
        dm.crew_used[crew.id] = sum(starts)


def add_vehicle_and_driver_exclusivity(dm: DispatchModel) -> None:
    """A coach and a driver belong to at most one crew in the plan: one clique over the starts of all
    their crews."""
    by_vehicle = group_by(dm.instance.crews, lambda c: c.vehicle_id)
    by_driver = group_by(dm.instance.crews, lambda c: c.driver_id)
    for vehicle_id, crews in by_vehicle.items():
        dm.model.add_at_most_one(start for c in crews for start in dm.crew_starts[c.id])
        dm.vehicle_used[vehicle_id] = sum(dm.crew_used[c.id] for c in crews)
    for crews in by_driver.values():
        dm.model.add_at_most_one(start for c in crews for start in dm.crew_starts[c.id])


def add_trip_coverage(dm: DispatchModel) -> None:
    """Each trip task is run by at most one option (uncovered otherwise, which the objective counts)."""
    by_trip = group_by(dm.instance.trip_options, lambda o: o.trip_id)
    for task in dm.instance.trip_tasks:
        uncovered = dm.uncovered[task.trip_id] = dm.model.new_bool_var(f"uncovered_{task.trip_id}")
        dm.model.add_exactly_one([dm.use_trip[o.id] for o in by_trip.get(task.trip_id, [])] + [uncovered])


def add_interchangeable_order(dm: DispatchModel) -> None:
    """Interchangeable drivers, and interchangeable coaches, are used in id order.

    Two drivers are interchangeable when they pair with the same coaches and each option of one has
    a twin of the other with the same numbers (spare drivers at a depot, usually); swapping them
    changes no term, so a plan using the second and not the first is a mirror image the search need
    not visit (lex-leader symmetry breaking). Coaches likewise (identical backups at one depot).
    Swapping coaches keeps drivers interchangeable and vice versa, so both orders hold together.
    """
    crews_by_driver = group_by(dm.instance.crews, lambda c: c.driver_id)
    crews_by_vehicle = group_by(dm.instance.crews, lambda c: c.vehicle_id)
    crew_signature = _crew_signatures(dm.instance)
    standby = {v for vehicles in dm.instance.standby_by_city.values() for v in vehicles}
    driver_used = {d: sum(dm.crew_used[c.id] for c in crews) for d, crews in crews_by_driver.items()}
    driver_classes = group_by(crews_by_driver, lambda d: tuple(sorted(
        (c.vehicle_id, crew_signature[c.id]) for c in crews_by_driver[d])))
    vehicle_classes = group_by(crews_by_vehicle, lambda v: (v in standby, tuple(sorted(
        (c.driver_id, crew_signature[c.id]) for c in crews_by_vehicle[v]))))
    for members, used in ((driver_classes, driver_used), (vehicle_classes, dm.vehicle_used)):
        for same in members.values():
            ordered = sorted(same)
            for first, second in zip(ordered, ordered[1:]):
                dm.model.add(used[second] <= used[first])


def _crew_signatures(instance: Instance) -> dict[str, tuple]:
    """Per crew, everything the model reads from it and its options, without coach or driver ids."""
    rescue_group = {o.id: o.group_id for o in instance.rescue_options}
    rescues = group_by(instance.rescue_options, lambda o: o.crew_id)
    trips = group_by(instance.trip_options, lambda o: o.crew_id)
    return {crew.id: (crew.kind, crew.capacity,
                      tuple(sorted((o.group_id, o.capacity, o.late_s, o.delay_at_destination_s, o.own_passengers,
                                    o.own_passenger_delay_s, o.deadhead_m) for o in rescues.get(crew.id, ()))),
                      tuple(sorted((o.trip_id, rescue_group.get(o.after_rescue_id, ""), o.departure_shift_s,
                                    o.deadhead_m) for o in trips.get(crew.id, ()))))
            for crew in instance.crews}


def add_objective_terms(dm: DispatchModel, params: SolveParams) -> None:
    """The lexicographic terms of :class:`~fleetplan.plan.Objective`, as linear expressions."""
    instance, pax, use_r, use_t = dm.instance, dm.passengers, dm.use_rescue, dm.use_trip
    dm.terms["passengers_not_reached"] = sum(dm.not_on_time.values())
    dm.terms["late_penalty"] = sum(pax[o.id] * late_penalty(instance, o) for o in instance.rescue_options) + \
        sum(unreached_penalty(instance, g.id) * dm.left_behind[g.id] for g in instance.groups)
    dm.terms["passenger_delay_min"] = sum(
        pax[o.id] * delay_min_per_passenger(o) + use_r[o.id] * own_passengers_delay_min(o) for o in instance.rescue_options)
    dm.terms["trips_uncovered"] = sum(dm.uncovered.values())
    dm.terms["trips_retimed_min"] = sum(use_t[o.id] * ceil_min(o.departure_shift_s) for o in instance.trip_options)
    dm.terms["deadhead_km"] = sum(use_r[o.id] * km(o.deadhead_m) for o in instance.rescue_options) + \
        sum(use_t[o.id] * km(o.deadhead_m) for o in instance.trip_options)
    dm.terms["coverage_lost"] = _coverage_lost(dm)


def _coverage_lost(dm: DispatchModel) -> cp_model.LinearExprT:
    """Depot cities whose standby coaches are all used by the plan."""
    lost_terms = []
    for city, vehicle_ids in dm.instance.standby_by_city.items():
        if not vehicle_ids:
            continue
        lost = dm.model.new_bool_var(f"coverage_lost_{city}")
        used = [dm.vehicle_used.get(v, 0) for v in vehicle_ids]
        # lost ⇔ every standby coach of the city is used
        dm.model.add(sum(used) <= len(vehicle_ids) - 1 + lost)
        dm.model.add(sum(used) >= len(vehicle_ids) * lost)
        lost_terms.append(lost)
    return sum(lost_terms)


# --------------------------------------------------------------------------- solving
def solve(instance: Instance, params: SolveParams = SolveParams()) -> Result:
    """Ranked plans for ``instance`` within ``params.time_limit_s``.

    Returns ``optimal`` or ``feasible`` plans from CP-SAT (with the bound when not proven), the greedy
    plan marked ``greedy_fallback`` when the model finds nothing in time, or ``infeasible`` with
    reasons and the smallest relaxations when some passengers cannot be carried.
    """
    started = time.perf_counter()
    deadline = started + params.time_limit_s
    plans: list[Plan] = []
    bound: Objective | None = None
    all_optimal = True
    for rank in range(max(1, params.alternatives)):
        remaining = deadline - time.perf_counter()
        if rank > 0 and remaining < MIN_STAGE_TIME_S * len(Objective.term_names()):
            break
        # the best plan may use most of the budget; alternatives share what is left
        budget = remaining * (0.6 if rank == 0 and params.alternatives > 1 else 1.0 / (params.alternatives - rank))
        solution = _solve_lexicographic(instance, params, [p.assignment() for p in plans], budget)
        if solution is INFEASIBLE_MODEL and rank == 0:  # only hard limits can make the model infeasible
            return _infeasible(instance, params, started, plan=None)
        if solution is None or solution is INFEASIBLE_MODEL:
            if rank == 0:
                return _fallback(instance, params, started)
            break
        plan, proven, stage_bound = solution
        plans.append(plan)
        if rank == 0:
            all_optimal, bound = proven, (None if proven else stage_bound)
    if not all_optimal:  # before judging feasibility: greedy may carry whom a cut search left behind
        plans = _never_worse_than_greedy(instance, plans)
    best = plans[0]
    if _is_infeasible(instance, best, params):
        return _infeasible(instance, params, started, plan=best)
    status = Status.OPTIMAL if all_optimal else Status.FEASIBLE
    return Result(status, tuple(plans), instance.rejections, _elapsed_ms(started), bound)


def _never_worse_than_greedy(instance: Instance, plans: list[Plan]) -> list[Plan]:
    """A deadline-cut search can end behind the hand-made plan; then the greedy plan ranks first."""
    baseline = greedy.solve(instance)
    if baseline.objective < plans[0].objective:
        others = [p for p in plans if p.assignment() != baseline.assignment()]
        return [baseline] + others[: max(len(plans) - 1, 0)]
    return plans


INFEASIBLE_MODEL = object()  # marker: CP-SAT proved the model has no solution


def _solve_lexicographic(instance: Instance, params: SolveParams, excluded: list[frozenset],
                         budget_s: float) -> tuple[Plan, bool, Objective] | object | None:
    """Minimise the terms in order, fixing each stage at its optimum; None if no solution in time,
    ``INFEASIBLE_MODEL`` if the model provably has none.

    The leading terms (:data:`RESCUE_TERMS`) are settled first on the rescues alone (see
    :func:`_settle_rescue_terms`); the full model then only orders the trips and the rest.
    """
    deadline = time.perf_counter() + budget_s  # building the models spends the same budget
    upper_bounds = term_upper_bounds(instance)
    settled: _Stages | None = None
    modelled = instance
    # Without trips the rescues-only model is the model itself. With excluded plans the full model
    # may not reach the rescues-only optimum (the exclusion can forbid its only extension).
    if instance.trip_tasks and not excluded:
        settled = _settle_rescue_terms(instance, params, deadline, upper_bounds)
        if settled.solution is None:
            return settled.nothing()
        modelled = _without_ruled_out_rescues(instance, settled)
    dm = build_model(modelled, params)
    for signature in excluded:
        exclude_assignment(dm, signature)
    if settled is not None:
        for name, value in settled.values.items():
            dm.model.add(dm.terms[name] <= value)
        _hint(dm, settled.solution)
    open_terms = {name: bound for name, bound in upper_bounds.items() if settled is None or name not in settled.values}
    stages = _minimise_stages(dm, lexicographic_stages(open_terms), params, deadline, first=settled)
    if stages.solution is None:
        return stages.nothing()
    plan = build_plan(instance, stages.solution.rescues, stages.solution.trips, source="cp-sat")
    bound = Objective(**{name: stages.bounds.get(name, 0) for name in Objective.term_names()})
    return plan, stages.proven, bound


def _without_ruled_out_rescues(instance: Instance, settled: _Stages) -> Instance:
    """The instance the full model needs once the rescue terms are settled: without the rescue
    options (and their chained trips) that :mod:`solver.fixing` rules out. The settled plan's own
    rescues always stay, whatever the LP's tolerances say."""
    ruled_out = rescue_options_ruled_out(instance, settled.values) - settled.solution.rescues.keys()
    return without_rescue_options(instance, ruled_out)


# The leading objective terms that depend on the rescues alone. Every rescue-only plan extends to a
# full plan by leaving the trip tasks uncovered, so their optimum over the rescue options alone is
# their optimum over the full model: a smaller model settles them exactly.
RESCUE_TERMS = ("passengers_not_reached", "late_penalty", "passenger_delay_min")
assert Objective.term_names()[:len(RESCUE_TERMS)] == RESCUE_TERMS


@dataclass
class _Stages:
    """What a run of lexicographic stages reached: the last solution (None if none was found), the
    values and proven bounds of the terms it minimised, and whether CP-SAT proved there is none."""

    solution: _Solution | None = None
    values: dict[str, int] = field(default_factory=dict)
    bounds: dict[str, int] = field(default_factory=dict)
    proven: bool = True
    infeasible: bool = False

    def nothing(self) -> object | None:
        """What :func:`_solve_lexicographic` returns without a solution."""
        return INFEASIBLE_MODEL if self.infeasible else None


def _settle_rescue_terms(instance: Instance, params: SolveParams, deadline: float,
                         upper_bounds: dict[str, int]) -> _Stages:
    """The optimum of :data:`RESCUE_TERMS` on the instance without its trips (a relaxation whose
    optimum is exact for these terms), with the rescues that reach it and the greedy trip covers."""
    rescues_only = replace(instance, trip_tasks=(), trip_options=())
    dm = build_model(rescues_only, params)
    stages = lexicographic_stages({name: upper_bounds[name] for name in RESCUE_TERMS})
    settled = _minimise_stages(dm, stages, params, deadline, stages_after=1)
    if settled.solution is not None:  # with the trips a dispatcher would add, in case time runs out
        rescues = settled.solution.rescues
        settled.solution = _Solution(rescues, frozenset(greedy.cover_trips(instance, rescues)))
    return settled


KEPT_RESCUES_SHARE = 0.2  # of the stage's time, at most, for its start from the kept rescues


def _hint_best_with_rescues_kept(dm: DispatchModel, solution: _Solution, objective: cp_model.LinearExprT,
                                  params: SolveParams, time_limit_s: float) -> None:
    """Hint the stage about to run with the best plan that keeps ``solution``'s rescues.

    With the rescues fixed, what remains is an assignment of crews to trips that CP-SAT closes in a
    fraction of the stage's time. The previous stage's plan is indifferent to this stage's terms, so
    this start is usually far better than it; the stage then searches from there."""
    fixed = dm.model.clone()
    for option_id, use in dm.use_rescue.items():
        fixed.add(fixed.get_bool_var_from_proto_index(use.index) == (option_id in solution.rescues))
        pax = dm.passengers[option_id]
        fixed.add(fixed.get_int_var_from_proto_index(pax.index) == solution.rescues.get(option_id, 0))
    fixed.minimize(objective)
    solver = new_solver(params)
    solver.parameters.max_time_in_seconds = time_limit_s
    if solver.solve(fixed) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        _hint_everything(dm, solver)


def _minimise_stages(dm: DispatchModel, stages: list[list[tuple[str, int]]], params: SolveParams,
                     deadline: float, stages_after: int = 0, first: _Stages | None = None) -> _Stages:
    """Minimise each stage in turn, fixing it at the value reached before the next; the time left is
    shared among this run's stages and ``stages_after`` later ones. ``first``: stages already run."""
    solver = new_solver(params)
    reached = _Stages(solution=first.solution if first else None, bounds=dict(first.bounds) if first else {},
                      proven=first.proven if first else True)
    for index, stage in enumerate(stages):
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            reached.proven = False
            break
        objective = sum(weight * dm.terms[name] for name, weight in stage)
        if reached.solution is not None and dm.instance.trip_options:
            _hint_best_with_rescues_kept(dm, reached.solution, objective, params, KEPT_RESCUES_SHARE * remaining)
            remaining = deadline - time.perf_counter()
        dm.model.minimize(objective)
        later = len(stages) - index - 1 + stages_after
        solver.parameters.max_time_in_seconds = max(stage_time(remaining, later), MIN_STAGE_TIME_S)
        status = solver.solve(dm.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            reached.infeasible = reached.solution is None and status == cp_model.INFEASIBLE
            reached.proven = False
            break
        reached.solution = _read_solution(dm, solver)
        reached.values.update({name: int(solver.value(dm.terms[name])) for name, _ in stage})
        reached.bounds.update(_decode(stage, int(math.ceil(solver.best_objective_bound - 1e-6))))
        if status != cp_model.OPTIMAL:
            reached.proven = False
        dm.model.add(objective <= int(round(solver.objective_value)))  # fix this stage before the next
        _hint_everything(dm, solver)
    return reached


# Full-problem workers in order of use. With two workers CP-SAT's default portfolio has none that
# linearises the at-most-one constraints, and it could not prove even "uncovered trips ≥ 0" within a
# second (18 % of single incidents ran out their deadline); max_lp proves these bounds at once.
SUBSOLVERS = ("max_lp", "core", "default_lp", "quick_restart", "reduced_costs", "no_lp")


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
    # its default one-second limit and probing took 0.3 s a stage, for no gain in the search.
    solver.parameters.symmetry_detection_deterministic_time_limit = 0.1
    solver.parameters.cp_model_probing_level = 0
    return solver


MAX_STAGE_BITS = 40  # keep each stage's objective well inside CP-SAT's integer range
# Terms that always open a stage of their own. Empty running weighted behind the trips in one
# objective kept the 1,000-coach benchmark from closing in 30 s; as two stages both close in about 2 s.
STAGE_OPENERS = frozenset({"deadhead_km"})


def term_upper_bounds(instance: Instance) -> dict[str, int]:
    """An upper bound of every objective term over all plans of ``instance``."""
    groups = instance.groups
    by_crew = group_by(instance.rescue_options, lambda o: o.crew_id)
    trips_by_crew = group_by(instance.trip_options, lambda o: o.crew_id)
    trips_by_task = group_by(instance.trip_options, lambda o: o.trip_id)
    worst_late = {g.id: max([unreached_penalty(instance, g.id)] + [late_penalty(instance, o) for o in rescues_of_group(instance, g.id)])
                  for g in groups}
    worst_delay = {g.id: max([0] + [delay_min_per_passenger(o) for o in rescues_of_group(instance, g.id)]) for g in groups}
    return {
        "passengers_not_reached": sum(g.passengers for g in groups),
        "late_penalty": sum(g.passengers * worst_late[g.id] for g in groups),
        "passenger_delay_min": sum(g.passengers * worst_delay[g.id] for g in groups)
        + sum(own_passengers_delay_min(o) for o in instance.rescue_options),
        "trips_uncovered": len(instance.trip_tasks),
        "trips_retimed_min": sum(max(ceil_min(o.departure_shift_s) for o in options) for options in trips_by_task.values()),
        "deadhead_km": sum(max([0] + [km(o.deadhead_m) for o in by_crew.get(c.id, [])])
                           + max([0] + [km(o.deadhead_m) for o in trips_by_crew.get(c.id, [])]) for c in instance.crews),
        "coverage_lost": sum(1 for vehicles in instance.standby_by_city.values() if vehicles),
    }


def lexicographic_stages(upper_bounds: dict[str, int]) -> list[list[tuple[str, int]]]:
    """Consecutive terms (in the order of ``upper_bounds``) packed into stages with mixed-radix weights.

    Inside a stage, a term's weight is the product of (bound + 1) of the terms after it, so the
    weighted sum orders plans exactly lexicographically; a stage closes before its largest possible
    value would exceed ``2**MAX_STAGE_BITS`` and at every term of :data:`STAGE_OPENERS`. Fewer stages
    mean fewer CP-SAT calls.
    """
    stages: list[list[str]] = [[]]
    span = 1
    for name, bound in upper_bounds.items():
        radix = bound + 1
        if stages[-1] and (span * radix > 2 ** MAX_STAGE_BITS or name in STAGE_OPENERS):
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


def _decode(stage: list[tuple[str, int]], value: int) -> dict[str, int]:
    """Split a stage's combined bound back into per-term bounds (the leading term is exact)."""
    decoded = {}
    for name, weight in stage:
        decoded[name], value = divmod(max(value, 0), weight)
    return decoded


def exclude_assignment(dm: DispatchModel, signature: frozenset) -> None:
    """Forbid exactly this assignment of coaches to tasks (a no-good cut), so the next plan differs
    in which coach serves which task, not merely in which driver is paired with it."""
    served: dict = defaultdict(list)
    for option in dm.instance.rescue_options:
        served[("rescue", option.vehicle_id, option.group_id)].append(dm.use_rescue[option.id])
    for option in dm.instance.trip_options:
        served[("trip", option.vehicle_id, option.trip_id)].append(dm.use_trip[option.id])
    literals = []
    for key, uses in served.items():
        chosen = dm.model.new_bool_var(f"serves_{key}")
        dm.model.add_max_equality(chosen, uses)
        literals.append(chosen.Not() if key in signature else chosen)
    missing = [key for key in signature if key not in served]
    if not missing:  # a signature with an unknown key cannot recur anyway
        dm.model.add_bool_or(literals)


@dataclass(frozen=True)
class _Solution:
    rescues: dict[str, int]  # option id → passengers
    trips: frozenset[str]


def _read_solution(dm: DispatchModel, solver: cp_model.CpSolver) -> _Solution:
    rescues = {o: int(solver.value(dm.passengers[o])) for o, v in dm.use_rescue.items() if solver.boolean_value(v)}
    trips = frozenset(o for o, v in dm.use_trip.items() if solver.boolean_value(v))
    return _Solution(rescues, trips)


def _hint(dm: DispatchModel, solution: _Solution) -> None:
    """Start from a solution's options (CP-SAT completes the other variables)."""
    dm.model.clear_hints()
    for option_id, var in dm.use_rescue.items():
        dm.model.add_hint(var, option_id in solution.rescues)
        dm.model.add_hint(dm.passengers[option_id], solution.rescues.get(option_id, 0))
    for option_id, var in dm.use_trip.items():
        dm.model.add_hint(var, option_id in solution.trips)


def _hint_everything(dm: DispatchModel, solver: cp_model.CpSolver) -> None:
    """Start the next stage from the last solution, every variable of it: a complete hint is taken
    as is, where a partial one must first be completed by a search of its own."""
    dm.model.clear_hints()
    values = list(solver.response_proto.solution)  # one value per model variable, in index order
    dm.model.proto.solution_hint.vars.extend(range(len(values)))
    dm.model.proto.solution_hint.values.extend(values)


# --------------------------------------------------------------------------- fallbacks and infeasibility
def _fallback(instance: Instance, params: SolveParams, started: float) -> Result:
    plan = greedy.solve(instance)
    return Result(Status.GREEDY_FALLBACK, (plan,), instance.rejections, _elapsed_ms(started),
                  reasons=("the model found no plan within the deadline; this is the greedy plan",))


def _infeasible(instance: Instance, params: SolveParams, started: float, plan: Plan | None) -> Result:
    """Infeasible as a status: the best partial plan (if any), the reasons and the relaxations."""
    reasons = _infeasibility_reasons(instance, plan, params) if plan else (
        "no plan reaches every passenger within the tier limits",)
    return Result(Status.INFEASIBLE, (plan,) if plan else (), instance.rejections, _elapsed_ms(started),
                  relaxations=find_relaxations(instance, params), reasons=reasons)


def _is_infeasible(instance: Instance, plan: Plan, params: SolveParams) -> bool:
    """Some passengers cannot be carried at all (or, with hard limits, not within their limit)."""
    if params.hard_limits and plan.objective.passengers_not_reached > 0:
        return True
    carried = _carried(plan)
    return any(carried[g.id] < g.passengers for g in instance.groups)


def _carried(plan: Plan) -> dict[str, int]:
    carried: dict[str, int] = defaultdict(int)
    for rescue in plan.rescues:
        carried[rescue.group_id] += rescue.passengers
    return carried


def _infeasibility_reasons(instance: Instance, plan: Plan, params: SolveParams) -> tuple[str, ...]:
    carried = _carried(plan)
    reasons = []
    for group in instance.groups:
        left = group.passengers - carried[group.id]
        if left > 0:
            reasons.append(f"{left} of {group.passengers} passengers of {group.incident_id} cannot be carried: "
                           f"not enough reachable seats with legal drivers")
    if params.hard_limits and plan.objective.passengers_not_reached and not reasons:
        reasons.append(f"{plan.objective.passengers_not_reached} passengers cannot be reached within their limit")
    return tuple(reasons)


def _elapsed_ms(started: float) -> int:
    return int(round((time.perf_counter() - started) * 1000))
