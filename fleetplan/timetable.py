"""Timetable facts: the timetable's first day, and where a trip is along its route at each moment.

A trip's *course* is its planned passage: each leg between two stops follows the fastest route under
the timetable's conditions, leaving at the leg's planned departure, and the leg's planned duration
(slack included) is spread over the route in proportion to the edges' travel times. An incident's
kilometre post and moment therefore agree: a coach reported at ``G1 K78 toward Siping`` at 07:40 is
where its timetable puts it at 07:40. The what-if's incident streams, the benchmarks' generated
incidents and the drills' choice of a G1 stretch all read courses.

:func:`passing_time` is the drills' question: when the coach reaches a place driving its leg's fastest
route from the leg's planned departure (the leg's slack is not spread), to the minute.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from fleetplan.errors import InvalidValueError, NoRouteError
from fleetplan.geo import interpolate
from fleetplan.model import Conditions, Dataset, Stop, Trip, VehicleClass
from fleetplan.network import Direction, EdgePoint, Location, RoadNetwork, TravelTimes
from fleetplan.phrase import Phrase, phrase, where_of
from fleetplan.units import format_hhmm


def first_timetable_day(dataset: Dataset, default: date | None = None) -> date:
    """The first day with a trip: the start of the timetable's template week.

    Parameters
    ----------
    dataset
        The corridor's dataset.
    default
        The answer for a dataset without trips.

    Returns
    -------
    date

    Raises
    ------
    InvalidValueError
        If the dataset has no trips and no ``default`` is given.
    """
    if not dataset.trips:
        if default is None:
            raise InvalidValueError("trips", "the timetable has no trips")
        return default
    return min(trip.departure.date() for trip in dataset.trips)


def g1_location(km: float, direction: Direction) -> str:
    """The location text of a kilometre post, e.g. ``G1 K78.4 toward Siping``."""
    return f"G1 K{km:.1f} {direction.label}"


@dataclass(frozen=True)
class CoursePoint:
    """A node the trip passes, ``offset_s`` seconds after its planned departure; ``km`` and
    ``direction`` are set on a G1 carriageway."""

    node_id: str
    offset_s: float
    km: float | None = None
    direction: Direction | None = None


@dataclass(frozen=True)
class G1Position:
    """A point of a trip's passage on G1: kilometre post, carriageway and seconds after departure."""

    km: float
    direction: Direction
    offset_s: float

    @property
    def location(self) -> str:
        """The location text, e.g. ``G1 K78.4 toward Siping``."""
        return g1_location(self.km, self.direction)


@dataclass(frozen=True)
class TripCourse:
    """The planned passage of a trip: its route length and the nodes it passes with their offsets."""

    length_m: int
    points: tuple[CoursePoint, ...]

    @property
    def g1_stretches(self) -> tuple[tuple[CoursePoint, ...], ...]:
        """Maximal runs of consecutive carriageway points in one direction (one per G1 stretch driven)."""
        stretches: list[tuple[CoursePoint, ...]] = []
        current: list[CoursePoint] = []
        for point in self.points:
            if point.km is not None and (not current or current[-1].direction == point.direction):
                current.append(point)
                continue
            if len(current) >= 2:
                stretches.append(tuple(current))
            current = [point] if point.km is not None else []
        if len(current) >= 2:
            stretches.append(tuple(current))
        return tuple(stretches)

    @property
    def g1_km(self) -> float:
        """Kilometres driven on G1."""
        return sum(abs(_g1_km(s[-1]) - _g1_km(s[0])) for s in self.g1_stretches)

    @property
    def g1_span(self) -> tuple[Direction, float, float] | None:
        """Direction and lowest and highest kilometre post of the G1 the trip drives; None without G1.

        The direction is the last stretch's (a trip between the two cities drives G1 one way)."""
        stretches = self.g1_stretches
        if not stretches:
            return None
        kms = [_g1_km(point) for stretch in stretches for point in stretch]
        return _g1_direction(stretches[-1][0]), min(kms), max(kms)

    def g1_position(self, fraction: float) -> G1Position | None:
        """The point ``fraction`` (0–1) of the way along the trip's G1 kilometres, on a 100 m post kept
        at least 100 m inside its stretch; None if the trip does not use G1."""
        stretches = self.g1_stretches
        if not stretches:
            return None
        target = min(max(fraction, 0.0), 1.0) * self.g1_km
        for stretch in stretches:
            length = abs(_g1_km(stretch[-1]) - _g1_km(stretch[0]))
            if target <= length or stretch is stretches[-1]:
                return _position_on(stretch, min(target, length))
            target -= length
        return None  # unreachable: the last stretch always answers

    def moment_at_km(self, departure: datetime, stretch: tuple[CoursePoint, ...], km: float) -> datetime:
        """When the coach that leaves at ``departure`` passes ``km`` on ``stretch`` (one of
        :attr:`g1_stretches`), linear between the posts around it.

        Raises
        ------
        ValueError
            If ``km`` is not on the stretch.
        """
        bracket = _bracket(stretch, km)
        if bracket is None:
            raise ValueError(f"K{km} is not on the stretch")
        a, b, share = bracket
        at_a, at_b = _moment(departure, a), _moment(departure, b)
        return at_a + (at_b - at_a) * share

    def location_at(self, departure: datetime, moment: datetime) -> str:
        """Where the coach that leaves at ``departure`` is at ``moment``: a kilometre post on G1, else the
        last node it passed (the first stop before departure)."""
        times = [_moment(departure, point) for point in self.points]
        index = bisect_right(times, moment) - 1
        if index < 0:
            return self.points[0].node_id
        here = self.points[index]
        there = self.points[index + 1] if index + 1 < len(self.points) else None
        if here.km is not None and there is not None and there.km is not None and there.direction == here.direction:
            span_s = (times[index + 1] - times[index]).total_seconds() or 1.0
            km = here.km + (there.km - here.km) * (moment - times[index]).total_seconds() / span_s
            return g1_location(round(km, 1), _g1_direction(here))
        if here.km is not None:
            return g1_location(here.km, _g1_direction(here))
        return here.node_id


