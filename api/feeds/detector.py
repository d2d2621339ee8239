"""Raises alerts from the positions (issue 16 §3): a daemon thread looks at every coach's recent fixes
every ``FLEETPLAN_DETECT_EVERY_S`` seconds; a new suspected breakdown or emergency alarm comes with the
options the dispatch path computes for it then, so the dispatcher who confirms it sees a plan at once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fleetplan.detection import AlertKind, CoachRun, DetectionPolicy, Suspicion, detect
from fleetplan.errors import FleetplanError
from fleetplan.positions import Position, place
from fleetplan.state import snapshot

from api.alerts import DISMISSED, OPEN, Alert, AlertLog, AlertNotOpen
from api.desk import Desk
from api.desk.availability import broken_down
from api.desk.reports import IncidentReport
from api.desk.service import OPEN_INCIDENTS_LIMIT
from api.desk.times import accepted_assignments
from api.desk.tracking import at_scene, deadline_of, track, tracked
from api.positions_log import PositionLog
from api.records.types import IncidentStatus, NotFound

logger = logging.getLogger(__name__)

LOOK_BACK = timedelta(hours=2)  # a terminal silent longer than this was alerted on while it was within it
PLANNED_KINDS = frozenset({AlertKind.SUSPECTED_BREAKDOWN, AlertKind.EMERGENCY_ALARM})
DETECTOR = "detector"  # who closes an alert the records have overtaken (no dispatcher did)


def alert_report(desk: Desk, alert: Alert | Suspicion, passengers: int | None = None) -> IncidentReport:
    """The incident report an alert (or the suspicion it is raised for) stands for: its coach, place and
    start; on board, what the dispatcher says, else the booked passengers of the trip the timetable has
    it on then (none off a trip)."""
    at = alert.since.replace(second=0, microsecond=0)
    if passengers is None:
        dataset = desk.corridor.at(at).dataset
        state = snapshot(dataset, at).vehicles.get(alert.vehicle_id)
        trip_id = state.current_trip_id if state else None
        passengers = dataset.trip(trip_id).booked_passengers if trip_id else 0
    return IncidentReport(vehicle=alert.vehicle_id, location=alert.place, at=at, passengers=passengers)


@dataclass
class Detector:
    desk: Desk
    positions: PositionLog
    alerts: AlertLog
    policy: DetectionPolicy
    every_s: float
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _runs: dict[str, CoachRun] = field(default_factory=dict, init=False)  # each coach's fixes, as they came
    _last_id: int = field(default=0, init=False)  # the last stored fix read

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alert-detector", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.run_once()
            except Exception:  # a failed look is logged and tried again; the desk goes on
                logger.exception("alert detection failed")

    def run_once(self, now: datetime | None = None) -> list[Alert]:
        """Look once; the alerts newly raised."""
        now = now or self.desk.clock()
        recent = self._recent(now)
        already = self.alerts.open_keys()
        dealt_with = self.alerts.closed_runs(now - LOOK_BACK)
        reported = set(broken_down(self.desk.store, None, None))  # the coaches of open breakdowns and accidents
        scenes = SceneLookup(self.desk)
        raised = []
        for suspicion in detect(self.desk.corridor.network, recent, now, self.policy):
            key = (suspicion.vehicle_id, suspicion.kind.value)
            if key in already or (*key, suspicion.since) in dealt_with or suspicion.vehicle_id in reported:
                continue  # open already, dismissed or confirmed for this run, or an open incident's coach
            if suspicion.kind == AlertKind.SUSPECTED_BREAKDOWN and scenes.rescuer_at_scene(suspicion.fix):
                continue  # a rescue coach standing at its own incident's scene is doing its job
            # planned before it is stored, and stored with its plan: no reader sees it without one
            plan = self.plan_for(suspicion) if suspicion.kind in PLANNED_KINDS else None
            alert = self.alerts.raise_new(suspicion, now, plan)
            if alert is None:
                continue
            logger.warning(
                "alert %s: %s %s at %s since %s", alert.id, alert.kind, alert.vehicle_id, alert.place, alert.since
            )
            raised.append(alert)
        self._settle_late_rescues(now)
        return raised + self._late_rescues(recent, now, already, dealt_with)

    def _settle_late_rescues(self, now: datetime) -> None:
        """Dismiss the open late-rescue alerts whose incident is no longer under way (on scene, released,
        resolved or voided): the rescue they warned of is over, and an open alert would ask for action."""
        for alert in self.alerts.alerts(OPEN, limit=OPEN_INCIDENTS_LIMIT):
            number = (alert.plan or {}).get("incident") if alert.kind == AlertKind.RESCUE_LATE else None
            if not isinstance(number, int):
                continue
            try:
                record = self.desk.store.incident(number)
            except NotFound:
                continue
            if tracked(record):
                continue
            reason = f"incident {number} is {record.status.value} now: the rescue is no longer under way"
            try:
                self.alerts.close(alert.id, DISMISSED, DETECTOR, now, reason=reason)
            except AlertNotOpen:  # a dispatcher dealt with it meanwhile
                continue

    def _recent(self, now: datetime) -> dict[str, tuple[Position, ...]]:
        """Each coach's fixes that detection reads, brought up to date with the fixes stored since the
        last look (read once each, not the whole look-back every time: a fleet of thousands reporting
        every few seconds stores millions of fixes in the look-back)."""
        self._last_id, fresh = self.positions.stored_after(self._last_id, now - LOOK_BACK)
        for fix in fresh:
            run = self._runs.get(fix.vehicle_id)
            if run is None:
                self._runs[fix.vehicle_id] = CoachRun(fix)
            else:
                run.add(fix)
        for vehicle_id in [v for v, run in self._runs.items() if run.latest.at < now - LOOK_BACK]:
            del self._runs[vehicle_id]  # silent longer than the look-back: alerted on while within it
        return {vehicle_id: run.fixes() for vehicle_id, run in self._runs.items()}

    def _late_rescues(
        self,
        recent: dict[str, tuple[Position, ...]],
        now: datetime,
        already: set[tuple[str, str]],
        dealt_with: set[tuple[str, str, datetime]],
    ) -> list[Alert]:
        """A rescue whose live ETA lies past its incident's limit, once per incident and coach (its
        ``since`` is the incident's report, so a dismissed one stays dismissed)."""
        raised = []
        for record in self.desk.store.incidents({IncidentStatus.ACCEPTED}, limit=OPEN_INCIDENTS_LIMIT):
            deadline = deadline_of(record)
            if not tracked(record) or deadline is None:
                continue
            # the rescuers' own fixes since the report: a coach the geofence saw at the scene is not late
            rescuers = [assignment["vehicle_id"] for assignment in accepted_assignments(record)]
            fixes = {**recent, **self.positions.recent(record.reported_at, rescuers)}
            for rescue in track(self.desk, record, fixes, now, self.policy.silent_after.total_seconds()):
                key = (rescue.vehicle_id, AlertKind.RESCUE_LATE.value)
                late = rescue.live_eta is not None and rescue.live_eta > deadline and rescue.on_scene_at is None
                if not late or rescue.fix is None or key in already or (*key, record.reported_at) in dealt_with:
                    continue
                placement = place(self.desk.corridor.network, rescue.fix)
                suspicion = Suspicion(
                    rescue.vehicle_id, AlertKind.RESCUE_LATE, record.reported_at, rescue.fix, placement
                )
                details = rescue.view(deadline) | {"incident": record.number}
                alert = self.alerts.raise_new(suspicion, now, details)
                if alert is not None:
                    raised.append(alert)
        return raised

    def plan_for(self, alert: Alert | Suspicion) -> dict[str, Any]:
        """The options of the dispatch path for the alert's incident, not recorded (or why there are none)."""
        try:
            prepared = self.desk.prepare(alert_report(self.desk, alert))
            return self.desk.solve(prepared, 0)
        except FleetplanError as error:
            return {"error": str(error)}


class SceneLookup:
    """Whether a fix is a booked rescue coach's within the geofence of the scene it was sent to (the
    scenes located once per look, and only when a standing coach asks)."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self._booked: dict[str, int] | None = None
        self._scenes: dict[int, Any] = {}

    def rescuer_at_scene(self, fix: Position) -> bool:
        if self._booked is None:
            self._booked = self.desk.bookings_by_resource()
        number = self._booked.get(fix.vehicle_id)
        if number is None:
            return False
        if number not in self._scenes:
            self._scenes[number] = self._scene(number)
        scene = self._scenes[number]
        return scene is not None and at_scene(fix, scene)

    def _scene(self, number: int):
        try:
            location = self.desk.store.incident(number).report.get("location", "")
            return self.desk.corridor.network.locate(location)
        except (FleetplanError, NotFound):  # a location the network cannot read: no scene to be at
            return None
