"""How the lexicographic objective is solved: the rescue terms settled on the rescues alone, then the
trips on the full model; stage packing and the time each stage may take."""

from __future__ import annotations

import importlib
from dataclasses import replace

import pytest

from fleetplan.plan import Objective

from solver.dispatch import Budget, SolveParams, Status, solve
from solver.dispatch.greedy import on_time_rescues
from solver.dispatch.stages import STAGE_OPENERS, lexicographic_stages, presolved, stage_time

from tests.solver.desk_incidents import COUNT, ONE_PLAN, assert_same_best, desk_instance
from tests.solver.factory import InstanceBuilder

solving = importlib.import_module("solver.dispatch.solve")  # the module, not the function of that name
params_module = importlib.import_module("solver.dispatch.params")

FAST = SolveParams(budget=Budget.wall_clock(2.0), alternatives=1)


def two_equal_rescuers_one_with_a_trip():
    """Two coaches reach the group alike; only c1 can run the later trip T (its own)."""
    b = InstanceBuilder().group("g", 30).trip("T", 90, "c1", "d1")
    c1, c2 = b.crew("c1", "d1", 49), b.crew("c2", "d2", 49)
    b.rescue(c1, "g", eta_min=30, delay_min=10)
    b.rescue(c2, "g", eta_min=30, delay_min=10)
    b.trip_option(c1, "T")  # standalone: c1 runs its own trip only if it does not rescue
    return b.build()


def test_rescue_terms_settled_alone_still_leave_the_trip_to_be_kept():
    # The rescues-only stage is indifferent between c1 and c2; the full model must still pick c2.
    result = solve(two_equal_rescuers_one_with_a_trip(), FAST)
    assert result.status == Status.OPTIMAL
    assert [r.vehicle_id for r in result.best.rescues] == ["c2"]
    assert result.best.objective.trips_uncovered == 0
    assert [c.vehicle_id for c in result.best.trip_covers] == ["c1"]


def test_a_trip_is_given_up_when_only_its_crew_can_reach_the_passengers_on_time():
    b = InstanceBuilder().group("g", 30).trip("T", 90, "c1", "d1")
    c1, c2 = b.crew("c1", "d1", 49), b.crew("c2", "d2", 49)
    b.rescue(c1, "g", eta_min=30, delay_min=10)
    b.rescue(c2, "g", eta_min=75, delay_min=55)  # 15 min past the 60 min limit
    b.trip_option(c1, "T")
    result = solve(b.build(), FAST)
    assert [r.vehicle_id for r in result.best.rescues] == ["c1"]
    assert result.best.objective.passengers_not_reached == 0
    assert result.best.uncovered_trip_ids == ("T",)


def test_the_rescue_stage_on_a_cut_deadline_still_answers_with_a_sound_plan():
    instance = two_equal_rescuers_one_with_a_trip()
    result = solve(instance, replace(FAST, budget=Budget.wall_clock(1e-9)))
    assert result.best is not None
    assert sum(r.passengers for r in result.best.rescues) == 30


def sixty_passengers_two_backups_on_time_one_late():
    b = InstanceBuilder().group("g", 60)
    c1, c2, c3 = b.crew("c1", "d1", 35), b.crew("c2", "d2", 35), b.crew("c3", "d3", 49)
    r1, r2 = b.rescue(c1, "g", eta_min=30, delay_min=10), b.rescue(c2, "g", eta_min=40, delay_min=20)
    b.rescue(c3, "g", eta_min=75, delay_min=55)  # 15 min past the 60 min limit
    return b.build(), r1, r2


def test_the_quick_on_time_plan_splits_a_group_over_free_coaches_only_when_allowed():
    instance, r1, r2 = sixty_passengers_two_backups_on_time_one_late()
    rescues = on_time_rescues(instance)
    assert rescues is not None and sorted(rescues) == sorted([r1, r2]) and sum(rescues.values()) == 60
    assert on_time_rescues(instance, allow_split=False) is None


def test_the_quick_on_time_plan_uses_each_coach_once():
    b = InstanceBuilder().group("g1", 30).group("g2", 30)
    c1 = b.crew("c1", "d1", 49)
    b.rescue(c1, "g1", eta_min=30)
    b.rescue(c1, "g2", eta_min=30)
    assert on_time_rescues(b.build()) is None


def test_rescue_stages_the_quick_plan_settles_at_zero_still_leave_the_delay_minimised():
    # The quick plan takes the smallest coach big enough (c1); the least delay is c2's.
    b = InstanceBuilder().group("g", 30)
    c1, c2 = b.crew("c1", "d1", 30), b.crew("c2", "d2", 49)
    b.rescue(c1, "g", eta_min=30, delay_min=20)
    b.rescue(c2, "g", eta_min=30, delay_min=5)
    result = solve(b.build(), FAST)
    assert result.status == Status.OPTIMAL
    assert [r.vehicle_id for r in result.best.rescues] == ["c2"]
    assert result.best.objective.passengers_not_reached == 0


