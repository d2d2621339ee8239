"""Live positions in dispatch (issue 16 §2): where a coach has a fresh fix, dispatch uses it; else the
timetable, as :mod:`fleetplan.state` has it, and the coach is marked as placed by the timetable.

What a fresh fix changes:

- A coach **off a trip** (standing by, idle, or back from somewhere) stands where the fix is when it
  lies within :data:`AT_PLACE_M` of a depot, staging point, stop or town; a fix away from all of them
  puts it **on the road**: it is not offered as a standing crew (who drives it, and where to, is not
  known to the desk; the dispatcher calls it).
- A coach **on a trip** is where the fix is, not where its timetable puts it: it reaches the scene no
  earlier than it can drive there from the fix, and no earlier than its timetable has it there (a coach
  ahead of time passes no sooner than planned); one the fix shows already past the scene does not pass it.

A fix is fresh when it was taken at most ``fresh_s`` before the moment (and not after it beyond a
clock's skew); a coach whose latest fix is older is **stale**: the timetable places it, and the plan
says so.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from types import MappingProxyType

from fleetplan.errors import LocationError, NoRouteError
from fleetplan.geo import haversine_m, interpolate
from fleetplan.model import Dataset, Trip
from fleetplan.network import EdgePoint, Location, RoadNetwork, TravelTimes
from fleetplan.phrase import Coordinates, KmPost, Phrase, PlaceRef, Where, phrase, where_of
from fleetplan.positions import AT_PLACE_M, PLACE_KINDS, Position, place
from fleetplan.state import LiveState, Whereabouts
from fleetplan.timetable import Passing, TripCourse, scene_offset_s

FRESH_S = 120.0  # the service's default (FLEETPLAN_POSITION_FRESH_S)
AHEAD_OF_CLOCK_S = 300.0  # a fix this far after the moment is a terminal's clock running ahead, still used
OFF_COURSE_M = 500.0  # a coach on a trip seen farther than this from its route has left it
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Sighted:
    """A coach's fresh fix as dispatch reads it: when, where (the place it stands at, if any) and, placed
    on the network only when asked (a large fleet reports thousands of coaches a dispatch never asks
    about), its location."""

    vehicle_id: str
    at: datetime
    lat: float
    lon: float
    node_id: str | None  # the depot, staging point, stop or town it is at; None: on the road
    fix: Position = field(repr=False, compare=False)
    earlier: Position | None = field(default=None, repr=False, compare=False)
    network: RoadNetwork | None = field(default=None, repr=False, compare=False)

    @cached_property
    def location(self) -> Location | None:
        """The fix on the network (None: off every road, or no network to place it on)."""
        if self.network is None:
            return None
        try:
            return place(self.network, self.fix, self.earlier).location
        except LocationError:
            return None

    @property
    def text(self) -> str:
        if self.node_id is not None:
            return self.node_id
        location = self.location
        if location is not None and location.direction is not None and location.km is not None:
            return f"G1 K{location.km:.1f} {location.direction.label}"
        return f"{self.lat:.5f},{self.lon:.5f}"

    def label(self) -> str:
        """``GPS 07:41 at G1 K59.0 toward Changchun``: what a plan says of a coach placed by its fix."""
        return f"GPS {self.at:%H:%M} at {self.text}"

    @property
    def where(self) -> Where:
        """Where the fix puts it, as a fact (:attr:`text`, with the place named in any language)."""
        if self.node_id is not None:
            return PlaceRef(self.node_id)
        location = self.location
        if location is not None and location.direction is not None and location.km is not None:
            return KmPost(f"{location.km:.1f}", location.direction.value)
        return Coordinates(f"{self.lat:.5f},{self.lon:.5f}")

    def phrase(self) -> Phrase:
        """:meth:`label` as a phrase."""
        return phrase("gps", at=f"{self.at:%H:%M}", where=self.where)


@dataclass(frozen=True)
class LiveFixes:
    """What the feeds know at a moment: each coach's latest fixes (newest first) and the freshness limit."""

    latest: Mapping[str, Sequence[Position]] = field(default_factory=dict)
    fresh_s: float = FRESH_S


NO_FIXES = LiveFixes()


@dataclass(frozen=True)
class LivePicture:
    """The fresh fixes dispatch uses, by coach, and the coaches whose latest fix is stale (its time)."""

    sighted: Mapping[str, Sighted] = field(default_factory=dict)
    stale: Mapping[str, datetime] = field(default_factory=dict)


NOTHING_SIGHTED = LivePicture()


def picture(network: RoadNetwork, dataset: Dataset, fixes: LiveFixes, at: datetime) -> LivePicture:
    """The fresh fixes placed on the network, and the stale coaches, at ``at``."""
    known = {vehicle.id for vehicle in dataset.vehicles}
    places = standing_places(network, dataset)
    sighted, stale = {}, {}
    for vehicle_id, recent in fixes.latest.items():
        if vehicle_id not in known or not recent:
            continue
        latest = recent[0]
        age_s = (at - latest.at).total_seconds()
        if age_s > fixes.fresh_s:
            stale[vehicle_id] = latest.at
            continue
        if age_s < -AHEAD_OF_CLOCK_S:
            continue  # from the report's future: a replayed report sees no fix taken after it
        node = nearest_place(places, latest.lat, latest.lon)
        earlier = recent[1] if len(recent) > 1 else None
        sighted[vehicle_id] = Sighted(vehicle_id, latest.at, latest.lat, latest.lon, node, latest, earlier, network)
    return LivePicture(MappingProxyType(sighted), MappingProxyType(stale))


