"""Turning chosen options into plans, and the solver-side account of their objective.

Shared by the CP-SAT model and the greedy baseline. The evaluator in :mod:`fleetplan.evaluate`
recomputes all of this independently from the network and the rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

from fleetplan.instance import Instance, RescueOption, RouteOption, RouteVisit, TripOption
from fleetplan.plan import DELIVER, PICKUP, Objective, Plan, Rescue, RescueRoute, RouteStop, TripCover
from fleetplan.tiers import late_penalty as tier_late_penalty
from fleetplan.tiers import unreached_penalty as tier_unreached_penalty
from fleetplan.units import KM, ceil_minutes
from fleetplan.wording import explanation, lines_text, names_of


def rescue_from_option(option: RescueOption, passengers: int) -> Rescue:
    return Rescue(
        option_id=option.id,
        group_id=option.group_id,
        vehicle_id=option.vehicle_id,
        driver_id=option.driver_id,
        origin_node=option.origin_node or f"on trip ({option.vehicle_id})",
        depart_at=option.depart_at,
        scene_arrival=option.scene_arrival,
        boarding_at=option.boarding_at,
        destination_arrival=option.destination_arrival,
        passengers=passengers,
        deadhead_m=option.deadhead_m,
        driver_hours_left_s=option.driver_hours_left_s,
        destination_node=option.destination_node,
        passing_trip_id=option.passing_trip_id,
        rest_at_scene_s=option.rest_at_scene_s,
        rest_on_way_node=option.rest_on_way_node,
        rest_on_way_at=option.rest_on_way_at,
        rest_on_way_s=option.rest_on_way_s,
    )


RouteLoads = Mapping[str, tuple[int, ...]]  # route option id → passengers taken at each visit, in order
NO_ROUTES: RouteLoads = MappingProxyType({})


def route_parts(instance: Instance, route: RouteOption, loads: tuple[int, ...]) -> tuple[Rescue, ...]:
    """Each group's part of a route as a :class:`Rescue` of the plan (``route_id`` names the route):
    the coach leaves its origin at the route's departure for all of them; the empty running is the
    first part's (the coach is loaded after the first scene)."""
    return tuple(
        Rescue(
            option_id=f"{route.id}@{visit.group_id}",
            group_id=visit.group_id,
            vehicle_id=route.vehicle_id,
            driver_id=route.driver_id,
            origin_node=route.origin_node or f"on trip ({route.vehicle_id})",
            depart_at=route.depart_at,
            scene_arrival=visit.scene_arrival,
            boarding_at=visit.boarding_at,
            destination_arrival=visit.destination_arrival,
            passengers=pax,
            deadhead_m=route.deadhead_m if k == 0 else 0,
            driver_hours_left_s=route.driver_hours_left_s,
            destination_node=visit.destination_node,
            rest_at_scene_s=visit.rest_s,
            route_id=route.id,
            passing_trip_id=route.passing_trip_id,
        )
        for k, (visit, pax) in enumerate(zip(route.visits, loads))
    )


def rescue_route(instance: Instance, route: RouteOption) -> RescueRoute:
    """The route stop by stop: every scene, then every stop where groups get off."""
    stops = [
        RouteStop(
            PICKUP,
            scene_text(instance, visit),
            (visit.group_id,),
            visit.scene_arrival,
            visit.leave_at,
            visit.boarding_at,
            visit.rest_s,
        )
        for visit in route.visits
    ]
    stops += [RouteStop(DELIVER, drop.node, drop.group_ids, drop.arrival, drop.leave_at) for drop in route.drops]
    return RescueRoute(
        route.id,
        route.vehicle_id,
        route.driver_id,
        route.origin_node or f"on trip ({route.vehicle_id})",
        route.depart_at,
        tuple(stops),
        route.deadhead_m,
        route.driver_hours_left_s,
        route.passing_trip_id,
    )


def scene_text(instance: Instance, visit: RouteVisit) -> str:
    group = instance.group(visit.group_id)
    return group.scene_node or group.scene_text


