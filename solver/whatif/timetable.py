"""The timetable over a what-if period, and where each trip is on G1 at each moment.

The dataset holds one week of trips; over the period it repeats weekly: a day of the period runs the
trips of the dataset day with the same weekday, shifted to that date, with ids ``<trip>@<date>``.
The drivers' recorded history (the 7 days before the dataset week) is shifted the same way so that it
lies before the period's first week.

A trip's *course* is its planned passage (as in :mod:`bench.incidents`): each leg between stops
follows the clear-weather fastest route, and the leg's planned duration (slack included) is spread
over the route in proportion to free-flow edge times, so an incident's kilometre post and moment agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from fleetplan.model import Conditions, Dataset, DutyInterval, Stop, Trip, VehicleClass
from fleetplan.network import Direction, RoadNetwork, TravelTimes

WEEK_DAYS = 7


def first_timetable_day(dataset: Dataset) -> date:
    """The first day with a trip (the start of the template week)."""
    return min(trip.departure.date() for trip in dataset.trips)


def template_day(dataset: Dataset, day: date) -> date:
    """The dataset day with the same weekday as ``day`` in the template week."""
    first = first_timetable_day(dataset)
    return first + timedelta(days=(day - first).days % WEEK_DAYS)


def period_trips(dataset: Dataset, days: tuple[date, ...]) -> tuple[Trip, ...]:
    """Every trip run on ``days``: the template week repeated, in departure order.

    Trips of the dataset outside its first 7 days are not repeated.
    """
    first = first_timetable_day(dataset)
    by_day: dict[date, list[Trip]] = {}
    for trip in dataset.trips:
        if (trip.departure.date() - first).days < WEEK_DAYS:
            by_day.setdefault(trip.departure.date(), []).append(trip)
    trips = [shifted_trip(trip, day) for day in days for trip in by_day.get(template_day(dataset, day), [])]
    return tuple(sorted(trips, key=lambda t: (t.departure, t.id)))


def shifted_trip(trip: Trip, day: date) -> Trip:
    """``trip`` run on ``day`` instead of its own day, with the id ``<trip>@<day>``."""
    delta = timedelta(days=(day - trip.departure.date()).days)
    stops = tuple(replace(stop, planned=stop.planned + delta) for stop in trip.stops)
    return replace(trip, id=f"{trip.id}@{day.isoformat()}", stops=stops)


def period_history(dataset: Dataset, start: date) -> tuple[DutyInterval, ...]:
    """The recorded duty history shifted by whole weeks to lie before the week that holds ``start``."""
    first = first_timetable_day(dataset)
    week_start = start - timedelta(days=(start - first).days % WEEK_DAYS)
    delta = week_start - first
    return tuple(replace(interval, start=interval.start + delta, end=interval.end + delta)
                 for interval in dataset.duty_log)


def period_dataset(dataset: Dataset, days: tuple[date, ...]) -> Dataset:
    """``dataset`` with the timetable of ``days`` and the history shifted before them."""
    return replace(dataset, trips=period_trips(dataset, days), duty_log=period_history(dataset, days[0]))


# --------------------------------------------------------------------------- where a trip is on G1
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
        return f"G1 K{self.km:.1f} {self.direction.label}"


@dataclass(frozen=True)
class TripCourse:
    """The planned passage of a trip: its route length and the nodes it passes with their offsets."""

    length_m: int
    points: tuple[CoursePoint, ...]

    @property
    def g1_stretches(self) -> tuple[tuple[CoursePoint, ...], ...]:
        """Maximal runs of consecutive carriageway points in one direction (one per G1 stretch driven)."""
        stretches, current = [], []
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
        return sum(abs(s[-1].km - s[0].km) for s in self.g1_stretches)

    def g1_position(self, fraction: float) -> G1Position | None:
        """The point ``fraction`` (0–1) of the way along the trip's G1 kilometres, on a 100 m post kept
        at least 100 m inside its stretch; None if the trip does not use G1."""
        stretches = self.g1_stretches
        if not stretches:
            return None
        target = min(max(fraction, 0.0), 1.0) * self.g1_km
        for stretch in stretches:
            length = abs(stretch[-1].km - stretch[0].km)
            if target <= length or stretch is stretches[-1]:
                return _position_on(stretch, min(target, length))
            target -= length
        return None  # unreachable: the last stretch always answers


def _position_on(stretch: tuple[CoursePoint, ...], along_km: float) -> G1Position:
    first, last = stretch[0].km, stretch[-1].km
    sign = 1.0 if last >= first else -1.0
    low, high = sorted((first, last))
    km = round(first + sign * along_km, 1)
    if high - low > 0.3:  # off the posts at the ends, where a point would sit on an interchange node
        km = min(max(km, round(low + 0.1, 1)), round(high - 0.1, 1))
    for a, b in zip(stretch, stretch[1:]):
        lo, hi = sorted((a.km, b.km))
        if lo <= km <= hi:
            share = 0.0 if a.km == b.km else (km - a.km) / (b.km - a.km)
            return G1Position(km, a.direction, a.offset_s + (b.offset_s - a.offset_s) * share)
    return G1Position(km, stretch[0].direction, stretch[0].offset_s)


def trip_course(network: RoadNetwork, trip: Trip, vehicle_class: VehicleClass, conditions: Conditions) -> TripCourse:
    """The planned passage of ``trip`` (cached by its shape and clock times, so the weekly repeats of
    a trip share one computation)."""
    departure = trip.departure
    shape = tuple((stop.node_id, int((stop.planned - departure).total_seconds())) for stop in trip.stops)
    return _course(network, shape, departure.time(), VehicleClass(vehicle_class), conditions)


@lru_cache(maxsize=1024)
def _course(network: RoadNetwork, shape: tuple[tuple[str, int], ...], clock: time, vehicle_class: VehicleClass,
            conditions: Conditions) -> TripCourse:
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


def stop_shifted(stop: Stop, seconds: int) -> Stop:
    """``stop`` planned ``seconds`` later."""
    return replace(stop, planned=stop.planned + timedelta(seconds=seconds))
