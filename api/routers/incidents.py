"""Incidents: report → options → accept → on scene → resolved → follow-up call (回访); void corrects.

Every mutating route needs the dispatcher role (or admin). Domain errors are 400 naming the field and
record nothing; a transition the record does not allow is 409; an unknown number is 404.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Response, status
from fastapi.responses import JSONResponse, StreamingResponse

from fleetplan.model import IncidentKind

from api import auth, views
from api.desk import AcceptConflict, Desk, IncidentReport, parse_local_minute, run_blocking
from api.desk.tracking import gps_on_scene_check
from api.desk.warnings import plan_warnings
from api.incident_history import HistoryFilters, csv_lines, every_incident, incident_query, period_name
from api.messaging.outbox import Outbox
from api.positions_log import PositionLog
from api.records.types import User
from api.routers.deps import get_desk, get_outbox, get_positions
from api.schemas import (
    CALENDAR_DAY,
    CHECKED_AGAINST_DATA,
    NO_NUL,
    AcceptConflictBody,
    AcceptIn,
    ErrorBody,
    FollowUpIn,
    IncidentIn,
    IncidentOut,
    OnSceneIn,
    PlanTogetherIn,
    ReleaseIn,
    ResolvedIn,
    VoidIn,
    error_responses,
)

router = APIRouter(prefix="/incidents", tags=["incidents"], responses=error_responses(401, 403))

StatusFilter = Literal["open", "reported", "options", "accepted", "on_scene", "resolved", "followed_up", "voided"]
TierFilter = Literal["city", "near_backup", "corridor", "pre_departure"]  # fleetplan.tiers.TierPolicy's four
MAX_NUMBER = 2**31 - 1  # the records' integer column
Number = Path(ge=1, le=MAX_NUMBER, description="the incident's record number")


@router.post(
    "",
    response_model=IncidentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Report an incident and get ranked options",
    responses={
        200: {
            "model": IncidentOut,
            "description": "this Idempotency-Key was seen before: the incident recorded then, never a second one",
        },
        **error_responses(400, checked=("location", "passengers", "time", "trip_id")),
        409: {
            "model": ErrorBody,
            "description": "the coach is in an open incident reported within FLEETPLAN_JOINT_WINDOW_MIN of this "
            "one: the same breakdown (the detail names vehicle_id and that incident); nothing recorded",
        },
    },
    openapi_extra={
        "responses": {
            "422": {
                "description": "Validation Error, or an Idempotency-Key already used with another report or by "
                "another user (loc names the header; nothing recorded)",
                CHECKED_AGAINST_DATA: ["Idempotency-Key"],
            }
        }
    },
)
async def report(
    body: IncidentIn,
    response: Response,
    idempotency_key: str | None = Header(
        None,
        min_length=1,
        max_length=200,
        pattern=r"\S",
        description="the same key, from the same user with the same report, returns the same incident",
    ),
    desk: Desk = Depends(get_desk),
    user: User = Depends(auth.dispatcher),
) -> dict:
    """Validate (400 naming the field, nothing recorded), record, then solve under the dispatch deadline."""
    report_ = IncidentReport(
        vehicle=body.vehicle_id,
        location=body.location,
        at=parse_local_minute(body.time, "time"),
        passengers=body.passengers,
        kind=body.kind,
        conditions=body.conditions,
        alternatives=body.alternatives,
        trip_id=body.trip_id,
    )
    record, created = await desk.report(report_, user.name, idempotency_key, body.model_dump(mode="json"))
    if not created:
        response.status_code = status.HTTP_200_OK
    return views.incident_view(record)


def history_filters(
    status_: StatusFilter | None = Query(
        None, alias="status", description="'open' (not followed up, not voided) or one status"
    ),
    day: str | None = Query(None, pattern=CALENDAR_DAY, description="the reported day, YYYY-MM-DD (China time)"),
    period_from: str | None = Query(None, alias="from", pattern=CALENDAR_DAY, description="first reported day"),
    period_to: str | None = Query(None, alias="to", pattern=CALENDAR_DAY, description="last reported day"),
    q: str | None = Query(
        None,
        max_length=100,
        pattern=NO_NUL,
        description="free text, any case: coach id or plate, location, number, who recorded it, notes",
    ),
    vehicle_id: str | None = Query(None, min_length=1, max_length=64, pattern=NO_NUL, description="coach id or plate"),
    tier: TierFilter | None = Query(None, description="response-time tier"),
    kind: IncidentKind | None = Query(None, description="incident kind"),
) -> HistoryFilters:
    """The history's filters, shared by the list and its CSV export."""
    return HistoryFilters(
        status_, day, period_from, period_to, q, vehicle_id, tier, None if kind is None else kind.value
    )


