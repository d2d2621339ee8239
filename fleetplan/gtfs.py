"""The timetable as static GTFS (issue 16 §6): agency, stops, routes, trips, stop_times, calendar and
calendar_dates, so that any GTFS tool (a journey planner, a validator, the university's app) reads it.

- **stops** are the network nodes the trips stop at, with their names in Chinese and English;
- **routes** are one per trip kind and direction (first stop → last stop), ``route_type`` 3 (bus);
- **services**: with a calendar (``calendar.toml``), one service per trip kind and weekday of the
  template week (``staff_morning-mon``), running on that weekday over the calendar's period (an open
  start is the template week's Monday, an open end a year after it: GTFS needs both), and the dated
  exceptions as ``calendar_dates.txt`` rows removing the weekday's service (``exception_type`` 2) and
  adding the one it runs as (1). Without a calendar each trip runs on its own dated day: one service
  per day, a ``calendar.txt`` row with no weekday and a ``calendar_dates.txt`` row adding the date;
- **stop_times** give each stop's planned time as both arrival and departure, ``HH:MM:SS`` from the
  service day's midnight (GTFS time; China keeps no daylight saving), so 00:10 the next day reads 24:10:00.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from fleetplan.calendar import WEEKDAYS
from fleetplan.corridor import Corridor
from fleetplan.model import ServiceCalendar, Trip, TripKind

AGENCY_ID = "fleetplan"
ADDED, REMOVED = 1, 2  # calendar_dates.txt exception_type
OPEN_END_DAYS = 364  # an open-ended calendar is written as running this many days past its start
TIMEZONE = "Asia/Shanghai"
BUS = 3  # GTFS route_type
KIND_NAMES = {
    TripKind.STAFF_MORNING: ("教职工早班", "Staff run, morning"),
    TripKind.STAFF_EVENING: ("教职工晚班", "Staff run, evening"),
    TripKind.STUDENT_FRIDAY: ("学生周五班", "Student run, Friday"),
    TripKind.STUDENT_SUNDAY: ("学生周日班", "Student run, Sunday"),
}


def export_gtfs(corridor: Corridor, directory: Path | str, agency_name: str = "Charter operator") -> list[Path]:
    """Write the seven GTFS files of ``corridor``'s timetable into ``directory``; their paths."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    trips = sorted(corridor.dataset.trips, key=lambda t: (t.stops[0].planned, t.id))
    calendar = corridor.dataset.calendar
    tables: dict[str, tuple[list[str], list[list[object]]]] = {
        "agency.txt": (
            ["agency_id", "agency_name", "agency_url", "agency_timezone", "agency_lang"],
            [[AGENCY_ID, agency_name, "https://example.invalid/fleetplan", TIMEZONE, "zh"]],
        ),
        "stops.txt": (["stop_id", "stop_name", "stop_desc", "stop_lat", "stop_lon"], stop_rows(corridor, trips)),
        "routes.txt": (
            ["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"],
            route_rows(corridor, trips),
        ),
        "trips.txt": (
            ["route_id", "service_id", "trip_id", "trip_headsign"],
            trip_rows(corridor, trips, calendar),
        ),
        "stop_times.txt": (
            ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
            stop_time_rows(trips),
        ),
        "calendar.txt": (
            ["service_id", *WEEKDAYS, "start_date", "end_date"],
            calendar_rows(trips, calendar),
        ),
        "calendar_dates.txt": (["service_id", "date", "exception_type"], calendar_date_rows(trips, calendar)),
    }
    return [write_table(target / name, header, rows) for name, (header, rows) in tables.items()]


def stop_rows(corridor: Corridor, trips: Sequence[Trip]) -> list[list[object]]:
    graph = corridor.network.graph
    nodes = sorted({stop.node_id for trip in trips for stop in trip.stops})
    return [
        [
            node,
            graph.nodes[node].get("name_zh") or graph.nodes[node].get("name", node),
            graph.nodes[node].get("name", ""),
            graph.nodes[node]["lat"],
            graph.nodes[node]["lon"],
        ]
        for node in nodes
    ]


def route_id(trip: Trip) -> str:
    return f"{trip.kind.value}:{trip.stops[0].node_id}>{trip.stops[-1].node_id}"


