"""Request and response schemas: the OpenAPI contract of the service (see the HTTP contract of issue 4).

Whole numbers in request bodies are strict: ``"passengers": false`` or ``"42"`` is a 422, not a
silent conversion (pydantic's lax mode would take ``false`` for 0). ``42.0`` is 42: JSON Schema's
``integer`` includes it, so the schema and the server agree (:data:`WholeNumber`).

Times are China-local ``YYYY-MM-DDTHH:MM`` strings without offset. Request times are kept as text
and parsed by the desk service, so that an impossible time (``25:00``) is a 400 naming the field
like every other domain error; the schema states the same form as a pattern (:data:`LOCAL_MINUTE`).

The schema says what the server accepts: schema-valid input is refused only for what the corridor
data or the records hold, and each operation names those fields (``checked`` of
:func:`error_responses`). Ids the data fixes (coaches, conditions, trips, closure targets, sites)
are enums, added to the document from the loaded data by :mod:`api.openapi_data`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

from fleetplan.model import IncidentKind, VehicleStatus

from api.hardening import strip_bidi_controls
from api.kpi_schemas import DayOut, ExerciseOut, TierOut
from api.messaging.schemas import MessageOut
from api.operations_log import ClosureKind
from api.schemas_options import OptionsOut, PlanOut

# Days that exist (29 February in leap years only, no year 0000) and minutes of the clock, so that the
# schema states exactly what the server parses; ASCII digits, as ECMA-262 reads \d.
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_YY = "(?:0[48]|[2468][048]|[13579][26])"  # two digits divisible by 4, not 00
ANY_YEAR = "(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"  # 0001–9999
ANY_LEAP_YEAR = f"(?:[0-9]{{2}}{_LEAP_YY}|{_LEAP_YY}00)"


def calendar_day_pattern(year: str = ANY_YEAR, leap_year: str = ANY_LEAP_YEAR) -> str:
    """A regular expression (unanchored) for the days ``YYYY-MM-DD`` that exist in ``year``.

    Parameters
    ----------
    year
        The years allowed; ``leap_year``, the leap years among them (only they have 29 February).
    """
    return f"(?:{year}-{_MONTH_DAY}|{leap_year}-02-29)"


CLOCK_MINUTE = "(?:[01][0-9]|2[0-3]):[0-5][0-9]"
CALENDAR_DAY = f"^{calendar_day_pattern()}$"
LOCAL_MINUTE = f"^{calendar_day_pattern()}T{CLOCK_MINUTE}$"
LOCAL_MINUTE_OR_NOW = f"^(?:{calendar_day_pattern()}T{CLOCK_MINUTE})?$"  # empty: now
LOCAL_MINUTE_EXAMPLE = "2026-12-07T07:40"
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL; refuse it at the door rather than fail later
# a required reason or note: no NUL, and more than blanks and direction controls (removed: FreeText)
WORDS = r"^[^\x00]*[^\s\x00" + "\u202a-\u202e\u2066-\u2069" + r"][^\x00]*$"


# Free text a person types (notes, reasons, locations): bidi controls are removed after the field's
# own checks (so that the schema still says exactly what is accepted), before anything is recorded,
# so that a recorded text cannot show reordered on the desk or the printed record.
FreeText = Annotated[str, AfterValidator(strip_bidi_controls)]


def _integral_float_as_int(value: Any) -> Any:
    # JSON has one kind of number and JSON Schema's "integer" includes 2.0; false, "2", 2.5, NaN do not pass
    return int(value) if isinstance(value, float) and value.is_integer() else value


WholeNumber = Annotated[StrictInt, BeforeValidator(_integral_float_as_int)]
"""A strict ``integer``: 2 or 2.0 (the same JSON Schema integer); never a boolean, a string or 2.5."""


# --------------------------------------------------------------------------- errors
class ErrorBody(BaseModel):
    detail: str = Field(description="what was wrong, naming the field: '<field>: <problem>'")


CHECKED_AGAINST_DATA = "x-checked-against-data"  # response extension: see error_responses


def error_responses(*codes: int, checked: tuple[str, ...] = ()) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting ``codes`` with the :class:`ErrorBody` schema.

    Parameters
    ----------
    codes
        The status codes.
    checked
        The fields whose schema-valid values can still be a 400 because of what the corridor data or
        the records hold (a place off the road, a rank beyond the options, a time before the report):
        named in the 400's description and in its ``x-checked-against-data`` list.
    """
    described = {
        400: "Bad input (names the field); nothing recorded",
        401: "No or unknown bearer token",
        403: "The token's role may not do this",
        404: "No such resource",
        409: "Not allowed in the current state",
        413: "The body is larger than the route takes",
        415: "The body is not of the media type the route takes",
    }
    responses: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorBody, "description": described[code]} for code in codes
    }
    if checked and 400 in responses:
        responses[400]["description"] += (
            f". Beyond this schema, checked against the corridor data and the records: {', '.join(checked)}"
        )
        responses[400][CHECKED_AGAINST_DATA] = list(checked)
    return responses


