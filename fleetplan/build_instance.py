"""Build a dispatch :class:`~fleetplan.instance.Instance` from the corridor, the incidents and the
conditions: tasks, candidate crews, every feasible option, and a reason for every rejection.

Eligibility is decided here, before any model (DESIGN §3.2), so the solver only chooses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from types import MappingProxyType

from fleetplan.corridor import Corridor
from fleetplan.errors import InvalidValueError, NoRouteError
from fleetplan.instance import (Crew, CrewKind, Instance, Rejection, RejectionCode, RescueOption, StrandedGroup,
                                TripOption, TripTask)
from fleetplan.model import Activity, Conditions, Driver, DutyInterval, Incident, SiteKind, Trip, Vehicle
from fleetplan.network import Location, Route, TravelTimes, time_band
from fleetplan.operations import OperationsPolicy
from fleetplan.rules import ProposedDrive, check_drive, driving_state, personal_eligibility, violations_at
from fleetplan.state import LiveState, Whereabouts, snapshot
from fleetplan.tiers import classify

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
    failed: frozenset[str] = frozenset()  # the failed coaches
    travel_by_class: dict = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    _reported: set = field(default_factory=set)
    _places: dict = field(default_factory=dict)
    _standing: dict = field(default_factory=dict)
    _drivers_at: dict = field(default_factory=dict)
    _routes: dict = field(default_factory=dict)

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

    def drivers_at(self, node_id: str) -> list[Driver]:
        """The drivers standing at ``node_id`` (not driving a trip), in dataset order."""
        if not self._drivers_at:
            for driver in self.dataset.drivers:
                state = self.state.drivers[driver.id]
                if state.node_id is not None and not state.current_trip_id:
                    self._drivers_at.setdefault(state.node_id, []).append(driver)
        return self._drivers_at.get(node_id, [])

    def standing_at(self, node_id: str) -> list[str]:
        """Ids of the coaches standing at ``node_id``, sorted."""
        if not self._standing:
            for vehicle_id, state in sorted(self.state.vehicles.items()):
                if state.node_id is not None and not state.current_trip_id:
                    self._standing.setdefault(state.node_id, []).append(vehicle_id)
        return self._standing.get(node_id, [])

    def place(self, where: Location | str) -> Location:
        if isinstance(where, Location):
            return where
        if where not in self._places:
            self._places[where] = self.network.locate(where)
        return self._places[where]

    def route(self, vehicle: Vehicle, origin: Location | str, destination: Location | str, depart_at: datetime) -> Route:
        """:meth:`TravelTimes.route`, remembered: a route depends only on its ends, the coach's class
        and the departure's time band, and a large fleet asks the same few thousand times."""
        origin, destination = self.place(origin), self.place(destination)
        key = (vehicle.vehicle_class, origin.key, destination.key, time_band(depart_at))
        if key not in self._routes:
            try:
                self._routes[key] = self.travel(vehicle).route(origin, destination, depart_at)
            except NoRouteError as error:
                self._routes[key] = error
        found = self._routes[key]
        if isinstance(found, NoRouteError):
            raise found
        return found

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
    failed = {incident.vehicle_id for incident in incidents}
    ctx = _Context(corridor, conditions, ops, at, snapshot(corridor.dataset, at), unavailable=unavailable,
                   failed=frozenset(failed))
    groups = tuple(stranded_group(ctx, incident) for incident in incidents)
    ctx.unavailable = {**_failed_crews(ctx, groups), **ctx.unavailable}
    crews = candidate_crews(ctx, groups, failed)
    rescues = tuple(option for group in groups for option in group_rescues(ctx, group, crews))
    rescuing = {option.crew_id for option in rescues}
    tasks = trip_tasks(ctx, incidents, [crew for crew in crews if crew.id in rescuing], failed)
    groups_by_id = {group.id: group for group in groups}
    task_ids = frozenset(task.trip_id for task in tasks)
    trip_opts = tuple(option for task in tasks
                      for option in trip_options(ctx, task, crews, rescues, groups_by_id, task_ids))
    return Instance(
        at=at, incidents=tuple(incidents), groups=groups, trip_tasks=tasks, crews=crews,
        rescue_options=rescues, trip_options=trip_opts, rejections=tuple(ctx.rejections),
        standby_by_city=MappingProxyType(_standby_by_city(ctx, failed)),
        duty_logs=MappingProxyType({d: s.duty_log for d, s in ctx.state.drivers.items()}),
        conditions=conditions, tier_policy=corridor.dataset.tier_policy,
        driving_policy=corridor.dataset.driving_policy, dataset=corridor.dataset, network=corridor.network,
        unavailable=MappingProxyType(dict(unavailable)), ops=ops)


