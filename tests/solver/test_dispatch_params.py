"""SolveParams and Budget refuse bad values with an error naming the field; the Allowance shares one
budget among the steps of a solve."""

from __future__ import annotations

import math
from datetime import datetime

import pytest
from ortools.sat.python import cp_model

from fleetplan.corridor import load_corridor
from fleetplan.errors import InvalidValueError
from fleetplan.model import Incident, IncidentKind

from solver.dispatch import Budget, BudgetKind, SolveParams, dispatch, dispatch_prepared, prepare, solve
from solver.dispatch.params import Allowance

from tests.solver.factory import InstanceBuilder


@pytest.mark.parametrize("seconds", [0, -1, math.nan, math.inf, 3601, "1", True, None])
def test_a_budget_must_be_a_finite_positive_number_of_seconds(seconds):
    with pytest.raises(InvalidValueError) as caught:
        Budget(seconds)
    assert caught.value.field == "budget"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("alternatives", 0),
        ("alternatives", 11),
        ("alternatives", 2.0),
        ("alternatives", True),
        ("workers", 0),
        ("workers", 17),
        ("seed", -1),
        ("seed", 2**31),
        ("allow_split", 1),
        ("hard_limits", "no"),
        ("budget", 1.0),
    ],
)
def test_solve_params_name_the_field_of_a_bad_value(field, value):
    with pytest.raises(InvalidValueError) as caught:
        SolveParams(**{field: value})
    assert caught.value.field == field


def test_a_deterministic_budget_needs_one_worker():
    with pytest.raises(InvalidValueError) as caught:
        SolveParams(budget=Budget.deterministic(0.5), workers=2)
    assert caught.value.field == "workers"
    assert SolveParams(budget=Budget.deterministic(0.5), workers=1).budget.kind == BudgetKind.DETERMINISTIC


def test_a_share_of_an_allowance_never_exceeds_what_is_left():
    allowance = Allowance(Budget.deterministic(1.0))
    part = allowance.share(5.0)
    assert part.seconds <= 1.0
    assert allowance.share(0.25).seconds == 0.25


def test_deterministic_calls_charge_one_account_and_set_deterministic_limits():
    model = cp_model.CpModel()
    model.new_bool_var("x")
    allowance = Allowance(Budget.deterministic(0.5))
    step = allowance.share(0.2)
    solver = cp_model.CpSolver()
    step.limit(solver, 0.1)
    assert solver.parameters.max_deterministic_time == pytest.approx(0.1)
    assert solver.parameters.max_time_in_seconds > 1  # the wall-clock cap is only a safety net
    solver.solve(model)
    step.charge(solver)
    assert allowance.spent_s() == pytest.approx(solver.deterministic_time)
    assert step.spent_s() == pytest.approx(solver.deterministic_time)


def test_a_deterministic_budget_gives_the_same_plans_every_time():
    b = InstanceBuilder().group("g", 60).trip("T", 120, "c1", "d1")
    for index in range(4):
        crew = b.crew(f"c{index + 1}", f"d{index + 1}", 35)
        b.rescue(crew, "g", eta_min=20 + 5 * index, deadhead_km=10 + index)
        b.trip_option(crew, "T", shift_min=index)
    instance = b.build()
    params = SolveParams(budget=Budget.deterministic(0.3), workers=1)
    first, second = solve(instance, params), solve(instance, params)
    assert first.plans == second.plans and first.status.value == "optimal"
    assert not first.wall_capped


def test_the_two_step_path_is_the_one_step_path():
    corridor = load_corridor()
    incident = Incident(
        "p1", IncidentKind.BREAKDOWN, "c01", None, "G1 K60 toward Siping", datetime(2026, 12, 7, 7, 30), 42
    )
    clear = corridor.dataset.conditions_named("clear")
    params = SolveParams(budget=Budget.deterministic(0.5), workers=1, alternatives=2)
    whole = dispatch(corridor, [incident], clear, params=params)
    steps = dispatch_prepared(prepare(corridor, [incident], clear), params)
    assert [p.objective for p in whole.result.plans] == [p.objective for p in steps.result.plans]
    assert len(steps.problems) == len(steps.result.plans) and steps.sound
