"""The timetable over a what-if period.

The dataset holds one week of trips; over the period it repeats weekly: a day of the period runs the
trips of the dataset day with the same weekday, shifted to that date, with ids ``<trip>@<date>``. With
a service calendar (``calendar.toml``) a day runs as the calendar says, as at the desk: a public
holiday runs none of the kinds it names, a make-up working day runs as another weekday, and no day
outside the calendar's period runs anything.
The drivers' recorded history (the 7 days before the dataset week) is shifted the same way so that it
lies before the period's first week. Where a trip is at each moment (its course) is
:func:`fleetplan.timetable.trip_course`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from fleetplan.model import Dataset, DutyInterval, Stop, Trip
from fleetplan.timetable import first_timetable_day

WEEK_DAYS = 7


def template_day(dataset: Dataset, day: date) -> date:
    """The dataset day with the same weekday as ``day`` in the template week."""
    first = first_timetable_day(dataset)
    return first + timedelta(days=(day - first).days % WEEK_DAYS)


def period_trips(dataset: Dataset, days: tuple[date, ...]) -> tuple[Trip, ...]:
    """Every trip run on ``days``: the template week repeated (as its calendar says, if it has one), in
    departure order.

    Trips of the dataset outside its first 7 days are not repeated.
    """
    first = first_timetable_day(dataset)
    by_day: dict[date, list[Trip]] = {}
    for trip in dataset.trips:
        if (trip.departure.date() - first).days < WEEK_DAYS:
            by_day.setdefault(trip.departure.date(), []).append(trip)
    trips = [shifted_trip(trip, day) for day in days for trip in _runs_on(dataset, by_day, day)]
    return tuple(sorted(trips, key=lambda t: (t.departure, t.id)))


def _runs_on(dataset: Dataset, by_day: dict[date, list[Trip]], day: date) -> list[Trip]:
    """The template trips that run on ``day``: those of its weekday, or as the calendar says."""
    calendar = dataset.calendar
    if calendar is None:
        return by_day.get(template_day(dataset, day), [])
    return [
        trip
        for trips in by_day.values()
        for trip in trips
        if (weekday := calendar.runs_as(day, trip.kind)) is not None
        and trip.departure.date() == calendar.template_day(weekday)
    ]


def shifted_trip(trip: Trip, day: date) -> Trip:
    """``trip`` run on ``day`` instead of its own day, with the id ``<trip>@<day>``."""
    delta = timedelta(days=(day - trip.departure.date()).days)
    stops = tuple(replace(stop, planned=stop.planned + delta) for stop in trip.stops)
    return replace(trip, id=f"{trip.id}@{day.isoformat()}", stops=stops)


def period_history(dataset: Dataset, start: date) -> tuple[DutyInterval, ...]:
    """The recorded duty history shifted by whole weeks to lie before the week that holds ``start``."""
    first = first_timetable_day(dataset)
    week_start = start - timedelta(days=(start - first).days % WEEK_DAYS)
    delta = week_start - first
    return tuple(
        replace(interval, start=interval.start + delta, end=interval.end + delta) for interval in dataset.duty_log
    )


def period_dataset(dataset: Dataset, days: tuple[date, ...]) -> Dataset:
    """``dataset`` with the timetable of ``days`` and the history shifted before them."""
    # the period's trips are dated: the calendar, which would repeat them again, is dropped
    return replace(dataset, trips=period_trips(dataset, days), duty_log=period_history(dataset, days[0]), calendar=None)


def stop_shifted(stop: Stop, seconds: int) -> Stop:
    """``stop`` planned ``seconds`` later."""
    return replace(stop, planned=stop.planned + timedelta(seconds=seconds))
