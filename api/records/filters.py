"""Which incidents a history search asks for, as SQL conditions on the ``incidents`` table.

Everything is filtered in the database (the history can hold years of incidents): the reported day
on the ``reported_at`` column (naive China-local, as recorded), the coach, tier and kind on the
recorded report (JSON, read with the backend's own JSON functions), the status on the latest entry
(see :func:`~api.records.statements.with_latest_kind`) and free text on the report, the recorder and
the notes of the lifecycle entries.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_

from api.records.lifecycle import KIND_FOR_STATUS
from api.records.schema import entries, incidents
from api.records.statements import with_latest_kind
from api.records.types import IncidentQuery, IncidentStatus

# The report's fields the free text searches, and the free-text notes of the lifecycle entries.
TEXT_REPORT_FIELDS = ("vehicle_id", "location", "scene")
NOTE_FIELDS = ("note", "reason", "override_reason")  # resolved and follow-up notes, void reason, on-scene reason
LIKE_ESCAPE = "\\"


def with_statuses(query: IncidentQuery | None, statuses: set[IncidentStatus] | None) -> IncidentQuery:
    """``query`` (or every incident) narrowed to ``statuses`` when they are given."""
    query = query or IncidentQuery()
    return query if statuses is None else replace(query, statuses=frozenset(statuses))


def conditions(query: IncidentQuery) -> list[ColumnElement[bool]]:
    """The WHERE conditions of ``query`` on ``incidents`` (all must hold)."""
    report = incidents.c.report
    found: list[ColumnElement[bool]] = []
    if query.statuses is not None:
        found.append(with_latest_kind(KIND_FOR_STATUS[IncidentStatus(status)].value for status in query.statuses))
    if query.reported_from is not None:
        found.append(incidents.c.reported_at >= datetime.combine(query.reported_from, time()))
    if query.reported_to is not None and query.reported_to < date.max:
        found.append(incidents.c.reported_at < datetime.combine(query.reported_to + timedelta(days=1), time()))
    for field, values in (("vehicle_id", query.vehicle_ids), ("tier", query.tiers), ("kind", query.kinds)):
        if values is not None:
            found.append(report[field].as_string().in_(sorted(values)))
    if query.before_number is not None:
        found.append(incidents.c.number < query.before_number)
    text = (query.text or "").strip()
    if text:
        found.append(_text_matches(text, query.text_vehicle_ids))
    return found


def _text_matches(text: str, vehicle_ids: frozenset[str]) -> ColumnElement[bool]:
    pattern = f"%{escape_like(text.lower())}%"

    def like(column: Any) -> ColumnElement[bool]:
        return func.lower(column).like(pattern, escape=LIKE_ESCAPE)

    report = incidents.c.report
    matches = [like(report[field].as_string()) for field in TEXT_REPORT_FIELDS]
    matches.append(like(incidents.c.recorded_by))
    matches.append(
        exists().where(
            entries.c.incident_number == incidents.c.number,
            or_(*(like(entries.c.payload[field].as_string()) for field in NOTE_FIELDS)),
        )
    )
    if vehicle_ids:
        matches.append(report["vehicle_id"].as_string().in_(sorted(vehicle_ids)))
    digits = text.removeprefix("#").strip()
    if digits.isascii() and digits.isdigit() and int(digits) < 2**31:
        matches.append(incidents.c.number == int(digits))
    return or_(*matches)


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards (and the escape character) taken literally."""
    return text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
