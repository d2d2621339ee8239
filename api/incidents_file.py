"""Several incidents from a CSV file: ``fleetplan dispatch --incidents FILE`` (issue #18 §2).

The header names the columns ``vehicle,at,time,passengers`` (required, any order) and ``day,kind``
(optional); one row per failed coach, as the single form's ``--vehicle --at --time --passengers``.
``time`` is HH:MM on the row's ``day``, or a whole moment ``YYYY-MM-DDTHH:MM`` (as the desk's reports
write it; an offset is turned into China's time), which a ``day`` in the same row must agree with.
A UTF-8 byte-order mark (spreadsheets write one) and blank lines are accepted. The file is refused
whole — nothing is planned from a file with a bad row — with every problem as
``FILE: row N, column C: problem``, N counted as a spreadsheet shows it (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

from fleetplan.corridor import Corridor
from fleetplan.errors import FleetplanError
from fleetplan.model import Incident, IncidentKind, Vehicle
from fleetplan.units import CHINA, parse_hhmm

from api.cli_options import day_out_of_range
from api.views import find_vehicle

REQUIRED = ("vehicle", "at", "time", "passengers")
OPTIONAL = ("day", "kind")
WHOLE_NUMBER = re.compile(r"-?[0-9]+")
FULL_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+([+-][0-9:]+|Z)?")  # a day in the time column
SHOWN_PROBLEMS = 8  # one line on stderr: the first few, then how many more
KINDS = ", ".join(kind.value for kind in IncidentKind)


class IncidentsFileError(FleetplanError):
    """A bad incidents file (exit 2); ``problems`` holds every ``FILE: row N, column C: problem``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:SHOWN_PROBLEMS])
        more = f"; … and {len(problems) - SHOWN_PROBLEMS} more" if len(problems) > SHOWN_PROBLEMS else ""
        super().__init__(shown + more)