def test_stage_openers_start_a_stage_even_when_the_bits_would_allow_packing():
    bounds = {"trips_uncovered": 3, "trips_retimed_min": 10, "deadhead_km": 50, "coverage_lost": 1}
    stages = lexicographic_stages(bounds)
    assert [[name for name, _ in stage] for stage in stages] == [
        ["trips_uncovered", "trips_retimed_min"],
        ["deadhead_km", "coverage_lost"],
    ]
    assert "deadhead_km" in STAGE_OPENERS
    # inside a stage the weights order lexicographically: one trip outweighs every retimed minute
    (_, trip_weight), (_, minute_weight) = stages[0]
    assert trip_weight == (10 + 1) * minute_weight
    assert len(lexicographic_stages(bounds, openers=frozenset())) == 1  # a small model's: one call


@pytest.mark.parametrize("index", range(2, COUNT, 4))
def test_a_small_model_ranks_empty_running_in_the_trips_stage_with_the_same_optimum(monkeypatch, index):
    """The desk's models are small: the empty running shares the trips' stage (one CP-SAT call fewer)
    and the plan is the one a stage of its own finds, clean for the oracle."""
    instance = desk_instance(index)
    packed = solve(instance, ONE_PLAN)
    monkeypatch.setattr(solving, "ONE_WORKER_OPTIONS", 0)  # every model counts as large: deadhead opens
    apart = solve(instance, ONE_PLAN)
    assert_same_best(instance, packed, apart)


def test_a_stage_keeps_a_share_for_each_later_stage():
    assert stage_time(4.0, 0) == 4.0
    assert stage_time(4.0, 1) < 4.0
    assert stage_time(4.0, 3) < stage_time(4.0, 1)
    assert stage_time(4.0, 3) > 4.0 / 4  # but more than an even split: earlier terms outrank later ones


def test_when_time_runs_out_after_the_rescues_the_free_crews_keep_their_trips(monkeypatch):
    # Only the rescues-only stages run: the full model finds the deadline already passed.
    settle = solving.settle_rescue_terms

    def settle_then_spend_the_time(instance, params, allowance, upper_bounds):
        settled = settle(instance, params, allowance, upper_bounds)
        spent = params_module.time.perf_counter() + allowance.seconds + 1
        monkeypatch.setattr(params_module.time, "perf_counter", lambda: spent)
        return settled

    monkeypatch.setattr(solving, "settle_rescue_terms", settle_then_spend_the_time)
    # 60 passengers need two 35-seat backups (which the greedy plan, never splitting, cannot match)
    b = InstanceBuilder().group("g", 60).trip("T", 90, "c1", "d1")
    c1, c2, c3 = b.crew("c1", "d1", 49), b.crew("c2", "d2", 35), b.crew("c3", "d3", 35)
    b.rescue(c2, "g", eta_min=30, delay_min=10)
    b.rescue(c3, "g", eta_min=30, delay_min=10)
    b.trip_option(c1, "T")
    result = solve(b.build(), FAST)
    assert result.status == Status.FEASIBLE
    assert result.best.source == "cp-sat"
    assert sorted(r.vehicle_id for r in result.best.rescues) == ["c2", "c3"]
    assert [c.vehicle_id for c in result.best.trip_covers] == ["c1"]  # not left uncovered


def test_the_collector_is_paused_while_a_solve_and_its_checks_run(monkeypatch):
    # A solve and the evaluator allocate tens of thousands of acyclic objects: a full collection
    # in their midst cost 0.1-0.3 s on the 1,000-coach benchmark (fleetplan.collector).
    import gc

    from solver.dispatch import dispatch_prepared

    path = importlib.import_module("solver.dispatch.path")
    seen: dict[str, bool] = {}
    real_lexicographic, real_evaluate = solving.solve_lexicographic, path.evaluate

    def watching_solve(*args, **kwargs):
        seen["solve"] = gc.isenabled()
        return real_lexicographic(*args, **kwargs)

    def watching_evaluate(*args, **kwargs):
        seen["check"] = gc.isenabled()
        return real_evaluate(*args, **kwargs)

    monkeypatch.setattr(solving, "solve_lexicographic", watching_solve)
    monkeypatch.setattr(path, "evaluate", watching_evaluate)
    assert gc.isenabled()
    dispatch = dispatch_prepared(desk_instance(0), ONE_PLAN)
    assert dispatch.result.best is not None
    assert seen == {"solve": False, "check": False}
    seen.clear()
    solve(desk_instance(0), ONE_PLAN)  # alone too, as the benchmarks and the what-if call it
    assert seen == {"solve": False}
    assert gc.isenabled()


def test_presolve_runs_from_the_empty_running_stage_on():
    bounds = dict.fromkeys(Objective.term_names(), 10)
    rescue_and_trips, empty_running = lexicographic_stages(bounds)
    assert not presolved(rescue_and_trips) and presolved(empty_running)
    (everything,) = lexicographic_stages(bounds, frozenset())  # a small model: one stage
    assert presolved(everything)
    assert not presolved([(name, 1) for name in ("passengers_not_reached", "late_penalty", "passenger_delay_min")])
