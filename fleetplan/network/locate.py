"""Resolve location texts to points on the road network.

A :class:`Location` is either a node (with the nodes to start from and to arrive at, which differ
only for a service area) or a point on an edge. Points on an edge split the edge *virtually*: the
frozen graph is left alone and the point is kept as ``(edge u → v, offset_m)``; travel times add the
part of the edge before or after the point to node-to-node shortest paths.

Accepted texts (case-insensitive):

- a node id: ``siping_depot``, ``gongzhuling_sa``, ``guojiadian_ic.to_changchun``;
- ``lat,lon`` in WGS84, optionally followed by ``toward Changchun`` / ``toward Siping``: snapped to
  the nearest road edge, or with a direction to the nearest edge of that G1 carriageway;
- ``G1 K78 toward Changchun``, ``G1 K78.4 toward Siping``, ``G1 K78+300 toward Changchun`` (the
  ``G1`` may be left out: it is the only expressway).

A direction may be written in Chinese as the desk prints it (``G1 K78 往四平方向``, ``往长春``,
``向四平``), the road named as the crews' messages name it (``G1 京哈高速 K78``), and full-width digits
and signs are read as half-width.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, replace

from fleetplan.errors import LocationError
from fleetplan.geo import interpolate, project_onto_segment
from fleetplan.model import RoadClass, require, require_id
from fleetplan.network.graph import Direction, RoadGraph

MAX_SNAP_DISTANCE_M = 5_000.0  # farther than this from every road means the point is off the network
AT_NODE_M = 0.5  # a point this near an edge's end is that node (as the oracle reads it: fleetplan.oracle.places)

_NUMBER = r"[-+]?\d+(?:\.\d+)?"
_DIRECTION = r"(?:toward|towards|to)\s+\S+"
_KM_POST = re.compile(
    rf"^(?:G1\s*)?K\s*(?P<km>\d+(?:\.\d+)?)(?:\s*\+\s*(?P<m>\d+))?(?:\s+(?P<dir>{_DIRECTION}))?$", re.IGNORECASE
)
_LAT_LON = re.compile(rf"^(?P<lat>{_NUMBER})\s*,\s*(?P<lon>{_NUMBER})(?:\s+(?P<dir>{_DIRECTION}))?$", re.IGNORECASE)
_LOOKS_LIKE_ID = re.compile(r"^[A-Za-z][\w.]*$")
_ZH_CITIES = {"长春": "Changchun", "四平": "Siping"}
G1_NAME_ZH = "京哈高速"
_ZH_DIRECTION = re.compile(r"\s*(?:往|向|去|开往|驶往)\s*(?P<city>长春|四平)\s*(?:方向)?\s*$")
_HELP = (
    "give a node id (e.g. siping_depot), 'lat,lon' (e.g. 43.50,124.83 toward Changchun) or 'G1 K78 toward Changchun'"
)


@dataclass(frozen=True)
class EdgePoint:
    """A point ``offset_m`` metres along edge ``u → v`` (of length ``length_m``), seen in that direction."""

    u: str
    v: str
    offset_m: float
    length_m: int

    def __post_init__(self) -> None:
        require(
            0.0 <= self.offset_m <= self.length_m,
            "offset_m",
            f"{self.offset_m} is outside the edge {self.u} → {self.v} (0–{self.length_m} m)",
        )

    @property
    def edge(self) -> tuple[str, str]:
        return self.u, self.v

    @property
    def remaining_m(self) -> float:
        """Metres from the point to the end ``v`` of the edge."""
        return self.length_m - self.offset_m


@dataclass(frozen=True)
class Location:
    """A resolved place on the network.

    Exactly one of two forms:

    - a node: ``node_id`` is set; routes start at ``departure_nodes`` and end at ``arrival_nodes``
      (both ``(node_id,)`` except at a service area, whose departure node has only out-edges and whose
      arrival nodes are the parking places of its two sides);
    - a point on an edge: ``edge_points`` holds the point as seen from each edge it lies on (one for
      a G1 carriageway or a one-way road, two for a two-way road).
    """

    text: str
    lat: float
    lon: float
    node_id: str | None = None
    departure_nodes: tuple[str, ...] = ()
    arrival_nodes: tuple[str, ...] = ()
    edge_points: tuple[EdgePoint, ...] = ()
    direction: Direction | None = None
    km: float | None = None
    road_name: str = ""
    snapped_m: float = 0.0  # how far a lat/lon was moved onto the road

    def __post_init__(self) -> None:
        if self.node_id is not None:
            require_id(self.node_id, "node_id")
            require(
                bool(self.departure_nodes) and bool(self.arrival_nodes),
                "node_id",
                "a node location needs departure and arrival nodes",
            )
            require(not self.edge_points, "edge_points", "a node location lies on no edge")
        else:
            require(bool(self.edge_points), "edge_points", "a location is either a node or a point on an edge")

    @property
    def key(self) -> str:
        """Identity of the point itself, regardless of how it was written."""
        if self.node_id is not None:
            return self.node_id
        first = self.edge_points[0]
        return f"{first.u}->{first.v}@{first.offset_m:.1f}"

    @property
    def on_edge(self) -> bool:
        return self.node_id is None

    def describe(self) -> str:
        """Short text for messages: the node id, the kilometre post or the coordinates."""
        if self.node_id is not None:
            return self.node_id
        if self.km is not None and self.direction is not None:
            return f"G1 K{self.km:g} {self.direction.label}"
        return f"{self.lat:.5f},{self.lon:.5f} on {self.road_name or 'a road'}"


def locate(network: RoadGraph, text: str) -> Location:
    """Resolve ``text`` to a :class:`Location` on ``network``.

    Parameters
    ----------
    network
        The road network.
    text
        A node id, ``lat,lon`` (WGS84) with an optional ``toward Changchun|Siping``, or a G1
        kilometre post with direction such as ``G1 K78+300 toward Changchun``.

    Returns
    -------
    Location

    Raises
    ------
    LocationError
        If the text cannot be read, names an unknown node, gives a kilometre post outside the section
        or a point farther than 5 km from every road; the message says which.
    """
    cleaned = " ".join(_latin_direction(text).strip().split())
    if not cleaned:
        raise LocationError(f"empty location; {_HELP}")
    if cleaned in network.graph:
        return node_location(network, cleaned, text)
    km_match = _KM_POST.match(cleaned)
    if km_match:
        return km_post_location(network, _km(km_match), _direction(km_match, cleaned), text)
    lat_lon_match = _LAT_LON.match(cleaned)
    if lat_lon_match:
        direction = Direction.parse(lat_lon_match["dir"]) if lat_lon_match["dir"] else None
        return snap(network, float(lat_lon_match["lat"]), float(lat_lon_match["lon"]), direction, text)
    if cleaned.upper().startswith("G1") or re.match(r"^K\s*\d", cleaned, re.IGNORECASE):
        raise LocationError(
            f"cannot read kilometre post {cleaned!r}: write it like 'G1 K78 toward Changchun' or "
            "'G1 K78+300 toward Siping'"
        )
    if _LOOKS_LIKE_ID.match(cleaned):
        guesses = difflib.get_close_matches(cleaned, network.named_nodes(), n=3)
        hint = f"; did you mean {', '.join(guesses)}?" if guesses else f"; {_HELP}"
        raise LocationError(f"unknown place {cleaned!r}{hint}")
    raise LocationError(f"cannot read location {cleaned!r}; {_HELP}")


def _latin_direction(text: str) -> str:
    """``text`` with a Chinese direction as the desk prints it ("G1 K78 往四平方向", also "K78＋300 往长春"
    or "向四平") written the English way, the road's Chinese name as the crews' messages print it
    ("G1 京哈高速 K78") left out, and full-width characters as half-width (NFKC)."""
    half_width = unicodedata.normalize("NFKC", text).replace(G1_NAME_ZH, " ")
    return _ZH_DIRECTION.sub(lambda found: f" toward {_ZH_CITIES[found['city']]}", half_width)


def node_location(network: RoadGraph, node_id: str, text: str | None = None) -> Location:
    """The location of a node; a service area departs from its node and arrives at its parking."""
    data = network.graph.nodes[node_id]
    arrivals = tuple(data.get("parking", ())) or (node_id,)
    return Location(
        text=text if text is not None else node_id,
        lat=data["lat"],
        lon=data["lon"],
        node_id=node_id,
        departure_nodes=(node_id,),
        arrival_nodes=arrivals,
        direction=data.get("direction"),
        km=data.get("km"),
    )


def km_post_location(network: RoadGraph, km: float, direction: Direction, text: str | None = None) -> Location:
    """The point at kilometre ``km`` on the carriageway heading ``direction``.

    Raises
    ------
    LocationError
        If ``km`` is outside the G1 section; the message names the valid range.
    """
    first_km, last_km = network.section_km
    if not first_km <= km <= last_km:
        raise LocationError(f"kilometre post K{km:g} is outside the G1 section K{first_km:g}–K{last_km:g}")
    for u, v, data in network.graph.edges(data=True):
        if data.get("direction") != direction:
            continue
        low, high = sorted((data["km_from"], data["km_to"]))
        if low <= km <= high:
            # to the millimetre: K114.1 − K64.1 is 50000.000000000007 m, past a 50 km radius
            offset_m = min(float(data["length_m"]), round(abs(km - data["km_from"]) * 1000, 3))
            return _edge_location(
                network, u, v, offset_m, text or f"G1 K{km:g} {direction.label}", km=km, direction=direction
            )
    raise LocationError(f"no G1 carriageway {direction.label} at K{km:g}")  # only if the posts are broken


def snap(
    network: RoadGraph, lat: float, lon: float, direction: Direction | None = None, text: str | None = None
) -> Location:
    """Snap a WGS84 point to the nearest road edge (to the nearest edge of the carriageway heading
    ``direction`` if given) and split that edge virtually there.

    Ramps and service-area slip roads are never snapped to. Without a direction a point on G1 takes
    the nearer carriageway, which is only meaningful for precise positions: give the direction when it
    is known.

    Raises
    ------
    LocationError
        If the coordinates are invalid or farther than 5 km from every candidate road.
    """
    label = text or f"{lat},{lon}"
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise LocationError(f"{label!r} is not a latitude,longitude pair")
    best = None
    for u, v, data in network.graph.edges(data=True):
        if data["road_class"] is RoadClass.RAMP:
            continue
        if direction is not None and data.get("direction") != direction:
            continue
        start, end = network.graph.nodes[u], network.graph.nodes[v]
        projection = project_onto_segment(lat, lon, start["lat"], start["lon"], end["lat"], end["lon"])
        if best is None or projection.distance_m < best[0].distance_m:
            best = (projection, u, v, data)
    if best is None:
        where = f"no G1 carriageway {direction.label}" if direction else "no roads"
        raise LocationError(f"cannot place {label!r}: the network has {where}")
    projection, u, v, data = best
    if projection.distance_m > MAX_SNAP_DISTANCE_M:
        raise LocationError(
            f"{label!r} is {projection.distance_m / 1000:.1f} km from the nearest road of the network "
            f"(at most {MAX_SNAP_DISTANCE_M / 1000:g} km); check the coordinates (WGS84, lat first)"
        )
    km = None
    if data.get("direction") is not None:
        km = round(data["km_from"] + projection.fraction * (data["km_to"] - data["km_from"]), 3)
    return _edge_location(
        network,
        u,
        v,
        projection.fraction * data["length_m"],
        label,
        km=km,
        direction=data.get("direction"),
        snapped_m=projection.distance_m,
    )


def _edge_location(
    network: RoadGraph,
    u: str,
    v: str,
    offset_m: float,
    text: str,
    *,
    km: float | None,
    direction: Direction | None,
    snapped_m: float = 0.0,
) -> Location:
    """A point on ``u → v``, also seen from the reverse edge when the road is two-way; a point at either
    end is that node (a coach at an interchange's post may take its off-ramp, whichever edge found it)."""
    graph = network.graph
    data = graph.edges[u, v]
    if offset_m < AT_NODE_M or data["length_m"] - offset_m < AT_NODE_M:  # K87.5 − K71.9 is 15599.999… m
        at_node = node_location(network, u if offset_m < AT_NODE_M else v, text)
        return replace(at_node, snapped_m=snapped_m)
    points = [EdgePoint(u, v, offset_m, data["length_m"])]
    if graph.has_edge(v, u) and graph.edges[v, u]["name"] == data["name"] and data.get("direction") is None:
        reverse_length = graph.edges[v, u]["length_m"]
        points.append(EdgePoint(v, u, reverse_length * (1 - offset_m / data["length_m"]), reverse_length))
    start, end = graph.nodes[u], graph.nodes[v]
    lat, lon = interpolate(start["lat"], start["lon"], end["lat"], end["lon"], offset_m / data["length_m"])
    return Location(
        text=text,
        lat=lat,
        lon=lon,
        edge_points=tuple(points),
        direction=direction,
        km=km,
        road_name=data["name"],
        snapped_m=snapped_m,
    )


def _km(match: re.Match) -> float:
    km = float(match["km"])
    if match["m"] is not None:
        metres = int(match["m"])
        if metres >= 1000:
            raise LocationError(f"in K{match['km']}+{match['m']} the metres after '+' must be below 1000")
        km += metres / 1000
    return round(km, 3)


def _direction(match: re.Match, text: str) -> Direction:
    if not match["dir"]:
        raise LocationError(
            f"{text!r} needs a direction: add 'toward Changchun' or 'toward Siping' "
            "(a coach can only stop on its own carriageway)"
        )
    return Direction.parse(match["dir"])
