"""The timetable as a weekly pattern with a calendar (issue 16 §2): the trips of ``trips.csv`` are a
*template week* that repeats every week of the calendar's period, with dated exceptions, so the desk has
the trips of any day it is run on — not only the template week's.

- The **template week** starts on the Monday of the earliest trip; every trip lies within its 7 days.
- The **period** (``first_day`` … ``last_day``, either open) is when the pattern runs.
- An **exception** makes one date run as another weekday of the template (a make-up working day, 调休)
  or not at all (a public holiday), for every trip kind or the kinds it names.

A trip of the template on day ``T`` runs on day ``D`` when ``D``'s weekday (or its exception's) is
``T``'s: it is copied with every stop moved by ``D - T`` days and named for ``D`` (the ``T<MMDD>-``
prefix of the data's ids follows the day; another id gets ``@YYYY-MM-DD``). The template week's own
days keep their ids, so the template week reads exactly as the data.

:func:`dataset_at` is what a moment's dispatch reads: the dataset with the trips of the two weeks
around the moment (those before it are the drivers' recent driving and where coaches ended up; those
after it, the later trips to re-cover). Days before the template week that the drivers' duty log
covers are the log's: the pattern runs no trips on them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta

from fleetplan.errors import InvalidValueError
from fleetplan.model import Dataset, ServiceCalendar, Stop, Trip

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NO_SERVICE = "none"
WINDOW_DAYS = 7  # trips this many days either side of a moment are in the dataset a dispatch reads


def template_monday_of(trips: Iterable[Trip]) -> date | None:
    """The Monday of the week of the earliest trip (None without trips)."""
    first = min((trip.departure.date() for trip in trips), default=None)
    return None if first is None else first - timedelta(days=first.weekday())


def trips_on(template: Iterable[Trip], calendar: ServiceCalendar, day: date) -> list[Trip]:
    """The trips that run on ``day``: the template's trips of the weekday it runs as, moved to ``day``."""
    found = []
    for trip in template:
        weekday = calendar.runs_as(day, trip.kind)
        if weekday is not None and trip.departure.date() == calendar.template_day(weekday):
            found.append(moved(trip, day))
    return found


def moved(trip: Trip, day: date) -> Trip:
    """``trip`` run on ``day`` instead of its template day: stops shifted by whole days, id for the day."""
    shift = day - trip.departure.date()
    if not shift:
        return trip
    stops = tuple(Stop(stop.node_id, stop.planned + shift) for stop in trip.stops)
    return replace(trip, id=dated_id(trip.id, trip.departure.date(), day), stops=stops)


def dated_id(template_id: str, template_day: date, day: date) -> str:
    """``T1207-AM1`` on 2026-12-14 is ``T1214-AM1``; an id without the day's prefix gets ``@2026-12-14``."""
    prefix = f"T{template_day:%m%d}-"
    if template_id.startswith(prefix):
        return f"T{day:%m%d}-{template_id[len(prefix) :]}"
    return f"{template_id}@{day:%Y-%m-%d}"


def trips_between(template: Iterable[Trip], calendar: ServiceCalendar, first: date, last: date) -> tuple[Trip, ...]:
    """Every trip running from ``first`` to ``last`` (both included), in departure order."""
    template = tuple(template)
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    trips = [trip for day in days for trip in trips_on(template, calendar, day)]
    return tuple(sorted(trips, key=lambda t: (t.departure, t.id)))


_cache_lock = threading.Lock()
_cache: dict[tuple[int, date], tuple[Dataset, Dataset]] = {}


def dataset_at(dataset: Dataset, at: datetime) -> Dataset:
    """``dataset`` with the trips of the days around ``at`` in place of its template week.

    A dataset without a calendar (dated trips, as tests and generated fleets have) is returned as it
    is; so is one already taken for a moment (its calendar is dropped). Remembered per dataset and day.
    """
    calendar = dataset.calendar
    if calendar is None:
        return dataset
    key = (id(dataset), at.date())
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] is dataset:
            return cached[1]
    window = timedelta(days=WINDOW_DAYS)
    logged = logged_days(dataset)
    trips = tuple(
        trip
        for trip in trips_between(dataset.trips, calendar, at.date() - window, at.date() + window)
        if trip.departure.date() not in logged
    )
    found = replace(dataset, trips=trips, calendar=None)
    with _cache_lock:
        if len(_cache) > 64:  # a long-running desk meets a new day now and then; keep the cache small
            _cache.clear()
        _cache[key] = (dataset, found)
    return found


def logged_days(dataset: Dataset) -> frozenset[date]:
    """The days before the template week that the drivers' duty log covers. What happened then is the
    log's: the pattern's trips of those days are left out (their driving is in the log, where a dispatch
    could not tell it from other duty)."""
    calendar = dataset.calendar
    if calendar is None or not dataset.duty_log:
        return frozenset()
    first = min(interval.start.date() for interval in dataset.duty_log)
    return frozenset(first + timedelta(days=n) for n in range((calendar.template_monday - first).days))


def trips_of_day(dataset: Dataset, day: date) -> tuple[Trip, ...]:
    """The trips leaving on ``day`` as a dispatch that day reads them (the dated trips without a calendar)."""
    moment = datetime.combine(day, datetime.min.time())
    return tuple(trip for trip in dataset_at(dataset, moment).trips if trip.departure.date() == day)


def parse_weekday(text: str) -> int | None:
    """``monday`` … ``sunday`` → 0 … 6; ``none`` → None; else :class:`InvalidValueError` naming runs_as."""
    name = text.strip().lower()
    if name == NO_SERVICE:
        return None
    if name not in WEEKDAYS:
        raise InvalidValueError("runs_as", f"{text!r} is not one of {', '.join(WEEKDAYS)} or {NO_SERVICE}")
    return WEEKDAYS.index(name)
