"""What a text shown to a dispatcher may not show: a raw place id, a tier id, a snake_case id, and in
Chinese an English word (ids aside). Shared by the wording tests and the dispatch-view tests."""

from __future__ import annotations

import re

from fleetplan.corridor import load_corridor

_CORRIDOR = load_corridor()
PLACE_IDS = sorted(
    set(_CORRIDOR.network.graph.nodes) | {site.id for site in _CORRIDOR.dataset.sites}, key=len, reverse=True
)
TIER_IDS = ("city", "near_backup", "corridor", "pre_departure")


def raw_place_ids(text: str) -> list[str]:
    """Place ids (``changchun_depot``, ``gongzhuling_sa.to_siping.parking``) standing in ``text``."""
    return [place for place in PLACE_IDS if re.search(rf"(?<![\w.]){re.escape(place)}(?![\w])", text)]


def raw_tier_ids(text: str) -> list[str]:
    """Tier ids that are no English word (``near_backup``); "city" and "corridor" are words."""
    return [tier for tier in TIER_IDS if "_" in tier and tier in text]


def english_words(text: str) -> list[str]:
    """ASCII words in a Chinese text that are not identifiers: an id has a digit (c05, d12, G1, K78,
    T1207-AM1, A1) and a plate's letter stands alone (吉A·P6425)."""
    return [w for w in re.findall(r"[A-Za-z][A-Za-z0-9_\-]*", text) if len(w) > 1 and not re.search(r"\d", w)]


def snake_case_ids(text: str) -> list[str]:
    """Ids such as ``licence_class`` or ``coach_12m`` in an English text."""
    return re.findall(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b", text)


def assert_clean(text: str, lang: str) -> None:
    assert text.strip(), text
    assert raw_place_ids(text) == [], text
    assert raw_tier_ids(text) == [], text
    assert "{" not in text and "}" not in text, text  # every placeholder filled
    if lang == "zh":
        assert english_words(text) == [], text
    else:
        assert snake_case_ids(text) == [], text
