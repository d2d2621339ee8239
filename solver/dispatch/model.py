"""The CP-SAT model of a dispatch :class:`~fleetplan.instance.Instance`: variables, one ``add_*``
function per constraint family, and the objective terms as linear expressions.

The instance already holds every feasible option with its times and distances, so the model is an
assignment: which options are used and how many passengers each rescue takes (a route through several
scenes: how many each of its groups sends, within its seats). Each family can be
added to a :class:`DispatchModel` on its own after :func:`add_option_variables` (the tests check each
alone on a tiny instance); :func:`build_model` adds them all. Solving is :mod:`solver.dispatch.stages`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model
from ortools.sat.python.cp_model import LinearExpr

from fleetplan.instance import Instance, RouteOption
from fleetplan.units import ceil_minutes

from solver.dispatch.params import SolveParams
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


@dataclass
class DispatchModel:
    """A CP-SAT model of one instance with its variables and named objective terms."""

    instance: Instance
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    use_rescue: dict[str, cp_model.IntVar] = field(default_factory=dict)
    passengers: dict[str, cp_model.IntVar] = field(default_factory=dict)
    use_trip: dict[str, cp_model.IntVar] = field(default_factory=dict)
    use_route: dict[str, cp_model.IntVar] = field(default_factory=dict)
    route_passengers: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)  # (route, group)
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
    for trip_option in dm.instance.trip_options:
        dm.use_trip[trip_option.id] = dm.model.new_bool_var(f"use_{trip_option.id}")
    for route in dm.instance.route_options:
        dm.use_route[route.id] = dm.model.new_bool_var(f"use_{route.id}")
        for visit in route.visits:
            most = min(route.capacity, dm.instance.group(visit.group_id).passengers)
            dm.route_passengers[route.id, visit.group_id] = dm.model.new_int_var(
                0, most, f"pax_{route.id}@{visit.group_id}"
            )


def add_seat_limits(dm: DispatchModel) -> None:
    """A rescue carries passengers only if used, never more than its seats, and at least one."""
    for option in dm.instance.rescue_options:
        use, pax = dm.use_rescue[option.id], dm.passengers[option.id]
        dm.model.add(pax <= option.capacity * use)
        dm.model.add(pax >= 1).only_enforce_if(use)
    for route in dm.instance.route_options:  # the groups on board share the seats; each sends someone
        use, loads = dm.use_route[route.id], [dm.route_passengers[route.id, g] for g in route.group_ids]
        dm.model.add(sum(loads) <= route.capacity * use)
        for pax in loads:
            dm.model.add(pax >= 1).only_enforce_if(use)


def add_group_passenger_limits(dm: DispatchModel, params: SolveParams) -> None:
    """No group sends off more passengers than it has; without splitting, one vehicle per group."""
    for group in dm.instance.groups:
        options = rescues_of_group(dm.instance, group.id)
        visits = visits_of_group(dm.instance, group.id)
        parts = [(dm.passengers[o.id], o.late_s) for o in options]
        parts += [(dm.route_passengers[r.id, group.id], v.late_s) for r, v in visits]
        left = dm.left_behind[group.id] = dm.model.new_int_var(0, group.passengers, f"left_{group.id}")
        late = dm.not_on_time[group.id] = dm.model.new_int_var(0, group.passengers, f"late_{group.id}")
        dm.model.add(sum(pax for pax, _ in parts) + left == group.passengers)
        dm.model.add(sum(pax for pax, late_s in parts if late_s == 0) + late == group.passengers)
        if not params.allow_split:
            dm.model.add_at_most_one([dm.use_rescue[o.id] for o in options] + [dm.use_route[r.id] for r, _ in visits])
        if params.hard_limits:
            dm.model.add(late == 0)


def add_crew_sequences(dm: DispatchModel) -> None:
    """A crew does at most one rescue (or one route through several scenes) and at most one trip; a
    trip chained after a rescue or a route needs it, and a standalone trip option excludes any rescue
    or route of the crew.

    A crew's *starts* are its rescue options and its standalone trip options: at most one of them is
    used, and the crew is used exactly when one is (a chained trip implies its rescue). One clique per
    crew instead of an implication per (rescue, trip) pair keeps the model small and its LP tight.
    """
    rescues_by_crew = group_by(dm.instance.rescue_options, lambda o: o.crew_id)
    trips_by_crew = group_by(dm.instance.trip_options, lambda o: o.crew_id)
    routes_by_crew = group_by(dm.instance.route_options, lambda r: r.crew_id)
    for crew in dm.instance.crews:
        trips = trips_by_crew.get(crew.id, [])
        starts = [dm.use_rescue[o.id] for o in rescues_by_crew.get(crew.id, [])] + [
            dm.use_trip[o.id] for o in trips if not o.chained
        ]
        starts += [dm.use_route[r.id] for r in routes_by_crew.get(crew.id, [])]  # a route is the crew's task
        _at_most_one(dm, starts)
        _at_most_one(dm, [dm.use_trip[o.id] for o in trips])
        for option in trips:
            if option.after_rescue_id is not None:
                dm.model.add_implication(dm.use_trip[option.id], dm.use_rescue[option.after_rescue_id])
            if option.after_route_id is not None:
                dm.model.add_implication(dm.use_trip[option.id], dm.use_route[option.after_route_id])
        dm.crew_starts[crew.id] = starts
        dm.crew_used[crew.id] = sum(starts)


def add_vehicle_and_driver_exclusivity(dm: DispatchModel) -> None:
    """A coach and a driver belong to at most one crew in the plan: one clique over the starts of all
    their crews."""
    by_vehicle = group_by(dm.instance.crews, lambda c: c.vehicle_id)
    by_driver = group_by(dm.instance.crews, lambda c: c.driver_id)
    for vehicle_id, crews in by_vehicle.items():
        _at_most_one(dm, [start for c in crews for start in dm.crew_starts[c.id]])
        dm.vehicle_used[vehicle_id] = sum(dm.crew_used[c.id] for c in crews)
    for crews in by_driver.values():
        _at_most_one(dm, [start for c in crews for start in dm.crew_starts[c.id]])


def _at_most_one(dm: DispatchModel, literals: list[cp_model.IntVar]) -> None:
    """At most one of ``literals``; none added for one or none (a large fleet has thousands of crews
    with a single option, and without presolve CP-SAT would load each such row)."""
    if len(literals) > 1:
        dm.model.add_at_most_one(literals)


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
    crew_signature = crew_signatures(dm.instance)
    standby = {v for vehicles in dm.instance.standby_by_city.values() for v in vehicles}
    driver_used = {d: sum(dm.crew_used[c.id] for c in crews) for d, crews in crews_by_driver.items()}
    driver_classes = group_by(
        crews_by_driver, lambda d: tuple(sorted((c.vehicle_id, crew_signature[c.id]) for c in crews_by_driver[d]))
    )
    vehicle_classes = group_by(
        crews_by_vehicle,
        lambda v: (v in standby, tuple(sorted((c.driver_id, crew_signature[c.id]) for c in crews_by_vehicle[v]))),
    )
    for members, used in ((driver_classes, driver_used), (vehicle_classes, dm.vehicle_used)):
        for same in members.values():
            ordered = sorted(same)
            for first, second in zip(ordered, ordered[1:]):
                dm.model.add(used[second] <= used[first])


def crew_signatures(instance: Instance) -> dict[str, tuple]:
    """Per crew, everything the model reads from it and its options, without coach or driver ids."""
    rescue_group: dict[str, tuple[str, ...]] = {o.id: (o.group_id,) for o in instance.rescue_options}
    rescue_group |= {r.id: r.group_ids for r in instance.route_options}  # what a chained trip follows
    recrewing = recrewing_options(instance)  # the planned crew of a trip is not interchangeable with another
    rescues = group_by(instance.rescue_options, lambda o: o.crew_id)
    trips = group_by(instance.trip_options, lambda o: o.crew_id)
    routes = group_by(instance.route_options, lambda r: r.crew_id)
    return {
        crew.id: (
            crew.kind,
            crew.capacity,
            tuple(
                sorted(
                    (
                        o.group_id,
                        o.capacity,
                        o.late_s,
                        o.delay_at_destination_s,
                        o.own_passengers,
                        o.own_passenger_delay_s,
                        o.deadhead_m,
                    )
                    for o in rescues.get(crew.id, ())
                )
            ),
            tuple(
                sorted(
                    (
                        o.trip_id,
                        rescue_group.get(o.after_rescue_id or o.after_route_id or "", ()),
                        o.departure_shift_s,
                        o.deadhead_m,
                        o.id in recrewing,
                    )
                    for o in trips.get(crew.id, ())
                )
            ),
            tuple(sorted(route_signature(r) for r in routes.get(crew.id, ()))),
        )
        for crew in instance.crews
    }


def route_signature(route: RouteOption) -> tuple:
    """What the model reads from a route, without its coach or driver."""
    visits = tuple((v.group_id, v.late_s, v.delay_at_destination_s) for v in route.visits)
    return (visits, route.capacity, route.deadhead_m, route.own_passengers, route.own_passenger_delay_s)


def add_objective_terms(dm: DispatchModel, params: SolveParams) -> None:
    """The lexicographic terms of :class:`~fleetplan.plan.Objective`, as linear expressions (each one
    weighted sum: on a large model, thousands of products summed one by one took a quarter of the build)."""
    instance, pax, use_r, use_t = dm.instance, dm.passengers, dm.use_rescue, dm.use_trip
    use_routes, route_pax = dm.use_route, dm.route_passengers
    rescues, routes, trips = instance.rescue_options, instance.route_options, instance.trip_options
    visits = [(r, v) for r in routes for v in r.visits]
    dm.terms["passengers_not_reached"] = LinearExpr.sum(list(dm.not_on_time.values()))
    dm.terms["late_penalty"] = _weighted(
        [(pax[o.id], late_penalty(instance, o)) for o in rescues]
        + [(route_pax[r.id, v.group_id], visit_late_penalty(instance, v.group_id, v.late_s)) for r, v in visits]
        + [(dm.left_behind[g.id], unreached_penalty(instance, g.id)) for g in instance.groups]
    )
    dm.terms["passenger_delay_min"] = _weighted(
        [(pax[o.id], delay_min_per_passenger(o)) for o in rescues]
        + [(use_r[o.id], own_passengers_delay_min(o)) for o in rescues]
        + [(route_pax[r.id, v.group_id], ceil_minutes(v.delay_at_destination_s)) for r, v in visits]
        + [(use_routes[r.id], own_passengers_delay_min(r)) for r in routes]
    )
    dm.terms["trips_uncovered"] = LinearExpr.sum(list(dm.uncovered.values()))
    dm.terms["trips_retimed_min"] = _weighted([(use_t[o.id], ceil_minutes(o.departure_shift_s)) for o in trips])
    dm.terms["trips_recrewed"] = LinearExpr.sum([use_t[option_id] for option_id in recrewing_options(instance)])
    dm.terms["deadhead_km"] = _weighted(
        [(use_r[o.id], km(o.deadhead_m)) for o in rescues]
        + [(use_routes[r.id], km(r.deadhead_m)) for r in routes]
        + [(use_t[o.id], km(o.deadhead_m)) for o in trips]
    )
    dm.terms["coverage_lost"] = _coverage_lost(dm)
    # one coach per used rescue or route (coach exclusivity)
    dm.terms["rescue_coaches"] = LinearExpr.sum([*use_r.values(), *use_routes.values()])


def _weighted(terms: list[tuple[cp_model.IntVar, int]]) -> cp_model.LinearExprT:
    """Σ coefficient · variable, built at once (zero coefficients left out)."""
    kept = [(variable, coefficient) for variable, coefficient in terms if coefficient]
    return LinearExpr.weighted_sum([v for v, _ in kept], [c for _, c in kept])


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


def add_alternative_cut(dm: DispatchModel, crews_above: frozenset[tuple[str, str]]) -> None:
    """An alternative leaves out at least one crew (coach, driver) that a plan ranked above it sends
    to a scene.

    So it differs from that plan in the rescue crews (not merely in the trip covers or the passenger
    split), and it is not that plan plus more coaches, which ranked below it would be dominated: the
    same or more crews for an objective no better. Each crew does at most one rescue
    (:func:`add_crew_sequences`), so the crews of the plan above that are sent again number at most
    all but one. A plan above that sends nobody leaves nothing to leave out: no alternative then.
    """
    by_crew = group_by(
        [(o, dm.use_rescue[o.id]) for o in dm.instance.rescue_options]
        + [(r, dm.use_route[r.id]) for r in dm.instance.route_options],
        lambda pair: (pair[0].vehicle_id, pair[0].driver_id),
    )
    if not crews_above:
        dm.model.add_bool_or([])  # always false
    elif all(crew in by_crew for crew in crews_above):  # a crew without options here is left out anyway
        dm.model.add(sum(use for crew in crews_above for _, use in by_crew[crew]) <= len(crews_above) - 1)


def add_groups_served(dm: DispatchModel, group_ids: frozenset[str]) -> None:
    """An alternative sends a coach to every group the first plan sends one to: leaving stranded
    passengers to nobody is no alternative."""
    for group_id in sorted(group_ids):
        uses = [dm.use_rescue[o.id] for o in rescues_of_group(dm.instance, group_id)]
        uses += [dm.use_route[r.id] for r, _ in visits_of_group(dm.instance, group_id)]
        dm.model.add(sum(uses) >= 1)
