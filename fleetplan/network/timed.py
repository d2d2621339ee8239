"""The road network as a time-dependent graph for one (conditions, vehicle class, speed rules), and the
earliest-arrival search on it.

Every edge carries its speed in each piece of the day (:meth:`SpeedRules.schedule_mps`); driving an
edge entered at second ``t`` takes :func:`~fleetplan.network.speed.drive_s` whole seconds, and the
next edge is entered at that whole second. Leaving later never arrives earlier (FIFO: a coach that
enters an edge later is never ahead of one that entered it earlier at a speed that depends only on
the clock), so Dijkstra on whole seconds finds the earliest arrival.

What is driven (docs/world-model.md §3): closed edges are not entered; a closed entrance removes its
on-ramps and staff roads; ``fog_50`` on the expressway closes every entrance and every carriageway
edge that leaves an interchange post, so a coach on G1 leaves at the next exit. A coach already on an
edge (a point on a closed edge, or past the interchange) drives off it.
"""

from __future__ import annotations

import heapq
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache

from fleetplan.model import Conditions, RoadClass, VehicleClass, Weather
from fleetplan.network.graph import PostKind
from fleetplan.network.locate import Location
from fleetplan.network.roads import RoadNetwork
from fleetplan.network.speed import SpeedRules, ceil_s, drive_s, piece_at
from fleetplan.units import DAY

Edge = tuple[str, str]
Speeds = tuple[float, ...]  # m/s in each piece of the day (one value when it never changes)
# an edge as searched: head, metres, speeds, and its whole seconds when they never change (else -1)
Step = tuple[str, int, Speeds, int]
Candidate = tuple[int, float, tuple[str, ...], list[Edge]]  # seconds, metres, node path, edges driven
SEARCHES_KEPT = 8192  # earliest-arrival searches kept over all graphs (≈7 kB each); a build asks a few hundred
TWINS_KEPT = 2048  # the latest search per (graph, source, piece of the day), to answer other starts in it

_EXITS = (PostKind.INTERCHANGE.value, PostKind.SECTION_END.value)


