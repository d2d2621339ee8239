"""Two disagreements between the engine and the oracle found under snow by
``python -m bench.trust_outcomes --conditions snow`` (issue 14), each settled by the rulebook.

1. A coach that fails *at* one of its stops: whoever was going there has arrived, so the stop is not
   a delivery stop (world-model §6: delivered to a stop after the scene). The engine offered a passing
   coach "delivering" to the scene itself; the oracle refused it.
2. A coach under way keeps to its course (§6). Under snow the oracle priced its drive to the scene by
   the fastest route from its last stop, a G102 short cut the coach had already passed the turn for,
   and called the engine's passing time pessimistic; the oracle now drives the leg's own course.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.model import Incident, IncidentKind

from solver.dispatch import Budget, SolveParams, dispatch
from solver.dispatch.oracle_check import oracle_problems

PARAMS = SolveParams(budget=Budget.wall_clock(1.0), alternatives=3)


@pytest.fixture(scope="module")
def corridor():
    return load_corridor()


@pytest.fixture(scope="module")
def snow(corridor):
    return corridor.dataset.conditions_named("snow")


def test_a_stop_at_the_scene_is_no_delivery_stop(corridor, snow):
    # T1210-PM1 (c01) calls at changchun_gov 19:15 and changchun_station 19:25; it fails at changchun_gov
    # at 19:14. Only changchun_station is left to reach.
    failure = Incident("s1", IncidentKind.BREAKDOWN, "c01", None, "changchun_gov", datetime(2026, 12, 10, 19, 14), 44)
    outcome = dispatch(corridor, [failure], snow, params=PARAMS)
    (group,) = outcome.instance.groups
    assert [node for node, _ in group.remaining_stops] == ["changchun_station"]
    assert outcome.result.plans
    for plan, problems in zip(outcome.result.plans, outcome.problems):
        assert problems == ()
        assert all((r.destination_node or group.destination_node) == "changchun_station" for r in plan.rescues)
    # c02 on PM2 ends at changchun_gov: it goes nowhere these passengers are going
    assert "c02" not in {o.vehicle_id for o in outcome.instance.rescue_options}


def test_a_coach_under_way_keeps_to_its_course_in_the_snow(corridor, snow):
    # T1211-FR3 (c17) left siping_station at 14:45 for Changchun by G1 (its course turns south to
    # Wulipo); at 14:48 it is past the turn a G102 short cut would take. c15 fails at K44 toward Changchun.
    failure = Incident(
        "s2", IncidentKind.BREAKDOWN, "c15", None, "G1 K44.0 toward Changchun", datetime(2026, 12, 11, 14, 48), 55
    )
    outcome = dispatch(corridor, [failure], snow, params=PARAMS)
    passing = [r for plan in outcome.result.plans for r in plan.rescues if r.vehicle_id == "c17"]
    assert passing, "c17 passes the scene"
    assert outcome.problems == tuple(() for _ in outcome.result.plans)
    # still checked: a passing time ten minutes earlier than its course allows is refused
    plan = next(p for p in outcome.result.plans if any(r.vehicle_id == "c17" for r in p.rescues))
    early = tuple(
        replace(r, depart_at=r.depart_at - timedelta(minutes=10), scene_arrival=r.scene_arrival - timedelta(minutes=10))
        if r.vehicle_id == "c17"
        else r
        for r in plan.rescues
    )
    (found,) = oracle_problems(outcome.instance, [replace(plan, rescues=early)])
    assert any(dict(p.numbers).get("kind") == "too_early" for p in found)


def test_a_cover_in_a_blizzard_must_end_in_its_driver_s_shift(corridor):
    # c01 fails on its morning run; its 17:15 run T1209-PM1 (timetabled to 19:25) takes over 4 h in the
    # blizzard (world-model §8). The engine gives it to d28 (16:00–02:00); d19 (08:00–20:00), on shift
    # at the departure, would drive it past the end of the shift.
    failure = Incident(
        "s3", IncidentKind.BREAKDOWN, "c01", None, "G1 K60 toward Siping", datetime(2026, 12, 9, 7, 30), 45
    )
    blizzard = corridor.dataset.conditions_named("blizzard")
    outcome = dispatch(corridor, [failure], blizzard, params=replace(PARAMS, alternatives=1))
    plan = outcome.result.plans[0]
    (cover,) = [c for c in plan.trip_covers if c.trip_id == "T1209-PM1"]
    assert outcome.problems[0] == ()
    assert corridor.dataset.driver(cover.driver_id).shift_window(cover_departure(corridor, cover))[1] >= datetime(
        2026, 12, 9, 21, 25
    )
    day_shift = replace(cover, driver_id="d19")
    claimed = replace(plan, trip_covers=tuple(day_shift if c is cover else c for c in plan.trip_covers))
    (problems,) = oracle_problems(outcome.instance, [claimed])
    assert any("d19" in str(problem) and "shift" in str(problem) for problem in problems), problems


def cover_departure(corridor, cover):
    return corridor.dataset.trip(cover.trip_id).departure + timedelta(seconds=cover.departure_shift_s)
