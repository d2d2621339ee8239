"""What the builder knows while it builds one instance: the live state, the routes it has asked for,
and the rejections it has recorded (each once per candidate, reason and group)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from fleetplan.corridor import Corridor
from fleetplan.errors import NoRouteError
from fleetplan.instance import Rejection, RejectionCode, RescueOption
from fleetplan.live import LivePicture
from fleetplan.model import Activity, Conditions, Driver, DutyInterval, Trip, Vehicle
from fleetplan.network import Location, Route, SpeedRules, TravelTimes
from fleetplan.operations import OperationsPolicy
from fleetplan.phrase import Phrase, phrase
from fleetplan.rules import (
    DrivingState,
    driving_states,
    next_shift_start,
    personal_eligibility,
    shift_label,
    sign_ready_at,
)
from fleetplan.state import LiveState
from fleetplan.timetable import TripCourse, trip_added_s, trip_course, trip_length_m
from fleetplan.wording import Names, names_of
from fleetplan.wording.given import unavailable_phrase

# The rules' violation codes as the rejection codes a dispatcher reads.
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


@dataclass(frozen=True)
class Recorded:
    """How much a :class:`BuildContext` had recorded at some point: rejections (and the keys that keep
    each once), late and overtime options."""

    rejections: int
    reported: frozenset
    late: int
    overtime: int


@dataclass
class BuildContext:
    """The corridor, conditions, assumptions and live state of one build, with its caches.

    Mutable on purpose and private to one build: routes, places and who stands where are asked for
    thousands of times on a large fleet and computed once here.
    """

    corridor: Corridor
    conditions: Conditions
    ops: OperationsPolicy
    at: datetime
    state: LiveState
    unavailable: Mapping[str, str] = field(default_factory=dict)
    failed: frozenset[str] = frozenset()  # the failed coaches
    live: LivePicture = field(default_factory=LivePicture)  # the fresh GPS fixes in use
    travel_by_class: dict = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    late_options: list[RescueOption] = field(default_factory=list)  # priced, but past ops.max_late_s
    overtime_options: list[RescueOption] = field(default_factory=list)  # legal, but past the shift's end
    _reported: set = field(default_factory=set)
    _places: dict = field(default_factory=dict)
    _standing: dict = field(default_factory=dict)
    _drivers_at: dict = field(default_factory=dict)
    _routes: dict = field(default_factory=dict)
    _driving_states: dict[str, Callable[[datetime], DrivingState]] = field(default_factory=dict)
    _rescue_logs: dict[str, tuple[DutyInterval, ...]] = field(default_factory=dict)
    _trip_lengths: dict[tuple, float | None] = field(default_factory=dict)
    _trip_added: dict[tuple, int] = field(default_factory=dict)
    _clear_by_class: dict = field(default_factory=dict)  # clear-weather travel times, for what snow adds
    _driver_problems: dict[tuple[str, str], tuple[RejectionCode, Phrase] | None] = field(default_factory=dict)
    _shift_problems: dict[str, tuple[RejectionCode, Phrase] | None] = field(default_factory=dict)
    # builder.cover_timing: the empty runs to a later trip's first stop, where crews alike set out for it
    cover_reach: dict = field(default_factory=dict)
    cover_starts: dict = field(default_factory=dict)
    _shift_windows: dict = field(default_factory=dict)
    _names: Names | None = None
    roles_at: dict = field(default_factory=dict)  # drivers standing at a place by role (builder.crews)
    spares_by_rest: dict = field(default_factory=dict)  # a place's spare drivers, most rested first (builder.crews)
    rescue_duties: dict = field(default_factory=dict)  # a rescue's duty pieces by its id (builder.trips)
    _courses: dict[tuple[str, str], TripCourse] = field(default_factory=dict)

    @property
    def dataset(self):
        return self.corridor.dataset

    @property
    def network(self):
        return self.corridor.network

    @property
    def names(self) -> Names:
        """The places' names, for the rejections' English reasons (looked up once: a large fleet
        records thousands of rejections)."""
        if self._names is None:
            self._names = names_of(self.network, self.dataset)
        return self._names

    def travel(self, vehicle: Vehicle) -> TravelTimes:
        if vehicle.vehicle_class not in self.travel_by_class:
            self.travel_by_class[vehicle.vehicle_class] = TravelTimes(
                self.network,
                self.conditions,
                vehicle.vehicle_class,
                rules=SpeedRules.for_policy(self.dataset.driving_policy),  # one night for rules and speeds
            )
        return self.travel_by_class[vehicle.vehicle_class]

    def drivers_at(self, node_id: str) -> list[Driver]:
        """The drivers standing at ``node_id`` (not driving a trip), in dataset order. A driver off shift
        when a crew could leave rescues nobody now, and begins the next shift at the home depot (§7):
        there, with a coach standing there, is where a later trip of theirs starts."""
        if not self._drivers_at:
            for driver in self.dataset.drivers:
                state = self.state.drivers[driver.id]
                if state.node_id is not None and not state.current_trip_id:
                    node = state.node_id if self.on_shift_when_ready(driver) else self.home_node(driver)
                    self._drivers_at.setdefault(node, []).append(driver)
        return self._drivers_at.get(node_id, [])

    def home_node(self, driver: Driver) -> str:
        """The node of the driver's home depot, where each of their shifts begins."""
        return self.dataset.site(driver.home_depot).node_id

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

    def route(
        self, vehicle: Vehicle, origin: Location | str, destination: Location | str, depart_at: datetime
    ) -> Route:
        """:meth:`TravelTimes.route`, remembered: a route depends only on its ends, the coach's class
        and the departure second (speeds change with the clock along the way), and a large fleet asks
        the same few thousand times."""
        origin, destination = self.place(origin), self.place(destination)
        key = (vehicle.vehicle_class, origin.key, destination.key, depart_at.replace(microsecond=0))
        if key not in self._routes:
            try:
                self._routes[key] = self.travel(vehicle).route(origin, destination, depart_at)
            except NoRouteError as error:
                self._routes[key] = error
        found = self._routes[key]
        if isinstance(found, NoRouteError):
            raise found
        return found

    @cached_property
    def sign_ready(self) -> datetime:
        """When a new charter sign filed at the report is ready (asked for every crew a sign does not name)."""
        return sign_ready_at(self.at, self.dataset.driving_policy)

    def horizon(self) -> datetime:
        """Later trips leaving before this are re-covered if the incident takes their coach or driver."""
        return self.at + timedelta(seconds=self.ops.trip_horizon_s)

    def next_trip(self, trip_ids: Sequence[str]) -> Trip | None:
        """The first of ``trip_ids`` (later trips, in order) if it leaves within the horizon."""
        if not trip_ids:
            return None
        trip = self.dataset.trip(trip_ids[0])
        return trip if trip.departure <= self.horizon() else None

    def course(self, trip: Trip, vehicle: Vehicle) -> TripCourse:
        """:func:`~fleetplan.timetable.trip_course` of ``trip`` run by a coach like ``vehicle``,
        remembered: every passing coach's course is asked for once per stranded group."""
        key = (trip.id, vehicle.vehicle_class)
        if key not in self._courses:
            self._courses[key] = trip_course(self.network, trip, vehicle.vehicle_class, self.dataset.clear_conditions)
        return self._courses[key]

    def trip_length_m(self, vehicle: Vehicle, trip_id: str) -> float | None:
        """:func:`~fleetplan.timetable.trip_length_m` of a coach like ``vehicle``, remembered."""
        key = (vehicle.vehicle_class, trip_id)
        if key not in self._trip_lengths:

            def leg_m(origin: str, destination: str, at: datetime) -> float:
                return self.route(vehicle, origin, destination, at).length_m

            self._trip_lengths[key] = trip_length_m(self.dataset.trip(trip_id), leg_m)
        return self._trip_lengths[key]

    def trip_added_s(self, vehicle: Vehicle, trip_id: str) -> int:
        """Seconds the build's conditions add to driving the trip for a coach like ``vehicle`` over the
        clear weather of its timetable (:func:`fleetplan.timetable.trip_added_s`): in snow a trip runs
        longer, and its cover is judged so, shift and driving limits (world model §8)."""
        key = (vehicle.vehicle_class, trip_id)
        if key not in self._trip_added:
            added_s = 0
            if self.conditions != self.dataset.clear_conditions:
                clear = self._clear_travel(vehicle)
                added_s = trip_added_s(
                    self.dataset.trip(trip_id),
                    lambda a, b, at: self.route(vehicle, a, b, at).travel_time_s,
                    lambda a, b, at: clear.route(self.place(a), self.place(b), at).travel_time_s,
                )
            self._trip_added[key] = added_s
        return self._trip_added[key]

    def _clear_travel(self, vehicle: Vehicle) -> TravelTimes:
        if vehicle.vehicle_class not in self._clear_by_class:
            self._clear_by_class[vehicle.vehicle_class] = TravelTimes(
                self.network,
                self.dataset.clear_conditions,
                vehicle.vehicle_class,
                rules=SpeedRules.for_policy(self.dataset.driving_policy),
            )
        return self._clear_by_class[vehicle.vehicle_class]

    def rescue_log(self, driver_id: str) -> tuple[DutyInterval, ...]:
        """The log a rescue by ``driver_id`` is judged with: the history and every later trip of theirs
        that stays theirs whatever the plan (all but the next one when it leaves within the horizon:
        that one is a task, re-covered or run after the rescue). A trip tomorrow morning counts in the
        24 h window of a rescue this afternoon."""
        if driver_id not in self._rescue_logs:
            state = self.state.drivers[driver_id]
            later = [self.dataset.trip(trip_id) for trip_id in state.later_trip_ids]
            if later and later[0].departure <= self.horizon():
                later = later[1:]
            kept = tuple(DutyInterval(driver_id, t.departure, t.arrival, Activity.DRIVE) for t in later)
            self._rescue_logs[driver_id] = tuple(sorted(state.duty_log + kept, key=lambda d: d.start))
        return self._rescue_logs[driver_id]

    def driving_left_s(self, driver_id: str, at: datetime) -> int:
        """Driving the driver may still do at ``at`` under the 24-hour and 7-day limits, whichever is
        tighter (before the drive itself; the continuous-driving rule is checked with the drive)."""
        if driver_id not in self._driving_states:  # each driver's log is read once per build
            self._driving_states[driver_id] = driving_states(
                self.state.drivers[driver_id].duty_log, self.dataset.driving_policy
            )
        return self._driving_states[driver_id](at).driving_left_s(self.dataset.driving_policy)

    def driver_problem(self, driver: Driver, vehicle: Vehicle) -> tuple[RejectionCode, Phrase] | None:
        """Why ``driver`` may not take ``vehicle`` in this dispatch (personal rules, then no shift
        before the horizon), or None. Remembered: a pair is asked about once for the spares offered
        and once when paired."""
        key = (driver.id, vehicle.id)
        if key not in self._driver_problems:
            self._driver_problems[key] = _driver_problem(self, driver, vehicle)
        return self._driver_problems[key]

    def shift_problem(self, driver: Driver) -> tuple[RejectionCode, Phrase] | None:
        """Why ``driver`` has no shift to run anything in before the horizon, or None; remembered per
        driver (:meth:`driver_problem` asks it of every pair)."""
        if driver.id not in self._shift_problems:
            self._shift_problems[driver.id] = _shift_problem(self, driver)
        return self._shift_problems[driver.id]

    def on_shift_when_ready(self, driver: Driver) -> bool:
        """Whether ``driver`` is on shift when a crew can leave (report + turnout): able to rescue now."""
        return self.shift_window(driver, self.at + timedelta(seconds=self.ops.turnout_s)) is not None

    def rejected(self, candidate: str, code: RejectionCode, group_id: str | None = None) -> bool:
        """Whether a rejection of ``candidate`` for this reason kind and group is recorded (a later
        one would not be: a caller may skip wording it)."""
        return (candidate, code, group_id) in self._reported

    def reject(self, candidate: str, code: RejectionCode, said: Phrase, group_id: str | None = None) -> None:
        """Record a rejection once per candidate, reason kind and group, so the list stays readable."""
        key = (candidate, code, group_id)
        if key not in self._reported:
            self._reported.add(key)
            self.rejections.append(Rejection(candidate, code, said, group_id, self.names))

    def recorded_so_far(self) -> Recorded:
        """How far the rejections and the late and overtime options go now (for :meth:`forget_since`)."""
        return Recorded(
            len(self.rejections), frozenset(self._reported), len(self.late_options), len(self.overtime_options)
        )

    def forget_since(self, recorded: Recorded) -> None:
        """Take off what was recorded after ``recorded`` (a build on two cores makes those items again)."""
        del self.rejections[recorded.rejections :]
        del self.late_options[recorded.late :], self.overtime_options[recorded.overtime :]
        self._reported.intersection_update(recorded.reported)

    def shift_window(self, driver: Driver, moment: datetime) -> tuple[datetime, datetime] | None:
        """:meth:`Driver.shift_window`, remembered: each crew's is asked for once per later trip."""
        key = (driver.id, moment)
        if key not in self._shift_windows:
            self._shift_windows[key] = driver.shift_window(moment)
        return self._shift_windows[key]

    def reject_unavailable(self, resource_id: str) -> None:
        """Reject a coach or driver the caller marked unavailable, with the caller's reason."""
        why = unavailable_phrase(self.unavailable[resource_id])
        self.reject(resource_id, RejectionCode.BUSY, phrase("busy", who=resource_id, why=why))


