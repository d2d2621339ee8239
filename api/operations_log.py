"""The desk's own append-only records beside the incident store: coach status changes and road closures.

The record store (:mod:`api.records`) keeps incidents; the desk also records two kinds of operating
facts that change later dispatches:

- a **status change** of a coach (in service, standby, workshop) with who and why; the latest one per
  coach wins over the dataset's status;
- a **closure** of an expressway entrance (or all of them, ``"*"``) or of one road edge ``u->v``;
  lifting it appends a *lift* row, the closure row itself is never changed or deleted.

The tables live in the same database as the incident records (their own ``desk_`` names), are defined
in :mod:`api.records.schema` and created by the Alembic migration 0002. Only inserts are issued here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import create_engine, event, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from fleetplan.model import VehicleStatus

from api.records.schema import closure_lifts, closures, inserted_id, vehicle_status_changes

SQLITE_BUSY_TIMEOUT_MS = 30_000
POOL_SIZE, POOL_MAX_OVERFLOW = 5, 35  # room for the service's worker threads


class ClosureKind(StrEnum):
    ENTRANCE = "entrance"  # an interchange or service-area on-ramp, or "*" for every G1 entrance
    EDGE = "edge"  # one directed road edge "u->v"


@dataclass(frozen=True)
class StatusChange:
    id: int
    vehicle_id: str
    status: VehicleStatus
    reason: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class Closure:
    id: int
    kind: ClosureKind
    target: str
    reason: str
    created_at: datetime
    created_by: str

    @property
    def edge(self) -> tuple[str, str]:
        """The ``(u, v)`` of an edge closure."""
        u, _, v = self.target.partition("->")
        return u.strip(), v.strip()

    def closes_same(self, other: Closure) -> bool:
        """The same entrance, or the same edge however it is spaced."""
        if self.kind != other.kind:
            return False
        return self.edge == other.edge if self.kind == ClosureKind.EDGE else self.target == other.target


class ClosureNotActive(LookupError):
    """No active closure has that id (unknown, or already lifted)."""


class AlreadyClosed(ValueError):
    """The target is closed already: a second closure would need a second lift to open the road."""

    def __init__(self, closure: Closure) -> None:
        super().__init__(f"target: {closure.target} is closed already (closure {closure.id}: {closure.reason})")
        self.closure = closure


# Any fixed number: the PostgreSQL advisory lock that puts closures of one database one after another.
CLOSURE_LOCK_KEY = 0x666C_6563_6C6F  # "flecl"


class OperationsLog:
    """Append-only status changes and closures in the service's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------------ coach status
    def record_status(
        self, vehicle_id: str, status: VehicleStatus, reason: str, at: datetime, actor: str
    ) -> StatusChange:
        with self.engine.begin() as connection:
            new_id = inserted_id(
                connection.execute(
                    insert(vehicle_status_changes).values(
                        vehicle_id=vehicle_id, status=status.value, reason=reason, at=at, actor=actor
                    )
                )
            )
        return StatusChange(new_id, vehicle_id, status, reason, at, actor)

    def latest_statuses(self) -> dict[str, StatusChange]:
        """The last recorded change of every coach that has one."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(vehicle_status_changes).order_by(vehicle_status_changes.c.id)).all()
        latest = {}
        for row in rows:  # later rows overwrite earlier ones
            latest[row.vehicle_id] = StatusChange(
                row.id, row.vehicle_id, VehicleStatus(row.status), row.reason, row.at, row.actor
            )
        return latest

    # ------------------------------------------------------------------ closures
    def close(self, kind: ClosureKind, target: str, reason: str, at: datetime, actor: str) -> Closure:
        """Record a closure; raises :class:`AlreadyClosed` (nothing recorded) if that target is closed.

        The row is written first and the check follows in the same transaction: on SQLite the write
        holds the database's write lock, on PostgreSQL an advisory lock is taken first, so of two
        desks closing one road at once the second sees the first's closure."""
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CLOSURE_LOCK_KEY})")
            new_id = inserted_id(
                connection.execute(
                    insert(closures).values(
                        kind=kind.value, target=target, reason=reason, created_at=at, created_by=actor
                    )
                )
            )
            closure = Closure(new_id, kind, target, reason, at, actor)
            earlier = next((c for c in _active(connection) if c.id < new_id and c.closes_same(closure)), None)
            if earlier is not None:
                raise AlreadyClosed(earlier)  # rolls the new row back
        return closure

    def active_closures(self) -> list[Closure]:
        with self.engine.connect() as connection:
            return _active(connection)

    def lift(self, closure_id: int, at: datetime, actor: str) -> None:
        """Record that closure ``closure_id`` is lifted; raises :class:`ClosureNotActive`."""
        if not any(closure.id == closure_id for closure in self.active_closures()):
            raise ClosureNotActive(closure_id)
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(closure_lifts).values(closure_id=closure_id, at=at, actor=actor))
        except IntegrityError:  # lifted by another desk in between
            raise ClosureNotActive(closure_id) from None

    def close_engine(self) -> None:
        self.engine.dispose()


def _active(connection: Connection) -> list[Closure]:
    lifted = select(closure_lifts.c.closure_id)
    query = select(closures).where(closures.c.id.not_in(lifted)).order_by(closures.c.id)
    rows = connection.execute(query).all()
    return [Closure(r.id, ClosureKind(r.kind), r.target, r.reason, r.created_at, r.created_by) for r in rows]


def log_engine(database_url: str) -> Engine:
    """An engine for the log; SQLite gets WAL, full sync and a busy timeout like the record store."""
    engine = create_engine(database_url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_MAX_OVERFLOW)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged change survives a crash
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
