"""Contingency drills on the real dispatch path (issue 5 §3, DESIGN §1: a breakdown drill every quarter,
an accident drill every half year, a severe-weather drill every year).

A drill stages a :class:`DrillScenario` (incidents at fixed places and times, road conditions), sends
it through :func:`solver.dispatch.dispatch` exactly as the desk would, and scores the answer: was every
stranded passenger reached within the tier limit, how many minutes did the response take, did the
independent evaluator find anything. It also checks what the contingency plan expects of the system
for that kind of drill (closed roads avoided, the G102 detour taken, …). :func:`write_report` writes
the result as Markdown with a map.

Scenarios are drawn from the timetable with a seed, so a drill leader can run an unannounced drill
(any seed) or repeat one exactly (the same seed):

- **breakdown**: a coach on a weekday staff run breaks down on G1 at a random kilometre; the passengers
  wait on the shoulder, the coach's later trips of the day need another coach;
- **accident**: a coach on a Siping → Changchun run is in a collision between Gongzhuling and Fanjiatun
  (K63–K86); the coach cannot be driven, the Changchun-bound carriageway is closed beyond the wreck and
  debris closes the Siping-bound one alongside (closed edges), so the rescue leaves by the Fanjiatun
  exit and the G102;
- **blizzard**: every G1 entrance is closed (the coaches of the evening staff runs are on the G102),
  blizzard on G1, snow on G102, ice on city streets (≤30 km/h), and three of them break down at once
  on the G102 or in its towns.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.errors import InvalidValueError, NoRouteError, UnknownIdError
from fleetplan.geo import interpolate
from fleetplan.model import Conditions, Incident, IncidentKind, RoadClass, Trip, TripKind, Weather
from fleetplan.network import Direction, Location, Route, TravelTimes
from fleetplan.operations import OperationsPolicy
from fleetplan.units import format_hhmm, minutes

from solver.dispatch import Budget, Dispatch, SolveParams, Status, dispatch

DRILL_PARAMS = SolveParams(budget=Budget.wall_clock(2.0), alternatives=1)

ACCIDENT_KM = (63.0, 86.0)  # between the Gongzhuling service area and the Fanjiatun interchange
ACCIDENT_DIRECTION = Direction.TO_CHANGCHUN
BREAKDOWN_MARGIN_KM = 3.0  # keep a breakdown this far from either end of the G1 stretch a trip drives
BLIZZARD_BREAKDOWNS = 3
G102_TOWNS = ("guojiadian_town", "gongzhuling_city", "fanjiatun_town")
G102_PIECES = (("siping_ne_jct", "guojiadian_town"), ("guojiadian_town", "gongzhuling_city"),
               ("gongzhuling_city", "fanjiatun_town"), ("fanjiatun_town", "changchun_sw_jct"))


class DrillKind(StrEnum):
    BREAKDOWN = "breakdown"
    ACCIDENT = "accident"
    BLIZZARD = "blizzard"


# --------------------------------------------------------------------------- scenario
@dataclass(frozen=True)
class DrillScenario:
    """What happens in a drill: incidents at fixed places and times under fixed conditions."""

    kind: DrillKind
    seed: int
    title: str
    incidents: tuple[Incident, ...]
    conditions: Conditions
    narrative: str

    def __post_init__(self) -> None:
        if not self.incidents:
            raise InvalidValueError("incidents", "a drill needs at least one incident")
        if len({i.id for i in self.incidents}) != len(self.incidents):
            raise InvalidValueError("incidents", "incident ids must be unique")

    @property
    def waves(self) -> tuple[tuple[Incident, ...], ...]:
        """Incidents grouped by report time: each group is dispatched together, in time order."""
        by_time: dict[datetime, list[Incident]] = {}
        for incident in sorted(self.incidents, key=lambda i: (i.at, i.id)):
            by_time.setdefault(incident.at, []).append(incident)
        return tuple(tuple(group) for group in by_time.values())


def drill_scenario(kind: DrillKind | str, seed: int = 0, corridor: Corridor | None = None) -> DrillScenario:
    """The scenario of a ``kind`` drill drawn from the timetable with ``seed``.

    Raises
    ------
    InvalidValueError
        For an unknown kind, a negative seed, or a timetable without the trips the drill needs.
    """
    kind = _drill_kind(kind)
    if not isinstance(seed, int) or seed < 0:
        raise InvalidValueError("seed", f"{seed!r} must be a whole number ≥ 0")
    corridor = corridor or load_corridor()
    rng = random.Random(f"{kind.value}:{seed}")
    return _BUILDERS[kind](corridor, rng, seed)


def _drill_kind(kind: DrillKind | str) -> DrillKind:
    try:
        return DrillKind(kind)
    except ValueError:
        raise InvalidValueError("kind", f"{kind!r} is not a drill; choose {', '.join(k.value for k in DrillKind)}") from None


def _breakdown_scenario(corridor: Corridor, rng: random.Random, seed: int) -> DrillScenario:
    conditions = _preset(corridor, "clear", Conditions("clear"))
    trips = _trips_of(corridor, (TripKind.STAFF_MORNING, TripKind.STAFF_EVENING), weekdays_only=True)
    trip = rng.choice(trips)
    travel = TravelTimes(corridor.network, conditions, corridor.dataset.vehicle(trip.vehicle_id).vehicle_class)
    direction, low_km, high_km = _g1_stretch(corridor, travel, trip)
    km = round(rng.uniform(low_km + BREAKDOWN_MARGIN_KM, high_km - BREAKDOWN_MARGIN_KM), 1)
    where = f"G1 K{km:g} {direction.label}"
    at = _passing_time(corridor, travel, trip, where)
    incident = Incident(f"breakdown-{seed}-1", IncidentKind.BREAKDOWN, trip.vehicle_id, trip.id, where, at,
                        trip.booked_passengers)
    narrative = (f"{_coach(corridor, trip.vehicle_id)} on trip {trip.id} breaks down at {where} at {format_hhmm(at)} "
                 f"on {at:%A %d %B %Y} with {trip.booked_passengers} passengers on board. The driver sets the "
                 f"warning triangle 150 m behind, moves the passengers behind the barrier and calls the desk.")
    return DrillScenario(DrillKind.BREAKDOWN, seed, "Quarterly breakdown drill", (incident,), conditions, narrative)


def _accident_scenario(corridor: Corridor, rng: random.Random, seed: int) -> DrillScenario:
    trips = _trips_of(corridor, (TripKind.STAFF_EVENING, TripKind.STUDENT_FRIDAY), weekdays_only=True)
    trip = rng.choice(trips)
    km = round(rng.uniform(*ACCIDENT_KM), 1)
    where = f"G1 K{km:g} {ACCIDENT_DIRECTION.label}"
    closed = accident_closures(corridor, km, ACCIDENT_DIRECTION)
    clear = _preset(corridor, "clear", Conditions("clear"))
    conditions = Conditions(
        "accident_drill", weather=clear.weather, closed_edges=closed,
        description=f"collision at {where}: the carriageway is closed beyond the wreck and debris closes the "
                    f"opposite carriageway alongside")
    travel = TravelTimes(corridor.network, clear, corridor.dataset.vehicle(trip.vehicle_id).vehicle_class)
    at = _passing_time(corridor, travel, trip, where)
    incident = Incident(f"accident-{seed}-1", IncidentKind.ACCIDENT, trip.vehicle_id, trip.id, where, at,
                        trip.booked_passengers, drivable=False)
    roads = ", ".join(f"{u} → {v}" for u, v in sorted(closed))
    narrative = (f"{_coach(corridor, trip.vehicle_id)} on trip {trip.id} is in a collision at {where} at "
                 f"{format_hhmm(at)} on {at:%A %d %B %Y} with {trip.booked_passengers} passengers on board; nobody "
                 f"is hurt, the coach cannot be driven. Police close the carriageway ahead of the wreck and the "
                 f"opposite carriageway alongside (closed: {roads}).")
    return DrillScenario(DrillKind.ACCIDENT, seed, "Half-yearly traffic-accident drill", (incident,), conditions,
                         narrative)


def _blizzard_scenario(corridor: Corridor, rng: random.Random, seed: int) -> DrillScenario:
    conditions = blizzard_conditions(corridor)
    evening = _trips_of(corridor, (TripKind.STAFF_EVENING,), weekdays_only=True)
    days = sorted({t.departure.date() for t in evening})
    day = rng.choice(days)
    trips = sorted((t for t in evening if t.departure.date() == day), key=lambda t: t.departure)
    if len(trips) < BLIZZARD_BREAKDOWNS:
        raise InvalidValueError("trips", f"the blizzard drill needs {BLIZZARD_BREAKDOWNS} evening runs on one day")
    chosen = sorted(rng.sample(trips, BLIZZARD_BREAKDOWNS), key=lambda t: t.id)
    places = rng.sample(g102_places(corridor), BLIZZARD_BREAKDOWNS)
    latest_departure = max(t.departure for t in chosen)
    at = latest_departure + timedelta(minutes=rng.randrange(35, 66, 5))
    incidents = tuple(Incident(f"blizzard-{seed}-{n}", IncidentKind.WEATHER, trip.vehicle_id, trip.id, place, at,
                               trip.booked_passengers)
                      for n, (trip, place) in enumerate(zip(chosen, places), start=1))
    where = "; ".join(f"{_coach(corridor, i.vehicle_id)} at {_place_name(corridor, i.location)}" for i in incidents)
    narrative = (f"A blizzard closes every G1 entrance between Siping and Changchun on {day:%A %d %B %Y}. The "
                 f"evening staff runs leave the campus on the G102 instead; the streets are icy. At "
                 f"{format_hhmm(at)} three coaches report breakdowns at once: {where}.")
    return DrillScenario(DrillKind.BLIZZARD, seed, "Yearly severe-weather (blizzard) drill", incidents, conditions,
                         narrative)


_BUILDERS = {
    DrillKind.BREAKDOWN: _breakdown_scenario,
    DrillKind.ACCIDENT: _accident_scenario,
    DrillKind.BLIZZARD: _blizzard_scenario,
}


def blizzard_conditions(corridor: Corridor) -> Conditions:
    """The dataset's ``blizzard`` preset, or the same conditions if the dataset lacks it: all G1
    entrances closed, blizzard on G1 and its ramps, snow on G102, ice on city streets."""
    return _preset(corridor, "blizzard", Conditions(
        "blizzard",
        weather=((RoadClass.EXPRESSWAY, Weather.BLIZZARD), (RoadClass.RAMP, Weather.BLIZZARD),
                 (RoadClass.NATIONAL, Weather.SNOW), (RoadClass.CITY, Weather.ICE)),
        closed_entrances=frozenset({"*"}),
        description="Blizzard on G1: all G1 entrances closed, G102 snowy, streets icy"))


def accident_closures(corridor: Corridor, km: float, direction: Direction) -> frozenset[tuple[str, str]]:
    """The closed edges of an accident at ``km`` heading ``direction``.

    The wreck blocks its own carriageway from the scene on; the network cannot close part of an edge,
    so the next section beyond the scene's edge is closed (the rescue leaves by the exit at the end of
    the scene's edge) together with the opposite carriageway's edge alongside the scene.

    Raises
    ------
    InvalidValueError
        If the scene's edge does not end at an interchange (the rescue could not leave the expressway).
    """
    network = corridor.network
    scene = network.locate(f"G1 K{km:g} {direction.label}")
    own = scene.edge_points[0]
    end = network.graph.nodes[own.v]
    ahead = [(own.v, v) for v in network.graph.successors(own.v)
             if network.graph.edges[own.v, v].get("direction") == direction]
    exits = [v for v in network.graph.successors(own.v) if network.graph.edges[own.v, v].get("direction") is None
             and network.graph.nodes[v].get("kind") not in ("parking", "carriageway")]
    if not exits:
        raise InvalidValueError("km", f"K{km:g} {direction.label} does not end at an exit: {end.get('name', own.v)}")
    opposite = network.locate(f"G1 K{km:g} {direction.opposite.label}").edge_points[0]
    return frozenset(ahead + [opposite.edge])


def g102_places(corridor: Corridor) -> list[str]:
    """Location texts on the G102 and in its towns: the towns and the middle of each G102 section."""
    network = corridor.network
    places = [town for town in G102_TOWNS if network.has_node(town)]
    for u, v in G102_PIECES:
        if network.graph.has_edge(u, v):
            a, b = network.graph.nodes[u], network.graph.nodes[v]
            lat, lon = interpolate(a["lat"], a["lon"], b["lat"], b["lon"], 0.5)
            places.append(f"{lat:.5f},{lon:.5f}")
    if len(places) < BLIZZARD_BREAKDOWNS:
        raise InvalidValueError("network", "the network has too few G102 places for the blizzard drill")
    return places


def _preset(corridor: Corridor, name: str, fallback: Conditions) -> Conditions:
    try:
        return corridor.dataset.conditions_named(name)
    except UnknownIdError:
        return fallback


def _trips_of(corridor: Corridor, kinds: Sequence[TripKind], weekdays_only: bool) -> list[Trip]:
    trips = sorted((t for t in corridor.dataset.trips if t.kind in kinds
                    and (not weekdays_only or t.departure.weekday() < 5)), key=lambda t: t.id)
    if not trips:
        raise InvalidValueError("trips", f"the timetable has no {' or '.join(k.value for k in kinds)} trips")
    return trips


def _g1_stretch(corridor: Corridor, travel: TravelTimes, trip: Trip) -> tuple[Direction, float, float]:
    """Direction and kilometre range of the G1 the trip drives."""
    graph = corridor.network.graph
    kms, direction = [], None
    for here, there in zip(trip.stops, trip.stops[1:]):
        route = travel.route(here.node_id, there.node_id, here.planned)
        for u, v in zip(route.path, route.path[1:]):
            data = graph.edges[u, v]
            if data.get("direction") is not None:
                direction = data["direction"]
                kms += [data["km_from"], data["km_to"]]
    if direction is None or max(kms) - min(kms) <= 2 * BREAKDOWN_MARGIN_KM:
        raise InvalidValueError("trips", f"trip {trip.id} does not drive the G1")
    return direction, min(kms), max(kms)


def _passing_time(corridor: Corridor, travel: TravelTimes, trip: Trip, where: str) -> datetime:
    """When the trip passes ``where`` (the leg that reaches it soonest), to the minute."""
    scene = corridor.network.locate(where)
    for here, there in zip(trip.stops, trip.stops[1:]):
        leg = travel.route(here.node_id, there.node_id, here.planned)
        if corridor.network.path_passes(leg.path, scene):
            reached = here.planned + timedelta(seconds=travel.route(here.node_id, scene, here.planned).travel_time_s)
            return reached.replace(second=0, microsecond=0)
    raise InvalidValueError("location", f"trip {trip.id} does not pass {where}")


def _coach(corridor: Corridor, vehicle_id: str) -> str:
    vehicle = corridor.dataset.vehicle(vehicle_id)
    return f"coach {vehicle.id} ({vehicle.plate})"


def _place_name(corridor: Corridor, location: str) -> str:
    network = corridor.network
    if network.has_node(location):
        return network.node_name(location)
    return f"{network.locate(location).describe()}"


# --------------------------------------------------------------------------- report
@dataclass(frozen=True)
class RescueLeg:
    """One rescuing coach: where from, when, and the roads it drives."""

    incident_id: str
    vehicle_id: str
    driver_id: str
    origin: str
    depart_at: datetime
    scene_arrival: datetime
    passengers: int
    late_s: int
    to_scene_roads: tuple[str, ...]
    onward_roads: tuple[str, ...]
    to_scene_nodes: tuple[str, ...]  # nodes passed on the way to the scene
    onward_nodes: tuple[str, ...]  # nodes passed from the scene to the destination
    to_scene_path: tuple[tuple[float, float], ...]  # (lat, lon) for maps
    onward_path: tuple[tuple[float, float], ...]
    clear_weather_s: int | None  # the same drive to the scene in clear weather (None for a passing coach)

    @property
    def response_s(self) -> int:
        return int((self.scene_arrival - self.depart_at).total_seconds())


@dataclass(frozen=True)
class IncidentScore:
    """How the response to one incident measured against its tier limit."""

    incident_id: str
    vehicle_id: str
    location: str
    reported_at: datetime
    tier: str
    limit_s: int
    passengers: int
    passengers_carried: int
    passengers_within_limit: int
    response_s: int | None  # report to the last rescuing coach on scene; None if nobody goes
    rescuers: tuple[str, ...]

    @property
    def within_limit(self) -> bool:
        return self.passengers_within_limit == self.passengers


@dataclass(frozen=True)
class Check:
    """One thing the contingency plan expects of the system in this drill."""

    name: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class DrillReport:
    scenario: DrillScenario
    dispatches: tuple[Dispatch, ...]  # one per wave
    scores: tuple[IncidentScore, ...]
    legs: tuple[RescueLeg, ...]
    checks: tuple[Check, ...]
    problems: tuple[str, ...]  # the evaluator's findings on the chosen plans (empty = sound)
    uncovered_trips: tuple[str, ...]
    recovered_trips: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Every check passed (the limits themselves are scored, not checked)."""
        return all(check.passed for check in self.checks)

    @property
    def share_within_limit(self) -> float:
        total = sum(s.passengers for s in self.scores)
        return sum(s.passengers_within_limit for s in self.scores) / total if total else 1.0

    @property
    def statuses(self) -> tuple[Status, ...]:
        return tuple(d.result.status for d in self.dispatches)


