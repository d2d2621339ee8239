"""Texts that reach the builder as text: why a coach or driver is unavailable (``unavailable`` maps an
id to a reason its caller wrote). The phrasings the service itself writes are read back into
phrases so that they can be shown in Chinese too; any other text is the caller's and shown as given."""

from __future__ import annotations

import re

from fleetplan.phrase import Phrase, phrase

_KNOWN = (
    (re.compile(r"booked by incident (\S+)"), "unavailable.booked", "incident"),
    (re.compile(r"booked by incident (\S+) \(planned together\)"), "unavailable.booked_jointly", "incident"),
    (re.compile(r"broke down in incident (\S+)"), "unavailable.broke_down", "incident"),
    (re.compile(r"drives the failed coach (\S+)"), "unavailable.drives_failed", "vehicle"),
    (re.compile(r"with the failed coach (\S+)"), "unavailable.with_failed", "vehicle"),
)


def unavailable_phrase(text: str) -> Phrase:
    """``"booked by incident 12"`` → the phrase ``unavailable.booked``; other text as it is."""
    for pattern, key, fact in _KNOWN:
        found = pattern.fullmatch(text.strip())
        if found:
            return phrase(key, **{fact: found.group(1)})
    return phrase("unavailable.text", text=text)
