"""OR-Tools routing adapter for pickup and delivery with time windows (:class:`PdpProblem`).

The model is built from small named steps, one constraint family each (DESIGN §5.4):
:func:`add_arc_costs`, :func:`add_capacity`, :func:`add_time_windows`, :func:`add_pickup_delivery`,
:func:`set_vehicle_fixed_cost`. The objective is hierarchical through its weights: an unserved
request costs more than a vehicle (:func:`drop_penalty`), and a vehicle more than any total
distance (:func:`vehicle_fixed_cost`).

Every request is optional at that penalty, so any solution found is a plan; requests it could
not place are reported, never raised. Search (measured on Li & Lim, see ``bench/lilim.py``): iterated
local search with SISR ruin-and-recreate, simulated-annealing acceptance and a lean greedy descent
after each perturbation. Guided local search, OR-Tools' usual advice, stalls on these tight windows:
almost every neighbour is rejected by the time-window filters and the penalised arcs barely move.
The iterated search gets 60 % of the time; then :func:`fewer_routes` eliminates routes (drop the
smallest, re-insert its requests by greedy descent) and polishes the distance with guided local search
from that plan, without the vehicle cost (issue 18 §4, measured on the twelve shared instances).

Floats are scaled to integers (``PdpParams.scale``). Driving and service times are rounded *up* and
windows inwards, so a schedule the solver accepts is feasible in exact arithmetic too; the reported
distance is recomputed in floating point from the routes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from fleetplan.errors import InvalidValueError

from solver.pdp_routes import (
    PdpResult,
    PdpStatus,
    Routes,
    pdp_result,
    total_distance,
    unservable_requests,
    unserved_pairs,
)
from solver.pdptw import PdpProblem

CAPACITY = "Capacity"
TIME = "Time"
ITERATED_LOCAL_SEARCH = "ITERATED_LOCAL_SEARCH"
INT64_SAFE = 2**62  # headroom below 2**63 for the solver's own sums

# Operators for PDPTW under ILS: pair moves and the cheap default moves. The insertion-LNS, subtrip,
# cross and Lin-Kernighan operators make each greedy descent several times slower without better
# results (measured on lrc101: 14 vehicles after 8-10 s or not within 10 s with them, 3.5-6 s without).
PAIR_OPERATORS = ("use_relocate_pair", "use_light_relocate_pair", "use_exchange_pair")
SLOW_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
    "use_lin_kernighan",
    "use_relocate_expensive_chain",
    "use_exchange_subtrip",
    "use_relocate_subtrip",
    "use_cross",
)


@dataclass(frozen=True)
class PdpParams:
    """Knobs of one solve.

    ``metaheuristic`` is ``"ITERATED_LOCAL_SEARCH"`` (default) or a ``LocalSearchMetaheuristic``
    name such as ``"GUIDED_LOCAL_SEARCH"``; ``first_solution`` a ``FirstSolutionStrategy`` name.
    ``tuned_operators=False`` keeps OR-Tools' default operator set (the benchmark's baseline).
    With ``minimize_vehicles``, the search gets ``first_search_share`` of the time; then routes are
    eliminated one by one (:func:`fewer_routes`) and the last plan polished by ``polish`` (a
    ``LocalSearchMetaheuristic`` name, or None to stop there); ``first_search_share=1`` skips both.
    """

    time_limit_s: float = 10.0
    scale: int = 1000  # solver integers per unit of time and distance
    first_solution: str = "LOCAL_CHEAPEST_INSERTION"
    metaheuristic: str = ITERATED_LOCAL_SEARCH
    tuned_operators: bool = True
    ruin_visits: int = 10  # SISR: visits removed per perturbation on average (paper's c̄)
    ruin_sequence: int = 10  # SISR: longest string removed from one route (paper's L_max)
    minimize_vehicles: bool = True  # fewest vehicles first, then distance
    max_vehicles: int | None = None  # use only the first N of the problem's vehicles (a bound you trust)
    first_search_share: float = 0.6
    polish: str | None = "GUIDED_LOCAL_SEARCH"
    log_search: bool = False

    def __post_init__(self) -> None:
        metaheuristics = [*routing_enums_pb2.LocalSearchMetaheuristic.Value.keys(), ITERATED_LOCAL_SEARCH]
        checks = (
            (self.time_limit_s > 0, "time_limit_s", f"{self.time_limit_s} must be positive"),
            (self.scale >= 1, "scale", f"{self.scale} must be at least 1"),
            (
                self.first_solution in routing_enums_pb2.FirstSolutionStrategy.Value.keys(),
                "first_solution",
                f"unknown strategy {self.first_solution!r}",
            ),
            (self.metaheuristic in metaheuristics, "metaheuristic", f"unknown metaheuristic {self.metaheuristic!r}"),
            (self.ruin_visits >= 1 and self.ruin_sequence >= 1, "ruin_visits", "ruin sizes must be at least 1"),
            (self.max_vehicles is None or self.max_vehicles >= 1, "max_vehicles", "must be at least 1"),
            (0 < self.first_search_share <= 1, "first_search_share", "must be in (0, 1]"),
            (self.polish is None or self.polish in metaheuristics[:-1], "polish", f"unknown {self.polish!r}"),
        )
        for ok, field_name, problem in checks:
            if not ok:
                raise InvalidValueError(field_name, problem)


# --------------------------------------------------------------------------- the model
@dataclass
class PdpModel:
    """An OR-Tools routing model over some of the problem's vehicles.

    Model vehicle ``i`` is problem vehicle ``vehicles[i]``; a cap on the fleet drops the others
    rather than leaving symmetric spare vehicles for the search to shuffle.
    """

    problem: PdpProblem
    vehicles: tuple[int, ...]
    scale: int
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel

    def index(self, node: int) -> int:
        return self.manager.NodeToIndex(node)


def build_model(
    problem: PdpProblem, scale: int, vehicles: Sequence[int] | None = None, *, minimize_vehicles: bool = True
) -> PdpModel:
    """The complete routing model.

    Parameters
    ----------
    problem
        The problem.
    scale
        Solver integers per unit of time and distance.
    vehicles
        Which of the problem's vehicles the model may use (default: all).
    minimize_vehicles
        Charge :func:`vehicle_fixed_cost` per used vehicle, so fewer vehicles always win.

    Returns
    -------
    PdpModel
        The model, ready for :func:`search_parameters` and a solve.
    """
    vehicles = tuple(range(problem.vehicle_count)) if vehicles is None else tuple(vehicles)
    fixed_cost = vehicle_fixed_cost(problem, scale) if minimize_vehicles else 0
    penalty = drop_penalty(problem, scale, fixed_cost)
    if penalty * problem.request_count + fixed_cost * len(vehicles) > INT64_SAFE:
        raise InvalidValueError("scale", f"{scale} makes the objective overflow 64-bit integers; use a smaller one")
    manager = pywrapcp.RoutingIndexManager(
        problem.node_count,
        len(vehicles),
        [problem.vehicle_starts[v] for v in vehicles],
        [problem.vehicle_ends[v] for v in vehicles],
    )
    pm = PdpModel(problem, vehicles, scale, manager, pywrapcp.RoutingModel(manager))
    add_arc_costs(pm)
    add_capacity(pm)
    add_time_windows(pm)
    add_pickup_delivery(pm, penalty)
    set_vehicle_fixed_cost(pm, fixed_cost)
    return pm


def scaled_distance(problem: PdpProblem, scale: int) -> list[list[int]]:
    """Distances as solver integers, rounded to nearest (costs only; never used for feasibility)."""
    return [[round(value * scale) for value in row] for row in problem.distance]


def scaled_transit_time(problem: PdpProblem, scale: int) -> list[list[int]]:
    """Service at ``i`` plus driving ``i``→``j``, rounded up so solver schedules stay feasible."""
    service = [_ceil(s * scale) for s in problem.service_times]
    return [[service[i] + _ceil(travel * scale) for travel in row] for i, row in enumerate(problem.time_matrix)]


def scaled_window(window: tuple[float, float], scale: int) -> tuple[int, int]:
    """A window in solver integers, shrunk inwards so it never admits an exact-arithmetic violation."""
    earliest, latest = window
    return _ceil(earliest * scale), _floor(latest * scale)


def _ceil(value: float) -> int:
    return math.ceil(value - 1e-9)  # 1e-9: 0.1 * 1000 must stay 100, not become 101


def _floor(value: float) -> int:
    return math.floor(value + 1e-9)


def add_arc_costs(pm: PdpModel) -> None:
    """Arc cost = distance, one matrix for every vehicle (one cost class keeps the search fast)."""
    distance = pm.routing.RegisterTransitMatrix(scaled_distance(pm.problem, pm.scale))
    pm.routing.SetArcCostEvaluatorOfAllVehicles(distance)


def add_capacity(pm: PdpModel) -> None:
    """The load starts at 0 and never exceeds the vehicle's capacity."""
    demand = pm.routing.RegisterUnaryTransitVector(list(pm.problem.demands))
    capacities = [pm.problem.vehicle_capacities[v] for v in pm.vehicles]
    pm.routing.AddDimensionWithVehicleCapacity(demand, 0, capacities, True, CAPACITY)


