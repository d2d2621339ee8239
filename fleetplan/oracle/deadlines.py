"""The oracle's tier and deadline of an incident (world-model §5), and what lateness costs.

``pre_departure`` when reported at or before the trip's scheduled departure; otherwise ``city`` when
a depot is within ``city_radius`` by road, ``near_backup`` when a standing backup is within
``near_backup_radius`` by road, else ``corridor``. Road distance is the shortest on the directed
network with every road open (the oracle's own Dijkstra), so a point toward Changchun is reached from
the Siping side or by turning at an interchange before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from fleetplan.oracle.case import Case, CaseIncident
from fleetplan.oracle.facts import Facts
from fleetplan.oracle.paths import road_distance_m
from fleetplan.oracle.roads import Graph
from fleetplan.oracle.world import World


@dataclass(frozen=True)
class TierVerdict:
    """The tier, its deadline, and the road distances that chose it (metres; None: none reaches)."""

    tier: str
    limit_s: int
    deadline: datetime
    depot_distance_m: float | None
    backup_distance_m: float | None


def nearest_m(facts: Facts, nodes: list[str], incident: CaseIncident) -> Fraction | None:
    scene = facts.place(incident.location)
    found = [d for d in (road_distance_m(facts.graph, node, scene) for node in nodes) if d is not None]
    return min(found, default=None)


def tier_verdict(facts: Facts, incident: CaseIncident) -> TierVerdict:
    """The tier of ``incident`` as the oracle derives it."""
    tiers = facts.world.tiers
    trip = facts.failed_trip(incident)
    depot_m = nearest_m(facts, facts.depot_nodes(), incident)
    backup_m = nearest_m(facts, facts.standing_backups(), incident)
    depot = float(depot_m) if depot_m is not None else None
    backup = float(backup_m) if backup_m is not None else None
    if trip is not None and incident.reported_at <= trip.departure:
        rule = tiers.pre_departure
        return TierVerdict(rule.name, rule.limit_s, trip.departure + timedelta(seconds=rule.limit_s), depot, backup)
    if depot_m is not None and depot_m <= tiers.city_radius_m:
        rule = tiers.city
    elif backup_m is not None and backup_m <= tiers.near_backup_radius_m:
        rule = tiers.near_backup
    else:
        rule = tiers.corridor
    return TierVerdict(rule.name, rule.limit_s, incident.reported_at + timedelta(seconds=rule.limit_s), depot, backup)


def tier_of(world: World, incident: CaseIncident, case: Case | None = None, graph: Graph | None = None) -> TierVerdict:
    """The oracle's tier and deadline of ``incident``, for callers that compare tiers.

    Parameters
    ----------
    world
        The oracle's world.
    incident
        The incident.
    case
        The case it belongs to (conditions, unavailable ids, the other failed coaches); by default
        the incident alone in clear weather.
    graph
        The oracle's graph of ``world`` when the caller has built it already.
    """
    facts = Facts.of(world, case if case is not None else Case((incident,)), graph)
    return tier_verdict(facts, incident)
