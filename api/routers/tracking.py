"""A rescue under way, as its positions show it (issue 16 §4)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import BaseModel, Field

from api import auth
from api.desk import Desk, run_blocking
from api.desk.times import accepted_assignments
from api.desk.tracking import LOOK_BACK, deadline_of, track, tracked
from api.positions_log import PositionLog
from api.records.types import NotFound, User
from api.routers.deps import get_desk, get_positions, get_settings
from api.schemas import error_responses
from api.settings import Settings

router = APIRouter(tags=["positions"], responses=error_responses(401, 403))


class OnSceneSuggestionOut(BaseModel):
    at: str
    source: str = Field(description="gps: the first fix within the scene's geofence")


class RescueTrackOut(BaseModel):
    vehicle_id: str
    planned_at: str = Field(description="when the accepted plan has it at the scene")
    fix_at: str | None = Field(description="its latest fresh fix; none: no fresh fix (the plan's time stands)")
    live_eta: str | None = Field(description="at the scene, estimated from that fix on the live network")
    late_by_min: float | None = Field(description="how far past the incident's limit the live ETA lies")
    on_scene_suggested: OnSceneSuggestionOut | None


class TrackingOut(BaseModel):
    number: int
    tracked: bool = Field(description="accepted and not yet reached: the rescues are under way")
    deadline: str | None
    rescues: list[RescueTrackOut]


@router.get(
    "/incidents/{number}/tracking",
    response_model=TrackingOut,
    summary="The rescues under way: live ETA against the limit, on-scene from the geofence",
    responses=error_responses(404),
)
async def tracking(
    number: int = Path(ge=1, le=2**31 - 1),
    desk: Desk = Depends(get_desk),
    positions: PositionLog = Depends(get_positions),
    settings: Settings = Depends(get_settings),
    _user: User = Depends(auth.viewer),
) -> dict:
    try:
        record = await run_blocking(desk.store.incident, number)
    except NotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"number: no incident {number}") from None
    now = desk.clock()
    deadline = deadline_of(record)
    rescues = []
    if tracked(record):
        rescuers = [assignment["vehicle_id"] for assignment in accepted_assignments(record)]
        fixes = await run_blocking(positions.recent, min(record.reported_at, now) - LOOK_BACK, rescuers)
        found = await run_blocking(track, desk, record, fixes, now, settings.position_fresh_s)
        rescues = [rescue.view(deadline) for rescue in found]
    return {
        "number": number,
        "tracked": tracked(record),
        "deadline": deadline.isoformat(timespec="minutes") if deadline else None,
        "rescues": rescues,
    }