@dataclass(frozen=True, eq=False)
class TimedGraph:
    """The edges a coach may enter under one (conditions, vehicle class, rules), with their speeds.

    ``speeds`` holds every edge, closed or not (a coach already on one drives off it); ``adjacency``
    only the edges that may be entered.
    """

    network: RoadNetwork
    marks_s: tuple[int, ...]
    speeds: dict[Edge, Speeds]
    adjacency: dict[str, tuple[Step, ...]]

    def is_open(self, edge: Edge) -> bool:
        return any(step[0] == edge[1] for step in self.adjacency.get(edge[0], ()))

    def drive_s(self, edge: Edge, length_m: float, start_s: int) -> int:
        """Whole seconds to drive ``length_m`` of ``edge`` entering at ``start_s``."""
        return drive_s(length_m, self.speeds[edge], self.marks_s, start_s)

    def earliest(self, source: str, start_s: int, targets: Collection[str]) -> Search:
        """The earliest-arrival search from ``source`` leaving at ``start_s``, run until every node of
        ``targets`` is settled (or none is left to reach).

        Searches are kept per (graph, source, second of the day) — speeds depend on the clock, not
        the date — and resumed when a later question needs nodes they have not settled yet. A search
        from the same source that started earlier or later in the same piece of the day answers too
        when every target is reached before the piece ends for both starts: no speed changed on the
        way for either, so both drive the same seconds on the same edges (exact, not approximate).
        """
        start_s %= DAY
        key = (self, source, start_s)
        with _SEARCH_LOCK:  # a kept search is resumed in place: one thread at a time
            search = _SEARCHES.get(key)
            if search is not None:
                _SEARCHES.move_to_end(key)
                search.settle(targets)
                return search
            piece, left_s = piece_at(self.marks_s, start_s)
            twin = _TWINS.get((self, source, piece))
            if twin is not None:
                twin.settle(targets)
                if twin.settles_within(targets, min(left_s, twin.piece_left_s)):
                    return twin
            search = Search(self, source, start_s, left_s)
            _keep(_SEARCHES, key, search, SEARCHES_KEPT)
            _keep(_TWINS, (self, source, piece), search, TWINS_KEPT)
            search.settle(targets)
        return search

    def best_route(self, origin: Location, destination: Location, start_s: int) -> Candidate | None:
        """(seconds, metres, path, edges) of the earliest arrival leaving at ``start_s``, or None."""
        best = None
        ends = self._arrivals(destination)
        for start, start_at_s, start_m, start_edges in self._departures(origin, start_s) if ends else ():
            search = self.earliest(start, start_at_s, [end for end, _, _ in ends])
            for end, end_m, end_edge in ends:
                if end not in search.settled:
                    continue
                reached_s = start_at_s + search.arrival[end]
                end_s = self.drive_s(end_edge, end_m, reached_s) if end_edge else 0
                path = search.path_to(end)
                edges = list(zip(path, path[1:]))
                length_m = start_m + sum(self.network.graph.edges[e]["length_m"] for e in edges) + end_m
                candidate = (
                    reached_s + end_s - start_s,
                    length_m,
                    tuple(path),
                    start_edges + edges + ([end_edge] if end_edge else []),
                )
                if best is None or candidate[:2] < best[:2]:
                    best = candidate
        for candidate in self._along_one_edge(origin, destination, start_s):
            if best is None or candidate[:2] < best[:2]:
                best = candidate
        return best

    def _departures(self, origin: Location, start_s: int) -> list[tuple[str, int, float, list[Edge]]]:
        """(node, second, metres, edges) to search from: the node(s), or each edge's end after its part.

        Leaving a point on a closed edge is allowed: the vehicle is already there.
        """
        if origin.node_id is not None:
            return [(node, start_s, 0.0, []) for node in origin.departure_nodes if node in self.network.graph]
        return [
            (p.v, start_s + self.drive_s(p.edge, p.remaining_m, start_s), p.remaining_m, [p.edge])
            for p in origin.edge_points
        ]

    def _arrivals(self, destination: Location) -> list[tuple[str, float, Edge | None]]:
        """(node, metres, edge) to reach: the node(s), or each open edge's start and the part to drive."""
        if destination.node_id is not None:
            return [(node, 0.0, None) for node in destination.arrival_nodes]
        return [(p.u, p.offset_m, p.edge) for p in destination.edge_points if self.is_open(p.edge)]

    def _along_one_edge(self, origin: Location, destination: Location, start_s: int) -> Iterable[Candidate]:
        """Both points on the same edge, the destination ahead of the origin: drive straight there."""
        for start in origin.edge_points:
            for end in destination.edge_points:
                if start.edge == end.edge and end.offset_m >= start.offset_m:
                    length_m = end.offset_m - start.offset_m
                    yield self.drive_s(start.edge, length_m, start_s), length_m, (), [start.edge]


_SEARCHES: OrderedDict[tuple[TimedGraph, str, int], Search] = OrderedDict()  # least recently used first
_TWINS: OrderedDict[tuple[TimedGraph, str, int], Search] = OrderedDict()  # by piece of the day
_SEARCH_LOCK = threading.Lock()


def _keep(kept: OrderedDict, key: tuple, search: Search, most: int) -> None:
    kept[key] = search
    kept.move_to_end(key)
    if len(kept) > most:
        kept.popitem(last=False)