def cover_from_option(option: TripOption) -> TripCover:
    return TripCover(
        option_id=option.id,
        trip_id=option.trip_id,
        vehicle_id=option.vehicle_id,
        driver_id=option.driver_id,
        departure_shift_s=option.departure_shift_s,
        deadhead_m=option.deadhead_m,
        keeps_timetable=option.keeps_timetable,
    )


def objective_from(
    instance: Instance, rescues: dict[str, int], trips: frozenset[str], routes: RouteLoads = NO_ROUTES
) -> Objective:
    """The solver's own account of the objective of a chosen set of options (the evaluator recomputes it)."""
    rescue_by_id = {o.id: o for o in instance.rescue_options}
    trip_by_id = {o.id: o for o in instance.trip_options}
    route_by_id = {r.id: r for r in instance.route_options}
    used_r = [(rescue_by_id[o], pax) for o, pax in rescues.items()]
    used_t = [trip_by_id[o] for o in trips]
    used_routes = [route_by_id[r] for r in routes]
    # (group, lateness at the scene, delay at the stop, passengers) of every rescue and route visit
    carried = [(o.group_id, o.late_s, o.delay_at_destination_s, pax) for o, pax in used_r] + [
        (v.group_id, v.late_s, v.delay_at_destination_s, pax)
        for route in used_routes
        for v, pax in zip(route.visits, routes[route.id])
    ]
    carried_by_group: dict[str, int] = defaultdict(int)
    for group_id, _, _, pax in carried:
        carried_by_group[group_id] += pax
    covered = {o.trip_id for o in used_t}
    rescuers = {o.vehicle_id for o, _ in used_r} | {r.vehicle_id for r in used_routes}
    used_vehicles = rescuers | {o.vehicle_id for o in used_t}
    return Objective(
        passengers_not_reached=sum(g.passengers for g in instance.groups)
        - sum(p for _, late, _, p in carried if not late),
        late_penalty=sum(p * visit_late_penalty(instance, g, late) for g, late, _, p in carried)
        + sum(unreached_penalty(instance, g.id) * (g.passengers - carried_by_group[g.id]) for g in instance.groups),
        passenger_delay_min=sum(p * ceil_minutes(delay) for _, _, delay, p in carried)
        + sum(own_passengers_delay_min(o) for o, _ in used_r)
        + sum(own_passengers_delay_min(r) for r in used_routes),
        trips_uncovered=sum(1 for t in instance.trip_tasks if t.trip_id not in covered),
        trips_retimed_min=sum(ceil_minutes(o.departure_shift_s) for o in used_t),
        trips_recrewed=len(trips & recrewing_options(instance)),
        deadhead_km=sum(km(o.deadhead_m) for o, _ in used_r)
        + sum(km(r.deadhead_m) for r in used_routes)
        + sum(km(o.deadhead_m) for o in used_t),
        coverage_lost=sum(1 for vs in instance.standby_by_city.values() if vs and set(vs) <= used_vehicles),
        rescue_coaches=len(rescuers),
    )


def forcing_resources(instance: Instance) -> frozenset[str]:
    """The coaches and drivers the incidents take away: the failed coaches, the drivers who stay with
    them, and whatever the caller marked unavailable. A trip planned with one of them must change."""
    failed_drivers = {instance.dataset.trip(g.trip_id).driver_id for g in instance.groups if g.trip_id}
    return frozenset({g.failed_vehicle_id for g in instance.groups} | failed_drivers | set(instance.unavailable))


def recrewing_options(instance: Instance) -> frozenset[str]:
    """Ids of the trip options that give their trip another coach or driver although the incident does
    not force it (the trip's planned coach and driver are both still there)."""
    forcing = forcing_resources(instance)
    kept = {
        t.trip_id
        for t in instance.trip_tasks
        if t.planned_vehicle_id not in forcing and t.planned_driver_id not in forcing
    }
    planned = {t.trip_id: (t.planned_vehicle_id, t.planned_driver_id) for t in instance.trip_tasks}
    return frozenset(
        o.id for o in instance.trip_options if o.trip_id in kept and (o.vehicle_id, o.driver_id) != planned[o.trip_id]
    )


