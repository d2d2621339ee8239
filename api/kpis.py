"""Service KPIs from the incident records: response-time compliance, response times, follow-up calls,
incidents per 10,000 km.

Definitions (voided incidents never count — a void corrects the record):

- **exercises** are not operations: an incident reported for a time ahead of the clock that recorded
  it is an exercise on the timetable's days (the desk's clock rule, :func:`api.desk.times.reported_ahead_of_clock`;
  its lifecycle times run on its own calendar). Exercises are left out of every KPI below, as a drill
  voided after it was entered as real is, and listed apart under ``exercises``. An exercise reported at
  the present time cannot be told from a real incident: run drills on a drill desk, with its own
  database (docs/deploy.md), or void them;

- **compliance** by tier and month (of the reported time): incidents reached within their limit over
  the incidents whose on-scene time is recorded (open incidents not yet reached are not counted
  until they are; ``measured`` says how many were). An incident whose accepted plan sent no coach
  to the scene (the desk refuses such plans now; older records hold some) is measured and never
  within the limit, whatever its on-scene entry says;
- **response** mean and 90th percentile (linear interpolation) of on-scene − reported, minutes, over
  the incidents a coach was sent to;
- **set aside**: an on-scene time no rescue could have had — before the report, a day or more after
  it, or earlier than the accepted plan's first arrival (less the desk's tolerance) with no reason
  recorded — is kept out of compliance and response times and listed with its reason, to be voided
  or corrected. The desk refuses such times now; records kept before it checked them hold some, and
  one on-scene at 9999-12-31 made the mean response two billion minutes;
- **follow-up-call rate**: followed-up incidents over incidents resolved or followed up;
- **incidents per 10,000 km**: incidents reported in the period over the kilometres of the timetable
  trips that depart in the period, where a trip's kilometres are the length of its clear-weather
  route on the road network through its stops. Every day of the period counts the trips its calendar
  runs (the template week repeated, with its exceptions; days the drivers' duty log covers run none).
  The period is the query's ``from``–``to``; an open side is the first or last counted incident's day
  (the template week without incidents).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from fleetplan.calendar import logged_days
from fleetplan.corridor import Corridor
from fleetplan.errors import FleetplanError
from fleetplan.model import ServiceCalendar, TripKind
from fleetplan.timetable import trip_course
from fleetplan.units import KM

from api.desk.times import earliest_on_scene
from api.records.types import EntryKind, IncidentRecord, IncidentStatus

PER_KM = 10_000
CLEAR = "clear"
# No rescue on a ≈120-km corridor takes a day: an on-scene a day or more after the report is a slip.
LONGEST_BELIEVABLE_RESPONSE = timedelta(hours=24)


@dataclass(frozen=True)
class TripKm:
    departure_day: date
    km: float
    kind: TripKind


@dataclass(frozen=True)
class TimetableKm:
    """Route kilometres of the timetable's trips on any day: each trip of the data measured once, each
    day the sum over the trips its calendar runs that day (the data's dated trips without a calendar)."""

    trips: Mapping[str, TripKm]
    calendar: ServiceCalendar | None
    logged: frozenset[date]  # days the drivers' duty log covers: the pattern runs no trips on them

    def on(self, day: date) -> float:
        if self.calendar is None:
            return sum(trip.km for trip in self.trips.values() if trip.departure_day == day)
        if day in self.logged:
            return 0.0
        calendar = self.calendar
        return sum(
            trip.km
            for trip in self.trips.values()
            if (weekday := calendar.runs_as(day, trip.kind)) is not None
            and trip.departure_day == calendar.template_day(weekday)
        )

    def between(self, first: date, last: date) -> float:
        """The kilometres of ``first`` … ``last``, counted by weekday (a period may span centuries: a
        KPI query is any two days); the calendar's exceptions and the logged days one by one."""
        if first > last:
            return 0.0
        if self.calendar is None:
            return sum(trip.km for trip in self.trips.values() if first <= trip.departure_day <= last)
        calendar = self.calendar
        low, high = max(first, calendar.first_day or first), min(last, calendar.last_day or last)
        by_weekday = [
            sum(trip.km for trip in self.trips.values() if trip.departure_day == calendar.template_day(weekday))
            for weekday in range(7)
        ]
        total = sum(count * km for count, km in zip(_weekdays_between(low, high), by_weekday, strict=True))
        special = {e.day for e in calendar.exceptions} | self.logged
        for day in (d for d in special if first <= d <= last):  # as it runs, in place of a plain weekday
            total += self.on(day) - (by_weekday[day.weekday()] if low <= day <= high else 0.0)
        return total

    def template_days(self) -> tuple[date, date] | None:
        days = [trip.departure_day for trip in self.trips.values()]
        return (min(days), max(days)) if days else None


def _weekdays_between(first: date, last: date) -> list[int]:
    """How many Mondays … Sundays ``first`` … ``last`` hold (none when first is after last)."""
    days = (last - first).days + 1
    if days <= 0:
        return [0] * 7
    counts = [days // 7] * 7
    for offset in range(days % 7):
        counts[(first.weekday() + offset) % 7] += 1
    return counts


def trip_km(corridor: Corridor) -> TimetableKm:
    """Every trip of the data measured: its route length through its stops (its course in clear weather,
    its coach's class), with the calendar that repeats them."""
    dataset, network = corridor.dataset, corridor.network
    lengths = {}
    for trip in dataset.trips:
        vehicle_class = dataset.vehicle(trip.vehicle_id).vehicle_class
        try:
            km = trip_course(network, trip, vehicle_class, dataset.clear_conditions).length_m / KM
        except FleetplanError:  # a trip the network cannot route adds nothing rather than failing the KPIs
            km = 0.0
        lengths[trip.id] = TripKm(trip.departure.date(), km, trip.kind)
    return TimetableKm(lengths, dataset.calendar, logged_days(dataset))


def kpis(
    records: Iterable[IncidentRecord],
    trips: TimetableKm,
    period_from: date | None = None,
    period_to: date | None = None,
    on_scene_tolerance: timedelta = timedelta(0),
    tier_limits: Mapping[str, int] | None = None,
    exercise: Callable[[IncidentRecord], bool] | None = None,
) -> dict[str, Any]:
    """The KPIs of the HTTP contract (definitions in the module docstring).

    Parameters
    ----------
    records
        Incidents with their entries; voided ones are left out.
    trips
        The timetable's kilometres on any day (:func:`trip_km`).
    period_from, period_to
        First and last day (inclusive) of the reported times counted; ``None`` leaves that side open.
    on_scene_tolerance
        How much earlier than the plan's first arrival an on-scene time may be without a reason (the desk's).
    tier_limits
        The data's tiers in order, name → limit in minutes: ``by_tier`` lists each of them.
    exercise
        Whether a record is an exercise (the desk's rule: reported ahead of the clock); ``None``: none is.

    Returns
    -------
    dict
        ``by_tier_month``, ``by_day``, ``by_tier``, ``response_min`` (mean, p90, count), ``follow_up_rate``,
        ``incidents_per_10k_km`` and its ``km_basis``, ``set_aside`` (number and reason), and
        ``exercises`` (the exercises of the period, left out of all the others).
    """
    in_period = [
        r
        for r in records
        if r.status != IncidentStatus.VOIDED and _within(r.reported_at.date(), period_from, period_to)
    ]
    exercises = [r for r in in_period if exercise is not None and exercise(r)]
    drilled = {r.number for r in exercises}
    counted = [r for r in in_period if r.number not in drilled]
    doubts = {r.number: why for r in counted if (why := unbelievable_on_scene(r, on_scene_tolerance))}
    believed = [r for r in counted if r.number not in doubts]
    return {
        "by_tier_month": by_tier_month(counted, doubts.keys()),
        "by_day": by_day(counted, doubts.keys()),
        "by_tier": by_tier(counted, doubts.keys(), tier_limits or {}),
        "response_min": response_stats([m for m in map(response_min, believed) if m is not None]),
        "follow_up_rate": follow_up_rate(counted),
        **incident_rate(counted, trips, period_from, period_to),
        "set_aside": [{"number": number, "reason": why} for number, why in sorted(doubts.items())],
        "exercises": [exercise_row(r) for r in sorted(exercises, key=lambda r: r.number)],
    }


def exercise_row(record: IncidentRecord) -> dict[str, Any]:
    """An exercise as the KPIs list it: its number, the time it was reported for and when it was recorded."""
    recorded_at = record.entries[0].at if record.entries else record.reported_at
    return {
        "number": record.number,
        "reported_at": record.reported_at.isoformat(timespec="minutes"),
        "recorded_at": recorded_at.isoformat(timespec="minutes"),
    }


def unbelievable_on_scene(record: IncidentRecord, tolerance: timedelta) -> str | None:
    """Why the record's on-scene time cannot have happened (see the module docstring), or None."""
    entry = record.latest(EntryKind.ON_SCENE)
    if entry is None or not sent_a_coach(record) or not isinstance(entry.payload.get("at"), str):
        return None
    try:
        at = datetime.fromisoformat(entry.payload["at"])
    except ValueError:
        return f"on scene {entry.payload['at']!r} is not a time"
    if at < record.reported_at:
        return "on scene before the report"
    if at - record.reported_at >= LONGEST_BELIEVABLE_RESPONSE:
        return "on scene a day or more after the report"
    earliest = earliest_on_scene(record)
    if earliest is not None and at < earliest - tolerance and not entry.payload.get("override_reason"):
        return "on scene before the accepted plan could arrive, and no reason recorded"
    return None


def response_min(record: IncidentRecord) -> float | None:
    entry = record.latest(EntryKind.ON_SCENE)
    return entry.payload.get("response_min") if entry and sent_a_coach(record) else None


def within_limit(record: IncidentRecord) -> bool | None:
    entry = record.latest(EntryKind.ON_SCENE)
    reached = entry.payload.get("within_limit") if entry else None
    return None if reached is None else bool(reached) and sent_a_coach(record)


def sent_a_coach(record: IncidentRecord) -> bool:
    """Whether the accepted plan sent a coach to the scene: without one nobody was reached, in time or not."""
    accepted = record.accept_in_force()
    return accepted is not None and bool((accepted.payload.get("plan") or {}).get("assignments"))


def by_tier_month(records: list[IncidentRecord], set_aside: Iterable[int] = ()) -> list[dict[str, Any]]:
    """Incidents, measured and reached within the limit by tier and month; ``set_aside`` are not measured."""
    doubted = set(set_aside)
    rows: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"incidents": 0, "measured": 0, "reached": 0})
    for record in records:
        row = rows[(record.report.get("tier") or "unknown", record.reported_at.strftime("%Y-%m"))]
        row["incidents"] += 1
        reached = None if record.number in doubted else within_limit(record)
        if reached is not None:
            row["measured"] += 1
            row["reached"] += int(reached)
    return [
        {
            "tier": tier,
            "month": month,
            "incidents": row["incidents"],
            "measured": row["measured"],
            "reached_within_limit": row["reached"],
            "compliance": round(row["reached"] / row["measured"], 4) if row["measured"] else None,
        }
        for (tier, month), row in sorted(rows.items(), key=lambda item: (item[0][1], item[0][0]))
    ]


