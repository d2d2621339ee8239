"""The road network as GeoJSON (RFC 7946: coordinates are [lon, lat], WGS84) for maps and the API."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fleetplan.network.graph import RoadGraph

_NODE_PROPERTIES = ("name", "name_zh", "kind", "tag", "km", "direction")
_EDGE_PROPERTIES = ("name", "road_class", "length_m", "speed_kmh", "direction", "entrance", "tag")


def network_geojson(network: RoadGraph) -> dict[str, Any]:
    """A FeatureCollection: every node as a Point, every directed edge as a two-point LineString.

    Properties carry the node or edge attributes (``id``/``from``/``to``, names, kind, road class,
    length, speed, G1 direction and kilometre post); a two-way road appears once per direction.

    Returns
    -------
    dict
        JSON-serialisable GeoJSON.
    """
    graph = network.graph
    features = [_point(node, data) for node, data in graph.nodes(data=True)]
    features += [_line(u, v, data, graph.nodes[u], graph.nodes[v]) for u, v, data in graph.edges(data=True)]
    return {"type": "FeatureCollection", "features": features}


def _point(node: str, data: dict[str, Any]) -> dict[str, Any]:
    properties = {"feature": "node", "id": node} | _plain(data, _NODE_PROPERTIES)
    return {
        "type": "Feature",
        "id": node,
        "geometry": {"type": "Point", "coordinates": [data["lon"], data["lat"]]},
        "properties": properties,
    }


def _line(u: str, v: str, data: dict[str, Any], start: dict[str, Any], end: dict[str, Any]) -> dict[str, Any]:
    properties = {"feature": "edge", "from": u, "to": v} | _plain(data, _EDGE_PROPERTIES)
    coordinates = [[start["lon"], start["lat"]], [end["lon"], end["lat"]]]
    return {
        "type": "Feature",
        "id": f"{u}->{v}",
        "geometry": {"type": "LineString", "coordinates": coordinates},
        "properties": properties,
    }


def _plain(data: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The attributes present among ``keys``, enums turned into their plain values."""
    return {
        key: data[key].value if isinstance(data[key], Enum) else data[key] for key in keys if data.get(key) is not None
    }
