"""Check a whole plan against the oracle: every rescue and cover, then what only the whole plan shows
(passengers per group, a coach or driver in two tasks at once, trips covered twice or lost, and every
term of the objective from the oracle's own tiers, times and routes).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from fleetplan.oracle.case import Case, Claim, Disagreement
from fleetplan.oracle.check_cover import CoverFacts, check_cover
from fleetplan.oracle.check_rescue import check_rescue
from fleetplan.oracle.check_route import check_route
from fleetplan.oracle.deadlines import tier_verdict
from fleetplan.oracle.facts import Facts
from fleetplan.oracle.objective import other_terms
from fleetplan.oracle.rescue_common import RescueFacts, tolerance_s
from fleetplan.oracle.roads import Graph, build_graph
from fleetplan.oracle.speed import to_s
from fleetplan.oracle.world import World
from fleetplan.plan import Plan

Task = tuple[datetime, datetime, str]  # start, end, what


def check_plan(
    world: World, case: Case, plan: Plan, rank: int = 1, *, graph: Graph | None = None, facts: Facts | None = None
) -> tuple[Disagreement, ...]:
    """Every claim of ``plan`` the oracle does not confirm.

    Parameters
    ----------
    world
        The oracle's world (:func:`~fleetplan.oracle.read_world` or
        :func:`~fleetplan.oracle.world_from_dataset`).
    case
        The incident(s), conditions, unavailable ids and operations constants the plan answers.
    plan
        The plan.
    rank
        Its rank among the plans of one dispatch (1 = best), named in every disagreement.
    graph
        The oracle's road graph of ``world`` when the caller has built it already.
    facts
        What follows from ``world`` and ``case`` when the caller has it already (its routes are
        remembered, so the plans of one dispatch share them).

    Returns
    -------
    tuple of Disagreement
        Empty when the oracle confirms every claim.
    """
    facts = facts if facts is not None else Facts.of(world, case, graph)
    # the trips the plan gives to another crew or leaves uncovered: their planned crews no longer drive them
    taken_away = frozenset(c.trip_id for c in plan.trip_covers) | frozenset(plan.uncovered_trip_ids)
    found: list[Disagreement] = []
    rescues = []
    for rescue in (r for r in plan.rescues if not getattr(r, "route_id", "")):
        more, derived = check_rescue(facts, Claim(rank, f"rescue {rescue.option_id}"), rescue, taken_away)
        found += more
        rescues.append(derived)
    more, parts = routes(facts, rank, plan, taken_away)
    found += more
    rescues += parts
    by_coach = {r.rescue.vehicle_id: r for r in reversed(rescues)}  # a coach's first rescue
    covers = []
    for cover in plan.trip_covers:
        more, derived_cover = check_cover(facts, Claim(rank, f"cover {cover.option_id}"), cover, by_coach, taken_away)
        found += more
        covers.append(derived_cover)
    return tuple(found + whole_plan(facts, Claim(rank, "plan"), plan, rescues, covers, taken_away))


def routes(
    facts: Facts, rank: int, plan: Plan, taken_away: frozenset[str]
) -> tuple[list[Disagreement], list[RescueFacts]]:
    """Every route of the plan stop by stop (:mod:`~fleetplan.oracle.check_route`), and the rescues
    that name a route the plan does not hold."""
    found: list[Disagreement] = []
    derived: list[RescueFacts] = []
    held = {route.id for route in getattr(plan, "routes", ())}
    for rescue in (r for r in plan.rescues if getattr(r, "route_id", "") and r.route_id not in held):
        reason = f"names route {rescue.route_id}, which the plan does not hold"
        found.append(
            Claim(rank, f"rescue {rescue.option_id}").disagree(
                "route_id", rescue.route_id, "none", "route_parts", reason
            )
        )
    for route in getattr(plan, "routes", ()):
        order = [stop.group_ids[0] for stop in route.stops if stop.kind == "pickup"]
        parts = [r for r in plan.rescues if getattr(r, "route_id", "") == route.id]
        parts.sort(key=lambda r: order.index(r.group_id) if r.group_id in order else len(order))  # call order
        more, facts_of_parts = check_route(facts, Claim(rank, f"route {route.id}"), route, parts, taken_away)
        found += more
        derived += facts_of_parts
    return found, derived


def whole_plan(
    facts: Facts,
    claim: Claim,
    plan: Plan,
    rescues: list[RescueFacts],
    covers: list[CoverFacts],
    taken_away: frozenset[str],
) -> list[Disagreement]:
    """What only the whole plan shows."""
    found = group_totals(facts, claim, plan)
    found += overlapping_tasks(facts, claim, rescues, covers, taken_away)
    found += trip_accounting(claim, plan)
    lost, more = lost_trips(facts, claim, plan, rescues, covers)
    return found + more + objective(facts, claim, plan, rescues, lost, covers)


def check_dispatch(world: World, case: Case, plans: Sequence[Plan]) -> tuple[tuple[Disagreement, ...], ...]:
    """The disagreements with each of the ranked ``plans`` of one dispatch, in rank order."""
    facts = Facts.of(world, case, _graph_of(world))
    return tuple(check_plan(world, case, plan, rank, facts=facts) for rank, plan in enumerate(plans, start=1))


_graphs: dict[int, tuple[World, Graph]] = {}  # by world identity: the dispatch path checks one world often


def _graph_of(world: World) -> Graph:
    cached = _graphs.get(id(world))
    if cached is None or cached[0] is not world:
        if len(_graphs) > 64:
            _graphs.clear()
        cached = _graphs[id(world)] = (world, build_graph(world))
    return cached[1]


# --------------------------------------------------------------------------- whole-plan checks
def group_totals(facts: Facts, claim: Claim, plan: Plan) -> list[Disagreement]:
    carried: Counter[str] = Counter()
    for rescue in plan.rescues:
        incident = facts.case.incident_of_group(rescue.group_id)
        if incident is not None:
            carried[incident.group] += rescue.passengers
    return [
        claim.disagree(
            f"group {i.group}",
            carried[i.group],
            f"≤ {i.passengers}",
            "group_size",
            f"{carried[i.group]} carried but {i.passengers} stranded",
        )
        for i in facts.case.incidents
        if carried[i.group] > i.passengers
    ]


def tasks_by_resource(rescues: Iterable[RescueFacts], covers: Iterable[CoverFacts]) -> dict[str, list[Task]]:
    found: dict[str, list[Task]] = defaultdict(list)
    for r in rescues:
        if r.task is not None:
            for resource in (r.rescue.vehicle_id, r.rescue.driver_id):
                found[resource].append((*r.task, f"rescue {r.rescue.option_id}"))
    for c in covers:
        if c.task is not None:
            for resource in (c.cover.vehicle_id, c.cover.driver_id):
                found[resource].append((*c.task, f"cover {c.cover.option_id}"))
    return found


def overlapping_tasks(
    facts: Facts, claim: Claim, rescues: list[RescueFacts], covers: list[CoverFacts], taken_away: frozenset[str]
) -> list[Disagreement]:
    """No coach or driver in two tasks at once, nor a coach in a task and a planned trip it keeps."""
    tasks = tasks_by_resource(rescues, covers)
    own_trips = {r.passing_trip.id for r in rescues if r.passing_trip} | set(facts.incident_trip_ids())
    for coach_id in [r for r in tasks if facts.world.coach(r) is not None]:
        for trip in facts.world.trips_of_coach(coach_id):
            if trip.id not in taken_away and trip.id not in own_trips:
                tasks[coach_id].append((trip.departure, trip.arrival, f"planned trip {trip.id}"))
    found = []
    for resource, items in sorted(tasks.items()):
        items.sort()
        for k, first in enumerate(items):
            for second in items[k + 1 :]:
                if second[0] < first[1] and first[0] < second[1]:
                    found.append(
                        claim.disagree(
                            resource,
                            f"{first[2]} and {second[2]}",
                            "overlap",
                            "overlap",
                            f"{resource} is in two tasks at once",
                        )
                    )
    return found


def trip_accounting(claim: Claim, plan: Plan) -> list[Disagreement]:
    covered = Counter(c.trip_id for c in plan.trip_covers)
    found = [
        claim.disagree(f"trip {t}", f"covered {n} times", "once", "covered_twice", f"{t} is covered {n} times")
        for t, n in covered.items()
        if n > 1
    ]
    found += [
        claim.disagree(f"trip {t}", "covered and uncovered", "one of them", "covered_twice", f"{t} is both")
        for t in sorted(set(covered) & set(plan.uncovered_trip_ids))
    ]
    return found


def lost_trips(
    facts: Facts, claim: Claim, plan: Plan, rescues: list[RescueFacts], covers: list[CoverFacts]
) -> tuple[set[str], list[Disagreement]]:
    """Trips whose coach or driver a task pulls and that it cannot run after it, neither re-covered
    nor declared uncovered (lost silently); a passing coach keeps its trip."""
    accounted = {c.trip_id for c in plan.trip_covers} | set(plan.uncovered_trip_ids)
    horizon = facts.case.at + timedelta(seconds=facts.case.trip_horizon_s)
    ends: list[tuple[str, str, str | None, datetime]] = []  # attribute, resource, where and when the task ends
    for r in rescues:
        if r.task is not None and r.passing_trip is None:
            node = r.end_node or r.delivery_stop
            ends += [(a, getattr(r.rescue, a), node, r.task[1]) for a in ("vehicle_id", "driver_id")]
    for c in covers:
        if c.task is not None and c.trip is not None:
            ends += [(a, getattr(c.cover, a), c.end_node, c.task[1]) for a in ("vehicle_id", "driver_id")]
    lost: set[str] = set()
    found = []
    for attribute, resource, node, end in ends:
        later = [t for t in facts.later_trips(attribute, resource, facts.case.at) if t.id not in accounted]
        later = [t for t in later if t.departure <= horizon]
        if not later or node is None or later[0].id in lost:
            continue
        trip = later[0]
        back = facts.router.fastest(facts.place(node), facts.place(trip.origin), to_s(end))
        if back is None or (end + timedelta(seconds=back.seconds) - trip.departure).total_seconds() > tolerance_s(back):
            lost.add(trip.id)
            found.append(
                claim.disagree(
                    f"trip {trip.id}",
                    "kept",
                    "lost",
                    "trip_lost",
                    f"{resource} is busy until {end:%H:%M} and cannot run {trip.id}",
                )
            )
    return lost, found


def objective(
    facts: Facts, claim: Claim, plan: Plan, rescues: list[RescueFacts], lost: set[str], covers: list[CoverFacts]
) -> list[Disagreement]:
    """``passengers_not_reached``, ``trips_recrewed`` and ``trips_uncovered`` recomputed from the oracle's
    tiers and times, then the other terms (:mod:`~fleetplan.oracle.objective`)."""
    found = []
    not_reached = 0
    for incident in facts.case.incidents:
        verdict = tier_verdict(facts, incident)
        reached = 0
        for r in rescues:
            if r.incident is incident:
                arrival = max(r.rescue.scene_arrival, r.scene_earliest or r.rescue.scene_arrival)
                reached += r.rescue.passengers if arrival <= verdict.deadline else 0
        not_reached += max(0, incident.passengers - reached)
    if plan.objective.passengers_not_reached != not_reached:
        found.append(
            claim.disagree(
                "objective.passengers_not_reached",
                plan.objective.passengers_not_reached,
                not_reached,
                "objective",
                "passengers not reached by the oracle's deadlines",
            )
        )
    recrewed = trips_recrewed(facts, plan)
    if getattr(plan.objective, "trips_recrewed", recrewed) != recrewed:  # a term of newer plans
        reason = "trips run by another coach or driver although the incident does not force it (§8)"
        found.append(
            claim.disagree("objective.trips_recrewed", plan.objective.trips_recrewed, recrewed, "objective", reason)
        )
    uncovered = len(at_stake(facts, plan) - {c.trip_id for c in plan.trip_covers}) + len(lost)
    if plan.objective.trips_uncovered != uncovered:
        found.append(
            claim.disagree(
                "objective.trips_uncovered",
                plan.objective.trips_uncovered,
                uncovered,
                "objective",
                "trips left without a crew, as the oracle counts them",
            )
        )
    return found + other_terms(facts, claim, plan, rescues, covers)


def at_stake(facts: Facts, plan: Plan) -> set[str]:
    """The failed coaches' later trips within the horizon (not the failed trips themselves), the trips
    the plan covers and the ones it declares uncovered."""
    case = facts.case
    horizon = case.at + timedelta(seconds=case.trip_horizon_s)
    failed_trips = set(facts.incident_trip_ids())
    found = {c.trip_id for c in plan.trip_covers} | set(plan.uncovered_trip_ids)
    for coach_id in case.failed:
        found |= {
            t.id for t in facts.later_trips("vehicle_id", coach_id, case.at) if t.departure <= horizon
        } - failed_trips
    return found


def trips_recrewed(facts: Facts, plan: Plan) -> int:
    """Covers by another coach or driver than planned of trips the incident does not force to change:
    forced when the planned coach has failed, the planned driver drives a failed coach, or either is
    unavailable (§8)."""
    case = facts.case
    failed_drivers = {trip.driver_id for trip in map(facts.failed_trip, case.incidents) if trip is not None}
    forced = case.failed | case.unavailable | failed_drivers
    count = 0
    for cover in plan.trip_covers:
        trip = facts.world.trip(cover.trip_id)
        if trip is None or (cover.vehicle_id, cover.driver_id) == (trip.vehicle_id, trip.driver_id):
            continue
        count += trip.vehicle_id not in forced and trip.driver_id not in forced
    return count
