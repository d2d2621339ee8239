"""Every text the service shows a dispatcher, in Chinese and English, from the facts (issue #17).

The domain says what it means as :class:`~fleetplan.phrase.Phrase` objects (a template key and the
facts); this package renders them per language, with places named instead of their ids
(:mod:`~fleetplan.wording.names`), tiers and codes in words, and the rules' findings worded
(:mod:`~fleetplan.wording.findings`); :mod:`~fleetplan.wording.plans` reads a plan's explanation and
why an alternative ranks below the first off the plan. The templates of both languages sit side by side in
:mod:`~fleetplan.wording.templates`.

The English texts the domain objects carry (a rejection's ``reason``, a relaxation's
``description``, a plan's ``explanation``) are rendered by the same functions, so both languages
always say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fleetplan.phrase import Phrase
from fleetplan.wording.names import LANGUAGES, NO_NAMES, Names, names_of
from fleetplan.wording.plans import explanation, why_below_phrase
from fleetplan.wording.render import fact_text, render
from fleetplan.wording.templates import CODE_WORDS

__all__ = [
    "LANGUAGES",
    "NO_NAMES",
    "Names",
    "code_text",
    "explanation",
    "fact_text",
    "lines_text",
    "names_of",
    "render",
    "said_text",
    "why_below_phrase",
]

# Between the lines of an explanation.
LINE_JOINERS = {"en": "; ", "zh": "；"}


def said_text(obj: Any, lang: str, names: Names = NO_NAMES) -> str:
    """The text of an object that carries a phrase (``phrase``) beside its English (a rejection's
    ``reason``, a relaxation's ``description``): the phrase in ``lang``, else the English as it is."""
    said = getattr(obj, "phrase", None)
    if said is not None:
        return render(said, lang, names)
    return str(getattr(obj, "reason", None) or getattr(obj, "description", ""))


def lines_text(lines: Iterable[Phrase], lang: str, names: Names = NO_NAMES) -> str:
    """Phrases as one line, ``; ``-separated (``；`` in Chinese)."""
    return LINE_JOINERS[lang].join(render(line, lang, names) for line in lines)


def code_text(code: str, lang: str) -> str:
    """A rejection code in words (``rest_due`` → "rest due" / "需要休息")."""
    return CODE_WORDS[lang].get(str(code), str(code).replace("_", " "))
