"""The road network as GeoJSON (the desk draws the corridor from it), and where a clicked point lies.

A point on G1 is two places: the carriageway toward Changchun and the one toward Siping are tens of
metres apart on the map but can be half an hour apart for a rescue coach (it must reach the
passengers on their own side). ``/network/snap`` therefore names both carriageways for a point on
G1, as kilometre posts the locator reads, and leaves the choice to the dispatcher (issue 15 item 4).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from fleetplan.corridor import Corridor
from fleetplan.errors import LocationError
from fleetplan.network.graph import Direction
from fleetplan.network.locate import km_post_location, snap

from api import auth
from api.records.types import User
from api.routers.deps import get_corridor
from api.schemas import FeatureCollection, error_responses

router = APIRouter(tags=["network"], responses=error_responses(401, 403))


class CarriagewayOut(BaseModel):
    direction: Direction
    km: float = Field(description="kilometre post of the point on this carriageway, to 0.1 km")
    lat: float = Field(description="the kilometre post's position (WGS84)")
    lon: float
    location: str = Field(description="the location text to report, e.g. 'G1 K59.0 toward Changchun'")


class SnapOut(BaseModel):
    lat: float = Field(description="the point asked about")
    lon: float
    road: str | None = Field(description="the nearest road (ramps left out); null when none lies within 5 km")
    distance_m: float | None = Field(description="metres from the point to that road")
    on_g1: bool = Field(description="whether the nearest road is G1: then the side must be chosen")
    carriageways: list[CarriagewayOut] = Field(
        description="on G1: the point on each carriageway (toward Changchun, toward Siping); empty otherwise"
    )


@router.get("/network", response_model=FeatureCollection, summary="Road network as GeoJSON")
def network(corridor: Corridor = Depends(get_corridor), _user: User = Depends(auth.viewer)) -> dict:
    """Nodes as Points (id, name, name_zh, kind), edges as LineStrings (road_class, name); lon,lat order."""
    return corridor.network.to_geojson()


@router.get("/network/snap", response_model=SnapOut, summary="Where a point lies: the nearest road, both G1 sides")
def snap_point(
    lat: float = Query(ge=-90, le=90, allow_inf_nan=False, description="latitude, WGS84"),
    lon: float = Query(ge=-180, le=180, allow_inf_nan=False, description="longitude, WGS84"),
    corridor: Corridor = Depends(get_corridor),
    _user: User = Depends(auth.viewer),
) -> SnapOut:
    """The road nearest to ``lat,lon`` (as the locator snaps a ``lat,lon`` location) and, when that road is
    G1, the point on each carriageway as a kilometre post with its direction: a report should name one."""
    roads = corridor.network
    try:
        nearest = snap(roads, lat, lon)
    except LocationError:  # farther than 5 km from every road
        return SnapOut(lat=lat, lon=lon, road=None, distance_m=None, on_g1=False, carriageways=[])
    on_g1 = nearest.direction is not None
    sides = [_carriageway(corridor, lat, lon, direction) for direction in Direction] if on_g1 else []
    return SnapOut(
        lat=lat,
        lon=lon,
        road=nearest.road_name or ("G1" if on_g1 else None),
        distance_m=round(nearest.snapped_m, 1),
        on_g1=on_g1,
        carriageways=sides,
    )


def _carriageway(corridor: Corridor, lat: float, lon: float, direction: Direction) -> CarriagewayOut:
    """The point on the carriageway heading ``direction``, rounded to the 0.1-km post the text names."""
    roads = corridor.network
    first_km, last_km = roads.section_km
    on_side = snap(roads, lat, lon, direction)
    km = round(min(max(on_side.km if on_side.km is not None else first_km, first_km), last_km), 1)
    post = km_post_location(roads, km, direction)
    return CarriagewayOut(
        direction=direction, km=km, lat=post.lat, lon=post.lon, location=f"G1 K{km:.1f} {direction.label}"
    )
