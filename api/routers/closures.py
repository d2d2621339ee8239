"""Road closures: expressway entrances (one, or "*" for all) and single edges; lifting is recorded, not deleted."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status

from api import auth, views
from api.desk import Desk, run_blocking
from api.operations_log import AlreadyClosed, Closure, ClosureNotActive
from api.records.types import User
from api.routers.deps import get_desk
from api.schemas import ClosureIn, ClosureOut, error_responses

router = APIRouter(tags=["closures"], responses=error_responses(401, 403))


def closure_view(closure: Closure) -> dict:
    return {
        "id": closure.id,
        "kind": closure.kind.value,
        "target": closure.target,
        "reason": closure.reason,
        "created_at": views.local_minute(closure.created_at),
        "created_by": closure.created_by,
    }


@router.get("/closures", response_model=list[ClosureOut], summary="Active closures")
def active_closures(desk: Desk = Depends(get_desk), _user: User = Depends(auth.viewer)) -> list[dict]:
    return [closure_view(closure) for closure in desk.log.active_closures()]


@router.post(
    "/closures",
    response_model=ClosureOut,
    status_code=status.HTTP_201_CREATED,
    summary="Close an entrance or a road edge",
    responses=error_responses(400, 409),
)
async def close(closure: ClosureIn, desk: Desk = Depends(get_desk), user: User = Depends(auth.dispatcher)) -> dict:
    """Later dispatches avoid it; 400 names an unknown target, 409 one closed already (nothing recorded:
    a second closure of one road would keep it closed after the first is lifted)."""
    try:
        recorded = await run_blocking(desk.close, closure.kind, closure.target, closure.reason, user.name)
    except AlreadyClosed as closed:
        raise HTTPException(status.HTTP_409_CONFLICT, str(closed)) from None
    return closure_view(recorded)


@router.delete(
    "/closures/{closure_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Lift a closure",
    responses=error_responses(404),
)
async def lift(
    closure_id: int = Path(ge=1, le=2**31 - 1), desk: Desk = Depends(get_desk), user: User = Depends(auth.dispatcher)
) -> Response:
    """Recorded as a lifting entry; the closure itself stays in the records."""
    try:
        await run_blocking(desk.log.lift, closure_id, desk.clock(), user.name)
    except ClosureNotActive:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"closure_id: no active closure {closure_id}") from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
