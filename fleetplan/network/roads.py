"""The road network callers use: the frozen road graph, plus locating places on it and GeoJSON.

:class:`RoadNetwork` sits above :mod:`~fleetplan.network.graph` (the data structure),
:mod:`~fleetplan.network.locate` and :mod:`~fleetplan.network.geojson`, so that dependencies
point one way: neither of those imports this module, and the graph imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fleetplan.network.geojson import network_geojson
from fleetplan.network.graph import RoadGraph
from fleetplan.network.locate import Location, locate

# Where a coach may stop for a driver's rest of 20 min or more (world-model §6): off the expressway at
# a depot, a stop or a town, or in a service area's parking; never on a carriageway, a ramp or at a
# street junction.
REST_PLACE_KINDS = frozenset({"depot", "stop", "town", "parking"})


@dataclass(frozen=True, eq=False)
class RoadNetwork(RoadGraph):
    """A validated, frozen road graph and the G1 kilometre posts (empty for an OSM extract), with
    :meth:`locate`, :meth:`path_passes` and :meth:`to_geojson`.

    Equality and hashing are by identity: a network is loaded once and shared, which also makes it a
    cheap cache key for travel times.
    """

    def locate(self, text: str) -> Location:
        """Resolve a location text; see :func:`fleetplan.network.locate.locate`."""
        return locate(self, text)

    def path_passes(self, path: tuple[str, ...] | list[str], location: Location) -> bool:
        """True if a vehicle driving the node ``path`` passes ``location`` and could stop there.

        A point on an edge is passed when the path drives that edge; a node when the path visits it
        or, for a service area, drives past its parking on either side (the coach can pull in).
        """
        if location.node_id is None:
            driven = set(zip(path, path[1:]))
            return any(point.edge in driven for point in location.edge_points)
        return not self.stop_nodes(location).isdisjoint(path)

    def stop_nodes(self, location: Location) -> frozenset[str]:
        """The nodes at which a vehicle passes ``location``, a node, and could stop there: the node, its
        arrival nodes, and the carriageway node beside a service area's parking."""
        assert location.node_id is not None  # a point on an edge is passed by its edge (path_passes)
        stops = {location.node_id, *location.arrival_nodes}
        for node in location.arrival_nodes:
            if self.graph.nodes[node].get("kind") == "parking":
                stops.update(self.graph.predecessors(node))  # the carriageway node beside the parking
        return frozenset(stops)

    def rest_places_on(self, path: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        """The rest places a coach driving the node ``path`` passes, in order: the depots, stops and
        towns it visits, and the parking beside each service-area carriageway node it drives by."""
        found: list[str] = []
        for node in path:
            if self.graph.nodes[node].get("kind") in REST_PLACE_KINDS:
                found.append(node)
            found += [n for n in self.graph.successors(node) if self.graph.nodes[n].get("kind") == "parking"]
        return tuple(dict.fromkeys(found))

    def to_geojson(self) -> dict[str, Any]:
        """The network as a GeoJSON FeatureCollection; see :func:`fleetplan.network.geojson.network_geojson`."""
        return network_geojson(self)
