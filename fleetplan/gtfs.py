"""The timetable as static GTFS (issue 16 §6): agency, stops, routes, trips, stop_times, calendar and
calendar_dates, so that any GTFS tool (a journey planner, a validator, the university's app) reads it.

- **stops** are the network nodes the trips stop at, with their names in Chinese and English;
- **routes** are one per trip kind and direction (first stop → last stop), ``route_type`` 3 (bus);
- **services**: each trip of the data runs on its own dated day, so there is one service per day,
  running on that date alone: a ``calendar.txt`` row with no weekday (its start and end the date) and a
  ``calendar_dates.txt`` row adding it (``exception_type`` 1);
- **stop_times** give each stop's planned time as both arrival and departure, ``HH:MM:SS`` from the
  service day's midnight (GTFS time; China keeps no daylight saving), so 00:10 the next day reads 24:10:00.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

from fleetplan.corridor import Corridor
from fleetplan.model import Trip, TripKind

AGENCY_ID = "fleetplan"
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
        "trips.txt": (["route_id", "service_id", "trip_id", "trip_headsign"], trip_rows(corridor, trips)),
        "stop_times.txt": (
            ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
            stop_time_rows(trips),
        ),
        "calendar.txt": (
            [
                "service_id",
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
                "start_date",
                "end_date",
            ],
            [[service_id(day), *[0] * 7, gtfs_date(day), gtfs_date(day)] for day in service_days(trips)],
        ),
        "calendar_dates.txt": (
            ["service_id", "date", "exception_type"],
            [[service_id(day), gtfs_date(day), 1] for day in service_days(trips)],
        ),
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


def trip_rows(corridor: Corridor, trips: Sequence[Trip]) -> list[list[object]]:
    graph = corridor.network.graph
    return [
        [route_id(t), service_id(service_day(t)), t.id, graph.nodes[t.stops[-1].node_id].get("name_zh", "")]
        for t in trips
    ]


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
