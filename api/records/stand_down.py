"""Standing down the messages of a plan that no longer holds: its release (issue 18 §3), or the void
of its incident once accepted. In the release's or void's own transaction:

- a message of the plan's accept that has not gone out and is not going out now (queued or failed,
  with no live claim of a sender) is ``withdrawn``: it is never sent;
- whoever it went to, or may be going to now (sent, acknowledged, or claimed by a sender), is queued
  a stand-down message under the release or void entry (:mod:`fleetplan.messages.stand_down`): a crew
  already driving out turns back, the passengers and the duty manager hear the plan changed.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select, update

from fleetplan.messages.model import RecipientRole
from fleetplan.messages.stand_down import Withdrawal, stand_down_text

from api.records.schema import ACKNOWLEDGED, FAILED, QUEUED, SENT, WITHDRAWN, entries, outbox
from api.records.statements import queue_messages
from api.records.types import EntryKind, IncidentStatus

# the outbox's statuses (api.messaging.outbox names them; the records cannot import the messaging)
STANDING = frozenset({IncidentStatus.ACCEPTED, IncidentStatus.ON_SCENE})  # a plan someone may be acting on
WITHDRAWN_NOTE = {Withdrawal.RELEASED: "withdrawn: the plan was released", Withdrawal.VOIDED: "withdrawn: voided"}


def stand_down(
    connection: Connection,
    number: int,
    entry_id: int,
    at: datetime,
    withdrawal: Withdrawal,
    reason: str,
    wall_now: float | None = None,
) -> None:
    """Withdraw the unsent messages of incident ``number``'s accepted plan and queue a stand-down to
    everyone it reached, under entry ``entry_id`` (the release or the void). ``wall_now`` is the
    senders' clock for their claims (seconds since 1970; now by default)."""
    wall_now = time.time() if wall_now is None else wall_now
    accept_id = connection.execute(
        select(func.max(entries.c.id)).where(entries.c.incident_number == number, entries.c.kind == EntryKind.ACCEPT)
    ).scalar()
    if accept_id is None:
        return
    rows = connection.execute(select(outbox).where(outbox.c.accept_entry_id == accept_id).order_by(outbox.c.id))
    told: list[RowMapping] = []
    for row in rows.mappings():
        sending = row["status"] == QUEUED and (row["claimed_until_epoch_s"] or 0.0) > wall_now
        if row["status"] in (QUEUED, FAILED):  # a send in flight finds it withdrawn and leaves it so
            note = WITHDRAWN_NOTE[withdrawal]
            connection.execute(update(outbox).where(outbox.c.id == row["id"]).values(status=WITHDRAWN, error=note))
        if row["status"] in (SENT, ACKNOWLEDGED) or sending:
            told.append(row)
    queue_messages(connection, number, entry_id, at, [_stand_down_message(r, number, withdrawal, reason) for r in told])


def _stand_down_message(row: RowMapping, number: int, withdrawal: Withdrawal, reason: str) -> dict[str, Any]:
    sent_at = row["sent_at"] or row["queued_at"]
    return {
        "recipient_role": row["recipient_role"],
        "recipient_id": row["recipient_id"],
        "recipient_name": row["recipient_name"],
        "phone": row["phone"],
        "lang": row["lang"],
        "text": stand_down_text(
            row["lang"],
            number,
            withdrawal,
            reason,
            sent_at,
            passengers=row["recipient_role"] == RecipientRole.PASSENGERS,
        ),
    }