def _driver_problem(ctx: BuildContext, driver: Driver, vehicle: Vehicle) -> tuple[RejectionCode, Phrase] | None:
    violations = personal_eligibility(driver, vehicle, ctx.at.date(), ctx.dataset.driving_policy)
    if violations:
        first = violations[0]
        code = VIOLATION_CODES.get(first.code, RejectionCode.LICENCE_CLASS)
        return code, phrase("driver_rule", driver=driver.id, rule=first.finding)
    return ctx.shift_problem(driver)


def _shift_problem(ctx: BuildContext, driver: Driver) -> tuple[RejectionCode, Phrase] | None:
    # A driver whose shift begins later still runs later trips in it; each task is checked whole
    # against the shift (§7), so only a driver with no shift before the horizon is left out here.
    ready = ctx.at + timedelta(seconds=ctx.ops.turnout_s)
    if next_shift_start(driver, ready) > ctx.horizon():
        return RejectionCode.OFF_SHIFT, phrase(
            "off_shift_until",
            driver=driver.id,
            ready=f"{ready:%H:%M}",
            horizon=f"{ctx.horizon():%Y-%m-%d %H:%M}",
            shift=shift_label(driver),
        )
    return None


def no_route_phrase(error: NoRouteError) -> Phrase:
    """An unreachable candidate's reason: the router's facts, or its message when it gave none."""
    return phrase("unreachable", route=error.finding if error.finding is not None else str(error))
