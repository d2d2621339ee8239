"""Whether the coaches of a plan are still usable, read inside the transaction that books them.

Other desks change two facts about a coach while a plan waits for its accept: a status change sends it
to the workshop (the desk's status log, same database), and a new report says it broke down itself.
:meth:`api.records.SqlRecordStore.accept` reads both here, in the booking's own transaction, so the
check and the booking cannot be split by another writer: on SQLite every writer holds the database
from ``BEGIN IMMEDIATE``; on PostgreSQL each statement reads what was committed before it, and a change
committed after the check was made after the booking too (neither side reads what the other writes).
Everything else that makes a crew unusable (licence, hours, shift) follows from the data and the
incident's time, which no desk changes: the desk checks that before (:func:`api.desk.live.crews_not_offered`).

A breakdown counts from its own time, as the desk's dispatch counts it (:mod:`api.desk.availability`):
one reported for a time :data:`PLAN_REACH` or more after the incident accepted (that incident was
back-dated) does not concern its plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Row, select

from fleetplan.model import IncidentKind, VehicleStatus
from fleetplan.operations import OperationsPolicy

from api.records.lifecycle import KIND_FOR_STATUS
from api.records.schema import incidents, vehicle_status_changes
from api.records.statements import with_latest_kind
from api.records.types import AlreadyReported, IncidentStatus

# A report of these kinds means the coach itself cannot run (a sick driver or the weather do not)
BROKEN_COACH_KINDS = frozenset({IncidentKind.BREAKDOWN.value, IncidentKind.ACCIDENT.value})
OPEN_STATUSES = frozenset(
    {IncidentStatus.REPORTED, IncidentStatus.OPTIONS, IncidentStatus.ACCEPTED, IncidentStatus.ON_SCENE}
)
# How long after the report a plan may still need the coaches it sends or leaves on their trips: its
# tasks are the trips leaving within the dispatch's trip horizon, and the last of them runs on past it
# (a Siping–Changchun run takes 2–3 h, longer in snow): twice the horizon, a day, bounds them all.
PLAN_REACH = 2 * timedelta(seconds=OperationsPolicy().trip_horizon_s)


def breakdown_reason(number: int, broke_at: datetime, during: tuple[datetime, datetime] | None) -> str | None:
    """Why a coach reported broken down in open incident ``number`` for the time ``broke_at`` is left out
    of a plan for the reports of ``during`` (earliest, latest; ``None``: now), or None when its breakdown
    lies beyond the plan's reach and it may be sent."""
    if during is None or broke_at <= during[0]:
        return f"broke down in incident {number}"
    if broke_at < during[1] + PLAN_REACH:
        return f"breaks down later, at {broke_at:%Y-%m-%d %H:%M}, in incident {number}"
    return None


def unusable_coaches(connection: Connection, number: int, vehicle_ids: list[str]) -> dict[str, str]:
    """Coach id → why it cannot be sent now, for those of ``vehicle_ids`` in the workshop or broken down
    in another open incident than ``number``."""
    if not vehicle_ids:
        return {}
    return {**coaches_in_workshop(connection, vehicle_ids), **coaches_broken_elsewhere(connection, number, vehicle_ids)}


def coaches_in_workshop(connection: Connection, vehicle_ids: list[str]) -> dict[str, str]:
    """Those of ``vehicle_ids`` whose latest recorded status change sent them to the workshop."""
    rows = connection.execute(
        select(vehicle_status_changes.c.vehicle_id, vehicle_status_changes.c.status)
        .where(vehicle_status_changes.c.vehicle_id.in_(vehicle_ids))
        .order_by(vehicle_status_changes.c.id)
    ).all()
    latest = {row.vehicle_id: row.status for row in rows}  # later rows overwrite earlier ones
    return {
        vehicle_id: f"{vehicle_id} is in the workshop"
        for vehicle_id, status in sorted(latest.items())
        if status == VehicleStatus.WORKSHOP.value
    }


def refuse_same_breakdown(connection: Connection, vehicle_id: str, reported_at: datetime, within: timedelta) -> None:
    """Raise AlreadyReported when ``vehicle_id`` is in an open incident (any kind) reported ``within`` of
    ``reported_at``: the same breakdown. Further apart it may be a new one after a repair the records
    have not caught up with, and the dispatcher is not kept from reporting it."""
    window = incidents.c.reported_at.between(reported_at - within, reported_at + within)
    for row in _open_reports(connection, window):
        if row.report.get("vehicle_id") == vehicle_id:
            raise AlreadyReported(vehicle_id, row.number, row.reported_at)


def coaches_broken_elsewhere(connection: Connection, number: int, vehicle_ids: list[str]) -> dict[str, str]:
    """Those of ``vehicle_ids`` reported broken down (or crashed) in an open incident other than ``number``,
    at a time that concerns ``number``'s plan (:func:`breakdown_reason`)."""
    reported_at = connection.execute(select(incidents.c.reported_at).where(incidents.c.number == number)).scalar()
    during = None if reported_at is None else (reported_at, reported_at)
    broken: dict[str, str] = {}
    rows = _open_reports(connection, incidents.c.number != number)
    for row in sorted(rows, key=lambda row: (row.reported_at, row.number)):
        vehicle_id, kind = row.report.get("vehicle_id"), row.report.get("kind")
        why = breakdown_reason(row.number, row.reported_at, during) if kind in BROKEN_COACH_KINDS else None
        if vehicle_id in vehicle_ids and why is not None:
            broken.setdefault(vehicle_id, f"{vehicle_id}: {why}")
    return broken


def _open_reports(connection: Connection, condition: ColumnElement[bool]) -> Sequence[Row]:
    """Number, time and report of the open incidents meeting ``condition``, by number. Open incidents are
    few; their report is JSON, read by the callers rather than in SQL of two dialects."""
    open_kinds = [KIND_FOR_STATUS[status].value for status in OPEN_STATUSES]
    statement = (
        select(incidents.c.number, incidents.c.reported_at, incidents.c.report)
        .where(condition, with_latest_kind(open_kinds))
        .order_by(incidents.c.number)
    )
    return connection.execute(statement).all()
