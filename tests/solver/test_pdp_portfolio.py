"""The PyVRP adapter and the two-engine portfolio over the routing adapter: every plan they return
passes the independent checker, fewer vehicles win (PyVRP caps its fleet below its last feasible
plan), the child's plan comes back through the pipe and wins on vehicles, and a PyVRP plan the
checker rejects, a child that sends nothing, or a problem PyVRP's model does not cover, leaves the
OR-Tools plan in place."""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import replace
from pathlib import Path

import pytest

from fleetplan.errors import InvalidValueError

from solver.pdp_portfolio import rank, routes_in_time, solve_pdp_portfolio
from solver.pdp_pyvrp import Deadline, fewest_vehicles, pyvrp_data, solve_pyvrp, supports
from solver.pdptw import check_pdp_solution, read_lilim
from solver.routing import PdpParams, PdpStatus, pdp_result, total_distance

from tests.solver.test_routing import far_apart_requests  # one vehicle drives 72, two drive 42 together

LILIM = Path(__file__).resolve().parents[3] / "shared" / "data" / "lilim"
FAST = PdpParams(time_limit_s=0.5)


def test_pyvrp_prefers_one_vehicle_over_shorter_distance():
    problem = far_apart_requests()
    routes = solve_pyvrp(problem, 0.3)
    assert check_pdp_solution(problem, routes) == []
    assert sum(1 for route in routes if route) == 1
    assert total_distance(problem, routes) == pytest.approx(72.0)


def test_pyvrp_keeps_a_tight_window_with_fractional_service():
    # Pickup 1 is 10 from the depot and closes at 10.0 exactly; after 0.25 of service there, its
    # delivery 1 further on is reached at 11.25, the last moment its window allows.
    problem = replace(
        far_apart_requests(),
        time_windows=((0, 1000), (0, 10.0), (0, 11.25), (0, 1000), (0, 1000)),
        service_times=(0.0, 0.25, 0.0, 0.0, 0.0),
    )
    routes = solve_pyvrp(problem, 0.3)
    assert check_pdp_solution(problem, routes) == []


def test_pyvrp_covers_one_shared_depot_and_one_capacity_only():
    assert supports(far_apart_requests())
    assert not supports(far_apart_requests(capacities=(5, 3)))


@pytest.mark.skipif(not (LILIM / "lc101.txt").exists(), reason=f"Li & Lim instances not found in {LILIM}")
def test_portfolio_plan_on_lc101_passes_the_checker():
    problem = read_lilim(LILIM / "lc101.txt")
    result = solve_pdp_portfolio(problem, PdpParams(time_limit_s=1.0))
    assert result.status == PdpStatus.FEASIBLE and result.engine in ("or-tools", "pyvrp")
    assert check_pdp_solution(problem, result.routes) == []
    assert result.distance == pytest.approx(total_distance(problem, result.routes))


def test_portfolio_keeps_or_tools_when_pyvrp_returns_a_plan_the_checker_rejects(monkeypatch):
    problem = far_apart_requests()
    monkeypatch.setattr("solver.pdp_portfolio.routes_in_time", lambda receiver, deadline: ((1, 2), (3, 4, 4)))
    result = solve_pdp_portfolio(problem, FAST, here="or-tools")
    assert result.engine == "or-tools" and check_pdp_solution(problem, result.routes) == []


def test_portfolio_runs_or_tools_alone_where_pyvrp_does_not_fit():
    problem = far_apart_requests(starts=(0, 0), ends=(0, 0), capacities=(5, 3))
    result = solve_pdp_portfolio(problem, FAST)
    assert result.engine == "or-tools" and result.vehicles_used == 1


def test_portfolio_without_vehicle_cost_is_or_tools_alone():
    result = solve_pdp_portfolio(far_apart_requests(), replace(FAST, minimize_vehicles=False))
    assert (result.engine, result.vehicles_used, result.distance) == ("or-tools", 2, pytest.approx(42.0))