def add_time_windows(pm: PdpModel) -> None:
    """Service starts inside each node's window, waiting allowed; each route leaves its start node
    and reaches its end node inside their windows."""
    problem, scale, routing = pm.problem, pm.scale, pm.routing
    transit = routing.RegisterTransitMatrix(scaled_transit_time(problem, scale))
    horizon = max(scaled_window(window, scale)[1] for window in problem.time_windows)
    routing.AddDimension(transit, horizon, horizon, False, TIME)
    dimension = routing.GetDimensionOrDie(TIME)
    for node, window in enumerate(problem.time_windows):
        if node not in problem.depot_nodes:
            dimension.CumulVar(pm.index(node)).SetRange(*scaled_window(window, scale))
    for model_vehicle, vehicle in enumerate(pm.vehicles):
        start_window = problem.time_windows[problem.vehicle_starts[vehicle]]
        end_window = problem.time_windows[problem.vehicle_ends[vehicle]]
        dimension.CumulVar(routing.Start(model_vehicle)).SetRange(*scaled_window(start_window, scale))
        dimension.CumulVar(routing.End(model_vehicle)).SetRange(*scaled_window(end_window, scale))


def add_pickup_delivery(pm: PdpModel, penalty: int | None) -> None:
    """Each pickup precedes its delivery on the same vehicle. With ``penalty``, a request may be left
    out — pickup and delivery together — at that cost; with None every request is mandatory."""
    routing = pm.routing
    for pickup, delivery in pm.problem.pairs:
        p, d = pm.index(pickup), pm.index(delivery)
        # The pair makes OR-Tools add a path precedence (pickup before delivery, same route). No
        # cumul inequality on top: it would also bind the cumuls of a dropped pair and could make
        # the whole model infeasible when one request's windows are contradictory.
        routing.AddPickupAndDelivery(p, d)
        routing.solver().Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        if penalty is not None:
            # Cardinality 2: both nodes performed, or the penalty is paid once for the request.
            routing.AddDisjunction([p, d], penalty, 2)


