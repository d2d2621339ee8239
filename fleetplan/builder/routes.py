"""Rescue routes through several scenes (issue #18 §1): one standing crew collects a group, drives
on to a second scene and collects that group too (as many as the seats left allow: the solver chooses
how many each group sends), perhaps a third and more (up to ``ops.max_route_scenes``), and sets them
all down at their destinations, in every order of the distinct stops.

A route starts as the crew's own rescue option for the first group (its departure, arrival and
boarding, already checked against the turnout and the rules), so only crews that could rescue the
first group alone are tried: those with seats to spare after it, the ``ops.max_route_crews`` that
reach it soonest with a legal route (two drivers of one coach at most). A further scene is added only
for a group short of an on-time coach of its own, one of the ``ops.max_route_next`` nearest to the
scene before and at most ``ops.max_route_leg_s`` from it, and only while seats are to spare after
every group already on board; a route that breaks a rule or comes too late ends there (one more scene
only adds time). The routes grow one scene per round, the most promising first (least lateness at the
scenes, then the earliest end), until ``ops.max_routes`` are offered: with many small groups, routes
through every ordered triple or quadruple of scenes would number thousands and outgrow the solve.

The legs between the scenes and the stops are searched on the directed network at the time the coach
drives them (a scene on the other carriageway is reached through an interchange). The driver's whole
duty is checked piece by piece (drive, duty at each scene, drive, set-down, drive); when it breaks a
rule the driver rests ``min_rest`` after the transfer at one scene, the last first; a route no such rest
makes legal, or one past the driver's shift, is not offered. Passengers get off a stop before the last
in ``ops.transfer_s``. No route is built at all when one coach per group already reaches everyone on
time (:func:`fleetplan.builder.build_instance` asks :mod:`fleetplan.on_time`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import permutations

from fleetplan.builder.context import BuildContext
from fleetplan.builder.groups import arrival_delay_s
from fleetplan.builder.passing_routes import passing_routes
from fleetplan.errors import NoRouteError
from fleetplan.geo import haversine_m
from fleetplan.instance import CrewKind, RescueOption, RouteDrop, RouteOption, RouteVisit, StrandedGroup
from fleetplan.model import Vehicle
from fleetplan.rules import ProposedTask, earliest_boarding, needs_new_sign, route_task, task_violations
from fleetplan.rules.shift import shift_finding

Drops = tuple[tuple[str, tuple[str, ...]], ...]  # (stop node, groups set down there), in order


def rescue_routes(
    ctx: BuildContext, groups: Sequence[StrandedGroup], rescues: Sequence[RescueOption]
) -> list[RouteOption]:
    """The legal routes through two scenes (for each group, on to the nearest groups short of a coach
    of their own, with the first group's soonest crews) and through more (a legal route with seats to
    spare after its groups, on to one more such group, up to ``ops.max_route_scenes``), the most
    promising first, ``ops.max_routes`` at most; and the passing coaches' routes
    (:mod:`~fleetplan.builder.passing_routes`)."""
    if ctx.ops.max_route_crews == 0 or ctx.ops.max_route_scenes < 2 or len(groups) < 2:
        return []
    standing: dict[str, list[RescueOption]] = defaultdict(list)
    for option in rescues:
        if option.kind != CrewKind.PASSING:
            standing[option.group_id].append(option)
    short = [group for group in groups if not _well_served(group, rescues, len(groups))]
    found = passing_routes(ctx, groups, rescues, frozenset(group.id for group in short))
    level: list[Prefix] = []
    for first in groups:
        # a coach goes on to a second scene only with seats to spare after the first group
        spare = [o for o in standing[first.id] if o.capacity > first.passengers]
        starts = sorted(spare, key=lambda o: (o.scene_arrival, o.vehicle_id, o.driver_id))
        for second in _next_scenes(ctx, (first,), short):
            level += _soonest_crews_through(ctx, starts, (first, second))
    level = _most_promising(level, ctx.ops.max_routes - len(found))
    while level:  # one more scene per round, the most promising routes first, within ops.max_routes
        found += [route for prefix in level for route in prefix.routes]
        level = _one_scene_further(ctx, level, short, ctx.ops.max_routes - len(found))
    return found


def _most_promising(level: list[Prefix], budget: int) -> list[Prefix]:
    """The most promising of ``level`` whose routes fit in ``budget``, in their original order."""
    kept: set[int] = set()
    for index in sorted(range(len(level)), key=lambda i: level[i].promise):
        if len(level[index].routes) <= budget:
            kept.add(index)
            budget -= len(level[index].routes)
    return [prefix for index, prefix in enumerate(level) if index in kept]


@dataclass(frozen=True)
class Prefix:
    """The legal routes of one crew (``start``) through ``groups`` in order, one per order of the stops."""

    start: RescueOption
    groups: tuple[StrandedGroup, ...]
    routes: tuple[RouteOption, ...]

    @property
    def promise(self) -> tuple[int, datetime]:
        """Least lateness at the scenes, then the earliest end: the routes worth going on from first."""
        return min((sum(v.late_s for v in r.visits), r.end) for r in self.routes)


ROUTE_DRIVERS_PER_COACH = 2  # a coach's other drivers make the same route again: the solver needs a spare


def _soonest_crews_through(
    ctx: BuildContext, starts: Sequence[RescueOption], groups: tuple[StrandedGroup, ...]
) -> list[Prefix]:
    """The routes through ``groups`` of the soonest crews that have one: ``ops.max_route_crews`` crews
    at most, and at most :data:`ROUTE_DRIVERS_PER_COACH` of one coach (its crews time alike, and the
    drivers of one depot's coach would crowd out the other coaches)."""
    found: list[Prefix] = []
    per_coach: Counter[str] = Counter()
    for start in starts:
        if len(found) >= ctx.ops.max_route_crews:
            break
        if per_coach[start.vehicle_id] >= ROUTE_DRIVERS_PER_COACH:
            continue
        routes = _routes_through(ctx, start, groups)
        if routes:
            per_coach[start.vehicle_id] += 1
            found.append(Prefix(start, groups, tuple(routes)))
    return found


def _one_scene_further(
    ctx: BuildContext, level: list[Prefix], short: Sequence[StrandedGroup], budget: int
) -> list[Prefix]:
    """The legal routes one scene longer than those of ``level`` (each crew with seats to spare after
    every group on board, up to ``ops.max_route_scenes``), the most promising first, while they fit in
    ``budget`` routes. A route that breaks a rule or comes too late goes no further: one more scene
    only adds time."""
    longer: list[Prefix] = []
    extendable = [
        p
        for p in level
        if len(p.groups) < ctx.ops.max_route_scenes and p.start.capacity > sum(g.passengers for g in p.groups)
    ]
    for prefix in sorted(extendable, key=lambda p: p.promise):
        if budget <= 0:
            break
        for further in _next_scenes(ctx, prefix.groups, short):
            routes = _routes_through(ctx, prefix.start, (*prefix.groups, further))
            if routes and len(routes) <= budget:
                longer.append(Prefix(prefix.start, (*prefix.groups, further), tuple(routes)))
                budget -= len(routes)
    return longer


def _next_scenes(
    ctx: BuildContext, collected: tuple[StrandedGroup, ...], short: Sequence[StrandedGroup]
) -> list[StrandedGroup]:
    """The groups short of a coach of their own that a route having collected ``collected`` may go on
    to: not on board yet, within reach of the last scene, the ``ops.max_route_next`` nearest to it."""
    last = ctx.place(collected[-1].scene)
    near = [g for g in short if g not in collected and _within_reach(ctx, collected[-1], g)]
    near.sort(key=lambda g: (haversine_m(last.lat, last.lon, ctx.place(g.scene).lat, ctx.place(g.scene).lon), g.id))
    return near[: ctx.ops.max_route_next]


def _routes_through(
    ctx: BuildContext, start: RescueOption, groups: tuple[StrandedGroup, ...]
) -> list[RouteOption] | None:
    """The legal routes of ``start``'s crew through the scenes of ``groups`` in order, one per order of
    the delivery stops; None when there is none."""
    routes = [route for drops in drop_orders(groups) if (route := _route(ctx, start, groups, drops)) is not None]
    return routes or None


def _well_served(group: StrandedGroup, rescues: Sequence[RescueOption], groups: int) -> bool:
    """Whether ``group`` has a coach of its own in time whatever the other groups take: more coaches,
    and more drivers, that reach it within the limit with a seat for everyone than there are groups.
    A route to it could then do no better for it than such a coach, and no better for the group
    collected first than the same crew going there alone, so no route goes on to it."""
    able = [o for o in rescues if o.group_id == group.id and o.late_s == 0 and o.capacity >= group.passengers]
    return min(len({o.vehicle_id for o in able}), len({o.driver_id for o in able})) > groups


# No coach drives faster than this anywhere (the legal cap on the expressway, 实施条例 Art. 78): a
# second scene farther as the crow flies than this speed covers in ``max_route_leg_s`` is out of reach.
FASTEST_MPS = 100 / 3.6


def _within_reach(ctx: BuildContext, first: StrandedGroup, second: StrandedGroup) -> bool:
    """Whether the second scene may lie within ``ops.max_route_leg_s`` of the first (a cheap test
    before any road is searched; the leg itself is then timed on the network)."""
    one, two = ctx.place(first.scene), ctx.place(second.scene)
    return haversine_m(one.lat, one.lon, two.lat, two.lon) <= FASTEST_MPS * ctx.ops.max_route_leg_s


def drop_orders(groups: Sequence[StrandedGroup]) -> list[Drops]:
    """Every order of the distinct delivery stops, each with the groups that get off there."""
    stops: dict[str, list[str]] = {}
    for group in groups:
        stops.setdefault(group.destination_node, []).append(group.id)
    return [tuple((node, tuple(stops[node])) for node in order) for order in permutations(stops)]


def _route(
    ctx: BuildContext, start: RescueOption, groups: tuple[StrandedGroup, ...], drops: Drops
) -> RouteOption | None:
    """The route from ``start`` (the crew's rescue of the first group) with the first rest placement
    that makes the duty legal (none, then ``min_rest`` at one scene, the last first), or None."""
    vehicle, driver = ctx.dataset.vehicle(start.vehicle_id), ctx.dataset.driver(start.driver_id)
    policy, log = ctx.dataset.driving_policy, ctx.rescue_log(driver.id)
    none = (0,) * len(groups)
    placements = [none] + [none[:k] + (policy.min_rest_s,) + none[k + 1 :] for k in reversed(range(len(groups)))]
    for rests in placements:
        try:
            timed = _timed(ctx, vehicle, start, groups, drops, rests)
        except NoRouteError:
            return None
        if timed is None:
            return None
        route, task = timed
        if not task_violations(driver, log, task, vehicle, policy):
            on_shift = shift_finding(driver, route.depart_at, route.end) is None
            return route if on_shift and vehicle.permit_valid_on(route.end.date()) else None
    return None


def _timed(
    ctx: BuildContext,
    vehicle: Vehicle,
    start: RescueOption,
    groups: tuple[StrandedGroup, ...],
    drops: Drops,
    rests: tuple[int, ...],
) -> tuple[RouteOption, ProposedTask] | None:
    """The route's times and the driver's task with ``rests`` (seconds at each scene), or None when a
    later scene is too far from the one before or reached too late to be worth offering. Raises
    NoRouteError."""
    transfer = timedelta(seconds=ctx.ops.transfer_s)
    first = groups[0]
    leave = start.boarding_at + transfer + timedelta(seconds=rests[0])
    visits = [_visit(first, start.scene_arrival, start.boarding_at, leave, rests[0], start.needs_new_sign)]
    metres, drive_s = start.deadhead_m, (start.scene_arrival - start.depart_at).total_seconds()
    place = first.scene
    for k, group in enumerate(groups[1:], start=1):
        leg = ctx.route(vehicle, place, group.scene, leave)
        arrival = leave + timedelta(seconds=leg.travel_time_s)
        if (
            leg.travel_time_s > ctx.ops.max_route_leg_s
            or (arrival - group.deadline).total_seconds() > ctx.ops.max_late_s
        ):
            return None
        trip = ctx.dataset.trip(group.trip_id) if group.trip_id else None
        sign = needs_new_sign(trip, start.vehicle_id, start.driver_id)
        boarding = earliest_boarding(arrival, ctx.at, sign, ctx.dataset.driving_policy)
        leave = boarding + transfer + timedelta(seconds=rests[k])
        visits.append(_visit(group, arrival, boarding, leave, rests[k], sign))
        metres, drive_s, place = metres + leg.length_m, drive_s + leg.travel_time_s, group.scene
    route_drops: list[RouteDrop] = []
    moment = leave
    for k, (node, group_ids) in enumerate(drops):
        leg = ctx.route(vehicle, place, node, moment)
        arrival = moment + timedelta(seconds=leg.travel_time_s)
        leave = arrival + (transfer if k < len(drops) - 1 else timedelta(0))
        route_drops.append(RouteDrop(node, arrival, leave, group_ids))
        metres, drive_s, place, moment = metres + leg.length_m, drive_s + leg.travel_time_s, node, leave
    dropped_at = {gid: drop for drop in route_drops for gid in drop.group_ids}
    by_id = {group.id: group for group in groups}
    visits = [_delivered(v, by_id[v.group_id], dropped_at[v.group_id]) for v in visits]
    order = "" if len(drops) == 1 else "|" + ",".join(node for node, _ in drops)
    route = RouteOption(
        id=f"T:{start.crew_id}>{'+'.join(group.id for group in groups)}{order}",
        crew_id=start.crew_id,
        vehicle_id=start.vehicle_id,
        driver_id=start.driver_id,
        kind=start.kind,
        origin_node=start.origin_node or "",
        depart_at=start.depart_at,
        capacity=start.capacity,
        deadhead_m=start.deadhead_m,
        drive_s=int(drive_s),
        driver_hours_left_s=start.driver_hours_left_s,
        visits=tuple(visits),
        drops=tuple(route_drops),
    )
    return route, route_task(start.depart_at, route.calls, distance_m=float(metres))


def _visit(
    group: StrandedGroup, arrival: datetime, boarding: datetime, leave: datetime, rest_s: int, sign: bool
) -> RouteVisit:
    """A scene's call, its delivery still to be filled in (:func:`_delivered`)."""
    return RouteVisit(
        group_id=group.id,
        scene_arrival=arrival,
        boarding_at=boarding,
        leave_at=leave,
        rest_s=rest_s,
        destination_node="",
        destination_arrival=arrival,
        late_s=max(0, int((arrival - group.deadline).total_seconds())),
        delay_at_destination_s=0,
        needs_new_sign=sign,
    )


def _delivered(visit: RouteVisit, group: StrandedGroup, drop: RouteDrop) -> RouteVisit:
    return replace(
        visit,
        destination_node=drop.node,
        destination_arrival=drop.arrival,
        delay_at_destination_s=arrival_delay_s(group, drop.arrival),
    )
