"""``calendar.toml``: when the template week of ``trips.csv`` runs (optional; without it the trips are
dated as given).

    [repeat]
    from = 2025-09-01          # the first day the pattern runs (leave out: always)
    until = 2027-07-10         # the last day (leave out: no end)

    [[exception]]
    date = 2027-01-01
    runs_as = "none"           # a weekday of the template (monday … sunday) or none
    kinds = ["staff_morning", "staff_evening"]   # leave out: every kind
    note = "元旦 New Year's Day"

Every problem names its key path (``exception[2].runs_as``); the trips must lie within one week from
the Monday of the earliest.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from fleetplan.calendar import WEEKDAYS, parse_weekday, template_monday_of
from fleetplan.dataset.toml_files import TomlReader, read_toml
from fleetplan.errors import DataProblem, InvalidValueError
from fleetplan.model import CalendarException, ServiceCalendar, Trip, TripKind
from fleetplan.tables import shown

CALENDAR = "calendar.toml"
REPEAT_KEYS = ("from", "until")
EXCEPTION_KEYS = ("date", "runs_as", "kinds", "note")


def load_calendar(path: Path, trips: Iterable[Trip]) -> tuple[ServiceCalendar | None, list[DataProblem]]:
    """The calendar of ``path`` for ``trips`` (the template week); (None, []) when the file is absent."""
    if not path.exists():
        return None, []
    data, problems = read_toml(path)
    if data is None:
        return None, problems
    trips = tuple(trips)
    reader = TomlReader(path.name)
    reader.no_other_keys(data, ("repeat", "exception"))
    repeat = reader.table(data, "repeat", required=False) or {}
    reader.no_other_keys(repeat, REPEAT_KEYS, "repeat.")
    first, last = _day(reader, repeat, "from", "repeat."), _day(reader, repeat, "until", "repeat.")
    exceptions = _exceptions(reader, data.get("exception", []))
    monday = template_monday_of(trips)
    if monday is None:
        reader.problem(None, "trips.csv has no trips for the calendar to repeat")
    else:
        _within_week(reader, trips, monday)
    if first and last and last < first:
        reader.problem("repeat.until", f"{last} is before repeat.from {first}")
    if reader.problems or monday is None:
        return None, reader.problems
    return ServiceCalendar(monday, first, last, tuple(exceptions)), []


def _day(reader: TomlReader, table: dict[str, Any], key: str, prefix: str, required: bool = False) -> date | None:
    if key not in table:
        if required:
            reader.problem(prefix + key, "key is missing")
        return None
    value = table[key]
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            reader.problem(prefix + key, f"must be a day YYYY-MM-DD, not {shown(value)}")
            return None
    if isinstance(value, datetime) or not isinstance(value, date):
        reader.problem(prefix + key, f"must be a day YYYY-MM-DD, not {shown(value)}")
        return None
    return value


def _exceptions(reader: TomlReader, value: Any) -> list[CalendarException]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        reader.problem("exception", "must be [[exception]] tables")
        return []
    found: list[tuple[int, CalendarException]] = []
    for number, table in enumerate(value, start=1):
        prefix = f"exception[{number}]."
        before = len(reader.problems)
        reader.no_other_keys(table, EXCEPTION_KEYS, prefix)
        day = _day(reader, table, "date", prefix, required=True)
        runs_as = _runs_as(reader, table, prefix)
        kinds = _kinds(reader, table, prefix)
        note = reader.text(table, "note", prefix, default="")
        if len(reader.problems) > before or day is None:
            continue
        exception = CalendarException(day, runs_as, frozenset(kinds), note or "")
        clash = next((n for n, e in found if e.day == day and _overlap(e.kinds, exception.kinds)), None)
        if clash is not None:
            reader.problem(prefix + "date", f"{day} already has an exception for these kinds (exception[{clash}])")
            continue
        found.append((number, exception))
    return [exception for _, exception in found]


def _overlap(a: frozenset[TripKind], b: frozenset[TripKind]) -> bool:
    return not a or not b or bool(a & b)


def _runs_as(reader: TomlReader, table: dict[str, Any], prefix: str) -> int | None:
    text = reader.text(table, "runs_as", prefix)
    if text is None:
        return None
    try:
        return parse_weekday(text)
    except InvalidValueError:
        reader.problem(prefix + "runs_as", f"must be one of {', '.join(WEEKDAYS)} or none, not {shown(text)}")
        return None


def _kinds(reader: TomlReader, table: dict[str, Any], prefix: str) -> list[TripKind]:
    value = table.get("kinds", [])
    names = [kind.value for kind in TripKind]
    if not isinstance(value, list) or not all(isinstance(item, str) and item in names for item in value):
        reader.problem(prefix + "kinds", f"must be a list of trip kinds ({', '.join(names)}), not {shown(value)}")
        return []
    return [TripKind(item) for item in value]


def _within_week(reader: TomlReader, trips: tuple[Trip, ...], monday: date) -> None:
    last = monday + timedelta(days=6)
    outside = sorted(trip.id for trip in trips if trip.departure.date() > last)
    if outside:
        listed = ", ".join(outside[:5]) + (" …" if len(outside) > 5 else "")
        reader.problem(
            None,
            f"with a calendar, trips.csv is one template week ({monday} … {last}); these leave later: {listed}",
        )
