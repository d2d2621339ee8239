"""Other engines on a :class:`~solver.pdptw.PdpProblem`, for the Li & Lim comparison (issue 18 §4).

PyVRP (``pyvrp``, pickup-and-delivery through its *shipments*) and VROOM (``pyvroom``, shipments)
get the same problem as the OR-Tools adapter and the same rule: fewest vehicles first (a fixed cost
per vehicle above any total distance), then distance. Each returns plain routes, one node tuple per
vehicle; the benchmark re-checks them with :func:`solver.pdptw.check_pdp_solution` and recomputes the
distance itself, so neither engine's own cost is trusted.

Both engines take integers: times are scaled like the adapter's (driving and service rounded *up*,
windows inwards, so an accepted schedule is feasible in exact arithmetic), distances rounded to
nearest (costs only).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pyvrp
import vroom
from pyvrp.stop import MaxRuntime

from solver.pdptw import PdpProblem
from solver.routing import Routes, scaled_window, vehicle_fixed_cost

SCALE = 1000  # integers per unit of time and distance, as the adapter's default


@dataclass(frozen=True)
class EngineRun:
    """Routes per vehicle (start and end nodes excluded) and the wall-clock seconds the solve took."""

    routes: Routes
    solve_s: float


def _ceil(value: float) -> int:
    return math.ceil(value * SCALE - 1e-9)  # 1e-9: 0.1 * 1000 must stay 100


def distance_matrix(problem: PdpProblem) -> np.ndarray:
    return np.array([[round(d * SCALE) for d in row] for row in problem.distance], dtype=np.int64)


def duration_matrix(problem: PdpProblem) -> np.ndarray:
    """Driving times rounded up; the diagonal stays 0 (a pickup and delivery may share a place)."""
    return np.array([[_ceil(t) for t in row] for row in problem.time_matrix], dtype=np.int64)


def _single_depot(problem: PdpProblem) -> int:
    # Li & Lim has one depot; the other engines' models here assume it.
    if set(problem.vehicle_starts) | set(problem.vehicle_ends) != {problem.depot}:
        raise ValueError("this comparison models one shared depot")
    return problem.depot


# --------------------------------------------------------------------------- PyVRP
def pyvrp_data(problem: PdpProblem) -> pyvrp.ProblemData:
    """PyVRP's model: one location per node (matrices given, so coordinates are unused), one depot,
    one vehicle type with a fixed cost above any distance, a shipment per request."""
    depot = _single_depot(problem)
    early, late = scaled_window(problem.time_windows[depot], SCALE)
    vehicle_type = pyvrp.VehicleType(
        num_available=problem.vehicle_count,
        capacity=[problem.capacity],
        fixed_cost=vehicle_fixed_cost(problem, SCALE),
        tw_early=early,
        tw_late=late,
    )
    shipments = [_pyvrp_shipment(problem, pickup, delivery) for pickup, delivery in problem.pairs]
    return pyvrp.ProblemData(
        locations=[pyvrp.Location(x=0, y=0) for _ in range(problem.node_count)],
        clients=[],
        depots=[pyvrp.Depot(depot, tw_early=early, tw_late=late)],
        vehicle_types=[vehicle_type],
        distance_matrices=[distance_matrix(problem)],
        duration_matrices=[duration_matrix(problem)],
        shipments=shipments,
    )


def _pyvrp_shipment(problem: PdpProblem, pickup: int, delivery: int) -> pyvrp.Shipment:
    pickup_early, pickup_late = scaled_window(problem.time_windows[pickup], SCALE)
    delivery_early, delivery_late = scaled_window(problem.time_windows[delivery], SCALE)
    return pyvrp.Shipment(
        pickup_location=pickup,
        delivery_location=delivery,
        pickup_tw_early=pickup_early,
        pickup_tw_late=pickup_late,
        pickup_service_duration=_ceil(problem.service_times[pickup]),
        delivery_tw_early=delivery_early,
        delivery_tw_late=delivery_late,
        delivery_service_duration=_ceil(problem.service_times[delivery]),
        amount=[problem.demands[pickup]],
    )


def solve_pyvrp(problem: PdpProblem, time_limit_s: float, seed: int = 1) -> EngineRun:
    """PyVRP's iterated local search for ``time_limit_s`` (one thread); empty routes if infeasible."""
    began = time.monotonic()
    data = pyvrp_data(problem)
    result = pyvrp.solve(
        data, MaxRuntime(max(0.01, time_limit_s - (time.monotonic() - began))), seed=seed, display=False
    )
    routes: list[tuple[int, ...]] = [()] * problem.vehicle_count
    if result.is_feasible():
        for vehicle, route in enumerate(result.best.routes()):
            routes[vehicle] = tuple(
                _pyvrp_node(problem, activity) for activity in route.schedule() if activity.is_shipment()
            )
    return EngineRun(tuple(routes), time.monotonic() - began)


def _pyvrp_node(problem: PdpProblem, activity) -> int:
    pickup, delivery = problem.pairs[activity.idx]
    return pickup if activity.is_pickup() else delivery


# --------------------------------------------------------------------------- VROOM
def vroom_input(problem: PdpProblem) -> vroom.Input:
    """VROOM's model: matrices by node index, one vehicle per problem vehicle with a fixed cost above
    any distance, a shipment per request; the cost matrix is the distance."""
    depot = _single_depot(problem)
    model = vroom.Input()
    model.set_durations_matrix("car", duration_matrix(problem).astype(np.uint32))
    model.set_costs_matrix("car", distance_matrix(problem).astype(np.uint32))
    window = vroom.TimeWindow(*scaled_window(problem.time_windows[depot], SCALE))
    fixed = vroom.VehicleCosts(fixed=vehicle_fixed_cost(problem, SCALE))
    for vehicle in range(problem.vehicle_count):
        model.add_vehicle(
            vroom.Vehicle(vehicle, start=depot, end=depot, capacity=[problem.capacity], time_window=window, costs=fixed)
        )
    for request, (pickup, delivery) in enumerate(problem.pairs):
        model.add_job(
            vroom.Shipment(
                pickup=_vroom_step(problem, request, pickup),
                delivery=_vroom_step(problem, request, delivery),
                amount=[problem.demands[pickup]],
            )
        )
    return model


def _vroom_step(problem: PdpProblem, request: int, node: int) -> vroom.ShipmentStep:
    return vroom.ShipmentStep(
        request,
        location=node,
        default_service=_ceil(problem.service_times[node]),
        time_windows=[vroom.TimeWindow(*scaled_window(problem.time_windows[node], SCALE))],
    )


def solve_vroom(problem: PdpProblem, time_limit_s: float, exploration_level: int = 5, threads: int = 1) -> EngineRun:
    """VROOM at its most thorough level, stopped at ``time_limit_s`` (it usually ends well before)."""
    began = time.monotonic()
    model = vroom_input(problem)
    solution = model.solve(
        exploration_level=exploration_level, nb_threads=threads, timeout=timedelta(seconds=time_limit_s)
    )
    routes: list[tuple[int, ...]] = [()] * problem.vehicle_count
    frame = solution.routes
    if not frame.empty and "location_index" in frame.columns:
        steps = frame[frame["type"].isin(["pickup", "delivery"])]
        for vehicle, group in steps.groupby("vehicle_id", sort=False):
            routes[int(vehicle)] = tuple(int(node) for node in group["location_index"])
    return EngineRun(tuple(routes), time.monotonic() - began)