def set_vehicle_fixed_cost(pm: PdpModel, fixed_cost: int) -> None:
    """A cost per used vehicle; above any total distance, fewer vehicles always win."""
    if fixed_cost > 0:
        pm.routing.SetFixedCostOfAllVehicles(fixed_cost)


def distance_bound(problem: PdpProblem, scale: int) -> int:
    """More than the scaled total distance of any solution: every arc at most the longest one."""
    longest_arc = max(max(row) for row in problem.distance)
    return math.ceil((problem.node_count + problem.vehicle_count) * longest_arc * scale) + 1


def vehicle_fixed_cost(problem: PdpProblem, scale: int) -> int:
    """A cost per vehicle above any possible total distance: one vehicle more never pays off."""
    return distance_bound(problem, scale)


def drop_penalty(problem: PdpProblem, scale: int, fixed_cost: int) -> int:
    """Cost of an unserved request: above a vehicle and any distance, so serving always wins."""
    return 2 * max(fixed_cost, distance_bound(problem, scale))


# --------------------------------------------------------------------------- search parameters
def search_parameters(params: PdpParams, time_limit_s: float):
    """Routing search parameters for :func:`solve_model` (a ``RoutingSearchParameters`` proto)."""
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.Value.Value(params.first_solution)
    if params.metaheuristic == ITERATED_LOCAL_SEARCH:
        configure_iterated_local_search(search, params)
    else:
        search.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.Value.Value(params.metaheuristic)
    if params.tuned_operators:
        set_operators(search, PAIR_OPERATORS, True)
        set_operators(search, SLOW_OPERATORS, False)
    search.time_limit.FromMilliseconds(max(1, round(time_limit_s * 1000)))
    search.log_search = params.log_search
    return search


