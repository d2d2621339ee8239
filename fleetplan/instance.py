"""The dispatch instance: the immutable seam between the domain and the solver (DESIGN §3.2).

An :class:`Instance` holds the *tasks* (stranded groups; later trips that need a coach and driver),
the *crews* that could serve them (a coach with a driver), every feasible *option* with its times
and distances already computed on the road network and checked against the driving rules, and the
*rejections*: every candidate that was left out, with its reason. The solver only chooses among
options; the evaluator re-derives every number from the network, the rules and the live state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any

from fleetplan.live import LivePicture
from fleetplan.model import Conditions, Dataset, DrivingPolicy, DutyInterval, Incident
from fleetplan.operations import OperationsPolicy
from fleetplan.phrase import Phrase
from fleetplan.tiers import Tier, TierPolicy

if TYPE_CHECKING:  # the wording package imports this module
    from fleetplan.wording.names import Names


class CrewKind(StrEnum):
    STANDBY = "standby"  # a backup coach at its depot or staging point with a driver on shift there
    IDLE = "idle"  # an in-service coach between duties, with its own driver
    PASSING = "passing"  # a coach on a trip whose route passes the scene, with free seats


class RejectionCode(StrEnum):
    SEATS = "seats"
    LICENCE_CLASS = "licence_class"
    PROBATION = "probation"
    AGE = "age"
    QUALIFICATION = "qualification"
    HOURS_LEFT = "hours_left"
    REST_DUE = "rest_due"
    OVERNIGHT_STOP = "overnight_stop"
    PERMIT = "permit"
    IN_WORKSHOP = "in_workshop"
    UNREACHABLE = "unreachable"
    TOO_LATE = "too_late"
    NEXT_DUTY = "next_duty"
    OFF_SHIFT = "off_shift"
    BUSY = "busy"
    NO_DRIVER = "no_driver"
    WRONG_DIRECTION = "wrong_direction"
    ON_THE_ROAD = "on_the_road"  # its fresh GPS fix puts it on the road off a trip: who drives it is not known
    OUTRANKED = "outranked"  # enough nearer or bigger coaches were considered for this group


@dataclass(frozen=True)
class StrandedGroup:
    """Passengers of one incident waiting at the scene (a task)."""

    id: str
    incident_id: str
    failed_vehicle_id: str
    trip_id: str | None
    scene_node: str | None  # node id when the scene is a node
    scene_text: str  # the location as reported
    scene: Any  # fleetplan.network.Location
    passengers: int
    reported_at: datetime
    tier: str
    limit_s: int
    late_penalty_per_min: int
    deadline: datetime  # reach the passengers by then (pre-departure: leave by then)
    destination_node: str
    planned_arrival: datetime | None
    # The failed trip's stops still ahead (node, planned time), in order: passengers may be set down at
    # any of them, e.g. by a passing coach that serves one. Empty without a trip.
    remaining_stops: tuple[tuple[str, datetime], ...] = ()

    def planned_at(self, node_id: str) -> datetime | None:
        """The failed trip's planned time at stop ``node_id`` ahead, or None."""
        return next((planned for node, planned in self.remaining_stops if node == node_id), None)

    @property
    def set_down_nodes(self) -> set[str]:
        """Where a passing coach may set the passengers down: the failed trip's stops still ahead, else
        (no trip) the destination."""
        return {node for node, _ in self.remaining_stops} or {self.destination_node}


@dataclass(frozen=True)
class TripTask:
    """A later trip that needs a coach and driver: the failed coach's, or one whose crew may be pulled."""

    trip_id: str
    origin_node: str
    departure: datetime
    destination_node: str
    arrival: datetime
    passengers: int
    max_shift_s: int
    planned_vehicle_id: str
    planned_driver_id: str
    reason: str


@dataclass(frozen=True)
class Crew:
    """A coach with a driver that could serve tasks."""

    id: str
    kind: CrewKind
    vehicle_id: str
    driver_id: str
    origin_node: str | None  # where it stands (None for a passing coach on the road)
    available_from: datetime
    capacity: int  # seats it can give: all seats, or the free seats of a passing coach
    city: str | None  # the depot city it stands in, for coverage (None elsewhere)
    trip_id: str | None = None  # a passing coach's trip: under way, or about to leave (ops.passing_window_s)