def run_drill(kind: DrillKind | str, seed: int = 0, corridor: Corridor | None = None,
              params: SolveParams = DRILL_PARAMS, ops: OperationsPolicy = OperationsPolicy()) -> DrillReport:
    """Stage the ``kind`` drill drawn with ``seed``, dispatch it through the real path and score it.

    Parameters
    ----------
    kind
        ``breakdown``, ``accident`` or ``blizzard``.
    seed
        Picks the trip, place and time from the timetable; the same seed repeats the drill exactly.
    corridor
        Dataset and network (default: :func:`fleetplan.corridor.load_corridor`).
    params
        Dispatch solver parameters (its seed is set to ``seed``).

    Returns
    -------
    DrillReport
    """
    corridor = corridor or load_corridor()
    scenario = drill_scenario(kind, seed, corridor)
    return run_scenario(scenario, corridor, params, ops)


def run_scenario(scenario: DrillScenario, corridor: Corridor, params: SolveParams = DRILL_PARAMS,
                 ops: OperationsPolicy = OperationsPolicy()) -> DrillReport:
    """Dispatch a scenario wave by wave (coaches and drivers sent earlier are busy later) and score it."""
    params = replace(params, seed=scenario.seed)
    busy: dict[str, str] = {}
    outcomes = []
    for wave in scenario.waves:
        outcome = dispatch(corridor, wave, scenario.conditions, ops=ops, params=params,
                           unavailable=MappingProxyType(dict(busy)))
        outcomes.append(outcome)
        best = outcome.result.best
        for rescue in (best.rescues if best else ()):
            reason = f"busy with drill incident {outcome.instance.group(rescue.group_id).incident_id}"
            busy.setdefault(rescue.vehicle_id, reason)
            busy.setdefault(rescue.driver_id, reason)
    scores = tuple(score for outcome in outcomes for score in score_dispatch(outcome))
    legs = tuple(leg for outcome in outcomes for leg in rescue_legs(outcome, corridor, ops))
    problems = tuple(problem.message for outcome in outcomes
                     for problem in (outcome.problems[0] if outcome.problems else ()))
    plans = [o.result.best for o in outcomes if o.result.best]
    report = DrillReport(scenario, tuple(outcomes), scores, legs, (), problems,
                         tuple(t for p in plans for t in p.uncovered_trip_ids),
                         tuple(c.trip_id for p in plans for c in p.trip_covers))
    return replace(report, checks=drill_checks(report, corridor))


