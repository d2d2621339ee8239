"""The checks of one rescue: the coach, the driver, where they start, when they reach the scene and
the destination, the seats, the rules and the hours left; a passing coach against its own trip."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from fleetplan.errors import FleetplanError
from fleetplan.evaluate.facts import Facts
from fleetplan.instance import StrandedGroup
from fleetplan.live import seen_passing
from fleetplan.model import Stop, Trip, VehicleStatus
from fleetplan.phrase import Phrase
from fleetplan.plan import Rescue
from fleetplan.problems import Problem, ProblemCode, problem
from fleetplan.rules import (
    driving_state,
    earliest_boarding,
    needs_new_sign,
    off_shift_reason,
    personal_eligibility,
    sign_ready_at,
    task_violations,
)
from fleetplan.timetable import caused_delay_s, passing, trip_course


# ------------------------------------------------------------------ one rescue
def check_rescue(facts: Facts, rescue: Rescue) -> list[Problem]:
    where = f"rescue by {rescue.vehicle_id}"
    try:
        vehicle = facts.dataset.vehicle(rescue.vehicle_id)
        driver = facts.dataset.driver(rescue.driver_id)
        group = facts.instance.group(rescue.group_id)
    except (FleetplanError, KeyError) as error:
        return [problem(ProblemCode.UNKNOWN_ID, where, str(error))]
    problems = []
    if vehicle.id in facts.failed:
        problems.append(problem(ProblemCode.FAILED_COACH, where, "the coach is one of the failed coaches"))
    if vehicle.status == VehicleStatus.WORKSHOP:
        problems.append(problem(ProblemCode.IN_WORKSHOP, where, "the coach is in the workshop"))
    if not vehicle.permit_valid_on(facts.at.date()):
        problems.append(
            problem(
                ProblemCode.PERMIT_EXPIRED,
                where,
                f"the coach's permit expired on {vehicle.permit_valid_until}",
                valid_until=vehicle.permit_valid_until,
            )
        )
    problems += [
        problem(ProblemCode.DRIVER_INELIGIBLE, where, f"driver {driver.id}: {v.message}", rule=v.code)
        for v in personal_eligibility(driver, vehicle, facts.at.date(), facts.instance.driving_policy)
    ]
    if rescue.passengers < 1:
        problems.append(problem(ProblemCode.NO_PASSENGERS, where, "carries no passenger"))
    problems += _hours_left(facts, rescue, where)
    if rescue.route_id:  # a part of a route through several scenes: its times are the route's (routes.py)
        return problems
    trip = facts.passing_trip(rescue)
    try:
        problems += _passing(facts, rescue, trip, group) if trip else _driven(facts, rescue, group)
    except FleetplanError as error:
        problems.append(problem(ProblemCode.NO_ROUTE, where, str(error)))
    return problems


def _hours_left(facts: Facts, rescue: Rescue, where: str) -> list[Problem]:
    """The driving hours left the plan shows the dispatcher, from the driver's own log."""
    policy = facts.instance.driving_policy
    left_s = driving_state(facts.duty_log(rescue.driver_id), rescue.depart_at, policy).driving_left_s(policy)
    if rescue.driver_hours_left_s == left_s:
        return []
    return [
        problem(
            ProblemCode.DRIVER_HOURS_LEFT,
            where,
            f"claims {rescue.driver_hours_left_s} s of driving left for {rescue.driver_id}, the log says {left_s} s",
            claimed_s=rescue.driver_hours_left_s,
            found_s=left_s,
        )
    ]


def _driven(facts: Facts, rescue: Rescue, group: StrandedGroup) -> list[Problem]:
    node = facts.vehicle_node(rescue.vehicle_id)
    problems = standing_crew(facts, rescue)
    to_scene = facts.route_s(rescue.vehicle_id, node, group.scene, rescue.depart_at)
    return problems + _scene_and_onward(facts, rescue, group, to_scene)


