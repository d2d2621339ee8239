"""The objective recomputed from the plan's own claims and the facts, term by term."""

from __future__ import annotations

from collections import Counter, defaultdict

from fleetplan.errors import FleetplanError
from fleetplan.evaluate.facts import Facts
from fleetplan.evaluate.passing_routes import passing_route_own_delay_min
from fleetplan.evaluate.rescues import own_delay_caused_s
from fleetplan.model import SiteKind
from fleetplan.plan import Objective, Plan
from fleetplan.problems import Problem, ProblemCode, problem
from fleetplan.tiers import late_penalty, unreached_penalty
from fleetplan.units import ceil_minutes


def objective_problems(facts: Facts, plan: Plan) -> list[Problem]:
    recomputed = recomputed_objective(facts, plan)
    claimed = plan.objective.as_dict()
    return [
        problem(
            ProblemCode.OBJECTIVE_MISMATCH,
            f"objective {name}",
            f"plan claims {claimed[name]}, recomputed {value}",
            claimed=claimed[name],
            found=value,
        )
        for name, value in recomputed.as_dict().items()
        if claimed[name] != value
    ]


def recomputed_objective(facts: Facts, plan: Plan) -> Objective:
    policy = facts.instance.tier_policy
    on_time = lateness = delay = 0
    carried: Counter[str] = Counter()
    known = {group.id for group in facts.instance.groups}
    for rescue in plan.rescues:
        if rescue.group_id not in known:
            continue  # its own check says unknown_id; it carries nobody of this instance
        group = facts.instance.group(rescue.group_id)
        deadline, tier = facts.deadline(group)
        late_s = max(0, int((rescue.scene_arrival - deadline).total_seconds()))
        on_time += rescue.passengers if late_s == 0 else 0
        lateness += rescue.passengers * late_penalty(policy, tier, late_s)
        planned = group.planned_at(rescue.destination_node) or group.planned_arrival
        if planned is not None:
            delay += rescue.passengers * ceil_minutes((rescue.destination_arrival - planned).total_seconds())
        trip = facts.passing_trip(rescue)
        if trip is not None and not rescue.route_id:  # a passing coach delays its own passengers
            delay += trip.booked_passengers * ceil_minutes(own_delay_caused_s(facts, rescue, trip))
        carried[group.id] += rescue.passengers
    for route in plan.routes:  # a passing coach's route: all its stops, once
        if route.passing_trip_id is not None:
            delay += passing_route_own_delay_min(facts, route)
    for group in facts.instance.groups:
        _, tier = facts.deadline(group)
        lateness += (group.passengers - carried[group.id]) * unreached_penalty(policy, tier)
    used = {r.vehicle_id for r in plan.rescues} | {c.vehicle_id for c in plan.trip_covers}
    standby_by_city: dict[str, set[str]] = defaultdict(set)
    depots = {s.node_id: s.id for s in facts.dataset.sites if s.kind == SiteKind.DEPOT}
    for vehicle in facts.standby_vehicles():
        node = facts.vehicle_node(vehicle.id)
        usable = vehicle.id not in facts.failed and vehicle.id not in facts.instance.unavailable
        if node in depots and usable and vehicle.permit_valid_on(facts.at.date()):  # it could be sent now
            standby_by_city[depots[node]].add(vehicle.id)
    covered = {c.trip_id for c in plan.trip_covers}
    return Objective(
        passengers_not_reached=sum(g.passengers for g in facts.instance.groups) - on_time,
        late_penalty=lateness,
        passenger_delay_min=delay,
        trips_uncovered=sum(1 for t in facts.instance.trip_tasks if t.trip_id not in covered),
        trips_retimed_min=sum(ceil_minutes(c.departure_shift_s) for c in plan.trip_covers),
        trips_recrewed=trips_recrewed(facts, plan),
        deadhead_km=sum(round(r.deadhead_m / 1000) for r in plan.rescues)
        + sum(round(c.deadhead_m / 1000) for c in plan.trip_covers),
        coverage_lost=sum(1 for vehicles in standby_by_city.values() if vehicles <= used),
        rescue_coaches=len({r.vehicle_id for r in plan.rescues}),
    )


def trips_recrewed(facts: Facts, plan: Plan) -> int:
    """Trips the plan gives another coach or driver than the timetable's although the incident does
    not force it: neither the trip's coach nor its driver is a failed coach, the driver of a failed
    trip, or unavailable (docs/world-model.md §8: a plan changes nothing the incident does not force)."""
    failed_trips = [facts.dataset.trip(g.trip_id) for g in facts.instance.groups if g.trip_id]
    taken = facts.failed | {t.driver_id for t in failed_trips} | set(facts.instance.unavailable)
    changed = 0
    for cover in plan.trip_covers:
        try:
            trip = facts.dataset.trip(cover.trip_id)
        except (FleetplanError, KeyError):  # an unknown trip: the cover checks name it
            continue
        if trip.vehicle_id in taken or trip.driver_id in taken:
            continue
        changed += (cover.vehicle_id, cover.driver_id) != (trip.vehicle_id, trip.driver_id)
    return changed
