"""Fixing before the full model: the rescue options no plan meeting the settled rescue terms can
use, by the LP's reduced costs and by a Lagrangian bound solved exactly group by group."""

from __future__ import annotations

import importlib

import pytest

from solver.dispatch import Budget, SolveParams, Status, solve
from solver.dispatch.fixing import least_delay_with_each_option, rescue_options_ruled_out, without_rescue_options

from tests.solver.desk_incidents import COUNT, ONE_PLAN, assert_same_best, desk_instance
from tests.solver.factory import InstanceBuilder

solve_module = importlib.import_module("solver.dispatch.solve")  # the package's `solve` is the function

EVERYONE_ON_TIME = {"passengers_not_reached": 0, "late_penalty": 0}


def a_slow_rescuer_whose_trip_would_tempt_the_full_model():
    """c1 reaches the 30 passengers with 10 min delay each; c2 with 40 min, but c2 could then run
    the later trip T. Delay outranks trips, so no plan that settles delay at 300 uses c2's rescue."""
    b = InstanceBuilder().group("g", 30).trip("T", 240, "failed", "dfailed")
    c1, c2 = b.crew("c1", "d1", 49), b.crew("c2", "d2", 49)
    fast = b.rescue(c1, "g", eta_min=20, delay_min=10)
    slow = b.rescue(c2, "g", eta_min=50, delay_min=40)
    chained = b.trip_option(c2, "T", after=slow)
    return b.build(), fast, slow, chained


def test_fixing_drops_a_rescuer_no_delay_optimal_plan_uses_and_its_chained_trip():
    instance, fast, slow, chained = a_slow_rescuer_whose_trip_would_tempt_the_full_model()
    settled = {**EVERYONE_ON_TIME, "passenger_delay_min": 30 * 10}
    ruled_out = rescue_options_ruled_out(instance, settled)
    assert ruled_out == {slow}
    pruned = without_rescue_options(instance, ruled_out)
    assert [o.id for o in pruned.rescue_options] == [fast]
    assert chained not in {o.id for o in pruned.trip_options}
    # a looser settled delay (a cut search) admits the slow rescuer again: nothing is claimed then
    assert rescue_options_ruled_out(instance, {**settled, "passenger_delay_min": 30 * 40}) == frozenset()
    assert rescue_options_ruled_out(instance, {"passengers_not_reached": 0}) == frozenset()


def fixing_recorded(monkeypatch) -> list[frozenset[str]]:
    """What each fixing of the solves rules out, in order."""
    found: list[frozenset[str]] = []
    real = solve_module.rescue_options_ruled_out

    def ruled_out(*args):
        found.append(real(*args))
        return found[-1]

    monkeypatch.setattr(solve_module, "rescue_options_ruled_out", ruled_out)
    return found


def test_solving_with_the_slow_rescuer_dropped_keeps_the_delay_optimum(monkeypatch):
    monkeypatch.setattr(solve_module, "FIXING_MIN_OPTIONS", 0)  # fix this small model too
    ruled_out = fixing_recorded(monkeypatch)
    instance, fast, slow, _ = a_slow_rescuer_whose_trip_would_tempt_the_full_model()
    result = solve(instance, SolveParams(budget=Budget.wall_clock(2.0), alternatives=1))
    assert result.status == Status.OPTIMAL
    assert [r.option_id for r in result.best.rescues] == [fast]
    assert result.best.objective.passenger_delay_min == 30 * 10
    assert result.best.uncovered_trip_ids == ("T",)
    assert ruled_out == [{slow}], "the solve fixed the model before the trip stages"


