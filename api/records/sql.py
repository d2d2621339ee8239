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
  The key is stored with a fingerprint of the user and their request (:func:`request_fingerprint`):
  a replay returns the first incident only when both match, else :class:`IdempotencyMismatch`
  (rows recorded before the fingerprint existed match any replay, as they always did).
- **Atomic bookings.** Partial unique indexes allow one active booking per coach and per driver;
  the ACCEPT entry and its bookings are inserted in one transaction, so a conflict leaves nothing.
  The same transaction re-reads whether each coach is still usable (not in the workshop, not broken
  down in another open incident: :mod:`api.records.usability`), so no desk books a coach that
  another has just taken out of service.
- **Durability.** SQLite runs with ``journal_mode=WAL`` and ``synchronous=FULL``: an acknowledged
  (committed) report survives a crash of the process or of the machine.
- **Tokens.** Only the SHA-256 of a bearer token is stored. Tokens are 32 random bytes from
  :mod:`secrets`, so a fast unsalted hash is enough: there is nothing to guess or precompute.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from fleetplan.messages.stand_down import Withdrawal
from fleetplan.units import china_now

from api.records import audit, joint
from api.records.engine import WRITE_OPTION, create_store_engine, upgrade_schema
from api.records.fields import json_ready, local_naive, request_fingerprint, text_field
from api.records.filters import conditions, with_statuses
from api.records.lifecycle import RELEASING_KINDS, check_transition, derive_status, lifecycle_problems
from api.records.schema import KEY_LENGTH, NAME_LENGTH, RESOURCE_ID_LENGTH, bookings, incidents, users
from api.records.stand_down import STANDING, stand_down
from api.records.statements import (
    entries_by_incident,
    entry_kinds_by_incident,
    held_by_others,
    incident_record,
    insert_entry,
    latest_entry_id,
    load_incident,
    locked_status,
    next_incident_number,
    queue_messages,
    release_bookings,
    replayed,
)
from api.records.types import (
    Booking,
    BookingConflict,
    EntryKind,
    IncidentHead,
    IncidentQuery,
    IncidentRecord,
    IncidentStatus,
    InvalidTransition,
    JointAccept,
    RecordError,
    ResourceUnusable,
    Role,
    Superseded,
    User,
)
from api.records.usability import refuse_same_breakdown, unusable_coaches

# derive_status and lifecycle_problems live in api.records.lifecycle; callers import them from here too.
__all__ = ["SqlRecordStore", "derive_status", "lifecycle_problems", "open_store", "token_hash"]

_ACCEPT_ATTEMPTS = 3  # a booking conflict whose holder vanished before we could name it is retried


def new_token() -> str:
    """32 random bytes, URL-safe, never starting with ``-``: a token is passed on command lines
    (``--token TOKEN``), where a leading dash reads as an option."""
    while (token := secrets.token_urlsafe(32)).startswith("-"):  # 1 in 64; the loop ends at once
        pass
    return token


