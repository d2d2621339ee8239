"""Coaches seen by their GPS (world-model §6 with live positions), read with the oracle's own geometry.

A case may carry fresh fixes (coach, WGS84 lat/lon, time). The oracle places them itself:

- a coach **off a trip** stands at the depot, staging point, stop or town within :data:`AT_PLACE_M` of
  its fix (the nearest), else it is **on the road**, where no crew can be taken from;
- a coach **on a trip** is on the leg of its trip whose earliest clear-weather way passes nearest the
  fix (farther than :data:`OFF_ROUTE_M` from all of them: it has left its route and passes nothing);
  on the leg that passes the scene it gets there no earlier than it can drive there along that way
  from the fix; seen beyond the scene, it does not pass it; seen on an earlier leg, it calls at its
  stops first and the timetable stands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from fleetplan.oracle.paths import Route
from fleetplan.oracle.places import Place, place_at, project, segment
from fleetplan.oracle.world import World

AT_PLACE_M = 150.0
OFF_ROUTE_M = 500.0
ON_THE_ROAD = "(on the road)"  # where a coach off a trip stands when its fix is at no place
EARTH_RADIUS_M = 6_371_000.0
STANDING_KINDS = ("depot", "stop", "town")


@dataclass(frozen=True)
class CaseFix:
    """A coach's fresh GPS fix: where (WGS84) and when (China local time)."""

    vehicle_id: str
    lat: float
    lon: float
    at: datetime


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Metres between two points on a sphere (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def standing_place(world: World, fix: CaseFix) -> str:
    """The node a coach off a trip stands at by its fix, or :data:`ON_THE_ROAD`."""
    points = {p.id: (p.lat, p.lon) for p in world.places if p.kind in STANDING_KINDS}
    posts = {p.id: (p.lat, p.lon) for p in world.posts}
    for site in world.sites:
        where = points.get(site.node_id) or posts.get(site.node_id)
        if where is None:
            where = next(((p.lat, p.lon) for p in world.places if p.id == site.node_id), None)
        if where is not None:
            points[site.node_id] = where
    near = min(((great_circle_m(fix.lat, fix.lon, *where), node) for node, where in points.items()), default=None)
    return near[1] if near is not None and near[0] <= AT_PLACE_M else ON_THE_ROAD


@dataclass(frozen=True)
class OnLeg:
    """A fix on a trip's leg: the leg's index, the place on its way, and how far off that way it lies."""

    leg: int
    place: Place
    off_m: float


def on_legs(graph, legs: list[Route | None], fix: CaseFix) -> OnLeg | None:
    """The point of the legs' ways nearest the fix (None when no leg has a way)."""
    best = None
    for index, route in enumerate(legs):
        if route is None:
            continue
        for edge, low, high in route.legs:
            distance, fraction = project((0.0, 0.0), *segment(graph, edge, (fix.lat, fix.lon)))
            lowest, highest = float(low / edge.length_m), float(high / edge.length_m)
            fraction = min(max(fraction, lowest), highest)  # on the part of the edge the leg drives
            if best is None or distance < best[0]:
                best = (distance, index, edge, fraction)
    if best is None:
        return None
    distance, index, edge, fraction = best
    return OnLeg(index, place_at(graph, edge, fraction, f"{fix.lat:.6f},{fix.lon:.6f}"), distance)
