"""Incidents: report → options → accept → on scene → resolved → follow-up call (回访); void corrects.

Every mutating route needs the dispatcher role (or admin). Domain errors are 400 naming the field and
record nothing; a transition the record does not allow is 409; an unknown number is 404.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status
from fastapi.responses import JSONResponse

from api import auth, views
from api.desk import AcceptConflict, Desk, IncidentReport, parse_local_minute, run_blocking
from api.messaging.outbox import Outbox
from api.records.types import IncidentStatus, User
from api.routers.deps import get_desk, get_outbox
from api.schemas import (
    CHECKED_AGAINST_DATA,
    AcceptConflictBody,
    AcceptIn,
    FollowUpIn,
    IncidentIn,
    IncidentOut,
    OnSceneIn,
    ResolvedIn,
    VoidIn,
    error_responses,
)

router = APIRouter(prefix="/incidents", tags=["incidents"], responses=error_responses(401, 403))

StatusFilter = Literal["open", "reported", "options", "accepted", "on_scene", "resolved", "followed_up", "voided"]
OPEN = {
    IncidentStatus.REPORTED,
    IncidentStatus.OPTIONS,
    IncidentStatus.ACCEPTED,
    IncidentStatus.ON_SCENE,
    IncidentStatus.RESOLVED,
}  # the contract's "open": not followed up and not voided
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


@router.get("", response_model=list[IncidentOut], summary="Incidents, newest first")
def incidents(
    status_: StatusFilter | None = Query(
        None, alias="status", description="'open' (not followed up, not voided) or one status"
    ),
    limit: int = Query(200, ge=1, le=1000),
    desk: Desk = Depends(get_desk),
    _user: User = Depends(auth.viewer),
) -> list[dict]:
    if status_ is None:
        statuses = None
    elif status_ == "open":
        statuses = set(OPEN)
    else:
        statuses = {IncidentStatus(status_)}
    records = sorted(desk.store.incidents(statuses, limit=limit), key=lambda r: r.number, reverse=True)
    return [views.incident_view(record) for record in records]


@router.get(
    "/{number}",
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
    return views.incident_view(record, with_entries=True, messages=[m.view() for m in outbox.for_incident(number)])


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
    try:
        record = await desk.accept(number, rank, user.name)
    except AcceptConflict as conflict:
        content = AcceptConflictBody(detail=conflict.detail, options=conflict.options)
        return JSONResponse(status_code=status.HTTP_409_CONFLICT, content=content.model_dump(mode="json"))
    return views.incident_view(record)


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
    user: User = Depends(auth.dispatcher),
) -> dict:
    """Records the actual response time (on scene − reported) against the tier limit. The time may not
    precede the accepted plan's first arrival (less a tolerance) unless ``override_reason`` says why."""
    body = body or OnSceneIn()
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
