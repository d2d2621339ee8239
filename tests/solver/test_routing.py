"""The pickup-and-delivery adapter: Li & Lim reader, problem validation, the independent checker
(the oracle of every solve below), each constraint family feasible and binding, a brute-forced
optimum, and a corridor rescue with two scenes and one 49-seat coach."""

from __future__ import annotations

import itertools
import math
import random
import time
from dataclasses import replace
from pathlib import Path

import pytest

from fleetplan.errors import DataValidationError, InvalidValueError

from solver.pdp_routes import result_to_json
from solver.pdptw import PdpProblem, check_pdp_solution, euclidean_matrix, read_lilim, route_distance
from solver.routing import PdpParams, PdpStatus, fewer_routes, solve_pdp, total_distance

LILIM = Path(__file__).resolve().parents[3] / "shared" / "data" / "lilim"
FAST = PdpParams(time_limit_s=0.3)

needs_lilim = pytest.mark.skipif(
    not (LILIM / "lc101.txt").exists(),
    reason=f"Li & Lim instances not found in {LILIM} (the repo is expected next to shared/)",
)


# --------------------------------------------------------------------------- helpers
def line_problem(positions, windows, demands, pairs, *, vehicles=1, capacity=10, service=0.0, **extra):
    """Nodes on a line (x = position, y = 0); node 0 is the depot."""
    xy = [(x, 0.0) for x in positions]
    return PdpProblem(
        distance=euclidean_matrix(xy),
        time_windows=tuple(windows),
        service_times=(0.0,) + (service,) * (len(positions) - 1),
        demands=tuple(demands),
        pairs=tuple(pairs),
        vehicle_count=vehicles,
        capacity=capacity,
        **extra,
    )


def two_requests(capacity=10, load=4, vehicles=1) -> PdpProblem:
    """Depot at 0; request 1→3 from x=2 to x=6, request 2→4 from x=3 to x=5; wide windows."""
    return line_problem(
        positions=[0, 2, 3, 6, 5],
        windows=[(0, 100)] * 5,
        demands=[0, load, load, -load, -load],
        pairs=[(1, 3), (2, 4)],
        vehicles=vehicles,
        capacity=capacity,
    )


def sub_problem(problem: PdpProblem, pair_count: int) -> PdpProblem:
    """The depot and the first ``pair_count`` requests of a single-depot problem, renumbered."""
    keep = [problem.depot, *(node for pair in problem.pairs[:pair_count] for node in pair)]
    new = {old: index for index, old in enumerate(keep)}
    return PdpProblem(
        distance=tuple(tuple(problem.distance[a][b] for b in keep) for a in keep),
        time_windows=tuple(problem.time_windows[n] for n in keep),
        service_times=tuple(problem.service_times[n] for n in keep),
        demands=tuple(problem.demands[n] for n in keep),
        pairs=tuple((new[p], new[d]) for p, d in problem.pairs[:pair_count]),
        vehicle_count=problem.vehicle_count,
        capacity=problem.capacity,
        name=f"{problem.name}-first{pair_count}",
    )


# --------------------------------------------------------------------------- Li & Lim reader
@needs_lilim
@pytest.mark.parametrize("name, depot_close", [("lc101", 1236), ("lr101", 230), ("lrc101", 240)])
def test_read_lilim_instances(name, depot_close):
    problem = read_lilim(LILIM / f"{name}.txt")
    assert (problem.vehicle_count, problem.capacity, problem.node_count) == (25, 200, 107)
    assert problem.request_count == 53
    assert problem.time_windows[0] == (0.0, depot_close)
    for pickup, delivery in problem.pairs:
        assert problem.demands[pickup] > 0
        assert problem.demands[delivery] == -problem.demands[pickup]
    assert sorted(n for pair in problem.pairs for n in pair) == list(range(1, 107))


@needs_lilim
def test_read_lilim_keeps_the_file_values():
    problem = read_lilim(LILIM / "lc101.txt")
    # line "3 42 66 10 65 146 90 0 75": a pickup of 10 delivered at node 75
    assert (3, 75) in problem.pairs
    assert problem.demands[3] == 10 and problem.time_windows[3] == (65, 146) and problem.service_times[3] == 90
    assert problem.distance[0][3] == pytest.approx(math.hypot(40 - 42, 50 - 66))  # unrounded


