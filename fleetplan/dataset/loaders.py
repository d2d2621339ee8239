"""The CSV tables turned into domain objects, with the row checks that building them needs.

Each ``build_*`` takes a frame validated against its schema (:mod:`fleetplan.dataset.schemas`) and
returns the objects and the problems; a domain object's own validation error becomes a problem
naming the row and the column.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import pandas as pd

from fleetplan.contacts import Contact, ContactRole
from fleetplan.dataset.checks import (
    class_fit,
    day_matches,
    duplicates,
    duty_overlaps,
    seats_suffice,
    signed_drivers,
    stop_count,
    times_increase,
    trips_named_in,
    trips_with_broken_stops,
    unknown,
)
from fleetplan.dataset.rows import RawTables, records
from fleetplan.dataset.schemas import (
    CONTACTS,
    DRIVERS,
    DUTY_LOG,
    FIELD_COLUMNS,
    SITES,
    TRIP_STOPS,
    TRIPS,
    VEHICLES,
)
from fleetplan.errors import DataProblem, InvalidValueError
from fleetplan.model import (
    Activity,
    Driver,
    DutyInterval,
    LicenceClass,
    Site,
    SiteKind,
    Stop,
    Trip,
    TripKind,
    Vehicle,
    VehicleClass,
    VehicleStatus,
)
from fleetplan.units import parse_hhmm

T = TypeVar("T")


def build_sites(frame: pd.DataFrame) -> tuple[dict[str, Site], list[DataProblem]]:
    """Sites by id from the validated ``sites.csv`` frame, with duplicate and construction problems."""
    sites: dict[str, Site] = {}
    problems = duplicates(SITES, records(frame), "id")
    for row in records(frame):
        site = _construct(
            SITES,
            row,
            problems,
            lambda r: Site(
                id=r["id"],
                name=r["name"],
                name_zh=r["name_zh"] or "",
                kind=SiteKind(r["kind"]),
                node_id=r["node_id"],
                lat=float(r["lat"]),
                lon=float(r["lon"]),
            ),
        )
        if site is not None:
            sites.setdefault(site.id, site)
    return sites, problems


def build_vehicles(frame: pd.DataFrame, site_ids: set[str] | None) -> tuple[dict[str, Vehicle], list[DataProblem]]:
    """Vehicles by id; checks depots, duplicate ids and plates, and seats/length against the class."""
    vehicles: dict[str, Vehicle] = {}
    problems = duplicates(VEHICLES, records(frame), "id") + duplicates(VEHICLES, records(frame), "plate")
    problems += duplicates(VEHICLES, [r for r in records(frame) if r.get("terminal_phone")], "terminal_phone")
    for row in records(frame):
        problems += unknown(VEHICLES, row, "home_depot", site_ids, "depot")
        problems += class_fit(row)
        vehicle = _construct(
            VEHICLES,
            row,
            problems,
            lambda r: Vehicle(
                id=r["id"],
                plate=r["plate"],
                vehicle_class=VehicleClass(r["class"]),
                seats=int(r["seats"]),
                length_m=float(r["length_m"]),
                commissioned=date.fromisoformat(r["commissioned"]),
                home_depot=r["home_depot"],
                status=VehicleStatus(r["status"]),
                permit_valid_until=date.fromisoformat(r["permit_valid_until"]),
                terminal_phone=r.get("terminal_phone") or None,
            ),
        )
        if vehicle is not None:
            vehicles.setdefault(vehicle.id, vehicle)
    return vehicles, problems


def build_drivers(frame: pd.DataFrame, site_ids: set[str] | None) -> tuple[dict[str, Driver], list[DataProblem]]:
    """Drivers by id; checks depots and duplicate ids."""
    drivers: dict[str, Driver] = {}
    problems = duplicates(DRIVERS, records(frame), "id")
    for row in records(frame):
        problems += unknown(DRIVERS, row, "home_depot", site_ids, "depot")
        driver = _construct(
            DRIVERS,
            row,
            problems,
            lambda r: Driver(
                id=r["id"],
                name=r["name"],
                licence_class=LicenceClass(r["licence_class"]),
                licence_issued=date.fromisoformat(r["licence_issued"]),
                birth_date=date.fromisoformat(r["birth_date"]),
                qualified_until=date.fromisoformat(r["qualified_until"]) if r["qualified_until"] else None,
                home_depot=r["home_depot"],
                shift_start=parse_hhmm(r["shift_start"]),
                shift_end=parse_hhmm(r["shift_end"]),
                phone=r.get("phone") or None,
            ),
        )
        if driver is not None:
            drivers.setdefault(driver.id, driver)
    return drivers, problems


def build_contacts(frame: pd.DataFrame) -> tuple[tuple[Contact, ...], list[DataProblem]]:
    """Contacts in file order from the validated ``contacts.csv`` frame; duplicate ids are problems."""
    contacts: dict[str, Contact] = {}
    problems = duplicates(CONTACTS, records(frame), "id")
    for row in records(frame):
        contact = _construct(
            CONTACTS,
            row,
            problems,
            lambda r: Contact(
                id=r["id"],
                role=ContactRole(r["role"]),
                name=r["name"],
                name_zh=r["name_zh"] or "",
                phone=r["phone"],
                node_id=r["node_id"] or None,
            ),
        )
        if contact is not None:
            contacts.setdefault(contact.id, contact)
    return tuple(contacts.values()), problems


def build_duty_log(
    frame: pd.DataFrame, driver_ids: set[str] | None
) -> tuple[list[tuple[DutyInterval, int]], list[DataProblem]]:
    """Duty intervals with their file rows; checks drivers and that one driver's intervals do not overlap."""
    intervals: list[tuple[DutyInterval, int]] = []
    problems: list[DataProblem] = []
    for row in records(frame):
        problems += unknown(DUTY_LOG, row, "driver_id", driver_ids, "driver")
        interval = _construct(
            DUTY_LOG,
            row,
            problems,
            lambda r: DutyInterval(
                driver_id=r["driver_id"],
                start=datetime.fromisoformat(r["start"]),
                end=datetime.fromisoformat(r["end"]),
                activity=Activity(r["activity"]),
            ),
        )
        if interval is not None:
            intervals.append((interval, row["_row"]))
    return intervals, problems + duty_overlaps(intervals)


