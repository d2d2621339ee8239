"""Names of places and tiers in each language: what a dispatcher reads instead of an id.

Places come from the road network's nodes (``name`` / ``name_zh``) and the dataset's sites; a
carriageway or service-area side is named with its direction. A place nobody named keeps its id (a
text that names it still reads, and a test that scans for ids finds it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fleetplan.phrase import KmPost, PlaceRef, Where

LANGUAGES = ("zh", "en")

# The tiers as the desk's i18n.js calls them.
TIER_WORDS = {
    "en": {"city": "city", "near_backup": "near-backup", "corridor": "corridor", "pre_departure": "pre-departure"},
    "zh": {"city": "市区", "near_backup": "备车附近", "corridor": "干线中段", "pre_departure": "发车前"},
}
DIRECTION_WORDS = {
    "en": {"to_changchun": "toward Changchun", "to_siping": "toward Siping"},
    "zh": {"to_changchun": "往长春方向", "to_siping": "往四平方向"},
}


@dataclass(frozen=True)
class Names:
    """Place id → (English, Chinese) name; build with :func:`names_of`."""

    places: dict[str, tuple[str, str]] = field(default_factory=dict)

    def place(self, place_id: str, lang: str) -> str:
        """The place's name in ``lang`` (the other language's, then the id, when it has none)."""
        en, zh = self.places.get(place_id, ("", ""))
        return (zh or en if lang == "zh" else en or zh) or place_id

    def tier(self, tier_id: str, lang: str) -> str:
        return TIER_WORDS[lang].get(tier_id) or tier_id.replace("_", " ")

    def direction(self, direction: str, lang: str) -> str:
        return DIRECTION_WORDS[lang].get(direction) or direction.replace("_", " ")


NO_NAMES = Names()
_cache: dict[tuple[int, tuple[Any, ...]], tuple[Any, Names]] = {}


def names_of(network: Any, dataset: Any = None) -> Names:
    """The names of ``network``'s nodes and ``dataset``'s sites (either may be None), once per network
    and sites: a dispatch words every text with them, and each dispatch has a dataset of its own day."""
    sites = tuple(getattr(dataset, "sites", ()) or ())
    key = (id(network), sites)
    cached = _cache.get(key)
    if cached is not None and cached[0] is network:
        return cached[1]
    places: dict[str, tuple[str, str]] = {}
    if network is not None:
        for node, data in network.graph.nodes(data=True):
            places[node] = _node_names(node, data)
    for site in sites:
        places.setdefault(site.id, (site.name, site.name_zh))
        places.setdefault(site.node_id, (site.name, site.name_zh))
    if len(_cache) > 16:  # a test run loads many networks: keep a few
        _cache.clear()
    names = Names(places)
    _cache[key] = (network, names)
    return names


def _node_names(node: str, data: dict[str, Any]) -> tuple[str, str]:
    """A node's names; a carriageway or parking node's Chinese name gains its direction (the data
    gives it the post's name only, while the English one says the side)."""
    en, zh = data.get("name") or "", data.get("name_zh") or ""
    direction = data.get("direction")
    if zh and direction is not None and data.get("kind") in ("carriageway", "parking"):
        side = DIRECTION_WORDS["zh"].get(str(getattr(direction, "value", direction)), "")
        zh = f"{zh}（G1 {side}）" if data.get("kind") == "carriageway" else f"{zh}（{side}一侧）"
    return en, zh


def where_text(where: Where, lang: str, names: Names) -> str:
    """A place fact in ``lang``: a node's name, ``G1 K78 toward Changchun``, or coordinates on a road."""
    if isinstance(where, PlaceRef):
        return names.place(where.id, lang)
    if isinstance(where, KmPost):
        return f"G1 K{where.km} {names.direction(where.direction, lang)}"
    if lang == "zh":
        return f"{where.text}（{where.road or '道路'}上）"
    return f"{where.text} on {where.road or 'a road'}"
