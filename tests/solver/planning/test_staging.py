"""Backup staging (MEXCLP on CP-SAT): hand-checked cases, brute force, monotonicity, the corridor
problem, bad input, and the ``fleetplan staging`` command."""

from __future__ import annotations

import argparse
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.errors import InvalidValueError, UnknownIdError
from fleetplan.network import TimeBand

from solver.planning.staging import (
    DemandPoint,
    StagingProblem,
    brute_force_staging,
    build_staging_problem,
    expected_coverage,
    parse_backups,
    solve_staging,
    staging_view,
    timetable_demand,
)

BAND = TimeBand.DAY


def point(
    point_id: str, weight: float, covers: set[str], near: set[str] | None = None, far: set[str] | None = None
) -> DemandPoint:
    """A point covered by ``covers`` under the near limit; by ``far`` when no backup stands in ``near``.
    Without ``near`` the tier never changes (plain MEXCLP)."""
    if near is None:
        return DemandPoint(
            point_id, point_id, BAND, weight, frozenset({"A", "B", "C"}), frozenset(covers), frozenset(covers)
        )
    return DemandPoint(point_id, point_id, BAND, weight, frozenset(near), frozenset(covers), frozenset(far or ()))


def problem(*points: DemandPoint, sites=("A", "B", "C"), capacity=()) -> StagingProblem:
    return StagingProblem(tuple(sites), tuple(points), tuple(capacity))


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor()


@pytest.fixture(scope="module")
def corridor_problem(corridor) -> StagingProblem:
    return build_staging_problem(corridor)


# --------------------------------------------------------------------------- hand-checked cases
def test_one_backup_goes_where_most_incidents_are():
    tiny = problem(point("p1", 3.0, {"A"}), point("p2", 1.0, {"B"}))
    staging = solve_staging(tiny, 1, busy_fraction=0.2)
    assert staging.sites == {"A": 1, "B": 0, "C": 0}
    assert staging.expected_coverage == pytest.approx(3 * 0.8 / 4)
    assert staging.optimal


def test_a_high_busy_fraction_doubles_up_where_a_low_one_spreads():
    tiny = problem(point("p1", 3.0, {"A"}), point("p2", 1.0, {"B"}))
    # q=0.5: A=2 gives 3·0.75 = 2.25 > A=1,B=1 giving 3·0.5 + 1·0.5 = 2.0
    assert solve_staging(tiny, 2, busy_fraction=0.5).backups == {"A": 2}
    # q=0.2: A=2 gives 3·0.96 = 2.88 < A=1,B=1 giving 3·0.8 + 0.8 = 3.2
    assert solve_staging(tiny, 2, busy_fraction=0.2).backups == {"A": 1, "B": 1}


def test_a_backup_standing_near_switches_the_point_to_the_tighter_limit():
    # far away, A reaches p within the corridor limit; B stands near but reaches p within no limit
    tiny = problem(point("p", 1.0, covers=set(), near={"B"}, far={"A"}))
    assert expected_coverage(tiny, {"A": 1}, 0.1) == pytest.approx(0.9)
    assert expected_coverage(tiny, {"A": 1, "B": 1}, 0.1) == 0.0  # now A must make the near limit
    assert solve_staging(tiny, 2, busy_fraction=0.1).backups == {"A": 2}


def test_site_capacity_is_respected():
    tiny = problem(point("p1", 3.0, {"A"}), point("p2", 1.0, {"B"}), capacity=(("A", 1),))
    staging = solve_staging(tiny, 3, busy_fraction=0.5)
    assert staging.sites["A"] == 1
    assert sum(staging.sites.values()) == 3


def test_zero_budget_covers_nothing():
    staging = solve_staging(problem(point("p1", 1.0, {"A"})), 0)
    assert staging.expected_coverage == 0.0
    assert staging.backups == {}


# --------------------------------------------------------------------------- brute force and monotonicity
sites_subset = st.sets(st.sampled_from(["A", "B", "C"]))


