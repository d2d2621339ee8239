"""The records' database engine and its schema migrations.

A SQLite file is created readable by its owner only (:func:`private_sqlite_file`).
SQLite runs with ``journal_mode=WAL`` and ``synchronous=FULL`` (an acknowledged commit survives a
crash of the process or of the machine) and begins write transactions with ``BEGIN IMMEDIATE``
when they carry :data:`WRITE_OPTION`; PostgreSQL is used as configured. Migrations are Alembic's,
from ``api/migrations``, applied live in one transaction.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import stat
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from api.records.types import RecordError

SQLITE_BUSY_TIMEOUT_S = 30  # how long a writer waits for the database lock before giving up
POOL_SIZE, POOL_MAX_OVERFLOW = 5, 35  # room for the service's worker threads
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
WRITE_OPTION = "fleetplan_write"  # execution option: on SQLite, begin with BEGIN IMMEDIATE
PRIVATE_FILE_MODE = 0o600  # the SQLite file: read and written by its owner only
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _dumps(value: Any) -> str:
    # Keep Chinese text readable in the database.
    return json.dumps(value, ensure_ascii=False)


def create_store_engine(url: str | URL) -> Engine:
    """An engine for the records at ``url`` (``sqlite:///path`` or ``postgresql+psycopg://…``).

    SQLite connections get WAL, ``synchronous=FULL``, foreign keys and a busy timeout; SQLAlchemy
    takes over BEGIN from pysqlite (the documented recipe) so that write transactions can begin
    with ``BEGIN IMMEDIATE``: see :meth:`api.records.sql.SqlRecordStore.__init__`.
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
        private_sqlite_file(Path(database))
        # Every connection is kept: a SQLite connection is a file handle, and one opened anew per
        # request under load (the overflow is closed when returned) set its pragmas each time.
        pool = {"pool_size": POOL_SIZE + POOL_MAX_OVERFLOW, "max_overflow": POOL_MAX_OVERFLOW}
        engine = create_engine(parsed, json_serializer=_dumps, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, **pool)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        return create_engine(parsed, json_serializer=_dumps, pool_pre_ping=True, **pool)
    raise RecordError(f"database URL: unsupported backend {backend!r}; use sqlite or postgresql+psycopg")


SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file


def private_sqlite_file(path: Path) -> None:
    """Create the SQLite file ``path`` (and its directory) with mode 0600 before SQLite opens it.

    The records hold incidents and token hashes: only the owner may read them. SQLite gives its WAL
    and shared-memory files the database file's mode. An existing file, and its WAL, shared-memory
    and journal files, lose any group and other permissions; a stricter mode (0400) is kept.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))  # SQLite reads it as empty
    except FileExistsError:
        _refuse_if_not_sqlite(path)  # before its mode is touched: a mistyped --db names someone's file
    except OSError as error:
        raise RecordError(f"database URL: cannot create {path}: {error.strerror or error}") from None
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_SIDE_FILES)):
        try:
            status = file.stat()
            mode = stat.S_IMODE(status.st_mode)
            if stat.S_ISREG(status.st_mode) and mode & ~PRIVATE_FILE_MODE:
                file.chmod(mode & PRIVATE_FILE_MODE)
        except (FileNotFoundError, PermissionError):  # gone, or another user's: SQLite tells if it is usable
            continue


def _refuse_if_not_sqlite(path: Path) -> None:
    """RecordError when ``path`` holds something that is not a SQLite database (an empty file is a
    database SQLite has not written yet)."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except OSError:  # a directory, or unreadable: SQLite will say so
        return
    if head and head != SQLITE_HEADER:
        raise RecordError(f"database URL: {path} is not a SQLite database (left as it was)")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite would BEGIN lazily and only before DML; SQLAlchemy emits BEGIN itself (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")  # first: WAL may wait
        _enable_wal(cursor)
        cursor.execute("PRAGMA synchronous = FULL")  # an acknowledged commit survives power loss too
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front: writers queue instead of failing mid-transaction.
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


WAL_RETRY_PAUSE_S = 0.02


def _enable_wal(cursor: Any) -> None:
    """Put the database in WAL mode, waiting while another connection holds it.

    While another connection holds the write lock of a file still in rollback mode (several processes
    opening one new file), SQLite refuses the change at once with "database is locked": the busy
    handler is skipped to avoid a deadlock. The mode persists in the file, so only the first openers
    of a new file ever wait here."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() == "wal":
                return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
        else:
            if time.monotonic() > deadline:
                raise sqlite3.OperationalError("database is locked: cannot switch it to WAL mode")
        time.sleep(WAL_RETRY_PAUSE_S)


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


# Any fixed number: the PostgreSQL advisory lock every fleetplan process takes to migrate its database.
MIGRATION_LOCK_KEY = 0x666C_6565_7470  # "fleetp"


def upgrade_schema(engine: Engine) -> None:
    """Apply the Alembic migrations up to head, in one transaction (DDL is transactional on both).

    Several processes may start on one new database together; they migrate one after another (SQLite's
    ``BEGIN IMMEDIATE``, a transaction-scoped advisory lock on PostgreSQL), so the later ones find it at
    head instead of failing on tables the first has just created."""
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        command.upgrade(_alembic_config(connection), "head")