class _Rows:
    """Collects problems naming the file, row and column."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def bad(self, row: int, column: str, problem: str) -> None:
        self.problems.append(f"{self.path}: row {row}, column {column}: {problem}")


def read_incidents(
    path: Path, corridor: Corridor, default_day: date, window: timedelta | None = None
) -> tuple[Incident, ...]:
    """The incidents of ``path``, ids ``cli-1``, ``cli-2``, … in file order (the single form is ``cli-1``).

    Parameters
    ----------
    path
        The CSV file.
    corridor
        Resolves coaches (id or plate, as ``--vehicle``), their seats and the locations.
    default_day
        The day of a row without one (the single form's ``--day`` default).
    window
        How far apart the reports may lie (the desk's ``FLEETPLAN_JOINT_WINDOW_MIN``): one file is
        planned together, at its latest report; None for no limit.

    Raises
    ------
    IncidentsFileError
        Every problem of the file: unreadable, no header, a required column missing or an unknown one,
        no incident, and per row an empty or bad cell, an unknown coach, more passengers than its
        seats, a coach on two rows (naming both), a report more than ``window`` after the earliest.
    """
    rows = _Rows(path)
    lines = _records(path, rows)
    header = _header(next(lines, None), rows)
    incidents: list[Incident] = []
    seen: dict[str, int] = {}  # vehicle id → the row it was first on
    row_of: dict[str, int] = {}  # incident id → its row
    for number, cells in lines:
        if header is None:
            break
        incident = _incident(number, dict(zip(header, cells)), corridor, default_day, rows, len(incidents) + 1)
        if len(cells) > len(header):
            rows.bad(number, str(len(header) + 1), f"{len(cells)} cells, but the header names {len(header)} columns")
        for position, (name, cell) in enumerate(zip(header, cells), start=1):
            if not name and cell:
                rows.bad(number, str(position), f"{cell!r} under a column the header leaves unnamed")
        if incident is None:
            continue
        if incident.vehicle_id in seen:
            rows.bad(
                number,
                "vehicle",
                f"{incident.vehicle_id} is also on row {seen[incident.vehicle_id]}: one row per failed coach",
            )
            continue
        seen[incident.vehicle_id] = number
        row_of[incident.id] = number
        incidents.append(incident)
    if header is not None and not incidents and not rows.problems:
        rows.bad(2, "vehicle", "no incident: give one row per failed coach under the header")
    if window is not None:
        _within_window(incidents, row_of, window, rows)
    if rows.problems:
        raise IncidentsFileError(rows.problems)
    return tuple(incidents)


def _within_window(incidents: list[Incident], row_of: dict[str, int], window: timedelta, rows: _Rows) -> None:
    """Name each report more than ``window`` after the earliest: the file is planned as one decision at
    its latest report, and reports hours apart do not compete for the same coaches."""
    if not incidents:
        return
    earliest = min(incidents, key=lambda incident: incident.at)
    for incident in incidents:
        if incident.at - earliest.at > window:
            column = "time" if incident.at.date() == earliest.at.date() else "day"
            apart_min = int((incident.at - earliest.at).total_seconds() // 60)
            rows.bad(
                row_of[incident.id],
                column,
                f"{incident.at:%Y-%m-%d %H:%M} is {apart_min} min after row {row_of[earliest.id]} "
                f"({earliest.at:%Y-%m-%d %H:%M}); one file is planned together and its reports must lie "
                f"within {int(window.total_seconds() // 60)} min (FLEETPLAN_JOINT_WINDOW_MIN): "
                "put the later ones in another file",
            )


def _records(path: Path, rows: _Rows) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of every non-blank row, numbered as a spreadsheet shows them."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: a leading byte-order mark is no part of the header
    except OSError as error:
        rows.bad(1, "vehicle", f"cannot read the file ({error.strerror or error})")
        return
    except UnicodeDecodeError as error:
        rows.bad(text_row(path.read_bytes(), error.start), "vehicle", "not UTF-8 text; save the file as CSV UTF-8")
        return
    # rows counted as records, blank ones too: a spreadsheet shows a quoted line break inside its cell
    for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        if any(cell.strip() for cell in cells):
            yield number, [cell.strip() for cell in cells]


def text_row(data: bytes, offset: int) -> int:
    """The line number of byte ``offset`` (for an encoding error)."""
    return data.count(b"\n", 0, offset) + 1


def _header(first: tuple[int, list[str]] | None, rows: _Rows) -> list[str] | None:
    """The header's column names (lower case), or None after naming what is wrong with it."""
    wanted = ",".join(REQUIRED)
    if first is None:
        if not rows.problems:
            rows.bad(1, "vehicle", f"the file is empty; it needs the header {wanted} (and optionally day,kind)")
        return None
    number, cells = first
    names = [cell.lower() for cell in cells]
    before = len(rows.problems)
    if not set(names) & set(REQUIRED):  # a file of data rows only: one problem, not one per cell
        rows.bad(
            number, "vehicle", f"no header; the first row must name the columns {wanted} (and optionally day,kind)"
        )
        return None
    for position, (name, cell) in enumerate(zip(names, cells), start=1):
        if not name:  # a spreadsheet's trailing comma: allowed while the rows leave the column empty
            continue
        if name not in REQUIRED + OPTIONAL:
            known = ", ".join(REQUIRED + OPTIONAL)
            rows.bad(number, cell or str(position), f"unknown column (the columns are {known})")
        elif names.index(name) != position - 1:
            rows.bad(number, name, "named twice in the header")
    for name in REQUIRED:
        if name not in names:
            rows.bad(number, name, f"missing from the header (it needs {wanted})")
    return names if len(rows.problems) == before else None


def _incident(
    number: int, cells: dict[str, str], corridor: Corridor, default_day: date, rows: _Rows, index: int
) -> Incident | None:
    """The row's incident, or None after naming each bad cell."""
    vehicle = _vehicle(number, cells.get("vehicle", ""), corridor, rows)
    location = _location(number, cells.get("at", ""), corridor, rows)
    moment = _moment(number, cells.get("time", ""), cells.get("day", ""), default_day, rows)
    passengers = _passengers(number, cells.get("passengers", ""), vehicle, rows)
    kind = _kind(number, cells.get("kind", ""), rows)
    # each helper gives None exactly when it named a problem
    if vehicle is None or location is None or moment is None or passengers is None or kind is None:
        return None
    return Incident(
        id=f"cli-{index}",
        kind=kind,
        vehicle_id=vehicle.id,
        trip_id=None,  # the builder finds the trip the coach is on, as for the single form
        location=location,
        at=moment,
        passengers=passengers,
    )


def _vehicle(number: int, text: str, corridor: Corridor, rows: _Rows) -> Vehicle | None:
    if not text:
        rows.bad(number, "vehicle", "empty; give the failed coach's id (c07) or plate")
        return None
    try:
        return find_vehicle(corridor.dataset, text)
    except FleetplanError as error:
        rows.bad(number, "vehicle", str(error))
        return None


def _location(number: int, text: str, corridor: Corridor, rows: _Rows) -> str | None:
    """The location as written, once the network can place it (a bad one is this row's problem, not the solver's)."""
    if not text:
        rows.bad(number, "at", "empty; give a node id, 'lat,lon' or 'G1 K78 toward Changchun'")
        return None
    try:
        corridor.network.locate(text)
    except FleetplanError as error:
        rows.bad(number, "at", str(error))
        return None
    return text


def _moment(number: int, time_text: str, day_text: str, default_day: date, rows: _Rows) -> datetime | None:
    """The report's moment: ``time`` as HH:MM on the row's ``day`` (or the default day), or a whole
    moment in ``time`` (``2026-12-08T07:40``, as the desk's reports write it), which a ``day`` given
    too must agree with."""
    day = _day(number, day_text, default_day, rows)
    if FULL_MOMENT.fullmatch(time_text.strip()):
        try:
            moment = datetime.fromisoformat(time_text.strip())
        except ValueError:
            rows.bad(number, "time", f"{time_text!r} is not a moment YYYY-MM-DDTHH:MM")
            return None
        if moment.tzinfo is not None:  # the corridor's clock is China's local time
            moment = moment.astimezone(CHINA).replace(tzinfo=None)
        if day is None:  # a bad day, named
            return None
        if (problem := day_out_of_range(moment.date())) is not None:
            rows.bad(number, "time", problem)
            return None
        if day_text and day != moment.date():
            rows.bad(number, "day", f"{day_text} is not the day of the time {time_text.strip()!r}")
            return None
        return moment.replace(second=0, microsecond=0)
    clock = _clock(number, time_text, rows)
    return None if clock is None or day is None else datetime.combine(day, clock)


def _clock(number: int, text: str, rows: _Rows) -> time | None:
    if not text:
        rows.bad(number, "time", "empty; give the time of the report, HH:MM (or YYYY-MM-DDTHH:MM)")
        return None
    try:
        return parse_hhmm(text)
    except ValueError as error:  # "time '7.40' is not HH:MM"
        rows.bad(number, "time", f"{error} (or YYYY-MM-DDTHH:MM)")
        return None


def _passengers(number: int, text: str, vehicle: Vehicle | None, rows: _Rows) -> int | None:
    if not text:
        rows.bad(number, "passengers", "empty; give the passengers on board (0 or more)")
        return None
    digits = unicodedata.normalize("NFKC", text)  # full-width digits, as a Chinese keyboard types them
    if not WHOLE_NUMBER.fullmatch(digits):  # not int()'s wider syntax: "4_2" or "+5" is a typing slip
        rows.bad(number, "passengers", f"{text!r} is not a whole number")
        return None
    value = int(digits)
    if value < 0:
        rows.bad(number, "passengers", f"{value} is negative")
        return None
    if vehicle is not None and value > vehicle.seats:
        rows.bad(number, "passengers", f"{value} is more than the {vehicle.seats} seats of {vehicle.id}")
        return None
    return value


def _day(number: int, text: str, default_day: date, rows: _Rows) -> date | None:
    if not text:
        return default_day
    try:
        day = date.fromisoformat(text)
    except ValueError:
        rows.bad(number, "day", f"{text!r} is not a day YYYY-MM-DD")
        return None
    if (problem := day_out_of_range(day)) is not None:
        rows.bad(number, "day", problem)
        return None
    return day


def _kind(number: int, text: str, rows: _Rows) -> IncidentKind | None:
    if not text:
        return IncidentKind.BREAKDOWN  # as the single form reports
    try:
        return IncidentKind(text.lower())
    except ValueError:
        rows.bad(number, "kind", f"{text!r} is not one of {KINDS}")
        return None
