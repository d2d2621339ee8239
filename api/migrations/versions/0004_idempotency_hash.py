"""The fingerprint of an idempotent report: SHA-256 of the reporting user and their request.

A replay with a known Idempotency-Key returns the first incident only when the fingerprint matches.
Rows recorded before this column existed keep NULL and match any replay, as before. Adding a
nullable column is neither an UPDATE nor a DELETE, so the append-only triggers of 0001 stay as they are.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("idempotency_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("incidents", "idempotency_hash")
