"""The timetable of a day (issue 16 §2): the trips the calendar runs that day, today's by default."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field

from fleetplan.calendar import trips_of_day

from api import auth, views
from api.desk import Desk
from api.records.types import User
from api.routers.deps import get_desk
from api.schemas import CALENDAR_DAY, error_responses

router = APIRouter(tags=["fleet"], responses=error_responses(401, 403))


class StopOut(BaseModel):
    node_id: str
    planned: str = Field(description="departure (arrival at the last stop), China local time")


class TripOut(BaseModel):
    id: str = Field(description="the trip's id on this day (T<MMDD>-<run> for the default data)")
    kind: str
    vehicle_id: str
    driver_id: str
    booked_passengers: int
    departure: str
    arrival: str
    stops: list[StopOut]


@router.get(
    "/trips",
    response_model=list[TripOut],
    summary="The trips of a day, as the timetable's calendar runs them",
    responses=error_responses(400),
)
def trips(
    day: str | None = Query(
        None, pattern=CALENDAR_DAY, max_length=10, description="YYYY-MM-DD; default: today on the service's clock"
    ),
    desk: Desk = Depends(get_desk),
    _user: User = Depends(auth.viewer),
) -> list[dict]:
    """Every trip leaving on ``day``, in departure order, as a report that day is dispatched against: the
    template week's trips of the weekday the day runs as (holidays and make-up days included; none on
    days the drivers' duty log covers), or, for data without a calendar, its dated trips."""
    on = date.fromisoformat(day) if day else desk.clock().date()
    try:
        found = trips_of_day(desk.corridor.dataset, on)
    except OverflowError:  # the week around it runs past year 1 or 9999
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"day: {on} is at the edge of the calendar") from None
    return [_trip_view(trip) for trip in sorted(found, key=lambda t: (t.departure, t.id))]


def _trip_view(trip) -> dict:
    return {
        "id": trip.id,
        "kind": trip.kind.value,
        "vehicle_id": trip.vehicle_id,
        "driver_id": trip.driver_id,
        "booked_passengers": trip.booked_passengers,
        "departure": views.local_minute(trip.departure),
        "arrival": views.local_minute(trip.arrival),
        "stops": [{"node_id": s.node_id, "planned": views.local_minute(s.planned)} for s in trip.stops],
    }
