"""Candidate crews: every coach–driver pair that could serve, and a rejection for every coach, driver
or pair that cannot (workshop, permit, busy, licence, shift, no legal driver)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from fleetplan.builder.context import BuildContext
from fleetplan.errors import NoRouteError
from fleetplan.instance import Crew, CrewKind, RejectionCode, StrandedGroup
from fleetplan.model import Activity, Driver, SiteKind, Vehicle
from fleetplan.phrase import Joined, Phrase, PlaceRef, phrase
from fleetplan.state import Whereabouts

# Spare drivers per coach whose shift begins after the report, offered for the later trips only
# (bounded like the others, so that a busy depot does not multiply its crews).
LATER_SHIFT_SPARES = 1
ORPHAN_COACHES = 2  # coaches offered to a driver whose own coach has failed (OrphanedDrivers)


def candidate_crews(ctx: BuildContext, groups: tuple[StrandedGroup, ...], failed: set[str]) -> tuple[Crew, ...]:
    """Every coach–driver pair that could serve; a rejection for every coach or pair that cannot."""
    crews: list[Crew] = []
    shortest = ShortestRescue(ctx, groups)
    orphans = OrphanedDrivers(ctx)
    for vehicle in ctx.dataset.vehicles:
        if vehicle.id in failed:
            continue
        state = ctx.state.vehicles[vehicle.id]
        if vehicle.id in ctx.unavailable:
            ctx.reject_unavailable(vehicle.id)
        elif state.whereabouts == Whereabouts.WORKSHOP:
            ctx.reject(vehicle.id, RejectionCode.IN_WORKSHOP, phrase("in_workshop", vehicle=vehicle.id))
        elif not vehicle.permit_valid_on(ctx.at.date()):
            ctx.reject(
                vehicle.id,
                RejectionCode.PERMIT,
                phrase("permit_expired", vehicle=vehicle.id, date=vehicle.permit_valid_until),
            )
        elif state.whereabouts == Whereabouts.ON_ROAD:
            seen = ctx.live.sighted[vehicle.id]
            ctx.reject(
                vehicle.id, RejectionCode.ON_THE_ROAD, phrase("on_the_road", vehicle=vehicle.id, gps=seen.phrase())
            )
        elif state.whereabouts == Whereabouts.ON_TRIP:
            assert state.current_trip_id is not None  # set for a coach on a trip (fleetplan.state)
            crew = _passing_crew(ctx, vehicle, state.current_trip_id)
            if crew:
                crews.append(crew)
        else:
            assert state.node_id is not None  # set for a coach that is not on a trip (fleetplan.state)
            leaving = _trip_leaving_soon(ctx, state.later_trip_ids)
            if leaving is None:
                standing = _standing_crews(ctx, vehicle, state.node_id, state.whereabouts, shortest)
                paired = {crew.driver_id for crew in standing}
                orphaned = [d for d in orphans.for_coach(vehicle) if d.id not in paired]
                crews += standing + _pair(ctx, vehicle, state.node_id, _kind(state.whereabouts), orphaned)[0]
            else:  # about to start its trip: it runs it, and may pick up on its way like a coach under way
                crew = _passing_crew(ctx, vehicle, leaving)
                crews += [crew] if crew else []
    return tuple(crews)


def _trip_leaving_soon(ctx: BuildContext, later_trip_ids: Sequence[str]) -> str | None:
    """The coach's next trip if it leaves within ``ops.passing_window_s`` of the decision."""
    if not later_trip_ids:
        return None
    trip = ctx.dataset.trip(later_trip_ids[0])
    return trip.id if trip.departure - ctx.at <= timedelta(seconds=ctx.ops.passing_window_s) else None


