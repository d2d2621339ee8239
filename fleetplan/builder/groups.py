"""Stranded groups: the passengers of each incident, their tier and deadline, and where they go."""

from __future__ import annotations

from datetime import datetime, timedelta

from fleetplan.builder.context import BuildContext
from fleetplan.errors import InvalidValueError
from fleetplan.instance import StrandedGroup
from fleetplan.model import Incident, SiteKind, Trip
from fleetplan.network.distance import nearest_road_distance_m
from fleetplan.state import Whereabouts, vehicle_state_at
from fleetplan.tiers import classify


def stranded_group(ctx: BuildContext, incident: Incident) -> StrandedGroup:
    """The passengers of ``incident``, their tier and deadline, and where they are going."""
    vehicle = ctx.dataset.vehicle(incident.vehicle_id)
    if incident.passengers > vehicle.seats:
        raise InvalidValueError(
            "passengers", f"{incident.passengers} is more than the {vehicle.seats} seats of {vehicle.id}"
        )
    trip = _incident_trip(ctx, incident)
    scene = ctx.network.locate(incident.location)
    tier, deadline = classify(
        ctx.dataset.tier_policy,
        incident.at,
        trip.departure if trip else None,
        nearest_road_distance_m(ctx.network, depot_nodes(ctx), scene),
        nearest_road_distance_m(ctx.network, backup_nodes(ctx), scene),
    )
    home = ctx.dataset.site(vehicle.home_depot).node_id
    return StrandedGroup(
        id=f"G-{incident.id}",
        incident_id=incident.id,
        failed_vehicle_id=vehicle.id,
        trip_id=trip.id if trip else None,
        scene_node=getattr(scene, "node_id", None),
        scene_text=incident.location,
        scene=scene,
        passengers=incident.passengers,
        reported_at=incident.at,
        tier=tier.name,
        limit_s=tier.limit_s,
        late_penalty_per_min=tier.late_penalty_per_min,
        deadline=deadline,
        destination_node=trip.destination if trip else home,
        planned_arrival=trip.arrival if trip else None,
        remaining_stops=_stops_ahead(trip, incident.at, getattr(scene, "node_id", None)) if trip else (),
    )


def _stops_ahead(trip: Trip, at: datetime, scene_node: str | None) -> tuple[tuple[str, datetime], ...]:
    """The trip's stops its passengers may still be going to: those after ``at`` by the timetable
    (before departure, every stop after the first), but not a stop at the scene itself (whoever was
    going there has arrived); the last stop always."""
    ahead = [stop for stop in trip.stops[1:] if stop.planned > at and stop.node_id != scene_node]
    return tuple((stop.node_id, stop.planned) for stop in ahead or trip.stops[-1:])


# A named trip may still be under way this long after its timetabled arrival (a blizzard, a closure)
TRIP_RUNNING_LATE = timedelta(hours=2)


def _incident_trip(ctx: BuildContext, incident: Incident) -> Trip | None:
    # a failure before departure: the vehicle's next trip leaving within the pre-departure window
    window = timedelta(seconds=ctx.dataset.tier_policy.pre_departure.limit_s + 3600)
    if incident.trip_id:
        trip = ctx.dataset.trip(incident.trip_id)
        if trip.vehicle_id != incident.vehicle_id:
            raise InvalidValueError("trip_id", f"trip {trip.id} is run by {trip.vehicle_id}, not {incident.vehicle_id}")
        if not trip.departure - window <= incident.at <= trip.arrival + TRIP_RUNNING_LATE:
            raise InvalidValueError(
                "trip_id",
                f"trip {trip.id} runs {trip.departure:%Y-%m-%d %H:%M}–{trip.arrival:%H:%M}, not around the report's "
                f"{incident.at:%Y-%m-%d %H:%M}: name the trip the coach was on or about to run, or leave trip_id out",
            )
        return trip
    # the trip it was on when it failed: a joint plan is built at its latest report, maybe hours after
    if incident.at == ctx.at:
        state = ctx.state.vehicles[incident.vehicle_id]
    else:
        state = vehicle_state_at(ctx.dataset, incident.vehicle_id, incident.at)
    if state.current_trip_id:
        return ctx.dataset.trip(state.current_trip_id)
    for trip_id in state.later_trip_ids:
        trip = ctx.dataset.trip(trip_id)
        if trip.departure - incident.at <= window:
            return trip
    return None


def failed_crews(ctx: BuildContext, groups: tuple[StrandedGroup, ...]) -> dict[str, str]:
    """The drivers of the failed trips stay with their coaches and passengers."""
    return {
        ctx.dataset.trip(g.trip_id).driver_id: f"drives the failed coach {g.failed_vehicle_id}"
        for g in groups
        if g.trip_id
    }


def depot_nodes(ctx: BuildContext) -> list[str]:
    """The service bases' nodes (the city tier is measured from them)."""
    return [s.node_id for s in ctx.dataset.sites if s.kind == SiteKind.DEPOT]


def backup_nodes(ctx: BuildContext) -> list[str]:
    """Where the backup coaches that can be used now stand (the near-backup tier is measured from them):
    a booked, failed or expired backup promises nothing."""
    nodes = {
        ctx.state.vehicles[v.id].node_id
        for v in ctx.dataset.vehicles
        if ctx.state.vehicles[v.id].whereabouts == Whereabouts.STANDBY
        and v.id not in ctx.unavailable
        and v.id not in ctx.failed
        and v.permit_valid_on(ctx.at.date())
    }
    return sorted(n for n in nodes if n is not None)


def arrival_delay_s(group: StrandedGroup, arrival: datetime, stop: str | None = None) -> int:
    """Seconds ``group`` arrives at ``stop`` (its trip's last stop by default) after the trip's planned
    time there (0 without a trip or when on time)."""
    planned = group.planned_arrival if stop is None else group.planned_at(stop) or group.planned_arrival
    if planned is None:
        return 0
    return max(0, int((arrival - planned).total_seconds()))
