"""The timetable as a weekly pattern with a calendar (issue 16 §2): any day has its trips."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from fleetplan.calendar import dataset_at, dated_id, trips_of_day, trips_on
from fleetplan.corridor import load_corridor
from fleetplan.dataset import validate_dataset
from fleetplan.errors import InvalidValueError
from fleetplan.model import Activity, CalendarException, Incident, IncidentKind, ServiceCalendar, TripKind
from fleetplan.state import Whereabouts, snapshot

from solver.dispatch import dispatch

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "default"
TEMPLATE_MONDAY = date(2026, 12, 7)


@pytest.fixture(scope="module")
def corridor():
    return load_corridor(DEFAULT_DIR)


def clock_times(trip):
    return [(stop.node_id, stop.planned.time()) for stop in trip.stops]


def test_the_template_week_reads_exactly_as_the_data(corridor):
    dataset = corridor.dataset
    at = datetime(2026, 12, 9, 7, 40)
    window = dataset_at(dataset, at)
    template = {trip.id: trip for trip in dataset.trips}
    in_week = {t.id: t for t in window.trips if TEMPLATE_MONDAY <= t.departure.date() < date(2026, 12, 14)}
    assert in_week == template


def test_a_monday_a_year_on_runs_the_template_monday_moved_by_whole_weeks(corridor):
    dataset = corridor.dataset
    day = date(2027, 11, 29)  # a Monday
    ran = sorted(trips_on(dataset.trips, dataset.calendar, day), key=lambda t: t.id)
    mondays = sorted((t for t in dataset.trips if t.departure.date() == TEMPLATE_MONDAY), key=lambda t: t.id)
    assert [t.id for t in ran] == [t.id.replace("T1207-", "T1129-") for t in mondays]
    for moved, template in zip(ran, mondays, strict=True):
        assert clock_times(moved) == clock_times(template)
        assert moved.departure.date() == day and (moved.vehicle_id, moved.driver_id) == (
            template.vehicle_id,
            template.driver_id,
        )


def test_today_has_its_trips_whatever_the_date(corridor):
    """``make run`` on any weekday: the staff runs of that day are there, their coaches on the road."""
    for day in (date(2027, 3, 17), date(2028, 6, 6), date(2026, 11, 24)):
        at = datetime.combine(day, datetime.min.time()).replace(hour=7, minute=40)
        state = snapshot(dataset_at(corridor.dataset, at), at)
        on_trip = {v.vehicle_id: v.current_trip_id for v in state.vehicles.values() if v.current_trip_id}
        assert on_trip.get("c01") == f"T{day:%m%d}-AM1", day
        assert state.vehicles["c01"].whereabouts == Whereabouts.ON_TRIP


def test_a_report_on_a_later_week_is_dispatched_with_that_day_s_trip(corridor):
    at = datetime(2027, 3, 17, 7, 40)  # a Wednesday
    incident = Incident("X1", IncidentKind.BREAKDOWN, "c01", None, "G1 K60 toward Siping", at, 30)
    result = dispatch(corridor, [incident], corridor.dataset.clear_conditions)
    (group,) = result.instance.groups
    assert group.trip_id == "T0317-AM1"
    assert result.result.plans and not any(result.problems[0]), result.problems
    assert {task.trip_id for task in result.instance.trip_tasks} >= {"T0317-PM1"}  # the evening run re-covered


def test_a_holiday_exception_takes_the_staff_runs_away(corridor):
    new_year = trips_on(corridor.dataset.trips, corridor.dataset.calendar, date(2027, 1, 1))
    assert new_year and {t.kind for t in new_year} == {TripKind.STUDENT_FRIDAY}


def test_a_make_up_working_day_runs_as_the_weekday_it_names(corridor):
    saturday = date(2027, 2, 20)
    calendar = replace(
        corridor.dataset.calendar,
        exceptions=(CalendarException(saturday, 0, frozenset({TripKind.STAFF_MORNING, TripKind.STAFF_EVENING})),),
    )
    ran = trips_on(corridor.dataset.trips, calendar, saturday)
    assert sorted(t.id for t in ran) == sorted(
        f"T0220-{run}" for run in ("AM1", "AM2", "AM3", "AM4", "PM1", "PM2", "PM3", "PM4")
    )
    assert not trips_on(corridor.dataset.trips, corridor.dataset.calendar, saturday)  # an ordinary Saturday


def test_nothing_runs_outside_the_period(corridor):
    calendar = replace(corridor.dataset.calendar, first_day=date(2026, 9, 1), last_day=date(2027, 1, 15))
    assert not trips_on(corridor.dataset.trips, calendar, date(2026, 8, 31))
    assert not trips_on(corridor.dataset.trips, calendar, date(2027, 1, 18))
    assert trips_on(corridor.dataset.trips, calendar, date(2027, 1, 15))  # the last day, a Friday


def test_a_dataset_without_a_calendar_is_read_as_dated(corridor):
    dated = replace(corridor.dataset, calendar=None)
    assert dataset_at(dated, datetime(2027, 3, 17, 7, 40)) is dated


def test_last_week_s_driving_counts_once_and_coaches_sleep_at_their_depot(corridor):
    monday = datetime(2027, 3, 15, 6, 0)
    state = snapshot(dataset_at(corridor.dataset, monday), monday)
    friday_evening = [i for i in state.drivers["d01"].duty_log if i.start.date() == date(2027, 3, 12)]
    assert [(i.start.time(), i.activity) for i in friday_evening] == [
        (datetime(2026, 12, 11, 6, 15).time(), Activity.DRIVE),
        (datetime(2026, 12, 11, 17, 15).time(), Activity.DRIVE),
    ]
    assert state.vehicles["c05"].node_id == "changchun_depot"  # Sunday's run ended at the Siping campus
    # the days the duty log covers (2026-11-30 … 12-06) are the log's: no pattern trips then
    logged = datetime(2026, 12, 4, 7, 40)
    assert not [t for t in dataset_at(corridor.dataset, logged).trips if t.departure.date() == logged.date()]
    assert trips_of_day(corridor.dataset, date(2026, 11, 27))  # the Friday before the log


def test_ids_follow_the_day():
    assert dated_id("T1207-AM1", date(2026, 12, 7), date(2027, 3, 15)) == "T0315-AM1"
    assert dated_id("morning-1", date(2026, 12, 7), date(2027, 3, 15)) == "morning-1@2027-03-15"
    with pytest.raises(InvalidValueError, match="Monday"):
        ServiceCalendar(date(2026, 12, 8))


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ('[[exception]]\ndate = 2027-01-01\nruns_as = "holiday"\n', "exception[1].runs_as", "monday"),
        ('[[exception]]\ndate = "2027-13-01"\nruns_as = "none"\n', "exception[1].date", "YYYY-MM-DD"),
        ('[[exception]]\nruns_as = "none"\n', "exception[1].date", "missing"),
        ('[[exception]]\ndate = 2027-01-01\nruns_as = "none"\nkinds = ["night_bus"]\n', "exception[1].kinds", "staff"),
        (
            '[[exception]]\ndate = 2027-01-01\nruns_as = "none"\n[[exception]]\ndate = 2027-01-01\nruns_as = "monday"\n',
            "exception[2].date",
            "already",
        ),
        ("[repeat]\nfrom = 2027-01-01\nuntil = 2026-01-01\n", "repeat.until", "before"),
        ("[repeat]\nstart = 2027-01-01\n", "repeat.start", "unknown key"),
    ],
)
def test_a_bad_calendar_is_reported_by_key(tmp_path, text, column, words):
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DIR, data)
    (data / "calendar.toml").write_text(text, encoding="utf-8")
    problems = validate_dataset(data)
    assert [(p.file, p.column) for p in problems] == [("calendar.toml", column)], problems
    assert words in problems[0].message


def test_with_a_calendar_the_trips_must_fit_one_week(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DIR, data)
    stops = (data / "trip_stops.csv").read_text(encoding="utf-8")
    trips = (data / "trips.csv").read_text(encoding="utf-8")
    (data / "trips.csv").write_text(trips.replace("T1213-SU1,2026-12-13", "T1213-SU1,2026-12-14"), encoding="utf-8")
    moved = "\n".join(
        line.replace("2026-12-13T", "2026-12-14T") if line.startswith("T1213-SU1,") else line
        for line in stops.splitlines()
    )
    (data / "trip_stops.csv").write_text(moved + "\n", encoding="utf-8")
    problems = validate_dataset(data)
    assert [p.file for p in problems] == ["calendar.toml"] and "T1213-SU1" in problems[0].message, problems
    assert (TEMPLATE_MONDAY + timedelta(days=6)).isoformat() in problems[0].message