# --------------------------------------------------------------------------- health, corridor
class ClockOut(BaseModel):
    now: str = Field(description="the service's time, China local (a drill's when it runs one)")
    drill: bool = Field(description="true: a drill clock (FLEETPLAN_CLOCK_FROM / _SPEEDUP), not the wall clock")
    speedup: float


class Health(BaseModel):
    status: str
    vehicles: int
    drivers: int
    network_nodes: int
    database: str = Field(description="'ok', or what is wrong with the records database")
    clock: ClockOut | None = None


class VehicleOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    plate: str
    class_: str = Field(alias="class", serialization_alias="class")
    seats: int
    length_m: float
    age_years: float
    depot: str
    status: VehicleStatus = Field(description="the dataset's status as changed by the latest recorded status change")
    permit_valid_until: str
    booked_by: int | None = Field(None, description="number of the incident that has booked this coach")


class DriverOut(BaseModel):
    id: str
    name: str
    licence_class: str
    licence_issued: str
    age: int
    qualified_until: str | None
    depot: str
    shift: str
    phone: str | None = Field(
        None,
        description="the driver's mobile, for the desk's messages: shown to dispatchers and admins, null to others",
    )
    booked_by: int | None = Field(None, description="number of the incident that has booked this driver")


class VehicleStatusChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"status": "workshop", "reason": "brake warning light"}]}
    )

    status: VehicleStatus
    reason: FreeText = Field(min_length=1, max_length=500, pattern=WORDS)


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[dict[str, Any]]


# --------------------------------------------------------------------------- closures
class ClosureIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "entrance", "target": "gongzhuling_ic", "reason": "ice"}]},
    )

    kind: ClosureKind
    target: str = Field(
        min_length=1,
        max_length=200,
        description="entrance: an interchange or service-area node id, or '*' for every G1 entrance; edge: 'u->v'",
    )
    reason: FreeText = Field("", max_length=500, pattern=NO_NUL)


class ClosureOut(BaseModel):
    id: int
    kind: ClosureKind
    target: str
    reason: str
    created_at: str
    created_by: str


