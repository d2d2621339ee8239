"""Optional loader for a real OpenStreetMap extract on disk (``.osm`` XML), without network access.

Uses :func:`osmnx.graph_from_xml` (the ``osm`` extra) unsimplified, drops ways of other highway
types (footways, tracks, …), then simplifies with :func:`osmnx.simplify_graph` keeping a node wherever
the highway type, ref, name or maxspeed changes, so a footway never merges into a road. OSM
``highway`` tags map to road classes;
``maxspeed`` (km/h, or mph) gives the free-flow speed, else a default per highway type; lengths come
from osmnx (metres, rounded, at least 1). Parallel edges keep the shortest. An on-ramp (a link from a
non-motorway node onto a motorway) is an entrance named by its first node's id, so closures work.
The result has no G1 kilometre posts: kilometre-post locations raise :class:`LocationError`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import networkx as nx

from fleetplan.errors import DataProblem, DataValidationError
from fleetplan.model import RoadClass
from fleetplan.network.graph import graph_problems
from fleetplan.network.roads import RoadNetwork

MPH_TO_KMH = 1.609344

# highway tag → (road class, default speed km/h); in China OSM "trunk" is used for national roads
HIGHWAY_CLASSES: dict[str, tuple[RoadClass, float]] = {
    "motorway": (RoadClass.EXPRESSWAY, 120.0),
    "motorway_link": (RoadClass.RAMP, 40.0),
    "trunk": (RoadClass.NATIONAL, 80.0),
    "trunk_link": (RoadClass.RAMP, 40.0),
    "primary": (RoadClass.NATIONAL, 60.0),
    "primary_link": (RoadClass.RAMP, 40.0),
    "secondary": (RoadClass.NATIONAL, 60.0),
    "secondary_link": (RoadClass.RAMP, 30.0),
    "tertiary": (RoadClass.CITY, 40.0),
    "tertiary_link": (RoadClass.RAMP, 30.0),
    "unclassified": (RoadClass.CITY, 40.0),
    "residential": (RoadClass.CITY, 30.0),
    "living_street": (RoadClass.CITY, 10.0),
    "service": (RoadClass.CITY, 20.0),
    "road": (RoadClass.CITY, 30.0),
}
_RANK = list(HIGHWAY_CLASSES)
_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)


def load_osm(path: Path | str) -> RoadNetwork:
    """Read an OSM XML extract into a validated, frozen :class:`RoadNetwork`.

    Parameters
    ----------
    path
        An ``.osm`` file on disk (e.g. cut from a Geofabrik extract with osmium). Nothing is
        downloaded.

    Returns
    -------
    RoadNetwork
        Nodes are OSM node ids (as strings); ways of unknown highway types are left out.

    Raises
    ------
    DataValidationError
        If the file is missing or unreadable, holds no usable roads, or an edge lacks length or speed.
    """
    import osmnx  # optional dependency, imported only when a real map is loaded

    path = Path(path)
    if not path.is_file():
        raise DataValidationError([DataProblem(path.name, None, None, "file is missing")])
    try:
        raw = osmnx.graph_from_xml(path, simplify=False, retain_all=True)
    except Exception as error:  # osmnx raises several types for bad XML or empty extracts
        raise DataValidationError([DataProblem(path.name, None, None, f"cannot read OSM data: {error}")]) from None
    roads = _known_roads(raw)
    if roads.number_of_edges() == 0:
        raise DataValidationError([DataProblem(path.name, None, None, "no roads of a known highway type")])
    # simplify only after dropping footways etc., and never merge ways of different type or speed
    multigraph = osmnx.simplify_graph(roads, edge_attrs_differ=["highway", "ref", "name", "maxspeed"])
    graph = _road_graph(multigraph)
    if graph.number_of_edges() == 0:
        raise DataValidationError([DataProblem(path.name, None, None, "no roads of a known highway type")])
    _mark_entrances(graph)
    problems = graph_problems(graph, path.name)
    if problems:
        raise DataValidationError(problems)
    return RoadNetwork(graph=nx.freeze(graph), posts=(), source=str(path))


def _known_roads(raw: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of ``raw`` with only edges of a known highway type and the nodes they touch."""
    roads = raw.copy()
    roads.remove_edges_from(
        [(u, v, key) for u, v, key, data in raw.edges(keys=True, data=True) if _highway(data.get("highway")) is None]
    )
    roads.remove_nodes_from([node for node in raw if roads.degree(node) == 0])
    return roads


def _road_graph(multigraph: nx.MultiDiGraph) -> nx.DiGraph:
    """A simple directed graph of the known road types, shortest of any parallel edges."""
    graph: nx.DiGraph[str] = nx.DiGraph(name=multigraph.graph.get("name", "osm"))
    for u, v, data in multigraph.edges(data=True):
        highway = _highway(data.get("highway"))
        if highway is None or u == v:
            continue
        road_class, default_kmh = HIGHWAY_CLASSES[highway]
        length_m = max(1, round(float(data.get("length", 0.0))))
        a, b = str(u), str(v)
        if graph.has_edge(a, b) and graph.edges[a, b]["length_m"] <= length_m:
            continue
        for node in (u, v):
            _add_node(graph, multigraph, node)
        graph.add_edge(
            a,
            b,
            length_m=length_m,
            road_class=road_class,
            speed_kmh=_speed_kmh(data.get("maxspeed")) or default_kmh,
            name=_name(data, highway),
            highway=highway,
        )
    return graph


def _add_node(graph: nx.DiGraph, multigraph: nx.MultiDiGraph, node: Any) -> None:
    if str(node) in graph:
        return
    data = multigraph.nodes[node]
    graph.add_node(
        str(node), name=f"OSM node {node}", name_zh="", kind="osm", lat=float(data["y"]), lon=float(data["x"]), tag="S"
    )


def _highway(value: Any) -> str | None:
    """The most important known highway type of a (possibly merged) way."""
    values = value if isinstance(value, list) else [value]
    known = [item for item in values if item in HIGHWAY_CLASSES]
    return min(known, key=_RANK.index) if known else None


def _speed_kmh(value: Any) -> float | None:
    """The lowest usable maxspeed (merged ways carry a list), in km/h; None if there is none."""
    values = value if isinstance(value, list) else [value]
    speeds = []
    for item in values:
        match = _SPEED.match(str(item)) if item is not None else None
        if match:
            speed = float(match.group(1)) * (MPH_TO_KMH if (match.group(2) or "").lower() == "mph" else 1.0)
            if math.isfinite(speed) and speed > 0:
                speeds.append(speed)
    return min(speeds) if speeds else None


def _name(data: dict[str, Any], highway: str) -> str:
    for key in ("ref", "name"):
        value = data.get(key)
        if value:
            return " / ".join(value) if isinstance(value, list) else str(value)
    return highway


def _mark_entrances(graph: nx.DiGraph) -> None:
    """Tag ramps that lead from an ordinary road onto the expressway as entrances of their first node."""

    def on_expressway(node: str) -> bool:
        return any(
            graph.edges[edge]["road_class"] is RoadClass.EXPRESSWAY
            for edge in list(graph.in_edges(node)) + list(graph.out_edges(node))
        )

    for u, v, data in graph.edges(data=True):
        if data["road_class"] is RoadClass.RAMP and on_expressway(v) and not on_expressway(u):
            data["entrance"] = u