# --------------------------------------------------------------------------- stranded groups
def stranded_group(ctx: _Context, incident: Incident) -> StrandedGroup:
    """The passengers of ``incident``, their tier and deadline, and where they are going."""
    vehicle = ctx.dataset.vehicle(incident.vehicle_id)
    if incident.passengers > vehicle.seats:
        raise InvalidValueError("passengers", f"{incident.passengers} is more than the {vehicle.seats} seats of {vehicle.id}")
    trip = _incident_trip(ctx, incident)
    scene = ctx.network.locate(incident.location)
    tier, deadline = classify(ctx.dataset.tier_policy, incident.at, trip.departure if trip else None,
                              (scene.lat, scene.lon), _depot_points(ctx), _backup_points(ctx))
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


def _depot_points(ctx: _Context) -> list[tuple[float, float]]:
    return [(s.lat, s.lon) for s in ctx.dataset.sites if s.kind == SiteKind.DEPOT]


def _backup_points(ctx: _Context) -> list[tuple[float, float]]:
    """Where the backup coaches stand now (the near-backup tier is measured from them)."""
    nodes = {ctx.state.vehicles[v.id].node_id for v in ctx.dataset.vehicles
             if ctx.state.vehicles[v.id].whereabouts == Whereabouts.STANDBY}
    return [ctx.network.node_lat_lon(node_id) for node_id in sorted(n for n in nodes if n is not None)]


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
    """The coach with the drivers a dispatcher would give it: its own driver (the one of its next
    trip) when legal, else a few spare drivers standing there (no trip within the horizon, rotated
    so that a depot's coaches are offered different ones); only when none of them is legal, the
    other drivers standing there, whose own trips then need re-covering.

    Pairing every coach with every driver at a busy depot made a thousand-coach fleet explode into
    tens of thousands of crews that differ in nothing the plan is judged by.
    """
    kind = CrewKind.STANDBY if whereabouts == Whereabouts.STANDBY else CrewKind.IDLE
    present = ctx.drivers_at(node_id)
    own = [d for d in present if _next_trip_vehicle(ctx, d) == vehicle.id]
    spares = [d for d in present if _is_spare(ctx, d)]
    crews, reasons = _pair(ctx, vehicle, node_id, kind, own)
    if not crews:
        crews, more = _pair(ctx, vehicle, node_id, kind, _offered_spares(ctx, vehicle, node_id, spares))
        reasons += more
    if not crews:
        crews, more = _pair(ctx, vehicle, node_id, kind, [d for d in present if d not in own and d not in spares])
        reasons += more
    if not crews:
        detail = f" ({'; '.join(reasons)})" if reasons else ""
        ctx.reject(vehicle.id, RejectionCode.NO_DRIVER, f"no legal driver at {node_id} for {vehicle.id}{detail}")
    return crews


def _offered_spares(ctx: _Context, vehicle: Vehicle, node_id: str, spares: Sequence[Driver]) -> list[Driver]:
    """``ops.spare_drivers_per_coach`` of the legal spare drivers, the most rested first and rotated
    by the coach's place among the coaches standing at ``node_id``, so that any few coaches there
    can leave together with different drivers."""
    legal = sorted((d for d in spares if d.id not in ctx.unavailable and _driver_problem(ctx, d, vehicle) is None),
                   key=lambda d: (_driven_last_day_s(ctx, d), d.id))
    offered: list[Driver] = []
    if legal:
        standing = ctx.standing_at(node_id)
        start = standing.index(vehicle.id) % len(legal) if vehicle.id in standing else 0
        count = min(ctx.ops.spare_drivers_per_coach, len(legal))
        offered = [legal[(start + k) % len(legal)] for k in range(count)]
    # the others are still named, so that their own reasons (licence, hours) are reported
    return offered + [d for d in spares if d not in legal]


