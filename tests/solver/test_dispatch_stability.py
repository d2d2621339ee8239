"""Stability and real alternatives (issue 14, items 6 and 7): a trip the incident does not touch keeps
its crew, alternatives differ in the rescue crews, none is dominated, and each says why it ranks below
the first."""

from __future__ import annotations

from datetime import datetime

import pytest

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.evaluate import evaluate, recompute_objective
from fleetplan.model import Incident, IncidentKind

from solver.dispatch import Budget, SolveParams, dispatch, solve

from tests.solver.factory import InstanceBuilder

FAST = SolveParams(budget=Budget.wall_clock(1.0), alternatives=1)
THREE = SolveParams(budget=Budget.wall_clock(1.0), alternatives=3)
MONDAY = datetime(2026, 12, 7)


def crews(plan) -> frozenset[tuple[str, str]]:
    return frozenset((r.vehicle_id, r.driver_id) for r in plan.rescues)


def dominated(plan, by) -> bool:
    """``plan`` sends the same or more crews than ``by`` for an objective no better."""
    return crews(plan) >= crews(by) and plan.objective >= by.objective


# --- the model: a trip the incident does not touch keeps its crew ----------------------------------
def swapped_trips_instance():
    """Two trips whose crews might be pulled; swapping the crews would save 20 km of empty running."""
    b = InstanceBuilder().group("g", 30)
    b.rescue(b.crew("s1", "ds", 49), "g", eta_min=20, deadhead_km=10)
    b.trip("T1", 300, "c1", "d1").trip("T2", 300, "c2", "d2")
    one, two = b.crew("c1", "d1", 49), b.crew("c2", "d2", 49)
    b.rescue(one, "g", eta_min=50, deadhead_km=5)
    b.rescue(two, "g", eta_min=50, deadhead_km=5)
    b.trip_option(one, "T1", deadhead_km=10)
    b.trip_option(one, "T2", deadhead_km=0)
    b.trip_option(two, "T1", deadhead_km=0)
    b.trip_option(two, "T2", deadhead_km=10)
    return b.build()


def test_a_trip_the_incident_does_not_touch_keeps_its_crew_whatever_the_empty_running():
    best = solve(swapped_trips_instance(), FAST).best
    assert {(c.trip_id, c.vehicle_id) for c in best.trip_covers} == {("T1", "c1"), ("T2", "c2")}
    assert best.objective.trips_recrewed == 0


def test_a_failed_coachs_trip_is_a_forced_change_not_a_recrew():
    b = InstanceBuilder().group("g", 30).trip("T-PM", 300, "failed-g", "dfailed")
    crew = b.crew("s1", "ds", 49)
    rescue = b.rescue(crew, "g", eta_min=20)
    b.trip_option(crew, "T-PM", after=rescue)
    best = solve(b.build(), FAST).best
    assert [c.vehicle_id for c in best.trip_covers] == ["s1"]
    assert best.objective.trips_recrewed == 0


def test_pulling_a_crew_off_its_trip_counts_as_a_recrew_and_outranks_empty_running():
    """The in-service crew is 30 km nearer, but taking it re-crews its evening trip."""
    b = InstanceBuilder().group("g", 30).trip("T2", 300, "c2", "d2")
    standby, busy, spare = b.crew("s1", "ds", 49), b.crew("c2", "d2", 49), b.crew("s2", "dx", 49)
    b.rescue(standby, "g", eta_min=20, deadhead_km=40)
    b.rescue(busy, "g", eta_min=20, deadhead_km=10)
    b.trip_option(busy, "T2")
    b.trip_option(spare, "T2")
    best = solve(b.build(), FAST).best
    assert [r.vehicle_id for r in best.rescues] == ["s1"]
    assert [(c.trip_id, c.vehicle_id) for c in best.trip_covers] == [("T2", "c2")]


# --- alternatives -----------------------------------------------------------------------------------
def test_alternatives_differ_in_the_rescue_crews_not_in_the_trip_covers():
    result = solve(swapped_trips_instance(), THREE)
    rescue_crews = [crews(p) for p in result.plans]
    assert len(set(rescue_crews)) == len(rescue_crews) > 1


def test_no_alternative_adds_a_coach_to_a_plan_above_it():
    """Three standby coaches at the scene's depot: the 55-seat one alone carries all 30; adding the
    minibus (or sending two) for the same result is no alternative."""
    b = InstanceBuilder().group("g", 30)
    for vehicle, seats in (("c15", 55), ("c23", 33), ("c24", 19)):
        b.rescue(b.crew(vehicle, f"d{vehicle}", seats), "g", eta_min=10, deadhead_km=0)
    result = solve(b.build(), THREE)
    plans = result.plans
    # c15 and c23 each carry all 30 alike: which the search finds first is a tie (keep_proposed keeps it
    # stable from one dispatch to the next); neither is ranked with a second coach added
    assert {crews(p) for p in plans[:2]} == {frozenset({("c15", "dc15")}), frozenset({("c23", "dc23")})}
    for index, plan in enumerate(plans):
        for other in plans[:index] + plans[index + 1 :]:
            assert not dominated(plan, other), (plan.rescues, other.rescues)


