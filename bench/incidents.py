"""Seeded incident generators shared by the benchmarks.

A trip's planned passage is its course (:func:`fleetplan.timetable.trip_course`): each leg between
two stops follows the clear-weather fastest route, and the leg's planned duration (which includes the
timetable's slack) is spread over the route in proportion to edge travel times. An incident's moment
and location are therefore consistent: a coach reported at ``G1 K78 toward Siping`` at 07:40 is where
its timetable puts it at 07:40.

Placements:

- ``g1``: a kilometre post strictly between the trip's G1 entry and exit, on the carriageway of its
  direction of travel; the moment is interpolated along the route time;
- ``stop``: at an intermediate stop of the trip, shortly before its planned departure from there;
- ``pre_departure``: at the first stop, 5–30 min before the planned departure (the coach does not
  start; the pre-departure tier applies).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetplan.corridor import Corridor
from fleetplan.model import Conditions, Incident, IncidentKind, Trip
from fleetplan.timetable import TripCourse, g1_location, trip_course

DEFAULT_SEED = 20261207
# Shares of incident kinds (E): breakdowns dominate; the kind does not change the dispatch model.
KIND_WEIGHTS = ((IncidentKind.BREAKDOWN, 0.75), (IncidentKind.ACCIDENT, 0.10), (IncidentKind.DRIVER_ILLNESS, 0.15))
PRE_DEPARTURE_SHARE = 0.05
STOP_SHARE = 0.08


@dataclass(frozen=True)
class GeneratedIncident:
    """An incident and how it was placed (``g1``, ``stop`` or ``pre_departure``)."""

    incident: Incident
    placement: str


def trip_track(corridor: Corridor, trip: Trip, conditions: Conditions) -> TripCourse:
    """The course of ``trip``: the nodes it passes with their planned offsets (see the module docstring).

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
    TripCourse
        Its first point is the first stop at the departure, its last the last stop.
    """
    vehicle_class = corridor.dataset.vehicle(trip.vehicle_id).vehicle_class
    return trip_course(corridor.network, trip, vehicle_class, conditions)


def _kind(rng: random.Random) -> IncidentKind:
    kinds, weights = zip(*KIND_WEIGHTS)
    return rng.choices(kinds, weights)[0]


def _incident(index: int, rng: random.Random, trip: Trip, where: str, at: datetime) -> Incident:
    kind = _kind(rng)
    return Incident(
        id=f"B{index:03d}",
        kind=kind,
        vehicle_id=trip.vehicle_id,
        trip_id=trip.id,
        location=where,
        at=at.replace(microsecond=0),
        passengers=trip.booked_passengers,
        drivable=kind == IncidentKind.DRIVER_ILLNESS,
    )


def _g1_incident(index: int, rng: random.Random, trip: Trip, track: TripCourse) -> Incident | None:
    stretches = track.g1_stretches
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
    at = track.moment_at_km(trip.departure, stretch, km)
    return _incident(index, rng, trip, g1_location(km, stretch[0].direction), at)


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


MAX_DRAWS = 10_000  # trips drawn for one incident before giving up


def generate_incidents(
    corridor: Corridor,
    count: int,
    seed: int = DEFAULT_SEED,
    *,
    conditions: Conditions | None = None,
    pre_departure_share: float = PRE_DEPARTURE_SHARE,
    stop_share: float = STOP_SHARE,
) -> tuple[GeneratedIncident, ...]:
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
    conditions = conditions or corridor.dataset.clear_conditions
    trips = sorted((t for t in corridor.dataset.trips if t.booked_passengers > 0), key=lambda t: t.id)
    if not trips:
        raise ValueError("no trip of the data carries booked passengers: no incident to draw")
    with_stops = [t for t in trips if len(t.stops) >= 3]
    quotas = {
        "pre_departure": round(count * pre_departure_share),
        "stop": round(count * stop_share) if with_stops else 0,
    }
    placements = ["pre_departure"] * quotas["pre_departure"] + ["stop"] * quotas["stop"]
    placements += ["g1"] * (count - len(placements))
    rng.shuffle(placements)
    tracks: dict[str, TripCourse] = {}
    generated: list[GeneratedIncident] = []
    for placement in placements:
        incident = None
        tries = 0
        while incident is None:  # a trip without a G1 stretch cannot take a G1 incident: draw another
            tries += 1
            if tries > MAX_DRAWS:  # say so instead of drawing for ever (a dataset with no G1 trip)
                raise ValueError(f"no trip of the data takes a {placement} incident after {MAX_DRAWS} draws")
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


def simultaneous_incidents(
    corridor: Corridor, moment: datetime, count: int, seed: int = DEFAULT_SEED, *, conditions: Conditions | None = None
) -> tuple[GeneratedIncident, ...]:
    """``count`` incidents at the same ``moment``, on distinct coaches running a trip then.

    Each coach is placed where its timetable puts it at ``moment`` (:meth:`TripCourse.location_at`).

    Raises
    ------
    ValueError
        If fewer than ``count`` coaches with passengers are on a trip at ``moment``.
    """
    rng = random.Random(seed)
    conditions = conditions or corridor.dataset.clear_conditions
    running = sorted(
        (t for t in corridor.dataset.trips if t.departure < moment < t.arrival and t.booked_passengers > 0),
        key=lambda t: t.id,
    )
    if len(running) < count:
        raise ValueError(f"only {len(running)} trips with passengers are running at {moment:%Y-%m-%d %H:%M}")
    generated = []
    for trip in rng.sample(running, count):
        where = trip_track(corridor, trip, conditions).location_at(trip.departure, moment)
        placement = "g1" if where.startswith("G1 ") else "stop"
        generated.append(GeneratedIncident(_incident(len(generated), rng, trip, where, moment), placement))
    return tuple(generated)


def describe(generated: Sequence[GeneratedIncident]) -> dict[str, Counter]:
    """Counts per incident kind and per placement, for the report."""
    return {
        "kind": Counter(g.incident.kind.value for g in generated),
        "placement": Counter(g.placement for g in generated),
    }
