"""Locating a place (world-model §4): a node id, ``G1 K<km> toward Changchun|Siping``, or ``lat,lon``
(the direction and the road's name may be written in Chinese).

A ``lat,lon`` is snapped to the nearest road (ramps and slip roads have no drawn course and are not
snapped to). The data draw G1 by its centre line; the oracle puts each carriageway
:data:`CARRIAGEWAY_OFFSET_M` to the right of it (right-hand traffic) and calls the side ambiguous when
the two carriageways are within :data:`AMBIGUOUS_SIDE_M` of equally near. Distances use a local flat
projection (equirectangular about the point), plenty for a few kilometres.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, replace
from fractions import Fraction

from fleetplan.errors import LocationError
from fleetplan.oracle.roads import DIRECTIONS, TO_CHANGCHUN, TO_SIPING, Edge, Graph

CARRIAGEWAY_OFFSET_M = 15.0  # each carriageway's centre this far right of the road's centre line
AMBIGUOUS_SIDE_M = 10.0  # carriageways nearer than this to equally near: the side is not known
MAX_SNAP_M = 5000.0
AT_NODE_M = Fraction(1, 2)  # a point snapped this near an edge's end is at that node
EARTH_RADIUS_M = 6_371_000.0

_DIRECTION = r"(?:toward|towards|to)\s+(?P<dir>changchun|siping)"
_KM_POST = re.compile(rf"^(?:G1\s*)?K\s*(?P<km>\d+(?:\.\d+)?)(?:\s*\+\s*(?P<m>\d{{1,3}}))?\s+{_DIRECTION}$", re.I)
_LAT_LON = re.compile(rf"^(?P<lat>[-+]?\d+(?:\.\d+)?)\s*,\s*(?P<lon>[-+]?\d+(?:\.\d+)?)(?:\s+{_DIRECTION})?$", re.I)


@dataclass(frozen=True)
class EdgePoint:
    """A point ``offset_m`` metres along ``edge`` from its start."""

    edge: Edge
    offset_m: Fraction

    @property
    def remaining_m(self) -> Fraction:
        return self.edge.length_m - self.offset_m


@dataclass(frozen=True)
class Place:
    """A located place: a node, or a point seen from each edge it lies on (two for a two-way road).

    ``side_ambiguous`` says a ``lat,lon`` on G1 could be on either carriageway; ``other_side`` is then
    the place on the other one.
    """

    text: str
    node: str | None = None
    points: tuple[EdgePoint, ...] = ()
    side_ambiguous: bool = False
    other_side: Place | None = None

    @property
    def key(self) -> str:
        if self.node is not None:
            return self.node
        first = self.points[0]
        return f"{first.edge.start}->{first.edge.end}@{float(first.offset_m):.3f}"


def arrival_nodes(graph: Graph, node: str) -> tuple[str, ...]:
    """Where a drive to ``node`` ends: a service area is reached at the parking of either side."""
    return graph.parkings.get(node, (node,))


_CHINESE_TOWARD = re.compile(r"(?:开往|驶往|往|向|去)\s*(长春|四平)(?:方向)?\s*$")
_CITY_IN_ENGLISH = {"长春": "Changchun", "四平": "Siping"}


def _in_english(text: str) -> str:
    """The Chinese spelling of §4 (``G1 京哈高速 K78＋300 往长春方向``) in the English one."""
    half_width = unicodedata.normalize("NFKC", text).replace("京哈高速", " ")
    return _CHINESE_TOWARD.sub(lambda m: " toward " + _CITY_IN_ENGLISH[m.group(1)], half_width).strip()


def locate(graph: Graph, text: str) -> Place:
    """Resolve a location text on ``graph``.

    Raises
    ------
    LocationError
        If the text is none of the three forms, names an unknown node, a kilometre post outside the
        section, or a point farther than 5 km from every road.
    """
    cleaned = " ".join(_in_english(text).split())
    if cleaned in graph.kinds:
        return Place(text, node=cleaned)
    km_match = _KM_POST.match(cleaned)
    if km_match:
        km = Fraction(km_match["km"]) + Fraction(int(km_match["m"] or 0), 1000)
        return km_post(graph, km, _direction(km_match["dir"]), text)
    lat_lon = _LAT_LON.match(cleaned)
    if lat_lon:
        direction = _direction(lat_lon["dir"]) if lat_lon["dir"] else None
        return snap(graph, float(lat_lon["lat"]), float(lat_lon["lon"]), direction, text)
    raise LocationError(f"the oracle cannot read location {text!r}")


def _direction(word: str) -> str:
    return TO_CHANGCHUN if word.lower() == "changchun" else TO_SIPING


def km_post(graph: Graph, km: Fraction, direction: str, text: str) -> Place:
    """The point at ``km`` on the carriageway ``direction``: the carriageway node at a post, else a
    point on the carriageway edge that spans ``km``."""
    for edge in graph.edges:
        if edge.direction != direction or edge.km_from is None or edge.km_to is None:
            continue
        if km == edge.km_from:
            return Place(text, node=edge.start)
        if km == edge.km_to:
            return Place(text, node=edge.end)
        if min(edge.km_from, edge.km_to) < km < max(edge.km_from, edge.km_to):
            return Place(text, points=(EdgePoint(edge, abs(km - edge.km_from) * 1000),))
    raise LocationError(f"K{float(km):g} is not on the G1 section of the oracle's network")


# --------------------------------------------------------------------------- lat,lon
def _xy(lat: float, lon: float, origin: tuple[float, float]) -> tuple[float, float]:
    """Metres east and north of ``origin`` (equirectangular)."""
    scale = math.pi / 180 * EARTH_RADIUS_M
    return (lon - origin[1]) * scale * math.cos(math.radians(origin[0])), (lat - origin[0]) * scale


def segment(graph: Graph, edge: Edge, origin: tuple[float, float]) -> tuple[tuple[float, float], ...]:
    """The drawn course of an edge in metres; carriageways shifted right of the centre line."""
    (ax, ay), (bx, by) = _xy(*graph.coords[edge.start], origin), _xy(*graph.coords[edge.end], origin)
    if edge.direction is None:
        return (ax, ay), (bx, by)
    norm = math.hypot(bx - ax, by - ay) or 1.0
    right_x, right_y = (by - ay) / norm, -(bx - ax) / norm  # the heading turned 90° clockwise
    shift_x, shift_y = right_x * CARRIAGEWAY_OFFSET_M, right_y * CARRIAGEWAY_OFFSET_M
    return (ax + shift_x, ay + shift_y), (bx + shift_x, by + shift_y)


def project(point: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """(distance in metres, fraction along ``a → b``) of the nearest point of the segment."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    squared = dx * dx + dy * dy
    t = 0.0 if squared == 0 else max(0.0, min(1.0, ((point[0] - a[0]) * dx + (point[1] - a[1]) * dy) / squared))
    return math.hypot(point[0] - a[0] - t * dx, point[1] - a[1] - t * dy), t


