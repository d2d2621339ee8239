"""The request and response bodies of the positions routes (issue 16 §1)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PositionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "vehicle_id": "c01",
                    "lat": 43.4917,
                    "lon": 124.8428,
                    "at": "2026-12-07T07:41:05+08:00",
                    "speed_kmh": 92.5,
                    "heading_deg": 41,
                }
            ]
        },
    )

    vehicle_id: str | None = Field(None, min_length=1, max_length=64, description="coach id (c07)")
    plate: str | None = Field(None, min_length=1, max_length=64, description="or its plate (吉A·X0887)")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, description="latitude, WGS84")
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, description="longitude, WGS84")
    at: datetime = Field(
        description="when the fix was taken: with an offset, or China-local without one; within "
        "FLEETPLAN_TIME_WINDOW_DAYS before now (or of the timetable's days), not ahead of the clock"
    )
    speed_kmh: float | None = Field(None, ge=0, le=200, allow_inf_nan=False)
    heading_deg: float | None = Field(None, ge=0, lt=360, allow_inf_nan=False, description="clockwise from north")
    emergency: bool = Field(False, description="the terminal's emergency alarm")


class RejectedFixOut(BaseModel):
    index: int = Field(description="the fix's place in the list, from 0")
    field: str
    detail: str


class PositionsStoredOut(BaseModel):
    stored: int
    rejected: list[RejectedFixOut] = Field(description="fixes not stored, each with the field at fault")


class PlaceOut(BaseModel):
    text: str = Field(description="as a dispatcher writes it: 'G1 K59.0 toward Changchun', a node id or a road")
    node_id: str | None
    km: float | None
    direction: str | None = Field(description="the G1 carriageway: to_changchun or to_siping")
    side_from: Literal["heading", "fixes", "nearest"] | None = Field(
        description="how the carriageway was told: the heading, the last two fixes, or assumed (the nearer)"
    )
    off_road_m: float = Field(description="how far the fix lay from the road")


class PositionOut(BaseModel):
    vehicle_id: str
    plate: str
    lat: float
    lon: float
    at: str = Field(description="China-local YYYY-MM-DDTHH:MM:SS")
    speed_kmh: float | None
    heading_deg: float | None
    source: str
    emergency: bool
    age_s: float = Field(description="seconds since the fix was taken, by the service's clock")
    stale: bool = Field(description="older than FLEETPLAN_POSITION_FRESH_S: dispatch uses the timetable instead")
    place: PlaceOut | None = Field(description="none when the fix lies farther than 5 km from every road")
