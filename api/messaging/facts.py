"""An accepted plan, as the desk recorded it, turned into the facts its messages are made from.

The records keep plans as the desk showed them (:func:`api.views.plan_view`: clock times ``HH:MM``,
ETAs in minutes after the report); here each clock time becomes a date and time next to the report,
and the options say which crews are passing coaches and whether an escorted entry is needed.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any

from fleetplan.corridor import Corridor
from fleetplan.messages import AcceptedDispatch, CoverOrder, RescueOrder, RestStop, compose
from fleetplan.model import IncidentKind

from api.records.schema import NAME_LENGTH, RECIPIENT_ID_LENGTH
from api.records.types import IncidentRecord

logger = logging.getLogger(__name__)

ESCORT_RELAXATION = "closure_exemption"  # solver.dispatch.relax: a police-escorted entry through a closure
PASSING = "passing"  # fleetplan.instance.CrewKind.PASSING, as the options' candidates name it
RECIPIENT_NAME_LENGTH = 200


def ready_messages(
    corridor: Corridor,
    record: IncidentRecord,
    options: dict[str, Any],
    plan: dict[str, Any],
    actor: str,
    accepted_at: datetime,
) -> list[dict[str, Any]]:
    """The outbox rows of the plan being accepted; [] (logged) when they cannot be made.

    A message that cannot be composed must never stop a rescue from being booked, so any failure here
    is logged and the plan is accepted without messages.
    """
    try:
        facts = dispatch_facts(record, options, plan, actor, accepted_at)
        messages = compose(corridor, facts)
    except Exception:
        logger.exception("incident %s: the plan's messages could not be composed; accepted without them", record.number)
        return []
    return [
        {
            "recipient_role": message.recipient_role.value,
            "recipient_id": message.recipient_id[:RECIPIENT_ID_LENGTH],
            "recipient_name": message.recipient_name[:RECIPIENT_NAME_LENGTH],
            "phone": message.phone,
            "lang": message.lang,
            "text": message.text,
        }
        for message in messages
    ]


def dispatch_facts(
    record: IncidentRecord, options: dict[str, Any], plan: dict[str, Any], actor: str, accepted_at: datetime
) -> AcceptedDispatch:
    """The facts of ``plan`` (one of ``options``' plans) for the incident ``record``."""
    report, reported_at = record.report, record.reported_at
    group: dict[str, Any] = next(iter(options.get("incidents") or []), {})
    kinds = {(c.get("vehicle_id"), c.get("driver_id")): c.get("kind") for c in options.get("candidates") or []}
    conditions = (options.get("inputs") or {}).get("conditions") or {}
    deadline = report.get("deadline") or group.get("deadline")
    return AcceptedDispatch(
        incident_number=record.number,
        kind=IncidentKind(report.get("kind") or IncidentKind.BREAKDOWN),
        failed_vehicle_id=report["vehicle_id"],
        trip_id=report.get("trip_id") or group.get("trip_id"),
        scene=report["location"],  # as reported, which the network read when the report was planned
        reported_at=reported_at,
        passengers=int(report.get("passengers") or 0),
        destination=group.get("destination") or _first_destination(plan),
        deadline=datetime.fromisoformat(deadline) if deadline else None,
        rescues=tuple(
            rescue_order(a, reported_at, kinds.get((a["vehicle_id"], a["driver_id"])) == PASSING, plan)
            for a in plan.get("assignments") or []
        ),
        covers=tuple(
            CoverOrder(c["trip_id"], c["vehicle_id"], c["driver_id"], int(c.get("departure_shift_min") or 0))
            for c in plan.get("recovered_trips") or []
        ),
        uncovered_trip_ids=tuple(plan.get("uncovered_trips") or ()),
        escorted_entry=any(r.get("kind") == ESCORT_RELAXATION for r in options.get("relaxations") or []),
        closed_entrances=tuple(conditions.get("closed_entrances") or ()),
        accepted_by=actor[:NAME_LENGTH],
        accepted_at=accepted_at,
    )


def _first_destination(plan: dict[str, Any]) -> str:
    """Where the plan's first assignment sets down, for an incident whose group names no destination."""
    first: dict[str, Any] = next(iter(plan["assignments"]), {})
    return str(first.get("destination", ""))


def calls_before(assignment: dict[str, Any], plan: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The scenes a route collects other groups at before this assignment's, by name (en, zh)."""
    route_id = assignment.get("route_id")
    route = next((r for r in plan.get("routes") or [] if route_id and r.get("route_id") == route_id), None)
    if route is None:
        return ()
    pickups = [stop for stop in route["stops"] if stop["kind"] == "pickup"]
    mine = next((k for k, stop in enumerate(pickups) if stop["incident"] == assignment.get("incident_id")), 0)
    return tuple((stop["place_name"], stop.get("place_name_zh") or stop["place_name"]) for stop in pickups[:mine])


def rescue_order(
    assignment: dict[str, Any], reported_at: datetime, passing: bool, plan: dict[str, Any] | None = None
) -> RescueOrder:
    depart_at = clock_near(assignment["depart_at"], reported_at)
    scene_arrival = max(depart_at, reported_at + timedelta(minutes=float(assignment["scene_eta_min"])))
    rest = assignment.get("rest_on_way")
    return RescueOrder(
        vehicle_id=assignment["vehicle_id"],
        driver_id=assignment["driver_id"],
        origin=assignment.get("origin") or "",
        depart_at=depart_at,
        scene_arrival=scene_arrival,
        passengers=int(assignment["passengers"]),
        destination=assignment["destination"],
        destination_arrival=clock_after(assignment["destination_arrival"], scene_arrival),
        late_min=int(assignment.get("late_min") or 0),
        rest_at_scene_min=int(assignment.get("rest_at_scene_min") or 0),
        rest_on_way=RestStop(rest["place"], clock_after(rest["at"], scene_arrival), int(rest["rest_min"]))
        if rest
        else None,
        passing=passing,
        calls_before=calls_before(assignment, plan or {}),
    )


def _clock(text: str) -> time:
    return time.fromisoformat(text)


def clock_near(text: str, reference: datetime) -> datetime:
    """``HH:MM`` on the day before, of or after ``reference``, whichever is nearest to it (a passing
    coach left before the report; a rescue after it)."""
    moments = [datetime.combine(reference.date() + timedelta(days=d), _clock(text)) for d in (-1, 0, 1)]
    return min(moments, key=lambda moment: abs(moment - reference))


def clock_after(text: str, reference: datetime) -> datetime:
    """The first ``HH:MM`` at or after ``reference``, less the seconds the clock time leaves out."""
    moment = datetime.combine(reference.date(), _clock(text))
    return moment if moment >= reference.replace(second=0, microsecond=0) else moment + timedelta(days=1)