def _snappable(graph: Graph, direction: str | None) -> list[Edge]:
    found = [e for e in graph.edges if e.road_class != "ramp"]
    return found if direction is None else [e for e in found if e.direction == direction]


def _nearest(graph: Graph, edges: list[Edge], lat: float, lon: float) -> tuple[float, Edge, float] | None:
    best = None
    for edge in edges:
        distance, fraction = project((0.0, 0.0), *segment(graph, edge, (lat, lon)))
        if best is None or distance < best[0]:
            best = (distance, edge, fraction)
    return best


def place_at(graph: Graph, edge: Edge, fraction: float, text: str) -> Place:
    """The place ``fraction`` along ``edge``: its end node when it falls on one (as a kilometre post
    at a post is that post's node), else the point on the edge and on the reverse edge of the same
    two-way road."""
    offset = Fraction(fraction).limit_denominator(10_000) * edge.length_m
    if offset < AT_NODE_M or edge.length_m - offset < AT_NODE_M:
        return Place(text, node=edge.start if offset < AT_NODE_M else edge.end)
    points = [EdgePoint(edge, offset)]
    reverse = graph.edge(edge.end, edge.start)
    if edge.direction is None and reverse is not None and reverse.name == edge.name:
        points.append(EdgePoint(reverse, reverse.length_m - offset * reverse.length_m / edge.length_m))
    return Place(text, points=tuple(points))


def snap(graph: Graph, lat: float, lon: float, direction: str | None, text: str) -> Place:
    """A ``lat,lon`` snapped to the nearest road, or to the carriageway ``direction`` if given."""
    best = _nearest(graph, _snappable(graph, direction), lat, lon)
    if best is None or best[0] > MAX_SNAP_M:
        raise LocationError(f"{text!r} is farther than {MAX_SNAP_M / 1000:g} km from every road")
    distance, edge, fraction = best
    place = place_at(graph, edge, fraction, text)
    if direction is not None or edge.direction is None:
        return place
    other = [d for d in DIRECTIONS if d != edge.direction][0]
    opposite = _nearest(graph, _snappable(graph, other), lat, lon)
    if opposite is None or opposite[0] - distance >= AMBIGUOUS_SIDE_M:
        return place
    return replace(place, side_ambiguous=True, other_side=place_at(graph, opposite[1], opposite[2], text))
