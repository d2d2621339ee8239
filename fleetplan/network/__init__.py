"""Road network and travel-time engine (DESIGN §3.1).

- :func:`load_network` reads the corridor from CSV files into a frozen :class:`RoadNetwork` with both
  G1 carriageways, interchanges, service areas, G102 and city streets;
- :meth:`RoadNetwork.locate` turns a node id, ``lat,lon`` or ``G1 K78 toward Changchun`` into a
  :class:`Location`;
- :class:`TravelTimes` gives fastest :class:`Route` objects in whole seconds for a vehicle class, a
  departure time and :class:`~fleetplan.model.Conditions`, priced by the clock along the way under
  :class:`SpeedRules` (the night window of the driving policy: :meth:`SpeedRules.for_policy`);
- :func:`load_osm` (in :mod:`fleetplan.network.osm`, needs the ``osm`` extra) reads a real
  OpenStreetMap extract from disk.
"""

from __future__ import annotations

from typing import Any

from fleetplan.network.build import load_network
from fleetplan.network.graph import Direction, KmPost, Place, PostKind, carriageway_node, parking_node
from fleetplan.network.locate import EdgePoint, Location
from fleetplan.network.roads import RoadNetwork
from fleetplan.network.speed import DEFAULT_SPEED_RULES, SpeedRules, TimeBand, WeatherEffect, time_band
from fleetplan.network.travel import Route, TravelTimes

__all__ = [  # load_osm is importable too, but not by "*" (osmnx is optional)
    "DEFAULT_SPEED_RULES",
    "Direction",
    "EdgePoint",
    "KmPost",
    "Location",
    "Place",
    "PostKind",
    "RoadNetwork",
    "Route",
    "SpeedRules",
    "TimeBand",
    "TravelTimes",
    "WeatherEffect",
    "carriageway_node",
    "load_network",
    "parking_node",
    "time_band",
]


def __getattr__(name: str) -> Any:
    # osmnx is optional and slow to import: load it only when asked for
    if name == "load_osm":
        from fleetplan.network.osm import load_osm

        return load_osm
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
