"""Alerts from the positions (issue 16 §3): the list, confirm (an incident through the normal path) and
dismiss (with a reason)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from fleetplan.detection import AlertKind

from api import auth, views
from api.alerts import CONFIRMED, DISMISSED, Alert, AlertLog, AlertNotOpen
from api.desk import Desk, run_blocking
from api.feeds.detector import alert_report
from api.records.types import IdempotencyMismatch, User
from api.routers.deps import get_alerts, get_desk
from api.schemas import WORDS, FreeText, IncidentOut, WholeNumber, error_responses

router = APIRouter(tags=["alerts"], responses=error_responses(401, 403))
AlertId = Path(ge=1, le=2**31 - 1, description="alert id")


class AlertOut(BaseModel):
    id: int
    kind: Literal["suspected_breakdown", "emergency_alarm", "feed_stale", "rescue_late"]
    vehicle_id: str
    place: str = Field(description="as the locator reads it: 'G1 K59.0 toward Changchun', a node id or lat,lon")
    lat: float
    lon: float
    since: str = Field(description="when it began, China-local YYYY-MM-DDTHH:MM:SS")
    raised_at: str
    status: Literal["open", "confirmed", "dismissed"]
    plan: dict[str, Any] | None = Field(description="the options computed when it was raised (or their error)")
    closed_at: str | None
    closed_by: str | None
    incident_number: int | None
    reason: str | None


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # pydantic writes the bounds of a strict integer inside anyOf as "ge"/"le", which JSON Schema does not
    # know: the schema is stated here as the validation is
    passengers: Annotated[WholeNumber, Field(ge=0, le=100)] | None = Field(
        None,
        description="on board; none: the booked passengers of its trip then",
        json_schema_extra={"anyOf": [{"type": "integer", "minimum": 0, "maximum": 100}, {"type": "null"}]},
    )


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: FreeText = Field(min_length=1, max_length=2000, pattern=WORDS, description="why it is no incident")


class ConfirmedOut(BaseModel):
    alert: AlertOut
    incident: IncidentOut


def alert_view(alert: Alert) -> dict:
    stamp = lambda moment: moment.isoformat(timespec="seconds") if moment else None  # noqa: E731
    return {
        "id": alert.id,
        "kind": alert.kind.value,
        "vehicle_id": alert.vehicle_id,
        "place": alert.place,
        "lat": alert.lat,
        "lon": alert.lon,
        "since": stamp(alert.since),
        "raised_at": stamp(alert.raised_at),
        "status": alert.status,
        "plan": alert.plan,
        "closed_at": stamp(alert.closed_at),
        "closed_by": alert.closed_by,
        "incident_number": alert.incident_number,
        "reason": alert.reason,
    }


@router.get("/alerts", response_model=list[AlertOut], summary="Alerts, newest first")
def list_alerts(
    status_: Literal["open", "confirmed", "dismissed", "all"] = Query("open", alias="status"),
    alerts: AlertLog = Depends(get_alerts),
    _user: User = Depends(auth.viewer),
) -> list[dict]:
    return [alert_view(a) for a in alerts.alerts(None if status_ == "all" else status_)]


@router.post(
    "/alerts/{alert_id}/confirm",
    response_model=ConfirmedOut,
    status_code=status.HTTP_201_CREATED,
    summary="Confirm an alert: it becomes an incident, reported and planned like any other",
    responses=error_responses(400, 404, 409, checked=("passengers", "location", "time")),
)
async def confirm(
    body: ConfirmIn | None = None,  # no body: the booked passengers, as the README's example has it
    alert_id: int = AlertId,
    desk: Desk = Depends(get_desk),
    alerts: AlertLog = Depends(get_alerts),
    user: User = Depends(auth.dispatcher),
) -> dict:
    """Its coach, place and start are the report's; the passengers the dispatcher's, else the booked ones.
    Reported once: a second confirm of the same alert is a 409 naming its incident."""
    alert = await run_blocking(_open_alert, alerts, alert_id)
    if alert.kind == AlertKind.RESCUE_LATE:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"alert_id: a late rescue is no new incident: re-plan incident {(alert.plan or {}).get('incident')} "
            "and dismiss this alert",
        )
    report = alert_report(desk, alert, body.passengers if body else None)
    request = {"alert": alert_id, "passengers": report.passengers}
    try:
        record, _ = await desk.report(report, user.name, f"alert:{alert_id}", request)
    except IdempotencyMismatch as error:  # the alert's own key: another dispatcher, or other passengers, first
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"alert_id: alert {alert_id} was confirmed already (incident {error.number}), by another dispatcher "
            "or with other passengers; work on that incident",
        ) from None
    try:
        close = partial(alerts.close, incident_number=record.number)
        closed = await run_blocking(close, alert_id, CONFIRMED, user.name, desk.clock())
    except AlertNotOpen as error:
        raise HTTPException(status.HTTP_409_CONFLICT, f"alert_id: {error}") from None
    return {"alert": alert_view(closed), "incident": views.incident_view(record)}


@router.post(
    "/alerts/{alert_id}/dismiss",
    response_model=AlertOut,
    summary="Dismiss an alert, saying why",
    responses=error_responses(400, 404, 409),
)
async def dismiss(
    body: DismissIn,
    alert_id: int = AlertId,
    alerts: AlertLog = Depends(get_alerts),
    desk: Desk = Depends(get_desk),
    user: User = Depends(auth.dispatcher),
) -> dict:
    await run_blocking(_open_alert, alerts, alert_id)
    try:
        close = partial(alerts.close, reason=body.reason)
        closed = await run_blocking(close, alert_id, DISMISSED, user.name, desk.clock())
    except AlertNotOpen as error:
        raise HTTPException(status.HTTP_409_CONFLICT, f"alert_id: {error}") from None
    return alert_view(closed)


def _open_alert(alerts: AlertLog, alert_id: int) -> Alert:
    try:
        alert = alerts.alert(alert_id)
    except AlertNotOpen:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"alert_id: no alert {alert_id}") from None
    if alert.status != "open":
        detail = f"alert_id: alert {alert_id} is {alert.status} already"
        if alert.incident_number:
            detail += f" (incident {alert.incident_number})"
        raise HTTPException(status.HTTP_409_CONFLICT, detail)
    return alert
