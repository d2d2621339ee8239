"""Rescue options: each crew driving to a group's scene and on to its destination, or a passing coach
stopping for it, with times, distances and lateness computed on the network and the driver checked
against the rules (a required rest moves the departure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from fleetplan.builder.context import VIOLATION_CODES, BuildContext
from fleetplan.builder.groups import arrival_delay_s
from fleetplan.builder.passing import passing_option
from fleetplan.errors import NoRouteError
from fleetplan.instance import Crew, CrewKind, RejectionCode, RescueOption, StrandedGroup
from fleetplan.rules import ProposedDrive, check_drive, violations_at


def group_rescues(ctx: BuildContext, group: StrandedGroup, crews: Sequence[Crew]) -> list[RescueOption]:
    """Every rescue option for ``group``: each passing coach, and the standing coaches in order of
    approach (:func:`_approach_rank`) until ``ops.max_rescue_coaches`` of them have a legal crew;
    the rest are rejected as outranked."""
    options = [option for crew in crews if crew.kind == CrewKind.PASSING for option in rescue_options(ctx, crew, group)]
    by_vehicle: dict[str, list[Crew]] = defaultdict(list)
    for crew in crews:
        if crew.kind != CrewKind.PASSING:
            by_vehicle[crew.vehicle_id].append(crew)
    considered = 0
    for vehicle_crews in sorted(by_vehicle.values(), key=lambda same: _approach_rank(ctx, same[0], group)):
        vehicle_id = vehicle_crews[0].vehicle_id
        if considered >= ctx.ops.max_rescue_coaches:
            ctx.reject(
                vehicle_id,
                RejectionCode.OUTRANKED,
                f"{vehicle_id}: {considered} coaches reach {group.incident_id} sooner or carry more",
                group.id,
            )
            continue
        found = [option for crew in vehicle_crews for option in rescue_options(ctx, crew, group)]
        considered += bool(found)
        options += found
    return options


def _approach_rank(ctx: BuildContext, crew: Crew, group: StrandedGroup) -> tuple:
    """Sort key of a standing coach for ``group``, before any driver rule: first the coaches that
    are there within the limit, most seats the group can use first, then the rest by arrival.
    Unreachable ones go first only so that their reason is recorded; they yield no option."""
    vehicle = ctx.dataset.vehicle(crew.vehicle_id)
    assert crew.origin_node is not None  # a standing crew: only a passing coach has no origin node
    try:
        to_scene = ctx.route(vehicle, crew.origin_node, group.scene, crew.available_from)
    except NoRouteError:
        return (-1, 0, crew.available_from, vehicle.id)
    arrival = crew.available_from + timedelta(seconds=to_scene.travel_time_s)
    if arrival <= group.deadline:
        return (0, -min(vehicle.seats, group.passengers), arrival, vehicle.id)
    return (1, 0, arrival, vehicle.id)


def rescue_options(ctx: BuildContext, crew: Crew, group: StrandedGroup) -> list[RescueOption]:
    """The option of ``crew`` serving ``group`` (none, with a rejection, if it cannot)."""
    if crew.kind == CrewKind.PASSING:
        option = passing_option(ctx, crew, group)
        return [option] if option else []
    option = _driven_rescue(ctx, crew, group)
    return [option] if option else []


def _driven_rescue(ctx: BuildContext, crew: Crew, group: StrandedGroup) -> RescueOption | None:
    vehicle, driver = ctx.dataset.vehicle(crew.vehicle_id), ctx.dataset.driver(crew.driver_id)
    assert crew.origin_node is not None  # not a passing coach (rescue_options), so it stands at a node
    origin, destination = ctx.place(crew.origin_node), ctx.place(group.destination_node)
    depart_at = crew.available_from
    for _ in range(3):  # a rest may move the departure, and a later departure may change travel times
        try:
            to_scene = ctx.route(vehicle, origin, group.scene, depart_at)
            scene_arrival = depart_at + timedelta(seconds=to_scene.travel_time_s)
            boarding_at = max(
                scene_arrival, ctx.at + timedelta(seconds=ctx.dataset.driving_policy.charter_sign_filing_delay_s)
            )
            leave_scene = boarding_at + timedelta(seconds=ctx.ops.transfer_s)
            onward = ctx.route(vehicle, group.scene, destination, leave_scene)
        except NoRouteError as error:
            ctx.reject(crew.vehicle_id, RejectionCode.UNREACHABLE, str(error), group.id)
            return None
        drive_s = to_scene.travel_time_s + onward.travel_time_s
        drive = ProposedDrive(depart_at, drive_s, to_scene.length_m + onward.length_m, commuter=True)
        duty_log = ctx.state.drivers[driver.id].duty_log
        if not violations_at(driver, duty_log, drive, vehicle, ctx.dataset.driving_policy):
            break  # legal: the cheap check suffices; the search below only runs for a later start
        verdict = check_drive(driver, duty_log, drive, vehicle, ctx.dataset.driving_policy)
        if verdict.earliest_legal_start is None or verdict.earliest_legal_start <= depart_at:
            _reject_verdict(ctx, crew.id, verdict, group.id)
            return None
        depart_at = verdict.earliest_legal_start
    else:
        _reject_verdict(ctx, crew.id, verdict, group.id)
        return None
    late_s = max(0, int((scene_arrival - group.deadline).total_seconds()))
    if late_s > ctx.ops.max_late_s:
        ctx.reject(
            crew.vehicle_id,
            RejectionCode.TOO_LATE,
            f"{crew.vehicle_id} would reach the scene at {scene_arrival:%H:%M}, {late_s // 60} min past the limit",
            group.id,
        )
        return None
    destination_arrival = leave_scene + timedelta(seconds=onward.travel_time_s)
    return RescueOption(
        id=f"R:{crew.id}>{group.id}",
        crew_id=crew.id,
        group_id=group.id,
        vehicle_id=crew.vehicle_id,
        driver_id=crew.driver_id,
        kind=crew.kind,
        origin_node=crew.origin_node,
        depart_at=depart_at,
        scene_arrival=scene_arrival,
        boarding_at=boarding_at,
        destination_arrival=destination_arrival,
        destination_node=group.destination_node,
        capacity=crew.capacity,
        deadhead_m=to_scene.length_m,
        drive_s=drive_s,
        own_passengers=0,
        own_passenger_delay_s=0,
        late_s=late_s,
        delay_at_destination_s=arrival_delay_s(group, destination_arrival),
        needs_new_sign=True,
        driver_hours_left_s=ctx.driving_left_s(crew.driver_id, depart_at),
    )


def _reject_verdict(ctx: BuildContext, candidate: str, verdict, group_id: str) -> None:
    first = verdict.violations[0]
    ctx.reject(candidate, VIOLATION_CODES.get(first.code, RejectionCode.HOURS_LEFT), first.message, group_id)
