"""Rendering a phrase in a language: each fact worded, then the key's template filled."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum
from typing import Any

from fleetplan.phrase import Coordinates, Joined, KmPost, Phrase, PlaceRef, TierRef
from fleetplan.wording.findings import finding_text
from fleetplan.wording.names import LANGUAGES, NO_NAMES, Names, where_text
from fleetplan.wording.templates import CODE_WORDS, JOINERS, TEMPLATES

# A space between two Chinese characters (a template's space beside a fact that came out Chinese) goes;
# one beside a Latin letter or digit stays ("c05 在维修厂", "4 小时").
_CJK = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


_PLAIN = frozenset({str, int, float})


def render(said: Phrase, lang: str, names: Names = NO_NAMES) -> str:
    """``said`` in ``lang`` (``zh`` or ``en``), places named by ``names``.

    Raises
    ------
    KeyError
        For an unknown language or template key (a programming error, not the user's).
    """
    if lang not in LANGUAGES:
        raise KeyError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    template = TEMPLATES[lang][said.key]
    if isinstance(template, tuple):
        template = template[0] if said.facts.get("n") == 1 else template[1]
    text = template.format(**{key: fact_text(value, lang, names) for key, value in said.facts.items()})
    return _CJK_SPACE.sub("", text) if lang == "zh" else text


def fact_text(value: Any, lang: str, names: Names = NO_NAMES) -> str:
    """One fact in ``lang``: a phrase, place, tier, list, rule finding, code, clock time or number."""
    if type(value) in _PLAIN:  # most facts are ids and counts (exact types: a StrEnum is a code word)
        return str(value)
    if value is None:
        return ""
    if isinstance(value, Phrase):
        return render(value, lang, names)
    if isinstance(value, PlaceRef | KmPost | Coordinates):
        return where_text(value, lang, names)
    if isinstance(value, TierRef):
        return names.tier(value.id, lang)
    if isinstance(value, Joined):
        return JOINERS[lang][value.how].join(fact_text(item, lang, names) for item in value.items)
    if isinstance(value, tuple | list):
        return JOINERS[lang]["list"].join(fact_text(item, lang, names) for item in value)
    if isinstance(value, Enum):
        return CODE_WORDS[lang].get(str(value.value), str(value.value))
    if isinstance(value, datetime):
        return f"{value:%H:%M}"
    if isinstance(value, date | str | int | float):
        return str(value)
    worded = finding_text(value, lang, names)
    if worded is None:
        raise TypeError(f"no wording for a fact of type {type(value).__name__}")
    return worded