def by_day(records: list[IncidentRecord], set_aside: Iterable[int] = ()) -> list[dict[str, Any]]:
    """Incidents, measured and reached within the limit per reported day (days with incidents only)."""
    doubted = set(set_aside)
    rows: dict[str, dict[str, Any]] = {}
    for record in records:
        day = record.reported_at.date().isoformat()
        row = rows.setdefault(day, {"day": day, "incidents": 0, "measured": 0, "reached_within_limit": 0})
        row["incidents"] += 1
        reached = None if record.number in doubted else within_limit(record)
        if reached is not None:
            row["measured"] += 1
            row["reached_within_limit"] += int(reached)
    return [rows[day] for day in sorted(rows)]


def by_tier(
    records: list[IncidentRecord], set_aside: Iterable[int], tier_limits: Mapping[str, int]
) -> list[dict[str, Any]]:
    """Per tier: incidents, the measured response times against the limit, and the passengers reached
    within it. Every tier of ``tier_limits`` is listed (in its order), then any other tier recorded."""
    doubted = set(set_aside)
    names = list(tier_limits) + sorted({r.report.get("tier") or "unknown" for r in records} - set(tier_limits))
    rows = []
    for name in names:
        mine = [r for r in records if (r.report.get("tier") or "unknown") == name]
        measured = [(r, ok) for r in mine if r.number not in doubted and (ok := within_limit(r)) is not None]
        responses = [m for r, _ in measured if (m := response_min(r)) is not None]
        reached = [r for r, ok in measured if ok]
        rows.append(
            {
                "tier": name,
                "limit_min": tier_limits.get(name),
                "incidents": len(mine),
                "measured": len(measured),
                "reached_within_limit": len(reached),
                "compliance": round(len(reached) / len(measured), 4) if measured else None,
                "response_mean_min": round(float(np.mean(responses)), 1) if responses else None,
                "response_max_min": round(float(max(responses)), 1) if responses else None,
                "passengers": sum(_passengers(r) for r in mine),
                "passengers_measured": sum(_passengers(r) for r, _ in measured),
                "passengers_reached_within_limit": sum(_passengers(r) for r in reached),
            }
        )
    return rows


