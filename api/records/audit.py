"""The integrity audit of the records: the database's own checks plus the record invariants.

Read-only; :meth:`api.records.sql.SqlRecordStore.integrity_problems` runs it on one reading
connection, so every check sees the same snapshot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Connection, select, text

from api.records.engine import schema_head
from api.records.lifecycle import BOOKED_STATUSES, derive_status, lifecycle_problems
from api.records.schema import INCIDENT_COUNTER, bookings, counters, entries, incidents, latest_entries
from api.records.types import EntryKind, IncidentStatus

_MAX_LISTED = 10  # problems listing numbers show at most this many


def integrity_problems(connection: Connection) -> list[str]:
    """Every problem the audit finds on ``connection``; an empty list means all is well.

    See :meth:`api.records.sql.SqlRecordStore.integrity_problems` for the checks.
    """
    problems = _database_problems(connection)
    if problems:  # a damaged file makes the other checks meaningless
        return problems
    problems += _schema_problems(connection)
    problems += _numbering_problems(connection)
    statuses, lifecycle = _lifecycle_check(connection)
    problems += lifecycle
    problems += _latest_entry_problems(connection)
    problems += _booking_problems(connection, statuses)
    return problems


def _missing_numbers(numbers: Sequence[int], counter: int) -> list[str]:
    """Problems with the numbering: numbers must be exactly 1..counter."""
    problems = []
    expected = set(range(1, counter + 1))
    missing = sorted(expected - set(numbers))
    beyond = sorted(set(numbers) - expected)
    if missing:
        shown = ", ".join(map(str, missing[:_MAX_LISTED]))
        more = " …" if len(missing) > _MAX_LISTED else ""
        problems.append(f"incident numbers missing (gaps): {shown}{more}")
    if beyond:
        shown = ", ".join(map(str, beyond[:_MAX_LISTED]))
        problems.append(f"incident numbers beyond the counter ({counter}), would be reused: {shown}")
    return problems


def _database_problems(connection: Connection) -> list[str]:
    if connection.dialect.name == "sqlite":
        verdict = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
        problems = [] if verdict == ["ok"] else [f"SQLite integrity check: {line}" for line in verdict]
        for table, rowid, parent, _fk in connection.exec_driver_sql("PRAGMA foreign_key_check"):
            problems.append(f"{table} row {rowid} refers to a missing {parent} row")
        return problems
    answer = connection.execute(text("SELECT 1")).scalar()
    return [] if answer == 1 else [f"PostgreSQL answered {answer!r} to SELECT 1"]


def _schema_problems(connection: Connection) -> list[str]:
    versions = [row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")]
    head = schema_head()
    return [] if versions == [head] else [f"schema at revision {versions}, expected [{head!r}]"]


def _numbering_problems(connection: Connection) -> list[str]:
    counter = connection.execute(select(counters.c.value).where(counters.c.name == INCIDENT_COUNTER)).scalar()
    if counter is None:
        return ["the incident counter is missing"]
    numbers = list(connection.execute(select(incidents.c.number)).scalars())
    return _missing_numbers(numbers, counter)


def _lifecycle_check(connection: Connection) -> tuple[dict[int, IncidentStatus], list[str]]:
    """Each incident's derived status, and the problems found replaying its entries."""
    numbers = connection.execute(select(incidents.c.number)).scalars()
    kinds: dict[int, list[EntryKind]] = {number: [] for number in numbers}
    query = select(entries.c.incident_number, entries.c.kind).order_by(entries.c.incident_number, entries.c.id)
    for number, kind in connection.execute(query):
        kinds.setdefault(number, []).append(EntryKind(kind))
    problems: list[str] = []
    statuses: dict[int, IncidentStatus] = {}
    for number in sorted(kinds):
        problems += lifecycle_problems(number, kinds[number])
        if kinds[number]:
            statuses[number] = derive_status(kinds[number])
    return statuses, problems


def _latest_entry_problems(connection: Connection) -> list[str]:
    """Incidents whose indexed latest entry (``latest_entries``, what the status filters read) is not
    their latest entry."""
    latest: dict[int, tuple[int, str]] = {}
    for number, entry_id, kind in connection.execute(
        select(entries.c.incident_number, entries.c.id, entries.c.kind).order_by(entries.c.id)
    ):
        latest[number] = (entry_id, kind)  # later rows overwrite earlier ones
    indexed = {row.number: (row.entry_id, row.kind) for row in connection.execute(select(latest_entries))}
    problems = []
    for number in sorted(set(latest) | set(indexed)):
        if latest.get(number) != indexed.get(number):
            said = "none" if number not in indexed else "entry {} ({})".format(*indexed[number])
            truth = "none" if number not in latest else "entry {} ({})".format(*latest[number])
            problems.append(f"incident {number}: its latest entry is {truth}, the status index says {said}")
    return problems


def _booking_problems(connection: Connection, statuses: dict[int, IncidentStatus]) -> list[str]:
    problems = []
    active = connection.execute(
        select(bookings.c.incident_number, bookings.c.vehicle_id, bookings.c.driver_id).where(
            bookings.c.released_at.is_(None)
        )
    ).all()
    holders: dict[str, list[int]] = defaultdict(list)
    for number, vehicle_id, driver_id in active:
        resource = f"coach {vehicle_id}" if vehicle_id is not None else f"driver {driver_id}"
        holders[resource].append(number)
        status = statuses.get(number)
        if status not in BOOKED_STATUSES:
            problems.append(f"incident {number} is {status} but still holds {resource}")
    for resource, numbers in sorted(holders.items()):
        if len(numbers) > 1:
            problems.append(f"{resource} has {len(numbers)} active bookings (incidents {sorted(numbers)})")
    return problems