def score_dispatch(outcome: Dispatch) -> list[IncidentScore]:
    """Each incident of a dispatch against its tier limit, from the best plan."""
    instance, plan = outcome.instance, outcome.result.best
    scores = []
    for group in instance.groups:
        rescues = [r for r in (plan.rescues if plan else ()) if r.group_id == group.id and r.passengers > 0]
        carried = sum(r.passengers for r in rescues)
        in_time = sum(r.passengers for r in rescues if r.scene_arrival <= group.deadline)
        response = max((int((r.scene_arrival - group.reported_at).total_seconds()) for r in rescues), default=None)
        scores.append(IncidentScore(group.incident_id, group.failed_vehicle_id, group.scene_text, group.reported_at,
                                    group.tier, group.limit_s, group.passengers, carried, in_time, response,
                                    tuple(r.vehicle_id for r in rescues)))
    return scores


def rescue_legs(outcome: Dispatch, corridor: Corridor, ops: OperationsPolicy = OperationsPolicy()) -> list[RescueLeg]:
    """The roads each rescuing coach of the best plan drives, re-routed on the network."""
    instance, plan = outcome.instance, outcome.result.best
    if plan is None:
        return []
    clear = _preset(corridor, "clear", Conditions("clear"))
    legs = []
    for rescue in plan.rescues:
        group = instance.group(rescue.group_id)
        vehicle_class = corridor.dataset.vehicle(rescue.vehicle_id).vehicle_class
        travel = TravelTimes(corridor.network, instance.conditions, vehicle_class)
        to_scene = clear_s = None
        if corridor.network.has_node(rescue.origin_node):
            to_scene = travel.route(rescue.origin_node, group.scene, rescue.depart_at)
            clear_s = _route_s(TravelTimes(corridor.network, clear, vehicle_class), rescue.origin_node, group.scene,
                               rescue.depart_at)
        leave_scene = rescue.boarding_at + timedelta(seconds=ops.transfer_s)
        onward = travel.route(group.scene, group.destination_node, leave_scene)
        late_s = max(0, int((rescue.scene_arrival - group.deadline).total_seconds()))
        legs.append(RescueLeg(
            group.incident_id, rescue.vehicle_id, rescue.driver_id, rescue.origin_node, rescue.depart_at,
            rescue.scene_arrival, rescue.passengers, late_s, to_scene.roads if to_scene else (), onward.roads,
            to_scene.path if to_scene else (), onward.path, _path_points(corridor, to_scene) if to_scene else (), _path_points(corridor, onward), clear_s))
    return legs