def standing_places(network: RoadNetwork, dataset: Dataset) -> dict[str, tuple[float, float]]:
    """Node → (lat, lon) of the places a coach can stand at: the depots and staging points of the data
    and the network's stops and towns."""
    graph = network.graph
    nodes = {site.node_id for site in dataset.sites} | {
        node for node, data in graph.nodes(data=True) if data.get("kind") in PLACE_KINDS
    }
    return {node: (graph.nodes[node]["lat"], graph.nodes[node]["lon"]) for node in nodes if node in graph}


def nearest_place(places: Mapping[str, tuple[float, float]], lat: float, lon: float) -> str | None:
    """The place within :data:`AT_PLACE_M` of the point (the nearest), or None."""
    found = min(((haversine_m(lat, lon, *where), node) for node, where in places.items()), default=None)
    return found[1] if found is not None and found[0] <= AT_PLACE_M else None


def with_positions(state: LiveState, live: LivePicture) -> LiveState:
    """``state`` with every coach off a trip placed by its fresh fix: at the place it is at, or on the road."""
    vehicles = dict(state.vehicles)
    for vehicle_id, seen in live.sighted.items():
        current = vehicles.get(vehicle_id)
        if current is None or current.whereabouts in (Whereabouts.ON_TRIP, Whereabouts.WORKSHOP):
            continue
        if seen.node_id is not None:
            vehicles[vehicle_id] = replace(current, node_id=seen.node_id)
        else:
            vehicles[vehicle_id] = replace(current, whereabouts=Whereabouts.ON_ROAD, node_id=None)
    return replace(state, vehicles=MappingProxyType(vehicles))


@dataclass(frozen=True)
class OnCourse:
    """A fix projected onto a trip's course: seconds after departure of that point of the course, the
    point itself, and how far the fix lies from it."""

    offset_s: float
    location: Location
    off_m: float


def on_course(network: RoadNetwork, course: TripCourse, seen: Sighted) -> OnCourse | None:
    """The point of ``course`` nearest the fix (its segments drawn straight between the nodes)."""
    best: tuple[float, int, float] | None = None
    points = course.points
    for index, (a, b) in enumerate(zip(points, points[1:])):
        distance, share = _project(network, a.node_id, b.node_id, seen.lat, seen.lon)
        if best is None or distance < best[0]:
            best = (distance, index, share)
    if best is None:
        return None
    distance, index, share = best
    a, b = points[index], points[index + 1]
    offset_s = a.offset_s + (b.offset_s - a.offset_s) * share
    length_m = network.graph.edges[a.node_id, b.node_id]["length_m"]
    lat, lon = interpolate(*network.node_lat_lon(a.node_id), *network.node_lat_lon(b.node_id), share)
    point = EdgePoint(a.node_id, b.node_id, share * length_m, length_m)
    location = Location(text=seen.text, lat=lat, lon=lon, edge_points=(point,))
    return OnCourse(offset_s, location, distance)


def seen_passing(
    travel: TravelTimes, trip: Trip, course: TripCourse, scene: Location, at: datetime, seen: Sighted, planned: Passing
) -> Passing | Phrase:
    """``planned`` (the timetable's passing of ``scene``) as the coach's fresh fix has it, or why it does
    not pass: off its route, already past the scene. On the leg that passes the scene it gets there no
    earlier than it can drive from the fix, nor than planned; seen before an earlier stop, the timetable
    stands (it calls there first)."""
    network = travel.network
    on = on_course(network, course, seen)
    if on is None:
        return phrase("passing.gps_not_on_route", gps=seen.phrase())
    if on.off_m > OFF_COURSE_M:
        return phrase("passing.gps_off_route", gps=seen.phrase(), off=f"{on.off_m:.0f}")
    scene_s = scene_offset_s(course, network, scene)
    if scene_s is None:
        return phrase("passing.not_on_route", scene=where_of(scene))
    if on.offset_s >= scene_s:
        return phrase("passing.gps_past", gps=seen.phrase(), scene=where_of(scene))
    stop_offsets = [(stop.planned - trip.departure).total_seconds() for stop in trip.stops]
    if _leg_of(stop_offsets, on.offset_s) != _leg_of(stop_offsets, scene_s):
        return planned  # it calls at a stop of its own first, and leaves none before its time
    try:
        drive = travel.route(on.location, scene, seen.at)
    except NoRouteError:
        return phrase("passing.gps_cannot_reach", scene=where_of(scene), gps=seen.phrase())
    eta = max(planned.eta, seen.at + timedelta(seconds=drive.travel_time_s), at)
    return Passing(eta, planned.stops_ahead)


def _leg_of(stop_offsets: Sequence[float], offset_s: float) -> int:
    """The leg (0 = first stop to second) that the point ``offset_s`` seconds into the trip lies on."""
    return max(0, min(len(stop_offsets) - 2, bisect_right(stop_offsets, offset_s) - 1))


def _project(network: RoadNetwork, u: str, v: str, lat: float, lon: float) -> tuple[float, float]:
    """(metres, share along u → v) of the point of the straight segment u → v nearest (lat, lon), in a
    flat projection about the point (plenty for a segment of a few kilometres)."""
    scale = METRES_PER_DEGREE * math.cos(math.radians(lat))
    (ulat, ulon), (vlat, vlon) = network.node_lat_lon(u), network.node_lat_lon(v)
    ax, ay = (ulon - lon) * scale, (ulat - lat) * METRES_PER_DEGREE
    bx, by = (vlon - lon) * scale, (vlat - lat) * METRES_PER_DEGREE
    dx, dy = bx - ax, by - ay
    squared = dx * dx + dy * dy
    share = 0.0 if squared == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / squared))
    return math.hypot(ax + share * dx, ay + share * dy), share
