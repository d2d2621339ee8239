"""Where coaches are, from their positioning terminals (issue 16): one fix, and its place on the road
network — the carriageway from the heading, or from two fixes, or else the nearer one, said so.

Every coach in China carries a satellite positioning terminal (道路运输车辆动态监督管理办法); the feeds
bring its fixes in as :class:`Position` values, in China Standard Time like every time of the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fleetplan.errors import InvalidValueError
from fleetplan.geo import bearing_deg, haversine_m
from fleetplan.network.graph import Direction
from fleetplan.network.locate import Location, node_location, snap
from fleetplan.network.roads import RoadNetwork

FASTEST_COACH_KMH = 200.0  # a coach's governor stops it near 100 km/h; a fix above this is garbage
HEADING_SIDE_DEG = 60.0  # a heading this close to a carriageway's own bearing names it; else unknown
MOVED_ALONG_M = 20.0  # two fixes this far apart along G1 show which way the coach goes (GPS noise is ≈5 m)
# A coach this near a depot, stop or town is there (a yard or a forecourt is this large; GPS noise ≈5 m)
AT_PLACE_M = 150.0
PLACE_KINDS = frozenset({"depot", "stop", "town"})


class PositionSource(StrEnum):
    JSON = "json"
    GTFS_RT = "gtfs-rt"
    JT808 = "jt808"


class SideFrom(StrEnum):
    """How a fix on G1 was given its carriageway."""

    HEADING = "heading"
    FIXES = "fixes"  # the last two fixes: which way the kilometre posts ran
    NEAREST = "nearest"  # neither: the nearer carriageway, an assumption the desk shows


@dataclass(frozen=True)
class Position:
    """One fix of one coach."""

    vehicle_id: str
    lat: float  # WGS84
    lon: float
    at: datetime  # China Standard Time, naive
    speed_kmh: float | None = None
    heading_deg: float | None = None  # clockwise from north
    source: PositionSource = PositionSource.JSON
    emergency: bool = False  # the terminal's emergency alarm bit

    def __post_init__(self) -> None:
        check_fix(self.lat, self.lon, self.speed_kmh, self.heading_deg)


@dataclass(frozen=True)
class Placement:
    """A fix on the network: the location (a node, or a point on an edge) and how its side was chosen."""

    location: Location
    side_from: SideFrom | None  # None off G1

    @property
    def text(self) -> str:
        """As a dispatcher writes it: ``G1 K59.0 toward Changchun``, a node id, or the road."""
        location = self.location
        if location.direction is not None and location.km is not None:
            return f"G1 K{location.km:.1f} {location.direction.label}"
        return location.node_id or location.road_name or f"{location.lat:.5f},{location.lon:.5f}"


def check_fix(lat: float, lon: float, speed_kmh: float | None, heading_deg: float | None) -> None:
    """Raise :class:`InvalidValueError` naming the field of a fix no terminal could have taken."""
    for name, value in (("lat", lat), ("lon", lon), ("speed_kmh", speed_kmh), ("heading_deg", heading_deg)):
        if value is not None and (isinstance(value, bool) or not math.isfinite(value)):
            raise InvalidValueError(name, f"{value!r} is not a finite number")
    if not -90 <= lat <= 90:
        raise InvalidValueError("lat", f"{lat} is not a latitude (−90 to 90)")
    if not -180 <= lon <= 180:
        raise InvalidValueError("lon", f"{lon} is not a longitude (−180 to 180)")
    if lat == 0 and lon == 0:  # what a terminal without a fix sends
        raise InvalidValueError("lat", "0,0 is a terminal without a fix, not a place")
    if speed_kmh is not None and not 0 <= speed_kmh <= FASTEST_COACH_KMH:
        raise InvalidValueError("speed_kmh", f"{speed_kmh} km/h is not a coach's speed (0–{FASTEST_COACH_KMH:g})")
    if heading_deg is not None and not 0 <= heading_deg < 360:
        raise InvalidValueError("heading_deg", f"{heading_deg} is not a heading (0 to under 360)")


def place(network: RoadNetwork, fix: Position, earlier: Position | None = None) -> Placement:
    """Where ``fix`` lies on the network; ``earlier`` (the same coach's previous fix) helps find its side.

    Raises :class:`~fleetplan.network.locate.LocationError` when it is farther than the snapping
    distance from every road."""
    at_place = place_within(network, fix.lat, fix.lon, AT_PLACE_M)
    if at_place is not None:
        return Placement(node_location(network, at_place), None)
    nearest = snap(network, fix.lat, fix.lon)
    if nearest.direction is None:
        return Placement(nearest, None)
    direction, side_from = carriageway_of(network, fix, earlier)
    if direction is None:
        return Placement(nearest, SideFrom.NEAREST)
    return Placement(snap(network, fix.lat, fix.lon, direction), side_from)


def place_within(network: RoadNetwork, lat: float, lon: float, radius_m: float) -> str | None:
    """The nearest depot, stop or town within ``radius_m`` of the point, if any."""
    near = [
        (haversine_m(lat, lon, data["lat"], data["lon"]), node)
        for node, data in network.graph.nodes(data=True)
        if data.get("kind") in PLACE_KINDS
    ]
    distance, node = min(near, default=(math.inf, None))
    return node if distance <= radius_m else None


def carriageway_of(
    network: RoadNetwork, fix: Position, earlier: Position | None
) -> tuple[Direction | None, SideFrom | None]:
    """The carriageway a fix on G1 is on: from its heading when it has one, else from the earlier fix."""
    if fix.heading_deg is not None and (fix.speed_kmh is None or fix.speed_kmh > 0):
        by_heading = [
            d for d in Direction if _angle(carriageway_bearing(network, fix, d), fix.heading_deg) <= HEADING_SIDE_DEG
        ]
        if len(by_heading) == 1:
            return by_heading[0], SideFrom.HEADING
    if earlier is not None:
        by_fixes = direction_travelled(network, earlier, fix)
        if by_fixes is not None:
            return by_fixes, SideFrom.FIXES
    return None, None


def carriageway_bearing(network: RoadNetwork, fix: Position, direction: Direction) -> float:
    """The bearing of the carriageway heading ``direction`` where the fix lies."""
    point = snap(network, fix.lat, fix.lon, direction)
    if point.edge_points:
        u, v = point.edge_points[0].edge
    else:  # exactly at a node: the carriageway edge leaving it, or at the section's end the one arriving
        assert point.node_id is not None
        node, graph = point.node_id, network.graph
        leaving = [(node, w) for w in graph.successors(node) if graph.edges[node, w].get("direction") == direction]
        arriving = [(w, node) for w in graph.predecessors(node) if graph.edges[w, node].get("direction") == direction]
        u, v = (leaving or arriving)[0]  # snapped onto that carriageway, the node has one of them
    start, end = network.graph.nodes[u], network.graph.nodes[v]
    return bearing_deg(start["lat"], start["lon"], end["lat"], end["lon"])


def direction_travelled(network: RoadNetwork, earlier: Position, later: Position) -> Direction | None:
    """Which way along G1 the coach went between two fixes (None: it did not move enough to say)."""
    km_earlier = snap(network, earlier.lat, earlier.lon, Direction.TO_CHANGCHUN).km
    km_later = snap(network, later.lat, later.lon, Direction.TO_CHANGCHUN).km
    if km_earlier is None or km_later is None or abs(km_later - km_earlier) * 1000 < MOVED_ALONG_M:
        return None
    return (
        Direction.TO_CHANGCHUN if (km_later > km_earlier) == _km_rise_toward_changchun(network) else Direction.TO_SIPING
    )


def _km_rise_toward_changchun(network: RoadNetwork) -> bool:
    for _u, _v, data in network.graph.edges(data=True):
        if data.get("direction") == Direction.TO_CHANGCHUN and data["km_to"] != data["km_from"]:
            return bool(data["km_to"] > data["km_from"])
    return True


def _angle(a: float, b: float) -> float:
    """The smaller angle between two bearings, degrees."""
    return abs((a - b + 180) % 360 - 180)
