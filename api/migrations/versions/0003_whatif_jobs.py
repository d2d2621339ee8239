"""Planners' what-if jobs: parameters, status, progress and result of each HTTP what-if run.

Unlike the records of 0001 and 0002 these rows are updated (status, progress, result), so no
append-only triggers are created for them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STATUSES = ("queued", "running", "done", "failed", "cancelled")


def upgrade() -> None:
    op.create_table(
        "whatif_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.String(100), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("done_reps", sa.Integer(), nullable=False),
        sa.Column("total_reps", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("kpis_csv", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("cancelled_by", sa.String(100), nullable=True),
        sa.CheckConstraint(
            "status IN ({})".format(", ".join(f"'{s}'" for s in STATUSES)), name="ck_whatif_jobs_status"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_whatif_jobs"),
    )
    op.create_index("ix_whatif_jobs_status_id", "whatif_jobs", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_whatif_jobs_status_id", table_name="whatif_jobs")
    op.drop_table("whatif_jobs")