def _route_s(travel: TravelTimes, origin: str, scene: Location, depart_at: datetime) -> int | None:
    try:
        return travel.route(origin, scene, depart_at).travel_time_s
    except NoRouteError:
        return None


def _path_points(corridor: Corridor, route: Route) -> tuple[tuple[float, float], ...]:
    network = corridor.network
    points = [] if route.origin.node_id else [(route.origin.lat, route.origin.lon)]
    points += [network.node_lat_lon(node) for node in route.path]
    if not route.destination.node_id:
        points.append((route.destination.lat, route.destination.lon))
    return tuple(points)


# --------------------------------------------------------------------------- checks
def drill_checks(report: DrillReport, corridor: Corridor) -> tuple[Check, ...]:
    """What the contingency plan expects of the system: common checks plus the drill kind's own."""
    checks = [_answered(report), _sound(report), _all_carried(report)]
    kind = report.scenario.kind
    if kind == DrillKind.BREAKDOWN:
        checks += [_later_trips_recovered(report)]
    elif kind == DrillKind.ACCIDENT:
        checks += [_closed_roads_avoided(report, corridor), _detour_taken(report)]
    elif kind == DrillKind.BLIZZARD:
        checks += [_no_g1(report), _detour_taken(report), _distinct_rescuers(report), _slower_than_clear(report)]
    return tuple(checks)