class Search:
    """A time-dependent Dijkstra from one node at one second of the day, advanced on demand.

    ``arrival`` holds seconds after the start (final for the ``settled`` nodes), ``before`` the node
    each was reached from. Mutable on purpose: it lives in its graph's cache and is resumed.
    """

    def __init__(self, graph: TimedGraph, source: str, start_s: int, piece_left_s: int) -> None:
        self.graph = graph
        self.source = source
        self.start_s = start_s
        self.piece_left_s = piece_left_s  # seconds from the start to the end of its piece of the day
        self.arrival: dict[str, int] = {source: 0}
        self.before: dict[str, str] = {}
        self.settled: set[str] = set()
        self._queue: list[tuple[int, str]] = [(0, source)]

    def settle(self, targets: Collection[str]) -> None:
        """Settle nodes in order of arrival until every target is settled or the queue is empty."""
        waiting = {t for t in targets if t not in self.settled}
        queue, settled, arrival, before = self._queue, self.settled, self.arrival, self.before
        adjacency, marks = self.graph.adjacency, self.graph.marks_s
        while queue and (waiting or not targets):
            elapsed_s, node = heapq.heappop(queue)
            if node in settled:
                continue
            settled.add(node)
            waiting.discard(node)
            clock_s = self.start_s + elapsed_s
            piece, window_s = piece_at(marks, clock_s)
            for v, length_m, speeds, fixed_s in adjacency.get(node, ()):
                if fixed_s >= 0:
                    step_s = fixed_s
                elif speeds[piece] * window_s >= length_m:  # the edge ends before the next mark: as drive_s
                    step_s = ceil_s(length_m / speeds[piece])
                else:
                    step_s = drive_s(length_m, speeds, marks, clock_s)
                reached_s = elapsed_s + step_s
                if reached_s < arrival.get(v, reached_s + 1):
                    arrival[v] = reached_s
                    before[v] = node
                    heapq.heappush(queue, (reached_s, v))

    def settles_within(self, targets: Collection[str], window_s: int) -> bool:
        """True if every target reached is reached less than ``window_s`` after the start."""
        return all(self.arrival[t] < window_s for t in targets if t in self.settled)

    def path_to(self, end: str) -> list[str]:
        """The nodes from the source to the settled node ``end``."""
        path = [end]
        while path[-1] != self.source:
            path.append(self.before[path[-1]])
        path.reverse()
        return path


@lru_cache(maxsize=128)
def timed_graph(
    network: RoadNetwork, conditions: Conditions, vehicle_class: VehicleClass, rules: SpeedRules
) -> TimedGraph:
    """The :class:`TimedGraph` of ``network`` under ``conditions`` for ``vehicle_class``, cached."""
    speeds: dict[Edge, Speeds] = {}
    adjacency: dict[str, list[Step]] = {}
    marks_s = rules.marks_s
    fog_50 = conditions.weather_on(RoadClass.EXPRESSWAY) is Weather.FOG_50
    for u, v, data in network.graph.edges(data=True):
        road_class = data["road_class"]
        weather = conditions.weather_on(road_class)
        schedule = rules.schedule_mps(road_class, data["speed_kmh"], vehicle_class, weather)
        speeds[u, v] = schedule
        if _may_enter(network, conditions, fog_50, (u, v), data):
            fixed_s = drive_s(data["length_m"], schedule, marks_s, 0) if len(schedule) == 1 else -1
            adjacency.setdefault(u, []).append((v, data["length_m"], schedule, fixed_s))
    return TimedGraph(network, marks_s, speeds, {node: tuple(edges) for node, edges in adjacency.items()})


def _may_enter(network: RoadNetwork, conditions: Conditions, fog_50: bool, edge: Edge, data: dict) -> bool:
    """Closed edges, closed entrances and, in fog below 50 m, every entrance and every carriageway
    edge past an interchange are not entered."""
    if edge in conditions.closed_edges:
        return False
    entrance = data.get("entrance")
    if entrance and (conditions.entrance_closed(entrance) or fog_50):
        return False
    return not (fog_50 and data.get("direction") is not None and _at_exit(network, edge[0]))


def _at_exit(network: RoadNetwork, carriageway_node: str) -> bool:
    post = network.graph.nodes[carriageway_node].get("post")
    return post is not None and network.graph.nodes[post].get("kind") in _EXITS
