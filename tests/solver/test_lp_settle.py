"""The rescue terms settled by the fixing's LP when its rounded solution is a plan that meets its bound
(solver.dispatch.lp_settle): only then, and to the same optimum the CP-SAT settle reaches, every plan
clean for the independent oracle."""

from __future__ import annotations

import functools
import importlib
from dataclasses import replace
from datetime import datetime, time

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.instance import Instance

from solver.dispatch import Budget, SolveParams, Status, prepare, solve
from solver.dispatch.fixing import Relaxation, relaxation_of
from solver.dispatch.lp_settle import EVERYONE_ON_TIME, is_rescue_plan, rounded_rescues, settled_by_relaxation
from solver.dispatch.oracle_check import oracle_problems

from bench.fleet_generator import FleetSpec, generate_corridor
from bench.incidents import simultaneous_incidents
from tests.solver.factory import InstanceBuilder

solve_module = importlib.import_module("solver.dispatch.solve")  # the package's `solve` is the function
ONE_PLAN = SolveParams(budget=Budget.deterministic(20.0), workers=1, alternatives=1)


@functools.cache
def generated_fleet(seed: int) -> Instance:
    """Eight simultaneous incidents on a generated 200-coach fleet (thousands of options: the large-model
    path). On seed 4 the LP's rounded solution is a plan, on seed 2 too though it uses a coach in part
    (rounded by that use, it left passengers behind); on seed 1 it is not, and a plan at the LP's floor
    is found among the options the fixing keeps; on seed 21 no plan meets the floor."""
    spec = FleetSpec(coaches=200, seed=seed)
    base = load_corridor()
    generated = generate_corridor(spec, base)
    # the fleet stands on the default corridor's roads: the oracle reads them from there
    corridor = replace(generated, dataset=replace(generated.dataset, source=base.dataset.source))
    moment = datetime.combine(spec.day, time(7, 45))
    incidents = [g.incident for g in simultaneous_incidents(corridor, moment, 8, seed)]
    return prepare(corridor, incidents, corridor.dataset.clear_conditions)


def settle_calls(monkeypatch) -> list[str]:
    """Each CP-SAT settle of the rescue terms, recorded: "floor" when bounded at the LP's floor, else
    "every option"."""
    calls: list[str] = []
    real = solve_module.settle_rescue_terms

    def recorded(*args, **kwargs):
        calls.append("floor" if kwargs.get("at_most") else "every option")
        return real(*args, **kwargs)

    monkeypatch.setattr(solve_module, "settle_rescue_terms", recorded)
    return calls


@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "settles"),
    [(4, []), (2, []), (1, ["floor"]), (21, ["floor", "every option"])],
    ids=["rounded", "rounded-a-coach-used-in-part", "at-the-floor", "above-the-floor"],
)
def test_the_lp_settles_when_a_plan_meets_its_bound_to_the_same_optimum(monkeypatch, seed, settles):
    instance = generated_fleet(seed)
    settled, relaxation = settled_by_relaxation(instance, ONE_PLAN)
    assert relaxation is not None
    assert (settled is not None) == (not settles)
    calls = settle_calls(monkeypatch)
    with_lp = solve(instance, ONE_PLAN)
    assert calls == settles
    monkeypatch.setattr(solve_module, "settled_by_relaxation", lambda instance, params: (None, None))
    without = solve(instance, ONE_PLAN)
    assert calls == [*settles, "every option"]  # the LP left out: one settle over every option
    assert with_lp.status == without.status == Status.OPTIMAL
    assert with_lp.best.objective == without.best.objective
    assert oracle_problems(instance, [with_lp.best, without.best]) == ((), ())
    best = with_lp.best.objective
    assert relaxation.floor <= best.passenger_delay_min + 1e-6  # the bound holds for the plan
    meets_floor = best.passenger_delay_min <= relaxation.floor + 0.5
    assert meets_floor == ("every option" not in settles)
    if settled is not None:
        assert settled.values == {
            "passengers_not_reached": best.passengers_not_reached,
            "late_penalty": best.late_penalty,
            "passenger_delay_min": best.passenger_delay_min,
        }


