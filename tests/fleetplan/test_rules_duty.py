"""A driver's task beyond one drive (issue 14): drives of no length, a rescue's pieces with a rest at
the scene, the shift over the whole task, the charter sign, and the working age in days.

Expectations are worked by hand from docs/world-model.md §6–§8 and policy.toml; times are on
Wednesday 2025-03-12 (``DAY``) unless said otherwise.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from fleetplan.dataset import load_dataset
from fleetplan.model import Activity, AgeReached, Stop, Trip, TripKind
from fleetplan.phrase import Phrase
from fleetplan.rules import (
    CoverStart,
    ProposedDrive,
    RuleCode,
    age_in_zhousui,
    check_drive,
    cover_start,
    cover_task,
    cover_violations,
    earliest_boarding,
    needs_new_sign,
    off_shift_reason,
    personal_eligibility,
    rescue_task,
    task_violations,
    violations_at,
)
from fleetplan.wording import render

from tests.fleetplan.rules_cases import COACH, DRIVER, POLICY, at, span

MIN = 60
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "data" / "default"


def rescue(depart: str, to_scene_min: int, wait_min: int, transfer_min: int, rest_min: int, onward_min: int):
    """A rescue task leaving at ``depart``: its times follow from the minutes given."""
    start = at(depart)
    scene = start + timedelta(minutes=to_scene_min)
    boarding = scene + timedelta(minutes=wait_min)
    leave = boarding + timedelta(minutes=transfer_min + rest_min)
    return rescue_task(
        start, scene, boarding, transfer_min * MIN, rest_min * MIN, leave + timedelta(minutes=onward_min)
    )


# --------------------------------------------------------------------------- drives of no length
def test_a_drive_of_no_length_breaks_no_time_rule() -> None:
    # 3 h 59 min driven just before: a zero-second drive adds nothing, so it is legal where it stands.
    log = [span("05:00", "08:59")]
    verdict = check_drive(DRIVER, log, ProposedDrive(at("08:59"), 0), COACH)
    assert verdict.legal and verdict.earliest_legal_start == at("08:59")
    assert violations_at(DRIVER, log, ProposedDrive(at("08:59"), 0), COACH) == ()
    assert ProposedDrive(at("08:59"), 0).night_share == 0.0


def test_a_rescue_from_the_scene_to_the_scene_is_duty_without_driving() -> None:
    task = rescue("06:50", 0, 0, 5, 0, 0)
    assert task.driving_s == 0
    assert [(i.activity, i.start, i.end) for i in task.log(DRIVER.id)] == [(Activity.OTHER, at("06:50"), at("06:55"))]
    assert task_violations(DRIVER, [], task, COACH) == ()


# --------------------------------------------------------------------------- the pieces of a rescue
def test_the_onward_drive_continues_the_stretch_through_the_scene() -> None:
    # 3 h driven by day, 10 min of paperwork, then 45 min to the scene, 5 min transfer, 60 min onward:
    # 3 h + 45 min + 60 min = 4 h 45 min without a 20-min rest (the duty at the scene is no rest).
    log = [span("06:00", "09:00"), span("09:00", "09:10", Activity.OTHER)]
    found = task_violations(DRIVER, log, rescue("09:10", 45, 0, 5, 0, 60), COACH)
    assert [v.code for v in found] == [RuleCode.CONTINUOUS_DAY]
    assert "4 h 45 min without a 20-min rest" in found[0].message


def test_a_rest_on_the_way_splits_the_onward_drive_and_ends_the_stretch() -> None:
    # 45 min to the scene, 5 min transfer, then 3 h 30 min onward by day: 4 h 20 min in one stretch.
    # Resting 20 min after 1 h 30 min on (at a town on the way) leaves 2 h 20 min and 2 h: both legal.
    start = at("08:00")
    scene, leave = start + timedelta(minutes=45), start + timedelta(minutes=50)
    reached = leave + timedelta(minutes=90)
    arrival = reached + timedelta(minutes=20 + 120)
    task = rescue_task(start, scene, scene, 5 * MIN, 0, arrival, rest_on_way=(reached, 20 * MIN))
    assert [(i.activity, i.start, i.end) for i in task.log(DRIVER.id)] == [
        (Activity.DRIVE, start, scene),
        (Activity.OTHER, scene, leave),
        (Activity.DRIVE, leave, reached),
        (Activity.REST, reached, reached + timedelta(minutes=20)),
        (Activity.DRIVE, reached + timedelta(minutes=20), arrival),
    ]
    assert task.driving_s == (45 + 90 + 120) * MIN
    assert task_violations(DRIVER, [], task, COACH) == ()
    unrested = rescue_task(start, scene, scene, 5 * MIN, 0, arrival - timedelta(minutes=20))
    assert [v.code for v in task_violations(DRIVER, [], unrested, COACH)] == [RuleCode.CONTINUOUS_DAY]


def test_a_rest_at_the_scene_ends_the_stretch() -> None:
    log = [span("06:00", "09:00"), span("09:00", "09:10", Activity.OTHER)]
    task = rescue("09:10", 45, 0, 5, 20, 60)
    assert task_violations(DRIVER, log, task, COACH) == ()
    assert [(i.activity, i.start, i.end) for i in task.log(DRIVER.id)] == [
        (Activity.DRIVE, at("09:10"), at("09:55")),
        (Activity.OTHER, at("09:55"), at("10:00")),
        (Activity.REST, at("10:00"), at("10:20")),
        (Activity.DRIVE, at("10:20"), at("11:20")),
    ]


def test_waiting_at_the_scene_is_duty_not_rest() -> None:
    # Fresh driver: 3 h 30 min to the scene, 30 min waiting for the sign, 40 min onward: 4 h 10 min.
    assert [v.code for v in task_violations(DRIVER, [], rescue("06:00", 210, 30, 0, 0, 40), COACH)] == [
        RuleCode.CONTINUOUS_DAY
    ]
    assert task_violations(DRIVER, [], rescue("06:00", 210, 0, 0, 30, 40), COACH) == ()


def test_duty_at_the_scene_may_not_overlap_a_logged_trip() -> None:
    found = task_violations(DRIVER, [span("09:00", "10:00")], rescue("08:30", 25, 10, 5, 0, 0), COACH)
    assert [v.code for v in found] == [RuleCode.DOUBLE_BOOKED]
    assert found[0].message.startswith("the duty at the scene 2025-03-12 08:55–09:10 overlaps")


# --------------------------------------------------------------------------- the shift
def test_a_shift_is_checked_over_the_whole_task_and_named() -> None:
    day = replace(DRIVER, id="d25", shift_start=time(7), shift_end=time(19))
    assert off_shift_reason(day, at("18:25"), at("19:00")) is None
    late = off_shift_reason(day, at("18:25"), at("20:03"))
    assert late == "the task 2025-03-12 18:25–20:03 runs past the end of d25's shift 07:00–19:00 at 2025-03-12 19:00"
    early = off_shift_reason(day, at("06:15", plus_days=1), at("08:35", plus_days=1))
    assert early == "d25 is off shift at 2025-03-13 06:15 (shift 07:00–19:00); the task runs 2025-03-13 06:15–08:35"


def test_a_night_shift_runs_past_midnight_and_ends_in_the_morning() -> None:
    night = replace(DRIVER, shift_start=time(18), shift_end=time(6))
    assert night.shift_window(at("02:00", plus_days=1)) == (at("18:00"), at("06:00", plus_days=1))
    assert night.shift_window(at("17:59")) is None
    assert night.on_shift_throughout(at("22:00"), at("06:00", plus_days=1))
    assert not night.on_shift_throughout(at("05:00", plus_days=1), at("06:15", plus_days=1))
    round_the_clock = replace(DRIVER, shift_start=time(7), shift_end=time(7))
    assert round_the_clock.shift_window(at("06:59")) == (at("07:00", plus_days=-1), at("07:00"))


def test_a_cover_in_a_later_shift_starts_at_the_home_depot() -> None:
    day = replace(DRIVER, shift_start=time(5, 30), shift_end=time(20))
    tomorrow, latest = at("06:15", plus_days=1), at("06:45", plus_days=1)
    same = cover_start(day, "changchun_station", at("19:00"), "siping_depot", at("19:30"), at("20:00"))
    assert same == CoverStart("changchun_station", at("19:00"), new_shift=False)
    home = cover_start(day, "siping_depot", at("18:25"), "siping_depot", tomorrow, latest)
    assert home == CoverStart("siping_depot", at("05:30", plus_days=1), new_shift=True)
    away = cover_start(day, "changchun_station", at("20:03"), "siping_depot", tomorrow, latest)
    assert isinstance(away, Phrase)  # why not, as facts: worded with the places' names where there are names
    assert "begins at the home depot siping_depot" in render(away, "en")
    off = cover_start(replace(day, shift_start=time(7), shift_end=time(19)), "x", at("18:25"), "x", tomorrow, latest)
    assert isinstance(off, Phrase)
    assert render(off, "en") == "D01 is off shift when the trip leaves at 2025-03-13 06:15 (shift 07:00–19:00)"


# --------------------------------------------------------------------------- the charter sign
TRIP = Trip(
    "T1",
    TripKind.STAFF_MORNING,
    "V01",
    "D01",
    (Stop("a", at("06:15")), Stop("b", at("08:35"))),
    40,
    signed_driver_ids=("D01", "D07"),
)


def test_a_new_sign_unless_the_trips_own_coach_with_a_driver_on_its_sign() -> None:
    assert not needs_new_sign(TRIP, "V01", "D01")
    assert not needs_new_sign(TRIP, "V01", "D07")  # the co-signed driver
    assert needs_new_sign(TRIP, "V01", "D02")  # an unlisted driver
    assert needs_new_sign(TRIP, "V09", "D01")  # a replacement coach
    assert needs_new_sign(None, "V01", "D01")  # passengers of no trip


def test_boarding_waits_for_a_needed_sign_counted_from_the_report() -> None:
    slow = replace(POLICY, charter_sign_filing_delay_s=25 * MIN)
    report = at("05:50")
    assert earliest_boarding(at("06:00"), report, True, slow) == at("06:15")  # binds
    assert earliest_boarding(at("06:30"), report, True, slow) == at("06:30")
    assert earliest_boarding(at("06:00"), report, False, slow) == at("06:00")


# --------------------------------------------------------------------------- the working age in days
@pytest.fixture(scope="module")
def drivers():
    dataset = load_dataset(DEFAULT_DATA)
    return {d.id: d for d in dataset.drivers}, dataset.driving_policy


def codes(driver, day: date, policy) -> list[RuleCode]:
    return [v.code for v in personal_eligibility(driver, COACH, day, policy)]


def test_the_working_age_is_the_policys_value_and_source(drivers) -> None:
    _, policy = drivers
    assert (policy.max_driver_age, policy.driver_age_reached) == (60, AgeReached.DAY_AFTER_BIRTHDAY)
    old = replace(DRIVER, birth_date=date(1960, 1, 1), licence_issued=date(1990, 1, 1))
    (found,) = personal_eligibility(old, COACH, date(2025, 3, 12), policy)
    assert found.code == RuleCode.AGE and "道路运输条例 Art. 9" in found.source
    assert "驾驶证申领" not in found.source  # Art. 14 there is the age to apply for a licence


def test_d17_reaching_60_stays_allowed_through_the_61st_birthday(drivers) -> None:
    by_id, policy = drivers
    d17 = by_id["d17"]  # born 1966-12-10
    assert d17.birth_date == date(1966, 12, 10)
    for day in (date(2026, 12, 9), date(2026, 12, 10), date(2026, 12, 11), date(2027, 12, 9), date(2027, 12, 10)):
        assert codes(d17, day, policy) == [], day
    assert codes(d17, date(2027, 12, 11), policy) == [RuleCode.AGE]
    assert age_in_zhousui(d17.birth_date, date(2026, 12, 10), policy.driver_age_reached) == 59
    assert age_in_zhousui(d17.birth_date, date(2026, 12, 11), policy.driver_age_reached) == 60


def test_d18_is_over_60_from_the_day_after_the_61st_birthday(drivers) -> None:
    by_id, policy = drivers
    d18 = by_id["d18"]  # born 1965-05-03
    assert d18.birth_date == date(1965, 5, 3)
    assert codes(d18, date(2026, 5, 2), policy) == []
    assert codes(d18, date(2026, 5, 3), policy) == []  # the 61st birthday: still 60 周岁
    assert codes(d18, date(2026, 5, 4), policy) == [RuleCode.AGE]
    assert codes(d18, date(2026, 12, 7), policy) == [RuleCode.AGE]  # the data's week
    (found,) = personal_eligibility(d18, COACH, date(2026, 12, 7), policy)
    assert "over 60 in full years from 2026-05-04" in found.message and "周岁" not in found.message
    stricter = replace(policy, driver_age_reached=AgeReached.ON_BIRTHDAY)
    assert codes(d18, date(2026, 5, 2), stricter) == []
    assert codes(d18, date(2026, 5, 3), stricter) == [RuleCode.AGE]


def test_a_leap_day_birthday_ends_the_year_on_feb_28() -> None:
    leap = date(1964, 2, 29)
    assert age_in_zhousui(leap, date(2025, 2, 28), AgeReached.DAY_AFTER_BIRTHDAY) == 60
    assert age_in_zhousui(leap, date(2025, 3, 1), AgeReached.DAY_AFTER_BIRTHDAY) == 61
    assert age_in_zhousui(leap, date(2024, 3, 1), AgeReached.DAY_AFTER_BIRTHDAY) == 60
    assert age_in_zhousui(leap, date(2024, 2, 29), AgeReached.DAY_AFTER_BIRTHDAY) == 59


# --------------------------------------------------------------------------- a cover in snow (§8)
def test_a_timetabled_cover_is_one_drive() -> None:
    cover = cover_task(at("15:00"), 130 * MIN, 0, POLICY)
    assert [(p.activity, p.start, p.end) for p in cover.pieces] == [(Activity.DRIVE, at("15:00"), at("17:10"))]


def test_a_cover_in_snow_runs_longer_with_a_rest_after_each_four_hours_of_driving() -> None:
    # 130 min timetabled + 160 min the snow adds = 4 h 50 min of driving: 4 h, a 20-min rest, 50 min
    cover = cover_task(at("15:00"), 130 * MIN, 160 * MIN, POLICY)
    assert [(p.activity, p.start, p.end) for p in cover.pieces] == [
        (Activity.DRIVE, at("15:00"), at("19:00")),
        (Activity.REST, at("19:00"), at("19:20")),
        (Activity.DRIVE, at("19:20"), at("20:10")),
    ]
    assert cover_violations(DRIVER, [], cover, COACH, POLICY) == ()


def test_a_cover_in_snow_is_judged_on_its_real_drive() -> None:
    # 4 h driven this morning: the timetabled 2 h 10 min keeps within 8 h in 24 h, the snowbound 4 h 50 min does not
    log = [span("06:00", "10:00")]
    assert cover_violations(DRIVER, log, cover_task(at("15:00"), 130 * MIN, 0, POLICY), COACH, POLICY) == ()
    snowbound = cover_task(at("15:00"), 130 * MIN, 160 * MIN, POLICY)
    assert {v.code for v in cover_violations(DRIVER, log, snowbound, COACH, POLICY)} == {RuleCode.DAILY_8H}
