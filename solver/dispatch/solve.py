"""Solve a dispatch instance: ranked plans within the budget, or a status that says why not.

Solving order for each plan: the rescue terms on a model of the rescues alone (exact for them, and
much smaller), or by the fixing's LP when its solution is a plan that meets its bound
(:mod:`solver.dispatch.lp_settle`), or else first among the options a plan at that bound may use; the
rescue options their values rule out dropped (:mod:`solver.dispatch.fixing`);
then the trip and cost terms on the full model, each stage starting from the previous stage's plan.
Each alternative leaves out a rescue crew of every plan above it and serves the groups the first
plan serves (:mod:`solver.dispatch.alternatives`). Whatever the budget, the answer comes: the best
plan with its bound when a stage was cut, the greedy plan when CP-SAT found none, and
``infeasible`` with reasons and relaxations when passengers cannot be carried.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from itertools import takewhile

from fleetplan.collector import collector_paused
from fleetplan.instance import Instance
from fleetplan.phrase import Phrase, phrase
from fleetplan.plan import Objective, Plan
from fleetplan.wording import render

from solver.dispatch import greedy
from solver.dispatch.alternatives import ranked
from solver.dispatch.fixing import Relaxation, rescue_options_ruled_out, without_rescue_options
from solver.dispatch.lp_settle import EVERYONE_ON_TIME, settled_by_relaxation
from solver.dispatch.model import DispatchModel, add_alternative_cut, add_groups_served, build_model
from solver.dispatch.params import Allowance, SolveParams
from solver.dispatch.plans import build_plan, objective_from
from solver.dispatch.relax import find_relaxations
from solver.dispatch.result import Result, Status
from solver.dispatch.stages import (
    MIN_STAGE_TIME_S,
    STAGE_OPENERS,
    Solution,
    Stage,
    StagesReached,
    bound_of,
    hint,
    keep_proposed,
    lexicographic_stages,
    minimise_stages,
    term_upper_bounds,
)

# The leading objective terms that depend on the rescues alone. Every rescue-only plan extends to a
# full plan by leaving the trip tasks uncovered, so their optimum over the rescue options alone is
# their optimum over the full model: a smaller model settles them exactly.
RESCUE_TERMS = ("passengers_not_reached", "late_penalty", "passenger_delay_min")
assert Objective.term_names()[: len(RESCUE_TERMS)] == RESCUE_TERMS
BEST_PLAN_SHARE = 0.6  # of the budget, for the best plan when alternatives are wanted
GREEDY = phrase("reason.greedy")
# Below this many options CP-SAT closes the model sooner on one worker than on two: starting and
# feeding the second costs more than it finds, and a desk answering several reports at once keeps
# the other core for the next one (the default corridor: 44 ms of CP-SAT a dispatch against 66 ms).
ONE_WORKER_OPTIONS = 400
# Below this many options the full model is small without fixing (solver.dispatch.fixing): its LP
# costs more than the options it rules out save. The desk's captured dispatches (median 47 options)
# solved 3-10 % faster without it; on generated 50- to 200-coach fleets (600 to 3,600 options) it
# saved up to a fifth in five of six (docs/benchmarks.md, stop 35).
FIXING_MIN_OPTIONS = 400
# A plan at the LP's floor is searched first with at most this share of the time left; when none is
# there, the settle over every option has the rest.
LP_FLOOR_SHARE = 0.5
FLOOR_TOLERANCE = 1e-6  # the LP's floor, a whole number of minutes, may come back a hair above it
MoreWanted = Callable[[], bool]


def all_wanted() -> bool:
    """Every alternative asked for, now (the default)."""
    return True


@collector_paused()
def solve(instance: Instance, params: SolveParams = SolveParams(), more_wanted: MoreWanted = all_wanted) -> Result:
    """Ranked plans for ``instance`` within ``params.budget``.

    Parameters
    ----------
    instance
        From :func:`solver.dispatch.prepare` (every option already feasible).
    params
        Budget, alternatives wanted, workers, seed, splitting and hard limits.
    more_wanted
        Asked before each alternative: False leaves the alternatives for later (the desk answers other
        reports first) and the result says so (``alternatives_deferred``).

    Returns
    -------
    Result
        ``optimal`` or ``feasible`` plans from CP-SAT (with the bound when not proven), the greedy
        plan marked ``greedy_fallback`` when the model finds nothing in time, or ``infeasible`` with
        reasons and the smallest relaxations when some passengers cannot be carried.
    """
    allowance = Allowance(params.budget)
    params = _workers_for(instance, params)
    instance, settled_first = _routes_if_needed(instance, params, allowance)
    plans: list[Plan] = []
    bound: Objective | None = None
    all_optimal = True
    deferred = False
    for rank in range(params.alternatives):
        remaining = allowance.left_s()
        if rank > 0 and remaining < MIN_STAGE_TIME_S * len(Objective.term_names()):
            break
        if rank > 0 and not more_wanted():
            deferred = True
            break
        # the best plan may use most of the budget; alternatives share what is left
        share = BEST_PLAN_SHARE if rank == 0 and params.alternatives > 1 else 1.0 / (params.alternatives - rank)
        found = solve_lexicographic(
            instance,
            params,
            [p.rescue_crews() for p in plans],
            allowance.share(remaining * share),
            _served(plans),
            settled_first if rank == 0 else None,
        )
        if isinstance(found, NoPlan):
            if rank == 0:  # only hard limits can make the model infeasible
                return (
                    _infeasible(instance, params, allowance, None, proven=True)
                    if found.infeasible
                    else _fallback(instance, allowance)
                )
            break
        plans.append(found.plan)
        if rank == 0:
            all_optimal, bound = found.proven, (None if found.proven else found.bound)
    if not all_optimal:  # before judging feasibility: greedy may carry whom a cut search left behind
        plans = _never_worse_than_greedy(instance, plans)
    plans = list(ranked(plans))
    if _is_infeasible(instance, plans[0], params):
        return _infeasible(instance, params, allowance, plans[0], proven=all_optimal)
    status = Status.OPTIMAL if all_optimal else Status.FEASIBLE
    return Result(
        status,
        tuple(plans),
        instance.rejections,
        _elapsed_ms(allowance),
        bound,
        wall_capped=allowance.wall_capped,
        proven=all_optimal,
        alternatives_deferred=deferred,
    )


def _workers_for(instance: Instance, params: SolveParams) -> SolveParams:
    """``params`` with one CP-SAT worker when the model is small (see :data:`ONE_WORKER_OPTIONS`)."""
    small = _options(instance) < ONE_WORKER_OPTIONS
    return replace(params, workers=1) if params.workers > 1 and small else params


def _stage_openers(instance: Instance) -> frozenset[str]:
    """:data:`STAGE_OPENERS` on a model of :data:`ONE_WORKER_OPTIONS` options or more; none on a
    smaller one, which closes every stage at once: a stage of its own is one more CP-SAT call there."""
    return STAGE_OPENERS if _options(instance) >= ONE_WORKER_OPTIONS else frozenset()


def _options(instance: Instance) -> int:
    """The options the full model chooses among: rescues, routes and trip covers."""
    return len(instance.rescue_options) + len(instance.route_options) + len(instance.trip_options)


@dataclass(frozen=True)
class Found:
    plan: Plan
    proven: bool
    bound: Objective


@dataclass(frozen=True)
class NoPlan:
    infeasible: bool  # CP-SAT proved the model has no solution (else: none found in time)


def solve_lexicographic(
    instance: Instance,
    params: SolveParams,
    excluded: list[frozenset[tuple[str, str]]],
    allowance: Allowance,
    served: frozenset[str] = frozenset(),
    settled_first: StagesReached | None = None,
) -> Found | NoPlan:
    """Minimise the terms in order, fixing each stage at its optimum.

    The leading terms (:data:`RESCUE_TERMS`) are settled first on the rescues alone (see
    :func:`settle_rescue_terms`); the full model then only orders the trips and the rest. For an
    alternative, ``excluded`` holds the rescue crews of each plan above it (one of each is left out)
    and ``served`` the groups it must still send a coach to; ``settled_first`` holds the rescue terms
    when they are settled already (:func:`_routes_if_needed`).
    """
    upper_bounds = term_upper_bounds(instance)
    settled: StagesReached | None = None
    modelled = instance
    # Without trips the rescues-only model is the model itself. With excluded plans the full model
    # may not reach the rescues-only optimum (the exclusion can forbid its only extension).
    if instance.trip_tasks and not excluded:
        settled, modelled = _rescues_settled(instance, params, allowance, upper_bounds, settled_first)
        if settled.solution is None:
            return NoPlan(settled.infeasible)
    dm = build_model(modelled, params)
    for crews_above in excluded:
        add_alternative_cut(dm, crews_above)
    add_groups_served(dm, served)
    if settled is not None and settled.solution is not None:
        for name, value in settled.values.items():
            dm.model.add(dm.terms[name] <= value)
        hint(dm, settled.solution)
    open_terms = {name: bound for name, bound in upper_bounds.items() if settled is None or name not in settled.values}
    stages = lexicographic_stages(open_terms, _stage_openers(modelled))
    reached = minimise_stages(dm, stages, params, allowance, first=settled)
    if reached.solution is None:
        return NoPlan(reached.infeasible)
    if params.keep and not excluded:  # the first plan: a tie goes to what was proposed before
        keep_proposed(dm, reached, params, allowance)
    solution = reached.solution
    plan = build_plan(instance, solution.rescues, solution.trips, source="cp-sat", routes=solution.routes)
    return Found(plan, reached.proven, bound_of(reached))


def _routes_if_needed(
    instance: Instance, params: SolveParams, allowance: Allowance
) -> tuple[Instance, StagesReached | None]:
    """``instance`` with its rescue routes when one coach per group leaves someone late or unreached,
    else without them; with the rescue terms settled either way.

    A route can only do better than one coach per group on the leading terms when a coach is short
    at some scene. So the rescue terms are settled first, with the routes (the step every solve takes
    anyway). Where every passenger is then reached on time by a plan that sends no route, the same
    plan is optimal without the routes, and the plans are chosen among the direct rescues: the routes
    would only add options to every later search (on a large fleet, hundreds). Where the settled plan
    reaches everyone on time by a route, the direct rescues are settled too, and the routes are
    dropped if they also reach everyone on time. Otherwise the routes stay, and so does their
    settlement (settled once, not again by the solve)."""
    if not instance.route_options:
        return instance, None
    share = BEST_PLAN_SHARE if params.alternatives > 1 else 1.0
    settled = settle_rescue_terms(
        instance, params, allowance.share(allowance.left_s() * share), term_upper_bounds(instance)
    )
    if settled.solution is None:  # out of time or infeasible: the solve tries again in its own share
        return instance, None
    if not _everyone_on_time(settled):
        return instance, settled
    plain = without_rescue_options(instance, frozenset(route.id for route in instance.route_options))
    if not settled.solution.routes:  # a plan of direct rescues: optimal among them too
        return plain, settled
    direct = settle_rescue_terms(plain, params, allowance.share(allowance.left_s() * share), term_upper_bounds(plain))
    if direct.solution is not None and _everyone_on_time(direct):
        return plain, direct
    return instance, settled


def _everyone_on_time(settled: StagesReached) -> bool:
    """Whether the leading terms (not reached, late) are settled at 0: optimal, proven or not, as
    the terms are never negative."""
    return all(settled.values.get(name) == 0 for name in RESCUE_TERMS[:2])


def _rescues_settled(
    instance: Instance,
    params: SolveParams,
    allowance: Allowance,
    upper_bounds: dict[str, int],
    settled_first: StagesReached | None,
) -> tuple[StagesReached, Instance]:
    """The rescue terms settled by the cheapest step that proves them, with the instance the full model
    then needs: as settled already (``settled_first``), by the LP's rounded plan, by a plan at the LP's
    floor, else by CP-SAT over every option (no solution: none found, or proven none)."""
    relaxation = None
    if settled_first is None and _options(instance) >= FIXING_MIN_OPTIONS:  # the LP the fixing solves anyway
        settled_first, relaxation = settled_by_relaxation(instance, params)
    if settled_first is None:
        at_floor = _settled_at_lp_floor(instance, relaxation, params, allowance, upper_bounds)
        if at_floor is not None:
            return at_floor
    settled = settled_first or settle_rescue_terms(instance, params, allowance, upper_bounds)
    if settled.solution is None:
        return settled, instance
    return settled, _without_ruled_out_rescues(instance, settled, relaxation)


def _settled_at_lp_floor(
    instance: Instance,
    relaxation: Relaxation | None,
    params: SolveParams,
    allowance: Allowance,
    upper_bounds: dict[str, int],
) -> tuple[StagesReached, Instance] | None:
    """The rescue terms settled at the LP's floor, on the options a plan there may use, when such a plan
    exists; with the instance the full model then needs (those options). None when there is no LP with
    everyone reached on time, or no plan meets its floor: the settle on every option decides then.

    The LP's optimum bounds every plan's delay from below, and a plan within half a minute of it uses
    none of the options the fixing rules out at that value (their reduced costs or group bounds put
    them above it). So a plan found among the others is optimal over all of them. When the LP's own
    solution does not round to a plan (it uses a coach for two groups in part, say), this search is
    smaller than the settle over every option (fleet 20261208 of the 1,000-coach benchmark: 769 of its
    1,636 rescue options) and its answer is bounded above and below."""
    if relaxation is None:
        return None
    floor = {**EVERYONE_ON_TIME, "passenger_delay_min": math.ceil(relaxation.floor - FLOOR_TOLERANCE)}
    face = without_rescue_options(instance, rescue_options_ruled_out(instance, floor, relaxation))
    share = allowance.share(allowance.left_s() * LP_FLOOR_SHARE)
    settled = settle_rescue_terms(face, params, share, upper_bounds, at_most=floor)
    if settled.solution is None or settled.values != floor:
        return None
    settled.bounds, settled.proven = dict(floor), True  # bounded below by the LP, whatever CP-SAT proved
    return settled, face


def settle_rescue_terms(
    instance: Instance,
    params: SolveParams,
    allowance: Allowance,
    upper_bounds: dict[str, int],
    at_most: Mapping[str, int] | None = None,
) -> StagesReached:
    """The optimum of :data:`RESCUE_TERMS` on the instance without its trips (a relaxation whose
    optimum is exact for these terms), with the rescues that reach it and the greedy trip covers.
    ``at_most``: term → the most a plan may take on it (none found when no plan keeps to it)."""
    rescues_only = replace(instance, trip_tasks=(), trip_options=())
    dm = build_model(rescues_only, params)
    for name, value in (at_most or {}).items():
        dm.model.add(dm.terms[name] <= value)
    stages = lexicographic_stages({name: upper_bounds[name] for name in RESCUE_TERMS})
    at_zero, skipped = _leading_stages_at_zero(dm, stages, params)
    settled = minimise_stages(dm, stages[skipped:], params, allowance, stages_after=1, first=at_zero)
    settled.values = (at_zero.values if at_zero else {}) | settled.values
    if settled.solution is not None:  # with the trips a dispatcher would add, in case time runs out
        rescues, routes = settled.solution.rescues, settled.solution.routes
        route_crews = [r for r in instance.route_options if r.id in routes]
        settled.solution = Solution(rescues, frozenset(greedy.cover_trips(instance, rescues, route_crews)), routes)
    return settled


def _leading_stages_at_zero(
    dm: DispatchModel, stages: list[Stage], params: SolveParams
) -> tuple[StagesReached | None, int]:
    """The leading stages that a quick plan reaching everyone on time settles, and how many.

    Every term is a sum of non-negative parts, so a stage this plan scores 0 on is at its optimum
    without a CP-SAT call (on the 1,000-coach benchmark: "not reached, then late" on all 8 fleets).
    Those terms are fixed at 0 in ``dm``, and the plan starts the next stage."""
    rescues = greedy.on_time_rescues(dm.instance, params.allow_split)
    if rescues is None:
        return None, 0
    objective = objective_from(dm.instance, rescues, frozenset())
    zero_stages = list(takewhile(lambda stage: not any(getattr(objective, n) for n, _ in stage), stages))
    if not zero_stages:
        return None, 0
    values = {name: 0 for stage in zero_stages for name, _ in stage}
    for name in values:
        dm.model.add(dm.terms[name] <= 0)
    solution = Solution(rescues, frozenset())
    hint(dm, solution)
    return StagesReached(solution=solution, values=values, bounds=dict(values)), len(zero_stages)


def _without_ruled_out_rescues(
    instance: Instance, settled: StagesReached, relaxation: Relaxation | None = None
) -> Instance:
    """The instance the full model needs once the rescue terms are settled: without the rescue
    options (and their chained trips) that :mod:`solver.dispatch.fixing` rules out, on a model of
    :data:`FIXING_MIN_OPTIONS` or more. The settled plan's own rescues always stay, whatever the
    LP's tolerances say. ``relaxation``: the LP with everyone reached on time, if solved already
    (used when the settled values say so too)."""
    if _options(instance) < FIXING_MIN_OPTIONS:
        return instance
    kept = {*settled.solution.rescues, *settled.solution.routes} if settled.solution else set()
    on_time = all(settled.values.get(name) == value for name, value in EVERYONE_ON_TIME.items())
    ruled_out = rescue_options_ruled_out(instance, settled.values, relaxation if on_time else None) - kept
    return without_rescue_options(instance, frozenset(ruled_out))


def _never_worse_than_greedy(instance: Instance, plans: list[Plan]) -> list[Plan]:
    """A deadline-cut search can end behind the hand-made plan; then the greedy plan ranks first."""
    baseline = greedy.solve(instance)
    if baseline.objective < plans[0].objective:
        others = [p for p in plans if p.rescue_crews() != baseline.rescue_crews()]
        return [baseline] + others[: max(len(plans) - 1, 0)]
    return plans


def _served(plans: list[Plan]) -> frozenset[str]:
    """The groups the first plan sends a coach to (none before the first plan)."""
    return frozenset(r.group_id for r in plans[0].rescues) if plans else frozenset()


# --------------------------------------------------------------------------- fallbacks and infeasibility
def _fallback(instance: Instance, allowance: Allowance) -> Result:
    plan = greedy.solve(instance)
    return Result(
        Status.GREEDY_FALLBACK,
        (plan,),
        instance.rejections,
        _elapsed_ms(allowance),
        reasons=(render(GREEDY, "en"),),
        reason_phrases=(GREEDY,),
        wall_capped=allowance.wall_capped,
    )


def _infeasible(
    instance: Instance, params: SolveParams, allowance: Allowance, plan: Plan | None, *, proven: bool
) -> Result:
    """Infeasible as a status: the best partial plan (if any), the reasons and the relaxations, whose
    probes spend what is left of the budget. ``proven``: the search closed (or proved there is no plan)."""
    reasons = _infeasibility_reasons(instance, plan, params) if plan else (phrase("reason.no_plan"),)
    relaxations = find_relaxations(instance, params, allowance)
    return Result(
        Status.INFEASIBLE,
        (plan,) if plan else (),
        instance.rejections,
        _elapsed_ms(allowance),
        relaxations=relaxations,
        reasons=tuple(render(reason, "en") for reason in reasons),
        reason_phrases=reasons,
        wall_capped=allowance.wall_capped,
        proven=proven,
    )


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


def _infeasibility_reasons(instance: Instance, plan: Plan, params: SolveParams) -> tuple[Phrase, ...]:
    carried = _carried(plan)
    reasons = []
    for group in instance.groups:
        left = group.passengers - carried[group.id]
        if left > 0:
            reasons.append(phrase("reason.cannot_carry", left=left, total=group.passengers, incident=group.incident_id))
    if params.hard_limits and plan.objective.passengers_not_reached and not reasons:
        reasons.append(phrase("reason.not_in_time", n=plan.objective.passengers_not_reached))
    return tuple(reasons)


def _elapsed_ms(allowance: Allowance) -> int:
    """Wall-clock milliseconds since the solve began (whatever the budget's kind)."""
    return int(round(allowance.wall_elapsed_s() * 1000))
