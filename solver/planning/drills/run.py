"""Running a drill through the real dispatch path (:func:`solver.dispatch.dispatch`, wave by wave, as
the desk would), scoring the answer against the tier limits and, for a missed limit, finding what
would have met it (:mod:`.remedies`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from types import MappingProxyType

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.errors import NoRouteError
from fleetplan.network import Location, Route, TravelTimes
from fleetplan.operations import OperationsPolicy

from solver.dispatch import Budget, Dispatch, SolveParams, dispatch
from solver.planning.drills.checks import drill_checks
from solver.planning.drills.remedies import REMEDY_PARAMS, find_remedies
from solver.planning.drills.results import DrillReport, RescueLeg
from solver.planning.drills.scenarios import DrillKind, DrillScenario, drill_scenario
from solver.planning.drills.scores import score_dispatch

DRILL_PARAMS = SolveParams(budget=Budget.wall_clock(2.0), alternatives=1)


def run_drill(
    kind: DrillKind | str,
    seed: int = 0,
    corridor: Corridor | None = None,
    params: SolveParams = DRILL_PARAMS,
    ops: OperationsPolicy = OperationsPolicy(),
    *,
    remedies: bool = True,
    remedy_params: SolveParams = REMEDY_PARAMS,
) -> DrillReport:
    """Stage the ``kind`` drill drawn with ``seed``, dispatch it through the real path and score it.

    Parameters
    ----------
    kind
        ``breakdown``, ``accident`` or ``blizzard``.
    seed
        Picks the trip, place and time from the timetable; the same seed repeats the drill exactly.
    corridor
        Dataset and network (default: :func:`fleetplan.corridor.load_corridor`).
    params
        Dispatch solver parameters (its seed is set to ``seed``).
    ops
        Operating assumptions (turnout, transfer, horizons).
    remedies
        Find what would have met each missed limit (see :func:`run_scenario`).
    remedy_params
        For each of those extra solves (a deterministic budget makes the remedies independent of load).

    Returns
    -------
    DrillReport
    """
    corridor = corridor or load_corridor()
    scenario = drill_scenario(kind, seed, corridor)
    return run_scenario(scenario, corridor, params, ops, remedies=remedies, remedy_params=remedy_params)


def run_scenario(
    scenario: DrillScenario,
    corridor: Corridor,
    params: SolveParams = DRILL_PARAMS,
    ops: OperationsPolicy = OperationsPolicy(),
    *,
    remedies: bool = True,
    remedy_params: SolveParams = REMEDY_PARAMS,
) -> DrillReport:
    """Dispatch a scenario wave by wave (coaches and drivers sent earlier are busy later) and score it.

    With ``remedies`` (the default), each incident beyond its limit gets what would have met it
    (:func:`~solver.planning.drills.remedies.find_remedies`: a few more short solves per late wave,
    each with ``remedy_params``).
    """
    params = replace(params, seed=scenario.seed)
    busy: dict[str, str] = {}
    outcomes = []
    for wave in scenario.waves:
        outcome = dispatch(
            corridor, wave, scenario.conditions, ops=ops, params=params, unavailable=MappingProxyType(dict(busy))
        )
        outcomes.append(outcome)
        best = outcome.result.best
        for rescue in best.rescues if best else ():
            reason = f"busy with drill incident {outcome.instance.group(rescue.group_id).incident_id}"
            busy.setdefault(rescue.vehicle_id, reason)
            busy.setdefault(rescue.driver_id, reason)
    scores = tuple(score for outcome in outcomes for score in score_dispatch(outcome))
    legs = tuple(leg for outcome in outcomes for leg in rescue_legs(outcome, corridor, ops))
    problems = tuple(
        problem.message for outcome in outcomes for problem in (outcome.problems[0] if outcome.problems else ())
    )
    plans = [o.result.best for o in outcomes if o.result.best]
    report = DrillReport(
        scenario,
        tuple(outcomes),
        scores,
        legs,
        (),
        problems,
        tuple(t for p in plans for t in p.uncovered_trip_ids),
        tuple(c.trip_id for p in plans for c in p.trip_covers),
    )
    report = replace(report, checks=drill_checks(report, corridor))
    return replace(report, remedies=find_remedies(report, corridor, ops, remedy_params)) if remedies else report


def rescue_legs(outcome: Dispatch, corridor: Corridor, ops: OperationsPolicy = OperationsPolicy()) -> list[RescueLeg]:
    """The roads each rescuing coach of the best plan drives, re-routed on the network."""
    instance, plan = outcome.instance, outcome.result.best
    if plan is None:
        return []
    clear = corridor.dataset.clear_conditions
    legs = []
    for rescue in plan.rescues:
        group = instance.group(rescue.group_id)
        vehicle_class = corridor.dataset.vehicle(rescue.vehicle_id).vehicle_class
        travel = TravelTimes(corridor.network, instance.conditions, vehicle_class)
        to_scene = clear_s = None
        if corridor.network.has_node(rescue.origin_node):
            to_scene = travel.route(rescue.origin_node, group.scene, rescue.depart_at)
            clear_s = _route_s(
                TravelTimes(corridor.network, clear, vehicle_class), rescue.origin_node, group.scene, rescue.depart_at
            )
        leave_scene = rescue.boarding_at + timedelta(seconds=ops.transfer_s)
        onward = travel.route(group.scene, group.destination_node, leave_scene)
        late_s = max(0, int((rescue.scene_arrival - group.deadline).total_seconds()))
        legs.append(
            RescueLeg(
                group.incident_id,
                rescue.vehicle_id,
                rescue.driver_id,
                rescue.origin_node,
                rescue.depart_at,
                rescue.scene_arrival,
                rescue.passengers,
                late_s,
                to_scene.roads if to_scene else (),
                onward.roads,
                to_scene.path if to_scene else (),
                onward.path,
                _path_points(corridor, to_scene) if to_scene else (),
                _path_points(corridor, onward),
                clear_s,
            )
        )
    return legs


def _route_s(travel: TravelTimes, origin: str, scene: Location, depart_at: datetime) -> int | None:
    try:
        return travel.route(origin, scene, depart_at).travel_time_s
    except NoRouteError:
        return None


def _path_points(corridor: Corridor, route: Route) -> tuple[tuple[float, float], ...]:
    network = corridor.network
    points = [] if route.origin.node_id else [(route.origin.lat, route.origin.lon)]
    points += [network.node_lat_lon(node) for node in route.path]
    if not route.destination.node_id:
        points.append((route.destination.lat, route.destination.lon))
    return tuple(points)
