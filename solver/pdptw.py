"""Pickup and delivery with time windows (PDPTW): the problem, the Li & Lim reader and a checker.

This module is solver-free. :class:`PdpProblem` is domain-neutral: nodes with a time window, a
service time and a demand; pickup→delivery pairs; vehicles with a capacity and their own start and
end nodes (rescue coaches may stand at different depots). Times and distances are floats in any
consistent unit (Li & Lim: Euclidean distance, travel time = distance; the corridor: seconds and
metres). The OR-Tools adapter lives in :mod:`solver.routing`.

:func:`check_pdp_solution` re-derives every time, load and precedence from the routes alone; it
shares no code with the model, so solver tests can use it as their oracle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from fleetplan.errors import DataProblem, DataValidationError, InvalidValueError

# Slack for float comparisons in the checker: coordinates and windows in Li & Lim are integers, so a
# genuine violation is far larger than rounding noise.
TIME_TOLERANCE = 1e-6

Matrix = tuple[tuple[float, ...], ...]


def _require(condition: bool, field_name: str, problem: str) -> None:
    if not condition:
        raise InvalidValueError(field_name, problem)


@dataclass(frozen=True)
class PdpProblem:
    """A pickup-and-delivery problem with time windows and capacities.

    Parameters
    ----------
    distance
        Square matrix, ``distance[i][j]`` is the cost of driving from node ``i`` to ``j``.
    travel_time
        Square matrix of driving times in the unit of the windows; empty means "same as distance"
        (read :attr:`time_matrix`).
    time_windows
        ``(earliest, latest)`` start of service per node; for a start or end node it bounds the
        departure from or the return to that depot.
    service_times
        Time spent at each node before leaving it.
    demands
        Load change at each node: positive at a pickup, the opposite at its delivery, 0 at depots.
    pairs
        ``(pickup, delivery)`` node pairs; every node that is not a start or end node belongs to
        exactly one pair.
    vehicle_count, capacity
        Fleet size and the capacity of each vehicle (``capacities`` overrides it per vehicle).
    depot
        Start and end node of every vehicle unless ``starts`` / ``ends`` say otherwise.
    starts, ends
        Per-vehicle start and end nodes (empty: all at ``depot``; read :attr:`vehicle_starts`,
        :attr:`vehicle_ends`).
    capacities
        Per-vehicle capacities (empty: all ``capacity``; read :attr:`vehicle_capacities`).
    name
        A label for reports.
    """

    distance: Matrix
    time_windows: tuple[tuple[float, float], ...]
    service_times: tuple[float, ...]
    demands: tuple[int, ...]
    pairs: tuple[tuple[int, int], ...]
    vehicle_count: int
    capacity: int
    travel_time: Matrix = ()
    depot: int = 0
    starts: tuple[int, ...] = ()
    ends: tuple[int, ...] = ()
    capacities: tuple[int, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        self._validate_sizes()
        self._validate_nodes()
        self._validate_pairs()

    # ----------------------------------------------------------------------- validation
    def _validate_sizes(self) -> None:
        n = len(self.distance)
        _require(n >= 1, "distance", "needs at least one node")
        for name, matrix in (("distance", self.distance), ("travel_time", self.time_matrix)):
            _require(len(matrix) == n and all(len(row) == n for row in matrix), name, f"must be {n}×{n}")
            _require(
                all(value >= 0 and math.isfinite(value) for row in matrix for value in row),
                name,
                "must hold finite, non-negative values",
            )
        for name in ("time_windows", "service_times", "demands"):
            _require(len(getattr(self, name)) == n, name, f"must have one entry per node ({n})")
        _require(self.vehicle_count >= 1, "vehicle_count", f"{self.vehicle_count} must be at least 1")
        for name in ("starts", "ends", "capacities"):
            given = len(getattr(self, name))
            _require(
                given in (0, self.vehicle_count),
                name,
                f"must be empty or have one entry per vehicle ({self.vehicle_count}), not {given}",
            )
        _require(all(c >= 0 for c in self.vehicle_capacities), "capacities", "must not be negative")

    def _validate_nodes(self) -> None:
        n = self.node_count
        for field_name, nodes in (
            ("depot", (self.depot,)),
            ("starts", self.vehicle_starts),
            ("ends", self.vehicle_ends),
        ):
            _require(all(0 <= node < n for node in nodes), field_name, f"node outside 0–{n - 1}")
        for node, (earliest, latest) in enumerate(self.time_windows):
            _require(earliest <= latest, "time_windows", f"node {node}: earliest {earliest} is after latest {latest}")
        _require(all(s >= 0 for s in self.service_times), "service_times", "must not be negative")
        for node in self.depot_nodes:
            _require(self.demands[node] == 0, "demands", f"depot node {node} must have demand 0")

    def _validate_pairs(self) -> None:
        seen: set[int] = set()
        for pickup, delivery in self.pairs:
            for node in (pickup, delivery):
                _require(0 <= node < self.node_count, "pairs", f"node {node} is outside the problem")
                _require(node not in self.depot_nodes, "pairs", f"node {node} is a start or end node")
                _require(node not in seen, "pairs", f"node {node} is in more than one pair")
                seen.add(node)
            _require(pickup != delivery, "pairs", f"pickup {pickup} is its own delivery")
            _require(
                self.demands[pickup] >= 0 and self.demands[delivery] == -self.demands[pickup],
                "demands",
                f"pair {pickup}→{delivery}: delivery must unload what the pickup loads",
            )
        loose = set(range(self.node_count)) - seen - self.depot_nodes
        _require(not loose, "pairs", f"nodes {sorted(loose)[:10]} are neither in a pair nor a depot")

    # ----------------------------------------------------------------------- views
    @property
    def node_count(self) -> int:
        return len(self.distance)

    @cached_property
    def time_matrix(self) -> Matrix:
        """Driving times: ``travel_time`` if given, else the distances."""
        return self.travel_time or self.distance

    @cached_property
    def vehicle_starts(self) -> tuple[int, ...]:
        """Start node of each vehicle."""
        return self.starts or (self.depot,) * self.vehicle_count

    @cached_property
    def vehicle_ends(self) -> tuple[int, ...]:
        """End node of each vehicle."""
        return self.ends or (self.depot,) * self.vehicle_count

    @cached_property
    def vehicle_capacities(self) -> tuple[int, ...]:
        """Capacity of each vehicle."""
        return self.capacities or (self.capacity,) * self.vehicle_count

    @cached_property
    def depot_nodes(self) -> frozenset[int]:
        """Start and end nodes (and ``depot``): nodes that belong to no request."""
        return frozenset((self.depot, *self.vehicle_starts, *self.vehicle_ends))

    @property
    def request_count(self) -> int:
        return len(self.pairs)


def euclidean_matrix(xy: Sequence[tuple[float, float]]) -> Matrix:
    """Unrounded Euclidean distances between points, as the Li & Lim convention asks."""
    return tuple(tuple(math.hypot(xa - xb, ya - yb) for xb, yb in xy) for xa, ya in xy)


# --------------------------------------------------------------------------- Li & Lim reader
def read_lilim(path: str | Path) -> PdpProblem:
    """Read a Li & Lim PDPTW instance.

    Parameters
    ----------
    path
        A text file: a header ``vehicles capacity speed``, then one line per node ``index x y demand
        earliest latest service pickup delivery``; node 0 is the depot.

    Returns
    -------
    PdpProblem
        Euclidean (unrounded) distance and travel time, every vehicle starting and ending at node 0.

    Raises
    ------
    DataValidationError
        Listing every malformed line, with its line number.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise DataValidationError([DataProblem(str(path), None, None, f"cannot read: {error.strerror}")]) from error
    lines = [(number, line.split()) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise DataValidationError([DataProblem(str(path), None, None, "the file is empty")])
    problems: list[DataProblem] = []
    header = _parse_numbers(path, *lines[0], 3, problems)
    rows = {number: _parse_numbers(path, number, fields, 9, problems) for number, fields in lines[1:]}
    if problems:
        raise DataValidationError(problems)
    problems.extend(_lilim_consistency(path, rows))
    if problems:
        raise DataValidationError(problems)
    return _lilim_problem(path, header, sorted(rows.values(), key=lambda row: row[0]))


# A text format has lines, not table rows: problems name the line in the message (row stays None).
def _parse_numbers(path: Path, line: int, fields: list[str], expected: int, problems: list[DataProblem]) -> list[float]:
    if len(fields) != expected:
        problems.append(
            DataProblem(str(path), None, None, f"line {line}: expected {expected} numbers, found {len(fields)}")
        )
        return []
    try:
        return [float(field) for field in fields]
    except ValueError:
        problems.append(DataProblem(str(path), None, None, f"line {line}: not all numbers: {' '.join(fields)}"))
        return []


def _lilim_consistency(path: Path, rows: dict[int, list[float]]) -> list[DataProblem]:
    """Indices run 0..n-1 and every pickup names a delivery that names it back."""
    by_node = {int(row[0]): (line, row) for line, row in rows.items()}
    if sorted(by_node) != list(range(len(rows))):
        return [DataProblem(str(path), None, None, "node indices are not 0, 1, …, n-1, each once")]
    found = []
    for node, (line, row) in sorted(by_node.items()):
        demand, pickup, delivery = row[3], int(row[7]), int(row[8])
        if node == 0:
            continue
        partner = delivery if demand > 0 else pickup
        names_back = partner in by_node and partner != 0 and int(by_node[partner][1][7 if demand > 0 else 8]) == node
        if demand == 0 or not names_back:
            found.append(
                DataProblem(
                    str(path), None, None, f"line {line}: node {node} is not part of a consistent pickup→delivery pair"
                )
            )
    return found


def _lilim_problem(path: Path, header: list[float], rows: list[list[float]]) -> PdpProblem:
    xy = [(row[1], row[2]) for row in rows]
    distance = euclidean_matrix(xy)
    return PdpProblem(
        distance=distance,
        time_windows=tuple((row[4], row[5]) for row in rows),
        service_times=tuple(row[6] for row in rows),
        demands=tuple(int(row[3]) for row in rows),
        pairs=tuple((int(row[0]), int(row[8])) for row in rows if row[3] > 0),
        vehicle_count=int(header[0]),
        capacity=int(header[1]),
        name=path.stem,
    )


# --------------------------------------------------------------------------- independent checker
def route_distance(problem: PdpProblem, vehicle: int, route: Sequence[int]) -> float:
    """Distance of one vehicle's route, from its start node through ``route`` to its end node."""
    path = [problem.vehicle_starts[vehicle], *route, problem.vehicle_ends[vehicle]]
    return math.fsum(problem.distance[a][b] for a, b in zip(path, path[1:]))


def check_pdp_solution(problem: PdpProblem, routes: Sequence[Sequence[int]], *, require_all: bool = True) -> list[str]:
    """Every violated rule of a solution, recomputed from the routes alone.

    Parameters
    ----------
    problem
        The problem the routes claim to solve.
    routes
        ``routes[v]`` is the ordered list of nodes vehicle ``v`` visits, its start and end nodes
        excluded; vehicles past ``len(routes)`` (and empty routes) stay at home.
    require_all
        Report unserved requests (set False to check a partial plan).

    Returns
    -------
    list[str]
        One sentence per problem found (empty when the solution is feasible): unknown or repeated
        nodes, unserved requests, a pickup after its delivery or on another vehicle, capacity
        exceeded, service started after the window, a return to the end node after its window.
    """
    if len(routes) > problem.vehicle_count:
        return [f"{len(routes)} routes for {problem.vehicle_count} vehicles"]
    found = _node_problems(problem, routes)
    if found:  # loads and times of routes with unknown or repeated nodes would mislead
        return found
    found.extend(_pair_problems(problem, routes, require_all))
    for vehicle, route in enumerate(routes):
        if route:
            found.extend(_load_problems(problem, vehicle, route))
            found.extend(_time_problems(problem, vehicle, route))
    return found


def _node_problems(problem: PdpProblem, routes: Sequence[Sequence[int]]) -> list[str]:
    """Nodes that are not requests of the problem, and nodes visited more than once."""
    customers = {node for pair in problem.pairs for node in pair}
    visits: dict[int, int] = {}
    for route in routes:
        for node in route:
            visits[node] = visits.get(node, 0) + 1
    found = []
    for node, count in sorted(visits.items()):
        if node not in customers:
            found.append(f"node {node} is not a pickup or delivery of this problem")
        elif count > 1:
            found.append(f"node {node} is visited {count} times")
    return found


def _pair_problems(problem: PdpProblem, routes: Sequence[Sequence[int]], require_all: bool) -> list[str]:
    """Each request: served whole, by one vehicle, pickup before delivery (or, if allowed, not at all)."""
    where = {node: (vehicle, position) for vehicle, route in enumerate(routes) for position, node in enumerate(route)}
    found = []
    for pickup, delivery in problem.pairs:
        at_pickup, at_delivery = where.get(pickup), where.get(delivery)
        if at_pickup is None and at_delivery is None:
            if require_all:
                found.append(f"request {pickup}→{delivery} is not served")
        elif at_pickup is None or at_delivery is None:
            served = "pickup" if at_delivery is None else "delivery"
            found.append(f"request {pickup}→{delivery}: only its {served} is served")
        elif at_pickup[0] != at_delivery[0]:
            found.append(f"request {pickup}→{delivery} is split over vehicles {at_pickup[0]} and {at_delivery[0]}")
        elif at_pickup[1] > at_delivery[1]:
            found.append(f"vehicle {at_pickup[0]}: delivery {delivery} comes before its pickup {pickup}")
    return found


def _load_problems(problem: PdpProblem, vehicle: int, route: Sequence[int]) -> list[str]:
    found, load = [], 0
    capacity = problem.vehicle_capacities[vehicle]
    for node in route:
        load += problem.demands[node]
        if load > capacity:
            found.append(f"vehicle {vehicle}: load {load} after node {node} exceeds capacity {capacity}")
    return found


def _time_problems(problem: PdpProblem, vehicle: int, route: Sequence[int]) -> list[str]:
    """Earliest schedule: leave the start node as early as its window allows, wait when early.

    Leaving early never hurts when waiting is allowed, so a route is feasible iff this schedule is.
    """
    found = []
    start, end = problem.vehicle_starts[vehicle], problem.vehicle_ends[vehicle]
    previous = start
    clock = problem.time_windows[start][0] + problem.service_times[start]
    stops = [(node, False) for node in route] + [(end, True)]
    for node, is_end in stops:
        clock += problem.time_matrix[previous][node]
        earliest, latest = problem.time_windows[node]
        if clock > latest + TIME_TOLERANCE:
            what = "returns to end node" if is_end else "starts service at node"
            found.append(f"vehicle {vehicle}: {what} {node} at {clock:.2f}, after its window closes at {latest:g}")
        clock = max(clock, earliest) + problem.service_times[node]
        previous = node
    return found