@st.composite
def tiny_problems(draw):
    points = []
    for n in range(draw(st.integers(1, 4))):
        weight = draw(st.floats(0.1, 5.0))
        if draw(st.booleans()):
            points.append(point(f"p{n}", weight, draw(sites_subset)))
        else:
            points.append(point(f"p{n}", weight, draw(sites_subset), near=draw(sites_subset), far=draw(sites_subset)))
    return problem(*points)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems(), st.integers(0, 4), st.sampled_from([0.0, 0.15, 0.5]))
def test_cp_sat_matches_brute_force(tiny, budget, busy_fraction):
    staging = solve_staging(tiny, budget, busy_fraction)
    _, best = brute_force_staging(tiny, budget, busy_fraction)
    assert staging.optimal
    assert sum(staging.sites.values()) == budget
    # the model rounds each term to 1e-9, so ties may break either way within that
    assert staging.expected_coverage == pytest.approx(best, abs=1e-7)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems(), st.integers(0, 4), st.sampled_from([0.0, 0.15, 0.5]))
def test_one_more_backup_never_lowers_the_optimum_on_tiny_problems(tiny, budget, busy_fraction):
    fewer = solve_staging(tiny, budget, busy_fraction)
    more = solve_staging(tiny, budget + 1, busy_fraction)
    assert more.objective_scaled >= fewer.objective_scaled
    assert more.expected_coverage >= fewer.expected_coverage - 1e-7


def test_more_backups_never_lower_the_expected_coverage_on_the_corridor(corridor_problem):
    curve = [solve_staging(corridor_problem, budget) for budget in range(0, 7)]
    assert all(s.optimal for s in curve)
    for fewer, more in zip(curve, curve[1:]):
        assert more.objective_scaled >= fewer.objective_scaled
        assert more.expected_coverage >= fewer.expected_coverage - 1e-7
    assert curve[0].expected_coverage == 0.0
    assert curve[-1].expected_coverage > curve[1].expected_coverage  # and backups do buy something


# --------------------------------------------------------------------------- the corridor problem
def test_corridor_demand_matches_the_timetable_km(corridor):
    from fleetplan.network import TravelTimes

    from solver.planning.staging import DemandSettings

    clear = corridor.dataset.conditions_named("clear")
    demand = timetable_demand(corridor, clear)
    expected = 0.0
    for trip in corridor.dataset.trips:
        vehicle = corridor.dataset.vehicle(trip.vehicle_id)
        travel = TravelTimes(corridor.network, clear, vehicle.vehicle_class)
        km = (
            sum(travel.route(a.node_id, b.node_id, a.planned).length_m for a, b in zip(trip.stops, trip.stops[1:]))
            / 1000
        )
        expected += km * DemandSettings().breakdowns.failures_per_km(vehicle, trip.departure.date())
    # ramps (a few hundred metres per trip) are left out of the demand
    assert sum(demand.values()) == pytest.approx(expected, rel=0.03)
    assert sum(demand.values()) < expected


def test_corridor_points_cover_both_carriageways_and_the_cities(corridor_problem):
    texts = {p.location for p in corridor_problem.points}
    assert any(t.endswith("toward Changchun") for t in texts)
    assert any(t.endswith("toward Siping") for t in texts)
    assert any(p.city for p in corridor_problem.points) and any(not p.city for p in corridor_problem.points)
    assert set(corridor_problem.sites) == {
        "siping_depot",
        "changchun_depot",
        "taojiatun_sa",
        "gongzhuling_sa",
        "kaoshantun_sa",
    }


def test_a_siping_street_point_is_covered_from_the_siping_depot_only(corridor_problem):
    siping_streets = [p for p in corridor_problem.points if p.city and p.lat < 43.2 and p.location[0].isdigit()]
    assert siping_streets
    for p in siping_streets:
        assert p.covers_when_near == {"siping_depot"}, p


def test_a_point_mid_corridor_is_covered_by_no_depot_within_the_near_limit_on_the_wrong_carriageway(corridor_problem):
    # heading to Changchun at K65 a backup from Changchun must first drive to Gongzhuling (K56.1) and turn
    # (K75 now has Liufangzi, K71.9, just before it). By day: streets 417 s, ramps 3 × 96 s, G1 K110.8 →
    # K56.1 at 90 km/h 2 188 s, K56.1 → K65 356 s, plus the 600 s turnout: 3 849 s > 60 min
    p = next(p for p in corridor_problem.points if p.location == "G1 K65 toward Changchun")
    response = dict(p.response_s)
    assert response["changchun_depot"] > 60 * 60
    assert "changchun_depot" not in p.covers_when_near
    assert "gongzhuling_sa" in p.covers_when_near