def two_groups_one_big_coach() -> InstanceBuilder:
    """g1 (30) and g2 (20); c1 (49 seats) reaches either fastest, c2 and c3 (30 seats) are slower."""
    b = InstanceBuilder().group("g1", 30).group("g2", 20)
    c1, c2, c3 = b.crew("c1", "d1", 49), b.crew("c2", "d2", 30), b.crew("c3", "d3", 30)
    b.rescue(c1, "g1", eta_min=20, delay_min=5)
    b.rescue(c1, "g2", eta_min=20, delay_min=5)
    b.rescue(c2, "g1", eta_min=25, delay_min=15)
    b.rescue(c3, "g2", eta_min=25, delay_min=15)
    return b


def test_a_plan_sends_each_crew_once_within_seats_and_splits_only_if_allowed():
    b = two_groups_one_big_coach()
    b.rescue(b.crew("c4", "d4", 19), "g1", eta_min=25, delay_min=15)
    instance = b.build()
    ids = [o.id for o in instance.rescue_options]
    c1_g1, c1_g2, c2_g1, c3_g2, c4_g1 = ids
    assert is_rescue_plan(instance, {c1_g1: 30, c3_g2: 20}, allow_split=False)
    assert not is_rescue_plan(instance, {c1_g1: 30, c1_g2: 19}, allow_split=True)  # c1 twice
    assert not is_rescue_plan(instance, {c2_g1: 31, c3_g2: 20}, allow_split=True)  # more than its group
    assert not is_rescue_plan(instance, {c4_g1: 20, c3_g2: 20}, allow_split=True)  # more than its seats
    assert not is_rescue_plan(instance, {c1_g1: 0, c3_g2: 20}, allow_split=True)  # used, carries nobody
    split = {c2_g1: 15, c4_g1: 15, c3_g2: 20}
    assert is_rescue_plan(instance, split, allow_split=True)
    assert not is_rescue_plan(instance, split, allow_split=False)


def test_the_lp_settles_a_small_model_only_with_a_plan_that_meets_its_bound():
    instance = two_groups_one_big_coach().build()
    settled, relaxation = settled_by_relaxation(instance, ONE_PLAN)
    assert relaxation is not None
    rescues = rounded_rescues(relaxation)
    # c1 to one group, the other group's own 30-seat coach: 30·5 + 20·15 = 450 or 20·5 + 30·15 = 550
    assert settled is not None and settled.values == {**EVERYONE_ON_TIME, "passenger_delay_min": 450}
    assert settled.solution is not None and settled.solution.rescues == rescues
    assert relaxation.floor == pytest.approx(450)


def test_the_rounding_sends_every_option_carrying_a_whole_passenger_however_little_its_coach_is_used():
    # the LP uses a coach as far as its passengers fill it: 13 of a group of 30 is a use of 0.43
    relaxation = Relaxation(
        floor=0.0,
        reduced_cost={},
        price={},
        prices_total=0.0,
        used={"part": 0.43, "full": 1.0, "crumb": 0.6, "idle": 0.0},
        carried={"part": 13.0, "full": 30.0, "crumb": 0.4, "idle": 0.0},
    )
    assert rounded_rescues(relaxation) == {"part": 13, "full": 30}


def test_nobody_reaches_a_group_on_time_so_the_lp_leaves_it_to_cp_sat():
    b = InstanceBuilder().group("g", 30, limit_min=30)
    b.rescue(b.crew("c1", "d1", 49), "g", eta_min=45, delay_min=20)  # late
    instance = b.build()
    assert relaxation_of(instance, EVERYONE_ON_TIME) is None
    assert settled_by_relaxation(instance, ONE_PLAN) == (None, None)


def test_routes_leave_the_settle_to_cp_sat(monkeypatch):
    instance = two_groups_one_big_coach().build()
    monkeypatch.setattr(type(instance), "route_options", property(lambda self: ("a route",)))
    assert settled_by_relaxation(instance, ONE_PLAN) == (None, None)
