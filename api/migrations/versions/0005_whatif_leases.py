"""What-if jobs held under a lease, and a record of every run: several service processes share one database.

A running job names the run that holds it (``run_id``) and until when (``lease_until_epoch_s``, on the
database's clock); the process renews the lease while the job runs, and another process may take the
job over only once the lease has expired. ``lost_runs`` counts the runs whose process died. Each start
of a job is a row of ``whatif_job_runs`` with its end and outcome, so that an operator (and the
multi-process test) can see who ran what, and when.

Jobs left ``running`` by a version before this one have no lease: they count as expired and run again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OUTCOMES = ("done", "failed", "cancelled", "requeued", "lost", "fenced")


def upgrade() -> None:
    op.add_column("whatif_jobs", sa.Column("run_id", sa.Integer(), nullable=True))
    op.add_column("whatif_jobs", sa.Column("lease_until_epoch_s", sa.Double(), nullable=True))
    op.add_column("whatif_jobs", sa.Column("lost_runs", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.create_table(
        "whatif_job_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("runner", sa.String(100), nullable=False),
        sa.Column("started_epoch_s", sa.Double(), nullable=False),
        sa.Column("lease_until_epoch_s", sa.Double(), nullable=False),
        sa.Column("ended_epoch_s", sa.Double(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.CheckConstraint(
            "outcome IN ({})".format(", ".join(f"'{o}'" for o in OUTCOMES)), name="ck_whatif_job_runs_outcome"
        ),
        sa.ForeignKeyConstraint(["job_id"], ["whatif_jobs.id"], name="fk_whatif_job_runs_job_id_whatif_jobs"),
        sa.PrimaryKeyConstraint("id", name="pk_whatif_job_runs"),
    )
    op.create_index("ix_whatif_job_runs_job_id", "whatif_job_runs", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_whatif_job_runs_job_id", table_name="whatif_job_runs")
    op.drop_table("whatif_job_runs")
    for column in ("lost_runs", "lease_until_epoch_s", "run_id"):
        op.drop_column("whatif_jobs", column)
