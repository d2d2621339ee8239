"""Turning chosen options into plans, and the solver-side account of their objective.

Shared by the CP-SAT model and the greedy baseline. The evaluator in :mod:`fleetplan.evaluate`
recomputes all of this independently from the network and the rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from fleetplan.instance import Instance, RescueOption, TripOption
from fleetplan.plan import Objective, Plan, Rescue, TripCover
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


def objective_from(instance: Instance, rescues: dict[str, int], trips: frozenset[str]) -> Objective:
    """The solver's own account of the objective of a chosen set of options (the evaluator recomputes it)."""
    rescue_by_id = {o.id: o for o in instance.rescue_options}
    trip_by_id = {o.id: o for o in instance.trip_options}
    used_r = [(rescue_by_id[o], pax) for o, pax in rescues.items()]
    used_t = [trip_by_id[o] for o in trips]
    carried_by_group: dict[str, int] = defaultdict(int)
    for option, pax in used_r:
        carried_by_group[option.group_id] += pax
    covered = {o.trip_id for o in used_t}
    used_vehicles = {o.vehicle_id for o, _ in used_r} | {o.vehicle_id for o in used_t}
    return Objective(
        passengers_not_reached=sum(g.passengers for g in instance.groups) - sum(p for o, p in used_r if o.late_s == 0),
        late_penalty=sum(p * late_penalty(instance, o) for o, p in used_r)
        + sum(unreached_penalty(instance, g.id) * (g.passengers - carried_by_group[g.id]) for g in instance.groups),
        passenger_delay_min=sum(p * delay_min_per_passenger(o) + own_passengers_delay_min(o) for o, p in used_r),
        trips_uncovered=sum(1 for t in instance.trip_tasks if t.trip_id not in covered),
        trips_retimed_min=sum(ceil_minutes(o.departure_shift_s) for o in used_t),
        trips_recrewed=len(trips & recrewing_options(instance)),
        deadhead_km=sum(km(o.deadhead_m) for o, _ in used_r) + sum(km(o.deadhead_m) for o in used_t),
        coverage_lost=sum(1 for vs in instance.standby_by_city.values() if vs and set(vs) <= used_vehicles),
        rescue_coaches=len({o.vehicle_id for o, _ in used_r}),
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


def build_plan(instance: Instance, rescues: dict[str, int], trips: Iterable[str], source: str) -> Plan:
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

    Returns
    -------
    Plan
        Rescues and covers in option-id order, the trips left uncovered, the objective and a
        one-line explanation.
    """
    rescue_by_id = {o.id: o for o in instance.rescue_options}
    trip_by_id = {o.id: o for o in instance.trip_options}
    trips = frozenset(trips)
    chosen_rescues = tuple(rescue_from_option(rescue_by_id[o], pax) for o, pax in sorted(rescues.items()))
    covers = tuple(cover_from_option(trip_by_id[o]) for o in sorted(trips))
    covered = {c.trip_id for c in covers}
    uncovered = tuple(t.trip_id for t in instance.trip_tasks if t.trip_id not in covered)
    objective = objective_from(instance, rescues, trips)
    draft = Plan(chosen_rescues, covers, uncovered, objective, source=source)
    return Plan(chosen_rescues, covers, uncovered, objective, explain(instance, draft), source=source)


def rescues_of_group(instance: Instance, group_id: str) -> tuple[RescueOption, ...]:
    return instance.rescue_options_by_group.get(group_id, ())


def late_penalty(instance: Instance, option: RescueOption) -> int:
    """The lateness penalty per passenger of a rescue option (:mod:`fleetplan.tiers`)."""
    return tier_late_penalty(instance.tier_policy, instance.tier_of(option.group_id), option.late_s)


def unreached_penalty(instance: Instance, group_id: str) -> int:
    """The lateness penalty of a passenger of the group whom nobody reaches."""
    return tier_unreached_penalty(instance.tier_policy, instance.tier_of(group_id))


def delay_min_per_passenger(option: RescueOption) -> int:
    """Passenger delay at the destination per passenger a rescue carries (whole minutes)."""
    return ceil_minutes(option.delay_at_destination_s)


def own_passengers_delay_min(option: RescueOption) -> int:
    """Passenger-minutes of delay a rescue causes a passing coach's own passengers (0 for others)."""
    return option.own_passengers * ceil_minutes(option.own_passenger_delay_s)


def km(length_m: int) -> int:
    return round(length_m / KM)


def group_by(items, key: Callable) -> dict:
    grouped: dict = defaultdict(list)
    for item in items:
        grouped[key(item)].append(item)
    return grouped
