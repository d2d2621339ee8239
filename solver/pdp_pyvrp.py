"""PyVRP on a :class:`~solver.pdptw.PdpProblem`: pickup and delivery through PyVRP's shipments.

The second engine of :func:`solver.pdp_portfolio.solve_pdp_portfolio` (issue 18 §4). It gets the
problem the OR-Tools adapter gets and the same rule — fewest vehicles first (a fixed cost per vehicle
above any total distance, :func:`solver.routing.vehicle_fixed_cost`), then distance — and returns
plain routes, which the caller re-checks with :func:`solver.pdptw.check_pdp_solution`: PyVRP's own
cost and feasibility flag are never trusted.

PyVRP takes integers: times are scaled like the adapter's (driving and service rounded *up*, windows
inwards, so an accepted schedule is feasible in exact arithmetic), distances rounded to nearest
(costs only). This model covers one shared depot and one vehicle capacity (Li & Lim);
:func:`supports` says whether a problem fits it.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyvrp
from pyvrp.stop import MaxRuntime

from solver.pdptw import PdpProblem
from solver.routing import Routes, scaled_window, vehicle_fixed_cost

SCALE = 1000  # integers per unit of time and distance, as the adapter's default


def supports(problem: PdpProblem) -> bool:
    """One depot shared by every vehicle and one capacity: the model below."""
    depots = set(problem.vehicle_starts) | set(problem.vehicle_ends)
    return depots == {problem.depot} and len(set(problem.vehicle_capacities)) == 1


def scaled(value: float) -> int:
    """A time in solver integers, rounded up (1e-9: 0.1 * 1000 must stay 100, not become 101)."""
    return math.ceil(value * SCALE - 1e-9)


def distance_matrix(problem: PdpProblem) -> np.ndarray:
    return np.array([[round(d * SCALE) for d in row] for row in problem.distance], dtype=np.int64)


def duration_matrix(problem: PdpProblem) -> np.ndarray:
    return np.array([[scaled(t) for t in row] for row in problem.time_matrix], dtype=np.int64)


def pyvrp_data(problem: PdpProblem) -> pyvrp.ProblemData:
    """One location per node (the matrices are given, so coordinates go unused), one depot, one
    vehicle type with a fixed cost above any distance, one shipment per request."""
    early, late = scaled_window(problem.time_windows[problem.depot], SCALE)
    vehicle_type = pyvrp.VehicleType(
        num_available=problem.vehicle_count,
        capacity=[problem.capacity],
        fixed_cost=vehicle_fixed_cost(problem, SCALE),
        tw_early=early,
        tw_late=late,
    )
    return pyvrp.ProblemData(
        locations=[pyvrp.Location(x=0, y=0) for _ in range(problem.node_count)],
        clients=[],
        depots=[pyvrp.Depot(problem.depot, tw_early=early, tw_late=late)],
        vehicle_types=[vehicle_type],
        # PyVRP's stubs type a matrix as ndarray[int], which no real array matches
        distance_matrices=[distance_matrix(problem)],  # type: ignore[list-item]
        duration_matrices=[duration_matrix(problem)],  # type: ignore[list-item]
        shipments=[shipment(problem, pickup, delivery) for pickup, delivery in problem.pairs],
    )


def shipment(problem: PdpProblem, pickup: int, delivery: int) -> pyvrp.Shipment:
    pickup_early, pickup_late = scaled_window(problem.time_windows[pickup], SCALE)
    delivery_early, delivery_late = scaled_window(problem.time_windows[delivery], SCALE)
    return pyvrp.Shipment(
        pickup_location=pickup,
        delivery_location=delivery,
        pickup_tw_early=pickup_early,
        pickup_tw_late=pickup_late,
        pickup_service_duration=scaled(problem.service_times[pickup]),
        delivery_tw_early=delivery_early,
        delivery_tw_late=delivery_late,
        delivery_service_duration=scaled(problem.service_times[delivery]),
        amount=[problem.demands[pickup]],
    )


def solve_pyvrp(problem: PdpProblem, time_limit_s: float, seed: int = 1) -> Routes:
    """PyVRP's iterated local search on one thread until ``time_limit_s`` after the call.

    Returns
    -------
    Routes
        ``routes[v]`` the nodes vehicle ``v`` visits, depot excluded; all empty when PyVRP found no
        solution it calls feasible (unchecked: re-check with ``check_pdp_solution``).
    """
    deadline = time.monotonic() + time_limit_s
    data = pyvrp_data(problem)
    stop = MaxRuntime(max(0.01, deadline - time.monotonic()))
    result = pyvrp.solve(data, stop, seed=seed, collect_stats=False, display=False)
    routes: list[tuple[int, ...]] = [()] * problem.vehicle_count
    if result.is_feasible():
        for vehicle, route in enumerate(result.best.routes()):
            routes[vehicle] = tuple(_node(problem, visit) for visit in route.schedule() if visit.is_shipment())
    return tuple(routes)


def _node(problem: PdpProblem, visit: pyvrp.ScheduledActivity) -> int:
    """A scheduled shipment step's node: ``idx`` is the shipment's index, i.e. the request's."""
    pickup, delivery = problem.pairs[visit.idx]
    return pickup if visit.is_pickup() else delivery