def explain(instance: Instance, plan: Plan) -> str:
    """One line per decision, for the dispatcher (in English; :func:`explanation` for any language)."""
    return lines_text(explanation(instance, plan), "en", names_of(instance.network, instance.dataset))


def build_plan(
    instance: Instance, rescues: dict[str, int], trips: Iterable[str], source: str, routes: RouteLoads = NO_ROUTES
) -> Plan:
    """The plan of a set of chosen options, with the solver's account of its objective.

    Parameters
    ----------
    instance
        The instance the options belong to.
    rescues
        Rescue option id → passengers it carries.
    trips
        Trip option ids.
    source
        Who chose them (``cp-sat``, ``greedy``, a benchmark's method name).
    routes
        Route option id → passengers it takes at each of its scenes, in order.

    Returns
    -------
    Plan
        Rescues and covers in option-id order, the trips left uncovered, the objective and a
        one-line explanation.
    """
    rescue_by_id = {o.id: o for o in instance.rescue_options}
    trip_by_id = {o.id: o for o in instance.trip_options}
    trips = frozenset(trips)
    route_by_id = {r.id: r for r in instance.route_options}
    chosen_rescues = tuple(rescue_from_option(rescue_by_id[o], pax) for o, pax in sorted(rescues.items()))
    chosen_rescues += tuple(
        part for r, loads in sorted(routes.items()) for part in route_parts(instance, route_by_id[r], loads)
    )
    chosen_routes = tuple(rescue_route(instance, route_by_id[r]) for r in sorted(routes))
    covers = tuple(cover_from_option(trip_by_id[o]) for o in sorted(trips))
    covered = {c.trip_id for c in covers}
    uncovered = tuple(t.trip_id for t in instance.trip_tasks if t.trip_id not in covered)
    objective = objective_from(instance, rescues, trips, routes)
    draft = Plan(chosen_rescues, covers, uncovered, objective, source=source, routes=chosen_routes)
    return Plan(
        chosen_rescues, covers, uncovered, objective, explain(instance, draft), source=source, routes=chosen_routes
    )


def rescues_of_group(instance: Instance, group_id: str) -> tuple[RescueOption, ...]:
    return instance.rescue_options_by_group.get(group_id, ())


def late_penalty(instance: Instance, option: RescueOption) -> int:
    """The lateness penalty per passenger of a rescue option (:mod:`fleetplan.tiers`)."""
    return visit_late_penalty(instance, option.group_id, option.late_s)


def visit_late_penalty(instance: Instance, group_id: str, late_s: int) -> int:
    """The lateness penalty per passenger of group ``group_id`` reached ``late_s`` past its deadline."""
    return tier_late_penalty(instance.tier_policy, instance.tier_of(group_id), late_s)


def visits_of_group(instance: Instance, group_id: str) -> tuple[tuple[RouteOption, RouteVisit], ...]:
    """The routes that call at the group's scene, each with that visit."""
    return instance.route_visits_by_group.get(group_id, ())


def unreached_penalty(instance: Instance, group_id: str) -> int:
    """The lateness penalty of a passenger of the group whom nobody reaches."""
    return tier_unreached_penalty(instance.tier_policy, instance.tier_of(group_id))


def delay_min_per_passenger(option: RescueOption) -> int:
    """Passenger delay at the destination per passenger a rescue carries (whole minutes)."""
    return ceil_minutes(option.delay_at_destination_s)


def own_passengers_delay_min(option: RescueOption | RouteOption) -> int:
    """Passenger-minutes of delay a rescue or a route causes a passing coach's own passengers (0 for
    others)."""
    return option.own_passengers * ceil_minutes(option.own_passenger_delay_s)


def km(length_m: int) -> int:
    return round(length_m / KM)


def group_by(items, key: Callable) -> dict:
    grouped: dict = defaultdict(list)
    for item in items:
        grouped[key(item)].append(item)
    return grouped
