"""The incident history: the filters of ``GET /incidents`` and its CSV export, and the CSV itself.

The filters become one :class:`~api.records.types.IncidentQuery` that the store runs in SQL. The CSV
is written for a spreadsheet: UTF-8 with a byte-order mark (Excel otherwise reads Chinese as mojibake),
one row per incident, and no cell that a spreadsheet would take for a formula (a cell starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``, as OWASP advises).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from fleetplan.errors import InvalidValueError
from fleetplan.model import Dataset

from api import kpis, views
from api.records.types import IncidentQuery, IncidentRecord, IncidentStatus, RecordStore

OPEN_STATUSES = frozenset(
    {
        IncidentStatus.REPORTED,
        IncidentStatus.OPTIONS,
        IncidentStatus.ACCEPTED,
        IncidentStatus.ON_SCENE,
        IncidentStatus.RESOLVED,
    }
)  # the contract's "open": not followed up and not voided
CSV_BATCH = 200  # incidents read per query while the export streams
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "number",
    "reported_at",
    "vehicle_id",
    "plate",
    "location",
    "passengers",
    "kind",
    "conditions",
    "tier",
    "limit_min",
    "status",
    "accepted_rescue_coaches",
    "response_min",
    "within_limit",
    "on_scene_at",
    "resolved_at",
    "recorded_by",
)


@dataclass(frozen=True)
class HistoryFilters:
    """The query parameters as received (already checked against their schema)."""

    status: str | None = None
    day: str | None = None
    period_from: str | None = None
    period_to: str | None = None
    q: str | None = None
    vehicle_id: str | None = None
    tier: str | None = None
    kind: str | None = None


def incident_query(filters: HistoryFilters, dataset: Dataset) -> IncidentQuery:
    """The store's query for ``filters``; InvalidValueError (a 400) naming the parameter when they disagree.

    A ``vehicle_id`` may be the coach's id or plate; a coach the data no longer holds is looked up as recorded.
    Free text also finds the incidents of coaches whose plate contains it (the records keep only the id).
    """
    start, end = _days(filters)
    text = (filters.q or "").strip() or None
    return IncidentQuery(
        statuses=_statuses(filters.status),
        reported_from=start,
        reported_to=end,
        vehicle_ids=None if filters.vehicle_id is None else frozenset({_vehicle_id(dataset, filters.vehicle_id)}),
        tiers=None if filters.tier is None else frozenset({filters.tier}),
        kinds=None if filters.kind is None else frozenset({filters.kind}),
        text=text,
        text_vehicle_ids=_plates_matching(dataset, text) if text else frozenset(),
    )


def _statuses(status: str | None) -> frozenset[IncidentStatus] | None:
    if status is None:
        return None
    return OPEN_STATUSES if status == "open" else frozenset({IncidentStatus(status)})


def _days(filters: HistoryFilters) -> tuple[date | None, date | None]:
    day = calendar_day(filters.day, "day")
    start, end = calendar_day(filters.period_from, "from"), calendar_day(filters.period_to, "to")
    if day is not None:
        if start is not None or end is not None:
            raise InvalidValueError("day", "give either day or from/to, not both")
        return day, day
    if start is not None and end is not None and start > end:
        raise InvalidValueError("from", f"{start.isoformat()} is after to ({end.isoformat()})")
    return start, end


def calendar_day(text: str | None, field: str) -> date | None:
    """A ``YYYY-MM-DD`` query value as a date; InvalidValueError naming ``field`` when there is no such day."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValueError(field, f"{text!r} is not a calendar day") from None


def _vehicle_id(dataset: Dataset, key: str) -> str:
    plain = _plain(key)
    for vehicle in dataset.vehicles:
        if key == vehicle.id or plain == _plain(vehicle.plate):
            return vehicle.id
    return key  # a coach no longer in the data: its incidents are still recorded under its id


def _plates_matching(dataset: Dataset, text: str) -> frozenset[str]:
    wanted = _plain(text)
    return frozenset(v.id for v in dataset.vehicles if wanted and wanted in _plain(v.plate))


def _plain(text: str) -> str:
    return text.replace("·", "").replace(" ", "").upper()


def period_name(query: IncidentQuery) -> str:
    """The export's file name: ``incidents-<from>-<to>.csv`` (``all`` for an open end)."""
    if query.reported_from is None and query.reported_to is None:
        return "incidents-all.csv"
    start = query.reported_from.isoformat() if query.reported_from else "all"
    end = query.reported_to.isoformat() if query.reported_to else "all"
    return f"incidents-{start}-{end}.csv"


# --------------------------------------------------------------------------- CSV
def every_incident(store: RecordStore, query: IncidentQuery) -> Iterator[IncidentRecord]:
    """All incidents ``query`` finds, newest first, read in batches by number (a cursor: new reports
    made while the export runs neither shift nor repeat a row)."""
    before = query.before_number
    while True:
        batch = store.incidents(None, CSV_BATCH, query=replace(query, before_number=before))
        yield from batch
        if len(batch) < CSV_BATCH:
            return
        before = batch[-1].number


def csv_lines(records: Iterable[IncidentRecord], dataset: Dataset) -> Iterator[str]:
    """The CSV text, a line (or a few) at a time: the byte-order mark and header first."""
    plates = {vehicle.id: vehicle.plate for vehicle in dataset.vehicles}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield BOM + _drain(buffer)
    for record in records:
        writer.writerow([safe_cell(value) for value in csv_row(record, plates)])
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def csv_row(record: IncidentRecord, plates: dict[str, str]) -> list[Any]:
    """One incident's cells, in :data:`CSV_COLUMNS` order."""
    view = views.incident_view(record)
    report = record.report
    accepted = record.accept_in_force()
    coaches = (
        [a.get("vehicle_id") for a in ((accepted.payload.get("plan") or {}).get("assignments") or [])]
        if accepted
        else []
    )
    within = kpis.within_limit(record)
    vehicle_id = report.get("vehicle_id") or ""
    return [
        record.number,
        view["reported_at"],
        vehicle_id,
        plates.get(vehicle_id, ""),
        report.get("location") or "",
        report.get("passengers"),
        report.get("kind") or "",
        report.get("conditions") or "",
        report.get("tier") or "",
        report.get("limit_min"),
        record.status.value,
        " ".join(str(coach) for coach in coaches if coach),
        view["response_min"],
        "" if within is None else ("yes" if within else "no"),
        view["on_scene_at"],
        view["resolved_at"],
        record.entries[0].actor if record.entries else "",
    ]


def safe_cell(value: Any) -> str:
    """The cell as text, prefixed with ``'`` when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