def _driven_last_day_s(ctx: _Context, driver: Driver) -> float:
    since = ctx.at - timedelta(days=1)
    return sum((min(i.end, ctx.at) - max(i.start, since)).total_seconds()
               for i in ctx.state.drivers[driver.id].duty_log
               if i.activity == Activity.DRIVE and i.end > since and i.start < ctx.at)


def _pair(ctx: _Context, vehicle: Vehicle, node_id: str, kind: CrewKind,
          drivers: Sequence[Driver]) -> tuple[list[Crew], list[str]]:
    crews, reasons = [], []
    city = _depot_city(ctx, node_id)
    for driver in drivers:
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
    return crews, reasons


def _horizon(ctx: _Context) -> datetime:
    return ctx.at + timedelta(seconds=ctx.ops.trip_horizon_s)


def _next_trip(ctx: _Context, trip_ids: Sequence[str]) -> Trip | None:
    """The first of ``trip_ids`` (later trips, in order) if it leaves within the horizon."""
    if not trip_ids:
        return None
    trip = ctx.dataset.trip(trip_ids[0])
    return trip if trip.departure <= _horizon(ctx) else None


def _is_spare(ctx: _Context, driver: Driver) -> bool:
    return _next_trip(ctx, ctx.state.drivers[driver.id].later_trip_ids) is None


def _next_trip_vehicle(ctx: _Context, driver: Driver) -> str | None:
    trip = _next_trip(ctx, ctx.state.drivers[driver.id].later_trip_ids)
    return trip.vehicle_id if trip else None


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
def group_rescues(ctx: _Context, group: StrandedGroup, crews: Sequence[Crew]) -> list[RescueOption]:
    """Every rescue option for ``group``: each passing coach, and the standing coaches in order of
    approach (:func:`_approach_rank`) until ``ops.max_rescue_coaches`` of them have a legal crew;
    the rest are rejected as outranked."""
    options = [option for crew in crews if crew.kind == CrewKind.PASSING for option in rescue_options(ctx, crew, group)]
    by_vehicle: dict[str, list[Crew]] = defaultdict(list)
    for crew in crews:
        if crew.kind != CrewKind.PASSING:
            by_vehicle[crew.vehicle_id].append(crew)
    considered = 0
    for vehicle_crews in sorted(by_vehicle.values(), key=lambda same: _approach_rank(ctx, same[0], group)):
        vehicle_id = vehicle_crews[0].vehicle_id
        if considered >= ctx.ops.max_rescue_coaches:
            ctx.reject(vehicle_id, RejectionCode.OUTRANKED,
                       f"{vehicle_id}: {considered} coaches reach {group.incident_id} sooner or carry more", group.id)
            continue
        found = [option for crew in vehicle_crews for option in rescue_options(ctx, crew, group)]
        considered += bool(found)
        options += found
    return options


def _approach_rank(ctx: _Context, crew: Crew, group: StrandedGroup) -> tuple:
    """Sort key of a standing coach for ``group``, before any driver rule: first the coaches that
    are there within the limit, most seats the group can use first, then the rest by arrival.
    Unreachable ones go first only so that their reason is recorded; they yield no option."""
    vehicle = ctx.dataset.vehicle(crew.vehicle_id)
    try:
        to_scene = ctx.route(vehicle, crew.origin_node, group.scene, crew.available_from)
    except NoRouteError:
        return (-1, 0, crew.available_from, vehicle.id)
    arrival = crew.available_from + timedelta(seconds=to_scene.travel_time_s)
    if arrival <= group.deadline:
        return (0, -min(vehicle.seats, group.passengers), arrival, vehicle.id)
    return (1, 0, arrival, vehicle.id)


