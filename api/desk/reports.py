"""What the desk is told: a report with its time parsed, the prepared dispatch, and an accept that
lost the race for a coach or driver."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fleetplan.corridor import Corridor
from fleetplan.errors import InvalidValueError, LocationError, UnknownIdError
from fleetplan.instance import Incident, Instance, StrandedGroup
from fleetplan.model import Conditions, IncidentKind

from api import views
from api.desk.live import conditions_view
from api.desk.times import unplannable
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


def recorded_report(report: IncidentReport, incident: Incident, group: StrandedGroup) -> dict[str, Any]:
    """What the store records of a report: as given, with its trip, tier and deadline."""
    return {
        "vehicle_id": incident.vehicle_id,
        "location": report.location,
        "passengers": report.passengers,
        "kind": report.kind.value,
        "conditions": report.conditions,
        "alternatives": report.alternatives,
        "trip_id": group.trip_id,
        "tier": group.tier,
        "limit_min": group.limit_s // 60,
        "deadline": views.local_minute(group.deadline),
        "scene": group.scene.describe(),
    }


@contextmanager
def fields_named(report: IncidentReport) -> Iterator[None]:
    """The builder's errors about a report as errors naming the report's field."""
    try:
        yield
    except LocationError as error:
        raise InvalidValueError("location", str(error)) from None
    except UnknownIdError as error:
        if error.kind == "trip":
            raise InvalidValueError("trip_id", str(error)) from None
        if error.kind in ("network node", "G1 post"):  # the report's location names what the network lacks
            raise InvalidValueError("location", str(error)) from None
        raise
    except OverflowError:  # a date beyond year 9999 (or before year 1) all the same
        raise unplannable(report.at) from None


def changed_statuses(live: Corridor, configured: Corridor) -> dict[str, str]:
    """The coaches whose live status differs from the configured fleet's, with the live status."""
    return {v.id: v.status.value for v in live.dataset.vehicles if v.status != configured.dataset.vehicle(v.id).status}


def decision_inputs(
    conditions: Conditions,
    unavailable: dict[str, str],
    statuses: dict[str, str],
    time_limit_s: float,
    alternatives: int,
) -> dict[str, Any]:
    """The decision's inputs, stored with its options."""
    return {
        "conditions": conditions_view(conditions),
        "unavailable": dict(sorted(unavailable.items())),
        "vehicle_statuses": statuses,
        "time_limit_s": time_limit_s,
        "alternatives": alternatives,
    }
