"""PyVRP on a :class:`~solver.pdptw.PdpProblem`: pickup and delivery through PyVRP's shipments.

The engine of :func:`solver.pdp_portfolio.solve_pdp_portfolio` (issue 18 §4). It gets the problem
the OR-Tools adapter gets and the same rule — fewest vehicles first, then distance — and returns
plain routes, which the caller re-checks with :func:`solver.pdptw.check_pdp_solution`: PyVRP's own
cost and feasibility flag are never trusted. Fewest vehicles: a fixed cost per vehicle above any
total distance (:func:`solver.routing.vehicle_fixed_cost`) for the first plan, then fleet reduction
(:func:`solve_pyvrp_until`), which the fixed cost alone does not achieve in PyVRP.

PyVRP takes integers: times are scaled like the adapter's (driving and service rounded *up*, windows
inwards, so an accepted schedule is feasible in exact arithmetic), distances rounded to nearest
(costs only). This model covers one shared depot and one vehicle capacity (Li & Lim);
:func:`supports` says whether a problem fits it.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import FirstFeasible, MultipleCriteria

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


REDUCE_SHARE = 0.5  # at most this share of the time goes to trying fewer vehicles


class Deadline:
    """PyVRP stopping criterion: stop at an absolute ``time.monotonic()`` moment. (PyVRP's own
    ``MaxRuntime`` starts counting at its first call, after the initial local search.)"""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, best_cost: int) -> bool:
        return time.monotonic() >= self.deadline


def solve_pyvrp(problem: PdpProblem, time_limit_s: float, seed: int = 1, reduce_share: float = REDUCE_SHARE) -> Routes:
    """:func:`solve_pyvrp_until` ``time_limit_s`` after the call."""
    return solve_pyvrp_until(problem, time.monotonic() + time_limit_s, seed, reduce_share)


def solve_pyvrp_until(
    problem: PdpProblem, deadline: float, seed: int = 1, reduce_share: float = REDUCE_SHARE
) -> Routes:
    """PyVRP's iterated local search on one thread until ``deadline`` (``time.monotonic()``): fewest
    vehicles first, then distance.

    A fixed cost per vehicle alone rarely makes PyVRP empty a route (measured on lc103: 10 routes at
    10 s, every seed; capped at 9 vehicles, 9 routes at the best-known distance within 10 s). So the
    search first finds a feasible plan, then, for up to ``reduce_share`` of the time, tries one vehicle
    fewer than its last feasible plan uses — PyVRP caps the routes at the fleet size and penalises
    late arrival and overload, so it searches the infeasible space towards a plan that fits — each
    attempt stopping at its first feasible plan. The attempts charge nothing per vehicle: the cap does
    that job, and a fixed cost far above the penalties makes an infeasible plan with a route fewer
    look cheap (lc103 at 9 vehicles, CPU seconds to the first feasible plan over seeds 1-3: 2.5, 1.8,
    2.1 without it, 3.7, 2.2, 3.5 with it). The rest of the time optimises the distance from the
    plan with the fewest vehicles, warm-started and capped at its vehicle count.

    Returns
    -------
    Routes
        ``routes[v]`` the nodes vehicle ``v`` visits, depot excluded; all empty when PyVRP found no
        solution it calls feasible (unchecked: re-check with ``check_pdp_solution``).
    """
    began = time.monotonic()
    reduce_until = began + reduce_share * max(0.0, deadline - began)
    data = pyvrp_data(problem)
    with warnings.catch_warnings():
        # fleet attempts that cannot fit drive PyVRP's penalties to their bound: expected, not news
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        best, best_data = fewest_vehicles(data, seed, reduce_until)
        if best is None:  # nothing feasible yet: all the time for the full fleet
            result = pyvrp.solve(data, Deadline(deadline), seed=seed, collect_stats=False)
            best = result.best if result.is_feasible() else None
        elif time.monotonic() < deadline:
            result = pyvrp.solve(best_data, Deadline(deadline), seed=seed, collect_stats=False, initial_solution=best)
            if result.is_feasible() and _cost(result.best) <= _cost(best):
                best = result.best
    routes: list[tuple[int, ...]] = [()] * problem.vehicle_count
    if best is not None:
        for vehicle, route in enumerate(best.routes()):
            routes[vehicle] = tuple(_node(problem, visit) for visit in route.schedule() if visit.is_shipment())
    return tuple(routes)


def fewest_vehicles(
    data: pyvrp.ProblemData, seed: int, until: float
) -> tuple[pyvrp.Solution | None, pyvrp.ProblemData]:
    """The first feasible plan with the full fleet, then with one vehicle fewer than the last feasible
    plan used, while time lasts; the last feasible plan and the data with the fleet capped at its
    vehicle count."""
    best: pyvrp.Solution | None = None
    fleet = data
    while True:
        stop = MultipleCriteria([FirstFeasible(), Deadline(until)])
        result = pyvrp.solve(fleet, stop, seed=seed, collect_stats=False)
        if not result.is_feasible():
            return best, data
        best = result.best
        # The distance phase may not add a vehicle back. It keeps the vehicle cost the plan was found
        # with: a plan carries the costs of its data, and a warm start costed lower than anything the
        # search finds is never replaced (measured: no move in 5 s).
        data = _fleet(fleet, best.num_routes())
        if best.num_routes() <= 1 or time.monotonic() >= until:
            return best, data
        fleet = _fleet(data, best.num_routes() - 1, fixed_cost=0)


def _fleet(data: pyvrp.ProblemData, vehicles: int, **changes) -> pyvrp.ProblemData:
    return data.replace(vehicle_types=[data.vehicle_type(0).replace(num_available=vehicles, **changes)])


def _cost(solution: pyvrp.Solution) -> int:
    return solution.distance_cost() + solution.fixed_vehicle_cost()


def _node(problem: PdpProblem, visit: pyvrp.ScheduledActivity) -> int:
    """A scheduled shipment step's node: ``idx`` is the shipment's index, i.e. the request's."""
    pickup, delivery = problem.pairs[visit.idx]
    return pickup if visit.is_pickup() else delivery
