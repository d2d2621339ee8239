"""``check_plan`` on trip covers and lost trips (world-model §8), the oracle's tiers (§5), and its
reader against the engine's loader."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from fleetplan.dataset import load_dataset
from fleetplan.oracle import Case, CaseIncident, check_plan, read_world, tier_of, world_from_dataset
from fleetplan.oracle.facts import Facts
from fleetplan.oracle.speed import to_s
from fleetplan.plan import Objective, Plan, TripCover

from tests.oracle.test_check import BREAKDOWN, CASE, rescue_by
from tests.oracle.test_objective import with_oracle_terms

DATA = Path(__file__).parents[2] / "data" / "default"


@pytest.fixture(scope="module")
def world():
    return read_world(DATA)


def cover_by(world, case, trip_id, coach, driver, shift_s=0, option="T1") -> TripCover:
    """A cover with the empty running the oracle finds from where the coach stands after the turnout."""
    facts = Facts.of(world, case)
    trip = world.trip(trip_id)
    origin = facts.coach_node_at(coach, case.at)
    route = facts.router.fastest(facts.place(origin), facts.place(trip.origin), to_s(case.at + timedelta(minutes=10)))
    return TripCover(option, trip_id, coach, driver, shift_s, round(route.length_m))


def codes(world, case, plan) -> set[str]:
    return {d.code for d in check_plan(world, case, plan)}


def plan_with(world, *covers, uncovered=(), trips_uncovered=None) -> Plan:
    rescue = rescue_by(world, CASE, "c10", "d11", 42)
    count = len(uncovered) if trips_uncovered is None else trips_uncovered
    return with_oracle_terms(
        world, CASE, Plan((rescue,), tuple(covers), tuple(uncovered), Objective(trips_uncovered=count))
    )


# --------------------------------------------------------------------------- covers
def test_a_correct_cover_of_the_failed_coach_s_evening_run(world):
    # c09 (53 seats) with d12 (12:00–22:00) runs T1207-PM1 (17:15–19:25, 40 booked) from Changchun
    assert check_plan(world, CASE, plan_with(world, cover_by(world, CASE, "T1207-PM1", "c09", "d12"))) == ()


def test_a_cover_past_the_driver_s_shift(world):
    # d10 works 07:00–19:00; the trip arrives at 19:25
    assert "shift" in codes(world, CASE, plan_with(world, cover_by(world, CASE, "T1207-PM1", "c09", "d10")))


def test_a_cover_with_too_few_seats(world):
    # c13 has 19 seats for 40 booked
    assert "seats" in codes(world, CASE, plan_with(world, cover_by(world, CASE, "T1207-PM1", "c13", "d12")))


def test_a_cover_of_a_trip_that_has_left(world):
    # T1207-AM4 left at 06:55, before the 07:40 report: no crew reaches its first stop in time
    cover = cover_by(world, CASE, "T1207-AM4", "c09", "d12")
    found = codes(world, CASE, plan_with(world, cover, cover_by(world, CASE, "T1207-PM1", "c12", "d12", option="T2")))
    assert "cover_late" in found


def test_a_cover_s_empty_running(world):
    cover = cover_by(world, CASE, "T1207-PM1", "c09", "d12")
    assert "deadhead" in codes(world, CASE, plan_with(world, replace(cover, deadhead_m=cover.deadhead_m + 5000)))


def test_a_trip_recrewed_without_need_is_counted(world):
    # T1207-PM2 has its own coach c02 and driver d02, neither touched by c01's failure: giving it to
    # c09 / d12 is a change the incident does not force, one in the objective's trips_recrewed
    needless = cover_by(world, CASE, "T1207-PM2", "c09", "d12")
    plan = plan_with(world, needless, uncovered=("T1207-PM1",), trips_uncovered=1)
    assert [d.field for d in check_plan(world, CASE, plan)] == ["objective.trips_recrewed"]
    counted = replace(plan, objective=replace(plan.objective, trips_recrewed=1))
    assert check_plan(world, CASE, counted) == ()


def test_the_failed_coach_s_later_trip_left_out_is_counted_uncovered(world):
    plan = plan_with(world, uncovered=(), trips_uncovered=0)
    assert {d.field for d in check_plan(world, CASE, plan)} == {"objective.trips_uncovered"}


# --------------------------------------------------------------------------- lost trips
FRIDAY_CHARTER = CaseIncident("f2", "c01", "G1 K30+500 toward Changchun", datetime(2026, 12, 11, 13, 30), 10)


def test_a_crew_pulled_from_its_own_trip_loses_it_unless_the_plan_says_so(world):
    # c15 / d19 stand at the Siping depot and run T1211-FR1 at 14:00; the rescue keeps them until later
    case = Case((FRIDAY_CHARTER,), "clear")
    rescue = rescue_by(world, case, "c15", "d19", 10, origin="siping_depot")
    silent = with_oracle_terms(world, case, Plan((rescue,), (), ("T1211-PM1",), Objective(trips_uncovered=1)))
    assert {"trip_lost", "objective"} <= codes(world, case, silent)
    said = with_oracle_terms(world, case, Plan((rescue,), (), ("T1211-PM1", "T1211-FR1"), Objective(trips_uncovered=2)))
    assert not {"trip_lost", "objective"} & codes(world, case, said)


# --------------------------------------------------------------------------- tiers (§5)
def test_a_breakdown_on_the_way_near_a_backup(world):
    verdict = tier_of(world, BREAKDOWN, CASE)
    assert verdict.tier == "near_backup" and verdict.deadline == BREAKDOWN.reported_at + timedelta(minutes=60)


def test_a_failure_before_departure(world):
    early = CaseIncident("p1", "c02", "changchun_gov", datetime(2026, 12, 8, 6, 20), 38, "T1208-AM2")
    verdict = tier_of(world, early)
    assert (verdict.tier, verdict.deadline) == ("pre_departure", datetime(2026, 12, 8, 6, 40))  # 06:25 + 15 min


def test_in_a_city_by_road_not_as_the_crow_flies(world):
    # changchun_gov is 2.7 + 8.8 = 11.5 km by street from the Changchun depot: city
    assert tier_of(world, CaseIncident("g", "c05", "changchun_gov", datetime(2026, 12, 9, 10, 0), 5)).tier == "city"
    # G1 K10 toward Changchun is about 10 km from the Siping depot in a straight line but 2.6 + 2.4 + 0.8
    # (ramp) + 10 = 15.8 km by road: not city
    verdict = tier_of(world, CaseIncident("k", "c15", "G1 K10 toward Changchun", datetime(2026, 12, 9, 10, 0), 5))
    assert verdict.tier == "near_backup" and verdict.depot_distance_m == 15_800


# --------------------------------------------------------------------------- the two readers
def test_the_oracle_reads_the_same_world_as_the_dataset_loader(world):
    converted = world_from_dataset(load_dataset(DATA), DATA / "network")
    for name in ("coaches", "drivers", "duty_log", "trips", "sites", "policy", "tiers", "presets", "posts", "roads"):
        ours, theirs = getattr(world, name), getattr(converted, name)
        key = (lambda row: repr(row)) if isinstance(ours, tuple) else None
        assert (sorted(ours, key=key) if key else ours) == (sorted(theirs, key=key) if key else theirs), name


def test_a_trip_in_the_driver_s_next_shift_starts_at_the_home_depot(world):
    # c01 fails in the evening; T1208-AM1 (06:15 at changchun_station) lies in d09's next shift (06:00–18:00),
    # which begins at the Changchun depot where c09 stands: the empty run starts at 06:00 and the trip
    # leaves late; a coach standing elsewhere (c19 in Siping) cannot run it in that shift
    evening = Case(
        (CaseIncident("e1", "c01", "G1 K0+500 toward Changchun", datetime(2026, 12, 7, 18, 15), 1, "T1207-PM1"),)
    )
    facts = Facts.of(world, evening)
    route = facts.router.fastest(
        facts.place("changchun_depot"), facts.place("changchun_station"), to_s(datetime(2026, 12, 8, 6, 0))
    )
    shift_s = route.seconds - 15 * 60
    cover = TripCover("T1", "T1208-AM1", "c09", "d09", shift_s, round(route.length_m))
    plan = with_oracle_terms(world, evening, Plan((), (cover,), (), Objective(passengers_not_reached=1)))
    assert check_plan(world, evening, plan) == ()
    early = replace(cover, departure_shift_s=0)
    assert "cover_late" in codes(world, evening, replace(plan, trip_covers=(early,)))
    elsewhere = replace(cover, vehicle_id="c19", option_id="T2")
    assert "cover_start" in codes(world, evening, replace(plan, trip_covers=(elsewhere,)))


def test_a_trip_its_own_crew_keeps_runs_as_timetabled(world):
    # c01 will not start at 06:15; T1207-AM2 keeps c02 / d02, who set out from its first stop as planned
    early = Case((CaseIncident("p1", "c01", "changchun_station", datetime(2026, 12, 7, 6, 15), 20, "T1207-AM1"),))
    kept = TripCover("T1", "T1207-AM2", "c02", "d02", 0, 0)
    plan = with_oracle_terms(
        world, early, Plan((), (kept,), ("T1207-PM1",), Objective(passengers_not_reached=20, trips_uncovered=1))
    )
    assert check_plan(world, early, plan) == ()
    assert "deadhead" in codes(world, early, replace(plan, trip_covers=(replace(kept, deadhead_m=11_500),)))


def test_a_cover_in_snow_is_judged_as_it_really_runs(world):
    # c19 with d28 (16:00–02:00) from Siping runs T1207-PM1 (17:15–19:25 timetabled); in snow it drives
    # about 4.8 h: legal with a rest after 4 h (world-model §8), past a 24-hour limit of 4 h, which
    # the timetabled 2 h 10 min keeps within.
    cover_option = "T9"

    def cover_codes(conditions: str, max_driving_24h_h: int) -> set[str]:
        case = replace(CASE, conditions=conditions)
        strict = replace(world, policy=replace(world.policy, max_driving_24h_s=max_driving_24h_h * 3600))
        plan = with_oracle_terms(
            strict,
            case,
            Plan(
                (rescue_by(strict, case, "c10", "d11", 42),),
                (cover_by(strict, case, "T1207-PM1", "c19", "d28", option=cover_option),),
                (),
                Objective(),
            ),
        )
        return {d.code for d in check_plan(strict, case, plan) if cover_option in d.subject}

    assert cover_codes("snow", 8) == set()  # the rest breaks the 4.8 h: no continuous-driving finding
    assert cover_codes("snow", 4) == {"24h"}
    assert cover_codes("clear", 4) == set()
