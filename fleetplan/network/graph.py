"""The road graph: a frozen directed graph plus the G1 kilometre posts, and the values it hands out.

:class:`RoadGraph` is the data structure only; :class:`~fleetplan.network.roads.RoadNetwork` builds
on it (and on :mod:`~fleetplan.network.locate`), so this module imports neither.

Node attributes: ``name``, ``name_zh``, ``kind``, ``lat``, ``lon``, ``tag`` (V/S/E); G1 carriageway
nodes also ``post``, ``km`` and ``direction``; a service area's departure node also ``parking`` (the
arrival nodes of its two sides).

Edge attributes: ``length_m`` (int > 0), ``road_class`` (:class:`~fleetplan.model.RoadClass`),
``speed_kmh`` (the road speed before caps, > 0: posted for roads, the observed coach
average on the G1 carriageways), ``name`` (the road, e.g. ``"G1"``, ``"G102"``); carriageway edges also
``direction``, ``km_from`` and ``km_to``; on-ramps also ``entrance`` (the interchange or service area
whose closure removes them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeGuard

import networkx as nx

from fleetplan.errors import DataProblem, LocationError, UnknownIdError
from fleetplan.model import RoadClass, require


class Direction(StrEnum):
    """Travel direction on the G1 section; also the suffix of carriageway node ids."""

    TO_CHANGCHUN = "to_changchun"
    TO_SIPING = "to_siping"

    @property
    def label(self) -> str:
        """How people say it: ``toward Changchun`` / ``toward Siping``."""
        return "toward Changchun" if self is Direction.TO_CHANGCHUN else "toward Siping"

    @property
    def opposite(self) -> Direction:
        return Direction.TO_SIPING if self is Direction.TO_CHANGCHUN else Direction.TO_CHANGCHUN

    @classmethod
    def parse(cls, text: str) -> Direction:
        """Read ``toward Changchun``, ``Changchun``, ``to_changchun`` (any case) and the Siping forms.

        Raises
        ------
        LocationError
            If ``text`` names neither direction.
        """
        words = text.strip().lower().replace("_", " ").split()
        if words and words[0] in ("toward", "towards", "to"):
            words = words[1:]
        if words == ["changchun"]:
            return cls.TO_CHANGCHUN
        if words == ["siping"]:
            return cls.TO_SIPING
        raise LocationError(f"direction {text.strip()!r} is neither 'toward Changchun' nor 'toward Siping'")


class PostKind(StrEnum):
    """What stands at a G1 kilometre post."""

    INTERCHANGE = "interchange"
    SERVICE_AREA = "service_area"
    SECTION_END = "section_end"  # an interchange at the end of the modelled section


@dataclass(frozen=True)
class KmPost:
    """An interchange, service area or section end on G1 at kilometre ``km`` from the Siping end."""

    id: str
    name: str
    name_zh: str
    kind: PostKind
    km: float
    lat: float
    lon: float
    tag: str = "E"

    def __post_init__(self) -> None:
        require(self.km >= 0, "km", f"{self.km} is negative")

    @property
    def is_exit(self) -> bool:
        """Interchanges and section ends let vehicles leave and enter; service areas do not."""
        return self.kind is not PostKind.SERVICE_AREA


@dataclass(frozen=True)
class Place:
    """What the network knows about one node."""

    id: str
    name: str
    name_zh: str
    kind: str
    lat: float
    lon: float
    tag: str
    km: float | None = None
    direction: Direction | None = None


def carriageway_node(post_id: str, direction: Direction) -> str:
    """Id of the carriageway node at a post, e.g. ``guojiadian_ic.to_changchun``."""
    return f"{post_id}.{direction.value}"


def parking_node(post_id: str, direction: Direction) -> str:
    """Id of a service area's parking on one side, e.g. ``gongzhuling_sa.to_siping.parking``."""
    return f"{post_id}.{direction.value}.parking"


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """A validated, frozen road graph and the G1 kilometre posts (empty for an OSM extract).

    Equality and hashing are by identity: a network is loaded once and shared, which also makes it a
    cheap cache key for travel times. Callers use its subclass
    :class:`~fleetplan.network.roads.RoadNetwork`, which adds locating and GeoJSON.
    """

    graph: nx.DiGraph
    posts: tuple[KmPost, ...] = ()
    source: str = ""
    _entrances: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not nx.is_frozen(self.graph):
            nx.freeze(self.graph)
        entrances = {data["entrance"] for _, _, data in self.graph.edges(data=True) if data.get("entrance")}
        object.__setattr__(self, "_entrances", frozenset(entrances))

    # ------------------------------------------------------------------ nodes
    def has_node(self, node_id: str) -> bool:
        """True if ``node_id`` is a node of the network."""
        return node_id in self.graph

    def place(self, node_id: str) -> Place:
        """The node ``node_id`` as a :class:`Place`.

        Raises
        ------
        UnknownIdError
            If the network has no such node.
        """
        if node_id not in self.graph:
            raise UnknownIdError("network node", node_id, self.named_nodes())
        data = self.graph.nodes[node_id]
        return Place(
            id=node_id,
            name=data["name"],
            name_zh=data.get("name_zh", ""),
            kind=data["kind"],
            lat=data["lat"],
            lon=data["lon"],
            tag=data.get("tag", ""),
            km=data.get("km"),
            direction=data.get("direction"),
        )

    def node_name(self, node_id: str) -> str:
        """A readable name for a node (its id if it has none)."""
        if node_id not in self.graph:
            return node_id
        return self.graph.nodes[node_id].get("name") or node_id

    def node_lat_lon(self, node_id: str) -> tuple[float, float]:
        """(lat, lon) of a node.

        Raises
        ------
        UnknownIdError
            If the network has no such node.
        """
        place = self.place(node_id)
        return place.lat, place.lon

    def named_nodes(self) -> list[str]:
        """Ids of the nodes people refer to: places, interchanges, service areas (not carriageway nodes)."""
        return [node for node, kind in self.graph.nodes(data="kind") if kind not in ("carriageway", "parking")]

    # ------------------------------------------------------------------ G1
    @property
    def g1_length_m(self) -> int:
        """Length of the modelled G1 section along the Changchun-bound carriageway (0 if none)."""
        return sum(
            data["length_m"]
            for _, _, data in self.graph.edges(data=True)
            if data.get("direction") == Direction.TO_CHANGCHUN
        )

    @property
    def section_km(self) -> tuple[float, float]:
        """First and last kilometre post of the G1 section.

        Raises
        ------
        LocationError
            If this network has no kilometre posts (e.g. an OSM extract).
        """
        if not self.posts:
            raise LocationError("this road network has no G1 kilometre posts")
        return self.posts[0].km, self.posts[-1].km

    def post(self, post_id: str) -> KmPost:
        """The G1 post ``post_id``; raises :class:`UnknownIdError` if there is none."""
        for post in self.posts:
            if post.id == post_id:
                return post
        raise UnknownIdError("G1 post", post_id, [post.id for post in self.posts])

    @property
    def entrances(self) -> frozenset[str]:
        """Ids that :attr:`Conditions.closed_entrances` may name: nodes whose on-ramps can be shut."""
        return self._entrances