def standing_crew(facts: Facts, rescue: Rescue) -> list[Problem]:
    """A standing crew's checks before it drives: where the coach stands, the driver with it and free,
    the shift over the rescue, the seats and the turnout."""
    where = f"rescue by {rescue.vehicle_id}"
    vehicle, driver = facts.dataset.vehicle(rescue.vehicle_id), facts.dataset.driver(rescue.driver_id)
    node = facts.vehicle_node(vehicle.id)
    problems = []
    if facts.on_road(vehicle.id):
        seen = facts.instance.live.sighted[vehicle.id]
        problems.append(
            problem(
                ProblemCode.WRONG_ORIGIN,
                where,
                f"claims to start at {rescue.origin_node} but its {seen.label()} has it on the road",
                claimed=rescue.origin_node,
                found=seen.text,
            )
        )
    elif rescue.origin_node != node:
        problems.append(
            problem(
                ProblemCode.WRONG_ORIGIN,
                where,
                f"claims to start at {rescue.origin_node} but the coach stands at {node}",
                claimed=rescue.origin_node,
                found=node,
            )
        )
    if facts.driver_node(driver.id) != node:
        problems.append(
            problem(
                ProblemCode.DRIVER_ELSEWHERE,
                where,
                f"driver {driver.id} is at {facts.driver_node(driver.id)}, not with the coach at {node}",
                driver_at=facts.driver_node(driver.id),
                coach_at=node,
            )
        )
    if any(t.driver_id == driver.id and t.departure <= facts.at < t.arrival for t in facts.dataset.trips):
        problems.append(problem(ProblemCode.DRIVER_ON_TRIP, where, f"driver {driver.id} is driving a trip"))
    failed_trip_drivers = {facts.dataset.trip(g.trip_id).driver_id for g in facts.instance.groups if g.trip_id}
    if driver.id in failed_trip_drivers:
        problems.append(
            problem(ProblemCode.DRIVER_WITH_FAILED_COACH, where, f"driver {driver.id} is with a failed coach")
        )
    off_shift = off_shift_reason(driver, rescue.depart_at, rescue.destination_arrival)
    if off_shift is not None:  # the whole rescue, departure to delivery, lies in one shift
        problems.append(problem(ProblemCode.OFF_SHIFT, where, off_shift))
    if rescue.passengers > vehicle.seats:
        problems.append(
            problem(
                ProblemCode.SEATS_EXCEEDED,
                where,
                f"{rescue.passengers} passengers exceed {vehicle.seats} seats",
                passengers=rescue.passengers,
                seats=vehicle.seats,
            )
        )
    if rescue.depart_at < facts.at + timedelta(seconds=facts.ops.turnout_s):
        problems.append(
            problem(
                ProblemCode.LEAVES_TOO_EARLY,
                where,
                f"leaves at {rescue.depart_at:%H:%M}, before the crew can turn out",
                depart_at=rescue.depart_at,
            )
        )
    return problems


def _scene_and_onward(facts: Facts, rescue: Rescue, group: StrandedGroup, to_scene: tuple[int, int]) -> list[Problem]:
    where = f"rescue by {rescue.vehicle_id}"
    vehicle, driver = facts.dataset.vehicle(rescue.vehicle_id), facts.dataset.driver(rescue.driver_id)
    to_scene_s, to_scene_m = to_scene
    problems = []
    expected_scene = rescue.depart_at + timedelta(seconds=to_scene_s)
    if rescue.scene_arrival != expected_scene:
        problems.append(
            problem(
                ProblemCode.SCENE_TIME,
                where,
                f"claims the scene at {rescue.scene_arrival:%H:%M:%S}, the network says {expected_scene:%H:%M:%S}",
                claimed=rescue.scene_arrival,
                found=expected_scene,
            )
        )
    if rescue.deadhead_m != to_scene_m:
        problems.append(
            problem(
                ProblemCode.EMPTY_RUNNING,
                where,
                f"claims {rescue.deadhead_m} m empty running, the network says {to_scene_m} m",
                claimed_m=rescue.deadhead_m,
                found_m=to_scene_m,
            )
        )
    policy = facts.instance.driving_policy
    failed_trip = facts.dataset.trip(group.trip_id) if group.trip_id else None
    needed = needs_new_sign(failed_trip, vehicle.id, driver.id)
    if rescue.boarding_at < earliest_boarding(rescue.scene_arrival, facts.at, needed, policy):
        problems.append(
            problem(
                ProblemCode.BOARDS_TOO_EARLY,
                where,
                f"boards at {rescue.boarding_at:%H:%M} before arrival or before the new charter sign is filed",
                boarding_at=rescue.boarding_at,
                sign_ready=sign_ready_at(facts.at, policy) if needed else None,
            )
        )
    # the coach leaves the scene after the transfer and any rest the driver takes there
    leave = rescue.boarding_at + timedelta(seconds=facts.ops.transfer_s + rescue.rest_at_scene_s)
    onward_from, first_m = group.scene, 0
    if rescue.rest_on_way_at is not None:  # the onward drive in two around the rest on the way
        more, onward_from, leave, first_m = _to_rest_place(facts, rescue, group, leave, where)
        problems += more
    onward_s, onward_m = facts.route_s(vehicle.id, onward_from, group.destination_node, leave)
    onward_m += first_m
    expected_arrival = leave + timedelta(seconds=onward_s)
    if rescue.destination_arrival != expected_arrival:
        problems.append(
            problem(
                ProblemCode.ARRIVAL_TIME,
                where,
                f"claims arrival {rescue.destination_arrival:%H:%M:%S}, the network says {expected_arrival:%H:%M:%S}",
                claimed=rescue.destination_arrival,
                found=expected_arrival,
            )
        )
    duty = facts.rescue_duty(rescue, distance_m=to_scene_m + onward_m)
    violations = task_violations(driver, facts.duty_log(driver.id), duty, vehicle, policy)
    problems += [
        problem(ProblemCode.DRIVING_RULES, where, f"driver {driver.id}: {v.message}", rule=v.code) for v in violations
    ]
    return problems


