"""``GET /events``: the desk's live topics pushed as server-sent events (issue 17), instead of polling.

Events (each ``data`` is JSON):

- ``hello``: the service clock (``now``, a drill clock's ``speedup``), ``fresh_s`` (a fix older than this
  is stale), ``escalate_after_s`` (an incident not accepted this long after its report escalates) and
  ``tiles`` (the basemap's URL template, datum and attribution, or null: no basemap);
  first on every connection and again every ``ping_s`` as ``ping``, so desks keep their clocks in step;
- ``incidents``: the desk's list (today's incidents, and earlier ones not yet followed up or voided), each as ``GET /incidents/{number}`` without its options but with ``feasibility``, ``joint_id`` and ``more_options_coming`` (the best plan stored alone, the others to come);
- ``alerts``: the open alerts, as ``GET /alerts``;
- ``closures``: the active closures, as ``GET /closures``;
- ``fleet``: the coaches, as ``GET /fleet``;
- ``positions``: ``{"full": true|false, "rows": [...]}``: every coach's latest fix first, then only the
  coaches that moved, each as a row of ``GET /positions``.

The token goes in the ``Authorization`` header like every other call (the desk reads the stream with
``fetch``; ``EventSource`` cannot send a header, and a token in the address would be logged).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from fleetplan.positions import Position

from api import auth, views
from api.alerts import AlertLog
from api.clock import DrillClock
from api.desk import Desk
from api.desk.warnings import plan_warnings
from api.positions_log import PositionLog
from api.push import Event, PushHub, Sources
from api.records.types import IncidentRecord, IncidentStatus, User
from api.routers.alerts import alert_view
from api.routers.closures import active_closures
from api.routers.fleet import fleet
from api.routers.positions import position_view
from api.schemas import error_responses
from api.settings import Settings

router = APIRouter(tags=["desk"], responses=error_responses(401, 403))

# Still the dispatcher's business on a later day: nobody sent yet, a coach on its way, or the
# follow-up call (回访) still to make; followed-up and voided ones of other days are history.
UNFINISHED = frozenset(
    {
        IncidentStatus.REPORTED,
        IncidentStatus.OPTIONS,
        IncidentStatus.ACCEPTED,
        IncidentStatus.ON_SCENE,
        IncidentStatus.RESOLVED,
    }
)
DESK_LIST_READ = 500  # newest incidents read to find today's and the unfinished ones


@router.get(
    "/events",
    summary="The desk's live topics as server-sent events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "an endless stream of events"}},
)
async def events(request: Request, _user: User = Depends(auth.viewer)) -> StreamingResponse:
    hub: PushHub = request.app.state.push
    return StreamingResponse(
        sse_frames(hub.events()),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},  # no proxy may hold events back
    )


async def sse_frames(events: AsyncIterator[Event]) -> AsyncIterator[str]:
    async for event in events:
        yield f"event: {event.name}\ndata: {json.dumps(event.data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def push_hub(desk: Desk, positions: PositionLog, alerts: AlertLog, settings: Settings) -> PushHub:
    """The hub of one service process, reading what the routers read."""

    def position_row(fix: Position, before: Position | None) -> dict[str, Any]:
        fixes = (fix,) if before is None else (fix, before)
        plate = plates.get(fix.vehicle_id, "")
        return position_view(desk, fixes, plate, desk.clock(), settings.position_fresh_s)

    plates = {vehicle.id: vehicle.plate for vehicle in desk.corridor.dataset.vehicles}
    sources = Sources(
        engine=desk.log.engine,
        positions=positions,
        topic={
            "incidents": lambda: desk_incidents(desk),
            "alerts": lambda: [alert_view(alert) for alert in alerts.alerts("open")],
            "closures": lambda: active_closures(desk=desk, _user=None),  # type: ignore[arg-type]
            "fleet": lambda: fleet(desk=desk, _user=None),  # type: ignore[arg-type]
        },
        position=position_row,
        clock=desk.clock,
        hello=lambda: hello(desk.clock, settings),
    )
    return PushHub(sources, settings.push_every_s, ping_s=settings.push_ping_s)


def hello(clock, settings: Settings) -> dict[str, Any]:
    return {
        "now": clock().isoformat(timespec="milliseconds"),
        "speedup": clock.speedup if isinstance(clock, DrillClock) else 1.0,
        "fresh_s": settings.position_fresh_s,
        "escalate_after_s": settings.escalate_after_s,
        "tiles": {"url": settings.tile_url, "crs": settings.tile_crs, "attribution": settings.tile_attribution}
        if settings.tile_url
        else None,
    }


def desk_incidents(desk: Desk) -> list[dict[str, Any]]:
    """Today's incidents and the unfinished ones of earlier days, newest first, without their options."""
    today = desk.clock().date()
    records = desk.store.incidents(None, limit=DESK_LIST_READ)
    shown = [r for r in records if r.reported_at.date() == today or r.status in UNFINISHED]
    warnings = plan_warnings(desk.store, desk.log.latest_statuses())
    return [incident_summary(record, warnings) for record in sorted(shown, key=lambda r: r.number, reverse=True)]


def incident_summary(record: IncidentRecord, warnings: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    view = views.incident_view(record)
    view["warnings"] = warnings.get(record.number, [])  # e.g. a coach of its accepted plan broke down since
    options = view.pop("options")
    view["feasibility"] = feasibility(options, (view["report"] or {}).get("passengers") or 0)
    view["joint_id"] = ((options or {}).get("joint") or {}).get("id")  # planned again together: the desk reloads
    # the best plan alone, the others to come: when they come the flag drops and the desk reloads
    view["more_options_coming"] = bool((options or {}).get("more_options_coming"))
    return view


def feasibility(options: dict[str, Any] | None, passengers: int) -> str | None:
    """How the best option serves the passengers: ``ok``, ``late`` (some reached late or not at all),
    ``none`` (no coach can be sent), or ``None`` while no options were computed."""
    if not options or "plans" not in options:
        return None
    plans = options.get("plans") or []
    if not plans or (passengers > 0 and not plans[0].get("assignments")):
        return "none"
    outcome = plans[0].get("outcome") or {}
    return "late" if outcome.get("reached_late") or outcome.get("not_reached") else "ok"