def rescue_options(ctx: _Context, crew: Crew, group: StrandedGroup) -> list[RescueOption]:
    """The option of ``crew`` serving ``group`` (none, with a rejection, if it cannot)."""
    if crew.kind == CrewKind.PASSING:
        option = _passing_option(ctx, crew, group)
        return [option] if option else []
    option = _driven_rescue(ctx, crew, group)
    return [option] if option else []


def _driven_rescue(ctx: _Context, crew: Crew, group: StrandedGroup) -> RescueOption | None:
    vehicle, driver = ctx.dataset.vehicle(crew.vehicle_id), ctx.dataset.driver(crew.driver_id)
    origin, destination = ctx.place(crew.origin_node), ctx.place(group.destination_node)
    depart_at = crew.available_from
    for _ in range(3):  # a rest may move the departure, and a later departure may change travel times
        try:
            to_scene = ctx.route(vehicle, origin, group.scene, depart_at)
            scene_arrival = depart_at + timedelta(seconds=to_scene.travel_time_s)
            boarding_at = max(scene_arrival, ctx.at + timedelta(seconds=ctx.dataset.driving_policy.charter_sign_filing_delay_s))
            leave_scene = boarding_at + timedelta(seconds=ctx.ops.transfer_s)
            onward = ctx.route(vehicle, group.scene, destination, leave_scene)
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
        needs_new_sign=True, driver_hours_left_s=_driving_left_s(ctx, crew.driver_id, depart_at))


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
    eta = _passing_eta(ctx, vehicle, trip, group)
    if eta is None or eta < ctx.at:
        ctx.reject(crew.vehicle_id, RejectionCode.WRONG_DIRECTION,
                   f"{vehicle.id} on trip {trip.id} does not pass the scene after {ctx.at:%H:%M}", group.id)
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
        ctx.reject(crew.vehicle_id, RejectionCode.TOO_LATE,
                   f"stopping would delay {vehicle.id}'s own passengers by {own_delay_s // 60} min", group.id)
        return None
    late_s = max(0, int((eta - group.deadline).total_seconds()))
    return RescueOption(
        id=f"R:{crew.id}>{group.id}", crew_id=crew.id, group_id=group.id, vehicle_id=vehicle.id,
        driver_id=crew.driver_id, kind=CrewKind.PASSING, origin_node=None, depart_at=eta, scene_arrival=eta,
        boarding_at=eta, destination_arrival=arrival, capacity=crew.capacity, deadhead_m=0,
        drive_s=onward.travel_time_s, own_passengers=trip.booked_passengers, own_passenger_delay_s=own_delay_s,
        late_s=late_s, delay_at_destination_s=_delay_s(group, arrival), needs_new_sign=False,
        driver_hours_left_s=_driving_left_s(ctx, crew.driver_id, eta))


def _passing_eta(ctx: _Context, vehicle: Vehicle, trip: Trip, group: StrandedGroup) -> datetime | None:
    """When the trip passes the scene on its planned legs, or None if its path does not pass it."""
    for here, there in zip(trip.stops, trip.stops[1:]):
        leg = ctx.route(vehicle, here.node_id, there.node_id, here.planned)
        if ctx.network.path_passes(leg.path, group.scene):
            to_scene = ctx.route(vehicle, here.node_id, group.scene, here.planned)
            return here.planned + timedelta(seconds=to_scene.travel_time_s)
    return None


def _driving_left_s(ctx: _Context, driver_id: str, at: datetime) -> int:
    """Driving the driver may still do at ``at`` under the 24-hour and 7-day limits, whichever is
    tighter (before the drive itself; the continuous-driving rule is checked with the drive)."""
    policy = ctx.dataset.driving_policy
    state = driving_state(ctx.state.drivers[driver_id].duty_log, at, policy)
    return int(max(0, min(policy.max_driving_24h_s - state.driven_24h_s, policy.max_driving_7d_s - state.driven_7d_s)))


def _delay_s(group: StrandedGroup, arrival: datetime) -> int:
    if group.planned_arrival is None:
        return 0
    return max(0, int((arrival - group.planned_arrival).total_seconds()))