def course_position(course: TripCourse, network: RoadNetwork, departure: datetime, moment: datetime) -> Location:
    """Where the coach that leaves at ``departure`` is at ``moment`` on its course: a point on the edge it
    is driving (its share of the edge by the course's time there), or the node it is at.

    Unlike :meth:`TripCourse.location_at` (a text, and off G1 the last node passed), this is exact enough
    to route from: a coach four minutes out of a stop is not put back at that stop.
    """
    times = [_moment(departure, point) for point in course.points]
    index = bisect_right(times, moment) - 1
    if index < 0 or index + 1 >= len(course.points) or times[index] == moment:
        node = course.points[max(index, 0)].node_id
        return network.locate(node)
    here, there = course.points[index], course.points[index + 1]
    length_m = network.graph.edges[here.node_id, there.node_id]["length_m"]
    share = (moment - times[index]) / (times[index + 1] - times[index])
    lat, lon = interpolate(*network.node_lat_lon(here.node_id), *network.node_lat_lon(there.node_id), share)
    return Location(
        text=f"{here.node_id}→{there.node_id} +{share * length_m:.0f} m",
        lat=lat,
        lon=lon,
        edge_points=(EdgePoint(here.node_id, there.node_id, share * length_m, length_m),),
    )


def _moment(departure: datetime, point: CoursePoint) -> datetime:
    # moments are interpolated between whole datetimes (to the microsecond), as the benchmarks' incident
    # generator always did, so that its seeded incidents stay the same to the second
    return departure + timedelta(seconds=point.offset_s)


def _g1_km(point: CoursePoint) -> float:
    """The kilometre post of a point on G1 (a point of a G1 stretch)."""
    assert point.km is not None  # set on every carriageway point, and a G1 stretch holds only those
    return point.km


def _g1_direction(point: CoursePoint) -> Direction:
    """The carriageway of a point on G1 (a point whose ``km`` is set)."""
    assert point.direction is not None  # a carriageway point has both its km and its direction
    return point.direction


def _bracket(stretch: tuple[CoursePoint, ...], km: float) -> tuple[CoursePoint, CoursePoint, float] | None:
    """The two posts of ``stretch`` around ``km`` and how far ``km`` lies from the first (0–1)."""
    for a, b in zip(stretch, stretch[1:]):
        a_km, b_km = _g1_km(a), _g1_km(b)
        low, high = sorted((a_km, b_km))
        if low <= km <= high:
            return a, b, 0.0 if a_km == b_km else (km - a_km) / (b_km - a_km)
    return None


