"""A passing coach's route (issue #18 §1): a coach on its trip stops at two scenes it passes and takes
both groups in its free seats.

Thursday 07:05: the staff runs AM1 (c01) and AM2 (c02) fail on G1 toward Siping at K40 and K35 with 6
and 5 aboard; every standing coach is out, and of the coaches on the road only AM3 (c03, 33 booked on
45 seats, 12 free) passes both scenes ahead of it. Every plan is checked by the independent oracle
(:mod:`fleetplan.oracle`) and the evaluator; the oracle's own checks are shown to catch a passing
route that is wrong at a call.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.evaluate import evaluate
from fleetplan.model import Incident, IncidentKind
from fleetplan.operations import OperationsPolicy
from fleetplan.plan import DELIVER, PICKUP, Plan

from solver.dispatch import Budget, SolveParams, dispatch
from solver.dispatch.oracle_check import oracle_problems

PARAMS = SolveParams(budget=Budget.deterministic(5.0), alternatives=1, workers=1)
AT = datetime(2026, 12, 10, 7, 5)
OUT = [f"c{n:02d}" for n in (*range(4, 14), *range(15, 25))]  # every coach but the staff runs AM1–AM3


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor()


def failures(am1: int = 6, am2: int = 5) -> list[Incident]:
    return [
        Incident("am1", IncidentKind.BREAKDOWN, "c01", None, "G1 K40 toward Siping", AT, am1),
        Incident("am2", IncidentKind.BREAKDOWN, "c02", None, "G1 K35 toward Siping", AT, am2),
    ]


def run(corridor, incidents=None, ops: OperationsPolicy = OperationsPolicy()):
    unavailable = dict.fromkeys(OUT, "out on a charter")
    conditions = corridor.dataset.clear_conditions
    return dispatch(corridor, incidents or failures(), conditions, ops=ops, params=PARAMS, unavailable=unavailable)


@pytest.fixture(scope="module")
def outcome(corridor):
    return run(corridor)


def kinds(outcome, plan: Plan) -> set[str]:
    (found,) = oracle_problems(outcome.instance, [plan])
    return {dict(problem.numbers)["kind"] for problem in found}


def test_the_passing_coach_stops_at_both_scenes_and_takes_both_groups(outcome):
    best = outcome.result.best
    (route,) = best.routes
    assert route.vehicle_id == "c03" and route.passing_trip_id == "T1210-AM3"
    assert [s.kind for s in route.stops] == [PICKUP, PICKUP, DELIVER]
    assert [s.place for s in route.stops[:2]] == ["G1 K40 toward Siping", "G1 K35 toward Siping"]  # its course
    assert {(r.group_id, r.passengers) for r in best.rescues} == {("G-am1", 6), ("G-am2", 5)}
    assert best.objective.passengers_not_reached == 0 and best.objective.rescue_coaches == 1
    assert kinds(outcome, best) == set()
    assert evaluate(best, outcome.instance) == []


def test_its_own_passengers_delay_counts_once_for_all_its_stops(outcome):
    """The route's part of the passenger delay: 33 booked on AM3, delayed by both stops at its last."""
    (route,) = outcome.instance.route_options
    assert route.own_passengers == 33 and route.own_passenger_delay_s > 0
    best = outcome.result.best
    (route_plan,) = best.routes

    def delay_min(rescue) -> int:  # started minutes past the failed trip's planned arrival
        planned = outcome.instance.group(rescue.group_id).planned_arrival
        return -(-int((rescue.destination_arrival - planned).total_seconds()) // 60)

    groups_min = sum(r.passengers * delay_min(r) for r in best.rescues)
    own_min = 33 * -(-route.own_passenger_delay_s // 60)
    assert best.objective.passenger_delay_min == groups_min + own_min
    assert route_plan.stops[-1].place == "jlnu_siping_campus"


def test_one_group_per_coach_leaves_a_group_behind(corridor, outcome):
    alone = run(corridor, ops=OperationsPolicy(max_route_crews=0)).result.best
    assert not alone.routes and alone.objective.passengers_not_reached > 0
    assert outcome.result.best.objective < alone.objective


def test_no_passing_route_when_the_first_group_fills_the_free_seats(corridor):
    full = run(corridor, failures(am1=12, am2=5))
    assert not [r for r in full.instance.route_options if r.passing_trip_id]


def test_the_oracle_names_a_second_scene_reached_too_early(outcome):
    best = outcome.result.best
    (route,) = best.routes
    early = timedelta(minutes=3)  # still after it leaves the first scene
    second = route.stops[1]
    moved = replace(
        second, arrival=second.arrival - early, boarding_at=second.boarding_at - early, leave_at=second.leave_at - early
    )
    wrong = replace(route, stops=(route.stops[0], moved, *route.stops[2:]))
    parts = tuple(
        replace(r, scene_arrival=moved.arrival, boarding_at=moved.boarding_at) if r.group_id == "G-am2" else r
        for r in best.rescues
    )
    assert "too_early" in kinds(outcome, replace(best, routes=(wrong,), rescues=parts))


def test_the_oracle_names_more_passengers_than_the_free_seats(outcome):
    best = outcome.result.best
    crowded = tuple(replace(r, passengers=r.passengers + 1) for r in best.rescues)  # 13 on 12 free seats
    assert "seats" in kinds(outcome, replace(best, rescues=crowded))


def test_the_oracle_names_a_route_on_another_trip(outcome):
    best = outcome.result.best
    (route,) = best.routes
    assert "not_passing" in kinds(outcome, replace(best, routes=(replace(route, passing_trip_id="T1210-AM1"),)))


def test_the_oracle_names_an_understated_delay_of_its_own_passengers(outcome):
    best = outcome.result.best
    less = replace(best.objective, passenger_delay_min=best.objective.passenger_delay_min - 33)
    assert "objective" in kinds(outcome, replace(best, objective=less))


def test_the_oracle_names_scenes_called_at_against_the_coach_s_course(outcome):
    """K35 before K40 toward Siping would have the coach turn back on the expressway."""
    best = outcome.result.best
    (route,) = best.routes
    first, second, drop = route.stops
    k35_first = replace(first, place=second.place, group_ids=second.group_ids)  # the first call's times
    k40_then = replace(second, place=first.place, group_ids=first.group_ids)
    parts = tuple(
        replace(r, scene_arrival=call.arrival, boarding_at=call.boarding_at)
        for r in best.rescues
        for call in (k40_then if r.group_id == "G-am1" else k35_first,)
    )
    swapped = replace(route, stops=(k35_first, k40_then, drop))
    assert "not_passing" in kinds(outcome, replace(best, routes=(swapped,), rescues=parts))