@dataclass(frozen=True)
class RescueOption:
    """Crew ``crew_id`` driving to group ``group_id`` and on to its destination."""

    id: str
    crew_id: str
    group_id: str
    vehicle_id: str
    driver_id: str
    kind: CrewKind
    origin_node: str | None
    depart_at: datetime
    scene_arrival: datetime
    boarding_at: datetime
    destination_arrival: datetime
    capacity: int
    deadhead_m: int
    drive_s: int  # driving from departure to the destination
    own_passengers: int  # a passing coach's own passengers (0 for other crews)
    own_passenger_delay_s: int  # delay the stop causes to each of them
    late_s: int  # beyond the group's deadline (0 if on time)
    delay_at_destination_s: int  # after the group's planned arrival (0 if none)
    needs_new_sign: bool
    driver_hours_left_s: int = 0  # driving left under the 24 h and 7-day limits at departure
    # A rest the driver takes at the scene after the passengers changed coach, before driving on
    # (0: none); the coach leaves the scene at boarding_at + transfer + this.
    rest_at_scene_s: int = 0
    destination_node: str = ""  # where it sets the passengers down; "" = the group's destination
    passing_trip_id: str | None = None  # the trip a passing coach is on (or about to start)
    # A rest on the way to the delivery stop when the onward drive is too long without one: the rest
    # place (a node), when the coach reaches it and how long the driver rests there ("", None, 0: none).
    rest_on_way_node: str = ""
    rest_on_way_at: datetime | None = None
    rest_on_way_s: int = 0

    @property
    def rest_on_way(self) -> tuple[datetime, int] | None:
        """(reached, seconds) of the rest on the way, for :func:`~fleetplan.rules.rescue_task`."""
        return (self.rest_on_way_at, self.rest_on_way_s) if self.rest_on_way_at is not None else None


@dataclass(frozen=True)
class RouteVisit:
    """One scene a rescue route calls at: when the coach gets there, when the group boards, when it
    drives on (after the transfer and any rest), and where and when that group is set down."""

    group_id: str
    scene_arrival: datetime
    boarding_at: datetime
    leave_at: datetime
    rest_s: int  # the driver's rest at this scene after the transfer (0: none)
    destination_node: str
    destination_arrival: datetime
    late_s: int  # the scene reached beyond the group's deadline (0 if on time)
    delay_at_destination_s: int  # set down after the group's planned arrival (0 if none)
    needs_new_sign: bool


@dataclass(frozen=True)
class RouteDrop:
    """A stop where a route sets groups down: reached at ``arrival``, left at ``leave_at`` (the last
    stop is left at its arrival)."""

    node: str
    arrival: datetime
    leave_at: datetime
    group_ids: tuple[str, ...]


@dataclass(frozen=True)
class RouteOption:
    """Crew ``crew_id`` collecting several groups in turn and setting them down (issue #18 §1): it
    leaves ``origin_node`` at ``depart_at``, calls at every scene of ``visits`` in order, then at
    every stop of ``drops`` in order. The seats (``capacity``) are shared by all the groups on board;
    the passengers each group sends are the solver's to choose.

    A passing coach's route (``passing_trip_id``) stops at scenes its trip passes, from the first
    (``depart_at`` is its arrival there, ``origin_node`` empty), and sets the groups down at stops of
    its own trip; its ``own_passengers`` reach the trip's last stop ``own_passenger_delay_s`` later."""

    id: str
    crew_id: str
    vehicle_id: str
    driver_id: str
    kind: CrewKind
    origin_node: str
    depart_at: datetime
    capacity: int
    deadhead_m: int  # empty running to the first scene (the coach is loaded after it)
    drive_s: int
    driver_hours_left_s: int
    visits: tuple[RouteVisit, ...]
    drops: tuple[RouteDrop, ...]
    passing_trip_id: str | None = None
    own_passengers: int = 0
    own_passenger_delay_s: int = 0

    @property
    def group_ids(self) -> tuple[str, ...]:
        return tuple(visit.group_id for visit in self.visits)

    @property
    def end(self) -> datetime:
        return self.drops[-1].arrival

    @property
    def calls(self) -> tuple[tuple[datetime, datetime, datetime], ...]:
        """Each call as (arrival, busy until, leave): the transfer at a scene, then any rest; the
        passengers getting off at a stop (:func:`fleetplan.rules.route_task` makes the duty of them)."""
        scenes = tuple((v.scene_arrival, v.leave_at - timedelta(seconds=v.rest_s), v.leave_at) for v in self.visits)
        return scenes + tuple((drop.arrival, drop.leave_at, drop.leave_at) for drop in self.drops)


@dataclass(frozen=True)
class TripOption:
    """Crew ``crew_id`` running trip ``trip_id``, standalone or right after rescue ``after_rescue_id``
    (or route ``after_route_id``: from the route's last stop on)."""

    id: str
    crew_id: str
    trip_id: str
    vehicle_id: str
    driver_id: str
    after_rescue_id: str | None
    departure_shift_s: int
    deadhead_m: int
    # The trip's planned crew runs it as the timetable has it: no change, no call, no extra empty running.
    keeps_timetable: bool = False
    after_route_id: str | None = None

    @property
    def chained(self) -> bool:
        """Whether the crew runs the trip right after a rescue or a route of its own (else on its own)."""
        return self.after_rescue_id is not None or self.after_route_id is not None


