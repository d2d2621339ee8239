"""Coach positions from the feeds, and the least-privilege ``feed`` role that posts them (issue 16).

``positions`` keeps every fix as received (append-only like the other records: a fix is a fact);
the latest per coach is found through the ``(vehicle_id, at)`` index. ``users.role`` gains ``feed``,
a role that may post positions and nothing else.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ROLES_BEFORE = ("viewer", "dispatcher", "planner", "admin")
ROLES = (*ROLES_BEFORE, "feed")
SOURCES = ("json", "gtfs-rt", "jt808")


def _in(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{value}'" for value in values))


def _roles(roles: tuple[str, ...]) -> None:
    with op.batch_alter_table("users") as batch:  # SQLite cannot alter a CHECK: batch copies the table
        batch.drop_constraint("ck_users_role", type_="check")
        batch.create_check_constraint("role", _in("role", roles))


def upgrade() -> None:
    _roles(ROLES)
    op.create_table(
        "positions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vehicle_id", sa.String(64), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("speed_kmh", sa.Double(), nullable=True),
        sa.Column("heading_deg", sa.Double(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("emergency", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("received_by", sa.String(100), nullable=False),
        sa.CheckConstraint(_in("source", SOURCES), name="ck_positions_source"),
        sa.PrimaryKeyConstraint("id", name="pk_positions"),
    )
    op.create_index("ix_positions_vehicle_id_at", "positions", ["vehicle_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_positions_vehicle_id_at", table_name="positions")
    op.drop_table("positions")
    _roles(ROLES_BEFORE)
