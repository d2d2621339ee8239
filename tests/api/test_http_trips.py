"""GET /trips and reports on days after the template week (issue 16 §2: the desk has today's trips)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleetplan.calendar import trips_of_day
from fleetplan.corridor import load_corridor
from fleetplan.units import china_now

from tests.api.http_support import REPORT, running_desk, sqlite_url


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    with running_desk(sqlite_url(tmp_path_factory.mktemp("trips"))) as running:
        yield running


def test_today_s_trips_by_default_are_the_calendar_s(desk):
    dataset = load_corridor().dataset
    today = china_now().date()
    listed = desk.get("/trips")
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()] == [
        t.id for t in sorted(trips_of_day(dataset, today), key=lambda t: (t.departure, t.id))
    ]


def test_a_day_a_year_on_has_its_weekday_s_trips_with_ids_and_times_of_that_day(desk):
    trips = desk.get("/trips", params={"day": "2027-03-17"}).json()  # a Wednesday
    ids = [t["id"] for t in trips]
    assert "T0317-AM1" in ids and "T0317-PM1" in ids and not any("FR" in i or "SU" in i for i in ids)
    first = next(t for t in trips if t["id"] == "T0317-AM1")
    assert first["departure"].startswith("2027-03-17T06:") and first["stops"][0]["planned"] == first["departure"]
    holiday = desk.get("/trips", params={"day": "2027-01-01"}).json()
    assert holiday and all(t["kind"] == "student_friday" for t in holiday)


def test_a_bad_day_is_a_4xx_naming_day(desk):
    for day in ("2027-02-30", "0", "20270101"):
        response = desk.get("/trips", params={"day": day})
        assert response.status_code == 422 and "day" in response.text, day
    edge = desk.get("/trips", params={"day": "9999-12-31"})
    assert edge.status_code == 400 and edge.json()["detail"].startswith("day:")


def test_a_report_on_a_recent_weekday_finds_that_day_s_trip(desk):
    """The last Wednesday before today lies in the clock's window: its c01 staff run is the failed trip
    (on a day the drivers' duty log covers there is no pattern trip, and nothing to find)."""
    today = china_now().date()
    wednesday = today - timedelta(days=(today.weekday() - 2) % 7 or 7)
    if not trips_of_day(load_corridor().dataset, wednesday):
        wednesday -= timedelta(days=7 * 2)  # 2026-12-02 is a logged day; two weeks before is not
    report = {**REPORT, "time": f"{wednesday.isoformat()}T07:40"}
    answer = desk.post("/incidents", report)
    assert answer.status_code == 201, answer.text
    options = answer.json()["options"]
    assert options["incidents"][0]["trip_id"] == f"T{wednesday:%m%d}-AM1"
    assert options["status"] in ("optimal", "feasible") and options["plans"], options