def test_read_lilim_reports_every_bad_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("2 10 1\n0 0 0 0 0 100 0 0 0\n1 1 1 5 0 100 0 0\n2 x 1 -5 0 100 0 1 0\n")
    with pytest.raises(DataValidationError) as raised:
        read_lilim(path)
    assert [p.message for p in raised.value.problems] == [
        "line 3: expected 9 numbers, found 8",
        "line 4: not all numbers: 2 x 1 -5 0 100 0 1 0",
    ]


def test_read_lilim_reports_a_pickup_without_its_delivery(tmp_path):
    path = tmp_path / "unpaired.txt"
    path.write_text("2 10 1\n0 0 0 0 0 100 0 0 0\n1 1 1 5 0 100 0 0 2\n2 2 2 -5 0 100 0 0 0\n")
    with pytest.raises(DataValidationError, match="line 4: node 2 is not part of a consistent"):
        read_lilim(path)


def test_read_lilim_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataValidationError, match="cannot read"):
        read_lilim(tmp_path / "absent.txt")


# --------------------------------------------------------------------------- problem validation
def test_problem_rejects_a_node_outside_every_pair():
    with pytest.raises(InvalidValueError, match="neither in a pair nor a depot"):
        line_problem([0, 1, 2, 3], [(0, 9)] * 4, [0, 1, -1, 0], [(1, 2)])


def test_problem_rejects_a_delivery_that_does_not_unload_its_pickup():
    with pytest.raises(InvalidValueError, match="delivery must unload"):
        line_problem([0, 1, 2], [(0, 9)] * 3, [0, 2, -1], [(1, 2)])


def test_problem_rejects_per_vehicle_fields_of_the_wrong_length():
    with pytest.raises(InvalidValueError, match="starts"):
        replace(two_requests(vehicles=2), starts=(0,))


# --------------------------------------------------------------------------- the checker
# two_requests(): depot x=0, pickups 1 (x=2) and 2 (x=3), deliveries 3 (x=6) and 4 (x=5), 4 places each.
def test_checker_accepts_feasible_routes():
    problem = two_requests()
    assert check_pdp_solution(problem, [[1, 2, 4, 3]]) == []
    assert check_pdp_solution(replace(problem, vehicle_count=2), [[1, 3], [2, 4]]) == []
    assert route_distance(problem, 0, [1, 2, 4, 3]) == pytest.approx(12.0)


def test_checker_catches_capacity_exceeded():
    problem = two_requests(capacity=5)
    assert check_pdp_solution(problem, [[1, 3, 2, 4]]) == []
    assert check_pdp_solution(problem, [[1, 2, 4, 3]]) == ["vehicle 0: load 8 after node 2 exceeds capacity 5"]


def test_checker_catches_delivery_before_pickup():
    assert check_pdp_solution(two_requests(), [[3, 1, 2, 4]]) == ["vehicle 0: delivery 3 comes before its pickup 1"]


def test_checker_catches_late_service_and_late_return():
    late_node = replace(two_requests(), time_windows=((0, 100),) * 4 + ((0, 4),))
    assert check_pdp_solution(late_node, [[1, 2, 4, 3]]) == [
        "vehicle 0: starts service at node 4 at 5.00, after its window closes at 4"
    ]
    late_return = replace(two_requests(), time_windows=((0, 10),) + ((0, 100),) * 4)
    assert check_pdp_solution(late_return, [[1, 3, 2, 4]]) == [
        "vehicle 0: returns to end node 0 at 16.00, after its window closes at 10"
    ]


def test_checker_waits_for_a_window_to_open():
    windows = [(0, 30), (10, 11), (0, 100), (0, 100), (0, 100)]
    problem = replace(two_requests(), time_windows=tuple(windows))
    # waits at node 1 from 2 to 10, then node 2 at 11, node 4 at 13, node 3 at 14, depot at 20
    assert check_pdp_solution(problem, [[1, 2, 4, 3]]) == []
    windows[3] = (0, 13.5)  # reachable at 6 without the wait, too late with it
    assert check_pdp_solution(replace(problem, time_windows=tuple(windows)), [[1, 2, 4, 3]]) == [
        "vehicle 0: starts service at node 3 at 14.00, after its window closes at 13.5"
    ]