def configure_iterated_local_search(search, params: PdpParams) -> None:
    """ILS: SISR string removals (Christiaens & Vanden Berghe 2020), cheapest reinsertion, a greedy
    descent after each perturbation and simulated-annealing acceptance with automatic temperatures."""
    search.use_iterated_local_search = True
    # Each perturbation is followed by a descent to a local optimum; a metaheuristic there would
    # never return control to the ILS loop.
    search.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    ils = search.iterated_local_search_parameters
    ruin_recreate = ils.ruin_recreate_parameters
    del ruin_recreate.ruin_strategies[:]
    sisr = ruin_recreate.ruin_strategies.add().sisr
    sisr.avg_num_removed_visits = params.ruin_visits
    sisr.max_removed_sequence_size = params.ruin_sequence
    sisr.bypass_factor = 0.01  # the paper's α
    ruin_recreate.recreate_strategy.heuristic = routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    ils.improve_perturbed_solution = True
    ils.reference_solution_acceptance_strategy.simulated_annealing.automatic_temperatures = True


def set_operators(search, names: Sequence[str], enabled: bool) -> None:
    value = optional_boolean_pb2.BOOL_TRUE if enabled else optional_boolean_pb2.BOOL_FALSE
    for name in names:
        setattr(search.local_search_operators, name, value)


def solve_model(pm: PdpModel, params: PdpParams, time_limit_s: float) -> pywrapcp.Assignment | None:
    """Run the search; ILS has its own entry point in OR-Tools 9.15."""
    search = search_parameters(params, time_limit_s)
    if params.metaheuristic == ITERATED_LOCAL_SEARCH:
        return pm.routing.SolveWithIteratedLocalSearch(search)
    return pm.routing.SolveWithParameters(search)


# --------------------------------------------------------------------------- extraction
def routes_of(pm: PdpModel, assignment: pywrapcp.Assignment) -> Routes:
    """Node lists per *problem* vehicle (start and end excluded); vehicles outside the model are empty."""
    routes: list[tuple[int, ...]] = [()] * pm.problem.vehicle_count
    for model_vehicle, vehicle in enumerate(pm.vehicles):
        route = []
        index = assignment.Value(pm.routing.NextVar(pm.routing.Start(model_vehicle)))
        while not pm.routing.IsEnd(index):
            route.append(pm.manager.IndexToNode(index))
            index = assignment.Value(pm.routing.NextVar(index))
        routes[vehicle] = tuple(route)
    return tuple(routes)


# --------------------------------------------------------------------------- vehicle minimisation
ELIMINATION_ATTEMPT_S = 2.0  # one greedy descent without a route; it ends in well under 1 s on Li & Lim
MIN_PHASE_S = 0.2  # less time left is not worth building another model


def fewer_routes(problem: PdpProblem, params: PdpParams, routes: Routes, deadline: float) -> Routes:
    """Route elimination, then a polish: fewest vehicles first, then distance.

    A search with a fixed cost per vehicle rarely empties a whole route in one move. So, while time
    lasts, drop the route with the fewest visits and let a greedy descent re-insert its requests into
    the others (measured on Li & Lim: a vehicle fewer on lrc103, lrc201 and lr205 within a second,
    where the iterated search at 10 s stays one over). Then polish the distance with ``params.polish``
    from the last complete plan, without the vehicle cost: it swamps a metaheuristic's own scale
    (guided local search's penalties, annealing temperatures) and no longer decides anything.
    """
    while sum(1 for route in routes if route) > 1 and deadline - time.monotonic() > MIN_PHASE_S:
        smallest = min((v for v, route in enumerate(routes) if route), key=lambda v: len(routes[v]))
        kept = [v for v, route in enumerate(routes) if route and v != smallest]
        limit = min(ELIMINATION_ATTEMPT_S, deadline - time.monotonic())
        candidate = search_from(problem, params, routes, kept, "GREEDY_DESCENT", limit, minimize_vehicles=True)
        if candidate is None or unserved_pairs(problem, candidate):
            break
        routes = candidate
    if params.polish is not None and deadline - time.monotonic() > MIN_PHASE_S:
        used = [v for v, route in enumerate(routes) if route]
        limit = deadline - time.monotonic()
        polished = search_from(problem, params, routes, used, params.polish, limit, minimize_vehicles=False)
        if polished is not None and _better(problem, polished, routes):
            routes = polished
    return routes


