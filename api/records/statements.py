"""The SQL statements the record store runs inside its transactions, and reading incidents back.

Every function takes the caller's open connection: the store decides where a transaction begins
and ends (see :class:`api.records.sql.SqlRecordStore`), these only say what is read or written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, insert, or_, select, update
from sqlalchemy.exc import StatementError

from api.records.lifecycle import derive_status
from api.records.schema import (
    INCIDENT_COUNTER,
    bookings,
    counters,
    entries,
    incidents,
    inserted_id,
    latest_entries,
    outbox,
)
from api.records.types import (
    Entry,
    EntryKind,
    IdempotencyMismatch,
    IncidentRecord,
    IncidentStatus,
    NotFound,
    RecordError,
)

# --- statements -----------------------------------------------------------------------------------


def with_latest_kind(kinds: Iterable[str]) -> ColumnElement[bool]:
    """On ``incidents``: those whose latest entry is of one of ``kinds`` (their status follows from it,
    :func:`~api.records.lifecycle.derive_status`), found through ``latest_entries``' index on the kind,
    not by reading every incident's entries."""
    return incidents.c.number.in_(select(latest_entries.c.number).where(latest_entries.c.kind.in_(sorted(kinds))))


def next_incident_number(connection: Connection) -> int:
    statement = (
        update(counters)
        .where(counters.c.name == INCIDENT_COUNTER)
        .values(value=counters.c.value + 1)
        .returning(counters.c.value)
    )
    return connection.execute(statement).scalar_one()


def key_holder(connection: Connection, key: str) -> tuple[int, str | None] | None:
    """The number of the incident recorded under ``key`` and the fingerprint stored with it (None on old rows)."""
    row = connection.execute(
        select(incidents.c.number, incidents.c.idempotency_hash).where(incidents.c.idempotency_key == key)
    ).first()
    return None if row is None else (row.number, row.idempotency_hash)


def insert_entry(
    connection: Connection, number: int, kind: EntryKind, at: datetime, actor: str, payload: dict[str, Any]
) -> int:
    """Append an entry, and make it the incident's latest in ``latest_entries``; its id.

    The index only moves forward (to a higher entry id), so two appends committing out of id order
    on PostgreSQL still leave it at the latest; the incident's first entry creates it.

    Raises RecordError naming ``payload`` when JSON cannot hold it (the caller's transaction then
    rolls back: nothing is stored). The payload is encoded once, here: an options payload is tens of
    kilobytes, and checking it beforehand cost as much as storing it.
    """
    try:
        result = connection.execute(
            insert(entries).values(incident_number=number, kind=kind.value, at=at, actor=actor, payload=payload)
        )
    except StatementError as error:  # SQLAlchemy encodes before executing (SQLite)
        if isinstance(error.orig, (TypeError, ValueError)):  # raised by the JSON encoder
            raise RecordError(f"payload: cannot be stored as JSON ({error.orig})") from None
        raise
    except (TypeError, ValueError) as error:  # psycopg encodes while executing (PostgreSQL)
        raise RecordError(f"payload: cannot be stored as JSON ({error})") from None
    entry_id = inserted_id(result)
    moved = connection.execute(
        update(latest_entries)
        .where(latest_entries.c.number == number, latest_entries.c.entry_id < entry_id)
        .values(entry_id=entry_id, kind=kind.value)
    )
    if moved.rowcount == 0:  # its first entry, or a later one committed first
        known = connection.execute(select(latest_entries.c.number).where(latest_entries.c.number == number)).first()
        if known is None:
            connection.execute(insert(latest_entries).values(number=number, entry_id=entry_id, kind=kind.value))
    return entry_id


def replayed(connection: Connection, key: str, fingerprint: str | None) -> IncidentRecord | None:
    """The incident recorded under ``key``, if any, when ``fingerprint`` matches the stored one."""
    held = key_holder(connection, key)
    if held is None:
        return None
    number, stored = held
    if stored is not None and stored != fingerprint:
        raise IdempotencyMismatch(
            "Idempotency-Key: this key was used for a different report or by another user; "
            "send a new report with a new key",
            number,
        )
    return load_incident(connection, number)


