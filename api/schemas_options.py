"""The dispatch view's response schemas (``fleetplan dispatch --json`` and an incident's options):
ranked plans, their assignments, the rejected candidates, the relaxations.

Every text a dispatcher reads is in English, with its Chinese sibling ``…_zh`` (issue #17); every
place id has its names beside it. The siblings are optional: options recorded before they existed
have none.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from fleetplan.plan import Objective

ZH = "the same in Chinese (zh)"  # the description of every ``…_zh`` sibling of an English text


class RestOnWayOut(BaseModel):
    place: str = Field(description="the rest place's id: a depot, stop, town or service-area parking on the way")
    place_name: str | None = Field(None, description="the rest place's name, in English")
    place_name_zh: str | None = Field(None, description="the rest place's name, in Chinese (name_zh)")
    at: str = Field(description="HH:MM the coach reaches it")
    rest_min: int


class RouteLinesOut(BaseModel):
    to_scene: list[list[float]] = Field(description="[lon, lat] points from the coach's origin to the scene")
    to_destination: list[list[float]] = Field(description="[lon, lat] points from the scene to the delivery stop")


class AssignmentOut(BaseModel):
    vehicle_id: str
    driver_id: str
    incident_id: str | None = Field(
        None,
        description="the incident whose passengers it takes (its number at the desk, cli-N from the command line; "
        "none on older records)",
    )
    route_id: str | None = Field(
        None,
        description="the route this assignment is part of when one coach collects several groups in turn (its "
        "stops are in the plan's routes); null for a coach serving one group",
    )
    origin: str | None = Field(description="the node id it sets out from ('on trip (c05)' for a passing coach)")
    origin_name: str | None = Field(
        None,
        description="where it sets out from, in English: the place's name, or 'on its trip T…' for a passing coach",
    )
    origin_name_zh: str | None = Field(None, description=ZH)
    depart_at: str
    scene_eta_min: float
    limit_min: int
    deadline: str | None = Field(
        None, description="HH:MM by which the passengers must be reached (pre-departure: departure plus the limit)"
    )
    late_min: int | None = Field(None, description="started minutes after the group's deadline; 0 in time")
    passengers: int
    destination: str = Field(description="the node id where it sets the passengers down")
    destination_name: str | None = Field(None, description="that place's name, in English")
    destination_name_zh: str | None = Field(None, description="that place's name, in Chinese (name_zh)")
    destination_arrival: str
    deadhead_km: float
    seats: int | None = None
    driver_hours_left_h: float | None = None
    rest_at_scene_min: int = Field(0, description="the driver's rest at the scene after the transfer, minutes")
    rest_on_way: RestOnWayOut | None = Field(None, description="the driver's rest on the way to the delivery stop")
    position: str = Field(
        "timetable",
        description="what placed the coach: 'GPS 07:41 at G1 K59.0 toward Changchun' (a fresh fix; a place by its "
        "name), 'timetable', or 'timetable (last fix 07:12, stale)'",
    )
    position_zh: str | None = Field(None, description=ZH)
    route: RouteLinesOut | None = Field(
        None, description="the roads driven, as the plan's times were computed on (none on older records)"
    )


class RecoveredTripOut(BaseModel):
    trip_id: str
    vehicle_id: str
    driver_id: str
    departure_shift_min: int


class LateGroupOut(BaseModel):
    passengers: int
    late_min: int


class PlanOutcomeOut(BaseModel):
    """The objective's passengers_not_reached split: reached late (by how much) and not reached at all."""

    reached_in_time: int
    reached_late: list[LateGroupOut] = Field(description="passengers reached after the deadline, by lateness")
    not_reached: int = Field(description="passengers no coach takes")


class IncidentOutcomeOut(BaseModel):
    """What one plan gives one incident, by the rule of ``outcome`` (reached by the deadline = in time)."""

    incident_id: str
    passengers: int = Field(description="passengers stranded")
    carried: int = Field(description="passengers given a seat by the plan's rescues")
    on_time: int = Field(description="of those, passengers reached within the limit")


class RouteStopOut(BaseModel):
    kind: Literal["depart", "pickup", "rest", "deliver"]
    place: str | None = Field(
        description="node id, or the scene as reported (a kilometre post, 'lat,lon'); null where a passing coach "
        "sets out on its trip"
    )
    place_name: str = Field(description="the place by its name, in English ('on its trip T…' for a passing coach)")
    place_name_zh: str | None = Field(None, description=ZH)
    at: str = Field(description="YYYY-MM-DDTHH:MM the coach sets out, reaches the stop or starts the rest")
    incident: str | None = Field(None, description="pickup and deliver: the incident whose passengers board or alight")
    passengers: int | None = Field(None, description="pickup and deliver: how many board or alight")
    rest_min: int | None = Field(None, description="rest: the driver's rest, minutes")


class RouteOut(BaseModel):
    """One rescue crew's route, stops in time order: depart, then each scene (pickup, any rest) and each
    delivery stop. A coach that collects several groups calls at several scenes; where two groups get off
    at one stop, that stop is listed once per group."""

    route_id: str | None = Field(None, description="the route's id when it serves several groups (else null)")
    vehicle_id: str
    driver_id: str
    stops: list[RouteStopOut]


