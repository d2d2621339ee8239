"""The outbox of the desk's ready messages (issue 17): each message an accepted plan yields, to the
rescue crews, the failed coach's driver, the passengers, the university, the duty manager and the
police, in Chinese and English. Queued in the accept's own transaction, then sent by the service
(``sent`` or, after the last attempt, ``failed``) and acknowledged once by a dispatcher.

Like the what-if jobs, a queue whose rows are updated: ``status``, ``attempts``, ``error`` and the
times change; what was said to whom never does. A sender claims a row by setting its claim in the
future, only while it is queued and unclaimed (or the claim expired), so two service processes on
one database never send it at once. One row per accept entry, recipient and language: a message is
never queued twice.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ROLES = (
    "rescue_driver",
    "cover_driver",
    "failed_driver",
    "passengers",
    "university_transport_office",
    "duty_manager",
    "highway_police",
)
STATUSES = ("queued", "sent", "failed", "acknowledged")
LANGS = ("zh", "en")


def _in(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{value}'" for value in values))


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_number", sa.Integer(), nullable=False),
        sa.Column("accept_entry_id", sa.Integer(), nullable=False),
        sa.Column("recipient_role", sa.String(32), nullable=False),
        sa.Column("recipient_id", sa.String(80), nullable=False),
        sa.Column("recipient_name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("resends", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("error", sa.String(2000), nullable=True),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(100), nullable=True),
        sa.Column("next_attempt_epoch_s", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("claimed_until_epoch_s", sa.Double(), nullable=True),
        sa.CheckConstraint(_in("recipient_role", ROLES), name="ck_outbox_recipient_role"),
        sa.CheckConstraint(_in("status", STATUSES), name="ck_outbox_status"),
        sa.CheckConstraint(_in("lang", LANGS), name="ck_outbox_lang"),
        sa.ForeignKeyConstraint(["incident_number"], ["incidents.number"], name="fk_outbox_incident_number_incidents"),
        sa.ForeignKeyConstraint(["accept_entry_id"], ["entries.id"], name="fk_outbox_accept_entry_id_entries"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint(
            "accept_entry_id",
            "recipient_role",
            "recipient_id",
            "lang",
            name="uq_outbox_accept_entry_id_recipient_role_recipient_id_lang",
        ),
    )
    op.create_index("ix_outbox_incident_number_id", "outbox", ["incident_number", "id"])
    op.create_index("ix_outbox_status_id", "outbox", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status_id", table_name="outbox")
    op.drop_index("ix_outbox_incident_number_id", table_name="outbox")
    op.drop_table("outbox")
