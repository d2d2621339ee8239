"""Dispatch plans: what a solver proposes and what the evaluator checks.

A plan is a set of *rescues* (a crew — one coach and one driver — collects some or all passengers of
a stranded group and takes them to their destination) and *trip covers* (a crew runs a later trip that
the failure, or the rescue itself, left without its coach or driver). All times are China-local.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime

from fleetplan.errors import require


@dataclass(frozen=True)
class Rescue:
    """One vehicle's part in a rescue.

    ``option_id`` names the instance option it was built from; every other field is a claim the
    evaluator re-checks independently.
    """

    option_id: str
    group_id: str
    vehicle_id: str
    driver_id: str
    origin_node: str
    depart_at: datetime
    scene_arrival: datetime
    boarding_at: datetime  # after arrival and after any charter-sign filing
    destination_arrival: datetime
    passengers: int
    deadhead_m: int  # empty running from the origin to the scene
    # Driving the driver may still do at departure under the 24-hour and 7-day limits, whichever is
    # tighter (before the rescue itself), so the desk can show it without re-deriving the rules.
    driver_hours_left_s: int = 0
    # Where it sets the passengers down: a stop of the failed trip ahead ("" for the trip's last stop).
    destination_node: str = ""
    passing_trip_id: str | None = None  # a passing coach: the trip it is on, or about to start
    # The driver's rest at the scene after the passengers changed coach (0: none): the coach leaves
    # the scene at boarding_at + the transfer + this rest.
    rest_at_scene_s: int = 0
    # A rest on the way to the delivery stop (world-model §6): the rest place, when the coach reaches
    # it and how long the driver rests there ("", None, 0: no rest on the way).
    rest_on_way_node: str = ""
    rest_on_way_at: datetime | None = None
    rest_on_way_s: int = 0
    # The rescue route this part belongs to (``Plan.routes``), when the coach collects several groups;
    # "" for a coach serving this group alone.
    route_id: str = ""

    def __post_init__(self) -> None:
        require(self.passengers >= 0, "passengers", "must not be negative")
        require(self.driver_hours_left_s >= 0, "driver_hours_left_s", "must not be negative")
        require(self.rest_at_scene_s >= 0, "rest_at_scene_s", "must not be negative")
        require(self.scene_arrival >= self.depart_at, "scene_arrival", "is before departure")
        require(self.boarding_at >= self.scene_arrival, "boarding_at", "is before arrival at the scene")
        require(self.destination_arrival >= self.boarding_at, "destination_arrival", "is before boarding")
        require(self.rest_on_way_s >= 0, "rest_on_way_s", "must not be negative")
        require(
            (self.rest_on_way_at is None) == (not self.rest_on_way_node),
            "rest_on_way_node",
            "a rest on the way needs both its place and its time",
        )
        if self.rest_on_way_at is not None:
            require(
                self.boarding_at <= self.rest_on_way_at <= self.destination_arrival,
                "rest_on_way_at",
                "lies outside the onward drive",
            )

    @property
    def rest_on_way(self) -> tuple[datetime, int] | None:
        """(reached, seconds) of the rest on the way, for the duty pieces (None: no rest on the way)."""
        return (self.rest_on_way_at, self.rest_on_way_s) if self.rest_on_way_at is not None else None


PICKUP, DELIVER = "pickup", "deliver"


@dataclass(frozen=True)
class RouteStop:
    """A call of a rescue route: at a scene (``pickup``: ``group_id`` boards ``passengers``), or at a
    stop (``deliver``: ``group_id``'s passengers get off). ``place`` is the scene as reported or the
    stop's node. The coach arrives at ``arrival`` and leaves at ``leave_at``; at a scene the group
    boards at ``boarding_at`` (after a new charter sign, if needed) and the driver may rest
    ``rest_s`` after the transfer."""

    kind: str
    place: str
    group_ids: tuple[str, ...]
    arrival: datetime
    leave_at: datetime
    boarding_at: datetime | None = None
    rest_s: int = 0

    def __post_init__(self) -> None:
        require(self.kind in (PICKUP, DELIVER), "kind", f"must be {PICKUP} or {DELIVER}")
        require(self.leave_at >= self.arrival, "leave_at", "is before the arrival")
        require(self.rest_s >= 0, "rest_s", "must not be negative")


@dataclass(frozen=True)
class RescueRoute:
    """One coach collecting several groups in turn (issue #18 §1): from ``origin_node`` at
    ``depart_at`` through ``stops`` in order. Each group's part is also a :class:`Rescue` of the plan
    with this ``id`` as its ``route_id``."""

    id: str
    vehicle_id: str
    driver_id: str
    origin_node: str
    depart_at: datetime
    stops: tuple[RouteStop, ...]
    deadhead_m: int  # empty running to the first scene
    driver_hours_left_s: int = 0
    passing_trip_id: str | None = None  # a coach on this trip stops at the scenes it passes

    def __post_init__(self) -> None:
        require(len(self.stops) >= 2, "stops", "a route calls at a scene and a stop at least")
        times = [self.depart_at] + [moment for s in self.stops for moment in (s.arrival, s.leave_at)]
        require(times == sorted(times), "stops", "must follow each other in time")

    @property
    def end(self) -> datetime:
        return self.stops[-1].arrival


@dataclass(frozen=True)
class TripCover:
    """A crew runs trip ``trip_id``, departing ``departure_shift_s`` after its planned time."""

    option_id: str
    trip_id: str
    vehicle_id: str
    driver_id: str
    departure_shift_s: int
    deadhead_m: int
    keeps_timetable: bool = False  # its planned crew runs it as timetabled: nothing changes

    def __post_init__(self) -> None:
        require(self.departure_shift_s >= 0, "departure_shift_s", "a trip cannot leave early")
        require(
            not self.keeps_timetable or (self.departure_shift_s == 0 and self.deadhead_m == 0),
            "keeps_timetable",
            "a trip kept as timetabled is neither retimed nor given extra empty running",
        )


@dataclass(frozen=True, order=True)
class Objective:
    """The lexicographic objective, most important first (DESIGN §3.2). Lower is better; tuples of
    these compare lexicographically because the dataclass is ordered field by field."""

    passengers_not_reached: int = 0  # not reached within their tier limit (or not at all)
    late_penalty: int = 0  # tier-weighted, escalating, per passenger and minute late
    passenger_delay_min: int = 0  # passenger-minutes of arrival after the planned arrival
    trips_uncovered: int = 0
    trips_retimed_min: int = 0
    # Trips given another coach or driver although the incident does not force it (their planned coach
    # and driver are neither failed nor unavailable): each is a phone call and a risk, and the
    # passengers gain nothing. It ranks after the trip terms, which the passengers feel (a trip not
    # run, or leaving late), and before empty running, so no saving of kilometres buys a re-crew.
    trips_recrewed: int = 0
    deadhead_km: int = 0
    coverage_lost: int = 0  # depot cities left without a standby coach
    rescue_coaches: int = 0  # coaches sent to the scenes: the last tie-break, fewer calls for the same result

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def term_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class Plan:
    """A complete answer for an instance: rescues, trip covers and the trips left uncovered."""

    rescues: tuple[Rescue, ...]
    trip_covers: tuple[TripCover, ...]
    uncovered_trip_ids: tuple[str, ...]
    objective: Objective
    explanation: str = ""
    source: str = "cp-sat"  # or "greedy"
    notes: tuple[str, ...] = field(default=(), compare=False)
    # Why an alternative ranks below the first plan, from the first objective term where it is worse
    # ("12 km more empty running"); empty for the first plan.
    why_below_first: str = field(default="", compare=False)
    routes: tuple[RescueRoute, ...] = ()  # coaches that collect several groups (their parts are in rescues)

    @property
    def vehicle_ids(self) -> frozenset[str]:
        return frozenset(r.vehicle_id for r in self.rescues) | frozenset(c.vehicle_id for c in self.trip_covers)

    def signature(self) -> frozenset[str]:
        """The chosen options."""
        return frozenset(r.option_id for r in self.rescues) | frozenset(c.option_id for c in self.trip_covers)

    def rescue_crews(self) -> frozenset[tuple[str, str]]:
        """The crews (coach, driver) sent to the scenes: alternatives differ in them, and a plan that
        sends the same or more crews than another for an objective no better is dominated."""
        return frozenset((r.vehicle_id, r.driver_id) for r in self.rescues)

    def assignment(self) -> frozenset[tuple[str, str, str]]:
        """Which coach serves which task."""
        return frozenset(("rescue", r.vehicle_id, r.group_id) for r in self.rescues) | frozenset(
            ("trip", c.vehicle_id, c.trip_id) for c in self.trip_covers
        )
