"""An index on ``incidents.reported_at``: the desk lists today's incidents and the history filters by
the day of the report, which read every incident without it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_reported_at", "incidents", ["reported_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_reported_at", table_name="incidents")