def route_rows(corridor: Corridor, trips: Sequence[Trip]) -> list[list[object]]:
    names = {node: data.get("name_zh") or node for node, data in corridor.network.graph.nodes(data=True)}
    seen: dict[str, list[object]] = {}
    for trip in trips:
        zh, en = KIND_NAMES[trip.kind]
        first, last = trip.stops[0].node_id, trip.stops[-1].node_id
        seen.setdefault(route_id(trip), [route_id(trip), AGENCY_ID, zh, f"{en}: {names[first]} → {names[last]}", BUS])
    return list(seen.values())


def trip_rows(corridor: Corridor, trips: Sequence[Trip], calendar: ServiceCalendar | None) -> list[list[object]]:
    graph = corridor.network.graph
    return [
        [route_id(t), trip_service(t, calendar), t.id, graph.nodes[t.stops[-1].node_id].get("name_zh", "")]
        for t in trips
    ]


def trip_service(trip: Trip, calendar: ServiceCalendar | None) -> str:
    day = service_day(trip)
    return service_id(day) if calendar is None else weekly_service_id(trip.kind, day.weekday())


def weekly_service_id(kind: TripKind, weekday: int) -> str:
    return f"{kind.value}-{WEEKDAYS[weekday][:3]}"


def calendar_rows(trips: Sequence[Trip], calendar: ServiceCalendar | None) -> list[list[object]]:
    if calendar is None:
        return [[service_id(day), *[0] * 7, gtfs_date(day), gtfs_date(day)] for day in service_days(trips)]
    start = calendar.first_day or calendar.template_monday
    # open-ended: a year past the later of its start and the template week (a pattern that starts
    # after the template week must not end before it starts)
    end = calendar.last_day or max(start, calendar.template_monday) + timedelta(days=OPEN_END_DAYS)
    services = sorted({(trip.kind, service_day(trip).weekday()) for trip in trips}, key=lambda s: (s[1], s[0].value))
    return [
        [weekly_service_id(kind, weekday), *[int(day == weekday) for day in range(7)], gtfs_date(start), gtfs_date(end)]
        for kind, weekday in services
    ]


def calendar_date_rows(trips: Sequence[Trip], calendar: ServiceCalendar | None) -> list[list[object]]:
    if calendar is None:
        return [[service_id(day), gtfs_date(day), ADDED] for day in service_days(trips)]
    services = {(trip.kind, service_day(trip).weekday()) for trip in trips}
    rows: list[list[object]] = []
    for exception in sorted(calendar.exceptions, key=lambda e: e.day):
        for kind in sorted(exception.kinds or {kind for kind, _ in services}, key=lambda k: k.value):
            usual = exception.day.weekday()
            if (kind, usual) in services and exception.runs_as != usual:  # harmless on a day it does not run
                rows.append([weekly_service_id(kind, usual), gtfs_date(exception.day), REMOVED])
            if exception.runs_as is not None and (kind, exception.runs_as) in services and exception.runs_as != usual:
                rows.append([weekly_service_id(kind, exception.runs_as), gtfs_date(exception.day), ADDED])
    return rows


def stop_time_rows(trips: Iterable[Trip]) -> list[list[object]]:
    rows: list[list[object]] = []
    for trip in trips:
        day = service_day(trip)
        for sequence, stop in enumerate(trip.stops, start=1):
            moment = gtfs_time(day, stop.planned)
            rows.append([trip.id, moment, moment, stop.node_id, sequence])
    return rows


def service_day(trip: Trip) -> date:
    return trip.stops[0].planned.date()


def service_days(trips: Iterable[Trip]) -> list[date]:
    return sorted({service_day(trip) for trip in trips})


def service_id(day: date) -> str:
    return f"D{day:%Y%m%d}"


def gtfs_date(day: date) -> str:
    return f"{day:%Y%m%d}"


def gtfs_time(day: date, moment: datetime) -> str:
    """``HH:MM:SS`` counted from the service day's midnight (no daylight saving in China): 25:05:00 is
    01:05 the next morning."""
    seconds = int((moment - datetime.combine(day, datetime.min.time())).total_seconds())
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def write_table(path: Path, header: list[str], rows: Iterable[Sequence[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path
