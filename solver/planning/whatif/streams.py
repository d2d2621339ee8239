"""Seeded incident streams: for every trip of the period, the incidents that *may* happen on it.

Everything random is drawn here, up front, in a fixed order over the trips, so a replication's draws
do not depend on how earlier incidents were dispatched (and two scenarios with the same seed face the
same candidate incidents: common random numbers).

- Breakdowns: a Poisson process in vehicle-km. The count is drawn at the highest rate any coach can
  have that day (the oldest, in winter) and each candidate keeps a uniform ``accept_u``; when the
  simulation reaches it, it happens if ``accept_u`` is below the running coach's rate over that
  highest rate (thinning), so a substitute coach fails at its own rate.
- No-start: a coach fails at its first stop before departure (the pre-departure tier), thinned the
  same way.
- Accidents: a Poisson process in vehicle-km, more likely on a snow, ice or blizzard day; the coach is
  not drivable and its carriageway is blocked behind it for a while.
- Driver illness: at most one per trip; the coach is drivable but needs a new driver.

Incidents on the road are placed uniformly along the trip's G1 kilometres (kilometre post and
carriageway), at the moment the timetable puts the coach there; the rate counts the whole trip's
kilometres. A trip that does not use G1 gets no incident on the road.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from fleetplan.corridor import Corridor
from fleetplan.model import Conditions, IncidentKind, Trip, Weather
from fleetplan.timetable import TripCourse, trip_course
from fleetplan.units import KM

from solver.planning.whatif.scenario import IncidentRates
from solver.planning.whatif.weather import WeatherCalendar

NO_START_NOTICE_MIN = (5.0, 30.0)  # a coach that does not start is reported this long before departure


@dataclass(frozen=True)
class Candidate:
    """An incident that may happen on trip ``trip_id`` at ``at`` (planned time of that point).

    ``accept_u`` < 1 means thinning applies (breakdowns, no-start): the candidate happens if
    ``accept_u`` is below the running coach's failure factor over ``max_factor``. ``duration_h`` is the
    workshop time (breakdown, accident) and ``blocking_min`` how long an accident blocks the carriageway.
    """

    at: datetime
    trip_id: str
    planned_departure: datetime
    kind: IncidentKind
    location: str
    pre_departure: bool
    accept_u: float
    max_factor: float
    duration_h: float
    blocking_min: float = 0.0
    wave: int | None = None  # candidates of one wave happen together and are planned together


def draw_candidates(
    corridor: Corridor,
    trips: Sequence[Trip],
    calendar: WeatherCalendar,
    rates: IncidentRates,
    rng: np.random.Generator,
    timetable_conditions: Conditions,
) -> tuple[Candidate, ...]:
    """Every candidate incident of ``trips``, in time order.

    Parameters
    ----------
    corridor
        Dataset (coach classes for the routes) and network.
    trips
        The period's trips, in a fixed order.
    calendar
        The weather of each day (accidents are likelier on bad-weather days).
    rates
        Incident rates.
    rng
        The replication's incident generator; consumed in a fixed order.
    timetable_conditions
        Conditions the timetable was planned for (its courses are computed under them).

    Returns
    -------
    tuple of Candidate
        Sorted by time, then trip id.
    """
    candidates: list[Candidate] = []
    for trip in trips:
        candidates += _trip_candidates(corridor, trip, calendar, rates, rng, timetable_conditions)
    return tuple(sorted(candidates, key=lambda c: (c.at, c.trip_id, c.kind.value)))


def _trip_candidates(
    corridor: Corridor,
    trip: Trip,
    calendar: WeatherCalendar,
    rates: IncidentRates,
    rng: np.random.Generator,
    conditions: Conditions,
) -> list[Candidate]:
    vehicle_class = corridor.dataset.vehicle(trip.vehicle_id).vehicle_class
    course = trip_course(corridor.network, trip, vehicle_class, conditions)
    day = trip.departure.date()
    max_factor = rates.breakdowns.max_failure_factor(day)
    trip_km = course.length_m / KM
    bad_weather = calendar.weather_on(day) != Weather.CLEAR
    accident_rate = rates.accidents_per_million_km / 1e6 * (rates.bad_weather_accident_factor if bad_weather else 1.0)
    # fixed-size draws first, so the stream stays aligned whatever the counts turn out to be
    no_start_u, notice_u, illness_u, illness_where = rng.random(4)
    breakdowns = int(rng.poisson(trip_km / rates.breakdowns.mdbf_km * max_factor))
    accidents = int(rng.poisson(trip_km * accident_rate))
    found: list[Candidate] = []
    no_start_p = rates.no_start_per_departure * max_factor
    if no_start_u < no_start_p:
        notice = NO_START_NOTICE_MIN[0] + (NO_START_NOTICE_MIN[1] - NO_START_NOTICE_MIN[0]) * notice_u
        found.append(
            Candidate(
                at=(trip.departure - timedelta(minutes=notice)).replace(second=0, microsecond=0),
                trip_id=trip.id,
                planned_departure=trip.departure,
                kind=IncidentKind.BREAKDOWN,
                location=trip.origin,
                pre_departure=True,
                accept_u=no_start_u / no_start_p,
                max_factor=max_factor,
                duration_h=_uniform(rng, rates.breakdown_repair_h),
            )
        )
    for _ in range(breakdowns):
        where, accept_u = rng.random(2)
        found += _on_g1(
            course, trip, IncidentKind.BREAKDOWN, where, accept_u, max_factor, _uniform(rng, rates.breakdown_repair_h)
        )
    for _ in range(accidents):
        where = rng.random()
        found += _on_g1(
            course,
            trip,
            IncidentKind.ACCIDENT,
            where,
            0.0,
            1.0,
            _uniform(rng, rates.accident_repair_h),
            _uniform(rng, rates.accident_blocking_min),
        )
    if illness_u < rates.illness_per_trip:
        found += _on_g1(course, trip, IncidentKind.DRIVER_ILLNESS, illness_where, 0.0, 1.0, 0.0)
    return found


def _on_g1(
    course: TripCourse,
    trip: Trip,
    kind: IncidentKind,
    where: float,
    accept_u: float,
    max_factor: float,
    duration_h: float,
    blocking_min: float = 0.0,
) -> list[Candidate]:
    position = course.g1_position(where)
    if position is None:
        return []
    at = (trip.departure + timedelta(seconds=position.offset_s)).replace(microsecond=0)
    return [
        Candidate(
            at=at,
            trip_id=trip.id,
            planned_departure=trip.departure,
            kind=kind,
            location=position.location,
            pre_departure=False,
            accept_u=accept_u,
            max_factor=max_factor,
            duration_h=duration_h,
            blocking_min=blocking_min,
        )
    ]


BLIZZARD_ONSET_H = (6.0, 20.0)  # E: the snow sets in during the service hours


def draw_strandings(
    corridor: Corridor,
    trips: Sequence[Trip],
    calendar: WeatherCalendar,
    rates: IncidentRates,
    rng: np.random.Generator,
    timetable_conditions: Conditions,
) -> tuple[Candidate, ...]:
    """Coaches snowbound together at a blizzard's onset (issue #18 §6): on each blizzard day of the
    calendar the snow sets in at a moment drawn over :data:`BLIZZARD_ONSET_H`, and each coach of
    ``trips`` then on G1 is stranded there with probability ``rates.blizzard_stranding_share``. The
    candidates of one onset form one wave (the day's ordinal). Draws are of a fixed size per day
    (one onset, one number per trip), so the stream stays aligned whatever the counts turn out to be."""
    found: list[Candidate] = []
    for day, weather in calendar.days:
        onset_u, trip_u, repair_u = rng.random(), rng.random(len(trips)), rng.random(len(trips))
        if weather != Weather.BLIZZARD or rates.blizzard_stranding_share <= 0:
            continue
        low, high = BLIZZARD_ONSET_H
        onset = (datetime.combine(day, datetime.min.time()) + timedelta(hours=low + (high - low) * onset_u)).replace(
            second=0, microsecond=0
        )
        for k, trip in enumerate(trips):
            if not trip.departure <= onset < trip.arrival or trip_u[k] >= rates.blizzard_stranding_share:
                continue
            vehicle_class = corridor.dataset.vehicle(trip.vehicle_id).vehicle_class
            course = trip_course(corridor.network, trip, vehicle_class, timetable_conditions)
            where = course.location_at(trip.departure, onset)
            if not where.startswith("G1 "):
                continue  # off the expressway: the coach reaches shelter
            low_h, high_h = rates.stranded_h
            found.append(
                Candidate(
                    at=onset,
                    trip_id=trip.id,
                    planned_departure=trip.departure,
                    kind=IncidentKind.BREAKDOWN,
                    location=where,
                    pre_departure=False,
                    accept_u=0.0,  # no thinning: the snow strands any coach
                    max_factor=1.0,
                    duration_h=float(low_h + (high_h - low_h) * repair_u[k]),
                    wave=day.toordinal(),
                )
            )
    return tuple(found)


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    low, high = bounds
    return float(low + (high - low) * rng.random())
