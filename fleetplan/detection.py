"""Incidents seen in the positions before anyone phones (issue 16 §3): a coach standing on a G1
carriageway outside a service area, a terminal's emergency alarm, a coach on G1 whose terminal fell
silent. Pure: fixes in, suspicions out; the service raises them as alerts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from fleetplan.geo import haversine_m
from fleetplan.network.locate import LocationError
from fleetplan.network.roads import RoadNetwork
from fleetplan.positions import Placement, Position, place

STOPPED_KMH = 5.0  # slower than this a coach stands (GPS speed jitters around 0–3 km/h at rest)
STILL_RADIUS_M = 50.0  # fixes of a standing coach stay this close (GPS noise ≈5 m)
SERVICE_AREA_M = 400.0  # a coach this near a service area's parking is resting there, not broken down
SERVICE_AREA_KINDS = frozenset({"service_area", "parking"})


class AlertKind(StrEnum):
    SUSPECTED_BREAKDOWN = "suspected_breakdown"
    EMERGENCY_ALARM = "emergency_alarm"
    FEED_STALE = "feed_stale"
    RESCUE_LATE = "rescue_late"


@dataclass(frozen=True)
class DetectionPolicy:
    stopped_after: timedelta = timedelta(minutes=3)  # standing on G1 this long is a suspected breakdown
    silent_after: timedelta = timedelta(seconds=120)  # a terminal this quiet is stale


@dataclass(frozen=True)
class Suspicion:
    vehicle_id: str
    kind: AlertKind
    since: datetime
    fix: Position  # the latest fix
    placement: Placement | None  # None: farther than 5 km from every road

    @property
    def place(self) -> str:
        """Where, as the desk's locator reads it: a kilometre post and side, a node, else ``lat,lon``."""
        location = self.placement.location if self.placement else None
        if location is not None and (location.direction is not None or location.node_id is not None):
            return self.placement.text if self.placement else ""
        return f"{self.fix.lat:.6f},{self.fix.lon:.6f}"


def detect(
    network: RoadNetwork, recent: Mapping[str, Sequence[Position]], now: datetime, policy: DetectionPolicy
) -> list[Suspicion]:
    """What each coach's recent fixes (newest first) suggest at ``now``."""
    found = []
    for vehicle_id, fixes in sorted(recent.items()):
        if fixes:
            found += _suspicions(network, vehicle_id, fixes, now, policy)
    return found


def _suspicions(
    network: RoadNetwork, vehicle_id: str, fixes: Sequence[Position], now: datetime, policy: DetectionPolicy
) -> list[Suspicion]:
    latest = fixes[0]
    silent = now - latest.at > policy.silent_after
    if not (latest.emergency or silent or _standing(latest)):
        return []  # a coach on the move, reporting: nothing to place (most of a large fleet, every look)
    placement = _placement(network, latest, fixes[1] if len(fixes) > 1 else None)
    on_g1 = placement is not None and placement.location.direction is not None
    found = []
    if latest.emergency and not silent:
        since = _run_start(fixes, lambda fix: fix.emergency)
        found.append(Suspicion(vehicle_id, AlertKind.EMERGENCY_ALARM, since, latest, placement))
    if on_g1 and silent:
        found.append(Suspicion(vehicle_id, AlertKind.FEED_STALE, latest.at, latest, placement))
    elif on_g1 and not _at_service_area(network, latest):
        since = _run_start(fixes, lambda fix: _standing(fix) and _near(fix, latest, STILL_RADIUS_M))
        if _standing(latest) and now - since >= policy.stopped_after:
            found.append(Suspicion(vehicle_id, AlertKind.SUSPECTED_BREAKDOWN, since, latest, placement))
    return found


def _placement(network: RoadNetwork, fix: Position, earlier: Position | None) -> Placement | None:
    try:
        return place(network, fix, earlier)
    except LocationError:
        return None


def _run_start(fixes: Sequence[Position], holds) -> datetime:
    """The time of the oldest fix of the newest unbroken run for which ``holds`` is true."""
    since = fixes[0].at
    for fix in fixes:
        if not holds(fix):
            break
        since = fix.at
    return since


def _standing(fix: Position) -> bool:
    return fix.speed_kmh is not None and fix.speed_kmh < STOPPED_KMH


def _near(a: Position, b: Position, metres: float) -> bool:
    return haversine_m(a.lat, a.lon, b.lat, b.lon) <= metres


def _at_service_area(network: RoadNetwork, fix: Position) -> bool:
    distances = [
        haversine_m(fix.lat, fix.lon, data["lat"], data["lon"])
        for _, data in network.graph.nodes(data=True)
        if data.get("kind") in SERVICE_AREA_KINDS
    ]
    return min(distances, default=math.inf) <= SERVICE_AREA_M


@dataclass
class CoachRun:
    """What detection needs of one coach's fixes, kept as they arrive instead of re-read: the newest,
    the one before, the first of the current standing run and of the current emergency run, and the fix
    just before each of those.

    :meth:`fixes` gives them newest first, which :func:`detect` reads as it reads the full history: the
    run starts it finds are the same, since a run's fixes between its first and the newest all hold."""

    latest: Position
    previous: Position | None = None
    standing_from: Position | None = None
    emergency_from: Position | None = None
    # The fix just before each run's first (the one that broke the run before it): kept so that reading
    # the kept fixes, a run stops where it stopped in the full history. Without it an older fix kept for
    # the other run (an emergency fix that began the standing run) could seem to continue this one.
    standing_broken: Position | None = None
    emergency_broken: Position | None = None

    def __post_init__(self) -> None:
        self.standing_from = self.latest if _standing(self.latest) else None
        self.emergency_from = self.latest if self.latest.emergency else None

    def add(self, fix: Position) -> None:
        """Take ``fix`` (a fix older than the newest is history: ignored)."""
        if fix.at < self.latest.at:
            return
        before, self.previous, self.latest = self.latest, self.latest, fix
        start = self.standing_from
        if not (start is not None and _standing(fix) and _standing(before) and _near(start, fix, STILL_RADIUS_M)):
            self.standing_from = fix if _standing(fix) else None
            self.standing_broken = before if self.standing_from is not None else None
        if not (fix.emergency and before.emergency and self.emergency_from is not None):
            self.emergency_from = fix if fix.emergency else None
            self.emergency_broken = before if self.emergency_from is not None else None

    def fixes(self) -> tuple[Position, ...]:
        runs = (self.standing_from, self.emergency_from, self.standing_broken, self.emergency_broken)
        kept = {id(f): f for f in (self.latest, self.previous, *runs) if f}
        return tuple(sorted(kept.values(), key=lambda f: f.at, reverse=True))
