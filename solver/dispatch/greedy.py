"""The greedy baseline: what a dispatcher does by hand.

For each stranded group in report order, the standby coach that reaches the scene first among those
with enough seats (the biggest one if none has enough), with any legal driver; no split, no passing
coaches. Then each later trip, in departure order, goes to its own crew if still free, else to the
free coach that can run it with the least delay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from fleetplan.instance import CrewKind, Instance, RescueOption, RouteOption, TripOption
from fleetplan.on_time import on_time_rescues as find_on_time_rescues
from fleetplan.plan import Plan

from solver.dispatch.plans import build_plan, group_by


def solve(instance: Instance) -> Plan:
    """The greedy plan for ``instance``: what a dispatcher does by hand (see the module docstring).

    Exported as :func:`solver.dispatch.greedy_plan`; :func:`solver.dispatch.solve` returns it when
    CP-SAT finds nothing in time and ranks it first when a cut search ends behind it.

    Parameters
    ----------
    instance
        From :func:`solver.dispatch.prepare`.

    Returns
    -------
    Plan
        With ``source == "greedy"``; it may leave passengers behind (never splits, never waits for a
        passing coach).
    """
    busy_vehicles: set[str] = set()
    busy_drivers: set[str] = set()
    rescues: dict[str, int] = {}
    crews_rescuing: dict[str, str] = {}  # crew id → its rescue option id
    for group in sorted(instance.groups, key=lambda g: (g.reported_at, g.id)):
        option = _pick_rescue(
            instance.rescue_options_by_group.get(group.id, ()), group.passengers, busy_vehicles, busy_drivers
        )
        if option is None:
            continue
        rescues[option.id] = min(option.capacity, group.passengers)
        crews_rescuing[option.crew_id] = option.id
        busy_vehicles.add(option.vehicle_id)
        busy_drivers.add(option.driver_id)
    trips = _cover_trips(instance, crews_rescuing, busy_vehicles, busy_drivers)
    return build_plan(instance, rescues, trips, source="greedy")


def cover_trips(instance: Instance, rescue_option_ids: Iterable[str], routes: Iterable[RouteOption] = ()) -> list[str]:
    """The trip options a dispatcher would add by hand to these rescues and routes (each trip to its
    own crew if still free, else to the free coach that runs it with the least delay, one that no later
    trip waits for first; a rescuing or route crew only right after its rescue or route)."""
    wanted = set(rescue_option_ids)
    chosen = [o for o in instance.rescue_options if o.id in wanted]
    routes = list(routes)
    crews_rescuing = {o.crew_id: o.id for o in chosen} | {r.crew_id: r.id for r in routes}
    busy_vehicles = {o.vehicle_id for o in chosen} | {r.vehicle_id for r in routes}
    busy_drivers = {o.driver_id for o in chosen} | {r.driver_id for r in routes}
    return _cover_trips(instance, crews_rescuing, busy_vehicles, busy_drivers)


def _pick_rescue(
    options: tuple[RescueOption, ...], passengers: int, busy_vehicles: set[str], busy_drivers: set[str]
) -> RescueOption | None:
    free = [
        o
        for o in options
        if o.kind == CrewKind.STANDBY and o.vehicle_id not in busy_vehicles and o.driver_id not in busy_drivers
    ]
    if not free:
        return None
    big_enough = [o for o in free if o.capacity >= passengers]
    if big_enough:
        return min(big_enough, key=lambda o: (o.scene_arrival, o.deadhead_m, o.id))
    return min(free, key=lambda o: (-o.capacity, o.scene_arrival, o.id))


def _cover_trips(
    instance: Instance, crews_rescuing: dict[str, str], busy_vehicles: set[str], busy_drivers: set[str]
) -> list[str]:
    options_by_trip = group_by(instance.trip_options, lambda o: o.trip_id)
    chosen: list[str] = []
    crews_with_trip: set[str] = set()  # a crew runs at most one trip
    tasks = sorted(instance.trip_tasks, key=lambda t: (t.departure, t.trip_id))
    planned_later = Counter(r for t in tasks for r in (t.planned_vehicle_id, t.planned_driver_id))

    def rank(o: TripOption) -> tuple:
        # no later than needed, then a crew no later trip waits for (else that trip needs another)
        takes_planned = planned_later[o.vehicle_id] > 0 or planned_later[o.driver_id] > 0
        return (o.departure_shift_s, takes_planned, o.deadhead_m, o.id)

    for task in tasks:
        planned_later.subtract((task.planned_vehicle_id, task.planned_driver_id))
        usable = [
            o
            for o in options_by_trip.get(task.trip_id, [])
            if o.crew_id not in crews_with_trip and _usable(o, crews_rescuing, busy_vehicles, busy_drivers)
        ]
        if not usable:
            continue
        own = [o for o in usable if o.vehicle_id == task.planned_vehicle_id and o.driver_id == task.planned_driver_id]
        option = min(own or usable, key=rank)
        chosen.append(option.id)
        crews_with_trip.add(option.crew_id)
        if option.crew_id not in crews_rescuing:  # a rescuing crew is already counted busy
            busy_vehicles.add(option.vehicle_id)
            busy_drivers.add(option.driver_id)
    return chosen


def _usable(
    option: TripOption, crews_rescuing: dict[str, str], busy_vehicles: set[str], busy_drivers: set[str]
) -> bool:
    if option.crew_id in crews_rescuing:  # this crew rescued: only an option chained after its rescue or route fits
        return (option.after_rescue_id or option.after_route_id) == crews_rescuing[option.crew_id]
    return not option.chained and option.vehicle_id not in busy_vehicles and option.driver_id not in busy_drivers


def on_time_rescues(instance: Instance, allow_split: bool = True) -> dict[str, int] | None:
    """:func:`fleetplan.on_time.on_time_rescues` on ``instance``'s groups and rescue options."""
    return find_on_time_rescues(instance.groups, instance.rescue_options_by_group, allow_split)
