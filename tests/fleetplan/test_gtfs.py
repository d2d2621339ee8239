"""The timetable as static GTFS (issue 16 §6), read back by a GTFS library (partridge)."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import partridge as ptg
import pytest

from fleetplan.calendar import trips_on
from fleetplan.corridor import load_corridor
from fleetplan.gtfs import export_gtfs, gtfs_time

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "default"


@pytest.fixture(scope="module")
def corridor():
    return load_corridor(DEFAULT_DIR)


@pytest.fixture(scope="module")
def feed_dir(corridor, tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("gtfs")
    written = export_gtfs(corridor, directory)
    assert sorted(p.name for p in written) == sorted(
        ["agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt", "calendar.txt", "calendar_dates.txt"]
    )
    return directory


def seconds(moment: datetime) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def test_every_trip_reads_back_with_its_stops_in_order_at_their_times(corridor, feed_dir):
    feed = ptg.load_feed(str(feed_dir))
    assert len(feed.trips) == len(corridor.dataset.trips)
    stop_times = feed.stop_times.sort_values(["trip_id", "stop_sequence"])
    by_trip = dict(list(stop_times.groupby("trip_id")))
    for trip in corridor.dataset.trips:
        rows = by_trip[trip.id]
        assert list(rows["stop_id"]) == [stop.node_id for stop in trip.stops]
        assert list(rows["arrival_time"]) == [seconds(stop.planned) for stop in trip.stops]  # partridge: seconds


def test_each_day_runs_the_trips_the_calendar_gives_it(corridor, feed_dir):
    """partridge reads calendar.txt and calendar_dates.txt on its own: for every day of a year around the
    template week, the trips it says run are those the calendar repeats onto that day."""
    by_date = ptg.read_service_ids_by_date(str(feed_dir))
    feed = ptg.load_feed(str(feed_dir))
    services = dict(zip(feed.trips["trip_id"], feed.trips["service_id"], strict=True))
    calendar = corridor.dataset.calendar
    assert calendar is not None
    start = calendar.template_monday - timedelta(days=60)
    for offset in range(365):
        day = start + timedelta(days=offset)
        running = {trip_id for trip_id, service in services.items() if service in by_date.get(day, ())}
        expected = {trip.id for trip in corridor.dataset.trips if _runs(trip, day, calendar)}
        assert running == expected, day
    new_year = {t.id for t in trips_on(corridor.dataset.trips, calendar, date(2027, 1, 1))}
    assert new_year and not any("-AM" in t or "-PM" in t for t in new_year)  # no staff runs on 元旦


def _runs(trip, day, calendar) -> bool:
    """The calendar's rule written out: a dated exception for the day and kind decides; else the
    weekday, within the period."""
    for exception in calendar.exceptions:
        if exception.day == day and (not exception.kinds or trip.kind in exception.kinds):
            return exception.runs_as == trip.departure.weekday()
    in_period = (calendar.first_day is None or calendar.first_day <= day) and (
        calendar.last_day is None or day <= calendar.last_day
    )
    return in_period and day.weekday() == trip.departure.weekday()


def test_without_a_calendar_each_trip_runs_on_its_own_day_and_no_other(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DIR, data)
    (data / "calendar.toml").unlink()
    dated = load_corridor(data)
    assert dated.dataset.calendar is None
    export_gtfs(dated, tmp_path / "gtfs")
    by_date = ptg.read_service_ids_by_date(str(tmp_path / "gtfs"))
    feed = ptg.load_feed(str(tmp_path / "gtfs"))
    services = dict(zip(feed.trips["trip_id"], feed.trips["service_id"], strict=True))
    assert set(by_date) == {trip.stops[0].planned.date() for trip in dated.dataset.trips}
    for trip in dated.dataset.trips:
        running = [day for day, ids in by_date.items() if services[trip.id] in ids]
        assert running == [trip.stops[0].planned.date()]


def test_a_pattern_starting_after_the_template_week_runs_a_year_from_its_start(tmp_path):
    """An open-ended calendar whose first day lies after the template week: every service starts on it
    and ends a year later (it ended before it started, a feed no reader would run)."""
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DIR, data)
    text = (data / "calendar.toml").read_text().replace("from = 2025-09-01", "from = 2028-09-01")
    (data / "calendar.toml").write_text(text)
    export_gtfs(load_corridor(data), tmp_path / "gtfs")
    feed = ptg.load_feed(str(tmp_path / "gtfs"))
    assert set(feed.calendar["start_date"]) == {date(2028, 9, 1)}
    assert set(feed.calendar["end_date"]) == {date(2028, 9, 1) + timedelta(days=364)}
    by_date = ptg.read_service_ids_by_date(str(tmp_path / "gtfs"))
    assert min(by_date) >= date(2028, 9, 1) and len(by_date) > 300


def test_stops_carry_the_network_s_names_and_places(corridor, feed_dir):
    feed = ptg.load_feed(str(feed_dir))
    graph = corridor.network.graph
    for row in feed.stops.itertuples():
        node = graph.nodes[row.stop_id]
        assert (row.stop_name, row.stop_lat, row.stop_lon) == (node["name_zh"], node["lat"], node["lon"])
    assert set(feed.routes["route_type"]) == {3} and len(feed.agency) == 1


def test_gtfs_time_counts_past_midnight_from_the_service_day():
    assert gtfs_time(date(2026, 12, 7), datetime(2026, 12, 7, 6, 15)) == "06:15:00"
    assert gtfs_time(date(2026, 12, 7), datetime(2026, 12, 8, 0, 10, 5)) == "24:10:05"
