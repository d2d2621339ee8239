"""``check_plan`` on hand-built plans over the default data: a correct plan passes, and each kind of
wrong claim yields the disagreement that names it.

The correct plans are built from the oracle's own routes (the unit tests of the speed table and the
paths check those numbers by hand); what is tested here is that every claim is re-derived and that a
wrong one is caught with its code.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from fleetplan.oracle import Case, CaseIncident, check_dispatch, check_plan, read_world, tier_of
from fleetplan.oracle.check_passing import course_arrival, passing_window
from fleetplan.oracle.duty import hours_left_s
from fleetplan.oracle.facts import Facts
from fleetplan.oracle.places import locate
from fleetplan.oracle.speed import to_s
from fleetplan.plan import Objective, Plan, Rescue

from tests.oracle.test_objective import with_oracle_terms

DATA = Path(__file__).parents[2] / "data" / "default"
MINUTE = timedelta(minutes=1)

# c01 on the Monday morning staff run breaks down toward Siping with 42 on board
BREAKDOWN = CaseIncident("i1", "c01", "G1 K78 toward Siping", datetime(2026, 12, 7, 7, 40), 42, "T1207-AM1")
CASE = Case((BREAKDOWN,), "clear")
# c03 fails at night without a trip (its 20 passengers go to its home depot)
NIGHT = CaseIncident("n1", "c03", "G1 K90 toward Changchun", datetime(2026, 12, 8, 1, 20), 20)
# c15's Friday student run fails on G1; c17 on its own run passes behind it with one free seat
FRIDAY = CaseIncident("f1", "c15", "G1 K40 toward Changchun", datetime(2026, 12, 11, 14, 40), 1, "T1211-FR1")


@pytest.fixture(scope="module")
def world():
    return read_world(DATA)


def rescue_by(world, case, coach, driver, passengers, *, origin="changchun_depot", option="R1", other_side=False):
    """A standing crew's rescue with every claim as the world-model makes it (``other_side``: for a
    scene whose carriageway is ambiguous, the one the oracle finds farther)."""
    facts = Facts.of(world, case)
    incident = case.incidents[0]
    scene, stops = facts.place(incident.location), facts.remaining_stops(incident)
    if other_side:
        scene = scene.other_side
    depart = case.at + timedelta(seconds=case.turnout_s)
    to_scene = facts.router.fastest(facts.place(origin), scene, to_s(depart))
    arrival = depart + timedelta(seconds=to_scene.seconds)
    boarding = max(arrival, incident.reported_at + timedelta(seconds=world.policy.charter_sign_filing_delay_s))
    leave = boarding + timedelta(seconds=case.transfer_s)
    onward = facts.router.fastest(scene, facts.place(stops[-1].node_id), to_s(leave))
    left = hours_left_s(facts.base_log(driver, frozenset()), depart, world.policy)
    return Rescue(
        option,
        incident.group,
        coach,
        driver,
        origin,
        depart,
        arrival,
        boarding,
        leave + timedelta(seconds=onward.seconds),
        passengers,
        round(to_scene.length_m),
        left,
    )


def plan_of(world, case, *rescues, uncovered=()) -> Plan:
    """The plan with its objective as the world-model counts it."""
    incident = case.incidents[0]
    deadline = tier_of(world, incident, case).deadline
    reached = sum(r.passengers for r in rescues if r.scene_arrival <= deadline)
    objective = Objective(passengers_not_reached=incident.passengers - reached, trips_uncovered=len(uncovered))
    return with_oracle_terms(world, case, Plan(tuple(rescues), (), tuple(uncovered), objective))


def codes(world, case, plan) -> set[str]:
    return {d.code for d in check_plan(world, case, plan)}


@pytest.fixture(scope="module")
def good(world):
    return plan_of(world, CASE, rescue_by(world, CASE, "c10", "d11", 42), uncovered=("T1207-PM1",))


# --------------------------------------------------------------------------- a correct plan
def test_a_correct_plan_passes(world, good):
    assert check_plan(world, CASE, good) == ()


def test_check_dispatch_answers_per_plan_in_rank_order(world, good):
    wrong = replace(good, objective=replace(good.objective, trips_uncovered=0))
    first, second = check_dispatch(world, CASE, [good, wrong])
    assert first == () and {(d.plan, d.code) for d in second} == {(2, "objective")}


# --------------------------------------------------------------------------- wrong claims
def test_an_eta_earlier_than_the_road_allows(world, good):
    rescue = good.rescues[0]
    early = replace(rescue, scene_arrival=rescue.scene_arrival - 5 * MINUTE)
    found = check_plan(world, CASE, replace(good, rescues=(early,)))
    assert [(d.field, d.code) for d in found if d.code == "too_early"] == [("scene_arrival", "too_early")]


def test_an_eta_far_later_than_the_road_needs_is_pessimistic(world, good):
    rescue = good.rescues[0]
    late = replace(
        rescue,
        scene_arrival=rescue.scene_arrival + 10 * MINUTE,
        boarding_at=rescue.boarding_at + 10 * MINUTE,
        destination_arrival=rescue.destination_arrival + 10 * MINUTE,
    )
    assert "pessimistic" in codes(world, CASE, replace(good, rescues=(late,)))


def test_a_workshop_coach(world):
    assert "workshop" in codes(world, CASE, plan_of(world, CASE, rescue_by(world, CASE, "c14", "d11", 42)))


def test_a_b1_driver_in_a_large_coach(world):
    assert "licence" in codes(world, CASE, plan_of(world, CASE, rescue_by(world, CASE, "c10", "d15", 42)))


def test_an_off_shift_driver(world):
    # d13 works 18:00–06:00; the rescue runs in the morning
    assert "shift" in codes(world, CASE, plan_of(world, CASE, rescue_by(world, CASE, "c10", "d13", 42)))


def test_more_passengers_than_seats(world):
    # c13 is a 19-seat minibus
    assert "seats" in codes(world, CASE, plan_of(world, CASE, rescue_by(world, CASE, "c13", "d11", 42)))


def test_more_passengers_than_the_group(world):
    plan = plan_of(world, CASE, rescue_by(world, CASE, "c10", "d11", 42), rescue_by(world, CASE, "c12", "d10", 5))
    assert "group_size" in codes(world, CASE, plan)


def test_one_driver_in_two_coaches_at_once(world):
    first = rescue_by(world, CASE, "c10", "d11", 30, option="R1")
    second = rescue_by(world, CASE, "c11", "d11", 12, option="R2")
    assert "overlap" in codes(world, CASE, plan_of(world, CASE, first, second, uncovered=("T1207-PM1",)))


def test_the_objective_is_recounted(world, good):
    wrong = replace(good, objective=replace(good.objective, passengers_not_reached=42))
    assert [d.field for d in check_plan(world, CASE, wrong)] == ["objective.passengers_not_reached"]


def test_an_unknown_coach(world, good):
    stranger = replace(good.rescues[0], vehicle_id="c99")
    assert "unknown_id" in codes(world, CASE, replace(good, rescues=(stranger,)))


# --------------------------------------------------------------------------- 02:00–05:00
def test_driving_at_three_in_the_morning_under_enforce(world):
    case = Case((NIGHT,), "clear")
    plan = plan_of(world, case, rescue_by(world, case, "c10", "d13", 20), uncovered=("T1208-AM3",))
    assert check_plan(world, case, plan) == ()  # exempt by length under exempt_commuter_200km
    enforce = replace(world, policy=replace(world.policy, overnight_rule="enforce"))
    # under enforce the onward drive may not run in 02:00–05:00: the driver waits at the scene instead
    assert {d.code for d in check_plan(enforce, case, plan)} == {"overnight", "rest"}


# --------------------------------------------------------------------------- passing coaches
def passing_rescue(world, case, coach, driver, passengers) -> Rescue:
    facts = Facts.of(world, case)
    incident = case.incidents[0]
    trip = facts.coach_trip_at(coach, case.at)
    scene = facts.place(incident.location)
    earliest, _, _, leg = passing_window(facts, trip, scene)
    boarding = max(earliest, incident.reported_at + timedelta(seconds=world.policy.charter_sign_filing_delay_s))
    leave = boarding + timedelta(seconds=case.passing_dwell_s)
    arrival, _ = course_arrival(facts, trip.stops[leg + 1 :], scene, leave, "changchun_station")
    return Rescue(
        "P1", incident.group, coach, driver, f"on trip ({coach})", earliest, earliest, boarding, arrival, passengers, 0
    )


def test_a_passing_coach_with_a_free_seat_passes(world):
    case = Case((FRIDAY,), "clear")
    assert check_plan(world, case, plan_of(world, case, passing_rescue(world, case, "c17", "d21", 1))) == ()


def test_a_passing_coach_must_board_after_the_new_charter_sign(world):
    case = Case((replace(FRIDAY, reported_at=datetime(2026, 12, 11, 15, 15)),), "clear")
    rescue = passing_rescue(world, case, "c17", "d21", 1)
    hasty = replace(rescue, boarding_at=rescue.scene_arrival)
    assert rescue.boarding_at > rescue.scene_arrival  # it passes before the sign is filed
    assert "sign" in codes(world, case, plan_of(world, case, hasty))


def test_a_coach_already_past_the_scene_does_not_pass_it(world):
    # c16 on FR2 left the campus at 14:00 and is beyond K5 at 14:40; it has no free seat either
    case = Case((replace(FRIDAY, location="G1 K5 toward Changchun"),), "clear")
    rescue = passing_rescue(world, Case((FRIDAY,), "clear"), "c17", "d21", 1)
    behind = replace(rescue, vehicle_id="c16", driver_id="d20")
    assert {"not_passing", "seats"} <= codes(world, case, plan_of(world, case, behind))


# --------------------------------------------------------------------------- an ambiguous side
def test_a_plan_may_read_an_ambiguous_side_either_way(world):
    # half way between the Gongzhuling interchange and service area, on the centre line of G1
    where = "43.50735,124.86185"
    assert locate(Facts.of(world, CASE).graph, where).side_ambiguous
    case = Case((replace(BREAKDOWN, location=where),), "clear")
    for other_side in (False, True):
        plan = plan_of(
            world, case, rescue_by(world, case, "c10", "d11", 42, other_side=other_side), uncovered=("T1207-PM1",)
        )
        assert check_plan(world, case, plan) == ()
