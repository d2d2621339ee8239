"""One test per constraint family of the CP-SAT dispatch model, each with a feasible and an
infeasible (or binding) case, on small hand-made instances."""

from __future__ import annotations

import importlib
from dataclasses import replace

import pytest

from fleetplan.instance import CrewKind, Rejection, RejectionCode

from solver.dispatch import Budget, SolveParams, Status, build_plan, greedy_plan, solve
from solver.dispatch.solve import Found

from tests.solver.factory import InstanceBuilder

FAST = SolveParams(budget=Budget.wall_clock(1.0), alternatives=1)


def carried(plan, group_id="g") -> int:
    return sum(r.passengers for r in plan.rescues if r.group_id == group_id)


# --- seat limits -----------------------------------------------------------------------------------
def test_seat_limit_feasible_one_coach_with_enough_seats():
    b = InstanceBuilder().group("g", 45)
    b.rescue(b.crew("c1", "d1", 49), "g", eta_min=30)
    result = solve(b.build(), FAST)
    assert result.status == Status.OPTIMAL
    assert [(r.vehicle_id, r.passengers) for r in result.best.rescues] == [("c1", 45)]


def test_seat_limit_infeasible_without_split_reports_relaxations():
    b = InstanceBuilder().group("g", 45)
    b.rescue(b.crew("c1", "d1", 35), "g", eta_min=30)
    b.rescue(b.crew("c2", "d2", 35), "g", eta_min=35)
    result = solve(b.build(), replace(FAST, allow_split=False))
    assert result.status == Status.INFEASIBLE
    assert carried(result.best) == 35  # never more than the seats
    assert "split" in {r.kind for r in result.relaxations}


# --- splitting a group ------------------------------------------------------------------------------
def test_split_45_passengers_over_two_35_seat_coaches():
    b = InstanceBuilder().group("g", 45)
    b.rescue(b.crew("c1", "d1", 35), "g", eta_min=30)
    b.rescue(b.crew("c2", "d2", 35), "g", eta_min=40)
    result = solve(b.build(), FAST)
    assert result.status == Status.OPTIMAL
    assert carried(result.best) == 45
    assert len(result.best.rescues) == 2
    assert all(r.passengers <= 35 for r in result.best.rescues)


def test_split_infeasible_when_total_seats_too_few():
    b = InstanceBuilder().group("g", 45)
    b.rescue(b.crew("c1", "d1", 19), "g", eta_min=30)
    b.rescue(b.crew("c2", "d2", 19), "g", eta_min=40)
    result = solve(b.build(), FAST)
    assert result.status == Status.INFEASIBLE
    assert carried(result.best) == 38
    assert any(r.kind == "more_seats" and r.amount == 7 for r in result.relaxations)


def test_passing_coach_free_seats_complete_a_split():
    b = InstanceBuilder().group("g", 45)
    b.rescue(b.crew("c1", "d1", 33), "g", eta_min=25)
    b.rescue(b.crew("p1", "dp", 12, kind=CrewKind.PASSING), "g", eta_min=20, own_passengers=37, own_delay_min=10)
    result = solve(b.build(), FAST)
    assert carried(result.best) == 45
    assert {r.vehicle_id for r in result.best.rescues} == {"c1", "p1"}


# --- crew sequences (a rescue then a trip) ---------------------------------------------------------
def test_crew_can_rescue_then_run_a_trip_when_chained():
    b = InstanceBuilder().group("g", 40).trip("T-PM", 400, "failed", "dfailed")
    crew = b.crew("c1", "d1", 49)
    rescue = b.rescue(crew, "g", eta_min=30)
    b.trip_option(crew, "T-PM", after=rescue)
    result = solve(b.build(), FAST)
    assert result.best.objective.trips_uncovered == 0
    assert [c.vehicle_id for c in result.best.trip_covers] == ["c1"]


def test_standalone_trip_option_excludes_a_rescue_by_the_same_crew():
    b = InstanceBuilder().group("g", 40).trip("T-PM", 60, "failed", "dfailed")
    crew = b.crew("c1", "d1", 49)
    b.rescue(crew, "g", eta_min=30)
    b.trip_option(crew, "T-PM")  # only possible if the crew does not rescue
    result = solve(b.build(), FAST)
    # reaching the passengers comes first, so the trip is left uncovered
    assert carried(result.best) == 40
    assert result.best.uncovered_trip_ids == ("T-PM",)


# --- vehicle and driver exclusivity ----------------------------------------------------------------
def test_one_driver_cannot_drive_two_coaches():
    b = InstanceBuilder().group("g", 60)
    b.rescue(b.crew("c1", "d1", 35), "g", eta_min=30)
    b.rescue(b.crew("c2", "d1", 35), "g", eta_min=30)  # same driver
    result = solve(b.build(), FAST)
    assert carried(result.best) == 35
    assert result.status == Status.INFEASIBLE