def _answered(report: DrillReport) -> Check:
    statuses = [s.value for s in report.statuses]
    ok = all(s in (Status.OPTIMAL, Status.FEASIBLE) for s in report.statuses)
    return Check("the dispatch answered with a solver plan", ok, f"status {', '.join(statuses)}")


def _sound(report: DrillReport) -> Check:
    return Check("the independent evaluator finds no problem in the plan", not report.problems,
                 "; ".join(report.problems) or "no problems")


def _all_carried(report: DrillReport) -> Check:
    left = [f"{s.incident_id}: {s.passengers - s.passengers_carried}" for s in report.scores
            if s.passengers_carried < s.passengers]
    return Check("every stranded passenger is collected", not left, "; ".join(left) or
                 f"{sum(s.passengers for s in report.scores)} passengers collected")


def _later_trips_recovered(report: DrillReport) -> Check:
    failed = {i.vehicle_id for i in report.scenario.incidents}
    tasks = [t.trip_id for d in report.dispatches for t in d.instance.trip_tasks if t.planned_vehicle_id in failed]
    left = [t for t in tasks if t in report.uncovered_trips]
    return Check("the failed coach's later trips are re-covered", not left,
                 f"uncovered: {', '.join(left)}" if left else (f"re-covered: {', '.join(tasks)}" if tasks
                                                               else "no later trip within the horizon"))