def _position_on(stretch: tuple[CoursePoint, ...], along_km: float) -> G1Position:
    first, last = _g1_km(stretch[0]), _g1_km(stretch[-1])
    sign = 1.0 if last >= first else -1.0
    low, high = sorted((first, last))
    km = round(first + sign * along_km, 1)
    if high - low > 0.3:  # off the posts at the ends, where a point would sit on an interchange node
        km = min(max(km, round(low + 0.1, 1)), round(high - 0.1, 1))
    bracket = _bracket(stretch, km)
    if bracket is None:
        return G1Position(km, _g1_direction(stretch[0]), stretch[0].offset_s)
    a, b, share = bracket
    return G1Position(km, _g1_direction(a), a.offset_s + (b.offset_s - a.offset_s) * share)


def trip_course(network: RoadNetwork, trip: Trip, vehicle_class: VehicleClass, conditions: Conditions) -> TripCourse:
    """The planned passage of ``trip`` (see the module docstring).

    Cached by the trip's shape and clock times, so the weekly repeats of a trip share one computation
    (travel times depend on the clock, not the day).

    Parameters
    ----------
    network
        The road network.
    trip
        A trip of the timetable.
    vehicle_class
        The class of the coach that runs it (its speed caps shape the route).
    conditions
        The conditions the timetable was planned for.

    Returns
    -------
    TripCourse
        Its first point is the first stop at offset 0, its last the last stop.
    """
    departure = trip.departure
    shape = tuple((stop.node_id, int((stop.planned - departure).total_seconds())) for stop in trip.stops)
    return _course(network, shape, departure.time(), VehicleClass(vehicle_class), conditions)


@lru_cache(maxsize=1024)
def _course(
    network: RoadNetwork,
    shape: tuple[tuple[str, int], ...],
    clock: time,
    vehicle_class: VehicleClass,
    conditions: Conditions,
) -> TripCourse:
    travel = TravelTimes(network, conditions, vehicle_class)
    day = datetime.combine(date(2000, 1, 3), clock)  # any day: travel times depend on the clock only
    points = [_course_point(network, shape[0][0], 0.0)]
    length_m = 0
    for (here, here_s), (there, there_s) in zip(shape, shape[1:]):
        leg_start = day + timedelta(seconds=here_s)
        route = travel.route(here, there, leg_start)
        length_m += route.length_m
        edge_s = [travel.edge_time_s(u, v, leg_start) for u, v in zip(route.path, route.path[1:])]
        total_s, elapsed_s = sum(edge_s) or 1, 0
        for node_id, seconds in zip(route.path[1:], edge_s):
            elapsed_s += seconds
            points.append(_course_point(network, node_id, here_s + (there_s - here_s) * elapsed_s / total_s))
    return TripCourse(length_m, tuple(points))


def _course_point(network: RoadNetwork, node_id: str, offset_s: float) -> CoursePoint:
    data = network.graph.nodes[node_id]
    if data.get("kind") == "carriageway":
        return CoursePoint(node_id, offset_s, data["km"], Direction(data["direction"]))
    return CoursePoint(node_id, offset_s)


def passing_time(travel: TravelTimes, trip: Trip, where: str) -> datetime:
    """When ``trip`` reaches ``where`` on the first leg whose fastest route passes it, driving from the
    leg's planned departure, to the minute.

    Parameters
    ----------
    travel
        Travel times for the trip's coach under the timetable's conditions.
    trip
        A trip of the timetable.
    where
        A location text the network resolves.

    Returns
    -------
    datetime
        Seconds dropped.

    Raises
    ------
    InvalidValueError
        If no leg of the trip passes ``where``.
    """
    network = travel.network
    scene = network.locate(where)
    for here, there in zip(trip.stops, trip.stops[1:]):
        leg = travel.route(here.node_id, there.node_id, here.planned)
        if network.path_passes(leg.path, scene):
            reached = here.planned + timedelta(seconds=travel.route(here.node_id, scene, here.planned).travel_time_s)
            return reached.replace(second=0, microsecond=0)
    raise InvalidValueError("location", f"trip {trip.id} does not pass {where}")


@dataclass(frozen=True)
class Passing:
    """How a coach on its trip passes a scene: when it gets there from where it is now, and its stops
    after the scene (where it can set down passengers it picks up), in order."""

    eta: datetime
    stops_ahead: tuple[Stop, ...]