def token_hash(token: str) -> str:
    """SHA-256 hex digest of a bearer token: what the users table stores instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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
        self._writer = self._engine.execution_options(**{WRITE_OPTION: True})
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
        request: dict[str, Any] | None = None,
        same_breakdown_within: timedelta | None = None,
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
            Optional client key: the same key, user and request always yield the same incident.
        request
            The request as the client sent it (JSON-ready), fingerprinted with ``actor`` and stored
            with the key; default: ``report`` and ``reported_at``.
        same_breakdown_within
            An open incident of the coach reported this close in time is the same breakdown (None: no check).

        Returns
        -------
        tuple[IncidentRecord, bool]
            The incident and True if this call created it, False if the key was already known.

        Raises
        ------
        IdempotencyMismatch
            The key is known but was sent with another request or by another user; nothing recorded.
        AlreadyReported
            See ``same_breakdown_within`` (checked under the write lock); nothing recorded.
        """
        json_ready("report", report)
        reported_at = local_naive("reported_at", reported_at)
        actor = text_field("actor", actor, NAME_LENGTH)
        fingerprint = None
        if idempotency_key is not None:
            idempotency_key = text_field("idempotency_key", idempotency_key, KEY_LENGTH)
            if request is None:
                request = {"report": report, "reported_at": reported_at.isoformat(timespec="minutes")}
            json_ready("request", request)
            fingerprint = request_fingerprint(actor, request)
            existing = self._incident_for_key(idempotency_key, fingerprint)
            if existing is not None:
                return existing, False
        try:
            with self._writer.begin() as connection:
                if idempotency_key is not None:  # authoritative check, under the write lock
                    known = replayed(connection, idempotency_key, fingerprint)
                    if known is not None:
                        return known, False
                number = next_incident_number(connection)  # holds the counter: writers queue from here
                if same_breakdown_within is not None:  # so this reads every report committed before ours
                    refuse_same_breakdown(connection, report.get("vehicle_id", ""), reported_at, same_breakdown_within)
                now = self._clock()
                connection.execute(
                    insert(incidents).values(
                        number=number,
                        idempotency_key=idempotency_key,
                        idempotency_hash=fingerprint,
                        reported_at=reported_at,
                        report=report,
                        recorded_at=now,
                        recorded_by=actor,
                    )
                )
                payload = {"report": report, "reported_at": reported_at.isoformat(timespec="minutes")}
                insert_entry(connection, number, EntryKind.REPORT, now, actor, payload)
                return load_incident(connection, number), True
        except IntegrityError:
            # A concurrent report with the same key won the unique constraint; ours rolled back.
            if idempotency_key is None:
                raise
            existing = self._incident_for_key(idempotency_key, fingerprint)
            if existing is None:
                raise
            return existing, False

    def _incident_for_key(self, key: str, fingerprint: str | None) -> IncidentRecord | None:
        with self._reader.connect() as connection:
            return replayed(connection, key, fingerprint)

    def append(
        self, number: int, kind: EntryKind, actor: str, payload: dict[str, Any], after: int | None = None
    ) -> IncidentRecord:
        """:meth:`append_entry`, then the incident as it is after it (read after the commit: decoding every
        plan stored on it would hold the write lock meanwhile, on SQLite the whole database's; the record
        may then hold an entry appended since, never less)."""
        self.append_entry(number, kind, actor, payload, after)
        return self.incident(number)

    def append_entry(
        self, number: int, kind: EntryKind, actor: str, payload: dict[str, Any], after: int | None = None
    ) -> int:
        """Append a lifecycle entry, its id; RESOLVED and VOID release the incident's bookings.

        With ``after``, the entry is appended only while entry ``after`` is still the incident's latest:
        what was computed from it (the alternatives to a first plan) must not overwrite a newer entry.

        Raises
        ------
        NotFound
            No incident has this number.
        InvalidTransition
            The entry is not allowed in the incident's status (see :data:`NEXT_ENTRIES`), or it is an
            ACCEPT (use :meth:`accept`) or a REPORT.
        Superseded
            Entry ``after`` is no longer the latest (an InvalidTransition).
        """
        kind = EntryKind(kind)
        if kind == EntryKind.ACCEPT:
            raise InvalidTransition("accepting a plan books its coaches and drivers: use accept")
        actor = text_field("actor", actor, NAME_LENGTH)
        with self._writer.begin() as connection:
            status = locked_status(connection, number)
            check_transition(number, status, kind)
            if after is not None and latest_entry_id(connection, number) != after:
                raise Superseded(f"incident {number} has an entry newer than {after}")
            if kind == EntryKind.REPORT:  # after an accept only: un-accepting frees bookings (release)
                raise InvalidTransition(f"incident {number} is {status}: un-accepting a plan is a release: use release")
            now = self._clock()
            entry_id = insert_entry(connection, number, kind, now, actor, payload)
            if kind in RELEASING_KINDS:
                release_bookings(connection, number, now)
            if kind == EntryKind.VOID and status in STANDING:  # whoever was told to act must not
                stand_down(connection, number, entry_id, now, Withdrawal.VOIDED, str(payload.get("reason") or ""))
        return entry_id

    def accept(
        self,
        number: int,
        actor: str,
        payload: dict[str, Any],
        vehicle_ids: list[str],
        driver_ids: list[str],
        messages: Sequence[dict[str, Any]] = (),
    ) -> IncidentRecord:
        """Append the ACCEPT entry and book the plan's coaches and drivers, all or none, queueing
        ``messages`` (the plan's ready messages, :func:`~api.records.statements.queue_messages`) with them.

        Raises
        ------
        BookingConflict
            Some of the coaches or drivers are booked by another incident; nothing was recorded.
        ResourceUnusable
            A BookingConflict: some of the coaches are in the workshop or broke down in another open
            incident, read in the booking's own transaction (:mod:`api.records.usability`); nothing was recorded.
        NotFound, InvalidTransition
            As for :meth:`append`.
        """
        actor = text_field("actor", actor, NAME_LENGTH)
        # Sorted: concurrent accepts take the unique-index entries in one order, so PostgreSQL
        # makes the later one wait and fail instead of deadlocking.
        vehicles = sorted({text_field("vehicle_ids", v, RESOURCE_ID_LENGTH) for v in vehicle_ids})
        drivers = sorted({text_field("driver_ids", d, RESOURCE_ID_LENGTH) for d in driver_ids})
        for _attempt in range(_ACCEPT_ATTEMPTS):
            try:
                return self._accept_once(number, actor, payload, vehicles, drivers, messages)
            except IntegrityError:
                # Another transaction booked one of them first (PostgreSQL; SQLite's writers are
                # serialised and stop at the check). Name the holders; if they were released in the
                # meantime, try again.
                with self._reader.connect() as connection:
                    held = held_by_others(connection, number, vehicles, drivers)
                if held != ([], []):
                    raise BookingConflict(*held) from None
        raise RecordError(f"incident {number}: the bookings kept changing; accept again")

    def _accept_once(
        self,
        number: int,
        actor: str,
        payload: dict[str, Any],
        vehicles: list[str],
        drivers: list[str],
        messages: Sequence[dict[str, Any]],
    ) -> IncidentRecord:
        with self._writer.begin() as connection:
            check_transition(number, locked_status(connection, number), EntryKind.ACCEPT)
            held = held_by_others(connection, number, vehicles, drivers)
            if held != ([], []):
                raise BookingConflict(*held)
            unusable = unusable_coaches(connection, number, vehicles)  # in this transaction: see usability
            if unusable:
                raise ResourceUnusable(unusable, sorted(unusable), [])
            now = self._clock()
            entry_id = insert_entry(connection, number, EntryKind.ACCEPT, now, actor, payload)
            queue_messages(connection, number, entry_id, now, messages)
            rows = [{"vehicle_id": v, "driver_id": None} for v in vehicles]
            rows += [{"vehicle_id": None, "driver_id": d} for d in drivers]
            for row in rows:  # one statement each, in sorted order (see accept)
                connection.execute(insert(bookings).values(incident_number=number, booked_at=now, **row))
            return load_incident(connection, number)

    def accept_jointly(self, accepts: Sequence[JointAccept], actor: str) -> list[IncidentRecord]:
        """Accept one joint plan for several incidents, all or none (:func:`api.records.joint.accept_jointly`)."""
        actor = text_field("actor", actor, NAME_LENGTH)
        try:
            return joint.accept_jointly(self._writer, self._clock, accepts, actor)
        except IntegrityError:  # another transaction booked one first (PostgreSQL): name the holders
            with self._reader.connect() as connection:
                held = [held_by_others(connection, p.number, p.vehicle_ids, p.driver_ids) for p in accepts]
            raise BookingConflict(
                sorted({v for h in held for v in h[0]}), sorted({d for h in held for d in h[1]})
            ) from None

    def release(self, numbers: Sequence[int], actor: str, payload: dict[str, Any]) -> list[IncidentRecord]:
        """Un-accept incidents not yet on scene, freeing their bookings (:func:`api.records.joint.release`)."""
        return joint.release(self._writer, self._clock, numbers, text_field("actor", actor, NAME_LENGTH), payload)

    def incident(self, number: int) -> IncidentRecord:
        """The incident with all its entries; raises NotFound."""
        with self._reader.connect() as connection:
            return load_incident(connection, number)

    def incidents(
        self,
        statuses: set[IncidentStatus] | None = None,
        limit: int = 200,
        *,
        query: IncidentQuery | None = None,
        offset: int = 0,
    ) -> list[IncidentRecord]:
        """Incidents newest first, with their entries, optionally only those in ``statuses``.

        ``query`` filters further (day range, coach, tier, kind, free text; see
        :class:`~api.records.types.IncidentQuery`), ``offset`` skips that many of the newest.
        Every filter runs in SQL; the status filter on each incident's latest entry (the same rule as
        :func:`derive_status`), so no status column is needed.
        """
        query = with_statuses(query, statuses)
        statement = (
            select(incidents)
            .where(*conditions(query))
            .order_by(incidents.c.number.desc())
            .limit(max(0, int(limit)))
            .offset(max(0, int(offset)))
        )
        with self._reader.connect() as connection:
            rows = connection.execute(statement).mappings().all()
            by_number = entries_by_incident(connection, [row["number"] for row in rows])
        return [incident_record(row, by_number[row["number"]]) for row in rows]

    def incident_heads(self, statuses: set[IncidentStatus], limit: int = 200) -> list[IncidentHead]:
        """The incidents in ``statuses`` (filtered as :meth:`incidents` does), newest first, without
        their entries: their status from the entries' kinds alone."""
        statement = (
            select(incidents.c.number, incidents.c.reported_at, incidents.c.report)
            .where(*conditions(with_statuses(None, statuses)))
            .order_by(incidents.c.number.desc())
            .limit(max(0, int(limit)))
        )
        with self._reader.connect() as connection:
            rows = connection.execute(statement).all()
            kinds = entry_kinds_by_incident(connection, [row.number for row in rows])
        return [IncidentHead(row.number, row.reported_at, row.report, derive_status(kinds[row.number])) for row in rows]

    def count_incidents(self, query: IncidentQuery | None = None) -> int:
        """How many incidents ``query`` finds (all of them without one)."""
        statement = select(func.count()).select_from(incidents).where(*conditions(with_statuses(query, None)))
        with self._reader.connect() as connection:
            return int(connection.execute(statement).scalar_one())

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
        name = text_field("name", name, NAME_LENGTH)
        try:
            role = Role(role)
        except ValueError:
            raise RecordError(f"role: {role!r} is not one of {', '.join(Role)}") from None
        token = new_token()
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
        coach or driver has two active bookings; only accepted or on-scene incidents hold bookings; each
        incident's indexed latest entry (``latest_entries``) is its latest entry.
        """
        with self._reader.connect() as connection:  # one snapshot for every check
            return audit.integrity_problems(connection)


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
