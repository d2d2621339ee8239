"""Rescues tracked by their positions (issue 16 §4): for an accepted incident not yet reached, each rescue
coach's live ETA at the scene from its latest fresh fix, against the incident's limit, and an on-scene
time suggested once a fix lies within the scene's geofence (the dispatcher confirms it, source ``gps``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fleetplan.errors import FleetplanError
from fleetplan.geo import haversine_m
from fleetplan.network.speed import SpeedRules
from fleetplan.network.travel import TravelTimes
from fleetplan.positions import Position, place

from api.desk.reports import parse_local_minute
from api.desk.service import Desk
from api.desk.times import accepted_assignments
from api.positions_log import PositionLog
from api.records.types import EntryKind, IncidentRecord, IncidentStatus

LOOK_BACK = timedelta(hours=6)  # a rescue's fixes since well before any report it answers
GEOFENCE_M = 300.0  # a rescue coach this near the scene is there (a lay-by, the hard shoulder behind it)


@dataclass(frozen=True)
class RescueTrack:
    vehicle_id: str
    planned_at: datetime  # when the accepted plan has it at the scene
    fix: Position | None  # its latest fresh fix (None: none, or stale)
    live_eta: datetime | None  # from that fix (None: no fresh fix, or no route)
    on_scene_at: datetime | None  # the time of its first fix within the geofence, if it is there

    def view(self, deadline: datetime | None) -> dict[str, Any]:
        late_by = (self.live_eta - deadline).total_seconds() / 60 if self.live_eta and deadline else None
        return {
            "vehicle_id": self.vehicle_id,
            "planned_at": _minute(self.planned_at),
            "fix_at": self.fix.at.isoformat(timespec="seconds") if self.fix else None,
            "live_eta": _minute(self.live_eta),
            "late_by_min": round(late_by, 1) if late_by is not None and late_by > 0 else None,
            "on_scene_suggested": {"at": _minute(self.on_scene_at), "source": "gps"} if self.on_scene_at else None,
        }


def tracked(record: IncidentRecord) -> bool:
    """An accepted incident whose scene no rescuer has reached yet."""
    return record.status == IncidentStatus.ACCEPTED and record.latest(EntryKind.ON_SCENE) is None


def deadline_of(record: IncidentRecord) -> datetime | None:
    text = record.report.get("deadline")
    return datetime.fromisoformat(text) if text else None


def track(
    desk: Desk, record: IncidentRecord, fixes: dict[str, tuple[Position, ...]], now: datetime, fresh_s: float
) -> list[RescueTrack]:
    """Each rescue coach of ``record``'s accepted plan, as its fixes show it at ``now``."""
    corridor = desk.live_corridor()
    network = corridor.network
    scene = network.locate(record.report["location"])
    conditions = desk.live_conditions(corridor, record.report.get("conditions") or "clear")
    tracks = []
    for assignment in accepted_assignments(record):
        vehicle = corridor.dataset.vehicle(assignment["vehicle_id"])
        planned = record.reported_at + timedelta(minutes=assignment["scene_eta_min"])
        own = [f for f in fixes.get(vehicle.id, ()) if (now - f.at).total_seconds() <= fresh_s]
        latest = own[0] if own else None
        arrived = first_at_scene(fixes.get(vehicle.id, ()), scene, record.reported_at)
        eta = None
        if latest is not None:
            travel = TravelTimes(
                network, conditions, vehicle.vehicle_class, rules=SpeedRules.for_policy(corridor.dataset.driving_policy)
            )
            try:
                where = place(network, latest, own[1] if len(own) > 1 else None).location
                eta = latest.at + timedelta(seconds=travel.travel_time_s(where, scene, latest.at))
            except FleetplanError:  # off the network, or no route now: no estimate rather than a wrong one
                eta = None
            if arrived is not None:
                eta = arrived
        tracks.append(RescueTrack(vehicle.id, planned, latest, eta, arrived))
    return tracks


def gps_on_scene_check(desk: Desk, positions: PositionLog, number: int, at_text: str | None) -> str | None:
    """:func:`gps_on_scene_problem` of incident ``number`` at ``at_text`` (default now), from the stored
    fixes; None also when the incident is not under way (the on-scene step says why)."""
    record = desk.store.incident(number)
    if not tracked(record):
        return None
    now = desk.clock()
    at = parse_local_minute(at_text, "at") if at_text else now.replace(second=0)
    rescuers = [assignment["vehicle_id"] for assignment in accepted_assignments(record)]
    fixes = positions.recent(min(record.reported_at, now) - LOOK_BACK, rescuers)
    return gps_on_scene_problem(desk, record, fixes, at)


def gps_on_scene_problem(
    desk: Desk, record: IncidentRecord, fixes: dict[str, tuple[Position, ...]], at: datetime
) -> str | None:
    """Why ``at`` cannot be recorded as ``record``'s on-scene time from GPS: no rescue coach of its
    accepted plan has a fix within the scene's geofence since the report, or the first such fix is
    after ``at`` (to the minute); None when one was there by then."""
    scene = desk.live_corridor().network.locate(record.report["location"])
    rescuers = [assignment["vehicle_id"] for assignment in accepted_assignments(record)]
    arrivals = [when for v in rescuers if (when := first_at_scene(fixes.get(v, ()), scene, record.reported_at))]
    limit = f"within {GEOFENCE_M:.0f} m of the scene"
    if not arrivals:
        return (
            f"source: gps, but no rescue coach of the accepted plan ({', '.join(rescuers)}) has a fix {limit} "
            "since the report; record the time the crew gives with source desk"
        )
    first = min(arrivals)
    if at < first.replace(second=0, microsecond=0):
        return f"source: gps, but the first fix {limit} is at {_minute(first)}, after {_minute(at)}"
    return None


def first_at_scene(fixes: tuple[Position, ...], scene, since: datetime) -> datetime | None:
    """The time of the earliest of a coach's ``fixes`` (newest first) within the scene's geofence at or
    after ``since``."""
    return next((fix.at for fix in reversed(fixes) if fix.at >= since and at_scene(fix, scene)), None)


def at_scene(fix: Position, scene) -> bool:
    """Within the scene's geofence."""
    return haversine_m(fix.lat, fix.lon, scene.lat, scene.lon) <= GEOFENCE_M


def _minute(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="minutes") if moment else None
