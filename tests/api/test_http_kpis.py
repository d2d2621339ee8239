"""GET /kpis: compliance by tier and month, mean and p90 response, follow-up rate, incidents per 10,000 km."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from fleetplan.corridor import load_corridor

from api.kpis import response_stats, trip_km
from api.records.types import EntryKind

from tests.api.http_support import running_desk, sqlite_url


def accept(desk, **changes) -> dict:
    incident = desk.report(**changes).json()
    return desk.post(f"/incidents/{incident['number']}/accept", {"rank": 1}).json()


def clock(minutes_after_0740: int, day: str = "2026-12-07") -> str:
    total = 7 * 60 + 40 + minutes_after_0740
    return f"{day}T{total // 60:02d}:{total % 60:02d}"


# The desk's clock for the history: after the January incident, so that it is a real one (reported for a
# time ahead of the clock, it would be an exercise: left out of the KPIs)
AFTER_JANUARY = "2027-01-06T12:00"
EXERCISE_AT = "2027-01-07T07:40"  # ahead of that clock, within the window of the timetable's days


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Six incidents: on time and followed up; late; voided; still open; one in January (outside the
    timetable); an exercise reported ahead of the clock, reached late and resolved."""
    with running_desk(sqlite_url(tmp_path_factory.mktemp("kpis")), clock_from=AFTER_JANUARY) as desk:
        on_time = accept(desk)
        # 45 min: its plan's coach cannot be there sooner (an on-scene after 40 min was accepted before issue 15 §3)
        assert desk.post(f"/incidents/{on_time['number']}/on-scene", {"at": clock(45)}).status_code == 200
        desk.post(f"/incidents/{on_time['number']}/resolved", {"at": clock(120)})
        desk.post(f"/incidents/{on_time['number']}/follow-up", {"note": "thanks"})
        late = accept(desk, vehicle_id="c02")
        late_min = late["limit_min"] + 5
        desk.post(f"/incidents/{late['number']}/on-scene", {"at": clock(late_min)})
        desk.post(f"/incidents/{late['number']}/resolved", {"at": clock(late_min + 60)})
        voided = accept(desk, vehicle_id="c03")
        desk.post(f"/incidents/{voided['number']}/on-scene", {"at": clock(200)})
        desk.post(f"/incidents/{voided['number']}/void", {"reason": "drill entered as real"})
        assert desk.report(vehicle_id="c04", passengers=30).status_code == 201
        assert desk.report(vehicle_id="c05", time="2027-01-05T07:40").status_code == 201
        exercise = accept(desk, vehicle_id="c06", time=EXERCISE_AT)
        very_late = exercise["limit_min"] + 300  # would move every response and compliance figure
        at = clock(very_late, day=EXERCISE_AT[:10])
        assert desk.post(f"/incidents/{exercise['number']}/on-scene", {"at": at}).status_code == 200
        assert desk.post(f"/incidents/{exercise['number']}/resolved", {"at": at}).status_code == 200
        yield desk, on_time, late_min


def test_compliance_by_tier_and_month_leaves_voided_and_unmeasured_out(history):
    desk, on_time, _ = history
    rows = desk.get("/kpis").json()["by_tier_month"]
    december = {r["tier"]: r for r in rows if r["month"] == "2026-12"}
    assert december[on_time["tier"]] | {"incidents": None} == {
        "tier": on_time["tier"],
        "month": "2026-12",
        "incidents": None,
        "measured": 2,
        "reached_within_limit": 1,
        "compliance": 0.5,
    }
    assert sum(r["incidents"] for r in december.values()) == 3  # the open one counts, the voided one not
    january = [r for r in rows if r["month"] == "2027-01"]
    assert len(january) == 1 and january[0]["measured"] == 0 and january[0]["compliance"] is None
    assert [r["month"] for r in rows] == sorted(r["month"] for r in rows)


def test_mean_and_p90_response_and_the_follow_up_rate(history):
    desk, _, late_min = history
    body = desk.get("/kpis").json()
    assert body["response_min"]["count"] == 2
    assert body["response_min"]["mean"] == pytest.approx((45 + late_min) / 2, abs=0.05)
    assert body["response_min"]["p90"] == pytest.approx(45 + 0.9 * (late_min - 45), abs=0.05)
    assert body["follow_up_rate"] == 0.5


