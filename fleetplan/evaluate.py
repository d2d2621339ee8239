"""The independent evaluator: re-check every claim of a plan (DESIGN §5.5).

It shares no code with the solver or with the instance builder's option generation: positions come
from the timetable, travel times from the road network, legality from the rules, and every number the
plan states (times, distances, passengers, objective terms) is recomputed and compared. It returns a
list of :class:`~fleetplan.problems.Problem` (a code, the subject, the numbers and a sentence); an
empty list means the plan is sound.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetplan.errors import FleetplanError
from fleetplan.instance import Instance, StrandedGroup
from fleetplan.model import Activity, Dataset, DutyInterval, SiteKind, Trip, VehicleStatus
from fleetplan.network import TravelTimes
from fleetplan.operations import OperationsPolicy
from fleetplan.plan import Objective, Plan, Rescue, TripCover
from fleetplan.problems import Problem, ProblemCode, problem
from fleetplan.rules import ProposedDrive, driving_state, personal_eligibility, violations_at
from fleetplan.tiers import Tier, classify, late_penalty, unreached_penalty
from fleetplan.units import ceil_minutes


def evaluate(plan: Plan, instance: Instance, ops: OperationsPolicy | None = None) -> list[Problem]:
    """Every problem found in ``plan`` for ``instance``.

    Parameters
    ----------
    plan
        A plan for ``instance`` (from any solver).
    instance
        What the plan answers; its dataset, network and conditions are the facts checked against.
    ops
        The operating assumptions to judge by (default: the ones the instance was built with).

    Returns
    -------
    list of Problem
        Empty when every claim of the plan holds.
    """
    checker = _Checker(instance, ops if ops is not None else instance.ops)
    problems: list[Problem] = []
    for rescue in plan.rescues:
        problems += checker.rescue(rescue)
    for cover in plan.trip_covers:
        problems += checker.trip_cover(cover, plan)
    problems += checker.group_totals(plan)
    problems += checker.double_bookings(plan)
    problems += checker.unavailable_used(plan)
    problems += checker.trip_accounting(plan)
    problems += checker.objective(plan)
    return problems


@dataclass
class _Checker:
    instance: Instance
    ops: OperationsPolicy

    def __post_init__(self) -> None:
        self.dataset: Dataset = self.instance.dataset
        self.network = self.instance.network
        self.at = self.instance.at
        self.failed = {g.failed_vehicle_id for g in self.instance.groups}
        self._travel: dict = {}

    # ------------------------------------------------------------------ facts recomputed from data
    def travel(self, vehicle_id: str) -> TravelTimes:
        vehicle_class = self.dataset.vehicle(vehicle_id).vehicle_class
        if vehicle_class not in self._travel:
            self._travel[vehicle_class] = TravelTimes(self.network, self.instance.conditions, vehicle_class)
        return self._travel[vehicle_class]

    def route_s(self, vehicle_id: str, origin, destination, depart_at: datetime) -> tuple[int, int]:
        """(seconds, metres) from ``origin`` to ``destination``; texts are located on the network."""
        route = self.travel(vehicle_id).route(self._locate(origin), self._locate(destination), depart_at)
        return route.travel_time_s, route.length_m

    def _locate(self, where):
        return self.network.locate(where) if isinstance(where, str) else where

    def trips_of_vehicle(self, vehicle_id: str) -> list[Trip]:
        return sorted((t for t in self.dataset.trips if t.vehicle_id == vehicle_id), key=lambda t: t.departure)

    def current_trip(self, vehicle_id: str) -> Trip | None:
        return next((t for t in self.trips_of_vehicle(vehicle_id) if t.departure <= self.at < t.arrival), None)

    def vehicle_node(self, vehicle_id: str) -> str:
        done = [t for t in self.trips_of_vehicle(vehicle_id) if t.arrival <= self.at]
        if done:
            return done[-1].destination
        return self.dataset.site(self.dataset.vehicle(vehicle_id).home_depot).node_id

    def driver_node(self, driver_id: str) -> str:
        trips = sorted((t for t in self.dataset.trips if t.driver_id == driver_id), key=lambda t: t.departure)
        done = [t for t in trips if t.arrival <= self.at]
        if done and done[-1].departure.date() == self.at.date():
            return done[-1].destination
        return self.dataset.site(self.dataset.driver(driver_id).home_depot).node_id

    def duty_log(self, driver_id: str) -> list[DutyInterval]:
        history = [d if d.end <= self.at else DutyInterval(d.driver_id, d.start, self.at, d.activity)
                   for d in self.dataset.duty_log if d.driver_id == driver_id and d.start < self.at]
        driven = [DutyInterval(driver_id, t.departure, min(t.arrival, self.at), Activity.DRIVE)
                  for t in self.dataset.trips if t.driver_id == driver_id and t.departure < self.at]
        return sorted(history + driven, key=lambda d: d.start)

    def deadline(self, group: StrandedGroup) -> tuple[datetime, Tier]:
        """The group's deadline and tier, recomputed from the scene, the timetable's standby coaches
        and the tier policy."""
        trip = self.dataset.trip(group.trip_id) if group.trip_id else None
        depots = [(s.lat, s.lon) for s in self.dataset.sites if s.kind == SiteKind.DEPOT]
        backups = [self.network.node_lat_lon(self.vehicle_node(v.id)) for v in self.standby_vehicles()]
        tier, deadline = classify(self.instance.tier_policy, group.reported_at, trip.departure if trip else None,
                                  (group.scene.lat, group.scene.lon), depots, backups)
        return deadline, tier

    def standby_vehicles(self):
        return [v for v in self.dataset.vehicles
                if v.status == VehicleStatus.STANDBY and self.current_trip(v.id) is None]

    # ------------------------------------------------------------------ one rescue
    def rescue(self, rescue: Rescue) -> list[Problem]:
        where = f"rescue by {rescue.vehicle_id}"
        try:
            vehicle = self.dataset.vehicle(rescue.vehicle_id)
            driver = self.dataset.driver(rescue.driver_id)
            group = self.instance.group(rescue.group_id)
        except (FleetplanError, KeyError) as error:
            return [problem(ProblemCode.UNKNOWN_ID, where, str(error))]
        problems = []
        if vehicle.id in self.failed:
            problems.append(problem(ProblemCode.FAILED_COACH, where, "the coach is one of the failed coaches"))
        if vehicle.status == VehicleStatus.WORKSHOP:
            problems.append(problem(ProblemCode.IN_WORKSHOP, where, "the coach is in the workshop"))
        if not vehicle.permit_valid_on(self.at.date()):
            problems.append(problem(ProblemCode.PERMIT_EXPIRED, where,
                                    f"the coach's permit expired on {vehicle.permit_valid_until}",
                                    valid_until=vehicle.permit_valid_until))
        problems += [problem(ProblemCode.DRIVER_INELIGIBLE, where, f"driver {driver.id}: {v.message}", rule=v.code)
                     for v in personal_eligibility(driver, vehicle, self.at.date(), self.instance.driving_policy)]
        if rescue.passengers < 1:
            problems.append(problem(ProblemCode.NO_PASSENGERS, where, "carries no passenger"))
        problems += self._hours_left(rescue, where)
        trip = self.current_trip(vehicle.id)
        try:
            problems += self._passing(rescue, trip, group) if trip else self._driven(rescue, group)
        except FleetplanError as error:
            problems.append(problem(ProblemCode.NO_ROUTE, where, str(error)))
        return problems

    def _hours_left(self, rescue: Rescue, where: str) -> list[Problem]:
        """The driving hours left the plan shows the dispatcher, from the driver's own log."""
        policy = self.instance.driving_policy
        state = driving_state(self.duty_log(rescue.driver_id), rescue.depart_at, policy)
        left_s = int(max(0, min(policy.max_driving_24h_s - state.driven_24h_s, policy.max_driving_7d_s - state.driven_7d_s)))
        if rescue.driver_hours_left_s == left_s:
            return []
        return [problem(ProblemCode.DRIVER_HOURS_LEFT, where,
                        f"claims {rescue.driver_hours_left_s} s of driving left for {rescue.driver_id}, the log says {left_s} s",
                        claimed_s=rescue.driver_hours_left_s, found_s=left_s)]

    def _driven(self, rescue: Rescue, group: StrandedGroup) -> list[Problem]:
        where = f"rescue by {rescue.vehicle_id}"
        vehicle, driver = self.dataset.vehicle(rescue.vehicle_id), self.dataset.driver(rescue.driver_id)
        problems = []
        node = self.vehicle_node(vehicle.id)
        if rescue.origin_node != node:
            problems.append(problem(ProblemCode.WRONG_ORIGIN, where,
                                    f"claims to start at {rescue.origin_node} but the coach stands at {node}",
                                    claimed=rescue.origin_node, found=node))
        if self.driver_node(driver.id) != node:
            problems.append(problem(ProblemCode.DRIVER_ELSEWHERE, where,
                                    f"driver {driver.id} is at {self.driver_node(driver.id)}, not with the coach at {node}",
                                    driver_at=self.driver_node(driver.id), coach_at=node))
        if any(t.driver_id == driver.id and t.departure <= self.at < t.arrival for t in self.dataset.trips):
            problems.append(problem(ProblemCode.DRIVER_ON_TRIP, where, f"driver {driver.id} is driving a trip"))
        failed_trip_drivers = {self.dataset.trip(g.trip_id).driver_id for g in self.instance.groups if g.trip_id}
        if driver.id in failed_trip_drivers:
            problems.append(problem(ProblemCode.DRIVER_WITH_FAILED_COACH, where, f"driver {driver.id} is with a failed coach"))
        if not driver.on_shift(self.at):
            problems.append(problem(ProblemCode.OFF_SHIFT, where, f"driver {driver.id} is off shift"))
        if rescue.passengers > vehicle.seats:
            problems.append(problem(ProblemCode.SEATS_EXCEEDED, where,
                                    f"{rescue.passengers} passengers exceed {vehicle.seats} seats",
                                    passengers=rescue.passengers, seats=vehicle.seats))
        if rescue.depart_at < self.at + timedelta(seconds=self.ops.turnout_s):
            problems.append(problem(ProblemCode.LEAVES_TOO_EARLY, where,
                                    f"leaves at {rescue.depart_at:%H:%M}, before the crew can turn out",
                                    depart_at=rescue.depart_at))
        to_scene_s, to_scene_m = self.route_s(vehicle.id, node, group.scene, rescue.depart_at)
        expected_scene = rescue.depart_at + timedelta(seconds=to_scene_s)
        if rescue.scene_arrival != expected_scene:
            problems.append(problem(ProblemCode.SCENE_TIME, where, f"claims the scene at {rescue.scene_arrival:%H:%M:%S}, "
                                    f"the network says {expected_scene:%H:%M:%S}",
                                    claimed=rescue.scene_arrival, found=expected_scene))
        if rescue.deadhead_m != to_scene_m:
            problems.append(problem(ProblemCode.EMPTY_RUNNING, where,
                                    f"claims {rescue.deadhead_m} m empty running, the network says {to_scene_m} m",
                                    claimed_m=rescue.deadhead_m, found_m=to_scene_m))
        sign_ready = self.at + timedelta(seconds=self.instance.driving_policy.charter_sign_filing_delay_s)
        if rescue.boarding_at < max(rescue.scene_arrival, sign_ready):
            problems.append(problem(ProblemCode.BOARDS_TOO_EARLY, where, f"boards at {rescue.boarding_at:%H:%M} before "
                                    "arrival or before the new charter sign is filed",
                                    boarding_at=rescue.boarding_at, sign_ready=sign_ready))
        leave = rescue.boarding_at + timedelta(seconds=self.ops.transfer_s)
        onward_s, _ = self.route_s(vehicle.id, group.scene, group.destination_node, leave)
        expected_arrival = leave + timedelta(seconds=onward_s)
        if rescue.destination_arrival != expected_arrival:
            problems.append(problem(ProblemCode.ARRIVAL_TIME, where, f"claims arrival {rescue.destination_arrival:%H:%M:%S}, "
                                    f"the network says {expected_arrival:%H:%M:%S}",
                                    claimed=rescue.destination_arrival, found=expected_arrival))
        violations = violations_at(driver, self.duty_log(driver.id),
                                   ProposedDrive(rescue.depart_at, to_scene_s + onward_s, None, commuter=True),
                                   vehicle, self.instance.driving_policy)
        problems += [problem(ProblemCode.DRIVING_RULES, where, f"driver {driver.id}: {v.message}", rule=v.code)
                     for v in violations]
        return problems

    def _passing(self, rescue: Rescue, trip: Trip, group: StrandedGroup) -> list[Problem]:
        where = f"rescue by passing coach {rescue.vehicle_id}"
        vehicle = self.dataset.vehicle(rescue.vehicle_id)
        problems = []
        if rescue.driver_id != trip.driver_id:
            problems.append(problem(ProblemCode.WRONG_DRIVER, where, f"its driver is {trip.driver_id}, not {rescue.driver_id}",
                                    claimed=rescue.driver_id, found=trip.driver_id))
        free = vehicle.seats - trip.booked_passengers
        if rescue.passengers > free:
            problems.append(problem(ProblemCode.SEATS_EXCEEDED, where, f"{rescue.passengers} passengers exceed its {free} free seats",
                                    passengers=rescue.passengers, seats=free))
        if trip.destination != group.destination_node:
            problems.append(problem(ProblemCode.WRONG_DESTINATION, where, f"goes to {trip.destination}, not {group.destination_node}",
                                    claimed=group.destination_node, found=trip.destination))
        eta = self._passing_time(vehicle.id, trip, group)
        if eta is None:
            return problems + [problem(ProblemCode.DOES_NOT_PASS, where, "its route does not pass the scene")]
        if eta != rescue.scene_arrival or eta < self.at:
            problems.append(problem(ProblemCode.SCENE_TIME, where,
                                    f"claims the scene at {rescue.scene_arrival:%H:%M:%S}, it passes at {eta:%H:%M:%S}",
                                    claimed=rescue.scene_arrival, found=eta))
        leave = eta + timedelta(seconds=self.ops.passing_dwell_s)
        onward_s, _ = self.route_s(vehicle.id, group.scene, trip.destination, leave)
        arrival = leave + timedelta(seconds=onward_s)
        if rescue.destination_arrival != arrival:
            problems.append(problem(ProblemCode.ARRIVAL_TIME, where, f"claims arrival {rescue.destination_arrival:%H:%M:%S}, "
                                    f"the network says {arrival:%H:%M:%S}", claimed=rescue.destination_arrival, found=arrival))
        if (arrival - trip.arrival).total_seconds() > self.ops.max_passing_delay_s:
            problems.append(problem(ProblemCode.OWN_PASSENGERS_DELAYED, where,
                                    f"delays its own passengers beyond {self.ops.max_passing_delay_s // 60} min",
                                    delay_s=int((arrival - trip.arrival).total_seconds()),
                                    limit_s=self.ops.max_passing_delay_s))
        return problems

    def _passing_time(self, vehicle_id: str, trip: Trip, group: StrandedGroup) -> datetime | None:
        for here, there in zip(trip.stops, trip.stops[1:]):
            leg = self.travel(vehicle_id).route(self._locate(here.node_id), self._locate(there.node_id), here.planned)
            if self.network.path_passes(leg.path, group.scene):
                seconds, _ = self.route_s(vehicle_id, here.node_id, group.scene, here.planned)
                return here.planned + timedelta(seconds=seconds)
        return None

    # ------------------------------------------------------------------ one trip cover
    def trip_cover(self, cover: TripCover, plan: Plan) -> list[Problem]:
        where = f"trip {cover.trip_id} by {cover.vehicle_id}"
        try:
            trip = self.dataset.trip(cover.trip_id)
            vehicle = self.dataset.vehicle(cover.vehicle_id)
            driver = self.dataset.driver(cover.driver_id)
        except (FleetplanError, KeyError) as error:
            return [problem(ProblemCode.UNKNOWN_ID, where, str(error))]
        problems = []
        if vehicle.id in self.failed or vehicle.status == VehicleStatus.WORKSHOP:
            problems.append(problem(ProblemCode.FAILED_COACH if vehicle.id in self.failed else ProblemCode.IN_WORKSHOP,
                                    where, "the coach is failed or in the workshop"))
        if vehicle.seats < trip.booked_passengers:
            problems.append(problem(ProblemCode.SEATS_EXCEEDED, where, f"{trip.booked_passengers} booked exceed {vehicle.seats} seats",
                                    passengers=trip.booked_passengers, seats=vehicle.seats))
        if not 0 <= cover.departure_shift_s <= self.ops.max_trip_shift_s:
            problems.append(problem(ProblemCode.SHIFT_OUT_OF_RANGE, where,
                                    f"departure shift {cover.departure_shift_s} s outside 0–{self.ops.max_trip_shift_s} s",
                                    shift_s=cover.departure_shift_s, limit_s=self.ops.max_trip_shift_s))
        problems += [problem(ProblemCode.DRIVER_INELIGIBLE, where, f"driver {driver.id}: {v.message}", rule=v.code)
                     for v in personal_eligibility(driver, vehicle, self.at.date(), self.instance.driving_policy)]
        before = next((r for r in plan.rescues if r.vehicle_id == vehicle.id), None)
        if before is not None:
            group = self.instance.group(before.group_id)
            start_node, free_at = group.destination_node, before.destination_arrival
            extra = [DutyInterval(driver.id, before.depart_at, before.destination_arrival, Activity.DRIVE)]
        else:
            start_node, free_at, extra = self.vehicle_node(vehicle.id), self.at + timedelta(seconds=self.ops.turnout_s), []
        departure = trip.departure + timedelta(seconds=cover.departure_shift_s)
        try:
            deadhead_s, deadhead_m = self.route_s(vehicle.id, start_node, trip.origin, free_at)
        except FleetplanError as error:
            return problems + [problem(ProblemCode.NO_ROUTE, where, str(error))]
        if free_at + timedelta(seconds=deadhead_s) > departure:
            problems.append(problem(ProblemCode.CANNOT_REACH_TRIP, where, f"cannot reach {trip.origin} by {departure:%H:%M}",
                                    ready_at=free_at + timedelta(seconds=deadhead_s), departure=departure))
        if cover.deadhead_m != deadhead_m:
            problems.append(problem(ProblemCode.EMPTY_RUNNING, where,
                                    f"claims {cover.deadhead_m} m empty running, the network says {deadhead_m} m",
                                    claimed_m=cover.deadhead_m, found_m=deadhead_m))
        if vehicle.id != trip.vehicle_id:
            sign_ready = self.at + timedelta(seconds=self.instance.driving_policy.charter_sign_filing_delay_s)
            if departure < sign_ready:
                problems.append(problem(ProblemCode.SIGN_NOT_FILED, where, "leaves before a new charter sign can be filed",
                                        departure=departure, sign_ready=sign_ready))
        log = sorted(self.duty_log(driver.id) + extra, key=lambda d: d.start)
        drive = ProposedDrive(departure - timedelta(seconds=deadhead_s),
                              deadhead_s + int((trip.arrival - trip.departure).total_seconds()), None, commuter=True)
        problems += [problem(ProblemCode.DRIVING_RULES, where, f"driver {driver.id}: {v.message}", rule=v.code)
                     for v in violations_at(driver, log, drive, vehicle, self.instance.driving_policy)]
        return problems

    # ------------------------------------------------------------------ whole-plan checks
    def group_totals(self, plan: Plan) -> list[Problem]:
        carried: Counter[str] = Counter()
        for rescue in plan.rescues:
            carried[rescue.group_id] += rescue.passengers
        return [problem(ProblemCode.OVER_CARRIED, f"group {g.id}",
                        f"{carried[g.id]} passengers carried but only {g.passengers} are stranded",
                        carried=carried[g.id], stranded=g.passengers)
                for g in self.instance.groups if carried[g.id] > g.passengers]

    def double_bookings(self, plan: Plan) -> list[Problem]:
        problems = []
        items: tuple[Rescue, ...] | tuple[TripCover, ...]
        for label, items in (("rescues", plan.rescues), ("trip covers", plan.trip_covers)):
            for attribute in ("vehicle_id", "driver_id"):
                counts = Counter(getattr(item, attribute) for item in items)
                problems += [Problem(ProblemCode.DOUBLE_BOOKED, key,
                                     f"{attribute.removesuffix('_id')} {key} is booked {n} times in {label}",
                                     (("times", n),))
                             for key, n in counts.items() if n > 1]
        rescue_crews = {r.vehicle_id: r.driver_id for r in plan.rescues}
        rescue_drivers = {r.driver_id: r.vehicle_id for r in plan.rescues}
        for cover in plan.trip_covers:
            if cover.vehicle_id in rescue_crews and rescue_crews[cover.vehicle_id] != cover.driver_id:
                problems.append(Problem(ProblemCode.CREW_SPLIT, cover.vehicle_id,
                                        f"coach {cover.vehicle_id} rescues with {rescue_crews[cover.vehicle_id]} but "
                                        f"covers {cover.trip_id} with {cover.driver_id}"))
            if cover.driver_id in rescue_drivers and rescue_drivers[cover.driver_id] != cover.vehicle_id:
                problems.append(Problem(ProblemCode.CREW_SPLIT, cover.driver_id,
                                        f"driver {cover.driver_id} rescues in {rescue_drivers[cover.driver_id]} but "
                                        f"covers {cover.trip_id} in {cover.vehicle_id}"))
        return problems

    def unavailable_used(self, plan: Plan) -> list[Problem]:
        used = [r.vehicle_id for r in plan.rescues] + [r.driver_id for r in plan.rescues] + \
            [c.vehicle_id for c in plan.trip_covers] + [c.driver_id for c in plan.trip_covers]
        return [Problem(ProblemCode.UNAVAILABLE_USED, resource,
                        f"{resource} is used but unavailable: {self.instance.unavailable[resource]}")
                for resource in dict.fromkeys(used) if resource in self.instance.unavailable]

    def trip_accounting(self, plan: Plan) -> list[Problem]:
        """Every trip needing a crew is covered or declared uncovered, and no pulled crew's own trip
        disappears silently."""
        covered = Counter(c.trip_id for c in plan.trip_covers)
        declared = set(plan.uncovered_trip_ids)
        problems = [Problem(ProblemCode.TRIP_COVERED_TWICE, f"trip {t}", f"trip {t} is covered {n} times", (("times", n),))
                    for t, n in covered.items() if n > 1]
        problems += [Problem(ProblemCode.TRIP_COVERED_AND_UNCOVERED, f"trip {t}",
                             f"trip {t} is both covered and declared uncovered") for t in declared & set(covered)]
        at_stake = {t.trip_id for t in self.instance.trip_tasks}
        problems += [Problem(ProblemCode.TRIP_UNACCOUNTED, f"trip {t}", f"trip {t} is neither covered nor declared uncovered")
                     for t in sorted(at_stake - set(covered) - declared)]
        for rescue in plan.rescues:
            for attribute, resource in (("vehicle_id", rescue.vehicle_id), ("driver_id", rescue.driver_id)):
                later = self.next_trip_of(attribute, resource)
                if later and later.id not in covered and later.id not in declared and not self._passing_rescue(rescue):
                    problems.append(Problem(ProblemCode.TRIP_LOST_TO_RESCUE, f"trip {later.id}",
                                            f"trip {later.id} loses {resource} to the rescue and is neither "
                                            f"re-covered nor declared uncovered"))
        rescuers = {r.vehicle_id for r in plan.rescues}
        for cover in plan.trip_covers:
            if cover.vehicle_id not in rescuers:
                problems += self._own_trips_kept(cover, set(covered) | declared)
        return problems

    def _own_trips_kept(self, cover: TripCover, accounted: set[str]) -> list[Problem]:
        """A crew taken for another trip must still make its own next trip, unless that trip is
        re-covered or declared uncovered."""
        problems = []
        trip = self.dataset.trip(cover.trip_id)
        back_from = trip.arrival + timedelta(seconds=cover.departure_shift_s)
        for attribute, resource in (("vehicle_id", cover.vehicle_id), ("driver_id", cover.driver_id)):
            own = self.next_trip_of(attribute, resource, besides=trip.id)
            if own is None or own.id in accounted:
                continue
            try:
                back_s, _ = self.route_s(cover.vehicle_id, trip.destination, own.origin, back_from)
            except FleetplanError as error:
                problems.append(problem(ProblemCode.OWN_TRIP_LOST, f"trip {own.id}",
                                        f"{resource} covers {trip.id} and cannot come back: {error}"))
                continue
            if back_from + timedelta(seconds=back_s) > own.departure:
                problems.append(Problem(ProblemCode.OWN_TRIP_LOST, f"trip {own.id}",
                                        f"trip {own.id} loses {resource}, which covers {trip.id} and is back at "
                                        f"{own.origin} only at {back_from + timedelta(seconds=back_s):%H:%M}",
                                        (("back_at", back_from + timedelta(seconds=back_s)), ("departure", own.departure))))
        return problems

    def next_trip_of(self, attribute: str, resource: str, besides: str | None = None) -> Trip | None:
        """The first trip of coach or driver ``resource`` (``attribute`` ``vehicle_id`` or
        ``driver_id``) leaving after the decision and within the trip horizon, other than ``besides``."""
        horizon = self.at + timedelta(seconds=self.ops.trip_horizon_s)
        return min((t for t in self.dataset.trips if getattr(t, attribute) == resource
                    and self.at < t.departure <= horizon and t.id != besides), key=lambda t: t.departure, default=None)

    def _passing_rescue(self, rescue: Rescue) -> bool:
        return self.current_trip(rescue.vehicle_id) is not None

    def objective(self, plan: Plan) -> list[Problem]:
        recomputed = self.recompute_objective(plan)
        claimed = plan.objective.as_dict()
        return [problem(ProblemCode.OBJECTIVE_MISMATCH, f"objective {name}",
                        f"plan claims {claimed[name]}, recomputed {value}", claimed=claimed[name], found=value)
                for name, value in recomputed.as_dict().items() if claimed[name] != value]

    def recompute_objective(self, plan: Plan) -> Objective:
        policy = self.instance.tier_policy
        on_time = lateness = delay = 0
        carried: Counter[str] = Counter()
        for rescue in plan.rescues:
            group = self.instance.group(rescue.group_id)
            deadline, tier = self.deadline(group)
            late_s = max(0, int((rescue.scene_arrival - deadline).total_seconds()))
            on_time += rescue.passengers if late_s == 0 else 0
            lateness += rescue.passengers * late_penalty(policy, tier, late_s)
            if group.planned_arrival is not None:
                delay += rescue.passengers * ceil_minutes((rescue.destination_arrival - group.planned_arrival).total_seconds())
            trip = self.current_trip(rescue.vehicle_id)
            if trip is not None:  # a passing coach delays its own passengers
                delay += trip.booked_passengers * ceil_minutes((rescue.destination_arrival - trip.arrival).total_seconds())
            carried[group.id] += rescue.passengers
        for group in self.instance.groups:
            _, tier = self.deadline(group)
            lateness += (group.passengers - carried[group.id]) * unreached_penalty(policy, tier)
        used = {r.vehicle_id for r in plan.rescues} | {c.vehicle_id for c in plan.trip_covers}
        standby_by_city: dict[str, set[str]] = defaultdict(set)
        depots = {s.node_id: s.id for s in self.dataset.sites if s.kind == SiteKind.DEPOT}
        for vehicle in self.standby_vehicles():
            node = self.vehicle_node(vehicle.id)
            if node in depots and vehicle.id not in self.failed and vehicle.permit_valid_on(self.at.date()):
                standby_by_city[depots[node]].add(vehicle.id)
        covered = {c.trip_id for c in plan.trip_covers}
        return Objective(
            passengers_not_reached=sum(g.passengers for g in self.instance.groups) - on_time,
            late_penalty=lateness,
            passenger_delay_min=delay,
            trips_uncovered=sum(1 for t in self.instance.trip_tasks if t.trip_id not in covered),
            trips_retimed_min=sum(ceil_minutes(c.departure_shift_s) for c in plan.trip_covers),
            deadhead_km=sum(round(r.deadhead_m / 1000) for r in plan.rescues)
            + sum(round(c.deadhead_m / 1000) for c in plan.trip_covers),
            coverage_lost=sum(1 for vehicles in standby_by_city.values() if vehicles <= used),
        )