def test_a_staging_per_time_band(corridor_problem):
    evening = corridor_problem.for_band(TimeBand.EVENING_PEAK)
    assert {p.band for p in evening.points} == {TimeBand.EVENING_PEAK}
    assert solve_staging(evening, 2).expected_coverage > 0
    with pytest.raises(InvalidValueError, match="no demand"):
        corridor_problem.for_band(TimeBand.NIGHT)


def test_workload_busy_fraction_is_incidents_times_service_time_over_backup_time():
    from solver.planning.staging import workload_busy_fraction

    tiny = problem(point("p1", 3.0, {"A"}), point("p2", 1.0, {"B"}))  # 4 incidents in the period
    assert workload_busy_fraction(tiny, 2, period_s=100 * 3600, service_s=5 * 3600) == pytest.approx(4 * 5 / 200)
    assert workload_busy_fraction(tiny, 1, period_s=3600, service_s=3600) == 0.99  # capped below 1
    with pytest.raises(InvalidValueError, match="budget"):
        workload_busy_fraction(tiny, 0, period_s=3600)


# --------------------------------------------------------------------------- the simulation check
def test_the_simulation_check_runs_the_staging_through_the_what_if(corridor, corridor_problem):
    from solver.planning.staging import check_by_simulation, simulation_check_text

    staging = solve_staging(corridor_problem, 2)
    check = check_by_simulation(corridor, staging, corridor_problem, reps=1, days=2, breakdown_factor=20)
    assert check.result.scenario.backup_counts == staging.backups  # the recommended backups, nothing else
    assert check.incidents >= 1
    assert check.ci_low <= check.simulated <= check.ci_high
    assert check.within == (check.ci_low <= check.expected <= check.ci_high)
    assert check.within or check.explanation  # the must-show: agree, or say why not
    assert check.result.summary()["evaluator_problems"] == 0
    text = simulation_check_text(check)
    assert f"{check.expected:.1%}" in text and f"{check.simulated:.1%}" in text


def test_a_disagreement_is_explained(corridor, corridor_problem):
    from dataclasses import replace

    from solver.planning.staging import check_by_simulation, simulation_check_text

    staging = replace(solve_staging(corridor_problem, 2), expected_coverage=0.01)  # a model far too pessimistic
    check = check_by_simulation(corridor, staging, corridor_problem, reps=1, days=2, breakdown_factor=20)
    assert not check.within
    assert "idle in-service coaches" in check.explanation
    assert "OUTSIDE" in simulation_check_text(check) and "why:" in simulation_check_text(check)


def test_a_simulation_without_incidents_says_so(corridor, corridor_problem):
    from solver.planning.staging import check_by_simulation

    check = check_by_simulation(corridor, solve_staging(corridor_problem, 1), reps=1, days=1, seed=3)
    if check.incidents == 0:  # the usual case at the real rate: about one breakdown a week
        assert check.simulated is None and not check.within
        assert "no incident" in check.explanation


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("budget, words", [(-1, "negative"), (1.5, "whole"), (True, "whole")])
def test_bad_budgets_are_rejected(budget, words):
    with pytest.raises(InvalidValueError, match=words):
        solve_staging(problem(point("p", 1.0, {"A"})), budget)


@pytest.mark.parametrize("busy_fraction", [-0.1, 1.0, 2.0])
def test_bad_busy_fractions_are_rejected(busy_fraction):
    with pytest.raises(InvalidValueError, match="busy_fraction"):
        solve_staging(problem(point("p", 1.0, {"A"})), 1, busy_fraction)


def test_a_budget_the_sites_cannot_hold_is_rejected():
    full = problem(point("p", 1.0, {"A"}), capacity=(("A", 1), ("B", 1), ("C", 0)))
    with pytest.raises(InvalidValueError, match="at most 2"):
        solve_staging(full, 3)