def test_checker_catches_split_missing_repeated_and_foreign_nodes():
    problem = two_requests(vehicles=2)
    assert check_pdp_solution(problem, [[1, 2, 4], [3]]) == ["request 1→3 is split over vehicles 0 and 1"]
    assert check_pdp_solution(problem, [[1, 3]]) == ["request 2→4 is not served"]
    assert check_pdp_solution(problem, [[1, 3]], require_all=False) == []
    assert check_pdp_solution(problem, [[1, 3, 2]], require_all=False) == ["request 2→4: only its pickup is served"]
    assert check_pdp_solution(problem, [[1, 3, 1, 2, 4]]) == ["node 1 is visited 2 times"]
    assert check_pdp_solution(problem, [[1, 3, 0, 2, 4]]) == ["node 0 is not a pickup or delivery of this problem"]
    assert check_pdp_solution(problem, [[], [], []]) == ["3 routes for 2 vehicles"]


# --------------------------------------------------------------------------- solving Li & Lim
@needs_lilim
def test_solves_the_first_ten_requests_of_lc101_feasibly():
    problem = sub_problem(read_lilim(LILIM / "lc101.txt"), 10)
    result = solve_pdp(problem, PdpParams(time_limit_s=1.0))
    assert result.status == PdpStatus.FEASIBLE
    assert check_pdp_solution(problem, result.routes) == []
    arcs = [arc for route in result.used_routes for arc in itertools.pairwise([0, *route, 0])]
    assert result.distance == pytest.approx(sum(problem.distance[a][b] for a, b in arcs))
    assert result.vehicles_used == len(result.used_routes) >= 1
    for route, starts in zip(result.routes, result.service_starts):
        assert len(route) == len(starts)
        for node, start in zip(route, starts):
            earliest, latest = problem.time_windows[node]
            assert earliest <= start <= latest


# --------------------------------------------------------------------------- capacity
def overlapping_requests(capacity: int, vehicles: int) -> PdpProblem:
    """Both pickups must happen before either delivery (windows), so one vehicle carries 4 + 4."""
    windows = [(0, 100), (0, 2.5), (0, 3.5), (0, 100), (0, 100)]
    return replace(two_requests(capacity=capacity, vehicles=vehicles), time_windows=tuple(windows))


def test_capacity_feasible_when_both_loads_fit():
    problem = overlapping_requests(capacity=8, vehicles=2)
    result = solve_pdp(problem, FAST)
    assert result.status == PdpStatus.FEASIBLE and result.vehicles_used == 1
    assert check_pdp_solution(problem, result.routes) == []


def test_capacity_binding_needs_a_second_vehicle():
    problem = overlapping_requests(capacity=5, vehicles=2)
    result = solve_pdp(problem, FAST)
    assert result.status == PdpStatus.FEASIBLE and result.vehicles_used == 2
    assert check_pdp_solution(problem, result.routes) == []


def test_capacity_binding_with_one_vehicle_is_a_partial_plan_not_an_exception():
    problem = overlapping_requests(capacity=5, vehicles=1)
    result = solve_pdp(problem, FAST)
    assert result.status == PdpStatus.PARTIAL
    assert len(result.unserved) == 1 and "not placed" in result.reasons[0]
    assert check_pdp_solution(problem, result.routes, require_all=False) == []


def test_a_request_larger_than_every_vehicle_is_an_infeasible_status():
    problem = replace(two_requests(capacity=10), demands=(0, 4, 12, -4, -12))
    result = solve_pdp(problem, FAST)
    assert result.status == PdpStatus.INFEASIBLE
    assert result.unserved == ((2, 4),)
    assert result.reasons == ("request 2→4 needs 12 places; the largest vehicle has 10",)
    assert result.routes[0] == (1, 3)  # the other request is still planned
    assert check_pdp_solution(problem, result.routes, require_all=False) == []


# --------------------------------------------------------------------------- time windows
def test_time_windows_feasible_with_waiting():
    problem = replace(two_requests(), time_windows=((0, 100), (20, 25), (0, 100), (0, 100), (40, 45)))
    result = solve_pdp(problem, FAST)
    assert result.status == PdpStatus.FEASIBLE
    assert check_pdp_solution(problem, result.routes) == []
    starts = dict(zip(result.routes[0], result.service_starts[0]))
    assert 20 <= starts[1] <= 25 and 40 <= starts[4] <= 45


def test_time_windows_unreachable_delivery_is_infeasible_with_a_reason():
    # delivery 4 (x=5) closes at 4, but its pickup (x=3) opens at 2: 2 + 2 = 4 is fine, 1 unit later is not
    problem = replace(two_requests(), time_windows=((0, 100), (0, 100), (3, 100), (0, 100), (0, 4)))
    result = solve_pdp(problem, FAST)
    assert result.status == PdpStatus.INFEASIBLE
    assert result.unserved == ((2, 4),)
    assert "cannot be served inside its time windows" in result.reasons[0]


