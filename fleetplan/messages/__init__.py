"""Ready messages for an accepted dispatch (issue 17): to each rescue crew, the crews running later
trips, the failed coach's driver, the passengers, the university, the duty manager and, for an
escorted entry through a closure, the highway police — in Chinese and English.

Pure: :func:`compose` takes the corridor (names, phones, contacts, trips) and an
:class:`AcceptedDispatch` and returns frozen :class:`Message` objects; sending is the interfaces'
business. :mod:`~fleetplan.messages.model` holds the facts and the message,
:mod:`~fleetplan.messages.words` the shared words, :mod:`~fleetplan.messages.crew` the drivers'
texts and :mod:`~fleetplan.messages.notices` the others'.
"""

from __future__ import annotations

from fleetplan.messages.compose import compose
from fleetplan.messages.model import (
    LANGS,
    AcceptedDispatch,
    CoverOrder,
    Message,
    RecipientRole,
    RescueOrder,
    RestStop,
)
from fleetplan.messages.notices import SMS_MAX_CHARS

__all__ = [
    "LANGS",
    "SMS_MAX_CHARS",
    "AcceptedDispatch",
    "CoverOrder",
    "Message",
    "RecipientRole",
    "RescueOrder",
    "RestStop",
    "compose",
]
