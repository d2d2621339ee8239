"""Cross-table checks: unknown and duplicate ids, values that do not fit, and conflicts between rows.

Unknown depots, vehicles, drivers and trips; duplicate ids; seats and lengths outside the coach's
class; booked passengers above the seats; overlapping duty intervals; a driver or coach on two trips
at once; stop times that do not increase. Each check returns :class:`~fleetplan.errors.DataProblem`
items naming the file, row and column.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import pandas as pd

from fleetplan.dataset.rows import RawTables, records
from fleetplan.dataset.schemas import (
    DUTY_LOG,
    SIGNED_SEPARATOR,
    TRIP_STOPS,
    TRIPS,
    VEHICLES,
)
from fleetplan.errors import DataProblem
from fleetplan.model import DutyInterval, Stop, Trip, Vehicle, VehicleClass
from fleetplan.tables import clip, shown
from fleetplan.units import format_hhmm

# Seats and lengths of the fleet's size classes (DESIGN §2.3); a value outside its class is
# almost always a swapped column or a wrong class, so it is reported.
CLASS_SEATS = {
    VehicleClass.COACH_12M: (49, 55),
    VehicleClass.COACH_10M: (39, 47),
    VehicleClass.COACH_8M: (24, 37),
    VehicleClass.MINIBUS_7M: (10, 23),
}
CLASS_LENGTH_M = {
    VehicleClass.COACH_12M: (11.0, 13.7),
    VehicleClass.COACH_10M: (9.5, 11.0),
    VehicleClass.COACH_8M: (7.5, 9.5),
    VehicleClass.MINIBUS_7M: (6.0, 7.5),
}


def trip_conflicts(trips: dict[str, tuple[Trip, int]], duty_log: list[tuple[DutyInterval, int]]) -> list[DataProblem]:
    """A driver or coach on two trips at once, and trips overlapping their driver's duty log
    (the log must not repeat timetable trips, or their driving would count twice)."""
    problems = _double_bookings(trips, lambda trip: trip.driver_id, "driver_id", "driver")
    problems += _double_bookings(trips, lambda trip: trip.vehicle_id, "vehicle_id", "coach")
    by_driver: dict[str, list[tuple[DutyInterval, int]]] = defaultdict(list)
    for interval, row in duty_log:
        by_driver[interval.driver_id].append((interval, row))
    for trip, row in trips.values():
        for interval, log_row in by_driver.get(trip.driver_id, []):
            if interval.start < trip.arrival and trip.departure < interval.end:
                problems.append(
                    DataProblem(
                        TRIPS,
                        row,
                        "driver_id",
                        f"driver {trip.driver_id} has a '{interval.activity}' interval in {DUTY_LOG} (row {log_row}, "
                        f"{_span(interval.start, interval.end)}) during this trip; the log must not repeat trips",
                    )
                )
    return problems


def duplicates(file: str, rows: list[dict[str, Any]], column: str, context: str = "") -> list[DataProblem]:
    """Every repeat of a value that must be unique, pointing back at its first row."""
    first_row: dict[Any, int] = {}
    problems = []
    for row in rows:
        value = row[column]
        if value in first_row:
            problems.append(
                DataProblem(file, row["_row"], column, f"{shown(value)} repeats row {first_row[value]}{context}")
            )
        else:
            first_row[value] = row["_row"]
    return problems


def unknown(file: str, row: dict[str, Any], column: str, known: set[str] | None, kind: str) -> list[DataProblem]:
    """The row's ``column`` names an id missing from ``known`` (``None``: that table is unusable)."""
    if known is None or row[column] in known:
        return []  # the referenced table is missing: reported once, not on every row
    return [DataProblem(file, row["_row"], column, f"unknown {kind} {shown(row[column])}{_hint(known)}")]


def _hint(known: Iterable[str]) -> str:
    names = sorted(known)
    if not names:
        return ""
    listed = ", ".join(clip(name) for name in names[:8]) + (f", … ({len(names)} in all)" if len(names) > 8 else "")
    return f" (known: {listed})"


def class_fit(row: dict[str, Any]) -> list[DataProblem]:
    """A ``vehicles.csv`` row's seats and length against the ranges of its class."""
    vehicle_class = VehicleClass(row["class"])
    problems = []
    low, high = CLASS_SEATS[vehicle_class]
    if not low <= row["seats"] <= high:
        problems.append(
            DataProblem(
                VEHICLES,
                row["_row"],
                "seats",
                f"{row['seats']} seats is outside {low}–{high} for class {vehicle_class}",
            )
        )
    low_m, high_m = CLASS_LENGTH_M[vehicle_class]
    if not low_m <= row["length_m"] <= high_m:
        problems.append(
            DataProblem(
                VEHICLES,
                row["_row"],
                "length_m",
                f"{row['length_m']} m is outside {low_m}–{high_m} m for class {vehicle_class}",
            )
        )
    return problems