def test_time_windows_return_to_depot_is_respected():
    # request 1→3 alone: out 2, on 4, back 6 = 12; request 2→4 alone: 10
    exact = replace(two_requests(vehicles=2), time_windows=((0, 12),) + ((0, 100),) * 4)
    result = solve_pdp(exact, FAST)  # 0-2-3-5-6-0 also takes 12: one vehicle, back at 12 sharp
    assert (result.status, result.vehicles_used) == (PdpStatus.FEASIBLE, 1)
    assert check_pdp_solution(exact, result.routes) == []
    tight = replace(exact, time_windows=((0, 11.9),) + ((0, 100),) * 4)
    result = solve_pdp(tight, FAST)
    assert (result.status, result.unserved, result.used_routes) == (PdpStatus.INFEASIBLE, ((1, 3),), ((2, 4),))
    assert check_pdp_solution(tight, result.routes, require_all=False) == []


# --------------------------------------------------------------------------- pickup and delivery
def test_pickup_precedes_delivery_on_the_same_vehicle():
    # deliveries lie *before* their pickups along the line, so the shortest tour ignoring
    # precedence would visit them first
    problem = line_problem([0, 5, 6, 1, 2], [(0, 100)] * 5, [0, 3, 3, -3, -3], [(1, 3), (2, 4)], vehicles=2)
    result = solve_pdp(problem, FAST)
    assert result.status == PdpStatus.FEASIBLE
    assert check_pdp_solution(problem, result.routes) == []
    for route in result.used_routes:
        for pickup, delivery in problem.pairs:
            if pickup in route:
                assert route.index(pickup) < route.index(delivery)


def test_delivery_window_closing_before_pickup_opens_is_infeasible():
    problem = replace(two_requests(), time_windows=((0, 100), (50, 60), (0, 100), (0, 10), (0, 100)))
    result = solve_pdp(problem, FAST)
    assert result.status == PdpStatus.INFEASIBLE and result.unserved == ((1, 3),)
    assert result.used_routes == ((2, 4),)


# --------------------------------------------------------------------------- vehicle cost
def far_apart_requests(**extra) -> PdpProblem:
    """Depot 10 from everything, each request 1 long, the two requests 50 apart."""
    groups = [0, 1, 1, 2, 2]  # depot, request A, request B
    distance = tuple(
        tuple(
            0.0 if a == b else 10.0 if 0 in (groups[a], groups[b]) else 1.0 if groups[a] == groups[b] else 50.0
            for b in range(5)
        )
        for a in range(5)
    )
    return PdpProblem(
        distance=distance,
        time_windows=((0, 1000),) * 5,
        service_times=(0.0,) * 5,
        demands=(0, 1, -1, 1, -1),
        pairs=((1, 2), (3, 4)),
        vehicle_count=2,
        capacity=5,
        **extra,
    )


def test_fewer_vehicles_win_over_shorter_distance():
    result = solve_pdp(far_apart_requests(), FAST)
    assert (result.vehicles_used, result.distance) == (1, pytest.approx(72.0))


def test_without_vehicle_cost_distance_decides():
    result = solve_pdp(far_apart_requests(), replace(FAST, minimize_vehicles=False))
    assert (result.vehicles_used, result.distance) == (2, pytest.approx(42.0))


def test_max_vehicles_caps_the_fleet():
    result = solve_pdp(far_apart_requests(), replace(FAST, minimize_vehicles=False, max_vehicles=1))
    assert (result.status, result.vehicles_used) == (PdpStatus.FEASIBLE, 1)


def test_vehicles_start_and_end_at_their_own_depots_with_their_own_capacities():
    # nodes: 0 depot west (x=0), 5 depot east (x=20); request 1→2 in the west, 3→4 in the east (load 4)
    problem = line_problem(
        [0, 1, 2, 19, 18, 20],
        [(0, 100)] * 6,
        [0, 2, -2, 4, -4, 0],
        [(1, 2), (3, 4)],
        vehicles=2,
        capacity=4,
        starts=(0, 5),
        ends=(0, 5),
        capacities=(4, 4),
    )
    result = solve_pdp(problem, replace(FAST, minimize_vehicles=False))
    assert result.routes == ((1, 2), (3, 4))
    assert result.distance == pytest.approx(4.0 + 4.0)
    small_east = replace(problem, capacities=(4, 3))  # the east coach is too small for request 3→4
    result = solve_pdp(small_east, replace(FAST, minimize_vehicles=False))
    assert set(result.routes[0]) == {1, 2, 3, 4} and result.routes[1] == ()
    assert check_pdp_solution(small_east, result.routes) == []


