"""The dispatch desk's orchestration: live state from the records, dispatch off the event loop, records.

One dispatch for the desk:

1. **validate and build** the instance against the *live* corridor (the data with the recorded coach
   status changes), the *live* conditions (the named preset plus the active closures) and the
   *unavailable* coaches and drivers (active bookings, and coaches broken down in other open
   incidents, as of the report's time: :mod:`api.desk.availability`). A bad report raises a
   :class:`~fleetplan.errors.FleetplanError` naming the field and nothing is recorded;
2. **record** the report (the store numbers it; an idempotency key returns the existing incident);
3. **solve** under ``FLEETPLAN_DISPATCH_TIME_LIMIT_S`` in a worker thread and append the options
   entry (the decision record: inputs, candidates, rejections with reasons, ranked plans). The
   request waits at most ``FLEETPLAN_DISPATCH_WAIT_S``; past that it answers without options and the
   worker still stores them when it finishes — the report is never lost to a slow solve.

Accepting books the plan's coaches and drivers atomically through the store, after checking that the
dispatch path would still send each of its crews now (the incident's instance built again from the
live state: :func:`~api.desk.live.crews_not_offered`); the store re-reads, in the booking's own
transaction, what other desks change meanwhile (bookings, workshop, breakdowns:
:mod:`api.records.usability`). When a crew is no longer usable, or another desk was faster, the
options are recomputed with the live state, stored, and returned with :class:`AcceptConflict`. A plan
that sends no coach to the stranded passengers is never accepted (:func:`~api.desk.live.sends_nobody`).
The accept queues the plan's ready messages in its own transaction (:mod:`api.messaging`).

Open incidents not yet accepted are planned together (:mod:`api.desk.joint`). Times are checked by :mod:`api.desk.times`: reports and lifecycle steps within the window of the clock
or the timetable, nothing ahead of the clock, on scene not before the plan can be there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cached_property, partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from fleetplan.corridor import Corridor
from fleetplan.errors import FleetplanError, InvalidValueError, UnknownIdError
from fleetplan.live import NO_FIXES, LiveFixes
from fleetplan.model import Conditions, Incident, Vehicle, VehicleStatus
from fleetplan.operations import OperationsPolicy
from fleetplan.units import china_now

from solver.dispatch import Budget, SolveParams, check, dispatch_prepared, prepare

from api import kpis, views
from api.desk.availability import Span, unavailable_resources
from api.desk.checks import check_closure_target, find_vehicle
from api.desk.dispatch_pool import DispatchPool
from api.desk.joint import JointPlanner
from api.desk.joint_dispatch import single_view
from api.desk.live import (
    closures_changed,
    conditions_view,
    crews_not_offered,
    plan_resources,
    sends_nobody,
    with_closures,
)
from api.desk.reports import (
    AcceptConflict,
    IncidentReport,
    Prepared,
    changed_statuses,
    decision_inputs,
    fields_named,
    parse_local_minute,
    recorded_report,
)
from api.desk.times import (
    TimeRules,
    accepted_assignments,
    check_lifecycle_time,
    check_on_scene,
    check_resolved,
    check_window,
    earliest_on_scene,
    plannable_time,
)
from api.messaging.facts import ready_messages
from api.operations_log import Closure, ClosureKind, OperationsLog, StatusChange
from api.records.types import (
    NEXT_ENTRIES,
    Booking,
    BookingConflict,
    EntryKind,
    IncidentRecord,
    IncidentStatus,
    InvalidTransition,
    RecordError,
    RecordStore,
    ResourceUnusable,
)
from api.settings import Settings

logger = logging.getLogger(__name__)

OPEN_INCIDENTS_LIMIT, ALL_INCIDENTS_LIMIT = 10_000, 1_000_000

T = TypeVar("T")


class Desk:
    """What the HTTP routers ask of the dispatch desk; one per app, shared by all requests."""

    def __init__(
        self,
        corridor: Corridor,
        store: RecordStore,
        log: OperationsLog,
        settings: Settings,
        ops: OperationsPolicy = OperationsPolicy(),
        clock: Callable[[], datetime] = china_now,
    ) -> None:
        self.corridor, self.store, self.log, self.settings, self.ops = corridor, store, log, settings, ops
        self.clock = clock  # naive China-local wall clock; tests fix it
        self.fixes: Callable[[], LiveFixes] = lambda: NO_FIXES  # the feeds' latest fixes, once the app has them
        self.times = TimeRules.from_settings(settings, corridor.dataset, clock)
        # the dispatches' Python in worker processes, so that the requests and the records keep a core
        self.dispatch_pool = DispatchPool(corridor, settings.dispatch_processes)
        # CP-SAT's deadline is wall-clock: solves beyond the cores would each get a slice of a core for
        # the same second and return worse plans, so extra ones wait for a slot instead.
        self.solve_slots = threading.BoundedSemaphore(settings.dispatch_concurrency)
        self.joint = JointPlanner(self)  # open incidents not yet accepted are planned together (issue 18 §3)

    def shutdown(self) -> None:
        """Stop the dispatch worker processes (after the dispatch running in them, if one is)."""
        self.dispatch_pool.close()

    @cached_property
    def trip_km(self) -> kpis.TimetableKm:
        """Route kilometres of the timetable's trips on any day (the data never change while the service runs)."""
        return kpis.trip_km(self.corridor)

    # ------------------------------------------------------------------ live state
    def live_corridor(self) -> Corridor:
        """The corridor with the recorded status changes applied (rebuilt only when they change)."""
        return self.dispatch_pool.corridors.of(self.log.latest_statuses())

    def live_conditions(self, corridor: Corridor, preset: str) -> Conditions:
        try:
            conditions = corridor.dataset.conditions_named(preset)
        except UnknownIdError as error:
            raise InvalidValueError("conditions", str(error)) from None
        return with_closures(conditions, self.log.active_closures())

    def unavailable(
        self, exclude_number: int | None = None, bookings: Sequence[Booking] | None = None, during: Span | None = None
    ) -> dict[str, str]:
        """Coach or driver id → why it cannot be sent for the reports of ``during`` (earliest, latest time;
        ``None``: now): booked (``bookings``, default the store's), broken down (:mod:`api.desk.availability`)."""
        return unavailable_resources(self.store, exclude_number, bookings, during)

    def bookings_by_resource(self) -> dict[str, int]:
        """Coach or driver id → the incident number that books it."""
        return {
            resource: booking.incident_number for booking in self.store.bookings() for resource in booking.resources
        }

    # ------------------------------------------------------------------ dispatch steps (blocking)
    def prepare(self, report: IncidentReport, number: int | None = None) -> Prepared:
        """Validate ``report`` against the live state and build its dispatch instance.

        Raises
        ------
        FleetplanError
            Naming the field: unknown coach, unreadable location, unknown conditions or trip,
            passengers above the coach's seats.
        """
        corridor, incident, conditions = self._incident(report, number)
        unavailable = self.unavailable(number, during=(report.at, report.at))
        with fields_named(report):
            instance = prepare(
                corridor, [incident], conditions, ops=self.ops, unavailable=unavailable, fixes=self.fixes()
            )
        recorded = recorded_report(report, incident, instance.groups[0])
        statuses = changed_statuses(corridor, self.corridor)
        time_limit_s = self.settings.dispatch_time_limit_s
        inputs = decision_inputs(conditions, unavailable, statuses, time_limit_s, report.alternatives)
        return Prepared(recorded, instance, inputs, report.alternatives)

    def check(self, report: IncidentReport) -> dict[str, Any]:
        """What the store records of ``report``, validated as :meth:`prepare` does but without building
        its options: a report is recorded first and dispatched once, under its number.

        Raises
        ------
        FleetplanError
            As :meth:`prepare`.
        """
        corridor, incident, conditions = self._incident(report, None)  # who is unavailable: not asked
        with fields_named(report):
            (group,) = check(corridor, [incident], conditions, ops=self.ops, fixes=self.fixes())
        return recorded_report(report, incident, group)

    def _incident(self, report: IncidentReport, number: int | None) -> tuple[Corridor, Incident, Conditions]:
        """The live corridor, the report as an incident and its conditions."""
        return self.live_incident(report, number, self.log.latest_statuses())

    def live_incident(
        self, report: IncidentReport, number: int | None, statuses: Mapping[str, StatusChange]
    ) -> tuple[Corridor, Incident, Conditions]:
        """The corridor with the coaches' recorded ``statuses``, the report as an incident and its conditions."""
        plannable_time(report.at)
        corridor = self.dispatch_pool.corridors.of(statuses)
        vehicle = find_vehicle(corridor, report.vehicle)
        conditions = self.live_conditions(corridor, report.conditions)
        incident = Incident(
            id=str(number or "new"),
            kind=report.kind,
            vehicle_id=vehicle.id,
            trip_id=report.trip_id,
            location=report.location,
            at=report.at,
            passengers=report.passengers,
        )
        return corridor, incident, conditions

    def solve(self, prepared: Prepared, number: int) -> dict[str, Any]:
        """Solve ``prepared`` here and check every plan with the evaluator; the options payload (the alert
        detector's look; the desk's reports go through :mod:`api.desk.joint_dispatch`, in the dispatch
        workers)."""
        budget = Budget.wall_clock(self.settings.dispatch_time_limit_s)
        with self.solve_slots:
            outcome = dispatch_prepared(
                prepared.instance, SolveParams(budget=budget, alternatives=prepared.alternatives)
            )
        view = views.desk_dispatch_view(outcome)
        for incident in view["incidents"]:  # prepared before the store gave the number
            incident["incident_id"] = str(number)
        view["inputs"] = prepared.inputs
        return view

    # ------------------------------------------------------------------ dispatch (async, off the loop)
    async def report(
        self, report: IncidentReport, actor: str, idempotency_key: str | None, request: dict[str, Any] | None = None
    ) -> tuple[IncidentRecord, bool]:
        """Validate, record, dispatch.

        Parameters
        ----------
        report
            What the desk reported.
        actor
            The user's name, recorded on the entries.
        idempotency_key
            The client's key: a known key returns the incident it created, without a new dispatch.
        request
            The request as the client sent it: a known key must come with the same request from the
            same user (see :meth:`api.records.SqlRecordStore.report`).

        Returns
        -------
        tuple[IncidentRecord, bool]
            The incident (with its options when they were ready within ``dispatch_wait_s``) and
            whether this call created it.

        Raises
        ------
        FleetplanError
            The report is invalid (the field is named); nothing is recorded.
        IdempotencyMismatch
            The key came before with another request or from another user; nothing is recorded.
        """
        check_window(self.times, report.at, self.clock(), "time")
        recorded = await run_blocking(self.check, report)
        window = timedelta(minutes=self.settings.joint_window_min)  # the same breakdown, reported twice
        record, created = await run_blocking(
            self.store.report, recorded, report.at, actor, idempotency_key, request, window
        )
        if not created:
            return record, False
        if self.settings.joint_planning:  # in the batches, alone or not: no solo plan races a joint one
            return await self.joint.plan_reported_within_wait(record.number, actor), True
        return await self._options_within_wait(record, actor), True

    async def recompute(self, number: int, actor: str) -> IncidentRecord:
        """Dispatch a recorded incident again with the live state, with its open partners (joint planning)."""
        record = await run_blocking(self.store.incident, number)
        if EntryKind.OPTIONS not in NEXT_ENTRIES[record.status]:
            raise InvalidTransition(f"incident {number} is {record.status.value}; options can no longer change")
        report = IncidentReport.from_record(record)
        await run_blocking(self.check, report)  # what the live data no longer allow: a 4xx
        if self.settings.joint_planning:
            return await self.joint.plan_reported_within_wait(number, actor, recomputed=True)
        return await self._options_within_wait(record, actor)

    async def accept(self, number: int, rank: int, actor: str) -> IncidentRecord:
        """Accept option ``rank``: book its coaches and drivers and record who accepted it.

        Parameters
        ----------
        number
            The incident.
        rank
            The option, as ranked in the incident's latest options.
        actor
            The user's name.

        Returns
        -------
        IncidentRecord
            Accepted, with the bookings made and the plan's ready messages queued in the outbox.

        Raises
        ------
        AcceptConflict
            With fresh options (also stored) when another incident holds some of the plan's coaches or
            drivers, or one of its crews can no longer be sent (workshop, broken down, no longer legal
            or on shift), or a road closure was set or lifted since the options; nothing of this plan is
            booked. Without options when the plan sends no coach to the stranded passengers.
        InvalidTransition
            The incident has no options to accept (already accepted, voided, or still solving).
        InvalidValueError
            No option has that rank.
        """
        record = await run_blocking(self.store.incident, number)
        options = record.latest(EntryKind.OPTIONS)
        if record.status != IncidentStatus.OPTIONS or options is None:
            raise InvalidTransition(
                f"incident {number} is {record.status.value}; only incidents with options can be accepted"
            )
        plans = options.payload.get("plans", [])
        plan = next((p for p in plans if p.get("rank") == rank), None)
        if plan is None:
            raise InvalidValueError("rank", f"{rank} is not one of the {len(plans)} options of incident {number}")
        if options.payload.get("joint"):  # accepted for every incident planned together with it
            return await run_blocking(self.joint.accept, record, options.payload, rank, actor)
        if sends_nobody(plan, record.report.get("passengers", 0)):
            raise AcceptConflict(
                f"rank: option {rank} sends no coach to the stranded passengers (no vehicle can be sent); "
                "there is nothing to book: recompute the options when a coach is free, or void the incident",
                None,
            )
        changed = await run_blocking(self.closures_changed_since, record, options.payload)
        if changed:
            fresh = await self._fresh_options_after_conflict(number, actor)
            raise AcceptConflict(f"rank: {changed}; fresh options are computed with them", fresh)
        vehicle_ids, driver_ids = plan_resources(plan)
        payload = {"rank": rank, "plan": plan, "options_entry_id": options.id}
        # queued in the accept's own transaction: a refused accept queues nothing, a second is refused
        messages = await run_blocking(ready_messages, self.corridor, record, options.payload, plan, actor, self.clock())
        try:
            await run_blocking(self.check_crews_usable, record, plan)
            return await run_blocking(self.store.accept, number, actor, payload, vehicle_ids, driver_ids, messages)
        except BookingConflict as conflict:
            fresh = await self._fresh_options_after_conflict(number, actor)
            raise AcceptConflict(f"rank: {conflict}; fresh options are computed without them", fresh) from None

    def closures_changed_since(self, record: IncidentRecord, options: dict[str, Any]) -> str | None:
        """What closures were set or lifted since ``options`` were computed, said for the dispatcher; None
        when none. A closure moves ETAs and may cut a plan's route, so its options are no longer the
        plans. Options recorded before they kept their conditions have nothing to compare and pass."""
        then = (options.get("inputs") or {}).get("conditions")
        if not isinstance(then, dict):
            return None
        preset = record.report.get("conditions") or "clear"
        return closures_changed(then, conditions_view(self.live_conditions(self.live_corridor(), preset)))

    def check_crews_usable(self, record: IncidentRecord, plan: dict[str, Any]) -> None:
        """Raise ResourceUnusable for the plan's crews the dispatch path would not send now.

        The incident's instance is built again from the live state and must still offer every crew
        of the plan; what other desks may change meanwhile is read again by the store, in the
        booking's transaction.
        """
        fresh = self.prepare(IncidentReport.from_record(record), record.number).instance
        held = self.bookings_by_resource()
        # a booking elsewhere is the store's to refuse, under the unique constraint and in its own words
        reasons = {
            r: why for r, why in crews_not_offered(plan, fresh).items() if held.get(r, record.number) == record.number
        }
        if reasons:
            vehicle_ids, driver_ids = plan_resources(plan)
            raise ResourceUnusable(
                reasons, [v for v in vehicle_ids if v in reasons], [d for d in driver_ids if d in reasons]
            )

    async def _fresh_options_after_conflict(self, number: int, actor: str) -> dict[str, Any] | None:
        try:
            record = await self.recompute(number, actor)
        except (RecordError, FleetplanError):  # voided meanwhile, or the data changed under the report
            return None
        entry = record.latest(EntryKind.OPTIONS)
        return entry.payload if entry else None

    async def _options_within_wait(self, record: IncidentRecord, actor: str) -> IncidentRecord:
        """Dispatch ``record`` alone (joint planning off) and store its options; the record, with them
        when they came within ``dispatch_wait_s``."""
        work = partial(self._dispatch_and_record_safely, record, actor)
        with anyio.move_on_after(self.settings.dispatch_wait_s):
            # abandon_on_cancel: past the wait the worker keeps going and still stores the options
            return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
        wait_s = self.settings.dispatch_wait_s
        logger.warning("incident %s: options not ready within %.1f s; answering without them", record.number, wait_s)
        return await run_blocking(self.store.incident, record.number)

    def _dispatch_and_record_safely(self, record: IncidentRecord, actor: str) -> IncidentRecord:
        try:  # built under its number: the plans' words name the incident ("incident 7", never "new")
            return self.store.append(record.number, EntryKind.OPTIONS, actor, single_view(self, record, frozenset()))
        except RecordError:  # e.g. voided while solving: the record stays as it is
            return self.store.incident(record.number)
        except Exception:  # the report is recorded; the desk can ask again with POST .../options
            logger.exception("incident %s: dispatch failed after the report was recorded", record.number)
            return self.store.incident(record.number)

    # ------------------------------------------------------------------ lifecycle (blocking)
    def on_scene(
        self,
        number: int,
        at_text: str | None,
        actor: str,
        override_reason: str | None = None,
        source: str = "desk",
    ) -> IncidentRecord:
        """Record the first rescuer on scene and the actual response time against the tier limit.

        The response time is the on-scene time minus the reported time; it is within the limit when
        a coach was sent and the scene is reached by the incident's deadline (reported time + limit,
        or the scheduled departure + limit for a failure before departure). The time obeys
        :mod:`api.desk.times`; ``override_reason`` lets an earlier time than the plan allows stand,
        and is recorded with it; ``source`` ``gps`` says the time is a rescue coach's fix at the scene.
        """
        record = self.store.incident(number)
        at = self._lifecycle_moment(record, at_text)
        check_on_scene(self.times, record, at, override_reason)
        deadline_text = record.report.get("deadline")
        deadline = datetime.fromisoformat(deadline_text) if deadline_text else None
        earliest = earliest_on_scene(record)
        payload = {
            "at": views.local_minute(at),
            "response_min": round((at - record.reported_at).total_seconds() / 60, 1),
            # nobody sent (a plan accepted before such plans were refused) reaches nobody in time
            "within_limit": deadline is not None and at <= deadline and bool(accepted_assignments(record)),
            "limit_min": record.report.get("limit_min"),
            "deadline": deadline_text,
            "earliest": views.local_minute(earliest),
            **({"override_reason": override_reason} if override_reason else {}),
            **({"source": source} if source != "desk" else {}),
        }
        return self.store.append(number, EntryKind.ON_SCENE, actor, payload)

    def resolved(self, number: int, at_text: str | None, note: str, actor: str) -> IncidentRecord:
        record = self.store.incident(number)
        if record.status in (IncidentStatus.OPTIONS, IncidentStatus.ACCEPTED) and record.report.get("passengers"):
            raise InvalidTransition(  # only a coach that failed with nobody aboard has no rescue to wait for
                f"incident {number} is {record.status.value}: its passengers wait for a rescue; record on scene first"
            )
        at = self._lifecycle_moment(record, at_text)
        check_resolved(record, at)
        return self.store.append(number, EntryKind.RESOLVED, actor, {"at": views.local_minute(at), "note": note})

    def follow_up(self, number: int, note: str, actor: str) -> IncidentRecord:
        return self.store.append(
            number, EntryKind.FOLLOW_UP, actor, {"at": views.local_minute(self.clock()), "note": note}
        )

    def void(self, number: int, reason: str, actor: str) -> IncidentRecord:
        return self.store.append(number, EntryKind.VOID, actor, {"reason": reason})

    def _lifecycle_moment(self, record: IncidentRecord, text: str | None) -> datetime:
        """The step's time (default now), checked: after the report, in the window, not ahead of the clock."""
        now = self.clock()
        at = parse_local_minute(text, "at") if text else now.replace(second=0)
        check_lifecycle_time(self.times, record, at, now)
        return at

    # ------------------------------------------------------------------ fleet and closures (blocking)
    def set_status(self, vehicle_id: str, status: VehicleStatus, reason: str, actor: str) -> Vehicle:
        # by id or plate, as a report names it; UnknownIdError → 404 in the router
        vehicle = views.find_vehicle(self.corridor.dataset, vehicle_id.strip())
        self.log.record_status(vehicle.id, status, reason, self.clock(), actor)
        return self.live_corridor().dataset.vehicle(vehicle.id)

    def close(self, kind: ClosureKind, target: str, reason: str, actor: str) -> Closure:
        """Record a closure after checking its target exists on the road network."""
        target = target.strip()
        check_closure_target(self.corridor, kind, target)
        return self.log.close(kind, target, reason, self.clock(), actor)


async def run_blocking(function: Callable[..., T], *args: Any) -> T:
    """Run blocking work (database, solver) in a worker thread, off the event loop."""
    return await anyio.to_thread.run_sync(partial(function, *args))
