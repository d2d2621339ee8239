"""The oracle's own shortest paths: a time-dependent Dijkstra on whole seconds (earliest arrival, ties
to the shorter length) and a plain Dijkstra on length for road distances (world-model §2, §3, §5).

Both are the textbook algorithm with :mod:`heapq`; the graph is small (about fifty nodes), so each
query runs to completion. FIFO holds (leaving later never arrives earlier), which is what makes the
label-setting search correct with time-dependent edge times.
"""

from __future__ import annotations

import functools
import heapq
import itertools
from dataclasses import dataclass, field
from fractions import Fraction

from fleetplan.oracle.places import EdgePoint, Place, arrival_nodes
from fleetplan.oracle.roads import Edge, Graph, is_open
from fleetplan.oracle.speed import drive_s
from fleetplan.oracle.world import Policy, Preset


@dataclass(frozen=True)
class Route:
    """The earliest way: whole seconds, metres, and the edges driven, each as (edge, from the offset,
    to the offset) in metres from the edge's start (a whole edge is ``(edge, 0, length)``)."""

    seconds: int
    length_m: Fraction
    legs: tuple[tuple[Edge, Fraction, Fraction], ...] = ()

    @property
    def nodes(self) -> tuple[str, ...]:
        """The nodes passed in order (edge ends, after the first edge's start)."""
        if not self.legs:
            return ()
        return (self.legs[0][0].start, *(edge.end for edge, _, _ in self.legs))


@dataclass(frozen=True)
class Router:
    """Earliest-arrival queries on ``graph`` under ``preset`` and ``policy``, remembered per query."""

    graph: Graph
    preset: Preset
    policy: Policy
    # The weather holds from this second on (None: always); before it the roads were clear, as they
    # were for a coach on its way before the conditions were reported.
    weather_from_s: int | None = None
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    def part_s(self, edge: Edge, length_m: Fraction | int, t0: int) -> int:
        """Seconds to drive ``length_m`` of ``edge`` entered at ``t0``, under this preset's weather."""
        weather = self.preset.weather_on(edge.road_class)
        return drive_s(length_m, t0, edge.road_class, edge.speed_kmh, weather, self.policy, self.weather_from_s)

    def fastest(self, origin: Place, destination: Place, t0: int, ignore_entrances: bool = False) -> Route | None:
        """The earliest arrival from ``origin`` leaving at ``t0`` (seconds since the epoch), or None.

        ``ignore_entrances`` keeps closed entrances open: a coach already on its way on G1 when the
        entrances close drives on along G1 (world-model §6).
        """
        key = (origin.key, destination.key, t0, ignore_entrances)
        if key not in self._memo:
            self._memo[key] = self._search(origin, destination, t0, ignore_entrances)
        return self._memo[key]

    def along(self, route: Route, place: Place, t0: int) -> int | None:
        """Seconds to drive ``route``'s own edges from its start, entered at ``t0``, until ``place``
        (a coach under way keeps to its course, §6); None if the route does not pass it. At a service
        area the coach pulls into the parking of its side."""
        t = t0
        for edge, low, high in route.legs:
            for point in place.points:
                if edge == point.edge and low <= point.offset_m <= high:
                    return t + self.part_s(edge, point.offset_m - low, t) - t0
            t += self.part_s(edge, high - low, t)
            if place.node is not None:
                if edge.end in (place.node, *arrival_nodes(self.graph, place.node)):
                    return t - t0
                for parking in self.graph.parkings.get(place.node, ()):
                    slip = self.graph.edge(edge.end, parking)
                    if slip is not None:
                        return t + self.part_s(slip, slip.length_m, t) - t0
        return None

    # ------------------------------------------------------------------ the search
    def _open(self, edge: Edge, ignore_entrances: bool) -> bool:
        if ignore_entrances and edge.entrance is not None and (edge.start, edge.end) not in self.preset.closed_edges:
            return True
        return is_open(edge, self.preset)

    def _sources(self, origin: Place, t0: int) -> list[tuple[int, Fraction, str, tuple]]:
        """(time, metres, node, legs) to start from; a coach on an edge drives off it even if closed."""
        if origin.node is not None:
            return [(t0, Fraction(0), origin.node, ())]
        return [
            (
                t0 + self.part_s(p.edge, p.remaining_m, t0),
                p.remaining_m,
                p.edge.end,
                ((p.edge, p.offset_m, Fraction(p.edge.length_m)),),
            )
            for p in origin.points
        ]

    def _search(self, origin: Place, destination: Place, t0: int, ignore_entrances: bool) -> Route | None:
        if origin.key == destination.key:
            return Route(0, Fraction(0))
        if destination.node is not None:
            targets = set(arrival_nodes(self.graph, destination.node))
        else:
            targets = {point.edge.start for point in destination.points}
        labels = self._labels(origin, t0, ignore_entrances, targets)
        candidates: list[tuple[int, Fraction, tuple]] = []
        if destination.node is not None:
            for node in arrival_nodes(self.graph, destination.node):
                if node in labels:
                    candidates.append(labels[node])
        else:
            for point in destination.points:
                candidates += self._into_point(labels, point, ignore_entrances)
            candidates += self._along_one_edge(origin, destination, t0)
        if not candidates:
            return None
        t, length, legs = min(candidates, key=lambda c: (c[0], c[1]))
        return Route(t - t0, length, legs)

    def _labels(
        self, origin: Place, t0: int, ignore_entrances: bool, targets: set[str]
    ) -> dict[str, tuple[int, Fraction, tuple]]:
        """Earliest (time, metres, legs) at every node settled until all ``targets`` are (a node is
        settled at its earliest arrival, so the search stops there: the rest cannot change them)."""
        counter = itertools.count()
        heap = [(t, m, next(counter), node, legs) for t, m, node, legs in self._sources(origin, t0)]
        heapq.heapify(heap)
        settled: dict[str, tuple[int, Fraction, tuple]] = {}
        waiting = set(targets)
        while heap and waiting:
            t, metres, _, node, legs = heapq.heappop(heap)
            if node in settled:
                continue
            settled[node] = (t, metres, legs)
            waiting.discard(node)
            for edge in self.graph.out.get(node, ()):
                if edge.end in settled or not self._open(edge, ignore_entrances):
                    continue
                arrival = t + self.part_s(edge, edge.length_m, t)
                driven = (*legs, (edge, Fraction(0), Fraction(edge.length_m)))
                heapq.heappush(heap, (arrival, metres + edge.length_m, next(counter), edge.end, driven))
        return settled

    def _into_point(self, labels: dict, point: EdgePoint, ignore_entrances: bool) -> list[tuple[int, Fraction, tuple]]:
        if point.edge.start not in labels or not self._open(point.edge, ignore_entrances):
            return []
        t, metres, legs = labels[point.edge.start]
        driven = (*legs, (point.edge, Fraction(0), point.offset_m))
        return [(t + self.part_s(point.edge, point.offset_m, t), metres + point.offset_m, driven)]

    def _along_one_edge(self, origin: Place, destination: Place, t0: int) -> list[tuple[int, Fraction, tuple]]:
        """Both points on one edge, the destination ahead: straight there."""
        found = []
        for start in origin.points:
            for end in destination.points:
                if start.edge == end.edge and end.offset_m >= start.offset_m:
                    part = end.offset_m - start.offset_m
                    legs = ((start.edge, start.offset_m, end.offset_m),)
                    found.append((t0 + self.part_s(start.edge, part, t0), part, legs))
        return found


