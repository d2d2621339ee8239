"""Coach positions in from a feed, and each coach's latest fix with its place on the network (issue 16 §1)."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, status

from fleetplan.network.locate import LocationError
from fleetplan.positions import Position, PositionSource, place

from api import auth
from api.desk import Desk, run_blocking
from api.feeds.intake import RawFix, gtfs_rt_fixes, record_fixes
from api.feeds.schemas import PositionIn, PositionOut, PositionsStoredOut
from api.positions_log import PositionLog
from api.records.types import User
from api.routers.deps import get_desk, get_positions, get_settings
from api.schemas import error_responses
from api.settings import Settings

router = APIRouter(tags=["positions"], responses=error_responses(401, 403))
MAX_FIXES = 1000  # one post: a feed's batch of every coach, with room for a terminal's backlog


@router.post(
    "/positions",
    response_model=PositionsStoredOut,
    summary="Post coach positions (role feed)",
    responses=error_responses(400, checked=("vehicle_id", "plate", "at", "lat")),
)
async def post_positions(
    fixes: list[PositionIn] = Body(max_length=MAX_FIXES),
    desk: Desk = Depends(get_desk),
    log: PositionLog = Depends(get_positions),
    user: User = Depends(auth.feed),
) -> dict:
    """Each fix names its coach by ``vehicle_id`` or ``plate``. Fixes no terminal could have taken are
    rejected with the field named, the others stored; a post whose every fix is rejected is a 400."""
    raw = [
        RawFix(
            fix.vehicle_id or fix.plate or "", fix.lat, fix.lon, fix.at, fix.speed_kmh, fix.heading_deg, fix.emergency
        )
        for fix in fixes
    ]
    for index, fix in enumerate(fixes):
        if (fix.vehicle_id is None) == (fix.plate is None):
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST, f"[{index}].vehicle_id: give vehicle_id or plate, one of them"
            )
    return await run_blocking(store_fixes, desk, log, raw, PositionSource.JSON, user.name)


def store_fixes(
    desk: Desk,
    log: PositionLog,
    raw: list[RawFix],
    source: PositionSource,
    actor: str,
    indices: list[int] | None = None,
) -> dict:
    """Store what passes; a 400 naming the first problem when every fix is rejected."""
    stored, rejected = record_fixes(desk.corridor, desk.times, log, raw, source, actor, indices)
    if raw and not stored:
        more = f" (and {len(rejected) - 1} more)" if len(rejected) > 1 else ""
        raise HTTPException(status.HTTP_400_BAD_REQUEST, rejected[0].detail + more)
    return {"stored": stored, "rejected": [{"index": r.index, "field": r.field, "detail": r.detail} for r in rejected]}


PROTOBUF = "application/x-protobuf"
MAX_FEED_BYTES = 4 * 1024 * 1024  # a feed of every coach is kilobytes; a city's is a few hundred


@router.post(
    "/positions/gtfs-rt",
    response_model=PositionsStoredOut,
    summary="Post a GTFS-Realtime feed of vehicle positions (role feed)",
    responses=error_responses(400, 413, 415, checked=("body", "vehicle_id", "at", "lat")),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {PROTOBUF: {"schema": {"type": "string", "format": "binary"}}},
            "description": "a FeedMessage; each VehiclePosition's vehicle id is a coach id, or its label a plate",
        }
    },
)
async def post_gtfs_rt(
    request: Request,
    desk: Desk = Depends(get_desk),
    log: PositionLog = Depends(get_positions),
    user: User = Depends(auth.feed),
) -> dict:
    """Each VehiclePosition entity becomes a fix (speed from metres per second; the header's timestamp
    when the vehicle has none); other entities are passed over. Rejected fixes name their entity index."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != PROTOBUF:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"Content-Type: {content_type or 'none'}; send {PROTOBUF}"
        )
    body = await read_limited(request, MAX_FEED_BYTES)
    fixes, indices, _passed_over = await run_blocking(gtfs_rt_fixes, body)
    return await run_blocking(store_fixes, desk, log, fixes, PositionSource.GTFS_RT, user.name, indices)


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refused with 413 once it passes ``limit`` bytes (before all of it is read)."""
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"body: more than {limit:,} bytes")
    return bytes(received)


@router.get(
    "/positions",
    response_model=list[PositionOut],
    summary="Each coach's latest position",
    responses=error_responses(400, checked=("vehicle_id",)),
)
def latest_positions(
    vehicle_id: list[str] | None = Query(
        None, max_length=1000, description="only these coaches (repeat the parameter); default every coach"
    ),
    desk: Desk = Depends(get_desk),
    log: PositionLog = Depends(get_positions),
    settings: Settings = Depends(get_settings),
    _user: User = Depends(auth.viewer),
) -> list[dict]:
    """The latest fix of every coach that has one, its place on the road network and whether it is stale.
    An id that names no coach is a 400."""
    now = desk.clock()
    plates = {vehicle.id: vehicle.plate for vehicle in desk.corridor.dataset.vehicles}
    wanted = None if vehicle_id is None else set(vehicle_id)
    unknown = sorted((wanted or set()) - plates.keys())
    if unknown:  # a typo would otherwise read as "no fix yet"
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"vehicle_id: no coach {', '.join(unknown[:5])}")
    return [
        position_view(desk, fixes, plates.get(coach, ""), now, settings.position_fresh_s)
        for coach, fixes in sorted(log.latest().items())
        if wanted is None or coach in wanted
    ]


def position_view(desk: Desk, fixes: tuple[Position, ...], plate: str, now, fresh_s: float) -> dict:
    fix, earlier = fixes[0], (fixes[1] if len(fixes) > 1 else None)
    age_s = (now - fix.at).total_seconds()
    return {
        "vehicle_id": fix.vehicle_id,
        "plate": plate,
        "lat": fix.lat,
        "lon": fix.lon,
        "at": fix.at.isoformat(timespec="seconds"),
        "speed_kmh": fix.speed_kmh,
        "heading_deg": fix.heading_deg,
        "source": fix.source.value,
        "emergency": fix.emergency,
        "age_s": round(age_s, 1),
        "stale": age_s > fresh_s,
        "place": place_view(desk, fix, earlier),
    }


def place_view(desk: Desk, fix: Position, earlier: Position | None) -> dict | None:
    try:
        placement = place(desk.corridor.network, fix, earlier)
    except LocationError:
        return None
    location = placement.location
    return {
        "text": placement.text,
        "node_id": location.node_id,
        "km": location.km,
        "direction": location.direction.value if location.direction else None,
        "side_from": placement.side_from.value if placement.side_from else None,
        "off_road_m": round(location.snapped_m, 1),
    }
