"""The oracle's own directed road graph (world-model §1) and which edges are open (§3).

Built from the raw tables: both G1 carriageways chained by kilometre post (``<post>.to_changchun``
toward increasing km, ``<post>.to_siping``); at an interchange (or section end) an off-ramp from each
carriageway to the interchange node and an on-ramp back onto each; at a service area a parking per
carriageway (``<sa>.<direction>.parking``, slip in from and back onto its own carriageway) and a staff
road from the service-area node onto either carriageway; every road of ``roads.csv`` both ways unless
``oneway``. Node ids are the documented ones (``network/README.md``) so that location texts and plans
name the same places.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType

from fleetplan.errors import InvalidValueError
from fleetplan.oracle.world import Preset, World

TO_CHANGCHUN = "to_changchun"  # increasing kilometre posts
TO_SIPING = "to_siping"
DIRECTIONS = (TO_CHANGCHUN, TO_SIPING)
ALL_ENTRANCES = "*"


def lane(post_id: str, direction: str) -> str:
    return f"{post_id}.{direction}"


def parking(post_id: str, direction: str) -> str:
    return f"{post_id}.{direction}.parking"


@dataclass(frozen=True)
class Edge:
    """A directed edge. ``entrance`` names the interchange or service area whose closure shuts it;
    ``onto_expressway`` marks any way onto a carriageway from off it (shut by ``fog_50``);
    ``past_exit`` marks a carriageway edge leaving an interchange post (``fog_50``: leave there)."""

    start: str
    end: str
    length_m: int
    road_class: str  # expressway, ramp, national, city
    speed_kmh: Fraction
    name: str
    entrance: str | None = None
    onto_expressway: bool = False
    past_exit: bool = False
    direction: str | None = None  # carriageway edges only
    km_from: Fraction | None = None
    km_to: Fraction | None = None


@dataclass(frozen=True, eq=False)
class Graph:
    """Nodes with coordinates and kinds, edges by start node."""

    coords: Mapping[str, tuple[float, float]]
    kinds: Mapping[str, str]
    edges: tuple[Edge, ...]
    out: Mapping[str, tuple[Edge, ...]] = field(default_factory=dict)
    parkings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # service area → its parkings

    def edge(self, start: str, end: str) -> Edge | None:
        return next((e for e in self.out.get(start, ()) if e.end == end), None)


def km_of(value: float) -> Fraction:
    """A kilometre post as an exact fraction of its written value."""
    return Fraction(str(value))


def build_graph(world: World) -> Graph:
    """The directed road graph of ``world``.

    Raises
    ------
    InvalidValueError
        If the carriageway speed of the data is below the expressway minimum (world-model §2: a data
        error).
    """
    way = world.expressway
    if way.carriageway_speed_kmh < way.min_speed_kmh:
        raise InvalidValueError(
            "carriageway_speed_kmh", f"{way.carriageway_speed_kmh} km/h is below the minimum {way.min_speed_kmh} km/h"
        )
    coords: dict[str, tuple[float, float]] = {p.id: (p.lat, p.lon) for p in world.places}
    kinds: dict[str, str] = {p.id: p.kind for p in world.places}
    edges: list[Edge] = []
    parkings: dict[str, tuple[str, ...]] = {}
    for post in world.posts:
        coords[post.id] = (post.lat, post.lon)
        kinds[post.id] = post.kind
        for direction in DIRECTIONS:
            coords[lane(post.id, direction)] = (post.lat, post.lon)
            kinds[lane(post.id, direction)] = "carriageway"
    edges += carriageway_edges(world)
    for post in world.posts:
        if post.is_exit:
            edges += interchange_edges(world, post.id)
        else:
            for direction in DIRECTIONS:
                coords[parking(post.id, direction)] = (post.lat, post.lon)
                kinds[parking(post.id, direction)] = "parking"
            parkings[post.id] = tuple(parking(post.id, d) for d in DIRECTIONS)
            edges += service_area_edges(world, post.id)
    for road in world.roads:
        edges.append(Edge(road.start, road.end, road.length_m, road.road_class, road.speed_kmh, road.name))
        if not road.oneway:
            edges.append(Edge(road.end, road.start, road.length_m, road.road_class, road.speed_kmh, road.name))
    out: dict[str, list[Edge]] = {}
    for edge in edges:
        out.setdefault(edge.start, []).append(edge)
    return Graph(
        MappingProxyType(coords),
        MappingProxyType(kinds),
        tuple(edges),
        MappingProxyType({node: tuple(found) for node, found in out.items()}),
        MappingProxyType(parkings),
    )


def carriageway_edges(world: World) -> list[Edge]:
    """Both carriageways, post to post; edge length = km difference × 1000 m."""
    speed = world.expressway.carriageway_speed_kmh
    found = []
    for low, high in zip(world.posts, world.posts[1:]):
        low_km, high_km = km_of(low.km), km_of(high.km)
        length_m = round((high_km - low_km) * 1000)
        found.append(
            Edge(
                lane(low.id, TO_CHANGCHUN),
                lane(high.id, TO_CHANGCHUN),
                length_m,
                "expressway",
                speed,
                "G1",
                past_exit=low.is_exit,
                direction=TO_CHANGCHUN,
                km_from=low_km,
                km_to=high_km,
            )
        )
        found.append(
            Edge(
                lane(high.id, TO_SIPING),
                lane(low.id, TO_SIPING),
                length_m,
                "expressway",
                speed,
                "G1",
                past_exit=high.is_exit,
                direction=TO_SIPING,
                km_from=high_km,
                km_to=low_km,
            )
        )
    return found


def interchange_edges(world: World, post_id: str) -> list[Edge]:
    """Off-ramps from both carriageways and on-ramps onto both: the only place to turn."""
    length_m, speed = world.expressway.ramp_length_m, world.expressway.ramp_speed_kmh
    found = []
    for direction in DIRECTIONS:
        found.append(Edge(lane(post_id, direction), post_id, length_m, "ramp", speed, f"{post_id} off-ramp"))
        found.append(
            Edge(
                post_id,
                lane(post_id, direction),
                length_m,
                "ramp",
                speed,
                f"{post_id} on-ramp",
                entrance=post_id,
                onto_expressway=True,
            )
        )
    return found


def service_area_edges(world: World, post_id: str) -> list[Edge]:
    """Per side a parking slipped into from and back onto its own carriageway; staff roads onto both.

    The slip back out of a parking is not an entrance: a coach in the parking is already on the
    expressway and drives on when entrances close, and in ``fog_50`` on to the next interchange
    (world-model §3); a coach staged at the service-area node stays there.
    """
    way = world.expressway
    found = []
    for direction in DIRECTIONS:
        carriageway, bay = lane(post_id, direction), parking(post_id, direction)
        found.append(Edge(carriageway, bay, way.slip_length_m, "ramp", way.slip_speed_kmh, f"{post_id} entry"))
        found.append(Edge(bay, carriageway, way.slip_length_m, "ramp", way.slip_speed_kmh, f"{post_id} exit"))
        found.append(
            Edge(
                post_id,
                carriageway,
                way.staff_road_length_m,
                "ramp",
                way.staff_road_speed_kmh,
                f"{post_id} staff road",
                entrance=post_id,
                onto_expressway=True,
            )
        )
    return found


def is_open(edge: Edge, preset: Preset) -> bool:
    """Whether a coach may enter ``edge`` under ``preset`` (world-model §3)."""
    if (edge.start, edge.end) in preset.closed_edges:
        return False
    closed = preset.closed_entrances
    if edge.entrance is not None and (ALL_ENTRANCES in closed or edge.entrance in closed):
        return False
    if preset.weather_on("expressway") == "fog_50" and (edge.onto_expressway or edge.past_exit):
        return False
    return True


def check_preset(graph: Graph, preset: Preset) -> None:
    """Raise :class:`InvalidValueError` for a closure naming an edge or entrance the graph lacks."""
    for start, end in sorted(preset.closed_edges):
        if graph.edge(start, end) is None:
            raise InvalidValueError("closed_edges", f"{start} → {end} is not a road")
    entrances = {e.entrance for e in graph.edges if e.entrance}
    unknown = sorted(preset.closed_entrances - entrances - {ALL_ENTRANCES})
    if unknown:
        raise InvalidValueError("closed_entrances", f"{', '.join(unknown)} is not an entrance")
