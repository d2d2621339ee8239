"""Demand points from the timetable: where and when incidents are expected, and which candidate
sites reach each point within its tier's limit.

Each point's weight is the vehicle-km the timetable drives there times the breakdown rate of the
coaches driving it (:class:`~solver.planning.rates.BreakdownRates`, the what-if's model: older coaches
fail more, every coach more in winter). G1 is binned by kilometre in both directions; streets and
national roads are cut into pieces of about the same length. The tier of a point follows the
dispatch rule (:mod:`fleetplan.tiers`): the city limit inside a depot city's radius; elsewhere the
near-backup limit when a backup stands within the near-backup radius, else the corridor limit.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from fleetplan.corridor import Corridor
from fleetplan.errors import NoRouteError
from fleetplan.geo import interpolate
from fleetplan.model import Conditions, Dataset, RoadClass, SiteKind, VehicleClass, require
from fleetplan.network import Direction, RoadNetwork, TimeBand, TravelTimes, time_band
from fleetplan.network.distance import nearest_road_distance_m, road_distance_m
from fleetplan.operations import OperationsPolicy
from fleetplan.tiers import TierPolicy, in_city, near_backup
from fleetplan.timetable import first_timetable_day

from solver.planning.rates import BreakdownRates
from solver.planning.staging.problem import DemandPoint, StagingProblem

DEFAULT_SPACING_KM = 10.0

# a clock time inside each band, to cost travel in that band
BAND_CLOCK = {
    TimeBand.NIGHT: clock_time(23, 0),
    TimeBand.MORNING_PEAK: clock_time(8, 0),
    TimeBand.DAY: clock_time(12, 0),
    TimeBand.EVENING_PEAK: clock_time(18, 0),
}


@dataclass(frozen=True)
class DemandSettings:
    """How demand points are sampled and weighted (E unless cited)."""

    spacing_km: float = DEFAULT_SPACING_KM  # G1 bins and pieces of other roads
    breakdowns: BreakdownRates = field(default_factory=BreakdownRates)  # the what-if's breakdown model

    def __post_init__(self) -> None:
        require(self.spacing_km > 0, "spacing_km", "must be positive")


def build_staging_problem(
    corridor: Corridor,
    conditions: Conditions | None = None,
    ops: OperationsPolicy = OperationsPolicy(),
    settings: DemandSettings = DemandSettings(),
    sites: Sequence[str] | None = None,
    backup_class: VehicleClass = VehicleClass.COACH_12M,
    site_capacity: Mapping[str, int] | None = None,
) -> StagingProblem:
    """The staging problem of ``corridor``'s timetable.

    Parameters
    ----------
    corridor
        Dataset and road network.
    conditions
        Road conditions for the timetable's routes and the rescue travel times (default: the
        dataset's ``clear`` preset, or no weather at all if it has none).
    ops
        Turnout time of a standby crew (added to every response).
    settings
        Demand sampling and breakdown rates.
    sites
        Candidate site ids (default: every depot and service area of the dataset).
    backup_class
        Vehicle class whose travel times are used for the backups.
    site_capacity
        Site id → the most backups it can hold.

    Returns
    -------
    StagingProblem

    Raises
    ------
    UnknownIdError
        For a site the dataset does not have.
    """
    dataset, network = corridor.dataset, corridor.network
    conditions = conditions or dataset.clear_conditions
    candidate_sites = [dataset.site(site_id) for site_id in (sites or [s.id for s in dataset.sites])]
    demand = timetable_demand(corridor, conditions, settings)
    day = first_timetable_day(dataset, default=date.today())
    travel = TravelTimes(network, conditions, backup_class)
    points = tuple(
        _demand_point(key, weight, network, dataset.tier_policy, candidate_sites, dataset, travel, ops, day)
        for key, weight in sorted(demand.items(), key=lambda item: _sort_key(item[0]))
        if weight > 0
    )
    return StagingProblem(
        sites=tuple(site.id for site in candidate_sites),
        points=points,
        site_capacity=tuple(sorted((site_capacity or {}).items())),
        description=f"{len(points)} demand points from {len(dataset.trips)} trips under {conditions.name!r}",
    )


# A demand key: (location text, band, lat, lon)
DemandKey = tuple[str, TimeBand, float, float]


def timetable_demand(
    corridor: Corridor, conditions: Conditions, settings: DemandSettings = DemandSettings()
) -> dict[DemandKey, float]:
    """Expected failures per (place, time band), from the vehicle-km each trip drives on each road.

    Trips are routed stop to stop on the network; each edge's length goes to the G1 kilometre bin
    (carriageway edges) or the road piece (other roads) it lies in, at the time band of the leg's
    departure. Ramps (a few hundred metres each) are left out.
    """
    dataset, network = corridor.dataset, corridor.network
    demand: dict[DemandKey, float] = defaultdict(float)
    travel_by_class: dict[VehicleClass, TravelTimes] = {}
    for trip in dataset.trips:
        vehicle = dataset.vehicle(trip.vehicle_id)
        travel = travel_by_class.setdefault(
            vehicle.vehicle_class, TravelTimes(network, conditions, vehicle.vehicle_class)
        )
        rate_per_m = settings.breakdowns.failures_per_km(vehicle, trip.departure.date()) / 1000
        for here, there in zip(trip.stops, trip.stops[1:]):
            try:
                route = travel.route(here.node_id, there.node_id, here.planned)
            except NoRouteError:
                continue  # a stop the conditions cut off: no driving, no failures there
            band = time_band(here.planned)
            for u, v in zip(route.path, route.path[1:]):
                for key, length_m in _edge_pieces(network, u, v, band, settings.spacing_km):
                    demand[key] += length_m * rate_per_m
    return dict(demand)


def _edge_pieces(network: RoadNetwork, u: str, v: str, band: TimeBand, spacing_km: float):
    """(demand key, metres) of the pieces of edge ``u → v``."""
    data = network.graph.edges[u, v]
    if data["road_class"] is RoadClass.RAMP:
        return []
    if data.get("direction") is not None:
        return _carriageway_pieces(network, data, band, spacing_km)
    return _road_pieces(network, u, v, data, band, spacing_km)


def _carriageway_pieces(network: RoadNetwork, data: dict[str, Any], band: TimeBand, spacing_km: float):
    """The G1 kilometre bins ``[n·s, (n+1)·s)`` an edge overlaps; each point at its bin's middle."""
    low, high = sorted((data["km_from"], data["km_to"]))
    first_km, last_km = network.section_km
    direction: Direction = data["direction"]
    metres_per_km = data["length_m"] / max(high - low, 1e-9)
    pieces = []
    for index in range(int(low // spacing_km), int(math.ceil(high / spacing_km))):
        bin_low, bin_high = index * spacing_km, (index + 1) * spacing_km
        overlap_km = min(high, bin_high) - max(low, bin_low)
        if overlap_km <= 0:
            continue
        middle = round((max(bin_low, first_km) + min(bin_high, last_km)) / 2, 1)
        location = network.locate(f"G1 K{middle:g} {direction.label}")
        pieces.append(
            ((f"G1 K{middle:g} {direction.label}", band, location.lat, location.lon), overlap_km * metres_per_km)
        )
    return pieces


def _road_pieces(network: RoadNetwork, u: str, v: str, data: dict[str, Any], band: TimeBand, spacing_km: float):
    """Pieces of about ``spacing_km`` of a street or national road; each point at its piece's middle.

    Both directions of a two-way road share their points (keyed by the sorted end nodes)."""
    start, end = sorted((u, v))
    count = max(1, round(data["length_m"] / (spacing_km * 1000)))
    a, b = network.graph.nodes[start], network.graph.nodes[end]
    pieces = []
    for index in range(count):
        lat, lon = interpolate(a["lat"], a["lon"], b["lat"], b["lon"], (index + 0.5) / count)
        pieces.append(((f"{lat:.5f},{lon:.5f}", band, lat, lon), data["length_m"] / count))
    return pieces


def _sort_key(key: DemandKey) -> tuple:
    text, band, lat, lon = key
    return (list(TimeBand).index(band), lat, lon, text)


def _demand_point(
    key: DemandKey,
    weight: float,
    network: RoadNetwork,
    tiers: TierPolicy,
    sites,
    dataset: Dataset,
    travel: TravelTimes,
    ops: OperationsPolicy,
    day: date,
) -> DemandPoint:
    text, band, lat, lon = key
    scene = network.locate(text)
    depart_at = datetime.combine(day, BAND_CLOCK[band]) + timedelta(seconds=ops.turnout_s)
    response = {}
    for site in sites:
        try:
            response[site.id] = ops.turnout_s + travel.route(site.node_id, scene, depart_at).travel_time_s
        except NoRouteError:
            pass  # cannot reach it at all under these conditions
    site_ids = frozenset(site.id for site in sites)
    depots = [s.node_id for s in dataset.sites if s.kind == SiteKind.DEPOT]
    city = in_city(tiers, nearest_road_distance_m(network, depots, scene))
    if city:
        covering = frozenset(s for s, t in response.items() if t <= tiers.city.limit_s)
        near_sites, when_near, when_far = site_ids, covering, covering
    else:
        near_sites = frozenset(
            site.id for site in sites if near_backup(tiers, road_distance_m(network, site.node_id, scene))
        )
        when_near = frozenset(s for s, t in response.items() if t <= tiers.near_backup.limit_s)
        when_far = frozenset(s for s, t in response.items() if t <= tiers.corridor.limit_s and s not in near_sites)
    return DemandPoint(
        id=f"{text}@{band.value}",
        location=text,
        band=band,
        weight=weight,
        near_sites=near_sites,
        covers_when_near=when_near,
        covers_when_far=when_far,
        lat=scene.lat,
        lon=scene.lon,
        city=city,
        response_s=tuple(sorted(response.items())),
    )