class PlanOut(BaseModel):
    rank: int
    source: str
    objective: dict[str, int] = Field(
        description="the lexicographic terms, most important first: passengers_not_reached (everyone not "
        "reached within the limit: the late and those not reached at all; outcome splits them), "
        + ", ".join(Objective.term_names()[1:])
    )
    outcome: PlanOutcomeOut | None = None
    explanation: str = Field(description="one phrase per decision, '; '-separated, places by their names (English)")
    explanation_zh: str | None = Field(None, description=ZH + ", '；'-separated")
    why_below_first: str = Field("", description="why an alternative ranks below plan 1; empty for plan 1")
    why_below_first_zh: str | None = Field(None, description=ZH)
    assignments: list[AssignmentOut]
    incidents: list[IncidentOutcomeOut] | None = Field(
        None, description="per incident: passengers, carried and on_time (none on older records)"
    )
    routes: list[RouteOut] | None = Field(
        None,
        description="one per rescue crew, in the order of the assignments, its stops in time order (none on older "
        "records)",
    )
    recovered_trips: list[RecoveredTripOut]
    uncovered_trips: list[str]
    evaluator_problems: list[str] = []
    changed_because: str | None = Field(
        None,
        description="joint re-planning: why this incident's part of the first plan differs from the proposal "
        "before (the event that re-planned it and what changed), in English; absent when unchanged",
    )
    changed_because_zh: str | None = Field(None, description=ZH)


class RejectedOut(BaseModel):
    candidate: str = Field(description="a coach, a driver, or a crew 'c05+d12'")
    code: str = Field(description="the stable rejection code (seats, licence_class, rest_due, off_shift, …)")
    code_name: str | None = Field(None, description="the code in words, in English ('rest due')")
    code_name_zh: str | None = Field(None, description="the code in words, in Chinese ('需要休息')")
    reason: str = Field(description="why, in English, places by their names")
    reason_zh: str | None = Field(None, description=ZH)


class RelaxationOut(BaseModel):
    kind: str = Field(
        description="later_limit, relay, call_in, overtime, split, second_driver, closure_exemption or more_seats"
    )
    description: str = Field(description="what the dispatcher would arrange, in English")
    description_zh: str | None = Field(None, description=ZH)
    amount: int | None = Field(
        None,
        description="minutes for later_limit, minutes sooner for relay, drivers for call_in, overtime and "
        "second_driver, coaches for closure_exemption, seats for more_seats",
    )


class JointOut(BaseModel):
    id: str = Field(description="the joint dispatch: every incident's options of it carry the same id")
    incidents: list[int] = Field(description="the incidents planned together, by number")
    trigger: str = Field(description="what re-planned them, in English ('incident 13 was reported')")
    trigger_zh: str | None = Field(None, description=ZH)


class OptionsOut(BaseModel):
    """The decision record of one dispatch: inputs, candidates, rejections with reasons, ranked plans."""

    status: str = Field(
        description="optimal, feasible, greedy_fallback, infeasible, or disputed (the evaluator or the independent oracle disagrees with a claim of a plan: see its problems)"
    )
    solve_ms: int
    incidents: list[dict[str, Any]] = Field(
        [],
        description="each stranded group: incident_id, vehicle_id, trip_id, location (as reported) with "
        "location_name and location_name_zh, passengers, tier with tier_name and tier_name_zh, limit_min, deadline, "
        "reported_at, destination (node id) with destination_name and destination_name_zh",
    )
    plans: list[PlanOut]
    rejected: list[RejectedOut]
    bound: dict[str, int] | None = None
    reasons: list[str] = Field([], description="why no plan carries everyone (infeasible), or the greedy fallback")
    reasons_zh: list[str] | None = Field(None, description=ZH)
    relaxations: list[RelaxationOut] | None = Field(
        None, description="infeasible: each change that would on its own make it feasible"
    )
    candidates: list[dict[str, Any]] = Field(
        [],
        description="every crew considered: crew, kind, vehicle_id, driver_id, origin (node id, null for a passing "
        "coach) with origin_name and origin_name_zh, available_from, capacity",
    )
    inputs: dict[str, Any] = Field(
        default_factory=dict, description="conditions with closures, unavailable coaches and drivers, deadline"
    )
    planned_with: list[int] | None = Field(
        None,
        description="joint re-planning (issue 18 §3): the other incidents this plan was made together with; "
        "accepting an option accepts it for all of them. Absent for an incident planned alone",
    )
    joint: JointOut | None = Field(None, description="joint re-planning: the joint plan's id, incidents and trigger")
    more_options_coming: bool = Field(
        False,
        description="the best plan alone, stored at once because other reports were waiting (issue 18 §5); the "
        "other options asked for follow in a newer options entry when the desk is free, with the same first plan "
        "(and joint id) unless it changed, which its changed_because then says",
    )
