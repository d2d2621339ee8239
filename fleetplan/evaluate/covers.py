"""The checks of one trip cover: the coach and driver, the seats, the shift, getting there in time,
the charter sign and the driver's rules with the rescue before it."""

from __future__ import annotations

from datetime import timedelta

from fleetplan.errors import FleetplanError
from fleetplan.evaluate.facts import Facts
from fleetplan.model import Activity, DutyInterval, VehicleStatus
from fleetplan.plan import Plan, TripCover
from fleetplan.problems import Problem, ProblemCode, problem
from fleetplan.rules import ProposedDrive, personal_eligibility, violations_at


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
    before = next((r for r in plan.rescues if r.vehicle_id == vehicle.id), None)
    if before is not None:
        group = facts.instance.group(before.group_id)
        start_node, free_at = group.destination_node, before.destination_arrival
        extra = [DutyInterval(driver.id, before.depart_at, before.destination_arrival, Activity.DRIVE)]
    else:
        start_node, free_at, extra = (
            facts.vehicle_node(vehicle.id),
            facts.at + timedelta(seconds=facts.ops.turnout_s),
            [],
        )
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
    if vehicle.id != trip.vehicle_id:
        sign_ready = facts.at + timedelta(seconds=facts.instance.driving_policy.charter_sign_filing_delay_s)
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
    drive = ProposedDrive(
        departure - timedelta(seconds=deadhead_s),
        deadhead_s + int((trip.arrival - trip.departure).total_seconds()),
        None,
        commuter=True,
    )
    problems += [
        problem(ProblemCode.DRIVING_RULES, where, f"driver {driver.id}: {v.message}", rule=v.code)
        for v in violations_at(driver, log, drive, vehicle, facts.instance.driving_policy)
    ]
    return problems
