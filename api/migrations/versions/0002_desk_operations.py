"""The desk's operating facts: coach status changes, road closures and their lifting (append-only).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_vehicle_status_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vehicle_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_desk_vehicle_status_changes"),
    )
    op.create_index("ix_desk_vehicle_status_changes_vehicle_id", "desk_vehicle_status_changes", ["vehicle_id"])
    op.create_table(
        "desk_closures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_desk_closures"),
    )
    op.create_table(
        "desk_closure_lifts",
        sa.Column("closure_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["closure_id"], ["desk_closures.id"], name="fk_desk_closure_lifts_closure_id_desk_closures"
        ),
        sa.PrimaryKeyConstraint("closure_id", name="pk_desk_closure_lifts"),
    )


def downgrade() -> None:
    op.drop_table("desk_closure_lifts")
    op.drop_table("desk_closures")
    op.drop_index("ix_desk_vehicle_status_changes_vehicle_id", table_name="desk_vehicle_status_changes")
    op.drop_table("desk_vehicle_status_changes")
