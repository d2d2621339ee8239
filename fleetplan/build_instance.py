"""Build a dispatch :class:`~fleetplan.instance.Instance` from the corridor, the incidents and the
conditions: tasks, candidate crews, every feasible option, and a reason for every rejection.

Eligibility is decided here, before any model (DESIGN §3.2), so the solver only chooses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from fleetplan.corridor import Corridor
from fleetplan.errors import InvalidValueError, NoRouteError
from fleetplan.geo import haversine_m
from fleetplan.instance import (Crew, CrewKind, Instance, Rejection, RejectionCode, RescueOption, StrandedGroup,
                                TripOption, TripTask)
from fleetplan.model import Activity, Conditions, Driver, DutyInterval, Incident, SiteKind, Trip, Vehicle
from fleetplan.network import TravelTimes
from fleetplan.operations import OperationsPolicy
from fleetplan.rules import ProposedDrive, check_drive, personal_eligibility, violations_at
from fleetplan.state import LiveState, Whereabouts, snapshot

VIOLATION_CODES = {
    "continuous_day": RejectionCode.REST_DUE,
    "continuous_night": RejectionCode.REST_DUE,
    "rest_too_short": RejectionCode.REST_DUE,
    "daily_8h": RejectionCode.HOURS_LEFT,
    "weekly_44h": RejectionCode.HOURS_LEFT,
    "overnight_stop": RejectionCode.OVERNIGHT_STOP,
    "licence_class": RejectionCode.LICENCE_CLASS,
    "probation": RejectionCode.PROBATION,
    "age": RejectionCode.AGE,
    "qualification": RejectionCode.QUALIFICATION,
    "double_booked": RejectionCode.BUSY,
}


@dataclass
class _Context:
    corridor: Corridor
    conditions: Conditions
    ops: OperationsPolicy
    at: datetime
    state: LiveState
    unavailable: Mapping[str, str] = field(default_factory=dict)
    travel_by_class: dict = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    _reported: set = field(default_factory=set)

    @property
    def dataset(self):
        return self.corridor.dataset

    @property
    def network(self):
        return self.corridor.network

    def travel(self, vehicle: Vehicle) -> TravelTimes:
        if vehicle.vehicle_class not in self.travel_by_class:
            self.travel_by_class[vehicle.vehicle_class] = TravelTimes(self.network, self.conditions, vehicle.vehicle_class)
        return self.travel_by_class[vehicle.vehicle_class]

    def reject(self, candidate: str, code: RejectionCode, reason: str, group_id: str | None = None) -> None:
        """Record a rejection once per candidate, reason kind and group, so the list stays readable."""
        key = (candidate, code, group_id)
        if key not in self._reported:
            self._reported.add(key)
            self.rejections.append(Rejection(candidate, code, reason, group_id))


def build_instance(corridor: Corridor, incidents: Sequence[Incident], conditions: Conditions,
                   ops: OperationsPolicy = OperationsPolicy(),
                   unavailable: Mapping[str, str] = MappingProxyType({})) -> Instance:
    """The dispatch instance for ``incidents`` (decided at the latest report time).

    ``unavailable`` maps coach or driver ids to why they cannot be used now (for example "booked by
    incident 12"); they are rejected as busy.

    Raises
    ------
    UnknownIdError, InvalidValueError, LocationError
        For an unknown coach or trip, passengers above the coach's seats, or an unknown location.
    """
    if not incidents:
        raise InvalidValueError("incidents", "at least one incident is needed")
    at = max(incident.at for incident in incidents)
    ctx = _Context(corridor, conditions, ops, at, snapshot(corridor.dataset, at), unavailable=unavailable)
    groups = tuple(stranded_group(ctx, incident) for incident in incidents)
    ctx.unavailable = {**_failed_crews(ctx, groups), **ctx.unavailable}
    failed = {incident.vehicle_id for incident in incidents}
    crews = candidate_crews(ctx, groups, failed)
    rescues = tuple(option for group in groups for crew in crews for option in rescue_options(ctx, crew, group))
    tasks = trip_tasks(ctx, incidents, crews, failed)
    groups_by_id = {group.id: group for group in groups}
    trip_opts = tuple(option for task in tasks for crew in crews
                      for option in trip_options(ctx, crew, task, rescues, groups_by_id))
    return Instance(
        at=at, incidents=tuple(incidents), groups=groups, trip_tasks=tasks, crews=crews,
        rescue_options=rescues, trip_options=trip_opts, rejections=tuple(ctx.rejections),
        standby_by_city=MappingProxyType(_standby_by_city(ctx, failed)),
        duty_logs=MappingProxyType({d: s.duty_log for d, s in ctx.state.drivers.items()}),
        conditions=conditions, tier_policy=corridor.dataset.tier_policy,
        driving_policy=corridor.dataset.driving_policy, dataset=corridor.dataset, network=corridor.network,
        unavailable=MappingProxyType(dict(unavailable)))


# --------------------------------------------------------------------------- stranded groups
def stranded_group(ctx: _Context, incident: Incident) -> StrandedGroup:
    """The passengers of ``incident``, their tier and deadline, and where they are going."""
    vehicle = ctx.dataset.vehicle(incident.vehicle_id)
    if incident.passengers > vehicle.seats:
        raise InvalidValueError("passengers", f"{incident.passengers} is more than the {vehicle.seats} seats of {vehicle.id}")
    trip = _incident_trip(ctx, incident)
    scene = ctx.network.locate(incident.location)
    pre_departure = trip is not None and incident.at <= trip.departure
    tier = ctx.dataset.tier_policy.pre_departure if pre_departure else tier_at(ctx, scene)
    deadline = (trip.departure if pre_departure else incident.at) + timedelta(seconds=tier.limit_s)
    home = ctx.dataset.site(vehicle.home_depot).node_id
    return StrandedGroup(
        id=f"G-{incident.id}", incident_id=incident.id, failed_vehicle_id=vehicle.id,
        trip_id=trip.id if trip else None, scene_node=getattr(scene, "node_id", None),
        scene_text=incident.location, scene=scene, passengers=incident.passengers, reported_at=incident.at,
        tier=tier.name, limit_s=tier.limit_s, late_penalty_per_min=tier.late_penalty_per_min, deadline=deadline,
        destination_node=trip.destination if trip else home, planned_arrival=trip.arrival if trip else None)


def _incident_trip(ctx: _Context, incident: Incident) -> Trip | None:
    if incident.trip_id:
        trip = ctx.dataset.trip(incident.trip_id)
        if trip.vehicle_id != incident.vehicle_id:
            raise InvalidValueError("trip_id", f"trip {trip.id} is run by {trip.vehicle_id}, not {incident.vehicle_id}")
        return trip
    state = ctx.state.vehicles[incident.vehicle_id]
    if state.current_trip_id:
        return ctx.dataset.trip(state.current_trip_id)
    # a failure before departure: the vehicle's next trip leaving within the pre-departure window
    window = timedelta(seconds=ctx.dataset.tier_policy.pre_departure.limit_s + 3600)
    for trip_id in state.later_trip_ids:
        trip = ctx.dataset.trip(trip_id)
        if trip.departure - incident.at <= window:
            return trip
    return None


def _failed_crews(ctx: _Context, groups: tuple[StrandedGroup, ...]) -> dict[str, str]:
    """The drivers of the failed trips stay with their coaches and passengers."""
    return {ctx.dataset.trip(g.trip_id).driver_id: f"drives the failed coach {g.failed_vehicle_id}"
            for g in groups if g.trip_id}


def tier_at(ctx: _Context, scene):
    """City if within the city radius of a depot, near-backup if within reach of a standing backup,
    otherwise corridor (DESIGN §2.3 defaults)."""
    policy = ctx.dataset.tier_policy
    depots = [s for s in ctx.dataset.sites if s.kind == SiteKind.DEPOT]
    if any(haversine_m(scene.lat, scene.lon, s.lat, s.lon) <= policy.city_radius_m for s in depots):
        return policy.city
    backup_nodes = {ctx.state.vehicles[v.id].node_id for v in ctx.dataset.vehicles
                    if ctx.state.vehicles[v.id].whereabouts == Whereabouts.STANDBY}
    for node_id in backup_nodes:
        lat, lon = ctx.network.node_lat_lon(node_id)
        if haversine_m(scene.lat, scene.lon, lat, lon) <= policy.near_backup_radius_m:
            return policy.near_backup
    return policy.corridor


# --------------------------------------------------------------------------- crews
def candidate_crews(ctx: _Context, groups: tuple[StrandedGroup, ...], failed: set[str]) -> tuple[Crew, ...]:
    """Every coach–driver pair that could serve; a rejection for every coach or pair that cannot."""
    crews: list[Crew] = []
    for vehicle in ctx.dataset.vehicles:
        if vehicle.id in failed:
            continue
        state = ctx.state.vehicles[vehicle.id]
        if vehicle.id in ctx.unavailable:
            ctx.reject(vehicle.id, RejectionCode.BUSY, f"{vehicle.id}: {ctx.unavailable[vehicle.id]}")
        elif state.whereabouts == Whereabouts.WORKSHOP:
            ctx.reject(vehicle.id, RejectionCode.IN_WORKSHOP, f"{vehicle.id} is in the workshop")
        elif not vehicle.permit_valid_on(ctx.at.date()):
            ctx.reject(vehicle.id, RejectionCode.PERMIT,
                       f"{vehicle.id}'s road-transport permit expired on {vehicle.permit_valid_until}")
        elif state.whereabouts == Whereabouts.ON_TRIP:
            crew = _passing_crew(ctx, vehicle, state.current_trip_id)
            if crew:
                crews.append(crew)
        else:
            crews += _standing_crews(ctx, vehicle, state.node_id, state.whereabouts)
    return tuple(crews)


def _standing_crews(ctx: _Context, vehicle: Vehicle, node_id: str, whereabouts: Whereabouts) -> list[Crew]:
    kind = CrewKind.STANDBY if whereabouts == Whereabouts.STANDBY else CrewKind.IDLE
    city = _depot_city(ctx, node_id)
    crews, reasons = [], []
    for driver in ctx.dataset.drivers:
        driver_state = ctx.state.drivers[driver.id]
        if driver_state.node_id != node_id or driver_state.current_trip_id:
            continue
        if driver.id in ctx.unavailable:
            ctx.reject(driver.id, RejectionCode.BUSY, f"{driver.id}: {ctx.unavailable[driver.id]}")
            continue
        problem = _driver_problem(ctx, driver, vehicle)
        if problem:  # a driver's own reason, reported once for the driver rather than per coach
            code, reason = problem
            ctx.reject(driver.id, code, reason)
            reasons.append(f"{driver.id}: {code.value}")
            continue
        crews.append(Crew(f"{vehicle.id}+{driver.id}", kind, vehicle.id, driver.id, node_id,
                          ctx.at + timedelta(seconds=ctx.ops.turnout_s), vehicle.seats, city))
    if not crews:
        detail = f" ({'; '.join(reasons)})" if reasons else ""
        ctx.reject(vehicle.id, RejectionCode.NO_DRIVER, f"no legal driver at {node_id} for {vehicle.id}{detail}")
    return crews


def _driver_problem(ctx: _Context, driver: Driver, vehicle: Vehicle) -> tuple[RejectionCode, str] | None:
    violations = personal_eligibility(driver, vehicle, ctx.at.date(), ctx.dataset.driving_policy)
    if violations:
        first = violations[0]
        return VIOLATION_CODES.get(first.code, RejectionCode.LICENCE_CLASS), f"{driver.id}: {first.message}"
    if not driver.on_shift(ctx.at):
        return RejectionCode.OFF_SHIFT, f"{driver.id} is off shift at {ctx.at:%H:%M}"
    return None


def _passing_crew(ctx: _Context, vehicle: Vehicle, trip_id: str) -> Crew | None:
    trip = ctx.dataset.trip(trip_id)
    free = vehicle.seats - trip.booked_passengers
    if free <= 0:
        ctx.reject(vehicle.id, RejectionCode.SEATS, f"{vehicle.id} is on trip {trip.id} with no free seat")
        return None
    return Crew(f"{vehicle.id}+{trip.driver_id}", CrewKind.PASSING, vehicle.id, trip.driver_id, None,
                ctx.at, free, None)


def _depot_city(ctx: _Context, node_id: str) -> str | None:
    return next((s.id for s in ctx.dataset.sites if s.kind == SiteKind.DEPOT and s.node_id == node_id), None)


def _standby_by_city(ctx: _Context, failed: set[str]) -> dict[str, tuple[str, ...]]:
    by_city: dict[str, list[str]] = defaultdict(list)
    for vehicle in ctx.dataset.vehicles:
        state = ctx.state.vehicles[vehicle.id]
        city = _depot_city(ctx, state.node_id) if state.node_id else None
        if city and state.whereabouts == Whereabouts.STANDBY and vehicle.id not in failed \
                and vehicle.permit_valid_on(ctx.at.date()):
            by_city[city].append(vehicle.id)
    return {city: tuple(ids) for city, ids in by_city.items()}


# --------------------------------------------------------------------------- rescue options
def rescue_options(ctx: _Context, crew: Crew, group: StrandedGroup) -> list[RescueOption]:
    """The option of ``crew`` serving ``group`` (none, with a rejection, if it cannot)."""
    if crew.kind == CrewKind.PASSING:
        option = _passing_option(ctx, crew, group)
        return [option] if option else []
    option = _driven_rescue(ctx, crew, group)
    return [option] if option else []


def _driven_rescue(ctx: _Context, crew: Crew, group: StrandedGroup) -> RescueOption | None:
    vehicle, driver = ctx.dataset.vehicle(crew.vehicle_id), ctx.dataset.driver(crew.driver_id)
    travel = ctx.travel(vehicle)
    origin = ctx.network.locate(crew.origin_node)
    destination = ctx.network.locate(group.destination_node)
    depart_at = crew.available_from
    for _ in range(3):  # a rest may move the departure, and a later departure may change travel times
        try:
            to_scene = travel.route(origin, group.scene, depart_at)
            scene_arrival = depart_at + timedelta(seconds=to_scene.travel_time_s)
            boarding_at = max(scene_arrival, ctx.at + timedelta(seconds=ctx.dataset.driving_policy.charter_sign_filing_delay_s))
            leave_scene = boarding_at + timedelta(seconds=ctx.ops.transfer_s)
            onward = travel.route(group.scene, destination, leave_scene)
        except NoRouteError as error:
            ctx.reject(crew.vehicle_id, RejectionCode.UNREACHABLE, str(error), group.id)
            return None
        drive_s = to_scene.travel_time_s + onward.travel_time_s
        drive = ProposedDrive(depart_at, drive_s, to_scene.length_m + onward.length_m, commuter=True)
        duty_log = ctx.state.drivers[driver.id].duty_log
        if not violations_at(driver, duty_log, drive, vehicle, ctx.dataset.driving_policy):
            break  # legal: the cheap check suffices; the search below only runs for a later start
        verdict = check_drive(driver, duty_log, drive, vehicle, ctx.dataset.driving_policy)
        if verdict.earliest_legal_start is None or verdict.earliest_legal_start <= depart_at:
            _reject_verdict(ctx, crew.id, verdict, group.id)
            return None
        depart_at = verdict.earliest_legal_start
    else:
        _reject_verdict(ctx, crew.id, verdict, group.id)
        return None
    late_s = max(0, int((scene_arrival - group.deadline).total_seconds()))
    if late_s > ctx.ops.max_late_s:
        ctx.reject(crew.vehicle_id, RejectionCode.TOO_LATE,
                   f"{crew.vehicle_id} would reach the scene at {scene_arrival:%H:%M}, {late_s // 60} min past the limit",
                   group.id)
        return None
    destination_arrival = leave_scene + timedelta(seconds=onward.travel_time_s)
    return RescueOption(
        id=f"R:{crew.id}>{group.id}", crew_id=crew.id, group_id=group.id, vehicle_id=crew.vehicle_id,
        driver_id=crew.driver_id, kind=crew.kind, origin_node=crew.origin_node, depart_at=depart_at,
        scene_arrival=scene_arrival, boarding_at=boarding_at, destination_arrival=destination_arrival,
        capacity=crew.capacity, deadhead_m=to_scene.length_m, drive_s=drive_s, own_passengers=0,
        own_passenger_delay_s=0, late_s=late_s, delay_at_destination_s=_delay_s(group, destination_arrival),
        needs_new_sign=True)


def _reject_verdict(ctx: _Context, candidate: str, verdict, group_id: str) -> None:
    first = verdict.violations[0]
    ctx.reject(candidate, VIOLATION_CODES.get(first.code, RejectionCode.HOURS_LEFT), first.message, group_id)


def _passing_option(ctx: _Context, crew: Crew, group: StrandedGroup) -> RescueOption | None:
    """A coach on a trip that will pass the scene, heading to the group's destination, with free seats."""
    vehicle = ctx.dataset.vehicle(crew.vehicle_id)
    trip = ctx.dataset.trip(ctx.state.vehicles[vehicle.id].current_trip_id)
    if trip.destination != group.destination_node:
        ctx.reject(crew.vehicle_id, RejectionCode.WRONG_DIRECTION,
                   f"{vehicle.id} is on trip {trip.id} to {trip.destination}, not {group.destination_node}", group.id)
        return None
    travel = ctx.travel(vehicle)
    eta = _passing_eta(ctx, travel, trip, group)
    if eta is None or eta < ctx.at:
        ctx.reject(crew.vehicle_id, RejectionCode.WRONG_DIRECTION,
                   f"{vehicle.id} on trip {trip.id} does not pass the scene after {ctx.at:%H:%M}", group.id)
        return None
    leave_scene = eta + timedelta(seconds=ctx.ops.passing_dwell_s)
    try:
        onward = travel.route(group.scene, ctx.network.locate(trip.destination), leave_scene)
    except NoRouteError as error:
        ctx.reject(crew.vehicle_id, RejectionCode.UNREACHABLE, str(error), group.id)
        return None
    arrival = leave_scene + timedelta(seconds=onward.travel_time_s)
    own_delay_s = max(0, int((arrival - trip.arrival).total_seconds()))
    if own_delay_s > ctx.ops.max_passing_delay_s:
        ctx.reject(crew.vehicle_id, RejectionCode.TOO_LATE,
                   f"stopping would delay {vehicle.id}'s own passengers by {own_delay_s // 60} min", group.id)
        return None
    late_s = max(0, int((eta - group.deadline).total_seconds()))
    return RescueOption(
        id=f"R:{crew.id}>{group.id}", crew_id=crew.id, group_id=group.id, vehicle_id=vehicle.id,
        driver_id=crew.driver_id, kind=CrewKind.PASSING, origin_node=None, depart_at=eta, scene_arrival=eta,
        boarding_at=eta, destination_arrival=arrival, capacity=crew.capacity, deadhead_m=0,
        drive_s=onward.travel_time_s, own_passengers=trip.booked_passengers, own_passenger_delay_s=own_delay_s,
        late_s=late_s, delay_at_destination_s=_delay_s(group, arrival), needs_new_sign=False)


def _passing_eta(ctx: _Context, travel: TravelTimes, trip: Trip, group: StrandedGroup) -> datetime | None:
    """When the trip passes the scene on its planned legs, or None if its path does not pass it."""
    for here, there in zip(trip.stops, trip.stops[1:]):
        leg = travel.route(ctx.network.locate(here.node_id), ctx.network.locate(there.node_id), here.planned)
        if ctx.network.path_passes(leg.path, group.scene):
            to_scene = travel.route(ctx.network.locate(here.node_id), group.scene, here.planned)
            return here.planned + timedelta(seconds=to_scene.travel_time_s)
    return None


def _delay_s(group: StrandedGroup, arrival: datetime) -> int:
    if group.planned_arrival is None:
        return 0
    return max(0, int((arrival - group.planned_arrival).total_seconds()))


# --------------------------------------------------------------------------- later trips
def trip_tasks(ctx: _Context, incidents: Sequence[Incident], crews: tuple[Crew, ...], failed: set[str]) -> tuple[TripTask, ...]:
    """The failed coaches' later trips, and the next trip of every coach or driver a rescue may pull."""
    horizon = ctx.at + timedelta(seconds=ctx.ops.trip_horizon_s)
    incident_trips = {ctx.dataset.trip(t).id for t in (i.trip_id for i in incidents) if t}
    reasons: dict[str, str] = {}
    for vehicle_id in failed:
        for trip_id in ctx.state.vehicles[vehicle_id].later_trip_ids:
            reasons.setdefault(trip_id, f"its coach {vehicle_id} has failed")
    for crew in crews:
        if crew.kind == CrewKind.PASSING:
            continue
        for trip_ids in (ctx.state.vehicles[crew.vehicle_id].later_trip_ids, ctx.state.drivers[crew.driver_id].later_trip_ids):
            if trip_ids:
                reasons.setdefault(trip_ids[0], "its coach or driver may be pulled into the rescue")
    tasks = []
    for trip_id, reason in reasons.items():
        trip = ctx.dataset.trip(trip_id)
        if trip.departure > horizon or trip.id in incident_trips:
            continue
        tasks.append(TripTask(trip.id, trip.origin, trip.departure, trip.destination, trip.arrival,
                              trip.booked_passengers, ctx.ops.max_trip_shift_s, trip.vehicle_id, trip.driver_id, reason))
    return tuple(sorted(tasks, key=lambda t: (t.departure, t.trip_id)))


def trip_options(ctx: _Context, crew: Crew, task: TripTask, rescues: tuple[RescueOption, ...],
                 groups: dict[str, StrandedGroup]) -> list[TripOption]:
    """``crew`` running ``task``: standalone, and right after each of its rescue options."""
    if crew.kind == CrewKind.PASSING or crew.capacity < task.passengers:
        return []
    options = []
    standalone = _trip_option(ctx, crew, task, crew.origin_node, crew.available_from, None, ())
    if standalone:
        options.append(standalone)
    for rescue in (r for r in rescues if r.crew_id == crew.id):
        rescue_drive = DutyInterval(crew.driver_id, rescue.depart_at, rescue.destination_arrival, Activity.DRIVE)
        chained = _trip_option(ctx, crew, task, groups[rescue.group_id].destination_node,
                               rescue.destination_arrival, rescue.id, (rescue_drive,))
        if chained:
            options.append(chained)
    return options


def _trip_option(ctx: _Context, crew: Crew, task: TripTask, from_node: str, free_at: datetime,
                 after_rescue_id: str | None, extra_log: tuple[DutyInterval, ...]) -> TripOption | None:
    vehicle, driver = ctx.dataset.vehicle(crew.vehicle_id), ctx.dataset.driver(crew.driver_id)
    try:
        deadhead = ctx.travel(vehicle).route(ctx.network.locate(from_node), ctx.network.locate(task.origin_node), free_at)
    except NoRouteError:
        return None
    ready = free_at + timedelta(seconds=deadhead.travel_time_s)
    if crew.vehicle_id != task.planned_vehicle_id:  # a replacement coach needs a newly filed sign
        ready = max(ready, ctx.at + timedelta(seconds=ctx.dataset.driving_policy.charter_sign_filing_delay_s))
    shift_s = max(0, int((ready - task.departure).total_seconds()))
    if shift_s > task.max_shift_s:
        return None
    start = task.departure + timedelta(seconds=shift_s - deadhead.travel_time_s)
    duration_s = deadhead.travel_time_s + int((task.arrival - task.departure).total_seconds())
    log = tuple(sorted(ctx.state.drivers[driver.id].duty_log + extra_log, key=lambda d: d.start))
    # a yes/no is enough here: a trip leaves at its time or is re-covered by someone else
    if violations_at(driver, log, ProposedDrive(start, duration_s, None, commuter=True), vehicle,
                     ctx.dataset.driving_policy):
        return None
    return TripOption(f"T:{crew.id}>{task.trip_id}" + (f"@{after_rescue_id}" if after_rescue_id else ""),
                      crew.id, task.trip_id, crew.vehicle_id, crew.driver_id, after_rescue_id, shift_s,
                      deadhead.length_m)
