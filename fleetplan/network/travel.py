"""Travel times and fastest routes for a vehicle class, a departure time and road conditions.

The speed on an edge follows docs/world-model.md §2 (:mod:`fleetplan.network.speed`): the road speed
times city congestion and a weather factor, capped by the legal cap, the night cap (80 % of it, in
the policy's night window) and a weather cap — a snow-covered or icy road ≤30 km/h (实施条例 Art. 46),
visibility below 200/100/50 m ≤60/40/20 km/h (Art. 81). Speed depends on the clock **along the way**:
a coach on G1 at 21:55 slows down at 22:00. Each edge is driven from its entry second through the
pieces of the day it spans and takes whole seconds (rounded up); the next edge is entered at that
second; a time-dependent Dijkstra finds the earliest arrival (:mod:`fleetplan.network.timed`).

Closed edges and the on-ramps of closed entrances are not entered; vehicles already on the
expressway (an origin on a carriageway or at a service-area parking) keep their way and may leave at
any exit; in fog below 50 m on the expressway no coach enters it and one on it leaves at the next
interchange.

The night window is the driving policy's (:meth:`SpeedRules.for_policy`), so the driving rules and the
speeds share one night. Time-dependent graphs are cached per (network, conditions, vehicle class,
rules), earliest-arrival searches per (source, second of the day): results are exact to the second.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from fleetplan.errors import InvalidValueError, NoRouteError
from fleetplan.model import Conditions, RoadClass, VehicleClass, Weather
from fleetplan.network.locate import Location
from fleetplan.network.roads import RoadNetwork
from fleetplan.network.speed import DEFAULT_SPEED_RULES, SpeedRules, TimeBand, time_band
from fleetplan.network.timed import TimedGraph, timed_graph
from fleetplan.phrase import Where, where_of
from fleetplan.units import format_hhmm, seconds_since_midnight


@dataclass(frozen=True)
class Route:
    """A shortest route. ``path`` lists the nodes passed, in order (for a point on an edge it starts at
    the edge's end, and it is empty between two points of the same edge); ``roads`` names the roads
    used in order (ramps left out), e.g. ``("Siping streets", "G1", "Changchun streets")``; ``band`` is
    the time band of the departure (the route itself is priced by the clock along the way)."""

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
class NoRoute:
    """Why a route was not found, as facts: its ends, the coach class, the departure and the conditions."""

    origin: Where
    destination: Where
    vehicle_class: VehicleClass
    depart_at: datetime
    conditions: Conditions


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
        Speed rules; pass ``SpeedRules.for_policy(dataset.driving_policy)`` so that the night of the
        speeds is the policy's. :data:`DEFAULT_SPEED_RULES` has the regulation default night
        (22:00–06:00, as the default ``policy.toml``).

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
            Local departure time (seconds below one are dropped); every edge is priced by the clock
            when the vehicle drives it.

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
        band = time_band(depart_at, self.rules)
        if origin.key == destination.key:
            path: tuple[str, ...] = (origin.node_id,) if origin.node_id else ()
            return Route(origin, destination, path, 0, 0, (), frozenset(), band)
        best = self._timed.best_route(origin, destination, seconds_since_midnight(depart_at))
        if best is None:
            finding = NoRoute(where_of(origin), where_of(destination), self.vehicle_class, depart_at, self.conditions)
            raise NoRouteError(self._no_route_message(origin, destination, depart_at), finding)
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
        """Seconds to drive the whole edge ``u → v`` entered at ``depart_at`` (closed edges included)."""
        length_m = self.network.graph.edges[u, v]["length_m"]
        return self._timed.drive_s((u, v), length_m, seconds_since_midnight(depart_at))

    @cached_property
    def _timed(self) -> TimedGraph:
        # looked up once per instance: hashing the conditions and rules on every route adds up in a build
        return timed_graph(self.network, self.conditions, self.vehicle_class, self.rules)

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
        if self.conditions.weather_on(RoadClass.EXPRESSWAY) is Weather.FOG_50:
            details.append("visibility below 50 m on G1: no coach enters it, one on it leaves at the next exit")
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
