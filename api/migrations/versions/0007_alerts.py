"""Alerts raised from the positions (issue 16 §3): a suspected breakdown, an emergency alarm, a silent
terminal, a late rescue. A queue, like the what-if jobs: an alert is raised ``open`` and later
``confirmed`` (with the incident it became) or ``dismissed`` (with a reason) — one update, by a person.
A partial unique index keeps one open alert per coach and kind, whichever process raises it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

KINDS = ("suspected_breakdown", "emergency_alarm", "feed_stale", "rescue_late")
STATUSES = ("open", "confirmed", "dismissed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{value}'" for value in values))


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("vehicle_id", sa.String(64), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.String(100), nullable=True),
        sa.Column("incident_number", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.CheckConstraint(_in("kind", KINDS), name="ck_alerts_kind"),
        sa.CheckConstraint(_in("status", STATUSES), name="ck_alerts_status"),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
    )
    where = sa.text("status = 'open'")
    op.create_index(
        "uq_alerts_open_vehicle_id_kind",
        "alerts",
        ["vehicle_id", "kind"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )
    op.create_index("ix_alerts_status_id", "alerts", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_alerts_status_id", table_name="alerts")
    op.drop_index("uq_alerts_open_vehicle_id_kind", table_name="alerts")
    op.drop_table("alerts")