def duty_overlaps(intervals: list[tuple[DutyInterval, int]]) -> list[DataProblem]:
    """Duty intervals of one driver that overlap an earlier one, by row."""
    problems = []
    by_driver: dict[str, list[tuple[DutyInterval, int]]] = defaultdict(list)
    for interval, row in intervals:
        by_driver[interval.driver_id].append((interval, row))
    for driver_id, own in by_driver.items():
        own.sort(key=lambda pair: (pair[0].start, pair[1]))
        latest, latest_row = own[0]
        for interval, row in own[1:]:
            if interval.start < latest.end:
                problems.append(
                    DataProblem(
                        DUTY_LOG,
                        row,
                        "start",
                        f"driver {driver_id}: {_span(interval.start, interval.end)} overlaps row {latest_row} "
                        f"({_span(latest.start, latest.end)})",
                    )
                )
            if interval.end > latest.end:
                latest, latest_row = interval, row
    return sorted(problems, key=lambda p: p.row or 0)


def times_increase(trip_id: str, rows: list[dict[str, Any]]) -> list[DataProblem]:
    """Stops of a trip (sorted by ``seq``) whose planned time is not after the previous stop's."""
    problems = []
    for before, after in zip(rows, rows[1:]):
        if before["seq"] != after["seq"] and after["planned"] <= before["planned"]:
            problems.append(
                DataProblem(
                    TRIP_STOPS,
                    after["_row"],
                    "planned",
                    f"trip {trip_id}: stop {after['seq']} at {after['planned']} is not after stop {before['seq']} "
                    f"at {before['planned']} (row {before['_row']})",
                )
            )
    return problems


def trips_with_broken_stops(stops: pd.DataFrame, raw: RawTables) -> set[str]:
    """Trips that have stop rows which failed validation: building them would report the gap twice."""
    written = raw.values(TRIP_STOPS, "trip_id")
    if written is None:
        return set()
    valid = Counter(row["trip_id"] for row in records(stops))
    return {trip_id for trip_id, count in Counter(written).items() if valid[trip_id] != count}


def trips_named_in(problems: list[DataProblem], stops: pd.DataFrame) -> set[str]:
    """Trips whose stop rows already have a problem (other than an unknown trip)."""
    trip_of_row = {row["_row"]: row["trip_id"] for row in records(stops)}
    return {trip_of_row[p.row] for p in problems if p.column != "trip_id" and p.row in trip_of_row}


def signed_drivers(row: dict[str, Any], driver_ids: set[str] | None) -> tuple[tuple[str, ...], list[DataProblem]]:
    """The drivers on a trip's charter sign, with unknown drivers and a trip driver missing from it."""
    text = row.get("signed_driver_ids") or ""
    signed = tuple(part.strip() for part in text.split(SIGNED_SEPARATOR) if part.strip())
    problems = []
    for driver_id in signed:
        if driver_ids is not None and driver_id not in driver_ids:
            problems.append(
                DataProblem(
                    TRIPS, row["_row"], "signed_driver_ids", f"unknown driver {shown(driver_id)} on the charter sign"
                )
            )
    if signed and row["driver_id"] not in signed:
        problems.append(
            DataProblem(
                TRIPS,
                row["_row"],
                "signed_driver_ids",
                f"the trip's driver {row['driver_id']} is not on the charter sign ({clip(text)})",
            )
        )
    return signed, problems


def stop_count(row: dict[str, Any], stops: list[Stop]) -> list[DataProblem]:
    """A trip needs at least two stops."""
    if len(stops) >= 2:
        return []
    return [
        DataProblem(
            TRIPS,
            row["_row"],
            "id",
            f"trip {row['id']} has {len(stops)} stop(s) in {TRIP_STOPS}; it needs at least two",
        )
    ]


def day_matches(row: dict[str, Any], stops: list[Stop]) -> list[DataProblem]:
    """A trip's ``day`` must be the day of its first stop."""
    departure = stops[0].planned
    if departure.date().isoformat() == row["day"]:
        return []
    return [
        DataProblem(
            TRIPS,
            row["_row"],
            "day",
            f"{row['day']} is not the day of the first stop ({departure.isoformat(timespec='minutes')})",
        )
    ]


def seats_suffice(row: dict[str, Any], vehicles: dict[str, Vehicle]) -> list[DataProblem]:
    """Booked passengers must fit the coach's seats."""
    vehicle = vehicles.get(row["vehicle_id"])
    if vehicle is None or row["booked_passengers"] <= vehicle.seats:
        return []
    return [
        DataProblem(
            TRIPS,
            row["_row"],
            "booked_passengers",
            f"{row['booked_passengers']} booked but coach {vehicle.id} has {vehicle.seats} seats "
            "(no standees on highway coaches)",
        )
    ]


def _double_bookings(
    trips: dict[str, tuple[Trip, int]], resource: Callable[[Trip], str], column: str, kind: str
) -> list[DataProblem]:
    problems = []
    by_resource: dict[str, list[tuple[Trip, int]]] = defaultdict(list)
    for trip, row in trips.values():
        by_resource[resource(trip)].append((trip, row))
    for resource_id, own in by_resource.items():
        own.sort(key=lambda pair: (pair[0].departure, pair[1]))
        for (before, _), (trip, row) in zip(own, own[1:]):
            if trip.departure < before.arrival:
                problems.append(
                    DataProblem(
                        TRIPS,
                        row,
                        column,
                        f"{kind} {resource_id} is also on trip {before.id} ({_span(before.departure, before.arrival)})",
                    )
                )
    return problems


def _span(start: datetime, end: datetime) -> str:
    if start.date() == end.date():
        return f"{start:%Y-%m-%d} {format_hhmm(start)}–{format_hhmm(end)}"
    return f"{start.isoformat(timespec='minutes')} to {end.isoformat(timespec='minutes')}"