# --------------------------------------------------------------------------- road distance (§5)
@functools.lru_cache(maxsize=4096)
def lengths_from(graph: Graph, node: str) -> dict[str, Fraction]:
    """Shortest metres from ``node`` to every node, all roads open. Remembered per graph (compared by
    identity) and node: every tier of every plan asks for the depots' and backups' distances again, and
    they depend on nothing else. The dict is shared: callers only read it."""
    counter = itertools.count()
    heap: list[tuple[Fraction, int, str]] = [(Fraction(0), next(counter), node)]
    settled: dict[str, Fraction] = {}
    while heap:
        metres, _, here = heapq.heappop(heap)
        if here in settled:
            continue
        settled[here] = metres
        for edge in graph.out.get(here, ()):
            if edge.end not in settled:
                heapq.heappush(heap, (metres + edge.length_m, next(counter), edge.end))
    return settled


def road_distance_m(graph: Graph, node: str, destination: Place) -> Fraction | None:
    """Shortest road distance from ``node`` to ``destination`` on the directed network, or None."""
    lengths = lengths_from(graph, node)
    if destination.node is not None:
        found = [lengths[n] for n in arrival_nodes(graph, destination.node) if n in lengths]
    else:
        found = [lengths[p.edge.start] + p.offset_m for p in destination.points if p.edge.start in lengths]
    return min(found, default=None)


def passes(route: Route, graph: Graph, place: Place) -> bool:
    """Whether a coach driving ``route`` passes ``place`` and could stop there: it drives the edge the
    point lies on (up to the point), visits the node, or drives by the parking of its own side."""
    if place.node is not None:
        stops = set(arrival_nodes(graph, place.node)) | {place.node}
        beside = {edge.start for p in graph.parkings.get(place.node, ()) for edge in graph.edges if edge.end == p}
        return bool(set(route.nodes) & (stops | beside))
    return any(edge == p.edge and low <= p.offset_m <= high for edge, low, high in route.legs for p in place.points)
