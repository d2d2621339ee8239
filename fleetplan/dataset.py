"""Loading a data directory into a validated :class:`~fleetplan.model.Dataset`, reporting *every* problem.

A data directory holds six CSV tables and three TOML files (see ``data/default/README.md``)::

    sites.csv  vehicles.csv  drivers.csv  duty_log.csv  trips.csv  trip_stops.csv
    tiers.toml  policy.toml  conditions.toml

Validation runs in three layers and never stops at the first problem:

1. each CSV against its pandera schema (:func:`fleetplan.tables.read_table`): missing file or column,
   unreadable cells, values out of range; rows are numbered as in an editor (header = row 1);
2. cross-table checks: unknown depots, vehicles, drivers and trips, duplicate ids, booked passengers
   above the coach's seats, overlapping duty intervals, a driver or coach on two trips at once, stop
   times that do not increase, and the domain objects' own validation;
3. the TOML files: unknown or missing keys and bad values, named by their key path in ``column``.

References to an id whose own row is broken are not reported again: the broken row already is.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pandera.pandas as pa

from fleetplan.errors import DataProblem, DataValidationError, InvalidValueError
from fleetplan.model import (
    Activity,
    Conditions,
    Dataset,
    Driver,
    DrivingPolicy,
    DutyInterval,
    LicenceClass,
    OvernightRule,
    RoadClass,
    Site,
    SiteKind,
    Stop,
    Tier,
    TierPolicy,
    Trip,
    TripKind,
    Vehicle,
    VehicleClass,
    VehicleStatus,
    Weather,
)
from fleetplan.tables import read_table
from fleetplan.units import HOUR, KM, MINUTE, format_hhmm, parse_hhmm

T = TypeVar("T")

SITES = "sites.csv"
VEHICLES = "vehicles.csv"
DRIVERS = "drivers.csv"
DUTY_LOG = "duty_log.csv"
TRIPS = "trips.csv"
TRIP_STOPS = "trip_stops.csv"
TIERS = "tiers.toml"
POLICY = "policy.toml"
CONDITIONS = "conditions.toml"

SIGNED_SEPARATOR = ";"
ALL_ENTRANCES = "*"

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


# --------------------------------------------------------------------------- schemas
def _is_iso_date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return len(value) == 10  # YYYY-MM-DD only, not the compact or week forms


def _is_local_datetime(value: Any) -> bool:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return moment.tzinfo is None  # times are naive China-local (fleetplan.units)


def _is_hhmm(value: Any) -> bool:
    try:
        parse_hhmm(value)
    except (AttributeError, ValueError):
        return False
    return True


def _date_column(nullable: bool = False) -> pa.Column:
    return pa.Column(str, pa.Check(_is_iso_date, element_wise=True, error="must be a date YYYY-MM-DD"),
                     nullable=nullable)


def _datetime_column() -> pa.Column:
    return pa.Column(str, pa.Check(_is_local_datetime, element_wise=True,
                                   error="must be a local date and time YYYY-MM-DDTHH:MM without offset"))


def _clock_column() -> pa.Column:
    return pa.Column(str, pa.Check(_is_hhmm, element_wise=True, error="must be a time HH:MM"))


def _choice_column(choices: type[StrEnum]) -> pa.Column:
    values = [choice.value for choice in choices]
    return pa.Column(str, pa.Check.isin(values, error="must be one of " + ", ".join(values)))


def _id_column() -> pa.Column:
    return pa.Column(str, pa.Check.str_matches(r"^\S+$", error="must be an id without spaces"))


def _note_column() -> pa.Column:
    return pa.Column(str, nullable=True, required=False)


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    SITES: pa.DataFrameSchema({
        "id": _id_column(),
        "name": pa.Column(str),
        "name_zh": pa.Column(str, nullable=True),
        "kind": _choice_column(SiteKind),
        "node_id": _id_column(),
        "lat": pa.Column(float, pa.Check.in_range(-90, 90, error="must be a latitude (-90 to 90)"), coerce=True),
        "lon": pa.Column(float, pa.Check.in_range(-180, 180, error="must be a longitude (-180 to 180)"), coerce=True),
        "coord_tag": _note_column(),
    }),
    VEHICLES: pa.DataFrameSchema({
        "id": _id_column(),
        "plate": pa.Column(str),
        "class": _choice_column(VehicleClass),
        "seats": pa.Column(int, pa.Check.in_range(1, 70, error="must be between 1 and 70"), coerce=True),
        "length_m": pa.Column(float, pa.Check.in_range(3, 15, error="must be between 3 and 15 m"), coerce=True),
        "commissioned": _date_column(),
        "home_depot": _id_column(),
        "status": _choice_column(VehicleStatus),
        "permit_valid_until": _date_column(),
        "note": _note_column(),
    }),
    DRIVERS: pa.DataFrameSchema({
        "id": _id_column(),
        "name": pa.Column(str),
        "licence_class": _choice_column(LicenceClass),
        "licence_issued": _date_column(),
        "birth_date": _date_column(),
        "qualified_until": _date_column(nullable=True),
        "home_depot": _id_column(),
        "shift_start": _clock_column(),
        "shift_end": _clock_column(),
        "note": _note_column(),
    }),
    DUTY_LOG: pa.DataFrameSchema({
        "driver_id": _id_column(),
        "start": _datetime_column(),
        "end": _datetime_column(),
        "activity": _choice_column(Activity),
    }),
    TRIPS: pa.DataFrameSchema({
        "id": _id_column(),
        "day": _date_column(),
        "kind": _choice_column(TripKind),
        "vehicle_id": _id_column(),
        "driver_id": _id_column(),
        "booked_passengers": pa.Column(int, pa.Check.ge(0, error="must not be negative"), coerce=True),
        "signed_driver_ids": pa.Column(str, nullable=True, required=False),
        "note": _note_column(),
    }),
    TRIP_STOPS: pa.DataFrameSchema({
        "trip_id": _id_column(),
        "seq": pa.Column(int, pa.Check.ge(1, error="must be 1 or more"), coerce=True),
        "node_id": _id_column(),
        "planned": _datetime_column(),
    }),
}

# Domain-object fields whose CSV column has another name.
FIELD_COLUMNS = {"vehicle_class": "class", "stops": "id"}


# --------------------------------------------------------------------------- public API
def validate_dataset(directory: Path | str) -> list[DataProblem]:
    """Every problem of the dataset in ``directory``; empty when it loads cleanly.

    This is what ``fleetplan data validate DIR`` runs. It never raises for bad content.

    Parameters
    ----------
    directory
        A data directory with the CSV tables and TOML files listed in the module docstring.

    Returns
    -------
    list[DataProblem]
        Each with the file, the row as numbered in an editor (header = row 1; ``None`` for
        file-level and TOML problems), the column or TOML key path, and what is wrong.
    """
    return _load(Path(directory))[1]


def load_dataset(directory: Path | str) -> Dataset:
    """Load and validate the dataset in ``directory``.

    Parameters
    ----------
    directory
        A data directory (see :func:`validate_dataset`).

    Returns
    -------
    Dataset
        Immutable domain objects; ``source`` is the directory.

    Raises
    ------
    DataValidationError
        Carrying every problem found, not only the first.
    """
    dataset, problems = _load(Path(directory))
    if problems or dataset is None:
        raise DataValidationError(problems)
    return dataset


# --------------------------------------------------------------------------- orchestration
@dataclass(frozen=True)
class _RawTables:
    """Values of the id columns as written, broken rows included, to tell an unknown id from an
    id whose row is already reported. ``None`` when the file or column is missing."""

    directory: Path

    def values(self, file: str, column: str) -> list[str] | None:
        return _raw_column(self.directory / file, column)

    def known(self, file: str, column: str = "id") -> set[str] | None:
        values = self.values(file, column)
        return None if values is None else set(values)


def _load(directory: Path) -> tuple[Dataset | None, list[DataProblem]]:
    if not directory.is_dir():
        return None, [DataProblem(str(directory), None, None, "data directory is missing")]
    problems: list[DataProblem] = []
    frames: dict[str, pd.DataFrame] = {}
    for name, schema in SCHEMAS.items():
        frames[name], found = read_table(directory / name, schema)
        problems += found
    raw = _RawTables(directory)

    sites, found = build_sites(frames[SITES])
    problems += found
    vehicles, found = build_vehicles(frames[VEHICLES], raw.known(SITES))
    problems += found
    drivers, found = build_drivers(frames[DRIVERS], raw.known(SITES))
    problems += found
    duty_log, found = build_duty_log(frames[DUTY_LOG], raw.known(DRIVERS))
    problems += found
    trips, found = build_trips(frames[TRIPS], frames[TRIP_STOPS], raw, vehicles)
    problems += found
    problems += trip_conflicts(trips, duty_log)

    tier_policy, found = load_tier_policy(directory / TIERS)
    problems += found
    driving_policy, found = load_driving_policy(directory / POLICY)
    problems += found
    conditions, found = load_conditions(directory / CONDITIONS)
    problems += found
    if problems:
        return None, sorted(problems, key=_file_order)
    dataset = Dataset(
        sites=tuple(sites.values()),
        vehicles=tuple(vehicles.values()),
        drivers=tuple(drivers.values()),
        duty_log=tuple(interval for interval, _ in duty_log),
        trips=tuple(trip for trip, _ in trips.values()),
        tier_policy=tier_policy,
        driving_policy=driving_policy,
        conditions=conditions,
        source=str(directory),
    )
    return dataset, []


FILE_ORDER = [SITES, VEHICLES, DRIVERS, DUTY_LOG, TRIPS, TRIP_STOPS, TIERS, POLICY, CONDITIONS]


def _file_order(problem: DataProblem) -> tuple[int, int]:
    """Problems grouped by file in reading order, then by row (stable within a row)."""
    rank = FILE_ORDER.index(problem.file) if problem.file in FILE_ORDER else len(FILE_ORDER)
    return rank, problem.row or 0


# --------------------------------------------------------------------------- CSV tables → objects
def build_sites(frame: pd.DataFrame) -> tuple[dict[str, Site], list[DataProblem]]:
    """Sites by id from the validated ``sites.csv`` frame, with duplicate and construction problems."""
    sites: dict[str, Site] = {}
    problems = _duplicates(SITES, _records(frame), "id")
    for row in _records(frame):
        site = _construct(SITES, row, problems, lambda r=row: Site(
            id=r["id"], name=r["name"], name_zh=r["name_zh"] or "", kind=SiteKind(r["kind"]),
            node_id=r["node_id"], lat=float(r["lat"]), lon=float(r["lon"])))
        if site is not None:
            sites.setdefault(site.id, site)
    return sites, problems


def build_vehicles(frame: pd.DataFrame, site_ids: set[str] | None) -> tuple[dict[str, Vehicle], list[DataProblem]]:
    """Vehicles by id; checks depots, duplicate ids and plates, and seats/length against the class."""
    vehicles: dict[str, Vehicle] = {}
    problems = _duplicates(VEHICLES, _records(frame), "id") + _duplicates(VEHICLES, _records(frame), "plate")
    for row in _records(frame):
        problems += _unknown(VEHICLES, row, "home_depot", site_ids, "depot")
        problems += _class_fit(row)
        vehicle = _construct(VEHICLES, row, problems, lambda r=row: Vehicle(
            id=r["id"], plate=r["plate"], vehicle_class=VehicleClass(r["class"]), seats=int(r["seats"]),
            length_m=float(r["length_m"]), commissioned=date.fromisoformat(r["commissioned"]),
            home_depot=r["home_depot"], status=VehicleStatus(r["status"]),
            permit_valid_until=date.fromisoformat(r["permit_valid_until"])))
        if vehicle is not None:
            vehicles.setdefault(vehicle.id, vehicle)
    return vehicles, problems


def build_drivers(frame: pd.DataFrame, site_ids: set[str] | None) -> tuple[dict[str, Driver], list[DataProblem]]:
    """Drivers by id; checks depots and duplicate ids."""
    drivers: dict[str, Driver] = {}
    problems = _duplicates(DRIVERS, _records(frame), "id")
    for row in _records(frame):
        problems += _unknown(DRIVERS, row, "home_depot", site_ids, "depot")
        driver = _construct(DRIVERS, row, problems, lambda r=row: Driver(
            id=r["id"], name=r["name"], licence_class=LicenceClass(r["licence_class"]),
            licence_issued=date.fromisoformat(r["licence_issued"]), birth_date=date.fromisoformat(r["birth_date"]),
            qualified_until=date.fromisoformat(r["qualified_until"]) if r["qualified_until"] else None,
            home_depot=r["home_depot"], shift_start=parse_hhmm(r["shift_start"]),
            shift_end=parse_hhmm(r["shift_end"])))
        if driver is not None:
            drivers.setdefault(driver.id, driver)
    return drivers, problems


def build_duty_log(frame: pd.DataFrame,
                   driver_ids: set[str] | None) -> tuple[list[tuple[DutyInterval, int]], list[DataProblem]]:
    """Duty intervals with their file rows; checks drivers and that one driver's intervals do not overlap."""
    intervals: list[tuple[DutyInterval, int]] = []
    problems: list[DataProblem] = []
    for row in _records(frame):
        problems += _unknown(DUTY_LOG, row, "driver_id", driver_ids, "driver")
        interval = _construct(DUTY_LOG, row, problems, lambda r=row: DutyInterval(
            driver_id=r["driver_id"], start=datetime.fromisoformat(r["start"]),
            end=datetime.fromisoformat(r["end"]), activity=Activity(r["activity"])))
        if interval is not None:
            intervals.append((interval, row["_row"]))
    return intervals, problems + _duty_overlaps(intervals)


