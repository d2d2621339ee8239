"""Plans as routes: the result of a solve, its distance, earliest schedule and unserved requests, and
the requests no vehicle can serve.

Solver-free helpers the routing engines share (:mod:`solver.routing`, :mod:`solver.pdp_portfolio`).
They are not the oracle: :func:`solver.pdptw.check_pdp_solution` re-derives everything on its own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from solver.pdptw import PdpProblem, route_distance

Routes = tuple[tuple[int, ...], ...]


class PdpStatus(StrEnum):
    FEASIBLE = "feasible"  # every request served (local search: not proven optimal)
    PARTIAL = "partial"  # some requests unserved; no proof that they cannot be served
    INFEASIBLE = "infeasible"  # some request provably cannot be served; the others are planned
    NO_SOLUTION = "no_solution"  # the solver returned nothing (time limit too short)


@dataclass(frozen=True)
class PdpResult:
    """What a solve returns.

    ``routes[v]`` lists the nodes vehicle ``v`` visits, start and end nodes excluded (empty: the
    vehicle stays at home); ``service_starts[v]`` are the earliest service start times along it.
    ``unserved`` lists the ``(pickup, delivery)`` pairs left out, ``reasons`` says why.
    """

    status: PdpStatus
    routes: Routes
    distance: float
    vehicles_used: int
    service_starts: tuple[tuple[float, ...], ...] = ()
    unserved: tuple[tuple[int, int], ...] = ()
    reasons: tuple[str, ...] = ()
    solve_s: float = 0.0
    engine: str = "or-tools"  # which engine's plan this is (see solver.pdp_portfolio)

    @property
    def used_routes(self) -> Routes:
        return tuple(route for route in self.routes if route)


def unserved_pairs(problem: PdpProblem, routes: Routes) -> tuple[tuple[int, int], ...]:
    visited = {node for route in routes for node in route}
    return tuple(pair for pair in problem.pairs if pair[0] not in visited)


def earliest_service_starts(problem: PdpProblem, vehicle: int, route: Sequence[int]) -> tuple[float, ...]:
    """Service start times along a route when the vehicle leaves as early as it may."""
    previous = problem.vehicle_starts[vehicle]
    clock = problem.time_windows[previous][0] + problem.service_times[previous]
    starts = []
    for node in route:
        clock = max(clock + problem.time_matrix[previous][node], problem.time_windows[node][0])
        starts.append(clock)
        clock += problem.service_times[node]
        previous = node
    return tuple(starts)


def total_distance(problem: PdpProblem, routes: Routes) -> float:
    return math.fsum(route_distance(problem, v, route) for v, route in enumerate(routes) if route)


# --------------------------------------------------------------------------- pre-checks
def unservable_requests(problem: PdpProblem, vehicles: Sequence[int] | None = None) -> dict[tuple[int, int], str]:
    """Requests none of ``vehicles`` (default: all) can serve even alone — too heavy, or out of reach
    in time — each with the reason.

    These are cheap, certain reasons; the solver may leave out others (e.g. too few vehicles).
    """
    vehicles = range(problem.vehicle_count) if vehicles is None else vehicles
    largest = max(problem.vehicle_capacities[v] for v in vehicles)
    reasons = {}
    for pickup, delivery in problem.pairs:
        load = problem.demands[pickup]
        if load > largest:
            reasons[(pickup, delivery)] = (
                f"request {pickup}→{delivery} needs {load} places; the largest vehicle has {largest}"
            )
        elif not any(
            _alone_in_time(problem, v, pickup, delivery) for v in vehicles if problem.vehicle_capacities[v] >= load
        ):
            reasons[(pickup, delivery)] = (
                f"request {pickup}→{delivery} cannot be served inside its time "
                "windows by any vehicle large enough, even alone"
            )
    return reasons


def _alone_in_time(problem: PdpProblem, vehicle: int, pickup: int, delivery: int) -> bool:
    route = (pickup, delivery)
    starts = earliest_service_starts(problem, vehicle, route)
    on_time = all(start <= problem.time_windows[node][1] + 1e-9 for start, node in zip(starts, route))
    back = starts[-1] + problem.service_times[delivery] + problem.time_matrix[delivery][problem.vehicle_ends[vehicle]]
    return on_time and back <= problem.time_windows[problem.vehicle_ends[vehicle]][1] + 1e-9


def pdp_result(
    problem: PdpProblem,
    status: PdpStatus,
    routes: Routes | None,
    began: float,
    reasons: Sequence[str] = (),
    unserved: Sequence[tuple[int, int]] | None = None,
) -> PdpResult:
    """A result of ``routes`` timed from ``began``; ``unserved`` None means no request is served."""
    routes = routes or ((),) * problem.vehicle_count
    return PdpResult(
        status=status,
        routes=routes,
        distance=total_distance(problem, routes),
        vehicles_used=sum(1 for route in routes if route),
        service_starts=tuple(earliest_service_starts(problem, v, route) for v, route in enumerate(routes)),
        unserved=tuple(problem.pairs if unserved is None else unserved),
        reasons=tuple(reasons),
        solve_s=time.monotonic() - began,
    )


def result_to_json(result: PdpResult) -> dict:
    """The CLI's JSON form of a result.

    Parameters
    ----------
    result
        A solve result.

    Returns
    -------
    dict
        ``status``, ``vehicles``, ``distance`` (rounded to 0.01) and ``routes``: the used routes as
        lists of node indices, depot excluded. ``unserved`` (pickup, delivery pairs) and
        ``reasons`` are added when some request is left out.
    """
    payload = {
        "status": str(result.status),
        "vehicles": result.vehicles_used,
        "distance": round(result.distance, 2),
        "routes": [list(route) for route in result.used_routes],
    }
    if result.unserved:
        payload["unserved"] = [list(pair) for pair in result.unserved]
    if result.reasons:
        payload["reasons"] = list(result.reasons)
    return payload
