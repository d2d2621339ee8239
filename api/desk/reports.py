"""What the desk is told: a report with its time parsed, the prepared dispatch, and an accept that
lost the race for a coach or driver."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fleetplan.errors import InvalidValueError
from fleetplan.instance import Instance
from fleetplan.model import IncidentKind

from api.records.types import IncidentRecord

# ASCII digits only: Python's \d and int() also take full-width ones (２０２６), which no desk means to send
LOCAL_MINUTE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})$")


def parse_local_minute(text: str, field: str) -> datetime:
    """Parse a China-local ``YYYY-MM-DDTHH:MM``.

    Parameters
    ----------
    text
        The time as the desk sent it.
    field
        The request field it came from, named in the error.

    Returns
    -------
    datetime
        Naive, China-local.

    Raises
    ------
    InvalidValueError
        Not in that form, a time of day outside 00:00–23:59 (``25:00``) or no such calendar day.
    """
    match = LOCAL_MINUTE.match(text.strip())
    if not match:
        raise InvalidValueError(field, f"{text!r} is not YYYY-MM-DDTHH:MM (China-local time)")
    year, month, day, hour, minute = (int(part) for part in match.groups())
    if hour > 23 or minute > 59:
        raise InvalidValueError(field, f"{text!r}: the time of day must be 00:00–23:59")
    try:
        return datetime(year, month, day, hour, minute)
    except ValueError:
        raise InvalidValueError(field, f"{text!r} is not a calendar date") from None


@dataclass(frozen=True)
class IncidentReport:
    """A report as the desk gives it, time parsed; ``vehicle`` is an id or a plate."""

    vehicle: str
    location: str
    at: datetime
    passengers: int
    kind: IncidentKind = IncidentKind.BREAKDOWN
    conditions: str = "clear"
    alternatives: int = 3
    trip_id: str | None = None

    @classmethod
    def from_record(cls, record: IncidentRecord) -> IncidentReport:
        """The report of a recorded incident, to dispatch it again."""
        report = record.report
        return cls(
            vehicle=report["vehicle_id"],
            location=report["location"],
            at=record.reported_at,
            passengers=report["passengers"],
            kind=IncidentKind(report["kind"]),
            conditions=report["conditions"],
            alternatives=report.get("alternatives", 3),
            trip_id=report.get("trip_id"),
        )


@dataclass(frozen=True)
class Prepared:
    """A validated report with its dispatch instance, ready to record and solve."""

    report: dict[str, Any]  # what the store records
    instance: Instance
    inputs: dict[str, Any]  # the decision's inputs, stored with the options
    alternatives: int


class AcceptConflict(Exception):
    """Another incident booked some of the plan's coaches or drivers first; ``options`` are fresh."""

    def __init__(self, detail: str, options: dict[str, Any] | None) -> None:
        super().__init__(detail)
        self.detail, self.options = detail, options