# --------------------------------------------------------------------------- brute-forced optimum
def brute_force(problem: PdpProblem) -> tuple[int, float]:
    """(vehicles, distance) of the best solution, by enumerating assignments and orders (identical
    vehicles at one depot; every feasible order of each vehicle's requests)."""
    best = (math.inf, math.inf)
    for labels in itertools.product(range(problem.vehicle_count), repeat=problem.request_count):
        total, used = 0.0, 0
        for vehicle in range(problem.vehicle_count):
            nodes = [n for pair, label in zip(problem.pairs, labels) if label == vehicle for n in pair]
            if not nodes:
                continue
            lengths = [
                route_distance(problem, 0, order)
                for order in itertools.permutations(nodes)
                if not check_pdp_solution(problem, [order], require_all=False)
            ]
            if not lengths:
                break
            total, used = total + min(lengths), used + 1
        else:
            best = min(best, (used, total))
    return best


@pytest.mark.parametrize("seed", [3, 7])
def test_solver_matches_a_brute_forced_optimum(seed):
    # For both seeds the windows and seats bind: the optimum needs 2 vehicles (1 without them).
    rng = random.Random(seed)
    xy = [(50.0, 50.0)] + [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(6)]
    windows = [(0.0, 400.0)]
    for _ in range(3):
        opens = rng.uniform(0, 150)
        windows += [(opens, opens + 60)]
    for index in range(3):
        opens = windows[1 + index][0] + rng.uniform(40, 120)
        windows += [(opens, opens + 60)]
    # nodes 1..3 pickups, 4..6 their deliveries; capacity 15 fits two of the three loads of 6..8
    problem = PdpProblem(
        distance=euclidean_matrix(xy),
        time_windows=tuple(windows),
        service_times=(0.0,) + (5.0,) * 6,
        demands=(0, 6, 7, 8, -6, -7, -8),
        pairs=((1, 4), (2, 5), (3, 6)),
        vehicle_count=3,
        capacity=15,
    )
    vehicles, distance = brute_force(problem)
    assert vehicles < math.inf, "the generated instance should be feasible"
    result = solve_pdp(problem, FAST)
    assert result.status == PdpStatus.FEASIBLE
    assert check_pdp_solution(problem, result.routes) == []
    assert (result.vehicles_used, result.distance) == (vehicles, pytest.approx(distance, abs=1e-2))


# --------------------------------------------------------------------------- corridor rescue
def corridor_rescue(vehicles: int = 1, third_group: bool = False) -> PdpProblem:
    """A blizzard morning on the G1 (times in s from 07:00, distances in m, 60 s/km in snow).

    One 49-seat coach stands at the Siping depot (K0). Two coaches are stuck: 30 passengers at K40
    (reported 07:10, tier limit 90 min) and 19 at K78 (reported 07:20, limit 90 min); both groups go
    to the Changchun campus (K125), by 11:00. Boarding takes 10 min, alighting 5. The campus appears
    once per group (a delivery node each) as the PDP needs; carriageway turns are ignored here.
    """
    km = [0, 40, 78, 125, 125]  # depot, scene A, scene B, campus for A, campus for B
    windows = [(0, 6 * 3600), (600, 600 + 90 * 60), (1200, 1200 + 90 * 60), (0, 4 * 3600), (0, 4 * 3600)]
    service = [0, 600, 600, 300, 300]
    if third_group:  # 10 more passengers at K60, reported 07:15
        km += [60, 125]
        windows += [(900, 900 + 90 * 60), (0, 4 * 3600)]
        service += [600, 300]
    distance_m = tuple(tuple(abs(a - b) * 1000.0 for b in km) for a in km)
    travel_s = tuple(tuple(abs(a - b) * 60.0 for b in km) for a in km)
    demands = [0, 30, 19, -30, -19] + ([10, -10] if third_group else [])
    pairs = ((1, 3), (2, 4)) + (((5, 6),) if third_group else ())
    return PdpProblem(
        distance=distance_m,
        travel_time=travel_s,
        time_windows=tuple(windows),
        service_times=tuple(service),
        demands=tuple(demands),
        pairs=pairs,
        vehicle_count=vehicles,
        capacity=49,
        name="blizzard",
    )