class ShortestRescue:
    """A lower bound on the shortest rescue from a place, in seconds: driving now to the nearest scene
    and on to that group's destination under the build's conditions, with the passengers' change of
    coach and, for a drive longer than the continuous-driving limit allows, the rests it needs at the
    least (by the day's limit; one may be taken during the change). A driver with less shift or
    driving time left rescues nobody from there (a shift ending before a rescue in ice can)."""

    def __init__(self, ctx: BuildContext, groups: Sequence[StrandedGroup]) -> None:
        self.ctx, self.groups = ctx, groups
        self._by_place: dict[tuple[str, str], float] = {}

    def from_node(self, vehicle: Vehicle, node_id: str) -> float:
        key = (vehicle.vehicle_class.value, node_id)
        if key not in self._by_place:
            times = [self._via(vehicle, node_id, group) for group in self.groups]
            self._by_place[key] = min((t for t in times if t is not None), default=0.0)
        return self._by_place[key]

    def _via(self, vehicle: Vehicle, node_id: str, group: StrandedGroup) -> float | None:
        ctx, leave = self.ctx, self.ctx.at + timedelta(seconds=self.ctx.ops.turnout_s)
        policy = ctx.dataset.driving_policy
        try:
            there = ctx.route(vehicle, node_id, group.scene, leave).travel_time_s
            onward = ctx.route(vehicle, group.scene, group.destination_node, leave + timedelta(seconds=there))
        except NoRouteError:
            return None
        driving = there + onward.travel_time_s
        rests = max(0, math.ceil(driving / policy.day_continuous_max_s) - 1)
        return driving + max(ctx.ops.transfer_s, rests * policy.min_rest_s)


class OrphanedDrivers:
    """Drivers whose next trip's coach has failed: they have a trip to run and no coach. Each is
    offered with :data:`ORPHAN_COACHES` coaches standing where the driver is (at the home depot when
    off shift): standby coaches first, then those with the fewest trips of their own, the smallest
    that seats the trip's passengers. The spare rotation alone may never pair them with a coach."""

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx
        self._by_coach: dict[str, list[Driver]] | None = None

    def for_coach(self, vehicle: Vehicle) -> list[Driver]:
        if self._by_coach is None:
            self._by_coach = self._chosen()
        return self._by_coach.get(vehicle.id, [])

    def _chosen(self) -> dict[str, list[Driver]]:
        ctx, chosen = self.ctx, defaultdict(list)
        nodes = {node for vehicle_id in ctx.failed if (node := ctx.state.vehicles[vehicle_id].node_id)}
        nodes |= {ctx.home_node(d) for d in ctx.dataset.drivers}
        for node in sorted(nodes):
            for driver in ctx.drivers_at(node):
                trip = ctx.next_trip(ctx.state.drivers[driver.id].later_trip_ids)
                if trip is None or trip.vehicle_id not in ctx.failed or driver.id in ctx.unavailable:
                    continue
                for vehicle_id in self._coaches_for(node, trip.booked_passengers):
                    chosen[vehicle_id].append(driver)
        return dict(chosen)

    def _coaches_for(self, node: str, passengers: int) -> list[str]:
        ctx = self.ctx
        usable = [
            ctx.dataset.vehicle(v)
            for v in ctx.standing_at(node)
            if v not in ctx.failed
            and v not in ctx.unavailable
            and ctx.state.vehicles[v].whereabouts in (Whereabouts.STANDBY, Whereabouts.IDLE)
            and ctx.dataset.vehicle(v).seats >= passengers
        ]
        ranked = sorted(
            usable,
            key=lambda v: (
                ctx.state.vehicles[v.id].whereabouts != Whereabouts.STANDBY,
                len(ctx.state.vehicles[v.id].later_trip_ids),
                v.seats,
                v.id,
            ),
        )
        return [v.id for v in ranked[:ORPHAN_COACHES]]


def _kind(whereabouts: Whereabouts) -> CrewKind:
    return CrewKind.STANDBY if whereabouts == Whereabouts.STANDBY else CrewKind.IDLE