def test_an_alternative_says_why_it_ranks_below_the_first():
    b = InstanceBuilder().group("g", 40)
    b.rescue(b.crew("near", "d1", 49), "g", eta_min=20, deadhead_km=8)
    b.rescue(b.crew("far", "d2", 49), "g", eta_min=20, deadhead_km=20)
    b.rescue(b.crew("late", "d3", 49), "g", eta_min=62, deadhead_km=2)
    plans = solve(b.build(), THREE).plans
    assert [p.why_below_first for p in plans] == [
        "",
        "12 km more empty running",
        "40 more passengers late",
    ]


def test_one_more_coach_for_the_same_result_is_said_so():
    b = InstanceBuilder().group("g", 40)
    b.rescue(b.crew("big", "d1", 49), "g", eta_min=20, deadhead_km=0)
    b.rescue(b.crew("small1", "d2", 20), "g", eta_min=20, deadhead_km=0)
    b.rescue(b.crew("small2", "d3", 20), "g", eta_min=20, deadhead_km=0)
    plans = solve(b.build(), SolveParams(budget=Budget.wall_clock(1.0), alternatives=2)).plans
    assert [sorted(v for v, _ in crews(p)) for p in plans] == [["big"], ["small1", "small2"]]
    assert plans[1].why_below_first == "one more coach for the same result"


# --- the cases on the corridor ---------------------------------------------------------------
@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor()


def run(corridor: Corridor, vehicle: str, where: str, clock: str, passengers: int):
    hours, minutes = map(int, clock.split(":"))
    incident = Incident(
        "t1", IncidentKind.BREAKDOWN, vehicle, None, where, MONDAY.replace(hour=hours, minute=minutes), passengers
    )
    outcome = dispatch(corridor, [incident], corridor.dataset.clear_conditions, params=THREE)
    for plan in outcome.result.plans:
        assert evaluate(plan, outcome.instance) == []
    return outcome


def test_c16_at_k20_keeps_every_evening_run_with_its_own_crew(corridor):
    outcome = run(corridor, "c16", "G1 K20 toward Siping", "10:00", 40)
    dataset = outcome.instance.dataset
    for plan in outcome.result.plans:
        rescuing = {r.vehicle_id for r in plan.rescues} | {r.driver_id for r in plan.rescues}
        for cover in plan.trip_covers:
            trip = dataset.trip(cover.trip_id)
            if trip.vehicle_id not in rescuing and trip.driver_id not in rescuing:
                assert (cover.vehicle_id, cover.driver_id) == (trip.vehicle_id, trip.driver_id), cover
        assert recompute_objective(plan, outcome.instance).trips_recrewed == plan.objective.trips_recrewed
    assert len({crews(p) for p in outcome.result.plans}) == len(outcome.result.plans) > 1


def test_c01_at_the_siping_depot_offers_no_dominated_plan(corridor):
    plans = run(corridor, "c01", "siping_depot", "07:00", 30).result.plans
    assert len(plans) > 1
    assert all(p.why_below_first for p in plans[1:]) and plans[0].why_below_first == ""
    for index, plan in enumerate(plans):
        for other in plans[:index] + plans[index + 1 :]:
            assert not dominated(plan, other), (plan.rescues, other.rescues)


def test_a_cut_search_that_returns_a_dominated_plan_still_offers_none(monkeypatch):
    """Cut short, the search may return the first coach plus a minibus before the first coach alone;
    the answer ranks the better plan first and drops the dominated one."""
    import importlib

    from solver.dispatch import build_plan
    from solver.dispatch.solve import Found

    solving = importlib.import_module("solver.dispatch.solve")
    b = InstanceBuilder().group("g", 30)
    big = b.rescue(b.crew("big", "d1", 49), "g", eta_min=10, deadhead_km=0)
    mini = b.rescue(b.crew("mini", "d2", 19), "g", eta_min=10, deadhead_km=0)
    instance = b.build()
    both = build_plan(instance, {big: 11, mini: 19}, (), source="cp-sat")
    alone = build_plan(instance, {big: 30}, (), source="cp-sat")
    found = iter([Found(both, False, both.objective), Found(alone, False, alone.objective)])
    monkeypatch.setattr(solving, "solve_lexicographic", lambda *a, **k: next(found))
    plans = solve(instance, SolveParams(budget=Budget.wall_clock(1.0), alternatives=2)).plans
    assert [crews(p) for p in plans] == [{("big", "d1")}]
    assert plans[0].why_below_first == ""
