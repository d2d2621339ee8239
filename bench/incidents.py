"""Seeded incident generators shared by the benchmarks.

A trip's planned passage is reconstructed from the network: each leg between two stops follows the
clear-weather fastest route, and the leg's planned duration (which includes the timetable's slack) is
spread over the route in proportion to free-flow edge times. An incident's moment and location are
therefore consistent: a coach reported at ``G1 K78 toward Siping`` at 07:40 is where its timetable
puts it at 07:40.

Placements:

- ``g1``: a kilometre post strictly between the trip's G1 entry and exit, on the carriageway of its
  direction of travel; the moment is interpolated along the route time;
- ``stop``: at an intermediate stop of the trip, shortly before its planned departure from there;
- ``pre_departure``: at the first stop, 5–30 min before the planned departure (the coach does not
  start; the pre-departure tier applies).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetplan.corridor import Corridor
from fleetplan.model import Conditions, Incident, IncidentKind, Trip
from fleetplan.network import Direction, TravelTimes

DEFAULT_SEED = 20261207
# Shares of incident kinds (E): breakdowns dominate; the kind does not change the dispatch model.
KIND_WEIGHTS = ((IncidentKind.BREAKDOWN, 0.75), (IncidentKind.ACCIDENT, 0.10), (IncidentKind.DRIVER_ILLNESS, 0.15))
PRE_DEPARTURE_SHARE = 0.05
STOP_SHARE = 0.08


@dataclass(frozen=True)
class TrackPoint:
    """A node the trip passes at its planned ``at``; ``km``/``direction`` set on a G1 carriageway."""

    node_id: str
    at: datetime
    km: float | None = None
    direction: Direction | None = None


@dataclass(frozen=True)
class GeneratedIncident:
    """An incident and how it was placed (``g1``, ``stop`` or ``pre_departure``)."""

    incident: Incident
    placement: str


def trip_track(corridor: Corridor, trip: Trip, conditions: Conditions) -> tuple[TrackPoint, ...]:
    """The nodes ``trip`` passes, each with its planned time (see the module docstring).

    Parameters
    ----------
    corridor
        Dataset and road network.
    trip
        A trip of the dataset.
    conditions
        The conditions that shape the route (the timetable was planned for clear weather).

    Returns
    -------
    tuple of TrackPoint
        In driving order; the first is the first stop at its departure, the last the last stop.
    """
    network = corridor.network
    travel = TravelTimes(network, conditions, corridor.dataset.vehicle(trip.vehicle_id).vehicle_class)
    points = [_track_point(network, trip.stops[0].node_id, trip.stops[0].planned)]
    for here, there in zip(trip.stops, trip.stops[1:]):
        path = travel.route(here.node_id, there.node_id, here.planned).path
        edge_s = [travel.edge_time_s(u, v, here.planned) for u, v in zip(path, path[1:])]
        total_s, leg = sum(edge_s) or 1, there.planned - here.planned
        elapsed_s = 0
        for node_id, seconds in zip(path[1:], edge_s):
            elapsed_s += seconds
            points.append(_track_point(network, node_id, here.planned + leg * (elapsed_s / total_s)))
    return tuple(points)


def _track_point(network, node_id: str, at: datetime) -> TrackPoint:
    data = network.graph.nodes[node_id]
    if data.get("kind") == "carriageway":
        return TrackPoint(node_id, at, data["km"], Direction(data["direction"]))
    return TrackPoint(node_id, at)


def g1_stretches(track: Sequence[TrackPoint]) -> list[tuple[TrackPoint, ...]]:
    """Maximal runs of consecutive carriageway points (one per G1 stretch driven)."""
    stretches, current = [], []
    for point in track:
        if point.km is not None and (not current or current[-1].direction == point.direction):
            current.append(point)
            continue
        if len(current) >= 2:
            stretches.append(tuple(current))
        current = [point] if point.km is not None else []
    if len(current) >= 2:
        stretches.append(tuple(current))
    return stretches


def km_text(km: float, direction: Direction) -> str:
    """The location text of a kilometre post, e.g. ``G1 K78.4 toward Siping``."""
    return f"G1 K{km:.1f} {direction.label}"


def moment_at_km(stretch: Sequence[TrackPoint], km: float) -> datetime:
    """When the coach passes ``km`` on ``stretch`` (linear between the posts around it)."""
    for a, b in zip(stretch, stretch[1:]):
        low, high = sorted((a.km, b.km))
        if low <= km <= high:
            fraction = 0.0 if a.km == b.km else (km - a.km) / (b.km - a.km)
            return a.at + (b.at - a.at) * fraction
    raise ValueError(f"K{km} is not on the stretch")


def location_at(track: Sequence[TrackPoint], moment: datetime) -> str:
    """Where the coach is at ``moment``: a kilometre post on G1, else the last node it passed."""
    times = [point.at for point in track]
    index = bisect_right(times, moment) - 1
    if index < 0:
        return track[0].node_id
    here = track[index]
    there = track[index + 1] if index + 1 < len(track) else None
    if here.km is not None and there is not None and there.km is not None and there.direction == here.direction:
        span_s = (there.at - here.at).total_seconds() or 1.0
        km = here.km + (there.km - here.km) * (moment - here.at).total_seconds() / span_s
        return km_text(round(km, 1), here.direction)
    if here.km is not None:
        return km_text(here.km, here.direction)
    return here.node_id


def clear_conditions(corridor: Corridor) -> Conditions:
    """The dataset's ``clear`` preset (the timetable's weather), or plain clear conditions."""
    return next((c for c in corridor.dataset.conditions if c.name == "clear"), Conditions("clear"))


def _kind(rng: random.Random) -> IncidentKind:
    kinds, weights = zip(*KIND_WEIGHTS)
    return rng.choices(kinds, weights)[0]


def _incident(index: int, rng: random.Random, trip: Trip, where: str, at: datetime) -> Incident:
    kind = _kind(rng)
    return Incident(id=f"B{index:03d}", kind=kind, vehicle_id=trip.vehicle_id, trip_id=trip.id, location=where,
                    at=at.replace(microsecond=0), passengers=trip.booked_passengers,
                    drivable=kind == IncidentKind.DRIVER_ILLNESS)


def _g1_incident(index: int, rng: random.Random, trip: Trip, track) -> Incident | None:
    stretches = g1_stretches(track)
    if not stretches:
        return None
    lengths = [abs(s[-1].km - s[0].km) for s in stretches]
    stretch = rng.choices(stretches, lengths)[0]
    low, high = sorted((stretch[0].km, stretch[-1].km))
    for _ in range(100):  # strictly inside the stretch, on a 100 m post
        km = round(rng.uniform(low, high), 1)
        if low < km < high:
            break
    else:
        return None
    at = moment_at_km(stretch, km)
    return _incident(index, rng, trip, km_text(km, stretch[0].direction), at)


def _stop_incident(index: int, rng: random.Random, trip: Trip) -> Incident | None:
    if len(trip.stops) < 3:
        return None
    stop_index = rng.randrange(1, len(trip.stops) - 1)
    stop, before = trip.stops[stop_index], trip.stops[stop_index - 1]
    dwell_s = min(180, int((stop.planned - before.planned).total_seconds()) - 1)
    at = stop.planned - timedelta(seconds=rng.randint(0, max(dwell_s, 0)))
    return _incident(index, rng, trip, stop.node_id, at)


def _pre_departure_incident(index: int, rng: random.Random, trip: Trip) -> Incident:
    at = trip.departure - timedelta(minutes=rng.randint(5, 30))
    return _incident(index, rng, trip, trip.origin, at)


def generate_incidents(corridor: Corridor, count: int, seed: int = DEFAULT_SEED, *,
                       conditions: Conditions | None = None, pre_departure_share: float = PRE_DEPARTURE_SHARE,
                       stop_share: float = STOP_SHARE) -> tuple[GeneratedIncident, ...]:
    """``count`` single incidents on random trips of the timetable, reproducible from ``seed``.

    Parameters
    ----------
    corridor
        Dataset (its trips with booked passengers are drawn uniformly) and network.
    count
        How many incidents.
    seed
        Seed of the :class:`random.Random` that makes every choice.
    conditions
        Conditions used to reconstruct the trips' routes (default: clear weather, as timetabled).
    pre_departure_share, stop_share
        Shares of pre-departure failures and failures at an intermediate stop (rounded to whole
        incidents, in shuffled order); the rest lie on G1.

    Returns
    -------
    tuple of GeneratedIncident
        Ids ``B000``, ``B001``, …; passengers are the trip's booked passengers.
    """
    rng = random.Random(seed)
    conditions = conditions or clear_conditions(corridor)
    trips = sorted((t for t in corridor.dataset.trips if t.booked_passengers > 0), key=lambda t: t.id)
    with_stops = [t for t in trips if len(t.stops) >= 3]
    quotas = {"pre_departure": round(count * pre_departure_share),
              "stop": round(count * stop_share) if with_stops else 0}
    placements = ["pre_departure"] * quotas["pre_departure"] + ["stop"] * quotas["stop"]
    placements += ["g1"] * (count - len(placements))
    rng.shuffle(placements)
    tracks: dict[str, tuple[TrackPoint, ...]] = {}
    generated: list[GeneratedIncident] = []
    for placement in placements:
        incident = None
        while incident is None:  # a trip without a G1 stretch cannot take a G1 incident: draw another
            if placement == "pre_departure":
                incident = _pre_departure_incident(len(generated), rng, rng.choice(trips))
            elif placement == "stop":
                incident = _stop_incident(len(generated), rng, rng.choice(with_stops))
            else:
                trip = rng.choice(trips)
                if trip.id not in tracks:
                    tracks[trip.id] = trip_track(corridor, trip, conditions)
                incident = _g1_incident(len(generated), rng, trip, tracks[trip.id])
        generated.append(GeneratedIncident(incident, placement))
    return tuple(generated)


def simultaneous_incidents(corridor: Corridor, moment: datetime, count: int, seed: int = DEFAULT_SEED, *,
                           conditions: Conditions | None = None) -> tuple[GeneratedIncident, ...]:
    """``count`` incidents at the same ``moment``, on distinct coaches running a trip then.

    Each coach is placed where its timetable puts it at ``moment`` (:func:`location_at`).

    Raises
    ------
    ValueError
        If fewer than ``count`` coaches with passengers are on a trip at ``moment``.
    """
    rng = random.Random(seed)
    conditions = conditions or clear_conditions(corridor)
    running = sorted((t for t in corridor.dataset.trips
                      if t.departure < moment < t.arrival and t.booked_passengers > 0), key=lambda t: t.id)
    if len(running) < count:
        raise ValueError(f"only {len(running)} trips with passengers are running at {moment:%Y-%m-%d %H:%M}")
    generated = []
    for trip in rng.sample(running, count):
        where = location_at(trip_track(corridor, trip, conditions), moment)
        placement = "g1" if where.startswith("G1 ") else "stop"
        generated.append(GeneratedIncident(_incident(len(generated), rng, trip, where, moment), placement))
    return tuple(generated)


def describe(generated: Sequence[GeneratedIncident]) -> dict[str, Counter]:
    """Counts per incident kind and per placement, for the report."""
    return {"kind": Counter(g.incident.kind.value for g in generated),
            "placement": Counter(g.placement for g in generated)}
