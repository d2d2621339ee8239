"""The oracle's checks of a rescue route through several scenes (issue #18 §1), stop by stop, with its
own roads, speeds and rules (world-model §6, §7).

A route is one standing crew's task: from where the coach stands (no earlier than the turnout), to each
scene by the oracle's earliest route at the moment the coach leaves the previous call, the group
boarding there (after a new charter sign, if the crew needs one), the transfer and any rest, then to
each delivery stop, where the passengers get off in the transfer time (none at the last). The oracle
re-derives every arrival from the claimed departure of the call before it, so an error is named at the
stop it happens. The groups on board at once must fit the coach's seats; each group is set down at a
stop its failed trip still had ahead; the driver's whole duty, from departure to the last stop, must
keep the time rules and lie in one shift.

A passing coach's route (``passing_trip_id``) is checked against its own trip instead
(:mod:`~fleetplan.oracle.check_passing_route`).

What each part of the route (a :class:`~fleetplan.plan.Rescue` with this ``route_id``) claims must be
the route's: its scene arrival, boarding, delivery stop and time. The plan-wide checks then read the
parts as rescues: the first carries the route's whole task and empty running, the others none.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fleetplan.oracle.case import CaseIncident, Claim, Disagreement
from fleetplan.oracle.check_passing_route import check_passing_route
from fleetplan.oracle.check_rescue import usability
from fleetplan.oracle.check_standing import crew_ready, waited
from fleetplan.oracle.duty import Interval, hours_left_s, overnight_applies, shift_finding, time_findings
from fleetplan.oracle.facts import Facts
from fleetplan.oracle.paths import Route
from fleetplan.oracle.places import Place
from fleetplan.oracle.rescue_common import SLACK_S, RescueFacts, boarding, compare_time, seconds, set_down, tolerance_s
from fleetplan.oracle.sightings import ON_THE_ROAD
from fleetplan.oracle.speed import to_s
from fleetplan.plan import DELIVER, PICKUP, Rescue, RescueRoute, RouteStop


def check_route(
    facts: Facts, claim: Claim, route: RescueRoute, parts: list[Rescue], taken_away: frozenset[str]
) -> tuple[list[Disagreement], list[RescueFacts]]:
    """Every disagreement with ``route`` and its ``parts`` (in the plan's order), and what the oracle
    derived for each part."""
    world, case = facts.world, facts.case
    coach, driver = world.coach(route.vehicle_id), world.driver(route.driver_id)
    incidents = [case.incident_of_group(part.group_id) for part in parts]
    plain = [RescueFacts(part, incident) for part, incident in zip(parts, incidents)]
    found = _parts_match(claim, route, parts)
    if coach is None or driver is None or None in incidents or found:
        if coach is None or driver is None or None in incidents:
            reason = "the oracle knows no such coach, driver or group"
            found.append(claim.disagree("route", route.id, "unknown", "unknown_id", reason))
        return found, plain
    if route.passing_trip_id is not None:
        return check_passing_route(facts, claim, route, parts, (coach, driver), taken_away)
    found += usability(facts, claim, coach, driver, route.depart_at, route.end)
    if facts.coach_trip_at(coach.id, case.at) is not None:
        reason = f"{coach.id} is on a trip: a route is driven by a standing crew"
        return found + [claim.disagree("vehicle_id", coach.id, "on a trip", "not_standing", reason)], plain
    node = facts.coach_node_at(coach.id, case.at)
    found += crew_ready(facts, claim, parts[0], (coach, driver), node)
    if node == ON_THE_ROAD:
        return found, plain
    carried = sum(part.passengers for part in parts)
    if carried > coach.seats:
        reason = f"{carried} passengers on board at once, {coach.id} has {coach.seats} seats"
        found.append(claim.disagree("passengers", carried, f"≤ {coach.seats}", "seats", reason))
    base = facts.base_log(driver.id, taken_away)
    by_group = dict(zip([p.group_id for p in parts], incidents))
    walked = _walk(facts, claim, route, by_group, facts.place(node))
    found += walked.found
    if walked.broken:
        return found, plain
    if walked.first_scene is not None:
        found += waited(facts, claim, parts[0], node, walked.first_scene, base)
    found += [d for part, incident in zip(parts, incidents) if incident for d in boarding(facts, claim, part, incident)]
    overnight = overnight_applies(world.policy, walked.metres, commuter=False)
    found += [
        claim.disagree("driver_id", driver.id, finding.rule, finding.rule, finding.reason)
        for finding in time_findings(base + list(walked.intervals), world.policy, overnight)
    ]
    shift = shift_finding(driver, route.depart_at, route.end)
    if shift is not None:
        found.append(claim.disagree("driver_id", driver.id, "off shift", "shift", shift.reason))
    left = hours_left_s(base, route.depart_at, world.policy)
    for part in parts:
        if part.driver_hours_left_s != left:
            reason = "driving left under the 24 h / 7-day limits at departure"
            found.append(claim.disagree("driver_hours_left_s", part.driver_hours_left_s, left, "hours_left", reason))
    return found, _derived(route, parts, by_group, walked)


def _parts_match(claim: Claim, route: RescueRoute, parts: list[Rescue]) -> list[Disagreement]:
    """One part per scene the route calls at, in order, each group set down once, with the route's crew
    and start; the parts' times and stops are the route's calls; the first part alone runs empty."""
    pickups = {stop.group_ids[0]: stop for stop in route.stops if stop.kind == PICKUP}
    drops = {group_id: stop for stop in route.stops if stop.kind == DELIVER for group_id in stop.group_ids}
    found = []
    dropped = [g for stop in route.stops if stop.kind == DELIVER for g in stop.group_ids]
    if [p.group_id for p in parts] != list(pickups) or sorted(dropped) != sorted(pickups):
        reason = "the parts, the scenes called at and the groups set down do not match"
        engine = f"parts {[p.group_id for p in parts]}, set down {dropped}"
        return [claim.disagree("route", engine, f"scenes {list(pickups)}", "route_parts", reason)]
    if any(stop.kind == DELIVER for stop in route.stops[: len(pickups)]):
        reason = "the oracle reads a route as its scenes, then its delivery stops"
        found.append(claim.disagree("route", route.id, "scenes first", "route_order", reason))
    for k, part in enumerate(parts):
        pickup, drop = pickups[part.group_id], drops[part.group_id]
        crew = (part.vehicle_id, part.driver_id, part.depart_at, part.origin_node)
        if crew != (route.vehicle_id, route.driver_id, route.depart_at, route.origin_node):
            found.append(claim.disagree("route", part.option_id, route.id, "route_parts", "another crew or start"))
        claimed = (part.scene_arrival, part.boarding_at, part.destination_arrival, part.destination_node)
        if claimed != (pickup.arrival, pickup.boarding_at, drop.arrival, drop.place):
            reason = "the part's scene, boarding or delivery differs from the route's calls"
            found.append(claim.disagree("route", part.option_id, route.id, "route_parts", reason))
        if k and part.deadhead_m:
            reason = "a coach already carrying passengers runs no empty kilometres"
            found.append(claim.disagree("deadhead_m", part.deadhead_m, 0, "deadhead", reason))
    return found


class _Walk:
    """What the oracle finds driving the route call by call."""

    def __init__(self) -> None:
        self.found: list[Disagreement] = []
        self.broken = False  # a leg with no open road: nothing after it can be judged
        self.first_scene: Place | None = None
        self.scene_earliest: dict[str, datetime] = {}  # group → the oracle's earliest arrival at its scene
        self.first_leg_m: tuple[float, ...] = ()
        self.intervals: list[Interval] = []
        self.metres = 0.0


def _walk(facts: Facts, claim: Claim, route: RescueRoute, by_group: dict, start: Place) -> _Walk:
    """Drive the route: each call reached by the earliest route from the call before, left when the
    boarding, the transfer and any rest (or the set-down) are done."""
    walk, transfer = _Walk(), timedelta(seconds=facts.case.transfer_s)
    place, moment = start, route.depart_at
    last = len(route.stops) - 1
    for k, stop in enumerate(route.stops):
        target, leg = _reach(facts, place, stop, by_group, moment)
        if leg is None:
            reason = f"no open road to call {k + 1} ({stop.place})"
            walk.found.append(claim.disagree(f"stop {k + 1} arrival", stop.arrival, "no route", "no_route", reason))
            walk.broken = True
            return walk
        earliest = moment + timedelta(seconds=leg.seconds)
        walk.found += compare_time(claim, f"stop {k + 1} arrival", stop.arrival, earliest, tolerance_s(leg))
        walk.metres += float(leg.length_m)
        walk.intervals.append(Interval(moment, stop.arrival, "drive", True))
        if stop.kind == PICKUP:
            walk.first_scene = walk.first_scene or target
            walk.first_leg_m = walk.first_leg_m or (float(leg.length_m),)
            walk.scene_earliest[stop.group_ids[0]] = earliest
            done = (stop.boarding_at or stop.arrival) + transfer
            expected_leave = done + timedelta(seconds=stop.rest_s)
        else:
            walk.found += set_down(facts, claim, stop, by_group)
            done = expected_leave = stop.arrival if k == last else stop.arrival + transfer
        if abs(seconds(stop.leave_at - expected_leave)) > SLACK_S:
            reason = "leaves the call at another time than the boarding, transfer, rest or set-down allow"
            walk.found.append(claim.disagree(f"stop {k + 1} leave_at", stop.leave_at, expected_leave, "leave", reason))
        walk.intervals += [Interval(stop.arrival, done, "other", True), Interval(done, stop.leave_at, "rest", True)]
        place, moment = target, stop.leave_at
    walk.intervals = [i for i in walk.intervals if i.end > i.start]
    return walk


def _reach(
    facts: Facts, origin: Place, stop: RouteStop, by_group: dict, moment: datetime
) -> tuple[Place, Route | None]:
    """The place of ``stop`` and the oracle's earliest route there; for a scene whose carriageway is
    ambiguous, the side whose earliest arrival is nearest the claim."""
    if stop.kind == DELIVER:
        target = facts.place(stop.place)
        return target, facts.router.fastest(origin, target, to_s(moment))
    incident: CaseIncident = by_group[stop.group_ids[0]]
    scene = facts.place(incident.location)
    sides = [scene] + ([scene.other_side] if scene.other_side is not None else [])
    reached: list[tuple[Place, Route]] = []
    for side in sides:
        leg = facts.router.fastest(origin, side, to_s(moment))
        if leg is not None:
            reached.append((side, leg))
    if not reached:
        return scene, None
    return min(reached, key=lambda pair: abs(seconds(moment + timedelta(seconds=pair[1].seconds) - stop.arrival)))


def _derived(route: RescueRoute, parts: list[Rescue], by_group: dict, walk: _Walk) -> list[RescueFacts]:
    """The parts as the plan-wide checks read them: the first holds the whole task, its intervals, its
    empty running and where it ends; the others their scene and delivery only."""
    first, *others = parts
    derived = [
        RescueFacts(
            first,
            by_group[first.group_id],
            scene_earliest=walk.scene_earliest.get(first.group_id),
            delivery_stop=first.destination_node,
            task=(route.depart_at, route.end),
            intervals=tuple(walk.intervals),
            distance_m=walk.metres,
            end_node=route.stops[-1].place,
            empty_m=walk.first_leg_m or None,
        )
    ]
    for part in others:
        scene_earliest = walk.scene_earliest.get(part.group_id)
        derived.append(
            RescueFacts(
                part,
                by_group[part.group_id],
                scene_earliest=scene_earliest,
                delivery_stop=part.destination_node,
                empty_m=(0.0,),
            )
        )
    return derived
