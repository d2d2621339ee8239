"""A generated multi-city fleet of any size on the default road network (the fleet of
:mod:`bench.large_fleet`, and of the tests that need a large fleet).

The fleet is generated on the SAME road network as the default data (no new nodes):

- six depot cities — Changchun, Siping, Gongzhuling, Fanjiatun, Guojiadian, Lishu — at their network
  nodes, plus the three G1 service areas as staging points;
- coaches of the four classes (12 m half, 10.5 m a quarter, 8–9 m a fifth, 19-seat minibuses the rest);
  ``standby_share`` stand as backups spread over the depots and service areas, ``workshop_share`` are
  in the workshop, the others are in service;
- every in-service coach runs one outbound trip between 06:00 and 09:30 from its home city (one or two
  city stops) to another city and back between 16:00 and 19:30, with its own driver whose shift starts
  ``pre_trip_min`` before the first departure and ends 30 min after the last arrival; planned times are
  the network's clear-weather travel time plus 5–15 % and 5 min per intermediate stop;
- ``drivers_per_standby_coach`` drivers per backup coach at its site, alternating a day shift
  (06:00–18:00) and a night shift (18:00–06:00), so one legal driver per backup is on shift;
- no duty history (a fresh week); tiers, driving policy and condition presets of the default data.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.model import (
    Dataset,
    Driver,
    LicenceClass,
    Site,
    SiteKind,
    Stop,
    Trip,
    TripKind,
    Vehicle,
    VehicleClass,
    VehicleStatus,
)
from fleetplan.network import RoadNetwork, TravelTimes

DEFAULT_SEED = 20261208


@dataclass(frozen=True)
class City:
    """A depot city: its depot node, the stops its trips serve, its share of the fleet."""

    name: str
    depot_node: str
    stops: tuple[str, ...]
    weight: float


CITIES = (
    City("changchun", "changchun_depot", ("changchun_station", "changchun_gov", "changchun_hightech"), 0.35),
    City("siping", "siping_depot", ("jlnu_siping_campus", "siping_gov", "siping_station"), 0.25),
    City("gongzhuling", "gongzhuling_city", ("gongzhuling_city",), 0.15),
    City("fanjiatun", "fanjiatun_town", ("fanjiatun_town",), 0.09),
    City("guojiadian", "guojiadian_town", ("guojiadian_town",), 0.08),
    City("lishu", "lishu_town", ("lishu_town",), 0.08),
)
SERVICE_AREAS = ("taojiatun_sa", "gongzhuling_sa", "kaoshantun_sa")
SERVICE_AREA_WEIGHT = 0.05  # share of the backups at each service area
# class, share, seat range, length
CLASSES = (
    (VehicleClass.COACH_12M, 0.50, (49, 55), 12.0),
    (VehicleClass.COACH_10M, 0.25, (39, 47), 10.5),
    (VehicleClass.COACH_8M, 0.20, (24, 37), 8.7),
    (VehicleClass.MINIBUS_7M, 0.05, (19, 19), 7.0),
)


@dataclass(frozen=True)
class FleetSpec:
    """What to generate; every random choice comes from ``seed``."""

    coaches: int = 1000
    standby_share: float = 0.10
    workshop_share: float = 0.02
    drivers_per_standby_coach: int = 2
    pre_trip_min: int = 30
    day: date = date(2026, 12, 8)  # a Tuesday of the default week
    seed: int = DEFAULT_SEED


# --------------------------------------------------------------------------- generation
def depot_site_id(city: City) -> str:
    return f"{city.name}_depot"


def generate_sites(network: RoadNetwork) -> tuple[Site, ...]:
    """A depot per city at its node and a staging point per G1 service area."""
    sites = []
    for city in CITIES:
        lat, lon = network.node_lat_lon(city.depot_node)
        sites.append(
            Site(depot_site_id(city), f"{city.name.title()} depot", "", SiteKind.DEPOT, city.depot_node, lat, lon)
        )
    for node in SERVICE_AREAS:
        lat, lon = network.node_lat_lon(node)
        sites.append(Site(node, network.node_name(node), "", SiteKind.SERVICE_AREA, node, lat, lon))
    return tuple(sites)


def _vehicle(rng: random.Random, index: int, home_site: str, status: VehicleStatus) -> Vehicle:
    vehicle_class, _, (low, high), length_m = rng.choices(CLASSES, [c[1] for c in CLASSES])[0]
    return Vehicle(
        id=f"v{index:04d}",
        plate=f"吉X·{index:05d}",
        vehicle_class=vehicle_class,
        seats=rng.randint(low, high),
        length_m=length_m,
        commissioned=date(rng.randint(2013, 2025), rng.randint(1, 12), rng.randint(1, 28)),
        home_depot=home_site,
        status=status,
        permit_valid_until=date(2028, 12, 31),
    )


def _driver(rng: random.Random, driver_id: str, home_site: str, start: clock, end: clock) -> Driver:
    return Driver(
        id=driver_id,
        name=driver_id,
        licence_class=LicenceClass.A1,
        licence_issued=date(rng.randint(2005, 2020), rng.randint(1, 12), 1),
        birth_date=date(rng.randint(1968, 1992), rng.randint(1, 12), rng.randint(1, 28)),
        qualified_until=date(2030, 12, 31),
        home_depot=home_site,
        shift_start=start,
        shift_end=end,
    )


def _planned_stops(
    travel: TravelTimes, rng: random.Random, nodes: Sequence[str], departure: datetime
) -> tuple[Stop, ...]:
    """Stops at ``nodes``: clear-weather travel time plus 5–15 %, and 5 min at each intermediate stop."""
    stops = [Stop(nodes[0], departure)]
    moment = departure
    for index, (here, there) in enumerate(zip(nodes, nodes[1:])):
        drive_s = travel.travel_time_s(here, there, moment) * rng.uniform(1.05, 1.15)
        dwell_s = 300 if index + 2 < len(nodes) else 0
        moment = moment + timedelta(minutes=max(1, round((drive_s + dwell_s) / 60)))
        stops.append(Stop(there, moment))
    return tuple(stops)


def _route_nodes(rng: random.Random, home: City, away: City) -> tuple[list[str], list[str]]:
    """Outbound and return stop nodes: one or two stops in the home city, one in the other."""
    home_stops = sorted(rng.sample(home.stops, min(len(home.stops), rng.choice((1, 2)))), key=home.stops.index)
    away_stop = rng.choice(away.stops)
    return home_stops + [away_stop], [away_stop] + list(reversed(home_stops))


def _in_service_pair(
    rng: random.Random, index: int, vehicle: Vehicle, home: City, travel: TravelTimes, spec: FleetSpec
) -> tuple[Driver, tuple[Trip, Trip]]:
    away = rng.choices([c for c in CITIES if c is not home], [c.weight for c in CITIES if c is not home])[0]
    out_nodes, back_nodes = _route_nodes(rng, home, away)
    driver_id = f"d{index:04d}"
    out_departure = datetime.combine(spec.day, clock(6)) + timedelta(minutes=5 * rng.randint(0, 42))
    back_departure = datetime.combine(spec.day, clock(16)) + timedelta(minutes=5 * rng.randint(0, 42))
    trips = []
    for suffix, kind, nodes, departure in (
        ("OUT", TripKind.STAFF_MORNING, out_nodes, out_departure),
        ("BACK", TripKind.STAFF_EVENING, back_nodes, back_departure),
    ):
        trips.append(
            Trip(
                id=f"{vehicle.id}-{suffix}",
                kind=kind,
                vehicle_id=vehicle.id,
                driver_id=driver_id,
                stops=_planned_stops(travel, rng, nodes, departure),
                booked_passengers=rng.randint(int(0.6 * vehicle.seats), vehicle.seats),
            )
        )
    shift_start = (out_departure - timedelta(minutes=spec.pre_trip_min)).time()
    shift_end = (trips[1].arrival + timedelta(minutes=30)).time()
    return _driver(rng, driver_id, vehicle.home_depot, shift_start, shift_end), (trips[0], trips[1])


def generate_dataset(base: Corridor, spec: FleetSpec = FleetSpec()) -> Dataset:
    """A multi-city fleet on ``base``'s network, with ``base``'s tiers, driving policy and conditions."""
    rng = random.Random(spec.seed)
    network = base.network
    sites = generate_sites(network)
    travel = TravelTimes(network, base.dataset.clear_conditions, VehicleClass.COACH_12M)
    standby_sites = [depot_site_id(c) for c in CITIES] + list(SERVICE_AREAS)
    standby_weights = [c.weight * (1 - SERVICE_AREA_WEIGHT * len(SERVICE_AREAS)) for c in CITIES] + [
        SERVICE_AREA_WEIGHT
    ] * len(SERVICE_AREAS)
    standby = round(spec.coaches * spec.standby_share)
    workshop = round(spec.coaches * spec.workshop_share)
    vehicles, drivers, trips = [], [], []
    for index in range(spec.coaches):
        if index < standby:
            site = rng.choices(standby_sites, standby_weights)[0]
            vehicles.append(_vehicle(rng, index, site, VehicleStatus.STANDBY))
            for shift in range(spec.drivers_per_standby_coach):
                start, end = (clock(6), clock(18)) if shift % 2 == 0 else (clock(18), clock(6))
                drivers.append(_driver(rng, f"s{index:04d}-{shift}", site, start, end))
            continue
        home = rng.choices(CITIES, [c.weight for c in CITIES])[0]
        status = VehicleStatus.WORKSHOP if index < standby + workshop else VehicleStatus.IN_SERVICE
        vehicle = _vehicle(rng, index, depot_site_id(home), status)
        vehicles.append(vehicle)
        if status == VehicleStatus.IN_SERVICE:
            driver, pair = _in_service_pair(rng, index, vehicle, home, travel, spec)
            drivers.append(driver)
            trips += pair
    default = base.dataset
    return Dataset(
        sites=sites,
        vehicles=tuple(vehicles),
        drivers=tuple(drivers),
        duty_log=(),
        trips=tuple(trips),
        tier_policy=default.tier_policy,
        driving_policy=default.driving_policy,
        conditions=default.conditions,
        source=f"generated fleet (seed {spec.seed})",
    )


def generate_corridor(spec: FleetSpec = FleetSpec(), base: Corridor | None = None) -> Corridor:
    """The generated fleet on the default network, as a :class:`Corridor`."""
    base = base or load_corridor()
    return Corridor(generate_dataset(base, spec), base.network, Path(f"generated-{spec.coaches}-coaches"))