FILTER_CHECKS = ("day", "from")  # a day together with from/to; from after to
TOTAL_HEADER = {
    "X-Total-Count": {"description": "how many incidents the filters find (all pages)", "schema": {"type": "integer"}}
}


@router.get(
    "",
    response_model=list[IncidentOut],
    summary="Incidents, newest first: filtered, a page at a time",
    responses={200: {"headers": TOTAL_HEADER}, **error_responses(400, checked=FILTER_CHECKS)},
)
def incidents(
    response: Response,
    filters: HistoryFilters = Depends(history_filters),
    limit: int = Query(200, ge=1, le=1000, description="incidents per page"),
    offset: int = Query(0, ge=0, le=MAX_NUMBER, description="newest incidents skipped (the page's start)"),
    desk: Desk = Depends(get_desk),
    _user: User = Depends(auth.viewer),
) -> list[dict]:
    """Every filter runs in the database; ``X-Total-Count`` says how many match in all."""
    query = incident_query(filters, desk.corridor.dataset)
    records = desk.store.incidents(None, limit, query=query, offset=offset)
    response.headers["X-Total-Count"] = str(desk.store.count_incidents(query))
    return [views.incident_view(record) for record in records]


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    summary="The incidents the filters find, as CSV (UTF-8 with BOM)",
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "one row per incident, newest first; cells a spreadsheet would run as a formula "
            "start with an apostrophe",
        },
        **error_responses(400, checked=FILTER_CHECKS),  # JSON: a streaming route has no media type of its own
    },
)
def export_csv(
    filters: HistoryFilters = Depends(history_filters),
    desk: Desk = Depends(get_desk),
    _user: User = Depends(auth.viewer),
) -> StreamingResponse:
    """The same filters as the list, every page; ``Content-Disposition`` names the period."""
    query = incident_query(filters, desk.corridor.dataset)
    lines = csv_lines(every_incident(desk.store, query), desk.corridor.dataset)
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{period_name(query)}"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/plan-together",
    response_model=list[IncidentOut],
    summary="Plan open incidents together (those not yet accepted)",
    responses=error_responses(400, 409, checked=("numbers",)),
)
async def plan_together(
    body: PlanTogetherIn | None = None, desk: Desk = Depends(get_desk), user: User = Depends(auth.dispatcher)
) -> list[dict]:
    """Dispatch the incidents in one instance (default: every open incident not yet accepted); each
    stores its part of the joint options, ``planned_with`` naming the others. 409 when one is accepted
    or closed, or fewer than two are open."""
    numbers = body.numbers if body else None
    records = await run_blocking(desk.joint.plan_together, numbers, user.name)
    return [views.incident_view(record) for record in records]


@router.get(
    "/{number:int}",  # digits only: /incidents/plan-together is no number (its OPTIONS names POST alone)
    response_model=IncidentOut,
    response_model_exclude_none=False,
    summary="One incident with its entries",
    responses=error_responses(404),
)
def incident(
    number: int = Number,
    desk: Desk = Depends(get_desk),
    outbox: Outbox = Depends(get_outbox),
    _user: User = Depends(auth.viewer),
) -> dict:
    """With every entry of the record and the ready messages of its accepted plan (the outbox)."""
    record = desk.store.incident(number)
    view = views.incident_view(record, with_entries=True, messages=[m.view() for m in outbox.for_incident(number)])
    view["warnings"] = plan_warnings(desk.store, desk.log.latest_statuses()).get(number, [])
    return view


@router.post(
    "/{number}/options",
    response_model=IncidentOut,
    summary="Recompute the options",
    responses=error_responses(400, 404, 409),
)
async def recompute(
    number: int = Number, desk: Desk = Depends(get_desk), user: User = Depends(auth.dispatcher)
) -> dict:
    """With the live state: new closures, bookings and status changes since the report."""
    return views.incident_view(await desk.recompute(number, user.name))


