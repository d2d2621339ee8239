"""Checks of the values callers hand to the record store, before anything reaches SQL.

Each raises :class:`~api.records.types.RecordError` naming the field.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from api.records.types import RecordError

CHINA_STANDARD_TIME = timezone(timedelta(hours=8))


def json_ready(field: str, value: Any) -> None:
    """Refuse, with a message naming the field, a payload that JSON cannot store."""
    try:
        json.dumps(value)
    except (TypeError, ValueError) as error:
        raise RecordError(f"{field}: cannot be stored as JSON ({error})") from None


def request_fingerprint(actor: str, request: Any) -> str:
    """SHA-256 hex of the user and the canonical JSON of their request (keys sorted, no spaces).

    Stored with an idempotency key: a replay must come from the same user with the same request.
    """
    canonical = json.dumps(
        {"actor": actor, "request": request}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def text_field(field: str, value: str | None, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RecordError(f"{field}: must be a non-empty text")
    if len(value) > max_length:
        raise RecordError(f"{field}: longer than {max_length} characters")
    return value.strip()


def local_naive(field: str, moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise RecordError(f"{field}: must be a date and time, got {moment!r}")
    if moment.tzinfo is not None:  # the code base keeps naive China-local times
        return moment.astimezone(CHINA_STANDARD_TIME).replace(tzinfo=None)
    return moment
