"""Passing routes (issue #18 §1): a coach on its trip that passes two or more scenes ahead of it stops
at each in turn, takes passengers of every group into its free seats, and sets each group down at a
stop of its own trip that the group's failed trip also serves (the furthest such stop, as a passing
coach with one group does).

Only a coach that could take each group alone is tried (its passing options), at the scenes in the
order it passes them. The scenes must lie between the same two of its own stops (it calls at no
stop of its own between them) and the way from one scene to the next must follow its course. It stops
``ops.passing_dwell_s`` at each scene after the group's charter sign, if its crew needs one; the
delay it causes its own passengers at its last stop, all stops counted, stays within
``ops.max_passing_delay_s``. A further scene is added only for a group short of an on-time coach of
its own and only while seats are to spare after every group already on board, up to
``ops.max_route_scenes``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetplan.builder.context import BuildContext
from fleetplan.builder.groups import arrival_delay_s
from fleetplan.builder.passing import passes, stop_arrivals
from fleetplan.errors import NoRouteError
from fleetplan.instance import CrewKind, RescueOption, RouteDrop, RouteOption, RouteVisit, StrandedGroup
from fleetplan.model import Stop, Trip, Vehicle
from fleetplan.rules import earliest_boarding, needs_new_sign
from fleetplan.timetable import Passing, caused_delay_s


def passing_routes(
    ctx: BuildContext, groups: Sequence[StrandedGroup], rescues: Sequence[RescueOption], short: frozenset[str]
) -> list[RouteOption]:
    """Every passing route through two scenes or more (``short``: the groups short of an on-time coach
    of their own, the only ones a route goes on to)."""
    by_id = {group.id: group for group in groups}
    by_crew: dict[str, list[RescueOption]] = defaultdict(list)
    for option in rescues:
        if option.kind == CrewKind.PASSING:
            by_crew[option.crew_id].append(option)
    found = []
    for options in by_crew.values():
        if len(options) < 2:
            continue
        first = options[0]
        vehicle, trip = ctx.dataset.vehicle(first.vehicle_id), ctx.dataset.trip(first.passing_trip_id or "")
        passings = {o.group_id: passes(ctx, vehicle, trip, by_id[o.group_id]) for o in options}
        stops = {gid: p for gid, p in passings.items() if isinstance(p, Passing)}
        ordered = sorted((o for o in options if o.group_id in stops), key=lambda o: (o.scene_arrival, o.group_id))
        course = ctx.course(trip, vehicle)
        coach = _Coach(vehicle, trip, frozenset(point.node_id for point in course.points))
        for k, start in enumerate(ordered):
            found += _extended(ctx, coach, (start,), ordered[k + 1 :], stops, by_id, short)
    return found


@dataclass(frozen=True)
class _Coach:
    """The passing coach, its trip and the nodes of its course."""

    vehicle: Vehicle
    trip: Trip
    course: frozenset[str]


def _extended(
    ctx: BuildContext,
    coach: _Coach,
    taken: tuple[RescueOption, ...],
    later: Sequence[RescueOption],
    stops: dict[str, Passing],
    by_id: dict[str, StrandedGroup],
    short: frozenset[str],
) -> list[RouteOption]:
    """The routes that stop at the scenes of ``taken`` and go on to one of the ``later`` scenes (then on
    further while seats are to spare)."""
    aboard = sum(by_id[o.group_id].passengers for o in taken)
    if len(taken) >= ctx.ops.max_route_scenes or taken[0].capacity <= aboard:
        return []
    found = []
    for k, step in enumerate(later):
        if step.group_id not in short or stops[step.group_id].stops_ahead != stops[taken[0].group_id].stops_ahead:
            continue
        through = (*taken, step)
        route = _route(ctx, coach, through, stops[taken[0].group_id], by_id)
        if route is None:
            continue  # one more scene only adds time
        found.append(route)
        found += _extended(ctx, coach, through, later[k + 1 :], stops, by_id, short)
    return found


def _route(
    ctx: BuildContext,
    coach: _Coach,
    taken: tuple[RescueOption, ...],
    passing: Passing,
    by_id: dict[str, StrandedGroup],
) -> RouteOption | None:
    """The route stopping at the scenes of ``taken`` in order, or None when a scene is reached off the
    course or too late, or the coach's own passengers would be delayed too much."""
    vehicle, trip, policy = coach.vehicle, coach.trip, ctx.dataset.driving_policy
    dwell = timedelta(seconds=ctx.ops.passing_dwell_s)
    first = taken[0]
    calls: list[tuple[StrandedGroup, datetime, datetime, bool]] = []  # group, arrival, boarding, new sign
    leave, drive_s = first.boarding_at + dwell, 0
    calls.append((by_id[first.group_id], first.scene_arrival, first.boarding_at, first.needs_new_sign))
    for option in taken[1:]:
        group, before = by_id[option.group_id], calls[-1][0]
        try:
            leg = ctx.route(vehicle, before.scene, group.scene, leave)
        except NoRouteError:
            return None
        arrival = leave + timedelta(seconds=leg.travel_time_s)
        if not set(leg.path) <= coach.course or (arrival - group.deadline).total_seconds() > ctx.ops.max_late_s:
            return None
        failed_trip = ctx.dataset.trip(group.trip_id) if group.trip_id else None
        sign = needs_new_sign(failed_trip, vehicle.id, first.driver_id)
        boarding = earliest_boarding(arrival, ctx.at, sign, policy)
        calls.append((group, arrival, boarding, sign))
        leave, drive_s = boarding + dwell, drive_s + leg.travel_time_s
    last_scene = calls[-1][0].scene
    try:
        arrivals = stop_arrivals(ctx, vehicle, last_scene, passing.stops_ahead, leave)
        unstopped = stop_arrivals(ctx, vehicle, calls[0][0].scene, passing.stops_ahead, first.scene_arrival)
    except NoRouteError:
        return None
    own_delay_s = caused_delay_s(trip.arrival, arrivals[-1], unstopped[-1])
    if own_delay_s > ctx.ops.max_passing_delay_s:
        return None
    drops = _drops(passing.stops_ahead, arrivals, [group for group, *_ in calls])
    dropped_at = {gid: drop for drop in drops for gid in drop.group_ids}
    visits = tuple(
        RouteVisit(
            group_id=group.id,
            scene_arrival=arrival,
            boarding_at=boarding,
            leave_at=boarding + dwell,
            rest_s=0,
            destination_node=dropped_at[group.id].node,
            destination_arrival=dropped_at[group.id].arrival,
            late_s=max(0, int((arrival - group.deadline).total_seconds())),
            delay_at_destination_s=arrival_delay_s(group, dropped_at[group.id].arrival, dropped_at[group.id].node),
            needs_new_sign=sign,
        )
        for group, arrival, boarding, sign in calls
    )
    return RouteOption(
        id=f"T:{first.crew_id}>{'+'.join(group.id for group, *_ in calls)}",
        crew_id=first.crew_id,
        vehicle_id=vehicle.id,
        driver_id=first.driver_id,
        kind=CrewKind.PASSING,
        origin_node="",
        depart_at=first.scene_arrival,
        capacity=first.capacity,
        deadhead_m=0,
        drive_s=int(drive_s + (drops[-1].arrival - leave).total_seconds()),
        driver_hours_left_s=first.driver_hours_left_s,
        visits=visits,
        drops=drops,
        passing_trip_id=trip.id,
        own_passengers=trip.booked_passengers,
        own_passenger_delay_s=own_delay_s,
    )


def _drops(stops: tuple[Stop, ...], arrivals: list[datetime], groups: list[StrandedGroup]) -> tuple[RouteDrop, ...]:
    """The coach's own stops where groups get off, in order: each group at the furthest stop that its
    failed trip also serves. It leaves a stop no earlier than its timetable (and the last drop is the
    route's end)."""
    leaving: dict[str, list[str]] = defaultdict(list)
    for group in groups:
        leaving[[stop.node_id for stop in stops if stop.node_id in group.set_down_nodes][-1]].append(group.id)
    called = [(stop, arrival) for stop, arrival in zip(stops, arrivals) if stop.node_id in leaving]
    return tuple(
        RouteDrop(
            stop.node_id,
            arrival,
            arrival if k == len(called) - 1 else max(arrival, stop.planned),
            tuple(leaving[stop.node_id]),
        )
        for k, (stop, arrival) in enumerate(called)
    )