def queue_messages(
    connection: Connection, number: int, entry_id: int, at: datetime, messages: Sequence[dict[str, Any]]
) -> None:
    """Queue the ready messages of an accept (``recipient_role``, ``recipient_id``, ``recipient_name``,
    ``phone``, ``lang``, ``text`` each) in the accept's own transaction: queued with it or not at all."""
    for message in messages:
        connection.execute(
            insert(outbox).values(
                incident_number=number, accept_entry_id=entry_id, status="queued", queued_at=at, **message
            )
        )


def locked_status(connection: Connection, number: int) -> IncidentStatus:
    """The incident's status, with its row locked until commit (PostgreSQL; SQLite holds the db lock)."""
    locked = connection.execute(
        select(incidents.c.number).where(incidents.c.number == number).with_for_update()
    ).first()
    if locked is None:
        raise NotFound(f"no incident number {number}")
    kinds = connection.execute(
        select(entries.c.kind).where(entries.c.incident_number == number).order_by(entries.c.id)
    ).scalars()
    return derive_status([EntryKind(kind) for kind in kinds])


def latest_entry_id(connection: Connection, number: int) -> int | None:
    """The id of the incident's latest entry (entries are only ever appended)."""
    return connection.execute(select(func.max(entries.c.id)).where(entries.c.incident_number == number)).scalar()


def release_bookings(connection: Connection, number: int, at: datetime) -> None:
    connection.execute(
        update(bookings)
        .where(bookings.c.incident_number == number, bookings.c.released_at.is_(None))
        .values(released_at=at)
    )


def held_by_others(
    connection: Connection, number: int, vehicles: list[str], drivers: list[str]
) -> tuple[list[str], list[str]]:
    """The requested coaches and drivers that another incident holds now."""
    wanted = []
    if vehicles:
        wanted.append(bookings.c.vehicle_id.in_(vehicles))
    if drivers:
        wanted.append(bookings.c.driver_id.in_(drivers))
    if not wanted:
        return [], []
    rows = connection.execute(
        select(bookings.c.vehicle_id, bookings.c.driver_id).where(
            bookings.c.released_at.is_(None), bookings.c.incident_number != number, or_(*wanted)
        )
    ).all()
    held_vehicles = sorted({row.vehicle_id for row in rows if row.vehicle_id in vehicles})
    held_drivers = sorted({row.driver_id for row in rows if row.driver_id in drivers})
    return held_vehicles, held_drivers


# --- reading --------------------------------------------------------------------------------------


def _entry(row: Any) -> Entry:
    return Entry(
        id=row["id"],
        incident_number=row["incident_number"],
        kind=EntryKind(row["kind"]),
        at=row["at"],
        actor=row["actor"],
        payload=row["payload"],
    )


def entries_by_incident(connection: Connection, numbers: list[int]) -> dict[int, list[Entry]]:
    by_number: dict[int, list[Entry]] = defaultdict(list)
    if numbers:
        query = select(entries).where(entries.c.incident_number.in_(numbers)).order_by(entries.c.id)
        for row in connection.execute(query).mappings():
            by_number[row["incident_number"]].append(_entry(row))
    return by_number


def entry_kinds_by_incident(connection: Connection, numbers: list[int]) -> dict[int, list[EntryKind]]:
    """Each incident's entry kinds in recorded order, without the payloads (its status, cheaply)."""
    by_number: dict[int, list[EntryKind]] = defaultdict(list)
    if numbers:
        query = select(entries.c.incident_number, entries.c.kind).where(entries.c.incident_number.in_(numbers))
        for number, kind in connection.execute(query.order_by(entries.c.id)):
            by_number[number].append(EntryKind(kind))
    return by_number


def incident_record(row: Any, incident_entries: list[Entry]) -> IncidentRecord:
    return IncidentRecord(
        number=row["number"],
        idempotency_key=row["idempotency_key"],
        reported_at=row["reported_at"],
        report=row["report"],
        status=derive_status([entry.kind for entry in incident_entries]),
        entries=tuple(incident_entries),
    )


def load_incident(connection: Connection, number: int) -> IncidentRecord:
    row = connection.execute(select(incidents).where(incidents.c.number == number)).mappings().first()
    if row is None:
        raise NotFound(f"no incident number {number}")
    return incident_record(row, entries_by_incident(connection, [number])[number])