def _to_rest_place(
    facts: Facts, rescue: Rescue, group: StrandedGroup, leave: datetime, where: str
) -> tuple[list[Problem], object, datetime, int]:
    """The drive from the scene to the rest on the way, checked: the place is a rest place the fastest
    onward route passes, reached when the network says, the rest at least ``min_rest``. Returns the
    problems, where and when the coach drives on, and the metres driven to the rest place (from the
    scene, as if there were no rest, when the place is not on the network)."""
    problems = []
    node = rescue.rest_on_way_node
    scene = facts.locate(group.scene)
    onward = facts.travel(rescue.vehicle_id).route(scene, facts.locate(group.destination_node), leave)
    if node not in facts.network.rest_places_on(onward.path) or node == group.destination_node:
        problems.append(
            problem(
                ProblemCode.REST_PLACE,
                where,
                f"rests at {node}, not a rest place on the way from the scene to {group.destination_node}",
                rest_place=node,
            )
        )
    if not facts.network.has_node(node):
        return problems, group.scene, leave, 0
    to_place_s, to_place_m = facts.route_s(rescue.vehicle_id, group.scene, node, leave)
    reached = leave + timedelta(seconds=to_place_s)
    if rescue.rest_on_way_at != reached:
        problems.append(
            problem(
                ProblemCode.ARRIVAL_TIME,
                where,
                f"claims the rest place {node} at {rescue.rest_on_way_at:%H:%M:%S}, the network says {reached:%H:%M:%S}",
                claimed=rescue.rest_on_way_at,
                found=reached,
            )
        )
    min_rest_s = facts.instance.driving_policy.min_rest_s
    if rescue.rest_on_way_s < min_rest_s:
        problems.append(
            problem(
                ProblemCode.REST_PLACE,
                where,
                f"rests {rescue.rest_on_way_s // 60} min on the way, less than the {min_rest_s // 60} min a rest needs",
                rest_s=rescue.rest_on_way_s,
            )
        )
    return problems, node, reached + timedelta(seconds=rescue.rest_on_way_s), to_place_m