def build_trips(
    trips: pd.DataFrame, stops: pd.DataFrame, raw: RawTables, vehicles: dict[str, Vehicle]
) -> tuple[dict[str, tuple[Trip, int]], list[DataProblem]]:
    """Trips (with their ``trips.csv`` row) from the trips and stops tables, with every reference check."""
    stops_by_trip, problems = _group_stops(stops, raw.known(TRIPS))
    # trips whose stops are already reported: building them would report the same fault again
    incomplete = trips_with_broken_stops(stops, raw) | trips_named_in(problems, stops)
    vehicle_ids, driver_ids = raw.known(VEHICLES), raw.known(DRIVERS)
    stops_usable = len(stops.columns) > 0
    built: dict[str, tuple[Trip, int]] = {}
    problems += duplicates(TRIPS, records(trips), "id")
    for row in records(trips):
        problems += unknown(TRIPS, row, "vehicle_id", vehicle_ids, "vehicle")
        problems += unknown(TRIPS, row, "driver_id", driver_ids, "driver")
        problems += seats_suffice(row, vehicles)
        signed, found = signed_drivers(row, driver_ids)
        problems += found
        if row["id"] in incomplete or not stops_usable:
            continue  # its stop rows are already reported, or trip_stops.csv is unusable
        trip_stops = stops_by_trip.get(row["id"], [])
        too_few = stop_count(row, trip_stops)
        if too_few:
            problems += too_few
            continue
        problems += day_matches(row, trip_stops)

        # a typed def rather than a lambda: mypy cannot infer a lambda whose parameters have defaults
        def trip_of(
            r: dict[str, Any], stops: tuple[Stop, ...] = tuple(trip_stops), signed: tuple[str, ...] = signed
        ) -> Trip:
            return Trip(
                id=r["id"],
                kind=TripKind(r["kind"]),
                vehicle_id=r["vehicle_id"],
                driver_id=r["driver_id"],
                stops=stops,
                booked_passengers=int(r["booked_passengers"]),
                signed_driver_ids=signed,
            )

        trip = _construct(TRIPS, row, problems, trip_of)
        if trip is not None:
            built.setdefault(trip.id, (trip, row["_row"]))
    return built, problems


def _construct(
    file: str, row: dict[str, Any], problems: list[DataProblem], factory: Callable[[dict[str, Any]], T]
) -> T | None:
    """Build a domain object from ``row``; its validation error becomes a problem naming the row and column."""
    try:
        return factory(row)
    except InvalidValueError as error:
        problems.append(DataProblem(file, row["_row"], FIELD_COLUMNS.get(error.field, error.field), error.problem))
        return None


def _group_stops(stops: pd.DataFrame, trip_ids: set[str] | None) -> tuple[dict[str, list[Stop]], list[DataProblem]]:
    """Stops per trip in ``seq`` order; unknown trips, repeated ``seq`` and times that do not increase."""
    rows_by_trip: dict[str, list[dict[str, Any]]] = defaultdict(list)
    problems: list[DataProblem] = []
    for row in records(stops):
        problems += unknown(TRIP_STOPS, row, "trip_id", trip_ids, "trip")
        rows_by_trip[row["trip_id"]].append(row)
    grouped: dict[str, list[Stop]] = {}
    for trip_id, rows in rows_by_trip.items():
        rows.sort(key=lambda r: (r["seq"], r["_row"]))
        problems += duplicates(TRIP_STOPS, rows, "seq", f" of trip {trip_id}")
        problems += times_increase(trip_id, rows)
        grouped[trip_id] = [Stop(node_id=r["node_id"], planned=datetime.fromisoformat(r["planned"])) for r in rows]
    return grouped, problems