def test_incidents_per_10k_km_use_the_timetable_kilometres_of_the_period(history):
    desk, _, _ = history
    week = desk.get("/kpis", params={"from": "2026-12-07", "to": "2026-12-13"}).json()  # the template week
    basis = week["km_basis"]
    trips = len(desk.client.app.state.corridor.dataset.trips)
    assert 100 * trips <= basis["km"] <= 160 * trips  # Siping–Changchun runs are ≈115–135 km
    assert basis["incidents"] == 3  # the voided one never counts, the January one is later
    assert week["incidents_per_10k_km"] == pytest.approx(3 / basis["km"] * 10_000, abs=0.01)
    # without a period: from the first incident's day to the last's, every day running its trips
    whole = desk.get("/kpis").json()["km_basis"]
    assert (whole["period_from"], whole["period_to"], whole["incidents"]) == ("2026-12-07", "2027-01-05", 4)
    assert basis["km"] * 4 < whole["km"] < basis["km"] * 30 / 7  # 30 days, less the staff runs of 1 January


def test_every_week_of_the_calendar_has_the_template_week_s_kilometres(history):
    desk, _, _ = history
    week = desk.get("/kpis", params={"from": "2026-12-07", "to": "2026-12-13"}).json()["km_basis"]["km"]
    for first, last, weeks in (("2026-11-02", "2026-11-29", 4), ("2026-12-14", "2026-12-27", 2)):
        basis = desk.get("/kpis", params={"from": first, "to": last}).json()["km_basis"]
        assert (basis["period_from"], basis["period_to"]) == (first, last)
        assert basis["km"] == pytest.approx(weeks * week, abs=0.2)
    holiday = desk.get("/kpis", params={"from": "2027-01-01", "to": "2027-01-01"}).json()["km_basis"]["km"]
    friday = desk.get("/kpis", params={"from": "2027-01-08", "to": "2027-01-08"}).json()["km_basis"]["km"]
    assert 0 < holiday < friday  # 元旦: no staff runs, the student runs still go


def test_a_period_filters_incidents_and_kilometres(history):
    desk, _, _ = history
    whole = desk.get("/kpis", params={"from": "2026-12-07", "to": "2026-12-31"}).json()["km_basis"]["km"]
    later = desk.get("/kpis", params={"from": "2026-12-08", "to": "2026-12-31"}).json()
    assert later["by_tier_month"] == [] and later["response_min"]["count"] == 0
    assert later["incidents_per_10k_km"] == 0.0
    assert 0 < later["km_basis"]["km"] < whole
    assert desk.get("/kpis", params={"from": "8 Dec"}).status_code == 422
    inverted = desk.get("/kpis", params={"from": "2026-12-31", "to": "2026-12-08"})
    assert inverted.status_code == 400 and inverted.json()["detail"].startswith("from:")


def test_per_day_and_per_tier_for_the_kpi_page(history):
    desk, on_time, late_min = history
    body = desk.get("/kpis").json()
    assert body["by_day"] == [
        {"day": "2026-12-07", "incidents": 3, "measured": 2, "reached_within_limit": 1},
        {"day": "2027-01-05", "incidents": 1, "measured": 0, "reached_within_limit": 0},
    ]
    tiers = {row["tier"]: row for row in body["by_tier"]}
    assert list(tiers) == ["city", "near_backup", "corridor", "pre_departure"]  # the data's order, all listed
    assert [tiers[t]["limit_min"] for t in tiers] == [30, 60, 90, 15]
    mine = tiers[on_time["tier"]]
    assert mine["measured"] == 2 and mine["reached_within_limit"] == 1 and mine["compliance"] == 0.5
    assert mine["response_mean_min"] == pytest.approx((45 + late_min) / 2, abs=0.05)
    assert mine["response_max_min"] == late_min
    assert mine["passengers"] == 42 + 42 + 30 + 42  # the open one (30) counts, the voided one not
    assert mine["passengers_measured"] == 84 and mine["passengers_reached_within_limit"] == 42
    assert sum(row["incidents"] for row in body["by_tier"]) == sum(row["incidents"] for row in body["by_tier_month"])
    later = desk.get("/kpis", params={"from": "2026-12-08"}).json()
    assert later["by_day"] == [{"day": "2027-01-05", "incidents": 1, "measured": 0, "reached_within_limit": 0}]