def build_trips(trips: pd.DataFrame, stops: pd.DataFrame, raw: _RawTables,
                vehicles: dict[str, Vehicle]) -> tuple[dict[str, tuple[Trip, int]], list[DataProblem]]:
    """Trips (with their ``trips.csv`` row) from the trips and stops tables, with every reference check."""
    stops_by_trip, problems = _group_stops(stops, raw.known(TRIPS))
    # trips whose stops are already reported: building them would report the same fault again
    incomplete = _trips_with_broken_stops(stops, raw) | _trips_named_in(problems, stops)
    vehicle_ids, driver_ids = raw.known(VEHICLES), raw.known(DRIVERS)
    stops_usable = len(stops.columns) > 0
    built: dict[str, tuple[Trip, int]] = {}
    problems += _duplicates(TRIPS, _records(trips), "id")
    for row in _records(trips):
        problems += _unknown(TRIPS, row, "vehicle_id", vehicle_ids, "vehicle")
        problems += _unknown(TRIPS, row, "driver_id", driver_ids, "driver")
        problems += _seats_suffice(row, vehicles)
        signed, found = _signed_drivers(row, driver_ids)
        problems += found
        if row["id"] in incomplete or not stops_usable:
            continue  # its stop rows are already reported, or trip_stops.csv is unusable
        trip_stops = stops_by_trip.get(row["id"], [])
        too_few = _stop_count(row, trip_stops)
        if too_few:
            problems += too_few
            continue
        problems += _day_matches(row, trip_stops)
        trip = _construct(TRIPS, row, problems, lambda r=row: Trip(
            id=r["id"], kind=TripKind(r["kind"]), vehicle_id=r["vehicle_id"], driver_id=r["driver_id"],
            stops=tuple(trip_stops), booked_passengers=int(r["booked_passengers"]), signed_driver_ids=signed))
        if trip is not None:
            built.setdefault(trip.id, (trip, row["_row"]))
    return built, problems


