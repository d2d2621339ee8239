"""The checks of one trip cover: the coach and driver, the seats, the retiming, getting there in time
from where the crew sets out (a later shift begins at the driver's home depot), the charter sign, the
driver's shift over the whole cover and the driver's rules with the rescue before it."""

from __future__ import annotations

from datetime import timedelta

from fleetplan.errors import FleetplanError
from fleetplan.evaluate.facts import Facts
from fleetplan.evaluate.routes import route_duty
from fleetplan.model import VehicleStatus
from fleetplan.phrase import Phrase
from fleetplan.plan import Plan, TripCover
from fleetplan.problems import Problem, ProblemCode, problem
from fleetplan.rules import (
    cover_start,
    cover_task,
    cover_violations,
    needs_new_sign,
    off_shift_reason,
    personal_eligibility,
    sign_ready_at,
)
from fleetplan.timetable import trip_length_m


def _kept_problems(cover: TripCover, trip, plan: Plan, where: str) -> list[Problem]:
    """A trip kept as timetabled: only by its planned crew, and only if no rescue takes that crew."""
    if (cover.vehicle_id, cover.driver_id) != (trip.vehicle_id, trip.driver_id):
        return [
            problem(
                ProblemCode.WRONG_DRIVER,
                where,
                f"kept as timetabled by {cover.vehicle_id} / {cover.driver_id}, but its crew is "
                f"{trip.vehicle_id} / {trip.driver_id}",
                claimed=(cover.vehicle_id, cover.driver_id),
                found=(trip.vehicle_id, trip.driver_id),
            )
        ]
    rescuing = {r.vehicle_id for r in plan.rescues} | {r.driver_id for r in plan.rescues}
    if {cover.vehicle_id, cover.driver_id} & rescuing:
        return [problem(ProblemCode.DOUBLE_BOOKED, where, "its planned crew is also sent to a rescue")]
    return []


