"""Passing coaches: a coach on a trip whose course passes the scene stops and takes some of the
stranded passengers in its free seats."""

from __future__ import annotations

from datetime import datetime, timedelta

from fleetplan.builder.context import BuildContext, no_route_phrase
from fleetplan.builder.groups import arrival_delay_s
from fleetplan.errors import NoRouteError
from fleetplan.instance import Crew, CrewKind, RejectionCode, RescueOption, StrandedGroup
from fleetplan.live import seen_passing
from fleetplan.model import Stop, Trip, Vehicle
from fleetplan.network.locate import Location
from fleetplan.phrase import Phrase, PlaceRef, phrase
from fleetplan.rules import earliest_boarding, needs_new_sign
from fleetplan.timetable import Passing, caused_delay_s, passing


def passing_option(ctx: BuildContext, crew: Crew, group: StrandedGroup) -> RescueOption | None:
    """A coach on a trip that passes the scene ahead of it, with free seats, taking passengers to a stop
    of its own that the failed trip also serves (the furthest such stop; nearer ones are served on the
    way)."""
    vehicle = ctx.dataset.vehicle(crew.vehicle_id)
    trip = ctx.dataset.trip(crew.trip_id or ctx.state.vehicles[vehicle.id].current_trip_id)
    found = passes(ctx, vehicle, trip, group)
    if isinstance(found, Phrase):
        said = phrase("wrong_direction", vehicle=vehicle.id, trip=trip.id, why=found)
        ctx.reject(crew.vehicle_id, RejectionCode.WRONG_DIRECTION, said, group.id)
        return None
    wanted = group.set_down_nodes
    shared = [stop for stop in found.stops_ahead if stop.node_id in wanted]
    if not shared:
        said = phrase(
            "stops_elsewhere",
            vehicle=vehicle.id,
            trip=trip.id,
            stops=tuple(PlaceRef(s.node_id) for s in found.stops_ahead),
            wanted=tuple(PlaceRef(node) for node in sorted(wanted)),
        )
        ctx.reject(crew.vehicle_id, RejectionCode.WRONG_DIRECTION, said, group.id)
        return None
    # it carries another trip's passengers: a new charter sign, filed from the report, before they board
    failed_trip = ctx.dataset.trip(group.trip_id) if group.trip_id else None
    sign = needs_new_sign(failed_trip, vehicle.id, crew.driver_id)
    boarding_at = earliest_boarding(found.eta, ctx.at, sign, ctx.dataset.driving_policy)
    leave_scene = boarding_at + timedelta(seconds=ctx.ops.passing_dwell_s)
    try:
        arrivals = stop_arrivals(ctx, vehicle, group.scene, found.stops_ahead, leave_scene)
        unstopped = stop_arrivals(ctx, vehicle, group.scene, found.stops_ahead, found.eta)  # had it driven on
    except NoRouteError as error:
        ctx.reject(crew.vehicle_id, RejectionCode.UNREACHABLE, no_route_phrase(error), group.id)
        return None
    own_delay_s = caused_delay_s(trip.arrival, arrivals[-1], unstopped[-1])
    if own_delay_s > ctx.ops.max_passing_delay_s:
        said = phrase(
            "own_delay", vehicle=vehicle.id, min=-(-own_delay_s // 60)
        )  # started minutes, as the limit it is over
        ctx.reject(crew.vehicle_id, RejectionCode.TOO_LATE, said, group.id)
        return None
    destination = shared[-1].node_id
    arrival = arrivals[found.stops_ahead.index(shared[-1])]
    late_s = max(0, int((found.eta - group.deadline).total_seconds()))
    return RescueOption(
        id=f"R:{crew.id}>{group.id}",
        crew_id=crew.id,
        group_id=group.id,
        vehicle_id=vehicle.id,
        driver_id=crew.driver_id,
        kind=CrewKind.PASSING,
        origin_node=None,
        depart_at=found.eta,
        scene_arrival=found.eta,
        boarding_at=boarding_at,
        destination_arrival=arrival,
        capacity=crew.capacity,
        deadhead_m=0,
        drive_s=int((arrival - leave_scene).total_seconds()),
        own_passengers=trip.booked_passengers,
        own_passenger_delay_s=own_delay_s,
        late_s=late_s,
        delay_at_destination_s=arrival_delay_s(group, arrival, destination),
        needs_new_sign=sign,
        driver_hours_left_s=ctx.driving_left_s(crew.driver_id, found.eta),
        destination_node=destination,
        passing_trip_id=trip.id,
    )


def passes(ctx: BuildContext, vehicle: Vehicle, trip: Trip, group: StrandedGroup) -> Passing | Phrase:
    """How ``vehicle`` on ``trip`` passes the group's scene ahead of it (where its fresh GPS fix has it,
    else its timetable), or why it does not."""
    course = ctx.course(trip, vehicle)
    found = passing(ctx.travel(vehicle), trip, course, group.scene, ctx.at)
    seen = ctx.live.sighted.get(vehicle.id)
    if seen is not None and not isinstance(found, Phrase):
        found = seen_passing(ctx.travel(vehicle), trip, course, group.scene, ctx.at, seen, found)
    return found


def stop_arrivals(
    ctx: BuildContext, vehicle: Vehicle, scene: Location, stops: tuple[Stop, ...], leave_scene: datetime
) -> list[datetime]:
    """When the coach reaches each of its ``stops`` driving on from ``scene``; it never leaves a stop
    before the timetable's time there (someone may be waiting to board)."""
    arrivals, clock = [], leave_scene
    here: Location | str = scene
    for stop in stops:
        clock += timedelta(seconds=ctx.route(vehicle, here, stop.node_id, clock).travel_time_s)
        arrivals.append(clock)
        here, clock = stop.node_id, max(clock, stop.planned)
    return arrivals
