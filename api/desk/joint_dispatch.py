"""One dispatch of the desk's open incidents, as the desk stores it (issue 18 §3; :mod:`api.desk.joint`
decides which incidents and when): the live state read once, one instance, one solve (in the desk's
dispatch worker, :mod:`api.desk.dispatch_pool`), every assignment and re-covered trip of a joint
dispatch tagged with its incident."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from fleetplan.corridor import Corridor
from fleetplan.errors import FleetplanError, InvalidValueError
from fleetplan.instance import Instance
from fleetplan.live import LiveFixes
from fleetplan.model import Conditions, Incident, IncidentKind
from fleetplan.operations import OperationsPolicy

from solver.dispatch import Budget, SolveParams, prepare

from api.desk.availability import Span
from api.desk.dispatch_pool import DispatchJob, DispatchPool
from api.desk.joint_views import conditions_of, first_crews
from api.desk.reports import IncidentReport, changed_statuses, decision_inputs, fields_named
from api.operations_log import OperationsLog, StatusChange
from api.records.types import Booking, IncidentRecord, RecordStore
from api.settings import Settings

MAX_PLANS = 5  # a report asks for at most five


class DeskState(Protocol):
    """What joint planning needs of :class:`api.desk.service.Desk`."""

    corridor: Corridor
    store: RecordStore
    settings: Settings
    ops: OperationsPolicy
    solve_slots: threading.BoundedSemaphore
    dispatch_pool: DispatchPool
    log: OperationsLog
    fixes: Callable[[], LiveFixes]
    clock: Callable[[], datetime]

    def live_incident(
        self, report: IncidentReport, number: int, statuses: Mapping[str, StatusChange]
    ) -> tuple[Corridor, Incident, Conditions]: ...

    def live_conditions(self, corridor: Corridor, preset: str) -> Conditions: ...

    def unavailable(
        self, exclude_number: int | None = None, bookings: Sequence[Booking] | None = None, during: Span | None = None
    ) -> dict[str, str]: ...

    def bookings_by_resource(self) -> dict[str, int]: ...

    def closures_changed_since(self, record: IncidentRecord, options: dict[str, Any]) -> str | None: ...


def joint_view(
    desk: DeskState,
    records: Sequence[IncidentRecord],
    plans: int | None = None,
    defer_alternatives: bool = False,
) -> dict[str, Any]:
    """The desk's dispatch view of all ``records`` in one instance, assignments tagged by incident;
    with ``plans``, at most that many plans (else as many as the reports ask for); with
    ``defer_alternatives``, the best plan alone when reports wait once it is found (marked so)."""
    live = _joint_inputs(desk, records)
    alternatives = min(plans or MAX_PLANS, max(int(r.report.get("alternatives") or 3) for r in records))
    # each incident's proposal kept for that incident: a crew moved to another one is a change too
    proposed = frozenset((v, d, str(r.number)) for r in records for v, d, _ in (first_crews(r) or ()))
    params = SolveParams(budget=_budget(desk), alternatives=alternatives, keep=proposed)
    job = DispatchJob(
        live.statuses,
        live.incidents,
        live.conditions,
        desk.ops,
        live.unavailable,
        desk.fixes(),
        params,
        defer_alternatives,
    )
    try:
        return _options(desk, job, live.corridor, alternatives)
    except FleetplanError as error:  # the data changed under a recorded report
        raise InvalidValueError("numbers", f"they cannot be planned together now: {error}") from None


def joint_instance(desk: DeskState, records: Sequence[IncidentRecord]) -> Instance:
    """The instance :func:`joint_view` plans ``records`` on, built again from the live state (decided at
    the latest report, as they were planned together): what an accept of their joint plan checks."""
    live = _joint_inputs(desk, records)
    return prepare(
        live.corridor,
        list(live.incidents),
        live.conditions,
        ops=desk.ops,
        unavailable=live.unavailable,
        fixes=desk.fixes(),
    )


@dataclass(frozen=True)
class _JointInputs:
    statuses: Mapping[str, StatusChange]
    corridor: Corridor
    conditions: Conditions
    unavailable: dict[str, str]
    incidents: tuple[Incident, ...]


def _joint_inputs(desk: DeskState, records: Sequence[IncidentRecord]) -> _JointInputs:
    """The live state ``records`` are planned together on, read once."""
    statuses = desk.log.latest_statuses()
    corridor = desk.dispatch_pool.corridors.of(statuses)
    # one instance has one weather: JointPlanner.replan plans together only reports that name the same
    (preset,) = {conditions_of(r.report) for r in records}
    conditions = desk.live_conditions(corridor, preset)
    failed = {r.report["vehicle_id"] for r in records}  # each is its own incident's failed coach here
    bookings = desk.store.bookings()
    booked = {resource for booking in bookings for resource in booking.resources}
    during = (min(r.reported_at for r in records), max(r.reported_at for r in records))
    held = desk.unavailable(bookings=bookings, during=during)
    unavailable = {r: why for r, why in held.items() if r not in failed or r in booked}
    incidents = tuple(
        Incident(
            id=str(r.number),
            kind=IncidentKind(r.report["kind"]),
            vehicle_id=r.report["vehicle_id"],
            trip_id=r.report.get("trip_id"),
            location=r.report["location"],
            at=r.reported_at,
            passengers=r.report["passengers"],
        )
        for r in records
    )
    return _JointInputs(statuses, corridor, conditions, unavailable, incidents)


def single_view(
    desk: DeskState,
    record: IncidentRecord,
    keep: frozenset[tuple[str, str]],
    best_only: bool = False,
    defer_alternatives: bool = False,
) -> dict[str, Any]:
    """The desk's dispatch view of ``record`` alone, as a report is dispatched: with ``best_only`` the
    best plan alone, with ``defer_alternatives`` the best plan alone when reports wait once it is
    found (either marked so); the first of equal plans keeps most of the crews ``keep``."""
    report = IncidentReport.from_record(record)
    statuses = desk.log.latest_statuses()
    corridor, incident, conditions = desk.live_incident(report, record.number, statuses)
    unavailable = desk.unavailable(record.number, during=(record.reported_at, record.reported_at))
    params = SolveParams(budget=_budget(desk), alternatives=1 if best_only else report.alternatives, keep=keep)
    job = DispatchJob(
        statuses, (incident,), conditions, desk.ops, unavailable, desk.fixes(), params, defer_alternatives
    )
    with fields_named(report):
        return _options(desk, job, corridor, report.alternatives)


def _budget(desk: DeskState) -> Budget:
    return Budget.wall_clock(desk.settings.dispatch_time_limit_s)


def _options(desk: DeskState, job: DispatchJob, corridor: Corridor, asked: int) -> dict[str, Any]:
    """``job``'s options view (from the dispatch worker) with the decision's inputs; ``corridor`` is the
    live one it was planned on, ``asked`` the plans the reports asked for."""
    with desk.solve_slots:
        view = desk.dispatch_pool.run(job)
    changed = changed_statuses(corridor, desk.corridor)  # as the desk's own inputs
    time_limit_s = desk.settings.dispatch_time_limit_s
    view["inputs"] = decision_inputs(job.conditions, dict(job.unavailable), changed, time_limit_s, asked)
    return view
