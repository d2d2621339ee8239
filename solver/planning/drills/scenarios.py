"""Drill scenarios drawn from the timetable with a seed: which coaches fail where and when, under
which road conditions, and the story the drill leader reads out (see :mod:`solver.planning.drills`)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.errors import InvalidValueError, UnknownIdError
from fleetplan.geo import interpolate
from fleetplan.model import Conditions, Incident, IncidentKind, RoadClass, Trip, TripKind, Weather
from fleetplan.network import Direction, TravelTimes
from fleetplan.timetable import passing_time, trip_course
from fleetplan.units import format_hhmm

ACCIDENT_KM = (63.0, 86.0)  # between the Gongzhuling service area and the Fanjiatun interchange
ACCIDENT_DIRECTION = Direction.TO_CHANGCHUN
BREAKDOWN_MARGIN_KM = 3.0  # keep a breakdown this far from either end of the G1 stretch a trip drives
BLIZZARD_BREAKDOWNS = 3
G102_TOWNS = ("guojiadian_town", "gongzhuling_city", "fanjiatun_town")
G102_PIECES = (
    ("siping_ne_jct", "guojiadian_town"),
    ("guojiadian_town", "gongzhuling_city"),
    ("gongzhuling_city", "fanjiatun_town"),
    ("fanjiatun_town", "changchun_sw_jct"),
)


class DrillKind(StrEnum):
    BREAKDOWN = "breakdown"
    ACCIDENT = "accident"
    BLIZZARD = "blizzard"


@dataclass(frozen=True)
class DrillScenario:
    """What happens in a drill: incidents at fixed places and times under fixed conditions."""

    kind: DrillKind
    seed: int
    title: str
    incidents: tuple[Incident, ...]
    conditions: Conditions
    narrative: str

    def __post_init__(self) -> None:
        if not self.incidents:
            raise InvalidValueError("incidents", "a drill needs at least one incident")
        if len({i.id for i in self.incidents}) != len(self.incidents):
            raise InvalidValueError("incidents", "incident ids must be unique")

    @property
    def waves(self) -> tuple[tuple[Incident, ...], ...]:
        """Incidents grouped by report time: each group is dispatched together, in time order."""
        by_time: dict[datetime, list[Incident]] = {}
        for incident in sorted(self.incidents, key=lambda i: (i.at, i.id)):
            by_time.setdefault(incident.at, []).append(incident)
        return tuple(tuple(group) for group in by_time.values())


def drill_scenario(kind: DrillKind | str, seed: int = 0, corridor: Corridor | None = None) -> DrillScenario:
    """The scenario of a ``kind`` drill drawn from the timetable with ``seed``.

    Raises
    ------
    InvalidValueError
        For an unknown kind, a negative seed, or a timetable without the trips the drill needs.
    """
    kind = _drill_kind(kind)
    if not isinstance(seed, int) or seed < 0:
        raise InvalidValueError("seed", f"{seed!r} must be a whole number ≥ 0")
    corridor = corridor or load_corridor()
    rng = random.Random(f"{kind.value}:{seed}")
    return _BUILDERS[kind](corridor, rng, seed)


def _drill_kind(kind: DrillKind | str) -> DrillKind:
    try:
        return DrillKind(kind)
    except ValueError:
        raise InvalidValueError(
            "kind", f"{kind!r} is not a drill; choose {', '.join(k.value for k in DrillKind)}"
        ) from None


def _breakdown_scenario(corridor: Corridor, rng: random.Random, seed: int) -> DrillScenario:
    conditions = corridor.dataset.clear_conditions
    trips = _trips_of(corridor, (TripKind.STAFF_MORNING, TripKind.STAFF_EVENING), weekdays_only=True)
    trip = rng.choice(trips)
    travel = TravelTimes(corridor.network, conditions, corridor.dataset.vehicle(trip.vehicle_id).vehicle_class)
    direction, low_km, high_km = _g1_stretch(corridor, conditions, trip)
    km = round(rng.uniform(low_km + BREAKDOWN_MARGIN_KM, high_km - BREAKDOWN_MARGIN_KM), 1)
    where = f"G1 K{km:g} {direction.label}"
    at = passing_time(travel, trip, where)
    incident = Incident(
        f"breakdown-{seed}-1", IncidentKind.BREAKDOWN, trip.vehicle_id, trip.id, where, at, trip.booked_passengers
    )
    narrative = (
        f"{_coach(corridor, trip.vehicle_id)} on trip {trip.id} breaks down at {where} at {format_hhmm(at)} "
        f"on {at:%A %d %B %Y} with {trip.booked_passengers} passengers on board. The driver sets the "
        f"warning triangle 150 m behind, moves the passengers behind the barrier and calls the desk."
    )
    return DrillScenario(DrillKind.BREAKDOWN, seed, "Quarterly breakdown drill", (incident,), conditions, narrative)


def _accident_scenario(corridor: Corridor, rng: random.Random, seed: int) -> DrillScenario:
    trips = _trips_of(corridor, (TripKind.STAFF_EVENING, TripKind.STUDENT_FRIDAY), weekdays_only=True)
    trip = rng.choice(trips)
    km = round(rng.uniform(*ACCIDENT_KM), 1)
    where = f"G1 K{km:g} {ACCIDENT_DIRECTION.label}"
    closed = accident_closures(corridor, km, ACCIDENT_DIRECTION)
    clear = corridor.dataset.clear_conditions
    conditions = Conditions(
        "accident_drill",
        weather=clear.weather,
        closed_edges=closed,
        description=f"collision at {where}: the carriageway is closed beyond the wreck and debris closes the "
        f"opposite carriageway alongside",
    )
    travel = TravelTimes(corridor.network, clear, corridor.dataset.vehicle(trip.vehicle_id).vehicle_class)
    at = passing_time(travel, trip, where)
    incident = Incident(
        f"accident-{seed}-1",
        IncidentKind.ACCIDENT,
        trip.vehicle_id,
        trip.id,
        where,
        at,
        trip.booked_passengers,
        drivable=False,
    )
    roads = ", ".join(f"{u} → {v}" for u, v in sorted(closed))
    narrative = (
        f"{_coach(corridor, trip.vehicle_id)} on trip {trip.id} is in a collision at {where} at "
        f"{format_hhmm(at)} on {at:%A %d %B %Y} with {trip.booked_passengers} passengers on board; nobody "
        f"is hurt, the coach cannot be driven. Police close the carriageway ahead of the wreck and the "
        f"opposite carriageway alongside (closed: {roads})."
    )
    return DrillScenario(
        DrillKind.ACCIDENT, seed, "Half-yearly traffic-accident drill", (incident,), conditions, narrative
    )


def _blizzard_scenario(corridor: Corridor, rng: random.Random, seed: int) -> DrillScenario:
    conditions = blizzard_conditions(corridor)
    evening = _trips_of(corridor, (TripKind.STAFF_EVENING,), weekdays_only=True)
    days = sorted({t.departure.date() for t in evening})
    day = rng.choice(days)
    trips = sorted((t for t in evening if t.departure.date() == day), key=lambda t: t.departure)
    if len(trips) < BLIZZARD_BREAKDOWNS:
        raise InvalidValueError("trips", f"the blizzard drill needs {BLIZZARD_BREAKDOWNS} evening runs on one day")
    chosen = sorted(rng.sample(trips, BLIZZARD_BREAKDOWNS), key=lambda t: t.id)
    places = rng.sample(g102_places(corridor), BLIZZARD_BREAKDOWNS)
    latest_departure = max(t.departure for t in chosen)
    at = latest_departure + timedelta(minutes=rng.randrange(35, 66, 5))
    incidents = tuple(
        Incident(
            f"blizzard-{seed}-{n}", IncidentKind.WEATHER, trip.vehicle_id, trip.id, place, at, trip.booked_passengers
        )
        for n, (trip, place) in enumerate(zip(chosen, places), start=1)
    )
    where = "; ".join(f"{_coach(corridor, i.vehicle_id)} at {_place_name(corridor, i.location)}" for i in incidents)
    narrative = (
        f"A blizzard closes every G1 entrance between Siping and Changchun on {day:%A %d %B %Y}. The "
        f"evening staff runs leave the campus on the G102 instead; the streets are icy. At "
        f"{format_hhmm(at)} three coaches report breakdowns at once: {where}."
    )
    return DrillScenario(
        DrillKind.BLIZZARD, seed, "Yearly severe-weather (blizzard) drill", incidents, conditions, narrative
    )


_BUILDERS = {
    DrillKind.BREAKDOWN: _breakdown_scenario,
    DrillKind.ACCIDENT: _accident_scenario,
    DrillKind.BLIZZARD: _blizzard_scenario,
}


def blizzard_conditions(corridor: Corridor) -> Conditions:
    """The dataset's ``blizzard`` preset, or the same conditions if the dataset lacks it: all G1
    entrances closed, blizzard on G1 and its ramps, snow on G102, ice on city streets."""
    return conditions_preset(
        corridor,
        "blizzard",
        Conditions(
            "blizzard",
            weather=(
                (RoadClass.EXPRESSWAY, Weather.BLIZZARD),
                (RoadClass.RAMP, Weather.BLIZZARD),
                (RoadClass.NATIONAL, Weather.SNOW),
                (RoadClass.CITY, Weather.ICE),
            ),
            closed_entrances=frozenset({"*"}),
            description="Blizzard on G1: all G1 entrances closed, G102 snowy, streets icy",
        ),
    )


def accident_closures(corridor: Corridor, km: float, direction: Direction) -> frozenset[tuple[str, str]]:
    """The closed edges of an accident at ``km`` heading ``direction``.

    The wreck blocks its own carriageway from the scene on; the network cannot close part of an edge,
    so the next section beyond the scene's edge is closed (the rescue leaves by the exit at the end of
    the scene's edge) together with the opposite carriageway's edge alongside the scene.

    Raises
    ------
    InvalidValueError
        If the scene's edge does not end at an interchange (the rescue could not leave the expressway).
    """
    network = corridor.network
    scene = network.locate(f"G1 K{km:g} {direction.label}")
    own = scene.edge_points[0]
    end = network.graph.nodes[own.v]
    ahead = [
        (own.v, v)
        for v in network.graph.successors(own.v)
        if network.graph.edges[own.v, v].get("direction") == direction
    ]
    exits = [
        v
        for v in network.graph.successors(own.v)
        if network.graph.edges[own.v, v].get("direction") is None
        and network.graph.nodes[v].get("kind") not in ("parking", "carriageway")
    ]
    if not exits:
        raise InvalidValueError("km", f"K{km:g} {direction.label} does not end at an exit: {end.get('name', own.v)}")
    opposite = network.locate(f"G1 K{km:g} {direction.opposite.label}").edge_points[0]
    return frozenset(ahead + [opposite.edge])


def g102_places(corridor: Corridor) -> list[str]:
    """Location texts on the G102 and in its towns: the towns and the middle of each G102 section."""
    network = corridor.network
    places = [town for town in G102_TOWNS if network.has_node(town)]
    for u, v in G102_PIECES:
        if network.graph.has_edge(u, v):
            a, b = network.graph.nodes[u], network.graph.nodes[v]
            lat, lon = interpolate(a["lat"], a["lon"], b["lat"], b["lon"], 0.5)
            places.append(f"{lat:.5f},{lon:.5f}")
    if len(places) < BLIZZARD_BREAKDOWNS:
        raise InvalidValueError("network", "the network has too few G102 places for the blizzard drill")
    return places


def conditions_preset(corridor: Corridor, name: str, fallback: Conditions) -> Conditions:
    """The dataset's conditions preset ``name``, or ``fallback`` if the dataset lacks it."""
    try:
        return corridor.dataset.conditions_named(name)
    except UnknownIdError:
        return fallback


