"""The checks of a rescue route through several scenes (issue #18 §1), with the engine's network and
rules: the parts of the plan match the route's calls, the crew stands where it leaves from, every leg
takes the network's time at the moment it is driven, each group boards after its charter sign, the
groups on board fit the seats, each is set down at its destination, and the driver's whole duty keeps
the rules and the shift."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from fleetplan.errors import FleetplanError
from fleetplan.evaluate.calls import boarding_problems, set_down_problems
from fleetplan.evaluate.facts import Facts
from fleetplan.evaluate.passing_routes import check_passing_route
from fleetplan.evaluate.rescues import standing_crew
from fleetplan.plan import DELIVER, PICKUP, Plan, Rescue, RescueRoute, RouteStop
from fleetplan.problems import Problem, ProblemCode, problem
from fleetplan.rules import (
    ProposedTask,
    off_shift_reason,
    route_task,
    task_violations,
)


def check_routes(facts: Facts, plan: Plan) -> list[Problem]:
    """Every problem of the plan's routes, and parts that name no route of the plan."""
    problems = []
    known = {route.id for route in plan.routes}
    for rescue in plan.rescues:
        if rescue.route_id and rescue.route_id not in known:
            reason = f"names route {rescue.route_id}, which the plan does not hold"
            problems.append(problem(ProblemCode.UNKNOWN_ID, f"rescue by {rescue.vehicle_id}", reason))
    for route in plan.routes:
        order = [stop.group_ids[0] for stop in route.stops if stop.kind == PICKUP]
        parts = [r for r in plan.rescues if r.route_id == route.id]
        parts.sort(key=lambda r: order.index(r.group_id) if r.group_id in order else len(order))  # call order
        try:
            problems += check_route(facts, route, parts)
        except KeyError as error:  # a group, coach or driver the instance does not know
            problems.append(problem(ProblemCode.UNKNOWN_ID, f"route by {route.vehicle_id}", f"unknown id {error}"))
        except FleetplanError as error:
            problems.append(problem(ProblemCode.NO_ROUTE, f"route by {route.vehicle_id}", str(error)))
    return problems


def check_route(facts: Facts, route: RescueRoute, parts: Sequence[Rescue]) -> list[Problem]:
    where = f"route by {route.vehicle_id}"
    problems = _parts_match(route, parts, where)
    if problems:
        return problems
    if route.passing_trip_id is not None:
        return check_passing_route(facts, route, parts, where) + _parts_times(route, parts, _pickups(route), where)
    first = parts[0]
    problems += standing_crew(facts, first)
    vehicle, driver = facts.dataset.vehicle(route.vehicle_id), facts.dataset.driver(route.driver_id)
    pickups = _pickups(route)
    carried = sum(part.passengers for part in parts)
    if carried > vehicle.seats:
        reason = f"{carried} passengers on board at once exceed {vehicle.seats} seats"
        problems.append(problem(ProblemCode.SEATS_EXCEEDED, where, reason, passengers=carried, seats=vehicle.seats))
    policy, transfer = facts.instance.driving_policy, timedelta(seconds=facts.ops.transfer_s)
    place, moment, metres = facts.vehicle_node(vehicle.id), route.depart_at, 0
    for k, stop in enumerate(route.stops):
        target = facts.instance.group(stop.group_ids[0]).scene if stop.kind == PICKUP else stop.place
        leg_s, leg_m = facts.route_s(vehicle.id, place, target, moment)
        expected = moment + timedelta(seconds=leg_s)
        if stop.arrival != expected:
            said = (
                f"claims stop {k + 1} ({stop.place}) at {stop.arrival:%H:%M:%S}, the network says {expected:%H:%M:%S}"
            )
            code = ProblemCode.SCENE_TIME if stop.kind == PICKUP else ProblemCode.ARRIVAL_TIME
            problems.append(problem(code, where, said, claimed=stop.arrival, found=expected))
        if k == 0 and first.deadhead_m != leg_m:
            said = f"claims {first.deadhead_m} m empty running, the network says {leg_m} m"
            problems.append(problem(ProblemCode.EMPTY_RUNNING, where, said, claimed_m=first.deadhead_m, found_m=leg_m))
        metres += leg_m
        busy_until = _busy_until(stop, transfer, last=k == len(route.stops) - 1)
        if stop.kind == PICKUP:
            problems += boarding_problems(facts, route, stop.group_ids[0], stop.arrival, stop.boarding_at, where)
            leave = busy_until + timedelta(seconds=stop.rest_s)
        else:
            leave = busy_until
            problems += set_down_problems(facts, stop.place, stop.group_ids, where)
        if stop.leave_at != leave:
            said = f"claims to leave stop {k + 1} at {stop.leave_at:%H:%M:%S}, the rules say {leave:%H:%M:%S}"
            problems.append(problem(ProblemCode.ARRIVAL_TIME, where, said, claimed=stop.leave_at, found=leave))
        place, moment = target, stop.leave_at
    off_shift = off_shift_reason(driver, route.depart_at, route.end)
    if off_shift is not None:
        problems.append(problem(ProblemCode.OFF_SHIFT, where, off_shift))
    violations = task_violations(driver, facts.duty_log(driver.id), route_duty(facts, route, metres), vehicle, policy)
    problems += [
        problem(ProblemCode.DRIVING_RULES, where, f"driver {driver.id}: {v.message}", rule=v.code) for v in violations
    ]
    return problems + _parts_times(route, parts, pickups, where)