# ------------------------------------------------------------------ one trip cover
def check_trip_cover(facts: Facts, cover: TripCover, plan: Plan) -> list[Problem]:
    where = f"trip {cover.trip_id} by {cover.vehicle_id}"
    try:
        trip = facts.dataset.trip(cover.trip_id)
        vehicle = facts.dataset.vehicle(cover.vehicle_id)
        driver = facts.dataset.driver(cover.driver_id)
    except (FleetplanError, KeyError) as error:
        return [problem(ProblemCode.UNKNOWN_ID, where, str(error))]
    problems = []
    if vehicle.id in facts.failed or vehicle.status == VehicleStatus.WORKSHOP:
        problems.append(
            problem(
                ProblemCode.FAILED_COACH if vehicle.id in facts.failed else ProblemCode.IN_WORKSHOP,
                where,
                "the coach is failed or in the workshop",
            )
        )
    if not vehicle.permit_valid_on(trip.arrival.date()):
        problems.append(
            problem(ProblemCode.PERMIT_EXPIRED, where, f"the coach's permit ends on {vehicle.permit_valid_until}")
        )
    if vehicle.seats < trip.booked_passengers:
        problems.append(
            problem(
                ProblemCode.SEATS_EXCEEDED,
                where,
                f"{trip.booked_passengers} booked exceed {vehicle.seats} seats",
                passengers=trip.booked_passengers,
                seats=vehicle.seats,
            )
        )
    if not 0 <= cover.departure_shift_s <= facts.ops.max_trip_shift_s:
        problems.append(
            problem(
                ProblemCode.SHIFT_OUT_OF_RANGE,
                where,
                f"departure shift {cover.departure_shift_s} s outside 0–{facts.ops.max_trip_shift_s} s",
                shift_s=cover.departure_shift_s,
                limit_s=facts.ops.max_trip_shift_s,
            )
        )
    problems += [
        problem(ProblemCode.DRIVER_INELIGIBLE, where, f"driver {driver.id}: {v.message}", rule=v.code)
        for v in personal_eligibility(driver, vehicle, facts.at.date(), facts.instance.driving_policy)
    ]
    if cover.keeps_timetable:
        return problems + _kept_problems(cover, trip, plan, where)
    before = next((r for r in plan.rescues if r.vehicle_id == vehicle.id), None)
    route = next((r for r in plan.routes if before is not None and r.id == before.route_id), None)
    if route is not None:  # after a route the crew sets out from its last stop
        start_node, free_at = route.stops[-1].place, route.end
        extra = list(route_duty(facts, route).log(driver.id))
    elif before is not None:
        start_node = before.destination_node or facts.instance.group(before.group_id).destination_node
        free_at = before.destination_arrival
        extra = list(facts.rescue_duty(before).log(driver.id))
    else:
        start_node, free_at, extra = (
            facts.vehicle_node(vehicle.id),
            facts.at + timedelta(seconds=facts.ops.turnout_s),
            [],
        )
    latest = trip.departure + timedelta(seconds=facts.ops.max_trip_shift_s)
    home = facts.dataset.site(driver.home_depot).node_id
    start = cover_start(driver, start_node, free_at, home, trip.departure, latest)
    if isinstance(start, Phrase):  # a trip in a later shift is driven from the home depot (§8)
        return problems + [problem(ProblemCode.OFF_SHIFT, where, facts.say(start))]
    start_node, free_at = start.node, start.at
    departure = trip.departure + timedelta(seconds=cover.departure_shift_s)
    try:
        deadhead_s, deadhead_m = facts.route_s(vehicle.id, start_node, trip.origin, free_at)
    except FleetplanError as error:
        return problems + [problem(ProblemCode.NO_ROUTE, where, str(error))]
    if free_at + timedelta(seconds=deadhead_s) > departure:
        problems.append(
            problem(
                ProblemCode.CANNOT_REACH_TRIP,
                where,
                f"cannot reach {trip.origin} by {departure:%H:%M}",
                ready_at=free_at + timedelta(seconds=deadhead_s),
                departure=departure,
            )
        )
    if cover.deadhead_m != deadhead_m:
        problems.append(
            problem(
                ProblemCode.EMPTY_RUNNING,
                where,
                f"claims {cover.deadhead_m} m empty running, the network says {deadhead_m} m",
                claimed_m=cover.deadhead_m,
                found_m=deadhead_m,
            )
        )
    if needs_new_sign(trip, vehicle.id, driver.id):
        sign_ready = sign_ready_at(facts.at, facts.instance.driving_policy)
        if departure < sign_ready:
            problems.append(
                problem(
                    ProblemCode.SIGN_NOT_FILED,
                    where,
                    "leaves before a new charter sign can be filed",
                    departure=departure,
                    sign_ready=sign_ready,
                )
            )
    log = sorted(facts.duty_log(driver.id) + extra, key=lambda d: d.start)
    trip_m = trip_length_m(trip, lambda a, b, at: facts.route_s(vehicle.id, a, b, at)[1])
    # in snow the trip runs longer than its timetable, with the rests that needs (world model §8)
    duty = cover_task(
        departure - timedelta(seconds=deadhead_s),
        deadhead_s + int((trip.arrival - trip.departure).total_seconds()),
        facts.trip_added_s(vehicle.id, trip),
        facts.instance.driving_policy,
        distance_m=None if trip_m is None else trip_m + deadhead_m,  # it decides the 02:00–05:00 exemption
    )
    off_shift = off_shift_reason(driver, duty.start, duty.end)
    if off_shift is not None:  # the whole cover, the empty run to the trip's arrival, in one shift
        problems.append(problem(ProblemCode.OFF_SHIFT, where, off_shift))
    problems += [
        problem(ProblemCode.DRIVING_RULES, where, f"driver {driver.id}: {v.message}", rule=v.code)
        for v in cover_violations(driver, log, duty, vehicle, facts.instance.driving_policy)
    ]
    return problems