# --------------------------------------------------------------------------- incidents: requests
class IncidentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "vehicle_id": "c01",
                    "location": "G1 K78 toward Siping",
                    "time": LOCAL_MINUTE_EXAMPLE,
                    "passengers": 42,
                    "kind": "breakdown",
                    "conditions": "clear",
                    "alternatives": 3,
                }
            ]
        },
    )

    vehicle_id: str = Field(min_length=1, max_length=64, description="coach id (c07) or plate (吉A·X0887)")
    location: FreeText = Field(
        min_length=1,
        max_length=200,
        description="node id, 'lat,lon' or a kilometre post such as 'G1 K78 toward Changchun'",
    )
    time: str = Field(
        max_length=40,
        description="when it happened, China-local YYYY-MM-DDTHH:MM; within FLEETPLAN_TIME_WINDOW_DAYS "
        "(default 30) days before now, or of the timetable's days",
        examples=[LOCAL_MINUTE_EXAMPLE],
        json_schema_extra={"pattern": LOCAL_MINUTE},  # stated here, checked by the desk: a 400 naming the field
    )
    passengers: WholeNumber = Field(ge=0, le=100, description="passengers on board")
    kind: IncidentKind = IncidentKind.BREAKDOWN
    conditions: str = Field("clear", min_length=1, max_length=50, description="conditions preset")
    alternatives: WholeNumber = Field(3, ge=1, le=5, description="ranked plans wanted")
    trip_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="the trip, when the desk knows it: an id of the report's day, as GET /trips lists them",
    )


# A lifecycle time: the pattern is stated here and checked by the desk (a 400 naming the field)
MomentOrNow = Annotated[str, Field(max_length=40, json_schema_extra={"pattern": LOCAL_MINUTE_OR_NOW})] | None


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rank: WholeNumber = Field(1, ge=1, le=20, description="rank of the option to accept")
    joint_id: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[0-9a-f]*$",
        description="the joint plan the dispatcher saw (options.joint.id; empty: options planned alone). When "
        "given and the incident was planned again since (another report, plan together), 409 with its options now",
    )


class OnSceneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: MomentOrNow = Field(
        None, description="when the first rescuer reached the scene (YYYY-MM-DDTHH:MM; empty or absent: now)"
    )
    override_reason: FreeText | None = Field(
        None,
        max_length=500,
        pattern=NO_NUL,
        description="why the time is earlier than the accepted plan's first arrival allows (recorded with it); "
        "without a reason such a time is a 400",
    )
    source: Literal["desk", "gps"] = Field(
        "desk", description="gps: the time is the rescue coach's first fix within the scene (GET …/tracking)"
    )


class ResolvedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: MomentOrNow = Field(None, description="YYYY-MM-DDTHH:MM; empty or absent: now")
    note: FreeText = Field("", max_length=2000, pattern=NO_NUL)


class FollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: FreeText = Field(
        min_length=1,
        max_length=2000,
        pattern=WORDS,
        description="what the passengers said on the follow-up call (回访)",
    )


class VoidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: FreeText = Field(min_length=1, max_length=2000, pattern=WORDS)


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: FreeText = Field(min_length=1, max_length=2000, pattern=WORDS, description="why the plan is released")


# constraints on the integer itself, then the float-as-integer step around it: so the schema says minimum
IncidentNumber = Annotated[StrictInt, Ge(1), Le(2**31 - 1), BeforeValidator(_integral_float_as_int)]


class PlanTogetherIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    numbers: list[IncidentNumber] | None = Field(
        None,
        min_length=2,
        max_length=50,
        description="the incidents to plan together (at least two); absent: every open incident not yet accepted",
    )


class ReportOut(BaseModel):
    vehicle_id: str
    location: str
    passengers: int
    kind: str
    conditions: str
    trip_id: str | None = None
    alternatives: int | None = None
    scene: str | None = Field(
        None,
        description="where the road network placed the location: a node, a G1 kilometre post with its carriageway, "
        "or coordinates on a road. A lat,lon on G1 without 'toward Changchun|Siping' takes the nearer carriageway: "
        "check it here and report again with the direction if it is the other",
    )


class AcceptedOut(BaseModel):
    rank: int
    plan: PlanOut
    by: str
    at: str
    accepted_with: list[int] | None = Field(
        None, description="the other incidents whose joint plan was accepted in the same step (none when alone)"
    )


class FollowUpOut(BaseModel):
    at: str
    by: str
    note: str


class VoidedOut(BaseModel):
    at: str
    by: str
    reason: str