@pytest.mark.parametrize("index", range(0, COUNT, 4))
def test_fixing_or_not_the_desks_dispatches_reach_the_same_optimum(monkeypatch, index):
    """A dispatch of the default corridor is small (tens of options): the solve skips the fixing LP
    (FIXING_MIN_OPTIONS); fixed anyway, it reaches the same optimum, both plans clean for the oracle."""
    instance = desk_instance(index)
    called = fixing_recorded(monkeypatch)
    plain = solve(instance, ONE_PLAN)
    assert not called, f"{len(instance.rescue_options)} rescue options: below the fixing threshold"
    monkeypatch.setattr(solve_module, "FIXING_MIN_OPTIONS", 0)
    fixed = solve(instance, ONE_PLAN)
    assert bool(called) == bool(instance.trip_tasks), "forced, the fixing runs wherever trips follow the rescues"
    assert_same_best(instance, plain, fixed)


def cheap_small_coaches_and_a_dear_big_one():
    """30 passengers: A takes 20 at 1 min each, F 10 at 2 min, E 30 at 10 min; L would be late."""
    b = InstanceBuilder().group("g", 30)
    a = b.rescue(b.crew("A", "dA", 20), "g", eta_min=20, delay_min=1)
    f = b.rescue(b.crew("F", "dF", 10), "g", eta_min=20, delay_min=2)
    e = b.rescue(b.crew("E", "dE", 30), "g", eta_min=20, delay_min=10)
    late = b.rescue(b.crew("L", "dL", 49), "g", eta_min=75)  # past the 60 min limit
    return b.build(), a, f, e, late


def test_the_least_delay_of_a_group_uses_each_coach_once():
    instance, a, f, e, late = cheap_small_coaches_and_a_dear_big_one()
    on_time = [o for o in instance.rescue_options if o.id != late]
    least, with_option = least_delay_with_each_option(30, on_time, price=dict.fromkeys((o.id for o in on_time), 0.0))
    assert least == 20 * 1 + 10 * 2  # A full, F full
    # E carrying one passenger leaves 29 for A (20) and F (9): A cannot carry twice
    assert with_option == {a: least, f: least, e: 1 * 10 + 20 * 1 + 9 * 2}


def test_the_group_bound_rules_out_what_no_delay_optimal_plan_uses_and_the_late():
    instance, a, f, e, late = cheap_small_coaches_and_a_dear_big_one()
    assert rescue_options_ruled_out(instance, {**EVERYONE_ON_TIME, "passenger_delay_min": 40}) == {e, late}
    # a settled delay of 48 admits E carrying one passenger
    assert rescue_options_ruled_out(instance, {**EVERYONE_ON_TIME, "passenger_delay_min": 48}) == {late}


def test_a_coach_two_groups_share_goes_where_it_saves_more():
    # Groups of 20 both want coach S (1 min each); the other group takes its own coach at 5 or 6 min.
    # The least delay is 20 + 100 (S for g1); B1 for g1 costs at least 120 + 20.
    b = InstanceBuilder().group("g1", 20).group("g2", 20)
    s = b.crew("S", "dS", 49)
    s1, _s2 = b.rescue(s, "g1", eta_min=20, delay_min=1), b.rescue(s, "g2", eta_min=20, delay_min=1)
    own1 = b.rescue(b.crew("B1", "d1", 49), "g1", eta_min=20, delay_min=6)
    own2 = b.rescue(b.crew("B2", "d2", 49), "g2", eta_min=20, delay_min=5)
    ruled_out = rescue_options_ruled_out(b.build(), {**EVERYONE_ON_TIME, "passenger_delay_min": 20 + 100})
    assert own1 in ruled_out
    assert not {s1, own2} & ruled_out


def test_a_price_counts_once_per_option_used():
    instance, a, f, e, late = cheap_small_coaches_and_a_dear_big_one()
    on_time = [o for o in instance.rescue_options if o.id != late]
    price = {a: 200.0, f: 0.0, e: 0.0}  # priced, A full with F full costs 20 + 200 + 20
    least, with_option = least_delay_with_each_option(30, on_time, price)
    assert least == 10 * 2 + 20 * 10  # F full, E the rest
    assert with_option == {a: 20 + 200 + 10 * 2, f: least, e: least}