# --------------------------------------------------------------------------- later trips
def trip_tasks(ctx: _Context, incidents: Sequence[Incident], rescuing: Sequence[Crew], failed: set[str]) -> tuple[TripTask, ...]:
    """The failed coaches' later trips, and the next trip of every coach or driver with a rescue
    option (a rescue may pull it)."""
    horizon = _horizon(ctx)
    incident_trips = {ctx.dataset.trip(t).id for t in (i.trip_id for i in incidents) if t}
    reasons: dict[str, str] = {}
    for vehicle_id in sorted(failed):
        for trip_id in ctx.state.vehicles[vehicle_id].later_trip_ids:
            reasons.setdefault(trip_id, f"its coach {vehicle_id} has failed")
    for crew in rescuing:
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


def trip_options(ctx: _Context, task: TripTask, crews: Sequence[Crew], rescues: Sequence[RescueOption],
                 groups: Mapping[str, StrandedGroup], task_ids: frozenset[str]) -> list[TripOption]:
    """Who could run ``task`` (one of the trips ``task_ids``): rescuing crews right after their
    rescue (:func:`_chained_options`) and crews on their own (:func:`_standalone_options`)."""
    return _chained_options(ctx, task, rescues, groups) + _standalone_options(ctx, task, crews, task_ids)


def _chained_options(ctx: _Context, task: TripTask, rescues: Sequence[RescueOption],
                     groups: Mapping[str, StrandedGroup]) -> list[TripOption]:
    """A rescuing crew runs ``task`` after its rescue if it is the crew's own trip, or a failed
    coach's trip (the rescuer takes over its duty) for the ``ops.max_trip_covers`` coaches that could
    run it soonest; other pulled trips go to crews on their own."""
    latest = task.departure + timedelta(seconds=task.max_shift_s)
    ranked = []
    for rescue in rescues:
        own = task.planned_vehicle_id == rescue.vehicle_id or task.planned_driver_id == rescue.driver_id
        if rescue.kind == CrewKind.PASSING or rescue.capacity < task.passengers or rescue.destination_arrival > latest \
                or not (own or task.planned_vehicle_id in ctx.failed):
            continue
        timing = _cover_timing(ctx, rescue.vehicle_id, task, groups[rescue.group_id].destination_node,
                               rescue.destination_arrival)
        if timing is not None:
            drive = DutyInterval(rescue.driver_id, rescue.depart_at, rescue.destination_arrival, Activity.DRIVE)
            make = partial(_legal_option, ctx, (rescue.crew_id, rescue.vehicle_id, rescue.driver_id), task, timing,
                           rescue.id, (drive,))
            ranked.append(((timing[0], timing[1], rescue.id), rescue.vehicle_id, own, make))
    return _soonest_coaches(ranked, ctx.ops.max_trip_covers)


def _standalone_options(ctx: _Context, task: TripTask, crews: Sequence[Crew],
                        task_ids: frozenset[str]) -> list[TripOption]:
    """The planned crew, and the crews of the ``ops.max_trip_covers`` coaches that could run ``task``
    soonest on their own (least shift, then least empty running) without missing a trip of their
    own that is not itself a task."""
    ranked = []
    for crew in crews:
        if crew.kind == CrewKind.PASSING or crew.capacity < task.passengers:
            continue
        timing = _cover_timing(ctx, crew.vehicle_id, task, crew.origin_node, crew.available_from)
        if timing is not None:
            planned = crew.vehicle_id == task.planned_vehicle_id and crew.driver_id == task.planned_driver_id
            make = partial(_standalone_option, ctx, crew, task, timing, task_ids)
            ranked.append(((timing[0], timing[1], crew.id), crew.vehicle_id, planned, make))
    return _soonest_coaches(ranked, ctx.ops.max_trip_covers)


def _soonest_coaches(ranked: list[tuple[tuple, str, bool, Callable[[], TripOption | None]]],
                     limit: int) -> list[TripOption]:
    """Options in rank order from the first ``limit`` coaches that yield any (every option of those
    coaches), plus the ones marked to keep always. Legality is checked only for these."""
    options, coaches = [], set()
    for _, vehicle_id, keep, make in sorted(ranked, key=lambda entry: entry[0]):
        if len(coaches) >= limit and vehicle_id not in coaches and not keep:
            continue
        option = make()
        if option is not None:
            options.append(option)
            coaches.add(vehicle_id)
    return options