def _standing_crews(
    ctx: BuildContext, vehicle: Vehicle, node_id: str, whereabouts: Whereabouts, shortest: ShortestRescue
) -> list[Crew]:
    """The coach with the drivers a dispatcher would give it: its own driver (the one of its next
    trip) when legal and on shift with time left for a rescue, else a few spare drivers standing
    there (no trip within the horizon, or whose next trip's coach has failed; rotated so that a
    depot's coaches are offered different ones, with one whose shift begins later for the later
    trips); only when none of them can leave now, the other drivers standing there, whose own trips
    then need re-covering.

    Pairing every coach with every driver at a busy depot made a thousand-coach fleet explode into
    tens of thousands of crews that differ in nothing the plan is judged by.
    """
    kind = _kind(whereabouts)
    present = ctx.drivers_at(node_id)
    by_next_vehicle, spares = _drivers_by_role(ctx, node_id)
    own = by_next_vehicle.get(vehicle.id, [])
    crews, reasons = _pair(ctx, vehicle, node_id, kind, own)
    need_s = shortest.from_node(vehicle, node_id)
    if not _can_rescue(ctx, crews, need_s):  # own drivers who cannot finish the shortest rescue from here
        more, why = _pair(ctx, vehicle, node_id, kind, _offered_spares(ctx, vehicle, node_id, spares, need_s))
        crews, reasons = crews + more, reasons + why
    if not _can_rescue(ctx, crews, need_s):
        named = {d.id for d in own} | {d.id for d in spares}
        others = [d for d in present if d.id not in named]
        more, why = _pair(ctx, vehicle, node_id, kind, [d for d in others if ctx.on_shift_when_ready(d)])
        crews, reasons = crews + more, reasons + why
    place = PlaceRef(node_id)
    if not crews:
        drivers = Joined(tuple(reasons), "semicolon")
        said = phrase("no_driver_because" if reasons else "no_driver", place=place, vehicle=vehicle.id, drivers=drivers)
        ctx.reject(vehicle.id, RejectionCode.NO_DRIVER, said)
    elif not _can_rescue(ctx, crews):  # it can still run a later trip with a driver whose shift begins later
        later = tuple(crew.driver_id for crew in crews)
        ctx.reject(
            vehicle.id, RejectionCode.NO_DRIVER, phrase("no_driver_now", place=place, vehicle=vehicle.id, drivers=later)
        )
    return crews


def _offered_spares(
    ctx: BuildContext, vehicle: Vehicle, node_id: str, spares: Sequence[Driver], need_s: float
) -> list[Driver]:
    """``ops.spare_drivers_per_coach`` of the legal spare drivers on shift now, the most rested first
    and rotated by the coach's place among the coaches standing at ``node_id``, so that any few
    coaches there can leave together with different drivers. Those with shift and driving time left
    for the shortest rescue (``need_s``) come first: when only one can rescue at all, every coach there
    is offered with that driver, and the plan picks the coach (the largest, say). And, rotated the same way,
    :data:`LATER_SHIFT_SPARES` whose shift begins later (they cannot rescue now, but can run a later
    trip inside their shift, which a driver on shift now often cannot)."""
    legal = [
        d
        for d in _most_rested_first(ctx, node_id, spares)
        if d.id not in ctx.unavailable and ctx.driver_problem(d, vehicle) is None
    ]
    now = [d for d in legal if ctx.on_shift_when_ready(d)]
    later = [d for d in legal if not ctx.on_shift_when_ready(d)]
    place = ctx.standing_at(node_id).index(vehicle.id) if vehicle.id in ctx.standing_at(node_id) else 0
    able = [d for d in now if _time_left_s(ctx, d) >= need_s]
    count = ctx.ops.spare_drivers_per_coach
    first = _rotated(able, place, count)
    rest = _rotated([d for d in now if d not in able], place, count - len(first))
    offered = first + rest + _rotated(later, place, LATER_SHIFT_SPARES)
    # the others are still named, so that their own reasons (licence, hours) are reported
    legal_ids = {d.id for d in legal}
    return offered + [d for d in spares if d.id not in legal_ids]


def _most_rested_first(ctx: BuildContext, node_id: str, spares: Sequence[Driver]) -> list[Driver]:
    """The spares standing at ``node_id``, least driving in the last day first (then by id); sorted
    once per place, as every coach standing there asks."""
    if node_id not in ctx.spares_by_rest:
        ctx.spares_by_rest[node_id] = sorted(spares, key=lambda d: (_driven_last_day_s(ctx, d), d.id))
    return ctx.spares_by_rest[node_id]


def _rotated(drivers: Sequence[Driver], place: int, count: int) -> list[Driver]:
    """``count`` of ``drivers`` starting at ``place`` (modulo), wrapping around."""
    if not drivers:
        return []
    return [drivers[(place + k) % len(drivers)] for k in range(min(count, len(drivers)))]


def _can_rescue(ctx: BuildContext, crews: Sequence[Crew], need_s: float = 0.0) -> bool:
    """Whether one of ``crews`` has a driver on shift when a crew can leave, with at least ``need_s`` of
    that shift and of driving time left (the shortest rescue from there)."""
    return any(_time_left_s(ctx, ctx.dataset.driver(crew.driver_id)) >= need_s for crew in crews)


def _time_left_s(ctx: BuildContext, driver: Driver) -> float:
    """The shift and driving time ``driver`` has left when a crew can leave, whichever is shorter; -1
    when off shift then."""
    ready = ctx.at + timedelta(seconds=ctx.ops.turnout_s)
    window = ctx.shift_window(driver, ready)
    if window is None:
        return -1.0
    return min((window[1] - ready).total_seconds(), ctx.driving_left_s(driver.id, ready))