def _closed_roads_avoided(report: DrillReport, corridor: Corridor) -> Check:
    closed = report.scenario.conditions.closed_edges
    used = []
    for leg in report.legs:  # a scene on an edge is never on a closed edge, so the node paths tell all
        for nodes in (leg.to_scene_nodes, leg.onward_nodes):
            used += [f"{leg.vehicle_id}: {u} → {v}" for u, v in zip(nodes, nodes[1:]) if (u, v) in closed]
    return Check("no rescue drives a closed carriageway", not used and bool(report.legs),
                 "; ".join(used) or f"{len(closed)} closed section(s) avoided")


def _detour_taken(report: DrillReport) -> Check:
    missing = [leg.vehicle_id for leg in report.legs if "G102" not in leg.to_scene_roads + leg.onward_roads]
    return Check("the rescue takes the G102 detour", not missing and bool(report.legs),
                 f"not on G102: {', '.join(missing)}" if missing else
                 "; ".join(f"{leg.vehicle_id}: {' → '.join(leg.to_scene_roads + ('scene',) + leg.onward_roads)}"
                           for leg in report.legs))


def _no_g1(report: DrillReport) -> Check:
    on_g1 = [leg.vehicle_id for leg in report.legs if "G1" in leg.to_scene_roads + leg.onward_roads]
    return Check("no rescue enters the closed G1", not on_g1 and bool(report.legs),
                 f"on G1: {', '.join(on_g1)}" if on_g1 else "all rescues stay off G1")


