"""The operator's records: counters, incidents, entries, bookings, users; append-only triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ENTRY_KINDS = ("report", "options", "accept", "on_scene", "resolved", "follow_up", "void")
ROLES = ("viewer", "dispatcher", "planner", "admin")

# Messages raised by the guards (no colons or percent signs: they pass through SQL text as is).
APPEND_ONLY = "incidents and entries are append-only, record a void entry instead"
COUNTER_RULE = "a counter only moves up by one"
RELEASE_ONLY = "a booking can only be released, once, and never deleted"

# When an update of a booking is anything but setting released_at on an active booking.
SQLITE_BAD_BOOKING_UPDATE = (
    "OLD.released_at IS NOT NULL OR NEW.released_at IS NULL OR NEW.id IS NOT OLD.id"
    " OR NEW.incident_number IS NOT OLD.incident_number OR NEW.vehicle_id IS NOT OLD.vehicle_id"
    " OR NEW.driver_id IS NOT OLD.driver_id OR NEW.booked_at IS NOT OLD.booked_at"
)
POSTGRES_BAD_BOOKING_UPDATE = SQLITE_BAD_BOOKING_UPDATE.replace("IS NOT OLD", "IS DISTINCT FROM OLD")
BAD_COUNTER_UPDATE = "NEW.value <> OLD.value + 1 OR NEW.name <> OLD.name"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_counters"),
    )
    op.create_table(
        "incidents",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_incidents"),
        sa.UniqueConstraint("idempotency_key", name="uq_incidents_idempotency_key"),
    )
    op.create_table(
        "entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.CheckConstraint(_in("kind", ENTRY_KINDS), name="ck_entries_kind"),
        sa.ForeignKeyConstraint(["incident_number"], ["incidents.number"], name="fk_entries_incident_number_incidents"),
        sa.PrimaryKeyConstraint("id", name="pk_entries"),
    )
    op.create_index("ix_entries_incident_number_id", "entries", ["incident_number", "id"])
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_number", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.String(64), nullable=True),
        sa.Column("driver_id", sa.String(64), nullable=True),
        sa.Column("booked_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("(vehicle_id IS NULL) <> (driver_id IS NULL)", name="ck_bookings_one_resource"),
        sa.ForeignKeyConstraint(
            ["incident_number"], ["incidents.number"], name="fk_bookings_incident_number_incidents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_bookings"),
    )
    op.create_index("ix_bookings_incident_number", "bookings", ["incident_number"])
    for resource in ("vehicle", "driver"):
        where = sa.text(f"released_at IS NULL AND {resource}_id IS NOT NULL")
        op.create_index(
            f"uq_bookings_active_{resource}",
            "bookings",
            [f"{resource}_id"],
            unique=True,
            sqlite_where=where,
            postgresql_where=where,
        )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in("role", ROLES), name="ck_users_role"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
        sa.UniqueConstraint("token_hash", name="uq_users_token_hash"),
    )
    op.execute("INSERT INTO counters (name, value) VALUES ('incident_number', 0)")
    if op.get_bind().dialect.name == "postgresql":
        _postgres_guards()
    else:
        _sqlite_guards()


def _sqlite_guards() -> None:
    def refuse(name: str, event: str, table: str, message: str, when: str | None = None) -> None:
        condition = f" WHEN {when}" if when else ""
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON {table}{condition} BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )

    for table in ("incidents", "entries"):
        refuse(f"{table}_no_update", "UPDATE", table, APPEND_ONLY)
        refuse(f"{table}_no_delete", "DELETE", table, APPEND_ONLY)
    refuse("counters_only_increment", "UPDATE", "counters", COUNTER_RULE, BAD_COUNTER_UPDATE)
    refuse("counters_no_delete", "DELETE", "counters", COUNTER_RULE)
    refuse("bookings_release_only", "UPDATE", "bookings", RELEASE_ONLY, SQLITE_BAD_BOOKING_UPDATE)
    refuse("bookings_no_delete", "DELETE", "bookings", RELEASE_ONLY)


def _postgres_guards() -> None:
    op.execute(
        "CREATE FUNCTION fleetplan_refuse() RETURNS trigger LANGUAGE plpgsql AS"
        " $body$ BEGIN RAISE EXCEPTION USING MESSAGE = TG_ARGV[0]; END $body$"
    )

    def refuse(name: str, event: str, table: str, message: str, when: str | None = None) -> None:
        condition = f" WHEN ({when})" if when else ""
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW{condition}"
            f" EXECUTE FUNCTION fleetplan_refuse('{message}')"
        )

    for table in ("incidents", "entries"):
        refuse(f"{table}_append_only", "UPDATE OR DELETE", table, APPEND_ONLY)
        # TRUNCATE skips row triggers; refuse it too.
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION fleetplan_refuse('{APPEND_ONLY}')"
        )
    refuse("counters_only_increment", "UPDATE", "counters", COUNTER_RULE, BAD_COUNTER_UPDATE)
    refuse("counters_no_delete", "DELETE", "counters", COUNTER_RULE)
    refuse("bookings_release_only", "UPDATE", "bookings", RELEASE_ONLY, POSTGRES_BAD_BOOKING_UPDATE)
    refuse("bookings_no_delete", "DELETE", "bookings", RELEASE_ONLY)


def downgrade() -> None:
    # Dropping the tables drops their triggers on both backends.
    for table in ("users", "bookings", "entries", "incidents", "counters"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION fleetplan_refuse()")