def _driven_last_day_s(ctx: BuildContext, driver: Driver) -> float:
    since = ctx.at - timedelta(days=1)
    return sum(
        (min(i.end, ctx.at) - max(i.start, since)).total_seconds()
        for i in ctx.state.drivers[driver.id].duty_log
        if i.activity == Activity.DRIVE and i.end > since and i.start < ctx.at
    )


def _pair(
    ctx: BuildContext, vehicle: Vehicle, node_id: str, kind: CrewKind, drivers: Sequence[Driver]
) -> tuple[list[Crew], list[Phrase]]:
    crews: list[Crew] = []
    reasons: list[Phrase] = []
    city = _depot_city(ctx, node_id)
    for driver in drivers:
        if driver.id in ctx.unavailable:
            ctx.reject_unavailable(driver.id)
            continue
        problem = ctx.driver_problem(driver, vehicle)
        if problem:  # a driver's own reason, reported once for the driver rather than per coach
            code, said = problem
            ctx.reject(driver.id, code, said)
            reasons.append(phrase("driver_code", driver=driver.id, code=code))
            continue
        crews.append(
            Crew(
                f"{vehicle.id}+{driver.id}",
                kind,
                vehicle.id,
                driver.id,
                node_id,
                ctx.at + timedelta(seconds=ctx.ops.turnout_s),
                vehicle.seats,
                city,
            )
        )
    return crews, reasons


def _drivers_by_role(ctx: BuildContext, node_id: str) -> tuple[dict[str, list[Driver]], list[Driver]]:
    """The drivers standing at ``node_id`` by the coach of their next trip within the horizon, and
    the spares (no trip within it), in dataset order; sorted once per place, as every coach standing
    there asks."""
    if node_id not in ctx.roles_at:
        by_next_vehicle: dict[str, list[Driver]] = defaultdict(list)
        spares: list[Driver] = []
        for driver in ctx.drivers_at(node_id):
            trip = ctx.next_trip(ctx.state.drivers[driver.id].later_trip_ids)
            # a driver whose next coach has failed has no coach: a spare, who may run that trip with another
            if trip is None or trip.vehicle_id in ctx.failed:
                spares.append(driver)
            else:
                by_next_vehicle[trip.vehicle_id].append(driver)
        ctx.roles_at[node_id] = (dict(by_next_vehicle), spares)
    return ctx.roles_at[node_id]


def _passing_crew(ctx: BuildContext, vehicle: Vehicle, trip_id: str) -> Crew | None:
    trip = ctx.dataset.trip(trip_id)
    free = vehicle.seats - trip.booked_passengers
    if free <= 0:
        ctx.reject(vehicle.id, RejectionCode.SEATS, phrase("no_free_seat", vehicle=vehicle.id, trip=trip.id))
        return None
    # on its trip its own driver drives; a coach about to leave also stands as a crew, so its id names the trip
    crew_id = f"{vehicle.id}+{trip.driver_id}" + ("" if trip.departure <= ctx.at else f"@{trip.id}")
    return Crew(crew_id, CrewKind.PASSING, vehicle.id, trip.driver_id, None, ctx.at, free, None, trip.id)


def _depot_city(ctx: BuildContext, node_id: str) -> str | None:
    return next((s.id for s in ctx.dataset.sites if s.kind == SiteKind.DEPOT and s.node_id == node_id), None)


def standby_by_city(ctx: BuildContext, failed: set[str]) -> dict[str, tuple[str, ...]]:
    """City → the standby coaches that cover it now: at its depot, not failed, not unavailable (out
    on a charter, booked by another incident), permit valid. A coach that cannot be sent covers nothing."""
    by_city: dict[str, list[str]] = defaultdict(list)
    for vehicle in ctx.dataset.vehicles:
        state = ctx.state.vehicles[vehicle.id]
        city = _depot_city(ctx, state.node_id) if state.node_id else None
        if (
            city
            and state.whereabouts == Whereabouts.STANDBY
            and vehicle.id not in failed
            and vehicle.id not in ctx.unavailable
            and vehicle.permit_valid_on(ctx.at.date())
        ):
            by_city[city].append(vehicle.id)
    return {city: tuple(ids) for city, ids in by_city.items()}
