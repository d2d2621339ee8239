"""VROOM on a :class:`~solver.pdptw.PdpProblem`, for the Li & Lim comparison (issue 18 §4).

VROOM (``pyvroom``, shipments) gets the problem the OR-Tools adapter and PyVRP
(:mod:`solver.pdp_pyvrp`, whose integer scaling it shares) get and the same rule: fewest vehicles
first (a fixed cost per vehicle above any total distance), then distance. It returns plain routes; the
benchmark re-checks them with :func:`solver.pdptw.check_pdp_solution` and recomputes the distance.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import vroom

from solver.pdp_pyvrp import SCALE, distance_matrix, duration_matrix, scaled, solve_pyvrp, supports
from solver.pdptw import PdpProblem
from solver.routing import Routes, scaled_window, vehicle_fixed_cost


@dataclass(frozen=True)
class EngineRun:
    """Routes per vehicle (start and end nodes excluded) and the wall-clock seconds the solve took."""

    routes: Routes
    solve_s: float


def run_pyvrp(problem: PdpProblem, time_limit_s: float) -> EngineRun:
    began = time.monotonic()
    routes = solve_pyvrp(problem, time_limit_s)
    return EngineRun(routes, time.monotonic() - began)


def vroom_input(problem: PdpProblem) -> vroom.Input:
    """Matrices by node index, one vehicle per problem vehicle with a fixed cost above any distance,
    one shipment per request; the cost matrix is the distance."""
    if not supports(problem):
        raise ValueError("this comparison models one shared depot and one capacity")
    model = vroom.Input()
    model.set_durations_matrix("car", duration_matrix(problem).astype(np.uint32))
    model.set_costs_matrix("car", distance_matrix(problem).astype(np.uint32))
    window = vroom.TimeWindow(*scaled_window(problem.time_windows[problem.depot], SCALE))
    fixed = vroom.VehicleCosts(fixed=vehicle_fixed_cost(problem, SCALE))
    for vehicle in range(problem.vehicle_count):
        model.add_vehicle(
            vroom.Vehicle(
                vehicle,
                start=problem.depot,
                end=problem.depot,
                capacity=[problem.capacity],
                time_window=window,
                costs=fixed,
            )
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
        default_service=scaled(problem.service_times[node]),
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
        steps = frame[frame["type"].isin(["pickup", "delivery"])]  # rows in route order per vehicle
        for vehicle, group in steps.groupby("vehicle_id", sort=False):
            routes[int(vehicle)] = tuple(int(node) for node in group["location_index"])
    return EngineRun(tuple(routes), time.monotonic() - began)