@router.post(
    "/{number}/accept",
    response_model=IncidentOut,
    summary="Accept an option: book its coaches and drivers",
    responses={
        **error_responses(400, 404, checked=("rank",)),
        409: {
            "model": AcceptConflictBody,
            "description": "Another incident holds some of the plan's coaches or drivers, or one of its "
            "crews can no longer be sent (workshop, broken down, no longer legal or on shift): fresh options "
            "included. Or the option sends no coach to the passengers, or the incident cannot be accepted "
            "in its state (no options included)",
        },
    },
)
async def accept(
    body: AcceptIn | None = None,
    number: int = Number,
    desk: Desk = Depends(get_desk),
    user: User = Depends(auth.dispatcher),
):
    rank = body.rank if body else 1
    if body is not None and body.joint_id is not None:  # the options shown were planned again since
        stale = await run_blocking(desk.joint.replanned_since, number, body.joint_id)
        if stale is not None:
            content = AcceptConflictBody(detail=stale[0], options=stale[1])
            return JSONResponse(status_code=status.HTTP_409_CONFLICT, content=content.model_dump(mode="json"))
    try:
        record = await desk.accept(number, rank, user.name)
    except AcceptConflict as conflict:
        content = AcceptConflictBody(detail=conflict.detail, options=conflict.options)
        return JSONResponse(status_code=status.HTTP_409_CONFLICT, content=content.model_dump(mode="json"))
    return views.incident_view(record)


@router.post(
    "/{number}/release",
    response_model=IncidentOut,
    summary="Release an accepted plan before anyone is on scene, and plan again",
    responses=error_responses(400, 404, 409),
)
async def release(
    body: ReleaseIn, number: int = Number, desk: Desk = Depends(get_desk), user: User = Depends(auth.dispatcher)
) -> dict:
    """Frees the plan's bookings (and those of incidents accepted together with it), records the release
    with its reason, and re-plans the released incidents jointly with the open ones. 409 once a rescuer
    is on scene, or when the incident is not accepted; a partner on scene keeps its plan."""
    return views.incident_view(await run_blocking(desk.joint.release, number, body.reason, user.name))


@router.post(
    "/{number}/on-scene",
    response_model=IncidentOut,
    summary="The first rescuer is on scene",
    responses=error_responses(400, 404, 409, checked=("at",)),
)
async def on_scene(
    body: OnSceneIn | None = None,
    number: int = Number,
    desk: Desk = Depends(get_desk),
    positions: PositionLog = Depends(get_positions),
    user: User = Depends(auth.dispatcher),
) -> dict:
    """Records the actual response time (on scene − reported) against the tier limit. The time may not
    precede the accepted plan's first arrival (less a tolerance) unless ``override_reason`` says why.
    With ``source`` ``gps`` a rescue coach of the plan must have a fix within the scene's geofence by
    that time (409 naming ``source`` otherwise): the record says the position showed it."""
    body = body or OnSceneIn()
    if body.source == "gps" and (problem := await run_blocking(gps_on_scene_check, desk, positions, number, body.at)):
        raise HTTPException(status.HTTP_409_CONFLICT, problem)
    reason = (body.override_reason or "").strip() or None
    record = await run_blocking(desk.on_scene, number, body.at, user.name, reason, body.source)
    return views.incident_view(record)


@router.post(
    "/{number}/resolved",
    response_model=IncidentOut,
    summary="Passengers delivered; releases bookings",
    responses=error_responses(400, 404, 409, checked=("at",)),
)
async def resolved(
    body: ResolvedIn | None = None,
    number: int = Number,
    desk: Desk = Depends(get_desk),
    user: User = Depends(auth.dispatcher),
) -> dict:
    """After on scene; a coach that failed with nobody aboard may be resolved from its options or its
    accepted plan (re-covered trips only), no rescue being owed. 409 otherwise."""
    body = body or ResolvedIn()
    return views.incident_view(await run_blocking(desk.resolved, number, body.at, body.note, user.name))


@router.post(
    "/{number}/follow-up",
    response_model=IncidentOut,
    summary="The follow-up call (回访) is done",
    responses=error_responses(400, 404, 409),
)
async def follow_up(
    body: FollowUpIn, number: int = Number, desk: Desk = Depends(get_desk), user: User = Depends(auth.dispatcher)
) -> dict:
    return views.incident_view(await run_blocking(desk.follow_up, number, body.note, user.name))


@router.post(
    "/{number}/void",
    response_model=IncidentOut,
    summary="Void the record (kept, bookings released)",
    responses=error_responses(400, 404, 409),
)
async def void(
    body: VoidIn, number: int = Number, desk: Desk = Depends(get_desk), user: User = Depends(auth.dispatcher)
) -> dict:
    return views.incident_view(await run_blocking(desk.void, number, body.reason, user.name))
