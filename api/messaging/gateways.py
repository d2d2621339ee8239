"""Where the outbox's messages go: a gateway takes one message and returns, or raises
:class:`GatewayError` saying why it could not.

- :class:`LogGateway` (the default): one JSON line per message in ``messages.jsonl`` beside the
  SQLite database (else in ``FLEETPLAN_VAR_DIR``), and a line in the service log. The operator's SMS
  platform, or a person, picks them up from there.
- :class:`WebhookGateway` (when ``FLEETPLAN_MESSAGE_WEBHOOK_URL`` is set): POSTs the message as JSON
  to the URL, with ``Authorization: Bearer FLEETPLAN_MESSAGE_WEBHOOK_TOKEN`` when that is set; any
  answer but 2xx, a timeout or a refused connection is an error, retried by the sender.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from api.settings import Settings, sqlite_file

logger = logging.getLogger(__name__)

LOG_FILE = "messages.jsonl"
ERROR_BODY_CHARS = 200  # how much of a refusing answer the error keeps


class GatewayError(Exception):
    """The gateway did not take the message; the text says why (recorded on the message)."""


class MessageGateway(Protocol):
    def send(self, message: dict[str, Any]) -> None:
        """Hand over one message (:meth:`api.messaging.outbox.OutboxMessage.payload`); raise
        :class:`GatewayError` when it was not taken."""


@dataclass
class LogGateway:
    """Writes each message as one JSON line to ``path`` and to the service log."""

    path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, self.path.open("a", encoding="utf-8") as log:
                log.write(line + "\n")
        except OSError as error:
            raise GatewayError(f"cannot write {self.path}: {error.strerror or error}") from None
        logger.info(
            "message %s to %s %s (%s, %s): %s",
            message["id"],
            message["recipient_role"],
            message["recipient_name"],
            message["phone"] or "no phone",
            message["lang"],
            message["text"],
        )


@dataclass(frozen=True)
class WebhookGateway:
    """POSTs each message as JSON to ``url``; 2xx is sent, anything else an error."""

    url: str
    token: str | None = None
    timeout_s: float = 10.0

    def send(self, message: dict[str, Any]) -> None:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310 — the operator's URL
                response.read()
        except urllib.error.HTTPError as error:  # an answer other than 2xx
            text = error.read(ERROR_BODY_CHARS).decode("utf-8", "replace").strip()
            raise GatewayError(f"webhook answered HTTP {error.code}{': ' + text if text else ''}") from None
        except TimeoutError:
            raise GatewayError(f"webhook did not answer within {self.timeout_s:g} s") from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise GatewayError(f"webhook did not answer within {self.timeout_s:g} s") from None
            raise GatewayError(f"webhook unreachable: {error.reason}") from None
        except OSError as error:
            raise GatewayError(f"webhook unreachable: {error}") from None


def log_path(settings: Settings) -> Path:
    """``messages.jsonl`` beside a SQLite database (a throw-away database keeps its own), else in var_dir."""
    database = sqlite_file(settings.database_url)
    return (database.parent if database is not None else settings.var_dir) / LOG_FILE


def gateway_for(settings: Settings) -> MessageGateway:
    """The webhook when its URL is set, else the log."""
    if settings.message_webhook_url:
        return WebhookGateway(
            settings.message_webhook_url, settings.message_webhook_token, settings.message_webhook_timeout_s
        )
    return LogGateway(log_path(settings))
