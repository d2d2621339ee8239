"""The KPI breakdowns the KPI page charts (issue 17): incidents per day and, per tier, response times
against the limit and the passengers reached within it. Part of :class:`api.schemas.KpisOut`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DayOut(BaseModel):
    day: str = Field(description="YYYY-MM-DD of the reported time; only days with incidents are listed")
    incidents: int = Field(description="incidents not voided")
    measured: int = Field(description="of which the on-scene time is recorded (and believable)")
    reached_within_limit: int


class TierOut(BaseModel):
    tier: str
    limit_min: int | None = Field(
        description="the tier's limit (pre_departure: minutes after the scheduled departure); null for a tier "
        "the data no longer has"
    )
    incidents: int = Field(description="incidents not voided")
    measured: int = Field(description="of which the on-scene time is recorded (and believable)")
    reached_within_limit: int
    compliance: float | None = Field(description="reached_within_limit / measured")
    response_mean_min: float | None = Field(description="mean on-scene − reported over the measured, minutes")
    response_max_min: float | None
    passengers: int = Field(description="passengers on board at the report, all incidents")
    passengers_measured: int = Field(description="passengers of the measured incidents")
    passengers_reached_within_limit: int = Field(description="passengers of the incidents reached within the limit")


class ExerciseOut(BaseModel):
    number: int
    reported_at: str = Field(description="the time it was reported for, China local: ahead of the clock")
    recorded_at: str = Field(description="when the desk recorded it, on its clock")
