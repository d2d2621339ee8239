"""Joint accepts and releases (issue 18 §3), in the store's own transactions.

A joint plan serves several incidents at once, a rescue route perhaps collecting two groups with one
coach. Accepting it appends one ACCEPT entry per incident and books every coach and driver of the plan
*once*, under the first incident (by number) whose part uses it: the unique indexes allow one active
booking per resource, and the incidents' ACCEPT entries say which others were accepted with them.
All of it is one transaction, so either every incident is accepted or none is.

A release un-accepts incidents whose rescue has not started: each gets a REPORT entry (the incident is
back to "reported" until its new options are stored) carrying the release's reason, and its bookings
are released, in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert

from fleetplan.messages.stand_down import Withdrawal

from api.records.lifecycle import check_transition
from api.records.schema import bookings
from api.records.stand_down import stand_down
from api.records.statements import (
    held_by_others,
    insert_entry,
    load_incident,
    locked_status,
    queue_messages,
    release_bookings,
)
from api.records.types import (
    BookingConflict,
    EntryKind,
    IncidentRecord,
    IncidentStatus,
    InvalidTransition,
    JointAccept,
    ResourceUnusable,
)
from api.records.usability import unusable_coaches


def accept_jointly(
    writer: Engine, clock: Callable[[], datetime], accepts: Sequence[JointAccept], actor: str
) -> list[IncidentRecord]:
    """Accept every part of ``accepts`` in one transaction (see the module); the records, in order.

    Raises
    ------
    BookingConflict, ResourceUnusable, InvalidTransition, NotFound
        As :meth:`~api.records.sql.SqlRecordStore.accept` for any part; nothing is recorded.
    """
    ordered = sorted(accepts, key=lambda part: part.number)
    with writer.begin() as connection:
        for part in ordered:
            check_transition(part.number, locked_status(connection, part.number), EntryKind.ACCEPT)
        booked: set[tuple[str, str]] = set()
        rows: list[dict[str, Any]] = []
        for part in ordered:
            vehicles = sorted(set(part.vehicle_ids) - {v for kind, v in booked if kind == "vehicle"})
            drivers = sorted(set(part.driver_ids) - {d for kind, d in booked if kind == "driver"})
            held = held_by_others(connection, part.number, vehicles, drivers)
            if held != ([], []):
                raise BookingConflict(*held)
            unusable = unusable_coaches(connection, part.number, vehicles)
            if unusable:
                raise ResourceUnusable(unusable, sorted(unusable), [])
            booked |= {("vehicle", v) for v in vehicles} | {("driver", d) for d in drivers}
            rows += [{"incident_number": part.number, "vehicle_id": v, "driver_id": None} for v in vehicles]
            rows += [{"incident_number": part.number, "vehicle_id": None, "driver_id": d} for d in drivers]
        now = clock()
        for part in ordered:
            entry_id = insert_entry(connection, part.number, EntryKind.ACCEPT, now, actor, part.payload)
            queue_messages(connection, part.number, entry_id, now, part.messages)
        for row in sorted(rows, key=lambda r: (r["vehicle_id"] or "", r["driver_id"] or "")):
            connection.execute(insert(bookings).values(booked_at=now, **row))
        return [load_incident(connection, part.number) for part in ordered]


def release(
    writer: Engine, clock: Callable[[], datetime], numbers: Sequence[int], actor: str, payload: dict[str, Any]
) -> list[IncidentRecord]:
    """Un-accept ``numbers`` in one transaction (see the module); the records, in number order.

    Raises
    ------
    InvalidTransition
        One of them is not accepted, or its rescue has started (on scene, resolved): nothing is recorded.
    NotFound
        No incident has one of the numbers.
    """
    ordered = sorted(set(numbers))  # locked in number order, as every writer does
    with writer.begin() as connection:
        statuses = {number: locked_status(connection, number) for number in ordered}
        for number in dict.fromkeys(numbers):  # judged in the caller's order: the one asked about first
            status = statuses[number]
            if status in (IncidentStatus.ON_SCENE, IncidentStatus.RESOLVED, IncidentStatus.FOLLOWED_UP):
                raise InvalidTransition(
                    f"incident {number} is {status}: its rescue has started, so its plan can no longer be released"
                )
            if status != IncidentStatus.ACCEPTED:
                raise InvalidTransition(f"incident {number} is {status}: only an accepted plan can be released")
        now = clock()
        reason = str((payload.get("release") or {}).get("reason") or "")
        for number in ordered:
            entry_id = insert_entry(connection, number, EntryKind.REPORT, now, actor, payload)
            release_bookings(connection, number, now)
            stand_down(connection, number, entry_id, now, Withdrawal.RELEASED, reason)
        return [load_incident(connection, number) for number in ordered]
