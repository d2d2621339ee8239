"""Coaches and drivers: live status (recorded status changes applied) and who is booked by which incident."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Path, status

from fleetplan.errors import UnknownIdError

from api import auth, views
from api.desk import Desk, run_blocking
from api.records.types import Role, User
from api.routers.deps import get_desk
from api.schemas import DriverOut, VehicleOut, VehicleStatusChange, error_responses

router = APIRouter(tags=["fleet"], responses=error_responses(401, 403))


@router.get("/fleet", response_model=list[VehicleOut], response_model_by_alias=True, summary="The coaches")
def fleet(desk: Desk = Depends(get_desk), _user: User = Depends(auth.viewer)) -> list[dict]:
    dataset = desk.live_corridor().dataset
    booked = desk.bookings_by_resource()
    day = desk.clock().date()  # ages as of today on the desk's clock (a drill's own)
    return [{**views.vehicle_view(vehicle, day), "booked_by": booked.get(vehicle.id)} for vehicle in dataset.vehicles]


@router.patch(
    "/fleet/{vehicle_id}",
    response_model=VehicleOut,
    response_model_by_alias=True,
    summary="Record a coach status change",
    responses=error_responses(400, 404),
)
async def change_status(
    change: VehicleStatusChange,
    vehicle_id: str = Path(max_length=64, description="coach id (c07) or plate (吉A·X0887)"),
    desk: Desk = Depends(get_desk),
    user: User = Depends(auth.dispatcher),
) -> dict:
    """Append a status change (never edited); later dispatches use it."""
    try:
        vehicle = await run_blocking(desk.set_status, vehicle_id, change.status, change.reason, user.name)
    except UnknownIdError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"vehicle_id: {error}") from None
    booked = await run_blocking(desk.bookings_by_resource)
    day = desk.clock().date()
    return {**views.vehicle_view(vehicle, day), "booked_by": booked.get(vehicle.id)}


@router.get("/drivers", response_model=list[DriverOut], summary="The drivers")
def drivers(desk: Desk = Depends(get_desk), user: User = Depends(auth.viewer)) -> list[dict]:
    """The drivers, with who has booked each; their mobiles only to those who send the desk's messages
    (dispatchers and admins): a viewer's screen is no place for a driver's private number."""
    dataset = desk.corridor.dataset
    booked = desk.bookings_by_resource()
    day = desk.clock().date()  # ages as of today on the desk's clock (a drill's own)
    sees_phones = auth.role_allows(user.role, Role.DISPATCHER)
    return [
        {
            **views.driver_view(driver, day),
            "phone": driver.phone if sees_phones else None,
            "booked_by": booked.get(driver.id),
        }
        for driver in dataset.drivers
    ]