def trip_conflicts(trips: dict[str, tuple[Trip, int]],
                   duty_log: list[tuple[DutyInterval, int]]) -> list[DataProblem]:
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
                problems.append(DataProblem(
                    TRIPS, row, "driver_id",
                    f"driver {trip.driver_id} has a '{interval.activity}' interval in {DUTY_LOG} (row {log_row}, "
                    f"{_span(interval.start, interval.end)}) during this trip; the log must not repeat trips"))
    return problems


# --------------------------------------------------------------------------- cross-table helpers
def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts with ``None`` for empty cells (pandas uses NaN)."""
    if frame.empty:
        return []
    return [{key: (None if _is_missing(value) else value) for key, value in record.items()}
            for record in frame.to_dict("records")]


def _is_missing(value: Any) -> bool:
    return not isinstance(value, (str, list, tuple)) and bool(pd.isna(value))


def _construct(file: str, row: dict[str, Any], problems: list[DataProblem], factory: Callable[[], T]) -> T | None:
    """Build a domain object; its validation error becomes a problem naming the row and column."""
    try:
        return factory()
    except InvalidValueError as error:
        problems.append(DataProblem(file, row["_row"], FIELD_COLUMNS.get(error.field, error.field), error.problem))
        return None


def _duplicates(file: str, rows: list[dict[str, Any]], column: str, context: str = "") -> list[DataProblem]:
    """Every repeat of a value that must be unique, pointing back at its first row."""
    first_row: dict[Any, int] = {}
    problems = []
    for row in rows:
        value = row[column]
        if value in first_row:
            problems.append(DataProblem(file, row["_row"], column, f"{value!r} repeats row {first_row[value]}{context}"))
        else:
            first_row[value] = row["_row"]
    return problems


def _unknown(file: str, row: dict[str, Any], column: str, known: set[str] | None, kind: str) -> list[DataProblem]:
    if known is None or row[column] in known:
        return []  # the referenced table is missing: reported once, not on every row
    return [DataProblem(file, row["_row"], column, f"unknown {kind} {row[column]!r}{_hint(known)}")]


def _hint(known: Iterable[str]) -> str:
    names = sorted(known)
    if not names:
        return ""
    shown = ", ".join(names[:8]) + (f", … ({len(names)} in all)" if len(names) > 8 else "")
    return f" (known: {shown})"


def _class_fit(row: dict[str, Any]) -> list[DataProblem]:
    vehicle_class = VehicleClass(row["class"])
    problems = []
    low, high = CLASS_SEATS[vehicle_class]
    if not low <= row["seats"] <= high:
        problems.append(DataProblem(VEHICLES, row["_row"], "seats",
                                    f"{row['seats']} seats is outside {low}–{high} for class {vehicle_class}"))
    low_m, high_m = CLASS_LENGTH_M[vehicle_class]
    if not low_m <= row["length_m"] <= high_m:
        problems.append(DataProblem(VEHICLES, row["_row"], "length_m",
                                    f"{row['length_m']} m is outside {low_m}–{high_m} m for class {vehicle_class}"))
    return problems


def _duty_overlaps(intervals: list[tuple[DutyInterval, int]]) -> list[DataProblem]:
    problems = []
    by_driver: dict[str, list[tuple[DutyInterval, int]]] = defaultdict(list)
    for interval, row in intervals:
        by_driver[interval.driver_id].append((interval, row))
    for driver_id, own in by_driver.items():
        own.sort(key=lambda pair: (pair[0].start, pair[1]))
        latest, latest_row = own[0]
        for interval, row in own[1:]:
            if interval.start < latest.end:
                problems.append(DataProblem(
                    DUTY_LOG, row, "start",
                    f"driver {driver_id}: {_span(interval.start, interval.end)} overlaps row {latest_row} "
                    f"({_span(latest.start, latest.end)})"))
            if interval.end > latest.end:
                latest, latest_row = interval, row
    return sorted(problems, key=lambda p: p.row or 0)


def _group_stops(stops: pd.DataFrame, trip_ids: set[str] | None) -> tuple[dict[str, list[Stop]], list[DataProblem]]:
    """Stops per trip in ``seq`` order; unknown trips, repeated ``seq`` and times that do not increase."""
    rows_by_trip: dict[str, list[dict[str, Any]]] = defaultdict(list)
    problems: list[DataProblem] = []
    for row in _records(stops):
        problems += _unknown(TRIP_STOPS, row, "trip_id", trip_ids, "trip")
        rows_by_trip[row["trip_id"]].append(row)
    grouped: dict[str, list[Stop]] = {}
    for trip_id, rows in rows_by_trip.items():
        rows.sort(key=lambda r: (r["seq"], r["_row"]))
        problems += _duplicates(TRIP_STOPS, rows, "seq", f" of trip {trip_id}")
        problems += _times_increase(trip_id, rows)
        grouped[trip_id] = [Stop(node_id=r["node_id"], planned=datetime.fromisoformat(r["planned"])) for r in rows]
    return grouped, problems


def _times_increase(trip_id: str, rows: list[dict[str, Any]]) -> list[DataProblem]:
    problems = []
    for before, after in zip(rows, rows[1:]):
        if before["seq"] != after["seq"] and after["planned"] <= before["planned"]:
            problems.append(DataProblem(
                TRIP_STOPS, after["_row"], "planned",
                f"trip {trip_id}: stop {after['seq']} at {after['planned']} is not after stop {before['seq']} "
                f"at {before['planned']} (row {before['_row']})"))
    return problems


def _trips_with_broken_stops(stops: pd.DataFrame, raw: _RawTables) -> set[str]:
    """Trips that have stop rows which failed validation: building them would report the gap twice."""
    written = raw.values(TRIP_STOPS, "trip_id")
    if written is None:
        return set()
    valid = Counter(row["trip_id"] for row in _records(stops))
    return {trip_id for trip_id, count in Counter(written).items() if valid[trip_id] != count}


def _trips_named_in(problems: list[DataProblem], stops: pd.DataFrame) -> set[str]:
    trip_of_row = {row["_row"]: row["trip_id"] for row in _records(stops)}
    return {trip_of_row[p.row] for p in problems if p.column != "trip_id" and p.row in trip_of_row}


def _signed_drivers(row: dict[str, Any], driver_ids: set[str] | None) -> tuple[tuple[str, ...], list[DataProblem]]:
    text = row.get("signed_driver_ids") or ""
    signed = tuple(part.strip() for part in text.split(SIGNED_SEPARATOR) if part.strip())
    problems = []
    for driver_id in signed:
        if driver_ids is not None and driver_id not in driver_ids:
            problems.append(DataProblem(TRIPS, row["_row"], "signed_driver_ids",
                                        f"unknown driver {driver_id!r} on the charter sign"))
    if signed and row["driver_id"] not in signed:
        problems.append(DataProblem(TRIPS, row["_row"], "signed_driver_ids",
                                    f"the trip's driver {row['driver_id']} is not on the charter sign ({text})"))
    return signed, problems


def _stop_count(row: dict[str, Any], stops: list[Stop]) -> list[DataProblem]:
    if len(stops) >= 2:
        return []
    return [DataProblem(TRIPS, row["_row"], "id",
                        f"trip {row['id']} has {len(stops)} stop(s) in {TRIP_STOPS}; it needs at least two")]


def _day_matches(row: dict[str, Any], stops: list[Stop]) -> list[DataProblem]:
    departure = stops[0].planned
    if departure.date().isoformat() == row["day"]:
        return []
    return [DataProblem(TRIPS, row["_row"], "day",
                        f"{row['day']} is not the day of the first stop ({departure.isoformat(timespec='minutes')})")]


def _seats_suffice(row: dict[str, Any], vehicles: dict[str, Vehicle]) -> list[DataProblem]:
    vehicle = vehicles.get(row["vehicle_id"])
    if vehicle is None or row["booked_passengers"] <= vehicle.seats:
        return []
    return [DataProblem(TRIPS, row["_row"], "booked_passengers",
                        f"{row['booked_passengers']} booked but coach {vehicle.id} has {vehicle.seats} seats "
                        "(no standees on highway coaches)")]


def _double_bookings(trips: dict[str, tuple[Trip, int]], resource: Callable[[Trip], str],
                     column: str, kind: str) -> list[DataProblem]:
    problems = []
    by_resource: dict[str, list[tuple[Trip, int]]] = defaultdict(list)
    for trip, row in trips.values():
        by_resource[resource(trip)].append((trip, row))
    for resource_id, own in by_resource.items():
        own.sort(key=lambda pair: (pair[0].departure, pair[1]))
        for (before, _), (trip, row) in zip(own, own[1:]):
            if trip.departure < before.arrival:
                problems.append(DataProblem(
                    TRIPS, row, column,
                    f"{kind} {resource_id} is also on trip {before.id} ({_span(before.departure, before.arrival)})"))
    return problems


def _span(start: datetime, end: datetime) -> str:
    if start.date() == end.date():
        return f"{start:%Y-%m-%d} {format_hhmm(start)}–{format_hhmm(end)}"
    return f"{start.isoformat(timespec='minutes')} to {end.isoformat(timespec='minutes')}"


# --------------------------------------------------------------------------- raw CSV reading
def _raw_table(path: Path) -> tuple[list[str], list[list[str]]] | None:
    """Header and rows of a CSV as written, comment lines skipped; ``None`` if it cannot be read."""
    if not path.is_file():
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    kept = [line for number, line in enumerate(lines) if number == 0 or not line.lstrip().startswith("#")]
    reader = csv.reader(io.StringIO("\n".join(kept)))
    header = [name.strip() for name in next(reader, [])]
    return header, [cells for cells in reader if cells]


def _raw_column(path: Path, column: str) -> list[str] | None:
    """The non-empty values of ``column`` as written; ``None`` if the file or column is unusable."""
    table = _raw_table(path)
    if table is None or column not in table[0]:
        return None
    index = table[0].index(column)
    return [cells[index].strip() for cells in table[1] if len(cells) > index and cells[index].strip()]


# --------------------------------------------------------------------------- TOML files
_REQUIRED = object()


@dataclass
class _TomlReader:
    """Reads typed values from a parsed TOML file, collecting a problem for each bad or missing key."""

    file: str
    problems: list[DataProblem] = field(default_factory=list)

    def problem(self, key_path: str | None, message: str) -> None:
        self.problems.append(DataProblem(self.file, None, key_path, message))

    def table(self, data: dict[str, Any], key: str, prefix: str = "", required: bool = True) -> dict[str, Any] | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(prefix + key, "table is missing")
            return None
        if not isinstance(value, dict):
            self.problem(prefix + key, f"must be a table, not {_toml_type(value)}")
            return None
        return value

    def number(self, data: dict[str, Any], key: str, prefix: str = "", default: Any = _REQUIRED,
               minimum: float | None = None, whole: bool = False) -> float | None:
        if key not in data:
            return self._absent(key, prefix, default)
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and not isinstance(value, int)):
            self.problem(prefix + key, f"must be a {'whole number' if whole else 'number'}, not {value!r}")
            return None
        if minimum is not None and value < minimum:
            self.problem(prefix + key, f"must be at least {minimum}, not {value!r}")
            return None
        return value

    def text(self, data: dict[str, Any], key: str, prefix: str = "", default: Any = _REQUIRED) -> str | None:
        if key not in data:
            return self._absent(key, prefix, default)
        value = data[key]
        if not isinstance(value, str):
            self.problem(prefix + key, f"must be text, not {value!r}")
            return None
        return value

    def clock(self, data: dict[str, Any], key: str, prefix: str = "", default: Any = _REQUIRED) -> time | None:
        if key not in data:
            return self._absent(key, prefix, default)
        value = self.text(data, key, prefix)
        if value is None:
            return None
        try:
            return parse_hhmm(value)
        except ValueError as error:
            self.problem(prefix + key, str(error))
            return None

    def choice(self, data: dict[str, Any], key: str, choices: type[StrEnum], prefix: str = "",
               default: Any = _REQUIRED) -> Any:
        if key not in data:
            return self._absent(key, prefix, default)
        value = self.text(data, key, prefix)
        if value is None:
            return None
        try:
            return choices(value)
        except ValueError:
            self.problem(prefix + key, f"{value!r} is not one of {', '.join(c.value for c in choices)}")
            return None

    def _absent(self, key: str, prefix: str, default: Any) -> Any:
        if default is _REQUIRED:
            self.problem(prefix + key, "key is missing")
            return None
        return default

    def no_other_keys(self, data: dict[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
        allowed = list(allowed)
        for key in data:
            if key not in allowed:
                self.problem(prefix + key, f"unknown key; expected one of {', '.join(allowed)}")


def _toml_type(value: Any) -> str:
    return {str: "text", int: "a number", float: "a number", bool: "true/false", list: "a list"}.get(
        type(value), type(value).__name__)


def _read_toml(path: Path) -> tuple[dict[str, Any] | None, list[DataProblem]]:
    if not path.is_file():
        return None, [DataProblem(path.name, None, None, "file is missing")]
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), []
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return None, [DataProblem(path.name, None, None, f"is not valid TOML: {error}")]


TIER_NAMES = ("city", "near_backup", "corridor", "pre_departure")
TIER_KEYS = ("limit_min", "late_penalty_per_min", "description")
TIER_POLICY_KEYS = {"city_radius_km": "city_radius_m", "near_backup_radius_km": "near_backup_radius_m",
                    "escalation_after_min": "escalation_after_s"}


def load_tier_policy(path: Path) -> tuple[TierPolicy | None, list[DataProblem]]:
    """The response-time tiers from ``tiers.toml``: four tier tables and three optional distances/times.

    Returns the policy (``None`` on problems) and the problems, each naming its key path.
    """
    data, problems = _read_toml(path)
    if data is None:
        return None, problems
    reader = _TomlReader(path.name)
    reader.no_other_keys(data, [*TIER_POLICY_KEYS, *TIER_NAMES])
    tiers = {name: _tier(reader, data, name) for name in TIER_NAMES}
    city_km = reader.number(data, "city_radius_km", default=_default(TierPolicy, "city_radius_m") / KM, minimum=0)
    near_km = reader.number(data, "near_backup_radius_km", default=_default(TierPolicy, "near_backup_radius_m") / KM,
                            minimum=0)
    escalation_min = reader.number(data, "escalation_after_min",
                                   default=_default(TierPolicy, "escalation_after_s") / MINUTE, minimum=0)
    if reader.problems or None in tiers.values():
        return None, reader.problems
    policy = _construct_toml(reader, {field_: key for key, field_ in TIER_POLICY_KEYS.items()}, lambda: TierPolicy(
        **tiers, city_radius_m=round(city_km * KM), near_backup_radius_m=round(near_km * KM),
        escalation_after_s=round(escalation_min * MINUTE)))
    return policy, reader.problems


def _default(cls: type, name: str) -> Any:
    return next(f.default for f in fields(cls) if f.name == name)


def _tier(reader: _TomlReader, data: dict[str, Any], name: str) -> Tier | None:
    table = reader.table(data, name)
    if table is None:
        return None
    prefix = f"{name}."
    before = len(reader.problems)
    reader.no_other_keys(table, TIER_KEYS, prefix)
    limit_min = reader.number(table, "limit_min", prefix)
    if limit_min is not None and limit_min <= 0:
        reader.problem(prefix + "limit_min", f"must be positive, not {limit_min!r}")
    penalty = reader.number(table, "late_penalty_per_min", prefix, minimum=0, whole=True)
    description = reader.text(table, "description", prefix, default="")
    if len(reader.problems) > before:
        return None
    return _construct_toml(reader, {"limit_s": "limit_min"}, lambda: Tier(
        name=name, limit_s=round(limit_min * MINUTE), late_penalty_per_min=penalty, description=description),
        prefix=prefix)


# key in policy.toml → (DrivingPolicy field, how to read it)
_Reader = Callable[[_TomlReader, dict[str, Any], str, Any], Any]


def _duration(unit_s: int) -> _Reader:
    def read(reader: _TomlReader, data: dict[str, Any], key: str, default: Any) -> Any:
        value = reader.number(data, key, default=default / unit_s, minimum=0)
        return None if value is None else round(value * unit_s)
    return read


def _whole(reader: _TomlReader, data: dict[str, Any], key: str, default: Any) -> Any:
    return reader.number(data, key, default=default, minimum=0, whole=True)


def _clock(reader: _TomlReader, data: dict[str, Any], key: str, default: Any) -> Any:
    return reader.clock(data, key, default=default)


def _overnight(reader: _TomlReader, data: dict[str, Any], key: str, default: Any) -> Any:
    return reader.choice(data, key, OvernightRule, default=default)


POLICY_KEYS: dict[str, tuple[str, _Reader]] = {
    "day_continuous_max_h": ("day_continuous_max_s", _duration(HOUR)),
    "night_continuous_max_h": ("night_continuous_max_s", _duration(HOUR)),
    "min_rest_min": ("min_rest_s", _duration(MINUTE)),
    "max_driving_24h_h": ("max_driving_24h_s", _duration(HOUR)),
    "max_driving_7d_h": ("max_driving_7d_s", _duration(HOUR)),
    "night_start": ("night_start", _clock),
    "night_end": ("night_end", _clock),
    "overnight_rule": ("overnight_rule", _overnight),
    "overnight_stop_start": ("overnight_stop_start", _clock),
    "overnight_stop_end": ("overnight_stop_end", _clock),
    "max_driver_age": ("max_driver_age", _whole),
    "probation_months": ("probation_months", _whole),
    "charter_sign_filing_delay_min": ("charter_sign_filing_delay_s", _duration(MINUTE)),
}


def load_driving_policy(path: Path) -> tuple[DrivingPolicy | None, list[DataProblem]]:
    """The driving-time rules from ``policy.toml``; a key left out keeps the regulation default of
    :class:`~fleetplan.model.DrivingPolicy`, an unknown key is a problem (it is usually a typo)."""
    data, problems = _read_toml(path)
    if data is None:
        return None, problems
    reader = _TomlReader(path.name)
    reader.no_other_keys(data, POLICY_KEYS)
    defaults = DrivingPolicy()
    values = {field_: read(reader, data, key, getattr(defaults, field_)) for key, (field_, read) in POLICY_KEYS.items()}
    if reader.problems:
        return None, reader.problems
    policy = _construct_toml(reader, {field_: key for key, (field_, _) in POLICY_KEYS.items()},
                             lambda: DrivingPolicy(**values))
    return policy, reader.problems


CONDITION_KEYS = ("description", "weather", "closed_entrances", "closed_edges")


def load_conditions(path: Path) -> tuple[tuple[Conditions, ...], list[DataProblem]]:
    """The condition presets of ``conditions.toml``: one table per preset, named by its key."""
    data, problems = _read_toml(path)
    if data is None:
        return (), problems
    reader = _TomlReader(path.name)
    if not data:
        reader.problem(None, "no condition presets")
    presets = [_preset(reader, data, name) for name in data]
    return tuple(p for p in presets if p is not None), reader.problems


def _preset(reader: _TomlReader, data: dict[str, Any], name: str) -> Conditions | None:
    table = reader.table(data, name)
    if table is None:
        return None
    prefix = f"{name}."
    before = len(reader.problems)
    reader.no_other_keys(table, CONDITION_KEYS, prefix)
    description = reader.text(table, "description", prefix, default="")
    weather = _weather(reader, table, prefix)
    entrances = _text_list(reader, table, "closed_entrances", prefix)
    edges = _edge_list(reader, table, prefix)
    if len(reader.problems) > before:
        return None
    return _construct_toml(reader, {}, lambda: Conditions(
        name=name, weather=weather, closed_edges=frozenset(edges), closed_entrances=frozenset(entrances),
        description=description), prefix=prefix)


def _weather(reader: _TomlReader, table: dict[str, Any], prefix: str) -> tuple[tuple[RoadClass, Weather], ...]:
    weather_table = reader.table(table, "weather", prefix, required=False) or {}
    pairs = []
    for road in weather_table:
        key_path = f"{prefix}weather.{road}"
        try:
            road_class = RoadClass(road)
        except ValueError:
            reader.problem(key_path, f"unknown road class; expected one of {', '.join(c.value for c in RoadClass)}")
            continue
        value = reader.choice(weather_table, road, Weather, prefix=f"{prefix}weather.")
        if value is not None:
            pairs.append((road_class, value))
    return tuple(pairs)


def _text_list(reader: _TomlReader, table: dict[str, Any], key: str, prefix: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        reader.problem(prefix + key, f"must be a list of node ids (or [\"{ALL_ENTRANCES}\"]), not {value!r}")
        return []
    return value


def _edge_list(reader: _TomlReader, table: dict[str, Any], prefix: str) -> list[tuple[str, str]]:
    value = table.get("closed_edges", [])
    pairs_ok = isinstance(value, list) and all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(node, str) and node for node in pair)
        for pair in value)
    if not pairs_ok:
        reader.problem(prefix + "closed_edges", f"must be a list of [from, to] node-id pairs, not {value!r}")
        return []
    return [(pair[0], pair[1]) for pair in value]


def _construct_toml(reader: _TomlReader, field_keys: dict[str, str], factory: Callable[[], T],
                    prefix: str = "") -> T | None:
    try:
        return factory()
    except InvalidValueError as error:
        reader.problem(prefix + field_keys.get(error.field, error.field), error.problem)
        return None