@dataclass(frozen=True)
class Rejection:
    """Why a candidate (a coach, a driver or a coach–driver pair) cannot serve a task: ``said`` is the
    reason as facts (a :class:`Phrase`, which :mod:`fleetplan.wording` renders in any language, with
    ``names`` for its places) or as English text.

    A build rejects thousands of candidates on a large fleet and most reasons are never read (a
    what-if, a benchmark), so the English ``reason`` is worded when first asked for."""

    candidate: str
    code: RejectionCode
    said: Phrase | str
    group_id: str | None = None
    names: Names | None = field(default=None, compare=False, repr=False)

    @property
    def phrase(self) -> Phrase | None:
        """The facts the reason is worded from (None when it was given as text)."""
        return self.said if isinstance(self.said, Phrase) else None

    @cached_property
    def reason(self) -> str:
        """The reason in English."""
        if isinstance(self.said, str):
            return self.said
        from fleetplan.wording.names import NO_NAMES  # the wording package imports this module
        from fleetplan.wording.render import render

        return render(self.said, "en", NO_NAMES if self.names is None else self.names)


@dataclass(frozen=True)
class Instance:
    """Everything one dispatch decision needs, immutable."""

    at: datetime  # the decision time (the latest incident report)
    incidents: tuple[Incident, ...]
    groups: tuple[StrandedGroup, ...]
    trip_tasks: tuple[TripTask, ...]
    crews: tuple[Crew, ...]
    rescue_options: tuple[RescueOption, ...]
    trip_options: tuple[TripOption, ...]
    rejections: tuple[Rejection, ...]
    standby_by_city: Mapping[str, tuple[str, ...]]  # city → standby coach ids standing there
    duty_logs: Mapping[str, tuple[DutyInterval, ...]]  # driver → log up to ``at`` plus planned trips
    conditions: Conditions
    tier_policy: TierPolicy
    driving_policy: DrivingPolicy
    dataset: Dataset
    network: Any  # fleetplan.network.RoadNetwork
    unavailable: Mapping[str, str] = field(default_factory=dict)  # coach/driver id → why not usable now
    # Rescue options priced but not offered: they reach the scene more than ``ops.max_late_s`` past the
    # limit (each also has a too_late rejection). Only the relaxations read them ("a limit N min later").
    late_options: tuple[RescueOption, ...] = ()
    # Rescue options legal under every driving rule but running past the end of the driver's shift
    # (each also has an off_shift rejection). Only the relaxations read them ("d19 working until 23:17").
    overtime_options: tuple[RescueOption, ...] = ()
    ops: OperationsPolicy = field(default_factory=OperationsPolicy)  # the assumptions it was built with
    # The coaches' fresh GPS fixes it used (a standing coach's place, a passing coach's progress) and
    # the coaches whose latest fix was stale (the timetable placed them).
    live: LivePicture = field(default_factory=LivePicture)
    # Rescue routes through several scenes (issue #18 §1): one crew, two or more groups, shared seats.
    route_options: tuple[RouteOption, ...] = ()

    # Look-ups built once (the instance never changes), so large fleets stay linear.
    @cached_property
    def _groups_by_id(self) -> dict[str, StrandedGroup]:
        return {g.id: g for g in self.groups}

    @cached_property
    def _crews_by_id(self) -> dict[str, Crew]:
        return {c.id: c for c in self.crews}

    @cached_property
    def _trip_tasks_by_id(self) -> dict[str, TripTask]:
        return {t.trip_id: t for t in self.trip_tasks}

    @cached_property
    def rescue_options_by_group(self) -> dict[str, tuple[RescueOption, ...]]:
        grouped: dict[str, list[RescueOption]] = defaultdict(list)
        for option in self.rescue_options:
            grouped[option.group_id].append(option)
        return {group_id: tuple(options) for group_id, options in grouped.items()}

    @cached_property
    def route_visits_by_group(self) -> dict[str, tuple[tuple[RouteOption, RouteVisit], ...]]:
        """Group id → the routes that call at its scene, each with that visit."""
        grouped: dict[str, list[tuple[RouteOption, RouteVisit]]] = defaultdict(list)
        for route in self.route_options:
            for visit in route.visits:
                grouped[visit.group_id].append((route, visit))
        return {group_id: tuple(visits) for group_id, visits in grouped.items()}

    def group(self, group_id: str) -> StrandedGroup:
        return self._groups_by_id[group_id]

    def crew(self, crew_id: str) -> Crew:
        return self._crews_by_id[crew_id]

    def trip_task(self, trip_id: str) -> TripTask:
        return self._trip_tasks_by_id[trip_id]

    def tier_of(self, group_id: str) -> Tier:
        """The :class:`~fleetplan.tiers.Tier` of a group."""
        return self.tier_policy.tier_named(self.group(group_id).tier)