def _trips_of(corridor: Corridor, kinds: Sequence[TripKind], weekdays_only: bool) -> list[Trip]:
    trips = sorted(
        (t for t in corridor.dataset.trips if t.kind in kinds and (not weekdays_only or t.departure.weekday() < 5)),
        key=lambda t: t.id,
    )
    if not trips:
        raise InvalidValueError("trips", f"the timetable has no {' or '.join(k.value for k in kinds)} trips")
    return trips


def _g1_stretch(corridor: Corridor, conditions: Conditions, trip: Trip) -> tuple[Direction, float, float]:
    """Direction and kilometre range of the G1 the trip drives."""
    vehicle_class = corridor.dataset.vehicle(trip.vehicle_id).vehicle_class
    span = trip_course(corridor.network, trip, vehicle_class, conditions).g1_span
    if span is None or span[2] - span[1] <= 2 * BREAKDOWN_MARGIN_KM:
        raise InvalidValueError("trips", f"trip {trip.id} does not drive the G1")
    return span


def _coach(corridor: Corridor, vehicle_id: str) -> str:
    vehicle = corridor.dataset.vehicle(vehicle_id)
    return f"coach {vehicle.id} ({vehicle.plate})"


def _place_name(corridor: Corridor, location: str) -> str:
    network = corridor.network
    if network.has_node(location):
        return network.node_name(location)
    return f"{network.locate(location).describe()}"