def test_one_49_seat_coach_collects_both_scenes():
    problem = corridor_rescue()
    result = solve_pdp(problem, PdpParams(time_limit_s=0.3, scale=1))
    assert result.status == PdpStatus.FEASIBLE
    assert check_pdp_solution(problem, result.routes) == []
    route = result.routes[0]
    assert route[:2] == (1, 2) and set(route[2:]) == {3, 4}  # K40, K78, then the campus
    starts = dict(zip(route, result.service_starts[0]))
    assert starts[1] == 40 * 60  # leaves at 07:00, at K40 at 07:40
    assert starts[2] == 40 * 60 + 600 + 38 * 60  # boards 10 min, 38 km more: 08:28, inside 07:20-08:50
    assert result.distance == pytest.approx(250_000.0)  # 125 km out, 125 km back to Siping


def test_a_third_group_overfills_the_coach_and_is_reported_unserved():
    problem = corridor_rescue(third_group=True)
    result = solve_pdp(problem, PdpParams(time_limit_s=0.3, scale=1))
    assert result.status == PdpStatus.PARTIAL  # every group fits alone: no proof, just no room
    assert len(result.unserved) == 1
    assert check_pdp_solution(problem, result.routes, require_all=False) == []
    second_coach = solve_pdp(replace(problem, vehicle_count=2), PdpParams(time_limit_s=0.3, scale=1))
    assert (second_coach.status, second_coach.vehicles_used) == (PdpStatus.FEASIBLE, 2)
    assert check_pdp_solution(replace(problem, vehicle_count=2), second_coach.routes) == []


# --------------------------------------------------------------------------- interface
def test_result_to_json_lists_used_routes_without_the_depot():
    result = solve_pdp(far_apart_requests(), replace(FAST, minimize_vehicles=False))
    payload = result_to_json(result)
    assert payload["status"] == "feasible" and payload["vehicles"] == 2 and payload["distance"] == 42.0
    assert sorted(payload["routes"]) == [[1, 2], [3, 4]]
    assert "unserved" not in payload


def test_result_to_json_names_unserved_requests():
    payload = result_to_json(solve_pdp(overlapping_requests(capacity=5, vehicles=1), FAST))
    assert payload["status"] == "partial" and len(payload["unserved"]) == 1 and payload["reasons"]


def test_guided_local_search_remains_available():
    problem = overlapping_requests(capacity=5, vehicles=2)
    result = solve_pdp(
        problem,
        replace(
            FAST,
            metaheuristic="GUIDED_LOCAL_SEARCH",
            first_solution="PARALLEL_CHEAPEST_INSERTION",
            tuned_operators=False,
        ),
    )
    assert result.status == PdpStatus.FEASIBLE and check_pdp_solution(problem, result.routes) == []


@pytest.mark.parametrize(
    "field, value",
    [
        ("metaheuristic", "HILL_CLIMB"),
        ("first_solution", "RANDOM"),
        ("time_limit_s", 0),
        ("max_vehicles", 0),
        ("first_search_share", 0),
        ("polish", "ITERATED_LOCAL_SEARCH"),
    ],
)
def test_params_reject_bad_values(field, value):
    with pytest.raises(InvalidValueError, match=field):
        replace(FAST, **{field: value})


def test_a_scale_that_would_overflow_is_refused():
    with pytest.raises(InvalidValueError, match="scale"):
        solve_pdp(two_requests(), replace(FAST, scale=10**17))


# --------------------------------------------------------------------------- vehicle minimisation
def test_route_elimination_merges_two_routes_into_one():
    problem = far_apart_requests()
    routes = fewer_routes(problem, FAST, ((1, 2), (3, 4)), time.monotonic() + 0.5)
    assert check_pdp_solution(problem, routes) == []
    assert sum(1 for route in routes if route) == 1
    assert total_distance(problem, routes) == pytest.approx(72.0)


def test_route_elimination_keeps_both_routes_when_one_vehicle_cannot_carry_both_loads():
    problem = overlapping_requests(capacity=5, vehicles=2)
    routes = fewer_routes(problem, FAST, ((1, 3), (2, 4)), time.monotonic() + 0.5)
    assert check_pdp_solution(problem, routes) == []
    assert sum(1 for route in routes if route) == 2


def test_without_a_first_search_share_below_one_no_elimination_runs():
    result = solve_pdp(far_apart_requests(), replace(FAST, first_search_share=1.0, polish=None))
    assert (result.status, result.vehicles_used) == (PdpStatus.FEASIBLE, 1)