def test_rank_is_served_then_vehicles_then_distance():
    problem = far_apart_requests()
    one = pdp_result(problem, PdpStatus.FEASIBLE, ((1, 2, 3, 4), ()), 0.0, unserved=())
    two = pdp_result(problem, PdpStatus.FEASIBLE, ((1, 2), (3, 4)), 0.0, unserved=())
    half = pdp_result(problem, PdpStatus.PARTIAL, ((1, 2), ()), 0.0, unserved=((3, 4),))
    assert one.distance > two.distance
    assert rank(one) < rank(two) < rank(half)


def test_fleet_reduction_caps_pyvrp_below_its_last_feasible_plan():
    problem = far_apart_requests()  # two vehicles available, one suffices
    solution, data = fewest_vehicles(pyvrp_data(problem), seed=1, until=time.monotonic() + 5.0)
    assert solution is not None and solution.is_feasible()
    assert data.vehicle_type(0).num_available == 1 and solution.num_routes() == 1


def test_pyvrp_without_fleet_reduction_still_returns_a_checked_plan():
    problem = far_apart_requests()
    routes = solve_pyvrp(problem, 0.3, reduce_share=0.0)
    assert check_pdp_solution(problem, routes) == []


def test_deadline_stops_at_its_moment():
    assert Deadline(time.monotonic() - 1.0)(0) and not Deadline(time.monotonic() + 60.0)(0)


def test_routes_in_time_reads_the_plan_or_nothing():
    receiver, sender = multiprocessing.Pipe(duplex=False)
    sender.send(((1, 2), ()))
    assert routes_in_time(receiver, time.monotonic() + 1.0) == ((1, 2), ())
    assert routes_in_time(receiver, time.monotonic()) is None  # nothing more sent: late
    sender.close()
    assert routes_in_time(receiver, time.monotonic() + 1.0) is None  # the sender is gone


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the stubs reach the child by fork")
def test_portfolio_takes_the_childs_plan_with_fewer_vehicles(monkeypatch):
    problem = far_apart_requests()
    two = pdp_result(problem, PdpStatus.FEASIBLE, ((1, 2), (3, 4)), time.monotonic(), unserved=())
    monkeypatch.setattr("solver.pdp_portfolio.solve_pdp", lambda problem, params: two)
    monkeypatch.setattr(
        "solver.pdp_portfolio.solve_pyvrp_until", lambda problem, deadline, **kwargs: ((1, 2, 3, 4), ())
    )
    result = solve_pdp_portfolio(problem, FAST, here="or-tools")
    assert (result.engine, result.vehicles_used, result.distance) == ("pyvrp", 1, pytest.approx(72.0))
    assert check_pdp_solution(problem, result.routes) == []


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the stub reaches the child by fork")
def test_portfolio_keeps_or_tools_when_the_child_dies(monkeypatch):
    def die(problem, deadline, **kwargs):
        raise SystemExit(3)

    monkeypatch.setattr("solver.pdp_portfolio.solve_pyvrp_until", die)
    result = solve_pdp_portfolio(far_apart_requests(), FAST, here="or-tools")
    assert result.engine == "or-tools" and result.vehicles_used == 1


def test_portfolio_by_default_returns_a_pyvrp_plan_with_fewest_vehicles():
    problem = far_apart_requests()
    result = solve_pdp_portfolio(problem, FAST)
    assert (result.engine, result.vehicles_used, result.distance) == ("pyvrp", 1, pytest.approx(72.0))
    assert check_pdp_solution(problem, result.routes) == []


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the stub reaches the child by fork")
def test_portfolio_with_pyvrp_here_falls_back_to_or_tools_when_no_plan_passes(monkeypatch):
    problem = far_apart_requests()
    monkeypatch.setattr("solver.pdp_portfolio.solve_pyvrp_until", lambda *args, **kwargs: ((1, 2), (3, 4, 4)))
    result = solve_pdp_portfolio(problem, FAST, here="pyvrp")
    assert result.engine == "or-tools" and check_pdp_solution(problem, result.routes) == []


def test_portfolio_rejects_an_unknown_engine_here():
    with pytest.raises(InvalidValueError):
        solve_pdp_portfolio(far_apart_requests(), FAST, here="vroom")