class ReleasedOut(BaseModel):
    at: str
    by: str
    reason: str
    rank: int | None = Field(description="the rank of the plan that was accepted and released")


class EntryOut(BaseModel):
    id: int
    kind: str
    at: str
    actor: str
    payload: dict[str, Any]


class PlanWarningOut(BaseModel):
    code: Literal["rescue_coach_broke_down", "rescue_coach_in_workshop"] = Field(
        description="a coach the accepted plan books broke down since, or was sent to the workshop since"
    )
    vehicle_id: str
    incident: int | None = Field(description="the incident it broke down in (null: sent to the workshop)")
    text: str
    text_zh: str


class IncidentOut(BaseModel):
    number: int = Field(description="the record number: sequential, no gaps, never reused")
    status: str
    reported_at: str
    report: ReportOut
    tier: str | None
    tier_name: str | None = Field(None, description="the tier in words, in English ('near-backup')")
    tier_name_zh: str | None = Field(None, description="the tier in words, in Chinese ('备车附近')")
    limit_min: int | None
    options: OptionsOut | None
    accepted: AcceptedOut | None = Field(
        description="the accepted plan in force; null before an accept and after its release"
    )
    released: ReleasedOut | None = Field(
        None, description="the release of the last accepted plan, while no plan is accepted again (entries keep it)"
    )
    on_scene_at: str | None
    response_min: float | None = Field(description="on-scene time minus reported time, minutes")
    within_limit: bool | None
    on_scene_override_reason: str | None = Field(
        None, description="why the on-scene time stands though the accepted plan could not be there so soon"
    )
    resolved_at: str | None
    follow_up: FollowUpOut | None
    voided: VoidedOut | None
    entries: list[EntryOut] | None = None
    messages: list[MessageOut] | None = Field(None, description="the outbox (with the entries): ready messages")
    warnings: list[PlanWarningOut] | None = Field(
        None,
        description="what no longer holds in its accepted plan: on GET /incidents/{number} and in the desk's list "
        "(GET /events, incidents); not on GET /incidents",
    )


class AcceptConflictBody(BaseModel):
    detail: str
    options: OptionsOut | None = Field(
        None,
        description="freshly computed options with the new bookings "
        "unavailable (none when the incident cannot be accepted)",
    )


# --------------------------------------------------------------------------- KPIs
class TierMonthOut(BaseModel):
    tier: str
    month: str = Field(description="YYYY-MM of the reported time")
    incidents: int = Field(description="incidents not voided")
    measured: int = Field(description="of which the on-scene time is recorded")
    reached_within_limit: int
    compliance: float | None = Field(description="reached_within_limit / measured")


class ResponseStatsOut(BaseModel):
    mean: float | None
    p90: float | None
    count: int


class KmBasisOut(BaseModel):
    period_from: str | None = Field(description="the query's from, else the first counted incident's day")
    period_to: str | None = Field(description="the query's to, else the last counted incident's day")
    km: float = Field(description="network route length of the trips the timetable's calendar runs in the period")
    incidents: int


class SetAsideOut(BaseModel):
    number: int
    reason: str = Field(description="why its on-scene time cannot have happened")


class KpisOut(BaseModel):
    by_tier_month: list[TierMonthOut]
    by_day: list[DayOut] = Field(description="per reported day with incidents, oldest first")
    by_tier: list[TierOut] = Field(description="every tier of the data (then any other recorded), in its order")
    response_min: ResponseStatsOut
    follow_up_rate: float | None = Field(description="followed-up / (resolved + followed-up), voided excluded")
    incidents_per_10k_km: float | None
    km_basis: KmBasisOut
    set_aside: list[SetAsideOut] = Field(
        description="incidents whose on-scene time cannot have happened: kept out of compliance and response times"
    )
    exercises: list[ExerciseOut] = Field(
        description="exercises of the period (reported ahead of the clock): left out of every KPI above"
    )
