"""Read-only views of the corridor: road network, fleet and drivers."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from fleetplan.corridor import Corridor

from api import views
from api.routers.deps import get_corridor
from api.schemas import DriverOut, FeatureCollection, VehicleOut

router = APIRouter(tags=["corridor"])


@router.get("/network", response_model=FeatureCollection, summary="Road network as GeoJSON")
def network(corridor: Corridor = Depends(get_corridor)) -> dict:
    return corridor.network.to_geojson()


@router.get("/fleet", response_model=list[VehicleOut], response_model_by_alias=True, summary="The coaches")
def fleet(corridor: Corridor = Depends(get_corridor)) -> list[dict]:
    day = views.first_timetable_day(corridor.dataset)
    return [views.vehicle_view(vehicle, day) for vehicle in corridor.dataset.vehicles]


@router.get("/drivers", response_model=list[DriverOut], summary="The drivers")
def drivers(corridor: Corridor = Depends(get_corridor)) -> list[dict]:
    day = views.first_timetable_day(corridor.dataset)
    return [views.driver_view(driver, day) for driver in corridor.dataset.drivers]
