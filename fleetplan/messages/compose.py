"""All the messages of one accepted dispatch, in both languages."""

from __future__ import annotations

from dataclasses import replace

from fleetplan.contacts import ContactRole, with_role
from fleetplan.corridor import Corridor
from fleetplan.messages.crew import cover_driver_messages, failed_driver_messages, rescue_driver_messages
from fleetplan.messages.model import LANGS, AcceptedDispatch, Message, RecipientRole
from fleetplan.messages.notices import (
    campus_office,
    contact_messages,
    duty_manager_text,
    passenger_messages,
    police_text,
    university_text,
)
from fleetplan.messages.words import Words


def compose(corridor: Corridor, dispatch: AcceptedDispatch) -> tuple[Message, ...]:
    """The ready messages of an accepted dispatch: one per recipient and language (zh, en).

    Parameters
    ----------
    corridor
        For names (places, drivers, plates), phones, contacts and the day's trips.
    dispatch
        The accepted plan and its incident.

    Returns
    -------
    tuple[Message, ...]
        In this order: each rescue crew's driver, each crew running a later trip, the failed coach's
        driver (when it is on a trip: the trip names its driver), the passengers (one SMS text, no
        phone: see :func:`~fleetplan.messages.notices.passenger_messages`), the transport office of
        the destination campus, the duty manager, and the highway police only when the plan needs
        an escorted entry. A contact the data lack is left out. Places are named, never given by id;
        times are HH:MM China local.
    """
    words = Words(corridor, dispatch)
    messages: list[Message] = []
    for rescue in dispatch.rescues:
        messages += rescue_driver_messages(words, rescue)
    for cover in dispatch.covers:
        messages += cover_driver_messages(words, cover)
    messages += failed_driver_messages(words)
    messages += passenger_messages(words)
    office = campus_office(words)
    if office is not None:
        texts = {lang: university_text(words, lang) for lang in LANGS}
        messages += contact_messages(office, RecipientRole.UNIVERSITY, texts)
    for manager in with_role(corridor.dataset.contacts, ContactRole.DUTY_MANAGER):
        messages += contact_messages(
            manager, RecipientRole.DUTY_MANAGER, {lang: duty_manager_text(words, lang) for lang in LANGS}
        )
    if dispatch.escorted_entry:
        for police in with_role(corridor.dataset.contacts, ContactRole.HIGHWAY_POLICE):
            messages += contact_messages(
                police, RecipientRole.HIGHWAY_POLICE, {lang: police_text(words, lang) for lang in LANGS}
            )
    return merged(messages)


def merged(messages: list[Message]) -> tuple[Message, ...]:
    """One message per recipient, role and language: a crew that runs two later trips (or is named
    twice) gets its orders in one message, in the order given."""
    by_key: dict[tuple[str, str, str], Message] = {}
    for message in messages:
        key = (message.recipient_role.value, message.recipient_id, message.lang)
        first = by_key.get(key)
        by_key[key] = message if first is None else replace(first, text=f"{first.text}\n{message.text}")
    return tuple(by_key.values())
