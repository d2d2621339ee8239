"""Passing coaches: a coach on a trip whose course passes the scene stops and takes some of the
stranded passengers in its free seats."""

from __future__ import annotations

from datetime import datetime, timedelta

from fleetplan.builder.context import BuildContext
from fleetplan.builder.groups import arrival_delay_s
from fleetplan.errors import NoRouteError
from fleetplan.instance import Crew, CrewKind, RejectionCode, RescueOption, StrandedGroup
from fleetplan.model import Trip, Vehicle


def passing_option(ctx: BuildContext, crew: Crew, group: StrandedGroup) -> RescueOption | None:
    """A coach on a trip that will pass the scene, heading to the group's destination, with free seats."""
    vehicle = ctx.dataset.vehicle(crew.vehicle_id)
    trip = ctx.dataset.trip(ctx.state.vehicles[vehicle.id].current_trip_id)
    if trip.destination != group.destination_node:
        ctx.reject(
            crew.vehicle_id,
            RejectionCode.WRONG_DIRECTION,
            f"{vehicle.id} is on trip {trip.id} to {trip.destination}, not {group.destination_node}",
            group.id,
        )
        return None
    eta = _passing_eta(ctx, vehicle, trip, group)
    if eta is None or eta < ctx.at:
        ctx.reject(
            crew.vehicle_id,
            RejectionCode.WRONG_DIRECTION,
            f"{vehicle.id} on trip {trip.id} does not pass the scene after {ctx.at:%H:%M}",
            group.id,
        )
        return None
    leave_scene = eta + timedelta(seconds=ctx.ops.passing_dwell_s)
    try:
        onward = ctx.route(vehicle, group.scene, trip.destination, leave_scene)
    except NoRouteError as error:
        ctx.reject(crew.vehicle_id, RejectionCode.UNREACHABLE, str(error), group.id)
        return None
    arrival = leave_scene + timedelta(seconds=onward.travel_time_s)
    own_delay_s = max(0, int((arrival - trip.arrival).total_seconds()))
    if own_delay_s > ctx.ops.max_passing_delay_s:
        ctx.reject(
            crew.vehicle_id,
            RejectionCode.TOO_LATE,
            f"stopping would delay {vehicle.id}'s own passengers by {own_delay_s // 60} min",
            group.id,
        )
        return None
    late_s = max(0, int((eta - group.deadline).total_seconds()))
    return RescueOption(
        id=f"R:{crew.id}>{group.id}",
        crew_id=crew.id,
        group_id=group.id,
        vehicle_id=vehicle.id,
        driver_id=crew.driver_id,
        kind=CrewKind.PASSING,
        origin_node=None,
        depart_at=eta,
        scene_arrival=eta,
        boarding_at=eta,
        destination_arrival=arrival,
        capacity=crew.capacity,
        deadhead_m=0,
        drive_s=onward.travel_time_s,
        own_passengers=trip.booked_passengers,
        own_passenger_delay_s=own_delay_s,
        late_s=late_s,
        delay_at_destination_s=arrival_delay_s(group, arrival),
        needs_new_sign=False,
        driver_hours_left_s=ctx.driving_left_s(crew.driver_id, eta),
    )


def _passing_eta(ctx: BuildContext, vehicle: Vehicle, trip: Trip, group: StrandedGroup) -> datetime | None:
    """When the trip passes the scene on its planned legs, or None if its path does not pass it."""
    for here, there in zip(trip.stops, trip.stops[1:]):
        leg = ctx.route(vehicle, here.node_id, there.node_id, here.planned)
        if ctx.network.path_passes(leg.path, group.scene):
            to_scene = ctx.route(vehicle, here.node_id, group.scene, here.planned)
            return here.planned + timedelta(seconds=to_scene.travel_time_s)
    return None
