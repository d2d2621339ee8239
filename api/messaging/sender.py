"""The service's background sender: every ``FLEETPLAN_MESSAGE_SEND_EVERY_S`` seconds a daemon thread
claims the due messages of the outbox and hands each to the gateway, recording sent or the error.
Safe with several service processes on one database: see :mod:`api.messaging.outbox`."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from api.messaging.gateways import GatewayError, MessageGateway
from api.messaging.outbox import Outbox, OutboxMessage

logger = logging.getLogger(__name__)


@dataclass
class Sender:
    outbox: Outbox
    gateway: MessageGateway
    every_s: float
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="message-sender", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.run_once()
            except Exception:  # a failed round is logged and tried again; the desk goes on
                logger.exception("sending messages failed")

    def run_once(self) -> list[OutboxMessage]:
        """Send what is due now; the messages claimed (each is then sent or its attempt failed)."""
        claimed = self.outbox.claim_due()
        for message in claimed:
            if self._stop.is_set():
                break  # the claims left expire and another round (or process) sends them
            self.send(message)
        return claimed

    def send(self, message: OutboxMessage) -> None:
        try:
            self.gateway.send(message.payload())
        except GatewayError as error:
            logger.warning("message %s (incident %s): %s", message.id, message.incident_number, error)
            self.outbox.attempt_failed(message, str(error))
        except Exception as error:  # a gateway's own bug: recorded on the message like any failure
            logger.exception("message %s (incident %s): the gateway failed", message.id, message.incident_number)
            self.outbox.attempt_failed(message, f"gateway error: {type(error).__name__}: {error}")
        else:
            self.outbox.sent(message)
