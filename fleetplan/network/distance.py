"""Road distance: the shortest way by length on the directed network, with every road open.

The response tiers are a promise of the service plan by place, so they are measured on the road a
backup would drive, carriageway included (a point toward Changchun is reached from the Siping side or by
turning at an interchange before it), and not as the crow flies; weather and closures change how long
the drive takes, not which tier the place is in.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import networkx as nx

from fleetplan.network.graph import RoadGraph
from fleetplan.network.locate import Location, node_location


def road_distance_m(network: RoadGraph, origin_node: str, destination: Location) -> float | None:
    """Metres of the shortest road from node ``origin_node`` to ``destination``, or None if none.

    Parameters
    ----------
    network
        The road network (all roads open: closures are not looked at).
    origin_node
        Where the drive starts, e.g. a depot's node.
    destination
        A node or a point on an edge.
    """
    lengths = _lengths_from(network, origin_node)
    if destination.node_id is not None:
        found = [lengths[node] for node in destination.arrival_nodes if node in lengths]
    else:
        found = [lengths[p.u] + p.offset_m for p in destination.edge_points if p.u in lengths]
        found += [p.offset_m for p in destination.edge_points if p.u == origin_node]
    return min(found, default=None)


@lru_cache(maxsize=256)
def _lengths_from(network: RoadGraph, origin_node: str) -> dict[str, float]:
    """Shortest lengths from ``origin_node`` (its departure nodes, for a service area) to every node."""
    sources = node_location(network, origin_node).departure_nodes
    # types-networkx: multi_source_dijkstra_path_length returns float lengths by node
    return dict(nx.multi_source_dijkstra_path_length(network.graph, set(sources), weight="length_m"))


def nearest_road_distance_m(network: RoadGraph, origin_nodes: Iterable[str], destination: Location) -> float | None:
    """The shortest :func:`road_distance_m` from any of ``origin_nodes``, or None if none reaches."""
    found = (road_distance_m(network, node, destination) for node in origin_nodes)
    return min((d for d in found if d is not None), default=None)


@lru_cache(maxsize=16)
def fastest_kmh(network: RoadGraph) -> float:
    """The highest road speed on the network: no coach drives faster anywhere (caps, night and
    weather only slow it), so a road distance over it bounds any drive's time from below."""
    return max(data["speed_kmh"] for _, _, data in network.graph.edges(data=True))