def scene_offset_s(course: TripCourse, network: RoadNetwork, scene: Location) -> float | None:
    """Seconds after departure at which the course passes ``scene`` (first time), or None if it does not.

    A point on an edge is passed when the course drives that edge (interpolated along it); a node when the
    course visits it or drives past its parking (a service area).
    """
    points = course.points
    for a, b in zip(points, points[1:]):
        for point in scene.edge_points:
            if point.edge == (a.node_id, b.node_id):
                share = point.offset_m / point.length_m if point.length_m else 0.0
                return a.offset_s + (b.offset_s - a.offset_s) * share
    if scene.node_id is not None:
        stops = network.stop_nodes(scene)
        for course_point in points:
            if course_point.node_id in stops:
                return course_point.offset_s
    return None


def passing(travel: TravelTimes, trip: Trip, course: TripCourse, scene: Location, at: datetime) -> Passing | Phrase:
    """Whether the coach on ``trip`` (driving its planned ``course``) passes ``scene`` after ``at``.

    The coach is where its course puts it at ``at``; from there it drives on under the conditions of
    ``travel`` (a coach already on G1 when the entrances close drives on along G1). It passes the scene
    when the scene lies ahead on its course and the way there follows the course.

    Returns
    -------
    Passing | Phrase
        The passing, or why not (a short reason, :mod:`fleetplan.wording` words it).
    """
    network = travel.network
    offset_s = scene_offset_s(course, network, scene)
    if offset_s is None:
        return phrase("passing.not_on_route", scene=where_of(scene))
    departure = trip.departure
    if departure + timedelta(seconds=offset_s) < at:
        return phrase("passing.passed", scene=where_of(scene), at=format_hhmm(at))
    scene_planned = departure + timedelta(seconds=offset_s)
    clock = max(at, departure)  # a coach about to start its trip leaves its first stop on time
    here: Location | str = course_position(course, network, departure, clock)
    # it calls at its own stops before the scene, and leaves none before its timetabled time
    on_the_way = [stop for stop in trip.stops[1:] if clock < stop.planned <= scene_planned]
    course_nodes = {point.node_id for point in course.points}
    for target in [*on_the_way, None]:
        goal = scene if target is None else target.node_id
        try:
            leg = travel.route(here, goal, clock)
        except NoRouteError:
            return phrase("passing.cannot_reach", scene=where_of(scene), here=where_of(here))
        if not set(leg.path) <= course_nodes:
            return phrase("passing.leaves_route", scene=where_of(scene), here=where_of(here))
        clock += timedelta(seconds=leg.travel_time_s)
        if target is not None:
            here, clock = target.node_id, max(clock, target.planned)
    ahead = tuple(stop for stop in trip.stops[1:] if stop.planned > scene_planned)
    return Passing(clock, ahead or trip.stops[-1:])


def trip_length_m(trip: Trip, leg_m: Callable[[str, str, datetime], float]) -> float | None:
    """Metres of ``trip``'s legs, each ``leg_m(from node, to node, planned departure)`` (the fastest
    route at the planned time); None when a leg has no route. With its empty run, the length that
    decides a cover's 02:00–05:00 exemption."""
    try:
        return float(sum(leg_m(a.node_id, b.node_id, a.planned) for a, b in zip(trip.stops, trip.stops[1:])))
    except NoRouteError:
        return None


def trip_added_s(
    trip: Trip, leg_s: Callable[[str, str, datetime], float], clear_leg_s: Callable[[str, str, datetime], float]
) -> int:
    """Seconds the road conditions add to driving ``trip`` over clear weather (world model §8): for each
    leg, ``leg_s(from node, to node, planned departure)`` under the conditions less ``clear_leg_s`` the
    same in clear weather, none below 0; 0 when a leg has no route (the trip cannot run: judged
    elsewhere)."""
    try:
        legs = zip(trip.stops, trip.stops[1:])
        return int(
            sum(
                max(0.0, leg_s(a.node_id, b.node_id, a.planned) - clear_leg_s(a.node_id, b.node_id, a.planned))
                for a, b in legs
            )
        )
    except NoRouteError:
        return 0


def caused_delay_s(planned: datetime, stopping: datetime, driving_on: datetime) -> int:
    """Seconds of delay past the timetable that stopping adds for a passing coach's own passengers: a
    coach running early absorbs the stop, and a blizzard's delay is theirs whether it stops or not."""
    late_s = max(0.0, (stopping - planned).total_seconds())
    late_anyway_s = max(0.0, (driving_on - planned).total_seconds())
    return int(late_s - late_anyway_s)