# --------------------------------------------------------------------------- validation
def graph_problems(graph: nx.DiGraph, label: str) -> list[DataProblem]:
    """Every node without coordinates and every edge without a valid length, class or speed.

    networkx silently treats a missing weight as 1, so a bad edge would otherwise go unnoticed.
    """
    problems = []
    for node, data in graph.nodes(data=True):
        lat, lon = data.get("lat"), data.get("lon")
        if not (_finite(lat) and _finite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            problems.append(DataProblem(label, None, None, f"node {node!r} has no valid lat/lon"))
        if not data.get("kind"):
            problems.append(DataProblem(label, None, None, f"node {node!r} has no kind"))
    for u, v, data in graph.edges(data=True):
        problems += [DataProblem(label, None, None, f"edge {u} → {v}: {message}") for message in _edge_faults(data)]
    return problems


def _edge_faults(data: dict[str, Any]) -> list[str]:
    faults = []
    length_m = data.get("length_m")
    if not (isinstance(length_m, int) and not isinstance(length_m, bool) and length_m > 0):
        faults.append(f"length_m must be a positive whole number of metres, got {length_m!r}")
    if not isinstance(data.get("road_class"), RoadClass):
        faults.append(f"road_class must be one of {', '.join(RoadClass)}, got {data.get('road_class')!r}")
    speed_kmh = data.get("speed_kmh")
    if not (_finite(speed_kmh) and speed_kmh > 0):
        faults.append(f"speed_kmh must be positive, got {speed_kmh!r}")
    if not isinstance(data.get("name"), str):
        faults.append("has no road name")
    return faults


def _finite(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
