"""The oracle's duty arithmetic (world-model §7) on small hand-made logs: legal, and each rule broken."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from fleetplan.oracle.duty import (
    Interval,
    age_on,
    hours_left_s,
    overnight_applies,
    personal_findings,
    shift_finding,
    time_findings,
)
from fleetplan.oracle.world import Coach, DriverRow, Policy

POLICY = Policy()
DRIVER = DriverRow("d1", "A1", date(2010, 5, 1), date(1980, 7, 1), date(2030, 1, 1), "depot", 0, 0)
COACH = Coach("c1", 49, 12.0, "depot", "standby", date(2030, 1, 1))


def t(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 12, day, hh, mm)


def drive(start: datetime, end: datetime, new: bool = False) -> Interval:
    return Interval(start, end, "drive", new)


def rules(log, policy=POLICY, overnight=False) -> set[str]:
    return {finding.rule for finding in time_findings(log, policy, overnight)}


# --------------------------------------------------------------------------- continuous driving
def test_a_rest_of_twenty_minutes_ends_a_stretch():
    # 3.5 h, a 20-min rest, 1 h: two stretches, each within 4 h
    assert rules([drive(t(7, 6), t(7, 9, 30)), drive(t(7, 9, 50), t(7, 10, 50), True)]) == set()


def test_a_shorter_break_does_not():
    # 3.5 h, 10 min, 1 h: one stretch of 4.5 h by day
    assert rules([drive(t(7, 6), t(7, 9, 30)), drive(t(7, 9, 40), t(7, 10, 40), True)]) == {"continuous"}


def test_night_driving_counts_pro_rata():
    # 21:00–23:30: 1 h by day + 1.5 h at night: 1/4 + 1.5/2 = 1.0, just legal
    assert rules([drive(t(7, 21), t(7, 23, 30), True)]) == set()
    # one more minute at night: 1/4 + 91/120 > 1
    assert rules([drive(t(7, 21), t(7, 23, 31), True)]) == {"continuous"}


def test_other_duty_joins_a_stretch_without_counting_as_driving():
    # drive 2 h, other duty 08:10–09:50, drive 10:00–12:01: breaks of 10 min, one stretch of 4 h 01 driving
    log = [drive(t(7, 6), t(7, 8)), Interval(t(7, 8, 10), t(7, 9, 50), "other"), drive(t(7, 10), t(7, 12, 1), True)]
    assert rules(log) == {"continuous"}
    assert rules(log[:2] + [drive(t(7, 10), t(7, 12), True)]) == set()


def test_only_stretches_with_the_plan_s_intervals_are_judged():
    # the history alone breaks the 4 h rule; a new drive a day later is not blamed for it
    assert rules([drive(t(5, 6), t(5, 11)), drive(t(7, 6), t(7, 7), True)]) == set()


# --------------------------------------------------------------------------- 24 h and 7 days
def test_eight_hours_in_any_24_hours():
    history = [drive(t(6, 14), t(6, 17, 30)), drive(t(7, 6), t(7, 9, 30))]
    # 3.5 + 3.5 + 1 = 8 h in [12-06 14:00, 12-07 14:00): legal
    assert rules(history + [drive(t(7, 10), t(7, 11), True)]) == set()
    # one minute more: 8 h 01
    assert rules(history + [drive(t(7, 10), t(7, 11, 1), True)]) == {"24h"}


def test_44_hours_in_any_7_days():
    # 12-01 … 12-06: 06:00–09:30 and 14:00–17:30 every day = 42 h, each 24 h window 7 h
    history = [drive(t(d, 6), t(d, 9, 30)) for d in range(1, 7)] + [drive(t(d, 14), t(d, 17, 30)) for d in range(1, 7)]
    assert rules(history + [drive(t(7, 6), t(7, 8), True)]) == set()  # 44 h in [12-01 06:00, 12-08 06:00)
    assert rules(history + [drive(t(7, 6), t(7, 8, 1), True)]) == {"7d"}


def test_hours_left_are_the_tighter_of_the_two_limits():
    history = [drive(t(6, 14), t(6, 17, 30)), drive(t(7, 6), t(7, 9, 30))]
    assert hours_left_s(history, t(7, 10), POLICY) == 1 * 3600  # 8 h − 7 h in the last 24 h


# --------------------------------------------------------------------------- 02:00–05:00
def test_the_overnight_stop_binds_per_the_policy_switch():
    night = [drive(t(8, 1, 30), t(8, 2, 30), True)]
    assert rules(night, overnight=True) == {"overnight"}
    assert rules(night, overnight=False) == set()
    enforce = replace(POLICY, overnight_rule="enforce")
    short = replace(POLICY, overnight_rule="exempt_short_100km")
    assert overnight_applies(enforce, 50_000, commuter=True)
    assert overnight_applies(short, 120_000, commuter=False) and not overnight_applies(short, 90_000, commuter=False)
    assert not overnight_applies(POLICY, 120_000, commuter=False)  # exempt_commuter_200km
    assert overnight_applies(POLICY, 230_000, commuter=False) and not overnight_applies(POLICY, 230_000, commuter=True)


def test_a_new_drive_over_a_logged_one_is_double_booked():
    assert "double_booked" in rules([drive(t(7, 6), t(7, 8)), drive(t(7, 7), t(7, 9), True)])


# --------------------------------------------------------------------------- shift
@pytest.mark.parametrize(
    ("shift", "start", "end", "legal"),
    [
        ((7, 19), t(7, 17), t(7, 19), True),
        ((7, 19), t(7, 17), t(7, 19, 1), False),  # ends after the shift
        ((7, 19), t(7, 6, 59), t(7, 9), False),  # starts before it
        ((22, 6), t(7, 23), t(8, 5, 30), True),  # across midnight
        ((22, 6), t(8, 1), t(8, 5, 59), True),  # the shift that began the day before
        ((22, 6), t(8, 5), t(8, 6, 30), False),
        ((6, 6), t(7, 7), t(8, 5), True),  # round the clock: one shift from 06:00 to 06:00
        ((6, 6), t(7, 5), t(7, 7), False),  # … and a task across 06:00 spans two
    ],
)
def test_the_whole_task_lies_inside_one_shift(shift, start, end, legal):
    driver = replace(DRIVER, shift_start_sod=shift[0] * 3600, shift_end_sod=shift[1] * 3600)
    assert (shift_finding(driver, start, end) is None) == legal


# --------------------------------------------------------------------------- the person
def person(driver=DRIVER, coach=COACH, day=date(2026, 12, 7), policy=POLICY) -> set[str]:
    start = datetime.combine(day, datetime.min.time()) + timedelta(hours=10)
    return {f.rule for f in personal_findings(driver, coach, start, start + timedelta(hours=1), policy)}


def test_the_standard_driver_may_take_the_standard_coach():
    assert person() == set()


@pytest.mark.parametrize(
    ("length_m", "seats", "needs_a1"),
    # A1: ≥ 6 m, or ≥ 20 people on board with the driver (乘坐人数): 19 passenger seats + 1 = 20
    [(12.0, 49, True), (7.0, 19, True), (5.9, 19, True), (5.9, 18, False), (5.9, 20, True)],
)
def test_licence_class_by_length_and_seats(length_m, seats, needs_a1):
    b1 = replace(DRIVER, licence_class="B1")
    assert ("licence" in person(b1, replace(COACH, length_m=length_m, seats=seats))) == needs_a1


def test_probation_ends_twelve_months_after_the_licence():
    """Counted as the law counts months (民法典 Art. 201): a licence of 2025-12-09 is in probation
    through 2026-12-09 (drivers.csv: "probation year ends 2026-12-09")."""
    fresh = replace(DRIVER, licence_issued=date(2025, 12, 9))
    assert person(fresh, day=date(2026, 12, 9)) == {"probation"}
    assert person(fresh, day=date(2026, 12, 10)) == set()


def test_age_by_the_legal_count_and_the_everyday_count():
    old = replace(DRIVER, birth_date=date(1965, 5, 3))  # 61st birthday on 2026-05-03
    assert person(old, day=date(2026, 5, 3)) == set()  # 周岁 reached the day after: still 60
    assert person(old, day=date(2026, 5, 4)) == {"age"}
    strict = replace(POLICY, driver_age_reached="on_birthday")
    assert person(old, day=date(2026, 5, 3), policy=strict) == {"age"}
    assert person(old, day=date(2026, 5, 2), policy=strict) == set()


def test_a_leap_day_birthday_falls_on_28_february_in_a_common_year():
    assert age_on(date(1964, 2, 29), date(2025, 2, 28)) == 60
    assert age_on(date(1964, 2, 29), date(2025, 3, 1)) == 61
    assert age_on(date(1964, 2, 29), date(2025, 2, 28), "on_birthday") == 61


def test_qualification_missing_or_expired():
    assert person(replace(DRIVER, qualified_until=None)) == {"qualification"}
    assert person(replace(DRIVER, qualified_until=date(2026, 11, 15))) == {"qualification"}
    assert person(replace(DRIVER, qualified_until=date(2026, 12, 7))) == set()  # valid on its last day