def _busy_until(stop: RouteStop, transfer: timedelta, last: bool) -> datetime:
    """Until when the driver is on duty at a call: the transfer after the group boards at a scene, the
    passengers getting off at a stop (none at the last: the task ends there)."""
    if stop.kind == PICKUP:
        return (stop.boarding_at or stop.arrival) + transfer
    return stop.arrival if last else stop.arrival + transfer


def route_duty(facts: Facts, route: RescueRoute, distance_m: float | None = None) -> ProposedTask:
    """The duty the route adds to its driver's log, at the times it claims (:func:`check_route`
    checks them against the network); ``distance_m``, its length, matters for the 02:00–05:00 rule."""
    transfer, last = timedelta(seconds=facts.ops.transfer_s), len(route.stops) - 1
    calls = [(s.arrival, _busy_until(s, transfer, k == last), s.leave_at) for k, s in enumerate(route.stops)]
    return route_task(route.depart_at, calls, distance_m=distance_m)


def _pickups(route: RescueRoute) -> dict[str, RouteStop]:
    return {stop.group_ids[0]: stop for stop in route.stops if stop.kind == PICKUP}


def _parts_match(route: RescueRoute, parts: Sequence[Rescue], where: str) -> list[Problem]:
    """The plan's parts of the route: one per scene it calls at, in order, with its coach and driver,
    the first with the route's empty running and the others with none; each group set down once."""
    pickups = [stop.group_ids[0] for stop in route.stops if stop.kind == PICKUP]
    dropped = [group_id for stop in route.stops if stop.kind == DELIVER for group_id in stop.group_ids]
    found = []
    if [p.group_id for p in parts] != pickups or sorted(dropped) != sorted(pickups):
        said = f"its parts serve {[p.group_id for p in parts]}, its calls collect {pickups} and set down {dropped}"
        found.append(problem(ProblemCode.UNKNOWN_ID, where, said))
    if route.stops[0].kind != PICKUP:
        found.append(problem(ProblemCode.WRONG_DESTINATION, where, "a route begins at a scene"))
    for part in parts:
        if (part.vehicle_id, part.driver_id, part.depart_at) != (route.vehicle_id, route.driver_id, route.depart_at):
            found.append(
                problem(ProblemCode.CREW_SPLIT, where, f"part for {part.group_id} names another crew or start")
            )
    for part in parts[1:]:
        if part.deadhead_m:
            said = f"the part for {part.group_id} claims {part.deadhead_m} m empty running on a loaded coach"
            found.append(problem(ProblemCode.EMPTY_RUNNING, where, said, claimed_m=part.deadhead_m, found_m=0))
    return found


def _parts_times(route: RescueRoute, parts: Sequence[Rescue], pickups: dict, where: str) -> list[Problem]:
    """Each part's scene, boarding and delivery times and stop are those of the route's calls."""
    drops = {group_id: stop for stop in route.stops if stop.kind == DELIVER for group_id in stop.group_ids}
    found = []
    for part in parts:
        pickup, drop = pickups[part.group_id], drops[part.group_id]
        claimed = (part.scene_arrival, part.boarding_at, part.destination_arrival, part.destination_node)
        if claimed != (pickup.arrival, pickup.boarding_at, drop.arrival, drop.place):
            said = f"the part for {part.group_id} differs from the route's calls"
            found.append(problem(ProblemCode.SCENE_TIME, where, said))
    return found