def _passengers(record: IncidentRecord) -> int:
    passengers = record.report.get("passengers")
    return passengers if isinstance(passengers, int) else 0


def response_stats(response_minutes: list[float]) -> dict[str, Any]:
    if not response_minutes:
        return {"mean": None, "p90": None, "count": 0}
    values = np.asarray(response_minutes, dtype=float)
    return {
        "mean": round(float(values.mean()), 1),
        "p90": round(float(np.percentile(values, 90)), 1),
        "count": len(response_minutes),
    }


def follow_up_rate(records: list[IncidentRecord]) -> float | None:
    done = [r for r in records if r.status in (IncidentStatus.RESOLVED, IncidentStatus.FOLLOWED_UP)]
    if not done:
        return None
    return round(sum(r.status == IncidentStatus.FOLLOWED_UP for r in done) / len(done), 4)


def incident_rate(
    records: list[IncidentRecord], trips: TimetableKm, period_from: date | None, period_to: date | None
) -> dict[str, Any]:
    days = sorted(r.reported_at.date() for r in records) or list(trips.template_days() or ())
    if period_from is None and not days:
        return {
            "incidents_per_10k_km": None,
            "km_basis": {"period_from": None, "period_to": None, "km": 0.0, "incidents": 0},
        }
    start = period_from or days[0]
    end = period_to or max(days[-1] if days else start, start)
    km = trips.between(start, end)
    incidents = sum(1 for r in records if start <= r.reported_at.date() <= end)
    return {
        "incidents_per_10k_km": round(incidents / km * PER_KM, 2) if km > 0 else None,
        "km_basis": {
            "period_from": start.isoformat(),
            "period_to": end.isoformat(),
            "km": round(km, 1),
            "incidents": incidents,
        },
    }


def _within(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)
