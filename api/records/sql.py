"""The operator's records in SQL: SQLite by default (one file, WAL), PostgreSQL by URL.

How the guarantees of issue 4 are kept:

- **Numbers without gaps, never reused.** The next number comes from the ``counters`` row
  (``UPDATE … SET value = value + 1 … RETURNING value``) in the same transaction as the incident
  insert: a rolled-back or crashed report takes its number with it. Writers serialise on that row:
  PostgreSQL holds its row lock until commit; on SQLite every write transaction starts with
  ``BEGIN IMMEDIATE`` (SQLAlchemy's documented pysqlite recipe), so writers queue on the busy
  timeout instead of failing at commit.
- **Append-only.** Incidents keep the report as first recorded and the lifecycle is a sequence of
  entries; the status is derived from the latest entry (:func:`derive_status`), not stored, so it
  cannot drift. The only updates are the counter and the release of bookings; database triggers
  refuse anything else (see the initial migration).
- **Idempotent reports.** A unique constraint on the idempotency key decides races: the loser's
  transaction fails with IntegrityError, rolls back (its number with it) and re-reads the winner.
- **Atomic bookings.** Partial unique indexes allow one active booking per coach and per driver;
  the ACCEPT entry and its bookings are inserted in one transaction, so a conflict leaves nothing.
- **Durability.** SQLite runs with ``journal_mode=WAL`` and ``synchronous=FULL``: an acknowledged
  (committed) report survives a crash of the process or of the machine.
- **Tokens.** Only the SHA-256 of a bearer token is stored. Tokens are 32 random bytes from
  :mod:`secrets`, so a fast unsalted hash is enough: there is nothing to guess or precompute.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, insert, or_, select, text, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError

from api.records.schema import (
    INCIDENT_COUNTER,
    KEY_LENGTH,
    NAME_LENGTH,
    RESOURCE_ID_LENGTH,
    bookings,
    counters,
    entries,
    incidents,
    users,
)
from api.records.types import (
    NEXT_ENTRIES,
    Booking,
    BookingConflict,
    Entry,
    EntryKind,
    IncidentRecord,
    IncidentStatus,
    InvalidTransition,
    NotFound,
    RecordError,
    Role,
    User,
)

CHINA_STANDARD_TIME = timezone(timedelta(hours=8))
SQLITE_BUSY_TIMEOUT_S = 30  # how long a writer waits for the database lock before giving up
POOL_SIZE, POOL_MAX_OVERFLOW = 5, 35  # room for the service's worker threads
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_WRITE = "fleetplan_write"  # execution option: on SQLite, begin with BEGIN IMMEDIATE
_ACCEPT_ATTEMPTS = 3  # a booking conflict whose holder vanished before we could name it is retried
_MAX_LISTED = 10  # problems listing numbers show at most this many

# The status an incident is in after an entry of each kind (NEXT_ENTRIES guarantees the order).
STATUS_AFTER: dict[EntryKind, IncidentStatus] = {
    EntryKind.REPORT: IncidentStatus.REPORTED,
    EntryKind.OPTIONS: IncidentStatus.OPTIONS,
    EntryKind.ACCEPT: IncidentStatus.ACCEPTED,
    EntryKind.ON_SCENE: IncidentStatus.ON_SCENE,
    EntryKind.RESOLVED: IncidentStatus.RESOLVED,
    EntryKind.FOLLOW_UP: IncidentStatus.FOLLOWED_UP,
    EntryKind.VOID: IncidentStatus.VOIDED,
}
KIND_FOR_STATUS: dict[IncidentStatus, EntryKind] = {status: kind for kind, status in STATUS_AFTER.items()}
RELEASING_KINDS = frozenset({EntryKind.RESOLVED, EntryKind.VOID})
BOOKED_STATUSES = frozenset({IncidentStatus.ACCEPTED, IncidentStatus.ON_SCENE})


# --- pure helpers ---------------------------------------------------------------------------------


def china_now() -> datetime:
    """The wall clock as a naive China-local datetime (the code base's convention)."""
    return datetime.now(CHINA_STANDARD_TIME).replace(tzinfo=None)


def token_hash(token: str) -> str:
    """SHA-256 hex digest of a bearer token: what the users table stores instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def derive_status(kinds: Sequence[EntryKind]) -> IncidentStatus:
    """The status of an incident from its entry kinds in recorded order.

    Parameters
    ----------
    kinds
        The kinds of the incident's entries, oldest first; the first is REPORT.

    Returns
    -------
    IncidentStatus
        The status the latest entry leads to. Entries are only appended when
        :data:`NEXT_ENTRIES` allows them, so the latest entry alone decides.
    """
    if not kinds:
        raise ValueError("an incident without entries has no status")
    return STATUS_AFTER[EntryKind(kinds[-1])]


def lifecycle_problems(number: int, kinds: Sequence[EntryKind]) -> list[str]:
    """Replay an incident's entry kinds against :data:`NEXT_ENTRIES`; describe any illegal step."""
    if not kinds:
        return [f"incident {number} has no entries"]
    if kinds[0] != EntryKind.REPORT:
        return [f"incident {number}: the first entry is {kinds[0]}, not report"]
    problems = []
    status = IncidentStatus.REPORTED
    for position, kind in enumerate(kinds[1:], start=2):
        if kind not in NEXT_ENTRIES[status]:
            problems.append(f"incident {number}: entry {position} ({kind}) is not allowed after {status}")
        status = STATUS_AFTER[kind]
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


def _json_ready(field: str, value: Any) -> None:
    """Refuse, with a message naming the field, a payload that JSON cannot store."""
    try:
        json.dumps(value)
    except (TypeError, ValueError) as error:
        raise RecordError(f"{field}: cannot be stored as JSON ({error})") from None


def _text_field(field: str, value: str | None, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RecordError(f"{field}: must be a non-empty text")
    if len(value) > max_length:
        raise RecordError(f"{field}: longer than {max_length} characters")
    return value.strip()


def _local_naive(field: str, moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise RecordError(f"{field}: must be a date and time, got {moment!r}")
    if moment.tzinfo is not None:  # the code base keeps naive China-local times
        return moment.astimezone(CHINA_STANDARD_TIME).replace(tzinfo=None)
    return moment


def _dumps(value: Any) -> str:
    # Keep Chinese text readable in the database.
    return json.dumps(value, ensure_ascii=False)


# --- engine and migrations ------------------------------------------------------------------------


def create_store_engine(url: str | URL) -> Engine:
    """An engine for the records at ``url`` (``sqlite:///path`` or ``postgresql+psycopg://…``).

    SQLite connections get WAL, ``synchronous=FULL``, foreign keys and a busy timeout; SQLAlchemy
    takes over BEGIN from pysqlite (the documented recipe) so that write transactions can begin
    with ``BEGIN IMMEDIATE``: see :meth:`SqlRecordStore.__init__`.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise RecordError(f"database URL: cannot parse {str(url)!r}") from None
    backend = parsed.get_backend_name()
    pool = {"pool_size": POOL_SIZE, "max_overflow": POOL_MAX_OVERFLOW}
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            raise RecordError("database URL: SQLite needs a file (sqlite:///var/fleetplan.db), not memory")
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed, json_serializer=_dumps, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, **pool
        )
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        return create_engine(parsed, json_serializer=_dumps, pool_pre_ping=True, **pool)
    raise RecordError(f"database URL: unsupported backend {backend!r}; use sqlite or postgresql+psycopg")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite would BEGIN lazily and only before DML; SQLAlchemy emits BEGIN itself (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")  # first: WAL may wait
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")  # an acknowledged commit survives power loss too
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front: writers queue instead of failing mid-transaction.
        immediate = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@functools.cache
def schema_head() -> str:
    """The revision of the newest migration."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None, "api/migrations/versions has no migration"
    return head


def upgrade_schema(engine: Engine) -> None:
    """Apply the Alembic migrations up to head, in one transaction (DDL is transactional on both)."""
    with engine.execution_options(**{_WRITE: True}).begin() as connection:
        command.upgrade(_alembic_config(connection), "head")


# --- the store ------------------------------------------------------------------------------------


class SqlRecordStore:
    """The :class:`~api.records.types.RecordStore` on SQLite or PostgreSQL.

    Parameters
    ----------
    url
        SQLAlchemy URL: ``sqlite:///var/fleetplan.db`` or ``postgresql+psycopg://user:pw@host/db``.
        The schema must exist; :func:`open_store` migrates and then opens.
    clock
        Returns the naive China-local time stamped on entries, bookings and users; tests fix it.
    """

    def __init__(self, url: str, *, clock: Callable[[], datetime] = china_now) -> None:
        self._engine = create_store_engine(url)
        self._clock = clock
        backend = self._engine.dialect.name
        # Writers: BEGIN IMMEDIATE on SQLite; on PostgreSQL READ COMMITTED plus explicit row locks.
        self._writer = self._engine.execution_options(**{_WRITE: True})
        # Readers see one snapshot across their queries (SQLite's deferred BEGIN already does).
        self._reader = (
            self._engine.execution_options(isolation_level="REPEATABLE READ")
            if backend == "postgresql"
            else self._engine
        )

    @property
    def engine(self) -> Engine:
        """The underlying engine (for health checks and tests)."""
        return self._engine

    def __enter__(self) -> SqlRecordStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    # --- incidents --------------------------------------------------------------------------------

    def report(
        self,
        report: dict[str, Any],
        reported_at: datetime,
        actor: str,
        idempotency_key: str | None,
    ) -> tuple[IncidentRecord, bool]:
        """Record a new incident under the next number, or return the one a known key created.

        Parameters
        ----------
        report
            What was reported (vehicle_id, location, passengers, kind, conditions, …); JSON-ready.
        reported_at
            When the incident happened (naive China-local; aware times are converted).
        actor
            The name of the user who reported it.
        idempotency_key
            Optional client key: the same key always yields the same incident.

        Returns
        -------
        tuple[IncidentRecord, bool]
            The incident and True if this call created it, False if the key was already known.
        """
        _json_ready("report", report)
        reported_at = _local_naive("reported_at", reported_at)
        actor = _text_field("actor", actor, NAME_LENGTH)
        if idempotency_key is not None:
            idempotency_key = _text_field("idempotency_key", idempotency_key, KEY_LENGTH)
            existing = self._incident_for_key(idempotency_key)
            if existing is not None:
                return existing, False
        try:
            with self._writer.begin() as connection:
                if idempotency_key is not None:  # authoritative check, under the write lock
                    number = _number_for_key(connection, idempotency_key)
                    if number is not None:
                        return _load_incident(connection, number), False
                number = _next_incident_number(connection)
                now = self._clock()
                connection.execute(
                    insert(incidents).values(
                        number=number,
                        idempotency_key=idempotency_key,
                        reported_at=reported_at,
                        report=report,
                        recorded_at=now,
                        recorded_by=actor,
                    )
                )
                payload = {"report": report, "reported_at": reported_at.isoformat(timespec="minutes")}
                _insert_entry(connection, number, EntryKind.REPORT, now, actor, payload)
                return _load_incident(connection, number), True
        except IntegrityError:
            # A concurrent report with the same key won the unique constraint; ours rolled back.
            if idempotency_key is None:
                raise
            existing = self._incident_for_key(idempotency_key)
            if existing is None:
                raise
            return existing, False

    def _incident_for_key(self, key: str) -> IncidentRecord | None:
        with self._reader.connect() as connection:
            number = _number_for_key(connection, key)
            return None if number is None else _load_incident(connection, number)

    def append(self, number: int, kind: EntryKind, actor: str, payload: dict[str, Any]) -> IncidentRecord:
        """Append a lifecycle entry; RESOLVED and VOID release the incident's bookings.

        Raises
        ------
        NotFound
            No incident has this number.
        InvalidTransition
            The entry is not allowed in the incident's status (see :data:`NEXT_ENTRIES`), or it is an
            ACCEPT (use :meth:`accept`) or a REPORT.
        """
        kind = EntryKind(kind)
        if kind == EntryKind.ACCEPT:
            raise InvalidTransition("accepting a plan books its coaches and drivers: use accept")
        actor = _text_field("actor", actor, NAME_LENGTH)
        _json_ready("payload", payload)
        with self._writer.begin() as connection:
            _check_transition(number, _locked_status(connection, number), kind)
            now = self._clock()
            _insert_entry(connection, number, kind, now, actor, payload)
            if kind in RELEASING_KINDS:
                _release_bookings(connection, number, now)
            return _load_incident(connection, number)

    def accept(
        self,
        number: int,
        actor: str,
        payload: dict[str, Any],
        vehicle_ids: list[str],
        driver_ids: list[str],
    ) -> IncidentRecord:
        """Append the ACCEPT entry and book the plan's coaches and drivers, all or none.

        Raises
        ------
        BookingConflict
            Some of the coaches or drivers are booked by another incident; nothing was recorded.
        NotFound, InvalidTransition
            As for :meth:`append`.
        """
        actor = _text_field("actor", actor, NAME_LENGTH)
        _json_ready("payload", payload)
        # Sorted: concurrent accepts take the unique-index entries in one order, so PostgreSQL
        # makes the later one wait and fail instead of deadlocking.
        vehicles = sorted({_text_field("vehicle_ids", v, RESOURCE_ID_LENGTH) for v in vehicle_ids})
        drivers = sorted({_text_field("driver_ids", d, RESOURCE_ID_LENGTH) for d in driver_ids})
        for _attempt in range(_ACCEPT_ATTEMPTS):
            try:
                return self._accept_once(number, actor, payload, vehicles, drivers)
            except IntegrityError:
                # Another transaction booked one of them first (PostgreSQL; SQLite's writers are
                # serialised and stop at the check). Name the holders; if they were released in the
                # meantime, try again.
                with self._reader.connect() as connection:
                    held = _held_by_others(connection, number, vehicles, drivers)
                if held != ([], []):
                    raise BookingConflict(*held) from None
        raise RecordError(f"incident {number}: the bookings kept changing; accept again")

    def _accept_once(
        self, number: int, actor: str, payload: dict[str, Any], vehicles: list[str], drivers: list[str]
    ) -> IncidentRecord:
        with self._writer.begin() as connection:
            _check_transition(number, _locked_status(connection, number), EntryKind.ACCEPT)
            held = _held_by_others(connection, number, vehicles, drivers)
            if held != ([], []):
                raise BookingConflict(*held)
            now = self._clock()
            _insert_entry(connection, number, EntryKind.ACCEPT, now, actor, payload)
            rows = [{"vehicle_id": v, "driver_id": None} for v in vehicles]
            rows += [{"vehicle_id": None, "driver_id": d} for d in drivers]
            for row in rows:  # one statement each, in sorted order (see accept)
                connection.execute(insert(bookings).values(incident_number=number, booked_at=now, **row))
            return _load_incident(connection, number)

    def incident(self, number: int) -> IncidentRecord:
        """The incident with all its entries; raises NotFound."""
        with self._reader.connect() as connection:
            return _load_incident(connection, number)

    def incidents(
        self, statuses: set[IncidentStatus] | None = None, limit: int = 200
    ) -> list[IncidentRecord]:
        """Incidents newest first, with their entries, optionally only those in ``statuses``.

        The status filter runs in SQL on each incident's latest entry (the same rule as
        :func:`derive_status`), so no status column is needed.
        """
        query = select(incidents).order_by(incidents.c.number.desc()).limit(max(0, int(limit)))
        if statuses is not None:
            kinds = [KIND_FOR_STATUS[IncidentStatus(status)].value for status in statuses]
            latest_kind = (
                select(entries.c.kind)
                .where(entries.c.incident_number == incidents.c.number)
                .order_by(entries.c.id.desc())
                .limit(1)
                .scalar_subquery()
            )
            query = query.where(latest_kind.in_(kinds))
        with self._reader.connect() as connection:
            rows = connection.execute(query).mappings().all()
            by_number = _entries_by_incident(connection, [row["number"] for row in rows])
        return [_record(row, by_number[row["number"]]) for row in rows]

    def bookings(self) -> list[Booking]:
        """Active bookings (not yet released), oldest first."""
        query = (
            select(bookings.c.incident_number, bookings.c.vehicle_id, bookings.c.driver_id)
            .where(bookings.c.released_at.is_(None))
            .order_by(bookings.c.id)
        )
        with self._reader.connect() as connection:
            return [Booking(**row) for row in connection.execute(query).mappings()]

    # --- users ------------------------------------------------------------------------------------

    def add_user(self, name: str, role: Role) -> str:
        """Create a user and return its new bearer token; only the token's SHA-256 is stored.

        Raises
        ------
        RecordError
            The name is empty, too long or taken, or the role is unknown.
        """
        name = _text_field("name", name, NAME_LENGTH)
        try:
            role = Role(role)
        except ValueError:
            raise RecordError(f"role: {role!r} is not one of {', '.join(Role)}") from None
        token = secrets.token_urlsafe(32)
        try:
            with self._writer.begin() as connection:
                connection.execute(
                    insert(users).values(
                        name=name, role=role.value, token_hash=token_hash(token), created_at=self._clock()
                    )
                )
        except IntegrityError:
            raise RecordError(f"name: a user called {name!r} already exists") from None
        return token

    def user_for_token(self, token: str) -> User | None:
        """The user holding ``token``, or None. Looked up by hash: the token itself is never stored."""
        if not isinstance(token, str) or not token:
            return None
        query = select(users.c.id, users.c.name, users.c.role).where(users.c.token_hash == token_hash(token))
        with self._reader.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else User(id=row.id, name=row.name, role=Role(row.role))

    def has_users(self) -> bool:
        """Whether any user exists (the service creates a first admin when not)."""
        with self._reader.connect() as connection:
            return connection.execute(select(users.c.id).limit(1)).first() is not None

    # --- checks -----------------------------------------------------------------------------------

    def integrity_problems(self) -> list[str]:
        """The database's own check plus the record invariants; an empty list means all is well.

        Checks: SQLite ``PRAGMA integrity_check`` and ``foreign_key_check`` (PostgreSQL: the server
        answers); the schema is at the newest migration; incident numbers are exactly 1..counter;
        every incident starts with a REPORT entry and its entries follow :data:`NEXT_ENTRIES`; no
        coach or driver has two active bookings; only accepted or on-scene incidents hold bookings.
        """
        with self._reader.connect() as connection:
            problems = _database_problems(connection)
            if problems:  # a damaged file makes the other checks meaningless
                return problems
            problems += _schema_problems(connection)
            problems += _numbering_problems(connection)
            statuses, lifecycle = _lifecycle_check(connection)
            problems += lifecycle
            problems += _booking_problems(connection, statuses)
        return problems


def open_store(url: str, *, clock: Callable[[], datetime] = china_now) -> SqlRecordStore:
    """Open the records at ``url``, first applying any pending migrations.

    Parameters
    ----------
    url
        ``sqlite:///var/fleetplan.db`` (the directory is created) or ``postgresql+psycopg://…``.
    clock
        As for :class:`SqlRecordStore`.
    """
    store = SqlRecordStore(url, clock=clock)
    try:
        upgrade_schema(store.engine)
    except BaseException:
        store.close()
        raise
    return store


# --- statements -----------------------------------------------------------------------------------


def _next_incident_number(connection: Connection) -> int:
    statement = (
        update(counters)
        .where(counters.c.name == INCIDENT_COUNTER)
        .values(value=counters.c.value + 1)
        .returning(counters.c.value)
    )
    return connection.execute(statement).scalar_one()


def _number_for_key(connection: Connection, key: str) -> int | None:
    return connection.execute(select(incidents.c.number).where(incidents.c.idempotency_key == key)).scalar()


def _insert_entry(
    connection: Connection, number: int, kind: EntryKind, at: datetime, actor: str, payload: dict[str, Any]
) -> None:
    connection.execute(
        insert(entries).values(incident_number=number, kind=kind.value, at=at, actor=actor, payload=payload)
    )


def _locked_status(connection: Connection, number: int) -> IncidentStatus:
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


def _check_transition(number: int, status: IncidentStatus, kind: EntryKind) -> None:
    allowed = NEXT_ENTRIES[status]
    if kind not in allowed:
        options = ", ".join(sorted(allowed)) or "nothing (the record is closed)"
        raise InvalidTransition(f"incident {number} is {status}: cannot record {kind}; allowed: {options}")


def _release_bookings(connection: Connection, number: int, at: datetime) -> None:
    connection.execute(
        update(bookings)
        .where(bookings.c.incident_number == number, bookings.c.released_at.is_(None))
        .values(released_at=at)
    )


def _held_by_others(
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


def _entries_by_incident(connection: Connection, numbers: list[int]) -> dict[int, list[Entry]]:
    by_number: dict[int, list[Entry]] = defaultdict(list)
    if numbers:
        query = select(entries).where(entries.c.incident_number.in_(numbers)).order_by(entries.c.id)
        for row in connection.execute(query).mappings():
            by_number[row["incident_number"]].append(_entry(row))
    return by_number


def _record(row: Any, incident_entries: list[Entry]) -> IncidentRecord:
    return IncidentRecord(
        number=row["number"],
        idempotency_key=row["idempotency_key"],
        reported_at=row["reported_at"],
        report=row["report"],
        status=derive_status([entry.kind for entry in incident_entries]),
        entries=tuple(incident_entries),
    )


def _load_incident(connection: Connection, number: int) -> IncidentRecord:
    row = connection.execute(select(incidents).where(incidents.c.number == number)).mappings().first()
    if row is None:
        raise NotFound(f"no incident number {number}")
    return _record(row, _entries_by_incident(connection, [number])[number])


# --- integrity checks -----------------------------------------------------------------------------


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
    counter = connection.execute(
        select(counters.c.value).where(counters.c.name == INCIDENT_COUNTER)
    ).scalar()
    if counter is None:
        return ["the incident counter is missing"]
    numbers = list(connection.execute(select(incidents.c.number)).scalars())
    return _missing_numbers(numbers, counter)


def _lifecycle_check(connection: Connection) -> tuple[dict[int, IncidentStatus], list[str]]:
    """Each incident's derived status, and the problems found replaying its entries."""
    numbers = connection.execute(select(incidents.c.number)).scalars()
    kinds: dict[int, list[EntryKind]] = {number: [] for number in numbers}
    query = select(entries.c.incident_number, entries.c.kind).order_by(
        entries.c.incident_number, entries.c.id
    )
    for number, kind in connection.execute(query):
        kinds.setdefault(number, []).append(EntryKind(kind))
    problems: list[str] = []
    statuses: dict[int, IncidentStatus] = {}
    for number in sorted(kinds):
        problems += lifecycle_problems(number, kinds[number])
        if kinds[number]:
            statuses[number] = derive_status(kinds[number])
    return statuses, problems


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