def _distinct_rescuers(report: DrillReport) -> Check:
    vehicles = [leg.vehicle_id for leg in report.legs]
    incidents = {s.incident_id for s in report.scores if s.rescuers}
    ok = len(vehicles) == len(set(vehicles)) and len(incidents) == len(report.scores)
    return Check("simultaneous breakdowns get their own coaches", ok,
                 ", ".join(f"{s.incident_id}: {'+'.join(s.rescuers) or 'none'}" for s in report.scores))


def _slower_than_clear(report: DrillReport) -> Check:
    compared = [leg for leg in report.legs if leg.clear_weather_s is not None]
    slower = [leg for leg in compared if leg.response_s > leg.clear_weather_s]
    return Check("ice and snow slow every rescue down", bool(compared) and len(slower) == len(compared),
                 "; ".join(f"{leg.vehicle_id}: {minutes(leg.response_s):.0f} min (clear "
                           f"{minutes(leg.clear_weather_s):.0f} min)" for leg in compared))


# --------------------------------------------------------------------------- writing it down
def report_markdown(report: DrillReport, map_name: str | None = None) -> str:
    """The drill report as Markdown."""
    scenario = report.scenario
    lines = [f"# {scenario.title} — seed {scenario.seed}", "",
             f"**Verdict:** {'all checks passed' if report.passed else 'SOME CHECKS FAILED'}; "
             f"{report.share_within_limit:.0%} of stranded passengers reached within their tier limit.", "",
             "## Scenario", "", scenario.narrative, "",
             f"Conditions: `{scenario.conditions.name}` — {scenario.conditions.description or 'as preset'}.", ""]
    if map_name:
        lines += [f"![map of the drill]({map_name})", ""]
    lines += ["## Scores against the tier limits", "",
              "| incident | coach | where | reported | tier | limit | passengers | response | within limit |",
              "|---|---|---|---|---|---|---|---|---|"]
    for s in report.scores:
        response = f"{minutes(s.response_s):.0f} min" if s.response_s is not None else "—"
        lines.append(f"| {s.incident_id} | {s.vehicle_id} | {s.location} | {format_hhmm(s.reported_at)} | {s.tier} | "
                     f"{s.limit_s // 60} min | {s.passengers} | {response} | "
                     f"{'yes' if s.within_limit else f'no ({s.passengers_within_limit}/{s.passengers})'} |")
    lines += ["", "## Rescues", "",
              "| incident | coach | driver | from | leaves | on scene | passengers | late | roads |",
              "|---|---|---|---|---|---|---|---|---|"]
    for leg in report.legs:
        roads = " → ".join(leg.to_scene_roads + ("scene",) + leg.onward_roads)
        lines.append(f"| {leg.incident_id} | {leg.vehicle_id} | {leg.driver_id} | {leg.origin} | "
                     f"{format_hhmm(leg.depart_at)} | {format_hhmm(leg.scene_arrival)} | {leg.passengers} | "
                     f"{minutes(leg.late_s):.0f} min | {roads} |")
    if report.recovered_trips or report.uncovered_trips:
        lines += ["", f"Later trips re-covered: {', '.join(report.recovered_trips) or 'none'}; "
                      f"left uncovered: {', '.join(report.uncovered_trips) or 'none'}."]
    lines += ["", "## Checks", ""]
    lines += [f"- [{'x' if c.passed else ' '}] {c.name} — {c.detail}" for c in report.checks]
    lines += ["", "## Dispatch", ""]
    for outcome in report.dispatches:
        result = outcome.result
        lines.append(f"- status `{result.status.value}` in {result.solve_ms} ms; "
                     f"{len(outcome.instance.rejections)} candidates rejected with a reason")
        lines += [f"  - relaxation: {r.description}" for r in result.relaxations[:5]]
        lines += [f"  - {reason}" for reason in result.reasons]
    lines += ["", "Follow-up: call every passenger back (回访) and file this report with the service records.", ""]
    return "\n".join(lines)


def write_report(report: DrillReport, out_dir: Path | str, corridor: Corridor | None = None) -> Path:
    """Write ``<kind>_drill_seed<S>.md`` and its map ``…_map.png`` into ``out_dir``; return the Markdown path."""
    from matplotlib.figure import Figure  # no pyplot: leaves a notebook's backend alone

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{report.scenario.kind.value}_drill_seed{report.scenario.seed}"
    map_path = out / f"{stem}_map.png"
    figure = Figure(figsize=(8, 7))
    draw_map(report, corridor or load_corridor(), figure.subplots())
    figure.tight_layout()
    figure.savefig(map_path, dpi=110)
    markdown = out / f"{stem}.md"
    markdown.write_text(report_markdown(report, map_path.name), encoding="utf-8")
    return markdown


