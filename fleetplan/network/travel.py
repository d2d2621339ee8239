"""Travel times and shortest routes for a vehicle class, a departure time and road conditions.

Speed on an edge, in this order:

1. the day limit: ``min(free-flow speed, legal cap for the vehicle class on that road class)``
   (coaches ≤100 km/h on expressways, 实施条例 Art. 78);
2. at night (22:00–06:00) at most 80 % of the day limit (道路运输车辆动态监督管理办法);
3. weather on that road class (:meth:`Conditions.weather_on`): a factor, then a cap — icy or snowy
   surface ≤30 km/h (Art. 46), blizzard visibility <100 m ≤40 km/h (Art. 81);
4. city congestion by time band (streets only): morning and evening peaks are slower.

Edge times are whole seconds (:func:`fleetplan.units.travel_time_s`, rounded up). Closed edges and the
on-ramps of closed entrances are removed; vehicles already on the expressway (an origin on a
carriageway or at a service-area parking) keep their way and may leave at any exit.

The time band of the **departure** applies to the whole route: trips here last one to three hours and
the bands are coarse, so a route that crosses a band boundary is costed at its starting band.

Weighted graphs are built once per (network, conditions, vehicle class, band, rules) and cached;
single-source shortest paths are cached per source, so a solver asking many pairs is fast.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from functools import lru_cache

import networkx as nx

from fleetplan.errors import InvalidValueError, NoRouteError
from fleetplan.model import Conditions, RoadClass, VehicleClass, Weather, require
from fleetplan.network.locate import Location
from fleetplan.network.roads import RoadNetwork
from fleetplan.units import format_hhmm, travel_time_s


class TimeBand(StrEnum):
    """Coarse time-of-day bands: the cache key for travel times."""

    NIGHT = "night"  # 22:00–06:00: night speed cap, free-flowing streets
    MORNING_PEAK = "morning_peak"  # 07:00–09:00
    DAY = "day"  # 06:00–07:00, 09:00–17:00, 19:00–22:00
    EVENING_PEAK = "evening_peak"  # 17:00–19:00


NIGHT_START = time(22, 0)
NIGHT_END = time(6, 0)
_PEAKS = ((time(7, 0), time(9, 0), TimeBand.MORNING_PEAK), (time(17, 0), time(19, 0), TimeBand.EVENING_PEAK))


def time_band(moment: datetime | time) -> TimeBand:
    """The time band of a clock time (local, naive)."""
    clock = moment.time() if isinstance(moment, datetime) else moment
    if clock >= NIGHT_START or clock < NIGHT_END:
        return TimeBand.NIGHT
    for start, end, band in _PEAKS:
        if start <= clock < end:
            return band
    return TimeBand.DAY


@dataclass(frozen=True)
class WeatherEffect:
    """How a weather condition changes speed: multiply by ``factor``, then cap at ``cap_kmh``."""

    factor: float
    cap_kmh: float | None = None

    def __post_init__(self) -> None:
        require(0 < self.factor <= 1, "factor", f"{self.factor} is outside (0, 1]")
        require(self.cap_kmh is None or self.cap_kmh > 0, "cap_kmh", "must be positive")


@dataclass(frozen=True)
class SpeedRules:
    """Legal caps, night rule, weather effects and city congestion (E where not cited)."""

    # the same for every coach class of the fleet; a lookup by vehicle class keeps the door open
    coach_cap_kmh: tuple[tuple[RoadClass, float], ...] = (
        (RoadClass.EXPRESSWAY, 100.0),  # 实施条例 Art. 78
        (RoadClass.RAMP, 60.0),
        (RoadClass.NATIONAL, 80.0),
        (RoadClass.CITY, 60.0),
    )
    night_factor: float = 0.8  # night limit: 80 % of the day limit
    weather: tuple[tuple[Weather, WeatherEffect], ...] = (
        (Weather.CLEAR, WeatherEffect(1.0)),
        (Weather.RAIN, WeatherEffect(0.85)),
        (Weather.SNOW, WeatherEffect(0.6)),  # falling snow, ploughed road (E)
        (Weather.ICE, WeatherEffect(1.0, 30.0)),  # icy or snow-covered surface: ≤30 km/h (Art. 46)
        (Weather.BLIZZARD, WeatherEffect(0.6, 40.0)),  # visibility <100 m: ≤40 km/h (Art. 81)
    )
    city_congestion: tuple[tuple[TimeBand, float], ...] = (
        (TimeBand.NIGHT, 1.0),
        (TimeBand.MORNING_PEAK, 0.6),
        (TimeBand.DAY, 0.85),
        (TimeBand.EVENING_PEAK, 0.6),
    )

    def __post_init__(self) -> None:
        require(0 < self.night_factor <= 1, "night_factor", f"{self.night_factor} is outside (0, 1]")
        require(set(dict(self.weather)) == set(Weather), "weather", "needs an effect for every weather")
        require(set(dict(self.coach_cap_kmh)) == set(RoadClass), "coach_cap_kmh", "needs a cap for every road class")
        require(set(dict(self.city_congestion)) == set(TimeBand), "city_congestion", "needs a factor for every band")

    def speed_kmh(
        self, road_class: RoadClass, free_flow_kmh: float, vehicle_class: VehicleClass, weather: Weather, band: TimeBand
    ) -> float:
        """Speed on an edge of ``road_class`` with free-flow speed ``free_flow_kmh``.

        Returns
        -------
        float
            km/h after the legal cap, the night cap, weather and (streets only) congestion.
        """
        day_limit = min(free_flow_kmh, self.cap_kmh(vehicle_class, road_class))
        speed = day_limit * self.night_factor if band is TimeBand.NIGHT else day_limit
        effect = dict(self.weather)[weather]
        speed *= effect.factor
        if effect.cap_kmh is not None:
            speed = min(speed, effect.cap_kmh)
        if road_class is RoadClass.CITY:
            speed *= dict(self.city_congestion)[band]
        return speed

    def cap_kmh(self, vehicle_class: VehicleClass, road_class: RoadClass) -> float:
        """Legal speed cap of a vehicle class on a road class."""
        return dict(self.coach_cap_kmh)[road_class]


DEFAULT_SPEED_RULES = SpeedRules()


@dataclass(frozen=True)
class Route:
    """A shortest route. ``path`` lists the nodes passed, in order (for a point on an edge it starts at
    the edge's end, and it is empty between two points of the same edge); ``roads`` names the roads
    used in order (ramps left out), e.g. ``("Siping streets", "G1", "Changchun streets")``."""

    origin: Location
    destination: Location
    path: tuple[str, ...]
    length_m: int
    travel_time_s: int
    roads: tuple[str, ...]
    road_classes: frozenset[RoadClass]
    band: TimeBand

    def uses(self, road: str) -> bool:
        """True if the route uses the named road (``"G1"``, ``"G102"``, …)."""
        return road in self.roads


@dataclass(frozen=True)
class TravelTimes:
    """Shortest routes on ``network`` for ``vehicle_class`` under ``conditions``.

    Parameters
    ----------
    network
        The road network.
    conditions
        Weather per road class, closed edges and closed entrances.
    vehicle_class
        A :class:`VehicleClass` or its value.
    rules
        Speed rules; :data:`DEFAULT_SPEED_RULES` unless a study needs others.

    Raises
    ------
    InvalidValueError
        If the conditions close an edge or an entrance the network does not have (a typo there
        would silently close nothing).
    """

    network: RoadNetwork
    conditions: Conditions
    vehicle_class: VehicleClass
    rules: SpeedRules = field(default=DEFAULT_SPEED_RULES)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "vehicle_class", VehicleClass(self.vehicle_class))
        except ValueError:
            raise InvalidValueError(
                "vehicle_class", f"{self.vehicle_class!r} is not one of {', '.join(VehicleClass)}"
            ) from None
        check_conditions(self.network, self.conditions)

    def route(self, origin: Location | str, destination: Location | str, depart_at: datetime) -> Route:
        """The fastest route from ``origin`` to ``destination`` leaving at ``depart_at``.

        Parameters
        ----------
        origin, destination
            Locations, or texts that :meth:`RoadNetwork.locate` resolves.
        depart_at
            Local departure time; its time band applies to the whole route.

        Returns
        -------
        Route

        Raises
        ------
        NoRouteError
            If the destination cannot be reached under these conditions; the message names both
            ends, the vehicle class, the departure time and the conditions.
        LocationError
            If a text cannot be resolved.
        """
        origin, destination = self._resolve(origin), self._resolve(destination)
        band = time_band(depart_at)
        weighted = _weighted_graph(self.network, self.conditions, self.vehicle_class, band, self.rules)
        if origin.key == destination.key:
            path: tuple[str, ...] = (origin.node_id,) if origin.node_id else ()
            return Route(origin, destination, path, 0, 0, (), frozenset(), band)
        best = weighted.best_route(origin, destination)
        if best is None:
            raise NoRouteError(self._no_route_message(origin, destination, depart_at))
        time_s, length_m, path, edges = best
        return Route(
            origin,
            destination,
            path,
            round(length_m),
            time_s,
            self._road_names(edges),
            frozenset(self.network.graph.edges[e]["road_class"] for e in edges),
            band,
        )

    def travel_time_s(self, origin: Location | str, destination: Location | str, depart_at: datetime) -> int:
        """Seconds of the fastest route; see :meth:`route`."""
        return self.route(origin, destination, depart_at).travel_time_s

    def edge_time_s(self, u: str, v: str, depart_at: datetime) -> int:
        """Seconds to drive the whole edge ``u → v`` at ``depart_at`` (closed edges included)."""
        weighted = _weighted_graph(self.network, self.conditions, self.vehicle_class, time_band(depart_at), self.rules)
        return travel_time_s(self.network.graph.edges[u, v]["length_m"], weighted.speed_kmh[u, v])

    def _resolve(self, location: Location | str) -> Location:
        return location if isinstance(location, Location) else self.network.locate(location)

    def _road_names(self, edges: Iterable[tuple[str, str]]) -> tuple[str, ...]:
        names: list[str] = []
        for edge in edges:
            data = self.network.graph.edges[edge]
            if data["road_class"] is not RoadClass.RAMP and (not names or names[-1] != data["name"]):
                names.append(data["name"])
        return tuple(names)

    def _no_route_message(self, origin: Location, destination: Location, depart_at: datetime) -> str:
        details = [
            f"weather {', '.join(f'{c.value} {w.value}' for c, w in self.conditions.weather)}"
            if self.conditions.weather
            else "clear weather"
        ]
        if self.conditions.closed_entrances:
            closed = sorted(self.conditions.closed_entrances)
            details.append("all G1 entrances closed" if "*" in closed else f"entrances closed at {', '.join(closed)}")
        if self.conditions.closed_edges:
            details.append(f"closed roads {', '.join(f'{u}→{v}' for u, v in sorted(self.conditions.closed_edges))}")
        return (
            f"no route from {origin.describe()} to {destination.describe()} for a {self.vehicle_class.value} "
            f"leaving at {format_hhmm(depart_at)} under conditions {self.conditions.name!r} ({'; '.join(details)})"
        )


def check_conditions(network: RoadNetwork, conditions: Conditions) -> None:
    """Raise :class:`InvalidValueError` if ``conditions`` close edges or entrances ``network`` lacks."""
    for u, v in sorted(conditions.closed_edges):
        if not network.graph.has_edge(u, v):
            raise InvalidValueError("closed_edges", f"{u} → {v} is not a road of the network")
    unknown = sorted(conditions.closed_entrances - network.entrances - {"*"})
    if unknown:
        raise InvalidValueError(
            "closed_entrances",
            f"{', '.join(unknown)} is not an expressway entrance; entrances are {', '.join(sorted(network.entrances))}",
        )


# --------------------------------------------------------------------------- the cached weighted graph
Edge = tuple[str, str]
Anchor = tuple[str, int, float, list[Edge]]  # node, seconds and metres of a partial edge, that edge
Candidate = tuple[int, float, tuple[str, ...], list[Edge]]  # seconds, metres, node path, edges driven


@dataclass(frozen=True, eq=False)
class _WeightedGraph:
    """The open edges of the network weighted in whole seconds for one (conditions, class, band)."""

    network: RoadNetwork
    graph: nx.DiGraph  # open edges only, weight "time_s"
    speed_kmh: dict[Edge, float]  # every edge, open or closed
    _shortest: dict[str, tuple[dict[str, int], dict[str, list[str]]]] = field(default_factory=dict)

    def shortest_from(self, source: str) -> tuple[dict[str, int], dict[str, list[str]]]:
        """Single-source Dijkstra from ``source`` (seconds and paths), cached."""
        if source not in self._shortest:
            # types-networkx gap: no overload on ``target`` (its TODO) and float distances; with no target and
            # whole-second int weights this is (seconds by node, path by node)
            shortest = nx.single_source_dijkstra(self.graph, source, weight="time_s")
            self._shortest[source] = shortest  # type: ignore[assignment]
        return self._shortest[source]

    def part_time_s(self, edge: Edge, length_m: float) -> int:
        """Seconds to drive ``length_m`` of ``edge`` (a virtually split edge), rounded up."""
        return travel_time_s(length_m, self.speed_kmh[edge]) if length_m > 0 else 0

    def best_route(self, origin: Location, destination: Location) -> Candidate | None:
        """(seconds, metres, path, edges) of the fastest way, or None if there is none."""
        best = None
        for start, start_s, start_m, start_edges in self._departures(origin):
            times, paths = self.shortest_from(start)
            for end, end_s, end_m, end_edges in self._arrivals(destination):
                if end not in times:
                    continue
                path = paths[end]
                edges = start_edges + list(zip(path, path[1:])) + end_edges
                length_m = start_m + sum(self.network.graph.edges[e]["length_m"] for e in zip(path, path[1:])) + end_m
                candidate = (start_s + times[end] + end_s, length_m, tuple(path), edges)
                if best is None or candidate[:2] < best[:2]:
                    best = candidate
        for candidate in self._along_one_edge(origin, destination):
            if best is None or candidate[:2] < best[:2]:
                best = candidate
        return best

    def _departures(self, origin: Location) -> list[Anchor]:
        """(node, seconds, metres, edges) to start Dijkstra from: the node(s), or each edge's end.

        Leaving a point on a closed edge is allowed: the vehicle is already there.
        """
        if origin.node_id is not None:
            return [(node, 0, 0.0, []) for node in origin.departure_nodes if node in self.graph]
        return [(p.v, self.part_time_s(p.edge, p.remaining_m), p.remaining_m, [p.edge]) for p in origin.edge_points]

    def _arrivals(self, destination: Location) -> list[Anchor]:
        """(node, seconds, metres, edges) where Dijkstra must reach: the node(s), or each open edge's start."""
        if destination.node_id is not None:
            return [(node, 0, 0.0, []) for node in destination.arrival_nodes]
        return [
            (p.u, self.part_time_s(p.edge, p.offset_m), p.offset_m, [p.edge])
            for p in destination.edge_points
            if self.graph.has_edge(*p.edge)
        ]

    def _along_one_edge(self, origin: Location, destination: Location) -> Iterable[Candidate]:
        """Both points on the same edge, the destination ahead of the origin: drive straight there."""
        for start in origin.edge_points:
            for end in destination.edge_points:
                if start.edge == end.edge and end.offset_m >= start.offset_m:
                    length_m = end.offset_m - start.offset_m
                    yield self.part_time_s(start.edge, length_m), length_m, (), [start.edge]


@lru_cache(maxsize=128)
def _weighted_graph(
    network: RoadNetwork, conditions: Conditions, vehicle_class: VehicleClass, band: TimeBand, rules: SpeedRules
) -> _WeightedGraph:
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(network.graph.nodes)
    speeds = {}
    for u, v, data in network.graph.edges(data=True):
        road_class = data["road_class"]
        speed = rules.speed_kmh(road_class, data["speed_kmh"], vehicle_class, conditions.weather_on(road_class), band)
        speeds[u, v] = speed
        if (u, v) in conditions.closed_edges:
            continue
        if data.get("entrance") and conditions.entrance_closed(data["entrance"]):
            continue
        graph.add_edge(u, v, time_s=travel_time_s(data["length_m"], speed))
    return _WeightedGraph(network, nx.freeze(graph), speeds)
