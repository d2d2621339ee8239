"""The tables of the operator's records (SQLAlchemy Core, shared by SQLite and PostgreSQL).

The migrations under ``api/migrations/versions`` are the source of truth for the database; this
metadata mirrors them for queries and is checked against the migrated schema by the tests.

Append-only by construction:

- ``incidents`` holds each report as first recorded; its ``number`` comes from ``counters`` in the
  same transaction as the insert, so numbers have no gaps and are never reused.
- ``entries`` is the lifecycle (report, options, accept, on scene, resolved, follow-up, void); the
  status of an incident is derived from its latest entry, never stored.
- ``latest_entries`` indexes each incident's latest entry (its id and kind), moved forward in the
  transaction that appends the entry (migration 0012): the desk asks for the open incidents on every
  report, and finding them by the latest entry of every incident ever recorded grew with the records.
  It is derived from ``entries``, which stay the record; the integrity audit compares the two.
- ``bookings`` are the only rows ever updated: ``released_at`` is set once when the incident is
  resolved or voided. Partial unique indexes allow one *active* booking per coach and per driver.
- Triggers (created by the migration) refuse UPDATE and DELETE on ``incidents`` and ``entries``,
  any change of a booking other than its release, and any counter change other than ``+1``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    CursorResult,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from api.records.types import EntryKind, Role

# Names for constraints so that migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

INCIDENT_COUNTER = "incident_number"  # the counters row that numbers incidents
NAME_LENGTH = 100  # user names and actors
KEY_LENGTH = 200  # idempotency keys
HASH_LENGTH = 64  # SHA-256 hex digests
RESOURCE_ID_LENGTH = 64  # vehicle and driver ids

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _in_list(column: str, values: list[str]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


ENTRY_KINDS_CHECK = _in_list("kind", [kind.value for kind in EntryKind])
ROLES_CHECK = _in_list("role", [role.value for role in Role])
ONE_RESOURCE_CHECK = "(vehicle_id IS NULL) <> (driver_id IS NULL)"
ACTIVE = "released_at IS NULL"

counters = Table(
    "counters",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("value", Integer, nullable=False),
)

incidents = Table(
    "incidents",
    metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("idempotency_key", String(KEY_LENGTH), nullable=True, unique=True),
    # SHA-256 hex of the reporting user and their request (migration 0004); NULL on older rows
    Column("idempotency_hash", String(HASH_LENGTH), nullable=True),
    Column("reported_at", DateTime(), nullable=False),  # when it happened, as reported
    Column("report", JSON, nullable=False),
    Column("recorded_at", DateTime(), nullable=False),  # when the store recorded it
    Column("recorded_by", String(NAME_LENGTH), nullable=False),
    Index(None, "reported_at"),  # today's incidents, the history by day (migration 0010)
)

entries = Table(
    "entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_number", Integer, ForeignKey("incidents.number"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("at", DateTime(), nullable=False),
    Column("actor", String(NAME_LENGTH), nullable=False),
    Column("payload", JSON, nullable=False),
    CheckConstraint(ENTRY_KINDS_CHECK, name="kind"),
    Index(None, "incident_number", "id"),
)

latest_entries = Table(
    "latest_entries",
    metadata,
    Column("number", Integer, ForeignKey("incidents.number"), primary_key=True, autoincrement=False),
    Column("entry_id", Integer, nullable=False),
    Column("kind", String(20), nullable=False, index=True),
)

bookings = Table(
    "bookings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_number", Integer, ForeignKey("incidents.number"), nullable=False, index=True),
    Column("vehicle_id", String(RESOURCE_ID_LENGTH), nullable=True),
    Column("driver_id", String(RESOURCE_ID_LENGTH), nullable=True),
    Column("booked_at", DateTime(), nullable=False),
    Column("released_at", DateTime(), nullable=True),
    CheckConstraint(ONE_RESOURCE_CHECK, name="one_resource"),
    # One active booking per coach and per driver: the guarantee behind "exactly one accept wins".
    Index(
        "uq_bookings_active_vehicle",
        "vehicle_id",
        unique=True,
        sqlite_where=text(f"{ACTIVE} AND vehicle_id IS NOT NULL"),
        postgresql_where=text(f"{ACTIVE} AND vehicle_id IS NOT NULL"),
    ),
    Index(
        "uq_bookings_active_driver",
        "driver_id",
        unique=True,
        sqlite_where=text(f"{ACTIVE} AND driver_id IS NOT NULL"),
        postgresql_where=text(f"{ACTIVE} AND driver_id IS NOT NULL"),
    ),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(NAME_LENGTH), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex of the bearer token
    Column("created_at", DateTime(), nullable=False),
    CheckConstraint(ROLES_CHECK, name="role"),
)


# --- the desk's operating facts (api/operations_log.py): coach status changes and road closures ---
vehicle_status_changes = Table(
    "desk_vehicle_status_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("vehicle_id", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("actor", String(100), nullable=False),
)

closures = Table(
    "desk_closures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("target", String(200), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
)

closure_lifts = Table(
    "desk_closure_lifts",
    metadata,
    # unique: a closure is lifted at most once, even when two desks lift it at the same moment
    Column("closure_id", Integer, ForeignKey("desk_closures.id"), primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(100), nullable=False),
)


# --- coach positions from the feeds (migration 0006): every fix as received ---
POSITION_SOURCES = ("json", "gtfs-rt", "jt808")

positions = Table(
    "positions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("vehicle_id", String(RESOURCE_ID_LENGTH), nullable=False),
    Column("lat", Double, nullable=False),
    Column("lon", Double, nullable=False),
    Column("at", DateTime, nullable=False),  # when the fix was taken, China Standard Time
    Column("received_at", DateTime, nullable=False),  # when the service stored it (the service's clock)
    Column("speed_kmh", Double, nullable=True),
    Column("heading_deg", Double, nullable=True),
    Column("source", String(16), nullable=False),
    Column("emergency", Boolean, nullable=False, server_default=false()),
    Column("received_by", String(NAME_LENGTH), nullable=False),  # the feed user that posted it
    CheckConstraint(_in_list("source", list(POSITION_SOURCES)), name="source"),
    Index(None, "vehicle_id", "at"),  # the latest fixes of each coach
)


# --- each coach's latest two fixes (migration 0008), upserted as fixes are stored ---
def _fix_columns(prefix: str, required: bool) -> list[Column]:
    return [
        Column(f"{prefix}lat", Double, nullable=not required),
        Column(f"{prefix}lon", Double, nullable=not required),
        Column(f"{prefix}at", DateTime, nullable=not required),
        Column(f"{prefix}speed_kmh", Double, nullable=True),
        Column(f"{prefix}heading_deg", Double, nullable=True),
        Column(f"{prefix}source", String(16), nullable=not required),
        Column(f"{prefix}emergency", Boolean, nullable=not required),
    ]


latest_positions = Table(
    "latest_positions",
    metadata,
    Column("vehicle_id", String(RESOURCE_ID_LENGTH), primary_key=True),
    *_fix_columns("", True),
    *_fix_columns("prev_", False),
)


# --- alerts raised from the positions (migration 0007): open, then confirmed or dismissed once ---
ALERT_KINDS = ("suspected_breakdown", "emergency_alarm", "feed_stale", "rescue_late")
ALERT_STATUSES = ("open", "confirmed", "dismissed")
OPEN_ALERT = "status = 'open'"

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("vehicle_id", String(RESOURCE_ID_LENGTH), nullable=False),
    Column("place", String(200), nullable=False),  # as a dispatcher writes it, e.g. "G1 K59.0 toward Changchun"
    Column("lat", Double, nullable=False),
    Column("lon", Double, nullable=False),
    Column("since", DateTime, nullable=False),  # when what it reports began (China time)
    Column("raised_at", DateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("plan", JSON, nullable=True),  # the options the dispatch path computed when it was raised
    Column("closed_at", DateTime, nullable=True),
    Column("closed_by", String(NAME_LENGTH), nullable=True),
    Column("incident_number", Integer, nullable=True),  # the incident a confirmed alert became
    Column("reason", String(2000), nullable=True),  # why it was dismissed
    CheckConstraint(_in_list("kind", list(ALERT_KINDS)), name="kind"),
    CheckConstraint(_in_list("status", list(ALERT_STATUSES)), name="status"),
    # one open alert per coach and kind, whichever process raises it
    Index(
        "uq_alerts_open_vehicle_id_kind",
        "vehicle_id",
        "kind",
        unique=True,
        sqlite_where=text(OPEN_ALERT),
        postgresql_where=text(OPEN_ALERT),
    ),
    Index(None, "status", "id"),
)


# --- the desk's ready messages (migration 0009): queued with the accept, then sent, failed or acknowledged ---
OUTBOX_ROLES = (
    "rescue_driver",
    "cover_driver",
    "failed_driver",
    "passengers",
    "university_transport_office",
    "duty_manager",
    "highway_police",
)
# An outbox message's states (api.messaging.outbox); withdrawn: never sent, its plan released (migration 0011)
QUEUED, SENT, FAILED, ACKNOWLEDGED, WITHDRAWN = "queued", "sent", "failed", "acknowledged", "withdrawn"
OUTBOX_STATUSES = (QUEUED, SENT, FAILED, ACKNOWLEDGED, WITHDRAWN)
OUTBOX_LANGS = ("zh", "en")
PHONE_LENGTH = 20
RECIPIENT_ID_LENGTH = 80  # an id of up to 64 characters behind "trip:" or "vehicle:"
MESSAGE_ERROR_LENGTH = 2000

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_number", Integer, ForeignKey("incidents.number"), nullable=False),
    Column("accept_entry_id", Integer, ForeignKey("entries.id"), nullable=False),  # the accept that yielded it
    Column("recipient_role", String(32), nullable=False),
    Column("recipient_id", String(RECIPIENT_ID_LENGTH), nullable=False),  # driver, contact, or trip:<id>
    Column("recipient_name", String(200), nullable=False),
    Column("phone", String(PHONE_LENGTH), nullable=True),  # None: the data hold none (the passengers')
    Column("lang", String(2), nullable=False),
    Column("text", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),  # sends tried, every round
    Column("resends", Integer, nullable=False, server_default=text("0")),  # failed ones a dispatcher queued again
    Column("error", String(MESSAGE_ERROR_LENGTH), nullable=True),  # why the latest attempt failed
    Column("queued_at", DateTime(), nullable=False),
    Column("sent_at", DateTime(), nullable=True),
    Column("acknowledged_at", DateTime(), nullable=True),
    Column("acknowledged_by", String(NAME_LENGTH), nullable=True),
    # the sender's bookkeeping, on the wall clock (seconds since 1970): not before this, and claimed until this
    Column("next_attempt_epoch_s", Double, nullable=False, server_default=text("0")),
    Column("claimed_until_epoch_s", Double, nullable=True),
    CheckConstraint(_in_list("recipient_role", list(OUTBOX_ROLES)), name="recipient_role"),
    CheckConstraint(_in_list("status", list(OUTBOX_STATUSES)), name="status"),
    CheckConstraint(_in_list("lang", list(OUTBOX_LANGS)), name="lang"),
    UniqueConstraint("accept_entry_id", "recipient_role", "recipient_id", "lang"),  # never queued twice
    Index(None, "incident_number", "id"),
    Index(None, "status", "id"),  # the queue
)


# --- planners' what-if jobs (api/whatif_jobs.py, migration 0003): the one table whose rows are updated ---
WHATIF_JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")
WHATIF_STATUS_CHECK = _in_list("status", list(WHATIF_JOB_STATUSES))

whatif_jobs = Table(
    "whatif_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("status", String(16), nullable=False),
    Column("request", JSON, nullable=False),  # the validated parameters (start, end, backups, calendar, reps, seed)
    Column("submitted_by", String(NAME_LENGTH), nullable=False),
    Column("submitted_at", DateTime(), nullable=False),
    Column("started_at", DateTime(), nullable=True),
    Column("finished_at", DateTime(), nullable=True),
    Column("done_reps", Integer, nullable=False),
    Column("total_reps", Integer, nullable=False),
    Column("result", JSON, nullable=True),  # WhatIfResult.as_dict()
    Column("kpis_csv", Text, nullable=True),  # the rows of the CLI's kpis.csv, as text
    Column("error", Text, nullable=True),
    Column("cancel_requested", Boolean, nullable=False, server_default=false()),
    Column("cancelled_by", String(NAME_LENGTH), nullable=True),
    # the lease of a running job (migration 0005): the run that holds it and until when, on the database's clock
    Column("run_id", Integer, nullable=True),
    Column("lease_until_epoch_s", Double, nullable=True),
    Column("lost_runs", Integer, nullable=False, server_default=text("0")),  # runs whose process died
    CheckConstraint(WHATIF_STATUS_CHECK, name="status"),
    Index(None, "status", "id"),  # the queue: oldest queued job first
)

# Every start of a job by a service process, with its end (migration 0005): who ran what, and when
WHATIF_RUN_OUTCOMES = ("done", "failed", "cancelled", "requeued", "lost", "fenced")

whatif_job_runs = Table(
    "whatif_job_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, ForeignKey("whatif_jobs.id"), nullable=False, index=True),
    Column("runner", String(NAME_LENGTH), nullable=False),  # host:pid of the service process
    Column("started_epoch_s", Double, nullable=False),  # the database's clock, seconds since 1970 UTC
    Column("lease_until_epoch_s", Double, nullable=False),  # its last lease
    Column("ended_epoch_s", Double, nullable=True),  # NULL: it never said (its process died)
    Column("outcome", String(16), nullable=True),
    CheckConstraint(_in_list("outcome", list(WHATIF_RUN_OUTCOMES)), name="outcome"),
)


def inserted_id(result: CursorResult[Any]) -> int:
    """The key of the one row an INSERT just added (every table here has a one-column integer key)."""
    key = result.inserted_primary_key
    assert key is not None  # an INSERT of a row always reports its key
    return int(key[0])
