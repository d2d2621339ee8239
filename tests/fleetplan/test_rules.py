"""Driver legality rules (fleetplan.rules): the case table, exact numbers, and properties.

The case table lives in ``rules_cases.py``: one passing and one failing case per rule, each with its
source. The properties compare the module with a brute-force minute-by-minute oracle written here
from the rules' wording, independently of the module's interval arithmetic.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fleetplan.errors import FleetplanError, InvalidValueError
from fleetplan.model import Activity, DrivingPolicy, DutyInterval, LicenceClass, OvernightRule
from fleetplan.rules import (
    PERSONAL_RULES,
    TIME_RULES,
    DrivingState,
    ProposedDrive,
    RuleCode,
    check_drive,
    driving_state,
    format_duration,
    licence_allows,
    night_seconds,
    overnight_exempt,
    personal_eligibility,
    required_licence,
    violations_at,
)
from fleetplan.rules.timeline import WINDOW_7D_S, WINDOW_24H_S, timeline_of, to_stamp

from tests.fleetplan.rules_cases import (
    B1_DRIVER,
    BUS_59_15,
    CASES,
    COACH,
    DAY,
    DRIVER,
    ENFORCE,
    MINIBUS_7M_19,
    POLICY,
    RULES_WITH_CASES,
    YESTERDAY_7H30,
    Case,
    at,
    drive,
    span,
)

C = RuleCode
HOUR, MINUTE = 3600, 60


# --------------------------------------------------------------------------- the case table
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case(case: Case) -> None:
    verdict = check_drive(case.driver, case.log, case.drive, case.vehicle, case.policy)
    assert verdict.codes == case.expected, verdict.explain()
    assert verdict.legal == (not case.expected)
    assert all(v.message and v.source for v in verdict.violations)
    if verdict.legal:
        assert verdict.earliest_legal_start == case.drive.start
    if case.expected & PERSONAL_RULES:
        assert verdict.earliest_legal_start is None  # waiting does not fix the person


def test_every_rule_has_a_passing_and_a_failing_case() -> None:
    by_id = {c.id: c for c in CASES}
    assert set(RULES_WITH_CASES) == set(RuleCode)
    for code, (passing, failing) in RULES_WITH_CASES.items():
        assert code not in by_id[passing].expected and not by_id[passing].expected, passing
        assert code in by_id[failing].expected, failing
    assert len(by_id) == len(CASES), "case ids must be unique"


# --------------------------------------------------------------------------- messages and numbers
def test_message_gives_the_numbers() -> None:
    verdict = check_drive(DRIVER, [span("08:00", "11:50")], drive("11:50", 40), COACH)
    assert [v.message for v in verdict.violations] == ["would drive 4 h 30 min without a 20-min rest; limit 4 h by day"]


def test_continuous_earliest_start_is_last_drive_end_plus_rest_and_remaining_numbers() -> None:
    # 3 h 50 min driven, a 40-min drive wanted now: after a 20-min rest it starts a fresh stretch.
    verdict = check_drive(DRIVER, [span("08:00", "11:50")], drive("11:50", 40), COACH)
    assert not verdict.legal
    assert verdict.earliest_legal_start == at("12:10")
    assert verdict.remaining_continuous_s == 10 * MINUTE
    assert verdict.remaining_24h_s == 8 * HOUR - (3 * HOUR + 50 * MINUTE)
    assert verdict.remaining_7d_s == 44 * HOUR - (3 * HOUR + 50 * MINUTE)


def test_rolling_24h_earliest_start_when_old_driving_leaves_the_window() -> None:
    verdict = check_drive(DRIVER, YESTERDAY_7H30, drive("08:00", 60), COACH)
    assert verdict.codes == {C.DAILY_8H}
    assert "8 h 30 min in the 24 h from 2025-03-11 10:00 to 2025-03-12 10:00" in verdict.explain()
    assert verdict.earliest_legal_start == at("09:30")
    assert verdict.remaining_24h_s == 30 * MINUTE  # 7 h 30 min in the window until the drive starts pushing it


def test_remaining_24h_counts_driving_that_leaves_the_window_while_driving() -> None:
    # 8 h that began exactly 24 h ago leave the window as fast as new driving enters it.
    log = [span("00:00", "08:00", plus_days=-1)]
    verdict = check_drive(DRIVER, log, drive("00:00", 60), COACH, ENFORCE)
    assert verdict.legal
    assert verdict.remaining_24h_s == 8 * HOUR
    assert verdict.remaining_continuous_s == 2 * HOUR  # all at night


def test_remaining_continuous_follows_the_clock_into_the_night() -> None:
    # From 21:00, fresh: 1 h by day then night: 1/4 + n/2 ≤ 1 gives n = 1 h 30 min, 2 h 30 min in all.
    verdict = check_drive(DRIVER, [], drive("21:00", 60), COACH)
    assert verdict.remaining_continuous_s == 2 * HOUR + 30 * MINUTE


def test_night_earliest_start_solves_the_pro_rata_rule_between_clock_marks() -> None:
    # 3 h from 22:00 is all night; legal once at most 1 h of it is before 06:00, i.e. from 05:00.
    verdict = check_drive(DRIVER, [], drive("22:00", 180, commuter=True), COACH)
    assert verdict.codes == {C.CONTINUOUS_NIGHT}
    assert verdict.earliest_legal_start == at("05:00", plus_days=1)


def test_mixed_stretch_that_gets_worse_later_waits_for_the_morning() -> None:
    verdict = check_drive(DRIVER, [], drive("20:30", 180, commuter=True), COACH)
    assert verdict.codes == {C.CONTINUOUS_NIGHT}
    assert "pro rata" in verdict.explain()
    assert verdict.earliest_legal_start == at("05:00", plus_days=1)


def test_overnight_earliest_start_is_the_end_of_the_stop() -> None:
    verdict = check_drive(DRIVER, [], drive("01:30", 60), COACH, ENFORCE)
    assert verdict.codes == {C.OVERNIGHT_STOP}
    assert verdict.earliest_legal_start == at("05:00")


def test_double_booked_earliest_start_is_the_end_of_the_logged_duty() -> None:
    verdict = check_drive(DRIVER, [span("09:00", "11:00", Activity.OTHER)], drive("10:00", 60), COACH)
    assert verdict.codes == {C.DOUBLE_BOOKED}
    assert verdict.earliest_legal_start == at("11:00")


def test_weekly_remaining() -> None:
    from tests.fleetplan.rules_cases import SIX_DAYS_OF_7H

    verdict = check_drive(DRIVER, SIX_DAYS_OF_7H, drive("06:00", 150), COACH)
    assert verdict.codes == {C.WEEKLY_44H}
    assert verdict.remaining_7d_s == 2 * HOUR
    assert "limit 44 h in any 7 days" in verdict.explain()


def test_a_drive_too_long_for_any_start_has_no_earliest_start() -> None:
    verdict = check_drive(DRIVER, [], drive("08:00", 5 * 60), COACH)
    assert verdict.codes == {C.CONTINUOUS_DAY}
    assert verdict.earliest_legal_start is None


def test_personal_rules_are_judged_on_the_last_day_of_a_drive_past_midnight() -> None:
    # 61st birthday on DAY: still 60 周岁 that day (the year is reached the day after), over it on the next
    turning_61 = replace(DRIVER, birth_date=date(1964, 3, 12), licence_issued=date(1990, 1, 1))
    verdict = check_drive(turning_61, [], drive("23:30", 60, commuter=True), COACH)
    assert verdict.codes == {C.AGE}
    assert check_drive(turning_61, [], drive("23:30", 60, commuter=True), COACH, on=DAY).legal


def test_the_search_does_not_wait_into_an_expired_qualification() -> None:
    expiring = replace(DRIVER, qualified_until=DAY)
    # 15 min by day and 1 h 55 min at night: over the pro-rata limit; a rest would end after midnight.
    verdict = check_drive(expiring, [span("21:45", "23:45")], drive("23:45", 10, commuter=True), COACH)
    assert verdict.codes == {C.CONTINUOUS_NIGHT}
    assert verdict.earliest_legal_start is None


# --------------------------------------------------------------------------- small helpers
def test_required_licence_and_licence_allows() -> None:
    assert required_licence(MINIBUS_7M_19) == LicenceClass.A1
    assert required_licence(BUS_59_15) == LicenceClass.B1
    assert licence_allows(DRIVER, BUS_59_15) is None  # A1 covers B1
    refused = licence_allows(B1_DRIVER, MINIBUS_7M_19)
    assert refused is not None and refused.code == C.LICENCE_CLASS
    assert "7 m long" in refused.message and "20 occupants" in refused.message and "needs A1" in refused.message


def test_personal_eligibility_lists_every_problem_in_order() -> None:
    hopeless = replace(B1_DRIVER, licence_issued=date(2024, 12, 1), birth_date=date(1960, 1, 1), qualified_until=None)
    codes = [v.code for v in personal_eligibility(hopeless, MINIBUS_7M_19, DAY, POLICY)]
    assert codes == [C.LICENCE_CLASS, C.PROBATION, C.AGE, C.QUALIFICATION]
    assert personal_eligibility(DRIVER, COACH, DAY) == ()
    stricter = replace(POLICY, max_driver_age=43)  # DRIVER is 44
    assert [v.code for v in personal_eligibility(DRIVER, COACH, DAY, stricter)] == [C.AGE]


def test_overnight_exempt_switch() -> None:
    short = drive("01:00", 60, distance_km=90)
    assert not overnight_exempt(short, ENFORCE)
    assert overnight_exempt(short, replace(POLICY, overnight_rule=OvernightRule.EXEMPT_SHORT_100KM))
    commuter = drive("01:00", 60, commuter=True)
    assert overnight_exempt(commuter, replace(POLICY, overnight_rule=OvernightRule.EXEMPT_COMMUTER_200KM))
    assert not overnight_exempt(commuter, replace(POLICY, overnight_rule=OvernightRule.EXEMPT_SHORT_100KM))


def test_proposed_drive_derives_its_night_share_from_the_clock() -> None:
    proposed = drive("21:00", 120)
    assert proposed.end == at("23:00")
    assert proposed.night_s == HOUR
    assert proposed.night_share == pytest.approx(0.5)
    assert night_seconds(at("05:00"), at("23:00")) == 2 * HOUR
    late_night = replace(POLICY, night_start=at("23:00").time(), night_end=at("05:00").time())
    assert night_seconds(at("05:00"), at("23:00"), late_night) == 0


@pytest.mark.parametrize("duration_s", [-60, 1.5])  # 0 s is a drive: a rescue from the scene's own node
def test_proposed_drive_rejects_bad_durations(duration_s: float) -> None:
    with pytest.raises(InvalidValueError, match="duration_s"):
        ProposedDrive(at("08:00"), duration_s)


def test_log_of_another_driver_is_refused() -> None:
    with pytest.raises(FleetplanError, match="other drivers: D99"):
        check_drive(DRIVER, [span("08:00", "09:00", driver_id="D99")], drive("10:00", 60), COACH)


def test_overlapping_log_entries_count_as_driving() -> None:
    # A history entry 'other' overlapping a trip's driving: the overlap is driving, not counted twice.
    log = [span("08:00", "12:00", Activity.OTHER), span("09:00", "11:00")]
    state = driving_state(log, at("12:10"), POLICY)
    assert state.continuous_s == 2 * HOUR and state.driven_24h_s == 2 * HOUR


def test_format_duration() -> None:
    assert [format_duration(s) for s in (0, 45, 19 * 60, 4 * HOUR, 4 * HOUR + 30 * 60, 3 * HOUR + 61)] == [
        "0 s",
        "45 s",
        "19 min",
        "4 h",
        "4 h 30 min",
        "3 h 1 min 1 s",
    ]


# --------------------------------------------------------------------------- driving_state
def test_driving_state_short_break_does_not_reset() -> None:
    log = [span("08:00", "10:00"), span("10:10", "11:00")]
    assert driving_state(log, at("11:15"), POLICY) == DrivingState(
        continuous_s=2 * HOUR + 50 * MINUTE,
        driven_24h_s=2 * HOUR + 50 * MINUTE,
        driven_7d_s=2 * HOUR + 50 * MINUTE,
        rested_since=at("11:00"),
        continuous_night_s=0,
    )


def test_driving_state_after_a_rest_and_in_the_middle_of_a_drive() -> None:
    log = [span("08:00", "10:00"), span("10:30", "12:00", Activity.OTHER), span("21:00", "23:00")]
    assert driving_state(log, at("10:25"), POLICY).continuous_s == 0
    midway = driving_state(log, at("22:30"), POLICY)
    assert midway == DrivingState(
        continuous_s=90 * MINUTE,
        driven_24h_s=3 * HOUR + 30 * MINUTE,
        driven_7d_s=3 * HOUR + 30 * MINUTE,
        rested_since=None,
        continuous_night_s=30 * MINUTE,
    )
    assert driving_state(log, at("07:00"), POLICY) == DrivingState(0, 0, 0, None, 0)


def test_driving_state_windows_roll() -> None:
    state = driving_state(YESTERDAY_7H30, at("12:00"), POLICY)
    assert state.driven_24h_s == 2 * HOUR + 3 * HOUR + 30 * MINUTE  # 12:00–14:00 and 14:30–18:00 yesterday
    assert state.driven_7d_s == 7 * HOUR + 30 * MINUTE
    assert state.continuous_s == 0 and state.rested_since == at("18:00", plus_days=-1)


# --------------------------------------------------------------------------- brute-force oracle
BASE = datetime(2025, 3, 10)  # a Monday midnight; the oracle's minute 0 is 7 days before it
ORIGIN = BASE - timedelta(days=7)


def _minute(moment: datetime) -> int:
    return int((moment - ORIGIN).total_seconds()) // 60


def _in_daily(minute_of_day: np.ndarray, start, end) -> np.ndarray:
    a, b = start.hour * 60 + start.minute, end.hour * 60 + end.minute
    if a == b:
        return np.zeros_like(minute_of_day, dtype=bool)
    return (minute_of_day >= a) & (minute_of_day < b) if a < b else (minute_of_day >= a) | (minute_of_day < b)


def oracle_time_codes(log: list[DutyInterval], proposed: ProposedDrive, policy: DrivingPolicy) -> set[RuleCode]:
    """The time rules evaluated minute by minute from their wording (minute-aligned inputs only)."""
    start, end = _minute(proposed.start), _minute(proposed.end)
    length = end + 8 * 24 * 60
    logged = np.zeros(length, dtype=np.int8)  # 0 off duty / rest, 1 other, 2 drive
    for interval in log:
        logged[_minute(interval.start) : _minute(interval.end)] = (
            2 if interval.activity == Activity.DRIVE else (1 if interval.activity == Activity.OTHER else 0)
        )
    codes: set[RuleCode] = set()
    if any(_minute(i.start) < end and _minute(i.end) > start for i in log):
        codes.add(C.DOUBLE_BOOKED)
        return codes  # the module's other numbers double-count an overlap; compare the rest elsewhere
    combined = logged.copy()
    combined[start:end] = 2
    clock = (np.arange(length) + ORIGIN.hour * 60) % (24 * 60)
    night = _in_daily(clock, policy.night_start, policy.night_end)
    rest_min = policy.min_rest_s // 60
    # The stretch: walk out from the drive until a run of rest minutes reaches the minimum.
    first = start
    run = 0
    while first > 0 and run < rest_min:
        first -= 1
        run = run + 1 if combined[first] == 0 else 0
    last = end
    run = 0
    while last < length and run < rest_min:
        run = run + 1 if combined[last] == 0 else 0
        last += 1
    driving = combined[first:last] == 2
    day_min = int(np.sum(driving & ~night[first:last]))
    night_min = int(np.sum(driving & night[first:last]))
    day_max, night_max = policy.day_continuous_max_s // 60, policy.night_continuous_max_s // 60
    if day_min * night_max + night_min * day_max > day_max * night_max:
        codes.add(C.CONTINUOUS_NIGHT if night_min else C.CONTINUOUS_DAY)
        gaps_short = False
        before = start - 1
        while before >= 0 and combined[before] == 0:
            before -= 1
        if before >= 0 and 0 < start - 1 - before < rest_min:
            gaps_short = True
        after = end
        while after < length and combined[after] == 0:
            after += 1
        if after < length and 0 < after - end < rest_min:
            gaps_short = True
        if gaps_short:
            codes.add(C.REST_TOO_SHORT)
    cumulative = np.concatenate([[0], np.cumsum(combined == 2)])
    for code, window, limit in (
        (C.DAILY_8H, 24 * 60, policy.max_driving_24h_s // 60),
        (C.WEEKLY_44H, 7 * 24 * 60, policy.max_driving_7d_s // 60),
    ):
        starts = np.arange(max(0, start - window + 1), end)  # windows sharing at least a minute with the drive
        totals = cumulative[np.minimum(starts + window, length)] - cumulative[starts]
        if totals.max() > limit:
            codes.add(code)
    if not overnight_exempt(proposed, policy):
        stop = _in_daily(clock, policy.overnight_stop_start, policy.overnight_stop_end)
        if stop[start:end].any():
            codes.add(C.OVERNIGHT_STOP)
    return codes


@st.composite
def scenarios(draw, weekly_limits_s=(44 * HOUR, 12 * HOUR)):
    """A small log around BASE + 1 day, a drive near it, and a policy (sometimes with tighter limits)."""
    policy = DrivingPolicy(
        day_continuous_max_s=draw(st.sampled_from([4 * HOUR, 3 * HOUR])),
        night_continuous_max_s=draw(st.sampled_from([2 * HOUR, 1 * HOUR])),
        min_rest_s=draw(st.sampled_from([20 * MINUTE, 45 * MINUTE])),
        max_driving_24h_s=draw(st.sampled_from([8 * HOUR, 5 * HOUR])),
        max_driving_7d_s=draw(st.sampled_from(weekly_limits_s)),
        overnight_rule=draw(st.sampled_from(list(OvernightRule))),
    )
    moment = BASE + timedelta(minutes=draw(st.integers(0, 36 * 60)))
    log = []
    for _ in range(draw(st.integers(0, 7))):
        moment += timedelta(minutes=draw(st.sampled_from([0, 5, 19, 20, 21, 44, 45, 60, 180, 600])))
        length = timedelta(minutes=draw(st.integers(1, 300)))
        activity = draw(st.sampled_from([Activity.DRIVE, Activity.DRIVE, Activity.OTHER, Activity.REST]))
        log.append(DutyInterval("D01", moment, moment + length, activity))
        moment += length
    offset = draw(st.integers(-6 * 60, 12 * 60))
    proposed = ProposedDrive(
        moment + timedelta(minutes=offset),
        draw(st.integers(1, 240)) * 60,
        draw(st.sampled_from([None, 80 * 1000, 150 * 1000, 250 * 1000])),
        draw(st.booleans()),
    )
    return log, proposed, policy


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(scenarios())
def test_violations_match_the_minute_by_minute_oracle(scenario) -> None:
    log, proposed, policy = scenario
    expected = oracle_time_codes(log, proposed, policy)
    found = {v.code for v in violations_at(DRIVER, log, proposed, COACH, policy)}
    if C.DOUBLE_BOOKED in expected:
        assert C.DOUBLE_BOOKED in found
    else:
        assert found == expected


@FAST
@given(scenarios())
def test_earliest_legal_start_is_legal(scenario) -> None:
    log, proposed, policy = scenario
    verdict = check_drive(DRIVER, log, proposed, COACH, policy)
    if verdict.earliest_legal_start is not None:
        assert verdict.earliest_legal_start >= proposed.start
        assert check_drive(DRIVER, log, proposed.starting(verdict.earliest_legal_start), COACH, policy).legal


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(scenarios(weekly_limits_s=(44 * HOUR,)))
def test_nothing_earlier_than_the_earliest_start_is_legal_on_the_minute_grid(scenario) -> None:
    log, proposed, policy = scenario
    earliest = check_drive(DRIVER, log, proposed, COACH, policy).earliest_legal_start
    assume(earliest is not None and earliest - proposed.start <= timedelta(hours=16))  # keep the grid small
    moment = proposed.start
    while moment < earliest:
        assert violations_at(DRIVER, log, proposed.starting(moment), COACH, policy), moment
        moment += timedelta(minutes=1)


@FAST
@given(scenarios())
def test_remaining_driving_is_the_longest_drive_each_rule_allows(scenario) -> None:
    log, proposed, policy = scenario
    verdict = check_drive(DRIVER, log, proposed, COACH, policy)
    for remaining, cap, codes in (
        (verdict.remaining_continuous_s, policy.day_continuous_max_s, {C.CONTINUOUS_DAY, C.CONTINUOUS_NIGHT}),
        (verdict.remaining_24h_s, policy.max_driving_24h_s, {C.DAILY_8H}),
        (verdict.remaining_7d_s, policy.max_driving_7d_s, {C.WEEKLY_44H}),
    ):
        assert 0 <= remaining <= cap
        if remaining > 0:
            fits = violations_at(DRIVER, log, replace(proposed, duration_s=remaining), COACH, policy)
            assert not {v.code for v in fits} & codes
        if remaining < cap:
            too_long = violations_at(DRIVER, log, replace(proposed, duration_s=remaining + 1), COACH, policy)
            assert {v.code for v in too_long} & codes


def test_time_and_personal_codes_partition_the_rules() -> None:
    assert TIME_RULES | PERSONAL_RULES == set(RuleCode) and not TIME_RULES & PERSONAL_RULES


@FAST
@given(scenarios())
def test_busiest_window_is_the_minute_by_minute_maximum(scenario) -> None:
    """The busiest 24 h and 7 d window a drive falls in, as the window checks and their messages
    give it, against every window start on the minute grid (the drive counted as driving)."""
    log, proposed, policy = scenario
    start, end = _minute(proposed.start), _minute(proposed.end)
    assume(not any(_minute(i.start) < end and _minute(i.end) > start for i in log))  # overlaps count twice
    length = end + 16 * 24 * 60
    driving = np.zeros(length, dtype=np.int64)
    for interval in log:
        if interval.activity == Activity.DRIVE:
            driving[_minute(interval.start) : _minute(interval.end)] = 1
    driving[start:end] = 1
    cumulative = np.concatenate([[0], np.cumsum(driving)])
    timeline = timeline_of(log, "D01", policy)
    for window_s in (WINDOW_24H_S, WINDOW_7D_S):
        window = window_s // 60
        starts = np.arange(start - window, end + 1)
        totals = cumulative[np.clip(starts + window, 0, length)] - cumulative[np.clip(starts, 0, length)]
        found, window_start = timeline.busiest_window(to_stamp(proposed.start), to_stamp(proposed.end), window_s)
        assert found == int(totals.max()) * 60
        a = (window_start - to_stamp(ORIGIN)) // 60
        assert int(cumulative[min(a + window, length)] - cumulative[max(a, 0)]) * 60 == found
