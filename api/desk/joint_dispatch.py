"""One dispatch of several open incidents, as the desk stores it (issue 18 §3; :mod:`api.desk.joint`
decides which incidents and when): the live state read once, one instance, one solve, every
assignment and re-covered trip tagged with its incident."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from fleetplan.corridor import Corridor
from fleetplan.errors import FleetplanError, InvalidValueError
from fleetplan.live import LiveFixes
from fleetplan.model import Conditions, Incident, IncidentKind
from fleetplan.operations import OperationsPolicy

from solver.dispatch import Budget, MoreWanted, SolveParams, all_wanted, dispatch_prepared, prepare

from api import views
from api.desk.first_answers import MORE_OPTIONS_COMING
from api.desk.joint_views import conditions_of, first_crews
from api.desk.reports import IncidentReport, Prepared, changed_statuses, decision_inputs
from api.records.types import IncidentRecord, RecordStore
from api.settings import Settings

MAX_PLANS = 5  # a report asks for at most five


class DeskState(Protocol):
    """What joint planning needs of :class:`api.desk.service.Desk`."""

    corridor: Corridor
    store: RecordStore
    settings: Settings
    ops: OperationsPolicy
    solve_slots: threading.BoundedSemaphore
    fixes: Callable[[], LiveFixes]
    clock: Callable[[], datetime]

    def live_corridor(self) -> Corridor: ...

    def live_conditions(self, corridor: Corridor, preset: str) -> Conditions: ...

    def unavailable(self, exclude_number: int | None = None) -> dict[str, str]: ...

    def bookings_by_resource(self) -> dict[str, int]: ...

    def prepare(self, report: IncidentReport, number: int | None = None) -> Prepared: ...

    def solve(
        self,
        prepared: Prepared,
        number: int,
        keep: frozenset[tuple[str, str]] = frozenset(),
        more_wanted: MoreWanted = all_wanted,
    ) -> dict[str, Any]: ...

    def check_crews_usable(self, record: IncidentRecord, plan: dict[str, Any]) -> None: ...

    def closures_changed_since(self, record: IncidentRecord, options: dict[str, Any]) -> str | None: ...


def joint_view(
    desk: DeskState,
    records: Sequence[IncidentRecord],
    plans: int | None = None,
    more_wanted: MoreWanted = all_wanted,
) -> dict[str, Any]:
    """The desk's dispatch view of all ``records`` in one instance, assignments tagged by incident;
    with ``plans``, at most that many plans (else as many as the reports ask for); ``more_wanted``
    as for :meth:`api.desk.service.Desk.solve`."""
    corridor = desk.live_corridor()
    # one instance has one weather: JointPlanner.replan plans together only reports that name the same
    (preset,) = {conditions_of(r.report) for r in records}
    conditions = desk.live_conditions(corridor, preset)
    failed = {r.report["vehicle_id"] for r in records}  # each is its own incident's failed coach here
    booked = set(desk.bookings_by_resource())
    unavailable = {r: why for r, why in desk.unavailable().items() if r not in failed or r in booked}
    incidents = [
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
    ]
    try:
        instance = prepare(corridor, incidents, conditions, ops=desk.ops, unavailable=unavailable, fixes=desk.fixes())
    except FleetplanError as error:  # the data changed under a recorded report
        raise InvalidValueError("numbers", f"they cannot be planned together now: {error}") from None
    alternatives = min(plans or MAX_PLANS, max(int(r.report.get("alternatives") or 3) for r in records))
    proposed = frozenset((v, d) for r in records for v, d, _ in (first_crews(r) or ()))
    params = SolveParams(
        budget=Budget.wall_clock(desk.settings.dispatch_time_limit_s), alternatives=alternatives, keep=proposed
    )
    with desk.solve_slots:
        outcome = dispatch_prepared(instance, params, more_wanted)
    view = views.desk_dispatch_view(outcome)
    if outcome.result.alternatives_deferred:
        view[MORE_OPTIONS_COMING] = True
    for plan, shown in zip(outcome.result.plans, view["plans"]):
        for rescue, assignment in zip(plan.rescues, shown["assignments"]):
            assignment["incident_id"] = instance.group(rescue.group_id).incident_id
        for cover in shown["recovered_trips"]:  # the failed coach's trip belongs to its incident
            task = next((t for t in instance.trip_tasks if t.trip_id == cover["trip_id"]), None)
            owner = next((r for r in records if task and r.report["vehicle_id"] == task.planned_vehicle_id), None)
            cover["incident_id"] = str((owner or records[0]).number)
    statuses = changed_statuses(corridor, desk.corridor)  # as the desk's own inputs
    time_limit_s = desk.settings.dispatch_time_limit_s
    view["inputs"] = decision_inputs(conditions, unavailable, statuses, time_limit_s, alternatives)
    return view