def test_exercises_reported_ahead_of_the_clock_are_left_out_and_listed_apart(history):
    """An exercise is no operation: its late response, its resolve and its day count in no KPI."""
    desk, _, late_min = history
    body = desk.get("/kpis").json()
    (exercise,) = body["exercises"]
    assert exercise["reported_at"] == EXERCISE_AT and exercise["recorded_at"] < EXERCISE_AT
    assert desk.get(f"/incidents/{exercise['number']}").json()["status"] == "resolved"
    assert body["response_min"]["count"] == 2 and body["response_min"]["mean"] < late_min  # as without it
    assert body["follow_up_rate"] == 0.5  # resolved, not followed up: it would make this 1/3
    assert EXERCISE_AT[:10] not in [row["day"] for row in body["by_day"]]
    assert sum(row["incidents"] for row in body["by_tier"]) == 4
    day = desk.get("/kpis", params={"from": EXERCISE_AT[:10], "to": EXERCISE_AT[:10]}).json()
    assert day["by_tier_month"] == [] and day["by_day"] == [] and day["response_min"]["count"] == 0
    assert day["km_basis"]["incidents"] == 0 and day["incidents_per_10k_km"] == 0.0
    assert day["exercises"] == [exercise]  # listed for the period it falls in
    assert desk.get("/kpis", params={"to": "2027-01-06"}).json()["exercises"] == []


def test_kpis_need_a_token(history):
    desk, _, _ = history
    assert desk.client.get("/kpis").status_code == 401
    assert desk.get("/kpis", role="planner").status_code == 200


def test_p90_interpolates_linearly():
    assert response_stats([float(m) for m in range(1, 11)]) == {"mean": 5.5, "p90": 9.1, "count": 10}
    assert response_stats([]) == {"mean": None, "p90": None, "count": 0}


# --------------------------------------------------------------------------- old records with times that cannot be
def legacy_on_scene(desk, vehicle_id: str, at: str, reason: str | None = None) -> int:
    """An accepted incident given an on-scene time straight in the records, as before the desk checked
    them (issue 15 §3, §7)."""
    incident = desk.report(vehicle_id=vehicle_id, passengers=30).json()
    number = incident["number"]
    assert desk.post(f"/incidents/{number}/accept", {"rank": 1}).status_code == 200
    payload = {"at": at, "response_min": 1.0, "within_limit": True} | ({"override_reason": reason} if reason else {})
    with desk.records() as store:
        store.append(number, EntryKind.ON_SCENE, "legacy", payload)
    return number


def test_on_scene_times_no_rescue_could_have_had_are_set_aside_with_their_reason(desk_served_after):
    desk = desk_served_after
    believed = accept(desk)
    assert desk.post(f"/incidents/{believed['number']}/on-scene", {"at": clock(45)}).status_code == 200
    before = desk.get("/kpis").json()
    end_of_time = legacy_on_scene(desk, "c02", "9999-12-31T23:59")
    before_report = legacy_on_scene(desk, "c03", "2026-12-07T07:00")
    at_report = legacy_on_scene(desk, "c04", "2026-12-07T07:40")  # one Confirm of the old dialog: "0 / 60 min"
    legacy_on_scene(desk, "c05", "2026-12-07T07:41", reason="the crew was already at K76")

    kpis = desk.get("/kpis").json()

    assert kpis["set_aside"] == [
        {"number": end_of_time, "reason": "on scene a day or more after the report"},
        {"number": before_report, "reason": "on scene before the report"},
        {"number": at_report, "reason": "on scene before the accepted plan could arrive, and no reason recorded"},
    ]
    assert kpis["response_min"]["count"] == before["response_min"]["count"] + 1  # only the one with a reason
    assert kpis["response_min"]["mean"] < 60
    measured = sum(row["measured"] for row in kpis["by_tier_month"])
    assert measured == sum(row["measured"] for row in before["by_tier_month"]) + 1
    assert sum(row["incidents"] for row in kpis["by_tier_month"]) == 5  # set aside, still counted as incidents
    assert desk.get("/kpis").json()["set_aside"] == kpis["set_aside"]  # reading never changes the records


def test_kilometres_of_a_period_counted_by_weekday_equal_the_day_by_day_sum():
    """Any two days make a period (a year's KPIs, or 0001 … 9999 from a careless client): counted by
    weekday with the exceptions and logged days one by one, they equal the sum day by day."""
    timetable = trip_km(load_corridor())
    rng = random.Random(20261207)
    for _ in range(200):
        first = date(2025, 6, 1) + timedelta(days=rng.randrange(900))
        last = first + timedelta(days=rng.randrange(0, 400))
        by_day = sum(timetable.on(first + timedelta(days=n)) for n in range((last - first).days + 1))
        assert timetable.between(first, last) == pytest.approx(by_day, abs=1e-6), (first, last)
    assert timetable.between(date(2026, 12, 8), date(2026, 12, 7)) == 0.0
    assert timetable.between(date(1, 1, 1), date(9999, 12, 31)) > 0  # no day-by-day loop over eight millennia
