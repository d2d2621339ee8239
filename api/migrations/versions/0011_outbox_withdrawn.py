"""A message of the outbox can be ``withdrawn``: the plan that yielded it was released, or its incident
voided, before anyone was sent it (issue 18 §3). It is never sent then; those already sent are followed
by a stand-down message queued under the release or void entry (:mod:`api.records.stand_down`).

SQLite cannot alter a CHECK constraint: the table is copied (Alembic's batch mode), rows and all.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BEFORE = ("queued", "sent", "failed", "acknowledged")
AFTER = (*BEFORE, "withdrawn")


def _in(values: tuple[str, ...]) -> str:
    return "status IN ({})".format(", ".join(f"'{value}'" for value in values))


def _status_check(values: tuple[str, ...]) -> None:
    # named as 0009 named it: the metadata's naming convention prefixes "ck_outbox_" to the name given
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("ck_outbox_status", type_="check")
        batch.create_check_constraint("ck_outbox_status", _in(values))


def upgrade() -> None:
    _status_check(AFTER)


def downgrade() -> None:
    op.execute("UPDATE outbox SET status = 'failed' WHERE status = 'withdrawn'")
    _status_check(BEFORE)
