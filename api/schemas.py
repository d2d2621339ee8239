"""Response schemas: the OpenAPI contract of the service."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    detail: str = Field(description="what was wrong, naming the field")


class Health(BaseModel):
    status: str
    vehicles: int
    drivers: int
    network_nodes: int


class VehicleOut(BaseModel):
    id: str
    plate: str
    class_: str = Field(alias="class", serialization_alias="class")
    seats: int
    length_m: float
    age_years: float
    depot: str
    status: str
    permit_valid_until: str

    model_config = {"populate_by_name": True}


class DriverOut(BaseModel):
    id: str
    name: str
    licence_class: str
    licence_issued: str
    age: int
    qualified_until: str | None
    depot: str
    shift: str


class FeatureCollection(BaseModel):
    type: str = "FeatureCollection"
    features: list[dict[str, Any]]
