"""The data directory's files and the pandera schemas of its CSV tables, with their column helpers.

Each CSV is read against its schema by :func:`fleetplan.tables.read_table`: missing file or column,
unreadable cells and values out of range are problems of that file, row and column.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import pandera.pandas as pa

from fleetplan.contacts import ContactRole
from fleetplan.errors import PHONE_CHARS
from fleetplan.model import (
    Activity,
    LicenceClass,
    SiteKind,
    TripKind,
    VehicleClass,
    VehicleStatus,
)
from fleetplan.units import parse_hhmm

SITES = "sites.csv"
VEHICLES = "vehicles.csv"
DRIVERS = "drivers.csv"
DUTY_LOG = "duty_log.csv"
TRIPS = "trips.csv"
TRIP_STOPS = "trip_stops.csv"
TIERS = "tiers.toml"
POLICY = "policy.toml"
CONDITIONS = "conditions.toml"
CONTACTS = "contacts.csv"  # optional: read only when present

SIGNED_SEPARATOR = ";"


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


# Duty and timetable times lie in this window: one far outside it is a typo, and the rules' arithmetic
# (a week back, a day ahead) would overflow at the ends of the calendar.
TIMES_FROM_YEAR, TIMES_TO_YEAR = 2000, 2199


def _in_time_window(value: Any) -> bool:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return True  # not a date and time at all: the format check reports it
    return TIMES_FROM_YEAR <= moment.year <= TIMES_TO_YEAR


def _is_hhmm(value: Any) -> bool:
    try:
        parse_hhmm(value)
    except (AttributeError, ValueError):
        return False
    return True


def _date_column(nullable: bool = False) -> pa.Column:
    return pa.Column(
        str, pa.Check(_is_iso_date, element_wise=True, error="must be a date YYYY-MM-DD"), nullable=nullable
    )


def _datetime_column() -> pa.Column:
    return pa.Column(
        str,
        [
            pa.Check(
                _is_local_datetime,
                element_wise=True,
                error="must be a local date and time YYYY-MM-DDTHH:MM without offset",
            ),
            pa.Check(
                _in_time_window, element_wise=True, error=f"must lie in the years {TIMES_FROM_YEAR}–{TIMES_TO_YEAR}"
            ),
        ],
    )


def _clock_column() -> pa.Column:
    return pa.Column(str, pa.Check(_is_hhmm, element_wise=True, error="must be a time HH:MM"))


def _choice_column(choices: type[StrEnum]) -> pa.Column:
    values = [choice.value for choice in choices]
    return pa.Column(str, pa.Check.isin(values, error="must be one of " + ", ".join(values)))


MAX_ID_CHARS = 64


def _id_column() -> pa.Column:
    return pa.Column(
        str,
        [
            pa.Check.str_matches(r"^\S+$", error="must be an id without spaces"),
            pa.Check.str_length(max_value=MAX_ID_CHARS, error=f"must be an id of at most {MAX_ID_CHARS} characters"),
        ],
    )


def _note_column() -> pa.Column:
    return pa.Column(str, nullable=True, required=False)


def _phone_column(required: bool = True) -> pa.Column:
    low, high = PHONE_CHARS
    return pa.Column(
        str,
        pa.Check.str_matches(
            rf"^(?=.{{{low},{high}}}$)\+?[0-9]+$",  # the look-ahead bounds the length, + included
            error=f"must be a phone number: digits with an optional leading +, {low} to {high} characters",
        ),
        nullable=not required,
        required=required,
    )


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    SITES: pa.DataFrameSchema(
        {
            "id": _id_column(),
            "name": pa.Column(str),
            "name_zh": pa.Column(str, nullable=True),
            "kind": _choice_column(SiteKind),
            "node_id": _id_column(),
            "lat": pa.Column(float, pa.Check.in_range(-90, 90, error="must be a latitude (-90 to 90)"), coerce=True),
            "lon": pa.Column(
                float, pa.Check.in_range(-180, 180, error="must be a longitude (-180 to 180)"), coerce=True
            ),
            "coord_tag": _note_column(),
        }
    ),
    VEHICLES: pa.DataFrameSchema(
        {
            "id": _id_column(),
            "plate": pa.Column(str),
            "class": _choice_column(VehicleClass),
            "seats": pa.Column(int, pa.Check.in_range(1, 70, error="must be between 1 and 70"), coerce=True),
            "length_m": pa.Column(float, pa.Check.in_range(3, 15, error="must be between 3 and 15 m"), coerce=True),
            "commissioned": _date_column(),
            "home_depot": _id_column(),
            "status": _choice_column(VehicleStatus),
            "permit_valid_until": _date_column(),
            # the SIM number of its positioning terminal (JT/T 808 sends it as BCD, at most 20 digits)
            "terminal_phone": pa.Column(
                str,
                pa.Check.str_matches(r"^[0-9]{1,20}$", error="must be 1 to 20 digits"),
                nullable=True,
                required=False,
            ),
            "note": _note_column(),
        }
    ),
    DRIVERS: pa.DataFrameSchema(
        {
            "id": _id_column(),
            "name": pa.Column(str),
            "licence_class": _choice_column(LicenceClass),
            "licence_issued": _date_column(),
            "birth_date": _date_column(),
            "qualified_until": _date_column(nullable=True),
            "home_depot": _id_column(),
            "shift_start": _clock_column(),
            "shift_end": _clock_column(),
            "phone": _phone_column(required=False),  # the driver's mobile, for the desk's messages
            "note": _note_column(),
        }
    ),
    DUTY_LOG: pa.DataFrameSchema(
        {
            "driver_id": _id_column(),
            "start": _datetime_column(),
            "end": _datetime_column(),
            "activity": _choice_column(Activity),
        }
    ),
    TRIPS: pa.DataFrameSchema(
        {
            "id": _id_column(),
            "day": _date_column(),
            "kind": _choice_column(TripKind),
            "vehicle_id": _id_column(),
            "driver_id": _id_column(),
            "booked_passengers": pa.Column(int, pa.Check.ge(0, error="must not be negative"), coerce=True),
            "signed_driver_ids": pa.Column(str, nullable=True, required=False),
            "note": _note_column(),
        }
    ),
    TRIP_STOPS: pa.DataFrameSchema(
        {
            "trip_id": _id_column(),
            "seq": pa.Column(int, pa.Check.ge(1, error="must be 1 or more"), coerce=True),
            "node_id": _id_column(),
            "planned": _datetime_column(),
        }
    ),
}

CONTACTS_SCHEMA = pa.DataFrameSchema(
    {
        "id": _id_column(),
        "role": _choice_column(ContactRole),
        "name": pa.Column(str),
        "name_zh": pa.Column(str, nullable=True),
        "phone": _phone_column(),
        "node_id": pa.Column(str, pa.Check.str_matches(r"^\S+$", error="must be an id without spaces"), nullable=True),
        "note": _note_column(),
    }
)

# Domain-object fields whose CSV column has another name.
FIELD_COLUMNS = {"vehicle_class": "class", "stops": "id"}