def test_a_problem_naming_an_unknown_site_is_rejected():
    with pytest.raises(UnknownIdError, match="Z"):
        problem(point("p", 1.0, {"Z"}))


def test_parse_backups():
    sites = ["siping_depot", "gongzhuling_sa"]
    assert parse_backups("siping_depot=2, gongzhuling_sa=1", sites) == {"siping_depot": 2, "gongzhuling_sa": 1}
    with pytest.raises(InvalidValueError, match="negative"):
        parse_backups("siping_depot=-1", sites)
    with pytest.raises(InvalidValueError, match="not SITE=N"):
        parse_backups("siping_depot", sites)
    with pytest.raises(InvalidValueError, match="twice"):
        parse_backups("siping_depot=1,siping_depot=2", sites)
    with pytest.raises(UnknownIdError, match="harbin"):
        parse_backups("harbin=1", sites)


def test_staging_view_contract():
    view = staging_view(solve_staging(problem(point("p1", 3.0, {"A"}), point("p2", 1.0, {"B"})), 2, 0.2))
    assert view["sites"] == {"A": 1, "B": 1, "C": 0}
    assert 0 <= view["expected_coverage"] <= 1
    json.dumps(view)


# --------------------------------------------------------------------------- the command
def planning_main(monkeypatch):
    """``api.cli.main`` with the planning commands registered (the lead wires them into build_parser)."""
    import api.cli as cli
    from api.cli_drill import add_drill_command
    from api.cli_staging import add_staging_command

    original = cli.build_parser

    def build_parser():
        parser = original()
        subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if "staging" not in subparsers.choices:
            add_staging_command(subparsers)
        if "drill" not in subparsers.choices:
            add_drill_command(subparsers)
        return parser

    monkeypatch.setattr(cli, "build_parser", build_parser)
    return cli.main


def run(monkeypatch, capsys, *argv: str) -> tuple[int, str, str]:
    main = planning_main(monkeypatch)
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, out: str, err: str, *words: str) -> None:
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[-1], lines[-1]


def test_staging_command_json(monkeypatch, capsys, tmp_path):
    code, out, err = run(monkeypatch, capsys, "staging", "--budget", "2", "--json", "--out", str(tmp_path))
    assert code == 0, err
    view = json.loads(out)
    assert sum(view["sites"].values()) == 2
    assert set(view["sites"]) >= {"siping_depot", "changchun_depot"}
    assert 0 < view["expected_coverage"] <= 1
    assert (tmp_path / "staging.json").exists()
    assert (tmp_path / "coverage_by_budget.png").stat().st_size > 0
    assert (tmp_path / "coverage_by_budget.csv").read_text().startswith("budget,")


def test_staging_command_text(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "staging", "--budget", "2")
    assert code == 0, err
    assert "Expected share of incidents reached within the limit" in out


def test_staging_command_with_the_simulation_check(monkeypatch, capsys):
    code, out, err = run(
        monkeypatch,
        capsys,
        "staging",
        "--budget",
        "2",
        "--simulate",
        "--reps",
        "1",
        "--days",
        "2",
        "--breakdown-factor",
        "20",
        "--json",
    )
    assert code == 0, err
    simulation = json.loads(out)["simulation"]
    assert simulation["within_interval"] or simulation["explanation"]
    assert simulation["reps"] == 1 and simulation["days"] == 2


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--budget", "-1"], ["-1"]),
        (["--budget", "two"], ["two"]),
        (["--budget", "2", "--busy-fraction", "1.5"], ["1.5"]),
        (["--budget", "2", "--conditions", "hail"], ["hail"]),
        (["--budget", "2", "--band", "lunch"], ["lunch"]),
        (["--budget", "2", "--busy-fraction", "x"], ["x"]),
        (["--budget", "2", "--simulate", "--reps", "0"], ["--reps"]),
        (["--budget", "2", "--simulate", "--breakdown-factor", "0.5"], ["0.5"]),
        (["--budget", "99", "--simulate"], ["99", "standby"]),
    ],
)
def test_staging_bad_input_exits_2_with_one_line(monkeypatch, capsys, argv, words):
    assert_one_line_error(*run(monkeypatch, capsys, "staging", *argv), *words)