def draw_map(report: DrillReport, corridor: Corridor, ax):
    """Draw the corridor, closures, sites, scenes and rescue routes (solid to the scene, dotted onward)."""
    import matplotlib

    _draw_network(ax, corridor, report.scenario.conditions)
    for site in corridor.dataset.sites:
        ax.plot(site.lon, site.lat, "s", color="tab:blue", markersize=7)
        ax.annotate(site.id, (site.lon, site.lat), fontsize=7, xytext=(4, -8), textcoords="offset points")
    colours = matplotlib.colormaps["tab10"]
    for n, leg in enumerate(report.legs):
        colour = colours((n + 2) % 10)
        if leg.to_scene_path:
            lats, lons = zip(*leg.to_scene_path)
            ax.plot(lons, lats, "-", color=colour, linewidth=2.5, label=f"{leg.vehicle_id} → {leg.incident_id}")
        lats, lons = zip(*leg.onward_path)
        ax.plot(lons, lats, ":", color=colour, linewidth=2)
    for group in (g for d in report.dispatches for g in d.instance.groups):
        ax.plot(group.scene.lon, group.scene.lat, "X", color="red", markersize=12)
        ax.annotate(group.incident_id, (group.scene.lon, group.scene.lat), color="red", fontsize=8,
                    xytext=(5, 5), textcoords="offset points")
    ax.set_title(f"{report.scenario.title} (seed {report.scenario.seed})")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect(1 / 0.73)  # ≈ 1/cos(43°): keep distances honest
    if report.legs:
        ax.legend(loc="upper left", fontsize=7)
    return ax


def _draw_network(ax, corridor: Corridor, conditions: Conditions) -> None:
    graph = corridor.network.graph
    styles = {RoadClass.EXPRESSWAY: ("0.55", 1.2), RoadClass.NATIONAL: ("tab:brown", 1.2),
              RoadClass.CITY: ("0.75", 0.8), RoadClass.RAMP: ("0.8", 0.5)}
    for u, v, data in graph.edges(data=True):
        a, b = graph.nodes[u], graph.nodes[v]
        colour, width = styles[data["road_class"]]
        closed = (u, v) in conditions.closed_edges or \
            bool(data.get("entrance")) and conditions.entrance_closed(data["entrance"])
        ax.plot([a["lon"], b["lon"]], [a["lat"], b["lat"]], "--" if closed else "-",
                color="red" if closed else colour, linewidth=2.0 if closed else width,
                zorder=3 if closed else 1)  # closures stay visible over the routes


def drill_view(report: DrillReport, report_path: Path | None = None) -> dict:
    """The JSON form of a drill (``fleetplan drill --json``)."""
    return {
        "kind": report.scenario.kind.value, "seed": report.scenario.seed, "title": report.scenario.title,
        "passed": report.passed, "share_within_limit": report.share_within_limit,
        "narrative": report.scenario.narrative, "conditions": report.scenario.conditions.name,
        "incidents": [{"incident_id": s.incident_id, "vehicle_id": s.vehicle_id, "location": s.location,
                       "reported_at": s.reported_at.isoformat(timespec="minutes"), "tier": s.tier,
                       "limit_min": s.limit_s // 60, "passengers": s.passengers,
                       "passengers_within_limit": s.passengers_within_limit,
                       "response_min": None if s.response_s is None else round(minutes(s.response_s), 1),
                       "within_limit": s.within_limit, "rescuers": list(s.rescuers)} for s in report.scores],
        "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in report.checks],
        "evaluator_problems": list(report.problems),
        "report": str(report_path) if report_path else None,
    }


def drill_text(report: DrillReport, report_path: Path | None = None) -> str:
    """A short summary for the terminal."""
    lines = [f"{report.scenario.title}, seed {report.scenario.seed}: "
             f"{'all checks passed' if report.passed else 'SOME CHECKS FAILED'}",
             report.scenario.narrative]
    for s in report.scores:
        response = f"{minutes(s.response_s):.0f} min" if s.response_s is not None else "nobody sent"
        lines.append(f"  {s.incident_id}: {s.passengers} passengers, tier {s.tier} ({s.limit_s // 60} min): "
                     f"{response}, {'within' if s.within_limit else 'BEYOND'} the limit")
    lines += [f"  [{'ok' if c.passed else 'FAIL'}] {c.name}" for c in report.checks]
    if report_path:
        lines.append(f"report: {report_path}")
    return "\n".join(lines)
