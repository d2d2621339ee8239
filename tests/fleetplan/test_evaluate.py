"""The evaluator's findings are structured: a code, the subject, the numbers and the sentence."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.evaluate import evaluate
from fleetplan.model import Incident, IncidentKind
from fleetplan.problems import ProblemCode

from solver.dispatch import Budget, SolveParams, dispatch


@pytest.fixture(scope="module")
def outcome():
    corridor = load_corridor()
    incident = Incident(
        "e1", IncidentKind.BREAKDOWN, "c01", None, "G1 K78 toward Siping", datetime(2026, 12, 7, 7, 40), 42
    )
    return dispatch(
        corridor,
        [incident],
        corridor.dataset.conditions_named("clear"),
        params=SolveParams(budget=Budget.deterministic(1.0), workers=1, alternatives=1),
    )


def test_a_sound_plan_has_no_problem(outcome):
    assert outcome.sound and evaluate(outcome.best, outcome.instance) == []


def test_a_wrong_scene_time_is_named_with_both_times(outcome):
    rescue = outcome.best.rescues[0]
    claimed = rescue.scene_arrival - timedelta(minutes=7)
    tampered = replace(
        outcome.best,
        rescues=(replace(rescue, scene_arrival=claimed, depart_at=claimed - timedelta(minutes=1)),)
        + outcome.best.rescues[1:],
    )
    found = [p for p in evaluate(tampered, outcome.instance) if p.code == ProblemCode.SCENE_TIME]
    assert found and found[0].subject == f"rescue by {rescue.vehicle_id}"
    assert found[0].number("claimed") == claimed
    assert str(found[0]).startswith(f"rescue by {rescue.vehicle_id}: claims the scene at")


def test_a_claimed_objective_that_does_not_add_up_is_a_mismatch(outcome):
    objective = replace(outcome.best.objective, deadhead_km=outcome.best.objective.deadhead_km + 1)
    found = evaluate(replace(outcome.best, objective=objective), outcome.instance)
    assert [(p.code, p.subject) for p in found] == [(ProblemCode.OBJECTIVE_MISMATCH, "objective deadhead_km")]
    assert found[0].number("claimed") == found[0].number("found") + 1


def test_driving_hours_left_are_a_checked_claim(outcome):
    rescue = outcome.best.rescues[0]
    assert 0 < rescue.driver_hours_left_s <= 8 * 3600
    tampered = replace(
        outcome.best,
        rescues=(replace(rescue, driver_hours_left_s=rescue.driver_hours_left_s + 600),) + outcome.best.rescues[1:],
    )
    found = [p for p in evaluate(tampered, outcome.instance) if p.code == ProblemCode.DRIVER_HOURS_LEFT]
    assert found and found[0].number("found_s") == rescue.driver_hours_left_s


def test_an_unavailable_coach_is_named(outcome):
    used = outcome.best.rescues[0].vehicle_id
    instance = replace(outcome.instance, unavailable={used: "booked by incident 3"})
    found = [p for p in evaluate(outcome.best, instance) if p.code == ProblemCode.UNAVAILABLE_USED]
    assert [p.subject for p in found] == [used]


def test_swapping_two_untouched_trips_between_their_crews_counts_two_recrews():
    """Issue 14 item 6: c16 fails near Siping at 10:00; c01–c04 may be pulled, so their evening runs are
    at stake, but no rescue takes them. Swapping c01 and c03 between PM1 and PM3 changes two trips the
    incident does not touch."""
    corridor = load_corridor()
    incident = Incident(
        "e2", IncidentKind.BREAKDOWN, "c16", None, "G1 K20 toward Siping", datetime(2026, 12, 7, 10, 0), 40
    )
    outcome = dispatch(
        corridor,
        [incident],
        corridor.dataset.clear_conditions,
        params=SolveParams(budget=Budget.deterministic(1.0), workers=1, alternatives=1),
    )
    best = outcome.best
    assert best.objective.trips_recrewed == 0 and evaluate(best, outcome.instance) == []
    covers = {c.trip_id: c for c in best.trip_covers}
    one, three = covers["T1207-PM1"], covers["T1207-PM3"]
    swapped = {
        "T1207-PM1": replace(one, vehicle_id=three.vehicle_id, driver_id=three.driver_id),
        "T1207-PM3": replace(three, vehicle_id=one.vehicle_id, driver_id=one.driver_id),
    }
    tampered = replace(best, trip_covers=tuple(swapped.get(c.trip_id, c) for c in best.trip_covers))
    found = {p.subject: p for p in evaluate(tampered, outcome.instance) if p.code == ProblemCode.OBJECTIVE_MISMATCH}
    assert found["objective trips_recrewed"].number("found") == 2