def _passing(facts: Facts, rescue: Rescue, trip: Trip, group: StrandedGroup) -> list[Problem]:
    where = f"rescue by passing coach {rescue.vehicle_id}"
    vehicle = facts.dataset.vehicle(rescue.vehicle_id)
    problems = []
    if rescue.driver_id != trip.driver_id:
        problems.append(
            problem(
                ProblemCode.WRONG_DRIVER,
                where,
                f"its driver is {trip.driver_id}, not {rescue.driver_id}",
                claimed=rescue.driver_id,
                found=trip.driver_id,
            )
        )
    free = vehicle.seats - trip.booked_passengers
    if rescue.passengers > free:
        problems.append(
            problem(
                ProblemCode.SEATS_EXCEEDED,
                where,
                f"{rescue.passengers} passengers exceed its {free} free seats",
                passengers=rescue.passengers,
                seats=free,
            )
        )
    found = passing_arrivals(facts, vehicle.id, trip, group)
    if isinstance(found, Phrase):
        return problems + [problem(ProblemCode.DOES_NOT_PASS, where, facts.say(found))]
    eta, arrival_at = found
    wanted = group.set_down_nodes
    ahead = list(arrival_at)
    destination = rescue.destination_node or group.destination_node
    if destination not in wanted or destination not in ahead:
        problems.append(
            problem(
                ProblemCode.WRONG_DESTINATION,
                where,
                f"sets down at {destination}: its stops ahead are {', '.join(ahead)}, the passengers go to "
                f"{', '.join(sorted(wanted))}",
                claimed=destination,
                found=ahead,
            )
        )
        return problems
    if eta != rescue.scene_arrival or eta < facts.at:
        problems.append(
            problem(
                ProblemCode.SCENE_TIME,
                where,
                f"claims the scene at {rescue.scene_arrival:%H:%M:%S}, it passes at {eta:%H:%M:%S}",
                claimed=rescue.scene_arrival,
                found=eta,
            )
        )
    failed_trip = facts.dataset.trip(group.trip_id) if group.trip_id else None
    needed = needs_new_sign(failed_trip, vehicle.id, rescue.driver_id)
    boarding = earliest_boarding(eta, facts.at, needed, facts.dataset.driving_policy)
    if rescue.boarding_at != boarding:
        problems.append(
            problem(
                ProblemCode.BOARDS_TOO_EARLY,
                where,
                f"claims boarding at {rescue.boarding_at:%H:%M:%S}; with the charter sign it is {boarding:%H:%M:%S}",
                boarding_at=rescue.boarding_at,
                sign_ready=sign_ready_at(facts.at, facts.dataset.driving_policy) if needed else None,
            )
        )
    arrival = arrival_at[destination]
    if rescue.destination_arrival != arrival:
        problems.append(
            problem(
                ProblemCode.ARRIVAL_TIME,
                where,
                f"claims arrival {rescue.destination_arrival:%H:%M:%S}, the network says {arrival:%H:%M:%S}",
                claimed=rescue.destination_arrival,
                found=arrival,
            )
        )
    caused_s = own_delay_caused_s(facts, rescue, trip)
    if caused_s > facts.ops.max_passing_delay_s:
        problems.append(
            problem(
                ProblemCode.OWN_PASSENGERS_DELAYED,
                where,
                f"delays its own passengers beyond {facts.ops.max_passing_delay_s // 60} min",
                delay_s=caused_s,
                limit_s=facts.ops.max_passing_delay_s,
            )
        )
    return problems


def passing_arrivals(
    facts: Facts, vehicle_id: str, trip: Trip, group: StrandedGroup, stops: bool = True
) -> tuple[datetime, dict[str, datetime]] | Phrase:
    """When the coach on ``trip`` passes the group's scene and reaches each of its stops ahead (driving on
    from the scene after the dwell, or right away if it ``stops`` not), or why it does not pass."""
    vehicle = facts.dataset.vehicle(vehicle_id)
    course = trip_course(facts.network, trip, vehicle.vehicle_class, facts.dataset.clear_conditions)
    found = passing(facts.travel(vehicle_id), trip, course, group.scene, facts.at)
    seen = facts.instance.live.sighted.get(vehicle_id)
    if seen is not None and not isinstance(found, Phrase):  # its fresh fix, not its timetable, says where it is
        found = seen_passing(facts.travel(vehicle_id), trip, course, group.scene, facts.at, seen, found)
    if isinstance(found, Phrase):
        return found
    if stops:  # boards once any new charter sign is filed, then dwells
        failed_trip = facts.dataset.trip(group.trip_id) if group.trip_id else None
        needed = needs_new_sign(failed_trip, vehicle_id, trip.driver_id)
        boarding = earliest_boarding(found.eta, facts.at, needed, facts.dataset.driving_policy)
        clock = boarding + timedelta(seconds=facts.ops.passing_dwell_s)
    else:
        clock = found.eta
    return found.eta, own_stop_arrivals(facts, vehicle_id, group.scene, clock, found.stops_ahead)


def own_stop_arrivals(
    facts: Facts, vehicle_id: str, scene: Any, leave: datetime, stops: Sequence[Stop]
) -> dict[str, datetime]:
    """When a passing coach leaving ``scene`` at ``leave`` reaches each of its own ``stops`` ahead, by
    node; it does not leave a stop before its timetabled time."""
    here, clock, arrival_at = scene, leave, {}
    for stop in stops:
        seconds, _ = facts.route_s(vehicle_id, here, stop.node_id, clock)
        clock += timedelta(seconds=seconds)
        arrival_at[stop.node_id], here = clock, stop.node_id
        clock = max(clock, stop.planned)
    return arrival_at


def own_delay_caused_s(facts: Facts, rescue: Rescue, trip: Trip) -> int:
    """Seconds a passing coach's stop delays its own passengers at its last stop (0 if it does not pass)."""
    group = facts.instance.group(rescue.group_id)
    stopping = passing_arrivals(facts, rescue.vehicle_id, trip, group)
    driving_on = passing_arrivals(facts, rescue.vehicle_id, trip, group, stops=False)
    if isinstance(stopping, Phrase) or isinstance(driving_on, Phrase):
        return 0
    return caused_delay_s(trip.arrival, list(stopping[1].values())[-1], list(driving_on[1].values())[-1])
