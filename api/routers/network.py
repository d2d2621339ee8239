"""The road network as GeoJSON (the desk draws the corridor from it)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from fleetplan.corridor import Corridor

from api import auth
from api.records.types import User
from api.routers.deps import get_corridor
from api.schemas import FeatureCollection, error_responses

router = APIRouter(tags=["network"], responses=error_responses(401, 403))


@router.get("/network", response_model=FeatureCollection, summary="Road network as GeoJSON")
def network(corridor: Corridor = Depends(get_corridor), _user: User = Depends(auth.viewer)) -> dict:
    """Nodes as Points (id, name, name_zh, kind), edges as LineStrings (road_class, name); lon,lat order."""
    return corridor.network.to_geojson()