def test_one_coach_cannot_take_two_drivers_but_either_works():
    b = InstanceBuilder().group("g", 30)
    b.rescue(b.crew("c1", "d1", 35), "g", eta_min=70)  # d1 would arrive after the 60-min limit
    b.rescue(b.crew("c1", "d2", 35), "g", eta_min=20)  # same coach with d2 is on time
    result = solve(b.build(), FAST)
    assert [(r.vehicle_id, r.driver_id) for r in result.best.rescues] == [("c1", "d2")]


# --- trip coverage ----------------------------------------------------------------------------------
def test_trip_covered_by_a_free_coach_with_least_retiming():
    b = InstanceBuilder().trip("T-PM", 300, "failed", "dfailed")
    b.trip_option(b.crew("c1", "d1", 49), "T-PM", shift_min=20)
    b.trip_option(b.crew("c2", "d2", 49), "T-PM", shift_min=5)
    result = solve(b.build(), FAST)
    assert [(c.vehicle_id, c.departure_shift_s) for c in result.best.trip_covers] == [("c2", 300)]


def test_trip_without_options_is_uncovered():
    b = InstanceBuilder().trip("T-PM", 300, "failed", "dfailed")
    result = solve(b.build(), FAST)
    assert result.best.uncovered_trip_ids == ("T-PM",)
    assert result.best.objective.trips_uncovered == 1


# --- lexicographic objective -------------------------------------------------------------------------
def test_on_time_beats_short_deadhead():
    b = InstanceBuilder().group("g", 40, limit_min=60)
    b.rescue(b.crew("near_late", "d1", 49), "g", eta_min=70, deadhead_km=5)
    b.rescue(b.crew("far_on_time", "d2", 49), "g", eta_min=55, deadhead_km=80)
    result = solve(b.build(), FAST)
    assert [r.vehicle_id for r in result.best.rescues] == ["far_on_time"]
    assert result.best.objective.passengers_not_reached == 0


def test_late_rescue_beats_no_rescue():
    b = InstanceBuilder().group("g", 40, limit_min=60)
    b.rescue(b.crew("c1", "d1", 49), "g", eta_min=100)
    result = solve(b.build(), FAST)
    assert carried(result.best) == 40
    assert result.best.objective.passengers_not_reached == 40
    assert result.best.objective.late_penalty > 0


def test_coverage_keeps_a_citys_only_backup_when_an_equal_plan_exists():
    b = InstanceBuilder().group("g", 40)
    b.standby = {"siping": ("sp1",), "changchun": ("cc1", "cc2")}
    b.rescue(b.crew("sp1", "d1", 49, city="siping"), "g", eta_min=30, deadhead_km=40)
    b.rescue(b.crew("cc1", "d2", 49, city="changchun"), "g", eta_min=30, deadhead_km=40)
    result = solve(b.build(), FAST)
    assert [r.vehicle_id for r in result.best.rescues] == ["cc1"]
    assert result.best.objective.coverage_lost == 0


# --- hard limits and relaxations ----------------------------------------------------------------------
def test_hard_limits_infeasible_names_the_least_later_limit():
    b = InstanceBuilder().group("g", 40, limit_min=60)
    b.rescue(b.crew("c1", "d1", 49), "g", eta_min=72)
    b.rescue(b.crew("c2", "d2", 49), "g", eta_min=95)
    result = solve(b.build(), replace(FAST, hard_limits=True))
    assert result.status == Status.INFEASIBLE
    later = [r for r in result.relaxations if r.kind == "later_limit"]
    assert later and later[0].amount == 12


def test_second_driver_relaxation_comes_from_a_crew_left_out_for_its_drivers_hours():
    b = InstanceBuilder().group("g", 40)
    b.rejections.append(Rejection("c9+d9", RejectionCode.REST_DUE, "d9 must rest 20 min first", "g"))
    result = solve(b.build(), FAST)
    assert result.status == Status.INFEASIBLE
    (relief,) = [r for r in result.relaxations if r.kind == "second_driver"]
    assert "c9" in relief.description and "d9: rest due" in relief.description


def test_a_coach_with_no_driver_on_shift_gets_no_second_driver():
    """A relief driver shares the driving of a driver who is there; with nobody on shift there is no
    one to share with (the corridor test names whom to call in)."""
    b = InstanceBuilder().group("g", 40)
    b.rejections.append(Rejection("c9", RejectionCode.NO_DRIVER, "no legal driver at gongzhuling_sa"))
    result = solve(b.build(), FAST)
    assert result.status == Status.INFEASIBLE
    assert "second_driver" not in {r.kind for r in result.relaxations}


