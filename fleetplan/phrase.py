"""What a message says, as facts: the vocabulary the domain speaks in before any language.

A :class:`Phrase` is a template key and the facts that fill it (coach and driver ids, clock times,
counts, places, tiers, the rules' findings, other phrases); :mod:`fleetplan.wording` renders it in
Chinese or English, naming places by their names. Objects that show a text to a dispatcher (a
:class:`~fleetplan.instance.Rejection`, a relaxation, a dispatch's reasons) keep the phrase beside the
English text, so that every language is rendered from the same facts.

This module imports nothing of the domain, so that any module may speak in phrases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Phrase:
    """A message as a template key and its facts (read-only)."""

    key: str
    facts: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "facts", MappingProxyType(dict(self.facts)))

    def __hash__(self) -> int:  # a read-only mapping has no hash of its own; its items do
        return hash((self.key, tuple(sorted(self.facts.items()))))

    def __reduce__(self):  # a read-only mapping cannot be pickled; its items can (a build's child sends them)
        return Phrase, (self.key, dict(self.facts))


def phrase(key: str, **facts: Any) -> Phrase:
    """``phrase("in_workshop", vehicle="c05")``."""
    return Phrase(key, facts)


@dataclass(frozen=True)
class PlaceRef:
    """A network node or site, shown by its name (``changchun_depot`` → "Changchun service point …")."""

    id: str


@dataclass(frozen=True)
class TierRef:
    """A response-time tier, shown in words (``near_backup`` → "near-backup" / "备车附近")."""

    id: str


@dataclass(frozen=True)
class KmPost:
    """A point on G1 by kilometre post and carriageway: ``G1 K78 toward Changchun`` / ``G1 K78 往长春方向``.

    ``km`` is already formatted (``"78"``, ``"59.0"``); ``direction`` is ``to_changchun`` or ``to_siping``.
    """

    km: str
    direction: str


@dataclass(frozen=True)
class Coordinates:
    """A point off the named places: ``lat,lon`` and the road it lies on ("" when not known)."""

    text: str
    road: str = ""


# A place as a fact: a named node or site, a kilometre post, or coordinates.
Where = PlaceRef | KmPost | Coordinates


def where_of(location: Any) -> Where:
    """A located point (:class:`fleetplan.network.Location`, or a node id) as a fact."""
    if isinstance(location, str):
        return PlaceRef(location)
    if location.node_id is not None:
        return PlaceRef(location.node_id)
    if location.km is not None and location.direction is not None:
        return KmPost(f"{location.km:g}", location.direction.value)
    return Coordinates(f"{location.lat:.5f},{location.lon:.5f}", location.road_name)


@dataclass(frozen=True)
class Joined:
    """Facts shown one after another: ``list`` (a, b / a、b), ``and`` (a and b / a，b) or ``semicolon``."""

    items: tuple[Any, ...]
    how: str = "list"