def _standalone_option(ctx: _Context, crew: Crew, task: TripTask, timing: tuple[int, int, int],
                       task_ids: frozenset[str]) -> TripOption | None:
    own_trips = _own_trips_kept(ctx, crew, task, timing[0], task_ids)
    if own_trips is None:
        return None
    return _legal_option(ctx, (crew.id, crew.vehicle_id, crew.driver_id), task, timing, None, own_trips)


def _cover_timing(ctx: _Context, vehicle_id: str, task: TripTask, from_node: str,
                  free_at: datetime) -> tuple[int, int, int] | None:
    """(departure shift s, empty running m, empty running s) of coach ``vehicle_id`` running ``task``
    from ``from_node`` when free at ``free_at``; None if it cannot leave within the allowed shift."""
    try:
        deadhead = ctx.route(ctx.dataset.vehicle(vehicle_id), from_node, task.origin_node, free_at)
    except NoRouteError:
        return None
    ready = free_at + timedelta(seconds=deadhead.travel_time_s)
    if vehicle_id != task.planned_vehicle_id:  # a replacement coach needs a newly filed sign
        ready = max(ready, ctx.at + timedelta(seconds=ctx.dataset.driving_policy.charter_sign_filing_delay_s))
    shift_s = max(0, int((ready - task.departure).total_seconds()))
    if shift_s > task.max_shift_s:
        return None
    return shift_s, deadhead.length_m, deadhead.travel_time_s


def _own_trips_kept(ctx: _Context, crew: Crew, task: TripTask, shift_s: int,
                    task_ids: frozenset[str]) -> tuple[DutyInterval, ...] | None:
    """The crew's own next trips (coach's and driver's) that are not tasks, as planned driving, if
    it can still reach them after running ``task``; None if covering ``task`` would break one."""
    own: list[DutyInterval] = []
    finished = task.arrival + timedelta(seconds=shift_s)
    for trip_ids in (ctx.state.vehicles[crew.vehicle_id].later_trip_ids, ctx.state.drivers[crew.driver_id].later_trip_ids):
        trip = _next_trip(ctx, trip_ids)
        if trip is None or trip.id in task_ids or trip.id == task.trip_id:
            continue
        try:
            back = ctx.route(ctx.dataset.vehicle(crew.vehicle_id), task.destination_node, trip.origin, finished)
        except NoRouteError:
            return None
        if finished + timedelta(seconds=back.travel_time_s) > trip.departure:
            return None
        own.append(DutyInterval(crew.driver_id, trip.departure, trip.arrival, Activity.DRIVE))
    return tuple(own)


def _legal_option(ctx: _Context, crew: tuple[str, str, str], task: TripTask, timing: tuple[int, int, int],
                  after_rescue_id: str | None, extra_log: tuple[DutyInterval, ...]) -> TripOption | None:
    """The option of ``crew`` (crew, coach and driver ids) if its driver may drive it, else None."""
    crew_id, vehicle_id, driver_id = crew
    vehicle, driver = ctx.dataset.vehicle(vehicle_id), ctx.dataset.driver(driver_id)
    shift_s, deadhead_m, deadhead_s = timing
    start = task.departure + timedelta(seconds=shift_s - deadhead_s)
    duration_s = deadhead_s + int((task.arrival - task.departure).total_seconds())
    log = tuple(sorted(ctx.state.drivers[driver.id].duty_log + extra_log, key=lambda d: d.start))
    # a yes/no is enough here: a trip leaves at its time or is re-covered by someone else
    if violations_at(driver, log, ProposedDrive(start, duration_s, None, commuter=True), vehicle,
                     ctx.dataset.driving_policy):
        return None
    return TripOption(f"T:{crew_id}>{task.trip_id}" + (f"@{after_rescue_id}" if after_rescue_id else ""),
                      crew_id, task.trip_id, vehicle_id, driver_id, after_rescue_id, shift_s, deadhead_m)
