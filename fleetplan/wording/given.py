"""Texts that reach the builder as text: why a coach or driver is unavailable (``unavailable`` maps an
id to a reason its caller wrote). The phrasings the service itself writes are read back into
phrases so that they can be shown in Chinese too; any other text is the caller's and shown as given."""

from __future__ import annotations

import re

from fleetplan.phrase import Phrase, phrase

_KNOWN = (
    (re.compile(r"booked by incident (?P<incident>\S+)"), "unavailable.booked"),
    (re.compile(r"booked by incident (?P<incident>\S+) \(planned together\)"), "unavailable.booked_jointly"),
    (re.compile(r"broke down in incident (?P<incident>\S+)"), "unavailable.broke_down"),
    (
        re.compile(r"breaks down later, at (?P<time>\d{4}-\d\d-\d\d \d\d:\d\d), in incident (?P<incident>\S+)"),
        "unavailable.breaks_down_later",
    ),
    (re.compile(r"drives the failed coach (?P<vehicle>\S+)"), "unavailable.drives_failed"),
    (re.compile(r"with the failed coach (?P<vehicle>\S+)"), "unavailable.with_failed"),
)


def unavailable_phrase(text: str) -> Phrase:
    """``"booked by incident 12"`` → the phrase ``unavailable.booked``; other text as it is."""
    for pattern, key in _KNOWN:
        found = pattern.fullmatch(text.strip())
        if found:
            return phrase(key, **found.groupdict())
    return phrase("unavailable.text", text=text)
