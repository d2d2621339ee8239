"""Each coach's latest two fixes, kept up to date as fixes arrive (issue 16: ingest at scale).

``positions`` keeps every fix; finding the latest per coach with a window over all of it grew with
the table (120,000 rows a minute at 2,000 fixes a second). ``latest_positions`` holds one row per coach:
its newest fix and the one before (which way it goes on G1 when it sends no heading), upserted with
each stored fix that is not older than the one it holds. Filled from ``positions`` on upgrade.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FIX_COLUMNS = ("lat", "lon", "at", "speed_kmh", "heading_deg", "source", "emergency")


def _fix_columns(prefix: str, required: bool) -> list[sa.Column]:
    return [
        sa.Column(f"{prefix}lat", sa.Double(), nullable=not required),
        sa.Column(f"{prefix}lon", sa.Double(), nullable=not required),
        sa.Column(f"{prefix}at", sa.DateTime(), nullable=not required),
        sa.Column(f"{prefix}speed_kmh", sa.Double(), nullable=True),
        sa.Column(f"{prefix}heading_deg", sa.Double(), nullable=True),
        sa.Column(f"{prefix}source", sa.String(16), nullable=not required),
        sa.Column(f"{prefix}emergency", sa.Boolean(), nullable=not required),
    ]


def upgrade() -> None:
    op.create_table(
        "latest_positions",
        sa.Column("vehicle_id", sa.String(64), nullable=False),
        *_fix_columns("", True),
        *_fix_columns("prev_", False),
        sa.PrimaryKeyConstraint("vehicle_id", name="pk_latest_positions"),
    )
    ranked = (
        "SELECT vehicle_id, lat, lon, at, speed_kmh, heading_deg, source, emergency, "
        "ROW_NUMBER() OVER (PARTITION BY vehicle_id ORDER BY at DESC, id DESC) AS rank FROM positions"
    )
    latest = ", ".join(f"a.{c}" for c in FIX_COLUMNS)
    previous = ", ".join(f"b.{c}" for c in FIX_COLUMNS)
    columns = ", ".join((*FIX_COLUMNS, *(f"prev_{c}" for c in FIX_COLUMNS)))
    op.execute(
        f"INSERT INTO latest_positions (vehicle_id, {columns}) "
        f"SELECT a.vehicle_id, {latest}, {previous} FROM ({ranked}) a "
        f"LEFT JOIN ({ranked}) b ON b.vehicle_id = a.vehicle_id AND b.rank = 2 WHERE a.rank = 1"
    )


def downgrade() -> None:
    op.drop_table("latest_positions")