# --- alternatives and baseline ------------------------------------------------------------------------
def test_alternatives_are_distinct_and_ranked():
    b = InstanceBuilder().group("g", 40)
    for index, eta in enumerate((20, 25, 30, 35)):
        b.rescue(b.crew(f"c{index}", f"d{index}", 49), "g", eta_min=eta, deadhead_km=10 + index)
    result = solve(b.build(), SolveParams(budget=Budget.wall_clock(1.0), alternatives=3))
    assert len(result.plans) == 3
    assert len({p.rescue_crews() for p in result.plans}) == 3
    objectives = [p.objective for p in result.plans]
    assert objectives == sorted(objectives)


@pytest.mark.parametrize("passengers", [20, 45, 70])
def test_never_worse_than_greedy(passengers):
    b = InstanceBuilder().group("g", passengers).trip("T-PM", 200, "failed", "dfailed")
    crews = [b.crew(f"c{i}", f"d{i}", seats) for i, seats in enumerate((19, 33, 45, 49))]
    for crew, eta in zip(crews, (15, 28, 41, 66)):
        rescue = b.rescue(crew, "g", eta_min=eta, deadhead_km=eta / 2)
        b.trip_option(crew, "T-PM", after=rescue, shift_min=5)
        b.trip_option(crew, "T-PM")
    instance = b.build()
    assert solve(instance, FAST).best.objective <= greedy_plan(instance).objective


def test_a_deadline_cut_plan_behind_greedy_is_replaced_by_the_greedy_plan(monkeypatch):
    solving = importlib.import_module("solver.dispatch.solve")  # the module, not the function of that name

    b = InstanceBuilder().group("g", 40)
    b.rescue(b.crew("near", "d1", 49), "g", eta_min=20, deadhead_km=4)
    b.rescue(b.crew("far", "d2", 49), "g", eta_min=20, deadhead_km=6)
    instance = b.build()
    worse = build_plan(
        instance, {next(o.id for o in instance.rescue_options if o.vehicle_id == "far"): 40}, (), source="cp-sat"
    )
    # the search stopped at its deadline with the worse plan and no proof
    monkeypatch.setattr(solving, "solve_lexicographic", lambda *a, **k: Found(worse, False, worse.objective))
    result = solve(instance, SolveParams(budget=Budget.wall_clock(1.0), alternatives=2))
    assert result.status == Status.FEASIBLE
    assert result.best.source == "greedy"
    assert result.best.objective <= greedy_plan(instance).objective
    assert [r.vehicle_id for r in result.best.rescues] == ["near"]


def test_a_cut_search_that_leaves_passengers_behind_is_not_infeasible_when_greedy_carries_them(monkeypatch):
    solving = importlib.import_module("solver.dispatch.solve")

    b = InstanceBuilder().group("g", 40)
    b.rescue(b.crew("big", "d1", 49), "g", eta_min=20)
    b.rescue(b.crew("small", "d2", 19), "g", eta_min=15)
    instance = b.build()
    partial = build_plan(
        instance, {next(o.id for o in instance.rescue_options if o.vehicle_id == "small"): 19}, (), source="cp-sat"
    )
    monkeypatch.setattr(solving, "solve_lexicographic", lambda *a, **k: Found(partial, False, partial.objective))
    result = solve(instance, SolveParams(budget=Budget.wall_clock(1.0), alternatives=1))
    assert result.status == Status.FEASIBLE
    assert sum(r.passengers for r in result.best.rescues) == 40


def test_an_infeasible_result_of_a_cut_search_is_not_proven(monkeypatch):
    solving = importlib.import_module("solver.dispatch.solve")
    b = InstanceBuilder().group("g", 60)
    b.rescue(b.crew("only", "d1", 35), "g", eta_min=20)
    instance = b.build()
    proven = solve(instance, FAST)
    assert proven.status == Status.INFEASIBLE and proven.proven
    partial = build_plan(instance, {instance.rescue_options[0].id: 35}, (), source="cp-sat")
    monkeypatch.setattr(solving, "solve_lexicographic", lambda *a, **k: Found(partial, False, partial.objective))
    cut = solve(instance, FAST)
    assert cut.status == Status.INFEASIBLE and not cut.proven


def test_a_relaxation_probe_cut_short_claims_nothing(monkeypatch):
    from ortools.sat.python import cp_model

    from solver.dispatch.relax import find_relaxations

    b = InstanceBuilder().group("g", 30, limit_min=60)
    b.rescue(b.crew("c1", "d1", 49), "g", eta_min=95)
    instance = b.build()
    params = replace(FAST, hard_limits=True, allow_split=False)
    assert {r.kind for r in find_relaxations(instance, params)} >= {"later_limit"}
    monkeypatch.setattr(cp_model.CpSolver, "solve", lambda self, model, *a, **k: cp_model.UNKNOWN)
    assert {r.kind for r in find_relaxations(instance, params)} & {"later_limit", "split"} == set()