def search_from(
    problem: PdpProblem,
    params: PdpParams,
    routes: Routes,
    vehicles: Sequence[int],
    metaheuristic: str,
    time_limit_s: float,
    *,
    minimize_vehicles: bool,
) -> Routes | None:
    """Local search over ``vehicles`` only, starting from their ``routes`` (requests on other
    vehicles start unserved); None when OR-Tools cannot restore the routes or finds nothing."""
    pm = build_model(problem, params.scale, vehicles, minimize_vehicles=minimize_vehicles)
    initial = pm.routing.ReadAssignmentFromRoutes([list(routes[v]) for v in vehicles], True)
    if initial is None:
        return None
    # OR-Tools' default operators: the tuned set serves the iterated search's short descents.
    search = search_parameters(replace(params, metaheuristic=metaheuristic, tuned_operators=False), time_limit_s)
    assignment = pm.routing.SolveFromAssignmentWithParameters(initial, search)
    return None if assignment is None else routes_of(pm, assignment)


def _better(problem: PdpProblem, candidate: Routes, incumbent: Routes) -> bool:
    """Serves every request, with no more vehicles and a shorter distance."""
    used = sum(1 for route in candidate if route) <= sum(1 for route in incumbent if route)
    shorter = total_distance(problem, candidate) < total_distance(problem, incumbent)
    return not unserved_pairs(problem, candidate) and used and shorter


# --------------------------------------------------------------------------- entry point
def solve_pdp(problem: PdpProblem, params: PdpParams | None = None) -> PdpResult:
    """Solve a pickup-and-delivery problem: most requests served, then fewest vehicles, then
    shortest total distance.

    Parameters
    ----------
    problem
        The problem.
    params
        Time limit and search settings; defaults to :class:`PdpParams` (10 s, tuned ILS).

    Returns
    -------
    PdpResult
        ``FEASIBLE`` when every request is served; ``INFEASIBLE`` when some request provably cannot
        be (the reasons say which and why; the others are still planned); ``PARTIAL`` when the
        search left requests out without such a proof; ``NO_SOLUTION`` when it returned nothing.
        Infeasibility is a status, never an exception. The search always uses the whole time limit.
    """
    params = params or PdpParams()
    began = time.monotonic()
    fleet = range(min(problem.vehicle_count, params.max_vehicles or problem.vehicle_count))
    impossible = unservable_requests(problem, fleet)
    pm = build_model(problem, params.scale, fleet, minimize_vehicles=params.minimize_vehicles)
    share = params.first_search_share if params.minimize_vehicles else 1.0
    assignment = solve_model(pm, params, max(0.001, share * params.time_limit_s - (time.monotonic() - began)))
    if assignment is None:
        status = routing_enums_pb2.RoutingSearchStatus.Value.Name(pm.routing.status())
        reasons = [*impossible.values(), f"the solver found no plan (OR-Tools status {status})"]
        return pdp_result(problem, PdpStatus.NO_SOLUTION, None, began, reasons)
    routes = routes_of(pm, assignment)
    if share < 1 and not unserved_pairs(problem, routes):
        routes = fewer_routes(problem, params, routes, began + params.time_limit_s)
    unserved = unserved_pairs(problem, routes)
    reasons = [
        impossible.get(pair, f"request {pair[0]}→{pair[1]} was not placed within the time limit") for pair in unserved
    ]
    if not unserved:
        status = PdpStatus.FEASIBLE
    elif any(pair in impossible for pair in unserved):
        status = PdpStatus.INFEASIBLE
    else:
        status = PdpStatus.PARTIAL
    return pdp_result(problem, status, routes, began, reasons, unserved)
