"""The outbox of the desk's ready messages in the records' database (migration 0009).

A message is queued with the accept that yields it (:meth:`api.records.sql.SqlRecordStore.accept`),
then:

- **sent** when the gateway took it; an attempt that fails records the error and, with backoff, the
  sender tries again up to ``max_attempts`` times; after the last one it is **failed**;
- a failed message is queued again by a dispatcher (:meth:`Outbox.resend`), for another round of
  attempts;
- a sent message is **acknowledged** once, by a dispatcher, when its recipient confirmed it;
- a message not yet sent when its plan is released or its incident voided is **withdrawn** (never
  sent), and whoever was sent one gets a stand-down (:mod:`api.records.stand_down`).

Several service processes may send from one database: a sender first *claims* a due message with one
``UPDATE … WHERE status = 'queued' AND (unclaimed or the claim expired)`` and sends only what its
update changed, so no message is sent by two processes at once. A process that dies holding a claim
leaves it to expire and the message is sent again (at least once, never lost).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, or_, select, update

from api.records.engine import WRITE_OPTION
from api.records.schema import ACKNOWLEDGED, FAILED, MESSAGE_ERROR_LENGTH, NAME_LENGTH, QUEUED, SENT, outbox
from api.records.types import InvalidTransition
from api.views import local_minute

CLAIM_S = 120.0  # longer than any one send (the webhook's timeout is at most 60 s)
CLAIM_BATCH = 50


class UnknownMessage(LookupError):
    """No message of that id on that incident."""


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    incident_number: int
    recipient_role: str
    recipient_id: str
    recipient_name: str
    phone: str | None
    lang: str
    text: str
    status: str
    attempts: int
    resends: int
    error: str | None
    queued_at: datetime
    sent_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None

    def view(self) -> dict[str, Any]:
        """The HTTP contract's message (times China local ``YYYY-MM-DDTHH:MM``, as every time of the contract)."""
        return {
            "id": self.id,
            "recipient_role": self.recipient_role,
            "recipient_id": self.recipient_id,
            "recipient_name": self.recipient_name,
            "phone": self.phone,
            "lang": self.lang,
            "text": self.text,
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
            "queued_at": local_minute(self.queued_at),
            "sent_at": local_minute(self.sent_at),
            "acknowledged_at": local_minute(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by,
        }

    def payload(self) -> dict[str, Any]:
        """What a gateway passes on: who, in which language, what (and the incident, for replies)."""
        return {
            "id": self.id,
            "incident_number": self.incident_number,
            "recipient_role": self.recipient_role,
            "recipient_id": self.recipient_id,
            "recipient_name": self.recipient_name,
            "phone": self.phone,
            "lang": self.lang,
            "text": self.text,
        }


class Outbox:
    """The queue; ``clock`` stamps the times people see (the service's clock), ``wall`` the sender's
    bookkeeping (claims and backoff), which must agree between processes."""

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime],
        max_attempts: int = 5,
        backoff_s: float = 10.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.engine, self.clock, self.wall = engine, clock, wall
        self.max_attempts, self.backoff_s = max_attempts, backoff_s
        self._writer = engine.execution_options(**{WRITE_OPTION: True})

    # ------------------------------------------------------------------ reading
    def for_incident(self, number: int) -> list[OutboxMessage]:
        """The incident's messages in the order they were queued."""
        query = select(outbox).where(outbox.c.incident_number == number).order_by(outbox.c.id)
        with self.engine.connect() as connection:
            return [_message(row) for row in connection.execute(query).mappings()]

    def message(self, number: int, message_id: int) -> OutboxMessage:
        query = select(outbox).where(outbox.c.id == message_id, outbox.c.incident_number == number)
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            raise UnknownMessage(f"incident {number} has no message {message_id}")
        return _message(row)

    # ------------------------------------------------------------------ a dispatcher's steps
    def acknowledge(self, number: int, message_id: int, actor: str) -> OutboxMessage:
        """Record that the recipient confirmed a sent message; once.

        Raises
        ------
        UnknownMessage
            No such message on the incident.
        InvalidTransition
            It is not sent (still queued, or failed), or it is acknowledged already.
        """
        values = {"status": ACKNOWLEDGED, "acknowledged_at": self.clock(), "acknowledged_by": actor[:NAME_LENGTH]}
        return self._step(number, message_id, SENT, values, "only a sent message can be acknowledged, once")

    def resend(self, number: int, message_id: int) -> OutboxMessage:
        """Queue a failed message again, for another round of attempts.

        Raises
        ------
        UnknownMessage
            No such message on the incident.
        InvalidTransition
            It has not failed (queued, sent or acknowledged).
        """
        values = {
            "status": QUEUED,
            "resends": outbox.c.resends + 1,
            "next_attempt_epoch_s": 0.0,
            "claimed_until_epoch_s": None,
        }
        return self._step(number, message_id, FAILED, values, "only a failed message can be sent again")

    def _step(self, number: int, message_id: int, status: str, values: dict[str, Any], rule: str) -> OutboxMessage:
        where = and_(outbox.c.id == message_id, outbox.c.incident_number == number, outbox.c.status == status)
        with self._writer.begin() as connection:
            changed = connection.execute(update(outbox).where(where).values(values)).rowcount
        message = self.message(number, message_id)  # raises UnknownMessage
        if not changed:
            raise InvalidTransition(f"message {message_id} is {message.status}; {rule}")
        return message

    # ------------------------------------------------------------------ the sender's steps
    def claim_due(self, limit: int = CLAIM_BATCH) -> list[OutboxMessage]:
        """Claim queued messages whose time has come, oldest first; each only if no other sender holds it."""
        now = self.wall()
        free = or_(outbox.c.claimed_until_epoch_s.is_(None), outbox.c.claimed_until_epoch_s < now)
        due = and_(outbox.c.status == QUEUED, outbox.c.next_attempt_epoch_s <= now, free)
        with self.engine.connect() as connection:
            ids = connection.execute(select(outbox.c.id).where(due).order_by(outbox.c.id).limit(limit)).scalars().all()
        claimed = []
        for message_id in ids:
            with self._writer.begin() as connection:
                statement = update(outbox).where(outbox.c.id == message_id, due)
                if connection.execute(statement.values(claimed_until_epoch_s=now + CLAIM_S)).rowcount:
                    claimed.append(message_id)
        with self.engine.connect() as connection:
            rows = connection.execute(select(outbox).where(outbox.c.id.in_(claimed)).order_by(outbox.c.id))
            return [_message(row) for row in rows.mappings()]

    def sent(self, message: OutboxMessage) -> None:
        values = {"status": SENT, "sent_at": self.clock(), "attempts": outbox.c.attempts + 1}
        self._finish(message, {**values, "error": None})

    def attempt_failed(self, message: OutboxMessage, error: str) -> None:
        """Record a failed attempt: queued again after a backoff (doubling), or failed after the last."""
        attempts = message.attempts + 1
        last = attempts >= self.max_attempts * (message.resends + 1)  # each resend is a new round
        round_attempt = attempts - self.max_attempts * message.resends
        values = {
            "status": FAILED if last else QUEUED,
            "attempts": outbox.c.attempts + 1,
            "error": error[:MESSAGE_ERROR_LENGTH],
            "next_attempt_epoch_s": self.wall() + self.backoff_s * 2 ** max(0, round_attempt - 1),
        }
        self._finish(message, values)

    def _finish(self, message: OutboxMessage, values: dict[str, Any]) -> None:
        # only while still queued: a message is never taken back from sent, failed or acknowledged
        where = and_(outbox.c.id == message.id, outbox.c.status == QUEUED)
        with self._writer.begin() as connection:
            connection.execute(update(outbox).where(where).values(claimed_until_epoch_s=None, **values))


def _message(row: Any) -> OutboxMessage:
    return OutboxMessage(**{field: row[field] for field in OutboxMessage.__dataclass_fields__})
