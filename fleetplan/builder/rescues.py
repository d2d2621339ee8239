"""Rescue options: each crew driving to a group's scene and on to its destination, or a passing coach
stopping for it, with times, distances and lateness computed on the network and the driver's duty
(drive to the scene, duty there, any rest, the onward drive) checked against the rules and the shift:
a rest the onward drive needs is taken at the scene or, when that delivers later or not at all, at a
rest place on the way; one the drive to the scene needs moves the departure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from fleetplan.builder.context import VIOLATION_CODES, BuildContext, no_route_phrase
from fleetplan.builder.groups import arrival_delay_s
from fleetplan.builder.passing import passing_option
from fleetplan.errors import NoRouteError
from fleetplan.instance import Crew, CrewKind, RejectionCode, RescueOption, StrandedGroup
from fleetplan.model import Vehicle
from fleetplan.network import Route
from fleetplan.phrase import phrase
from fleetplan.rules import (
    ProposedDrive,
    ProposedTask,
    Violation,
    check_drive,
    earliest_boarding,
    needs_new_sign,
    rescue_task,
    shift_label,
    task_violations,
    violations_at,
)
from fleetplan.rules.shift import ShiftFinding, shift_finding


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
            said = phrase("outranked", vehicle=vehicle_id, n=considered, incident=group.incident_id)
            ctx.reject(vehicle_id, RejectionCode.OUTRANKED, said, group.id)
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


@dataclass(frozen=True)
class _RestOnWay:
    """A rest on the onward drive: the rest place, when the coach reaches it, how long it stays."""

    node: str
    reached: datetime
    rest_s: int


@dataclass(frozen=True)
class _Timing:
    """A rescue's times: leave, reach the scene, board, leave the scene after any rest, arrive; the
    onward drive is one route, or two around a rest on the way."""

    depart_at: datetime
    to_scene: Route
    scene_arrival: datetime
    boarding_at: datetime
    rest_s: int
    leave_scene: datetime
    onward: tuple[Route, ...]
    arrival: datetime
    rest_on_way: _RestOnWay | None = None
    past_shift: ShiftFinding | None = None  # why the rescue is not inside the driver's shift (None: it is)

    @property
    def onward_m(self) -> int:
        return sum(route.length_m for route in self.onward)

    @property
    def drive_s(self) -> int:
        return self.to_scene.travel_time_s + sum(route.travel_time_s for route in self.onward)

    def task(self, transfer_s: int) -> ProposedTask:
        """The driver's duty: drive to the scene, duty there, the rest, the onward drive (§6–§7)."""
        on_way = self.rest_on_way
        return rescue_task(
            self.depart_at,
            self.scene_arrival,
            self.boarding_at,
            transfer_s,
            self.rest_s,
            self.arrival,
            rest_on_way=(on_way.reached, on_way.rest_s) if on_way else None,
            distance_m=self.to_scene.length_m + self.onward_m,
        )


def _timing(
    ctx: BuildContext, vehicle: Vehicle, origin: str, group: StrandedGroup, depart_at: datetime, sign: bool, rest_s: int
) -> _Timing:
    """The times of leaving ``origin`` at ``depart_at`` with a rest of ``rest_s`` at the scene; a
    needed new charter sign (``sign``) may hold the boarding back. Raises NoRouteError."""
    to_scene = ctx.route(vehicle, origin, group.scene, depart_at)
    scene_arrival = depart_at + timedelta(seconds=to_scene.travel_time_s)  # 0 s from the scene's own node
    boarding_at = earliest_boarding(scene_arrival, ctx.at, sign, ctx.dataset.driving_policy)
    leave_scene = boarding_at + timedelta(seconds=ctx.ops.transfer_s + rest_s)
    onward = ctx.route(vehicle, group.scene, group.destination_node, leave_scene)
    arrival = leave_scene + timedelta(seconds=onward.travel_time_s)
    return _Timing(depart_at, to_scene, scene_arrival, boarding_at, rest_s, leave_scene, (onward,), arrival)


def _rested(ctx: BuildContext, crew: Crew, group: StrandedGroup, plain: _Timing, sign: bool) -> _Timing:
    """``plain`` with the least rest at the scene, at least ``min_rest``, after which the onward drive
    is legal: a rest ends the continuous stretch; waiting longer may be what the 02:00–05:00 stop or
    another rule needs (a later start can change the travel time, so it is checked again), but not
    past the driver's shift (the rule is then the reason, not the shift). The caller checks the
    result whole. Raises NoRouteError."""
    vehicle, driver = ctx.dataset.vehicle(crew.vehicle_id), ctx.dataset.driver(crew.driver_id)
    policy, log = ctx.dataset.driving_policy, ctx.rescue_log(driver.id)
    assert crew.origin_node is not None  # a standing crew (see _legal_timing)
    shift_ends = (driver.shift_window(plain.depart_at) or (plain.depart_at, plain.depart_at))[1]
    shortest = timing = _timing(ctx, vehicle, crew.origin_node, group, plain.depart_at, sign, policy.min_rest_s)
    for _ in range(3):
        pieces = timing.task(ctx.ops.transfer_s).pieces
        before = ProposedTask(pieces[:-1]).log(driver.id)  # every piece before the onward drive
        distance_m = timing.to_scene.length_m + timing.onward_m
        onward = ProposedDrive(timing.leave_scene, timing.onward[0].travel_time_s, distance_m)
        verdict = check_drive(driver, (*log, *before), onward, vehicle, policy)
        later = verdict.earliest_legal_start
        if verdict.legal or later is None or later <= timing.leave_scene:
            return timing
        if later >= shift_ends:
            return shortest
        rest_s = timing.rest_s + int((later - timing.leave_scene).total_seconds())
        timing = _timing(ctx, vehicle, crew.origin_node, group, plain.depart_at, sign, rest_s)
    return timing


def _rested_on_way(ctx: BuildContext, crew: Crew, group: StrandedGroup, plain: _Timing) -> _Timing | None:
    """``plain`` with a rest of ``min_rest`` at a rest place the onward route passes (§6), after no
    rest at the scene or, when the stretch through the scene needs one too, after ``min_rest`` there:
    of those after which the whole duty is legal, the one that delivers first (no rest at the scene,
    then the nearer place, on a tie). None when none makes the duty legal. Raises NoRouteError."""
    vehicle, driver = ctx.dataset.vehicle(crew.vehicle_id), ctx.dataset.driver(crew.driver_id)
    policy, log = ctx.dataset.driving_policy, ctx.rescue_log(driver.id)
    ends = {group.destination_node, *ctx.place(group.scene).arrival_nodes}
    candidates: list[_Timing] = []
    for scene_rest_s in (0, policy.min_rest_s):
        leave = plain.boarding_at + timedelta(seconds=ctx.ops.transfer_s + scene_rest_s)
        direct = ctx.route(vehicle, group.scene, group.destination_node, leave)  # the way it would drive on
        for node in (n for n in ctx.network.rest_places_on(direct.path) if n not in ends):
            first = ctx.route(vehicle, group.scene, node, leave)
            reached = leave + timedelta(seconds=first.travel_time_s)
            rested = reached + timedelta(seconds=policy.min_rest_s)
            second = ctx.route(vehicle, node, group.destination_node, rested)
            arrival = rested + timedelta(seconds=second.travel_time_s)
            on_way = _RestOnWay(node, reached, policy.min_rest_s)
            timing = replace(
                plain,
                rest_s=scene_rest_s,
                leave_scene=leave,
                onward=(first, second),
                arrival=arrival,
                rest_on_way=on_way,
            )
            candidates.append(timing)
    # in order of delivery (a stable sort keeps the order above on a tie): the first legal one is the answer,
    # and the whole duty's check, the costly part, is made only until it is found
    for timing in sorted(candidates, key=lambda candidate: candidate.arrival):
        if not task_violations(driver, log, timing.task(ctx.ops.transfer_s), vehicle, policy):
            return timing
    return None


def _legal_timing(ctx: BuildContext, crew: Crew, group: StrandedGroup, sign: bool) -> _Timing | None:
    """The rescue's times with the driver's rules and shift kept: leaving as soon as the crew can;
    with a rest at the scene when the onward drive needs one; or leaving later when the drive to the
    scene is not legal yet. None, with the rejection, when none of these works."""
    vehicle, driver = ctx.dataset.vehicle(crew.vehicle_id), ctx.dataset.driver(crew.driver_id)
    policy, log = ctx.dataset.driving_policy, ctx.rescue_log(driver.id)
    assert crew.origin_node is not None  # not a passing coach (rescue_options), so it stands at a node
    if not driver.on_shift(crew.available_from):  # a crew for the later trips only (its shift begins later)
        moment = f"{crew.available_from:%Y-%m-%d %H:%M}"
        said = phrase("off_shift_at", driver=driver.id, moment=moment, shift=shift_label(driver))
        ctx.reject(driver.id, RejectionCode.OFF_SHIFT, said, group.id)
        return None
    depart_at = crew.available_from
    for _ in range(3):  # a later departure may change travel times, so each one is checked again
        try:
            plain = _timing(ctx, vehicle, crew.origin_node, group, depart_at, sign, 0)
            if not task_violations(driver, log, plain.task(ctx.ops.transfer_s), vehicle, policy):
                return _on_shift(ctx, crew, group, plain)  # the common case: one cheap check
            whole_m = plain.to_scene.length_m + plain.onward_m  # the 02:00–05:00 exemption goes by the task's length
            to_scene = ProposedDrive(depart_at, plain.to_scene.travel_time_s, whole_m)
            if violations_at(driver, log, to_scene, vehicle, policy):
                verdict = check_drive(driver, log, to_scene, vehicle, policy)
                if verdict.earliest_legal_start is None or verdict.earliest_legal_start <= depart_at:
                    _reject_violation(ctx, crew.id, verdict.violations[0], group.id)
                    return None
                depart_at = verdict.earliest_legal_start
                continue
            # the drive to the scene is legal: the onward drive needs the rest, at the scene or on the way
            rested = _rested(ctx, crew, group, plain, sign)
            on_way = _rested_on_way(ctx, crew, group, plain)
        except NoRouteError as error:
            ctx.reject(crew.vehicle_id, RejectionCode.UNREACHABLE, no_route_phrase(error), group.id)
            return None
        found = task_violations(driver, log, rested.task(ctx.ops.transfer_s), vehicle, policy)
        if on_way is not None and (found or on_way.arrival < rested.arrival):
            return _on_shift(ctx, crew, group, on_way)
        if found:
            _reject_violation(ctx, crew.id, found[0], group.id)
            return None
        return _on_shift(ctx, crew, group, rested)
    _reject_violation(ctx, crew.id, verdict.violations[0], group.id)
    return None


def _on_shift(ctx: BuildContext, crew: Crew, group: StrandedGroup, timing: _Timing) -> _Timing:
    """``timing``, marked with the reason when the whole rescue, departure to arrival at the delivery
    stop, does not lie in the driver's shift (:func:`_driven_rescue` rejects it then)."""
    finding = shift_finding(ctx.dataset.driver(crew.driver_id), timing.depart_at, timing.arrival)
    return replace(timing, past_shift=finding) if finding else timing


def _driven_rescue(ctx: BuildContext, crew: Crew, group: StrandedGroup) -> RescueOption | None:
    trip = ctx.dataset.trip(group.trip_id) if group.trip_id else None
    sign = needs_new_sign(trip, crew.vehicle_id, crew.driver_id)
    timing = _legal_timing(ctx, crew, group, sign)
    if timing is None:
        return None
    vehicle = ctx.dataset.vehicle(crew.vehicle_id)
    if not vehicle.permit_valid_on(timing.arrival.date()):  # judged on every day the rescue drives
        said = phrase(
            "rescue_permit", vehicle=vehicle.id, date=vehicle.permit_valid_until, end=f"{timing.arrival:%m-%d %H:%M}"
        )
        ctx.reject(vehicle.id, RejectionCode.PERMIT, said, group.id)
        return None
    depart_at, scene_arrival, destination_arrival = timing.depart_at, timing.scene_arrival, timing.arrival
    late_s = max(0, int((scene_arrival - group.deadline).total_seconds()))
    option = RescueOption(
        id=f"R:{crew.id}>{group.id}",
        crew_id=crew.id,
        group_id=group.id,
        vehicle_id=crew.vehicle_id,
        driver_id=crew.driver_id,
        kind=crew.kind,
        origin_node=crew.origin_node,
        depart_at=depart_at,
        scene_arrival=scene_arrival,
        boarding_at=timing.boarding_at,
        destination_arrival=destination_arrival,
        destination_node=group.destination_node,
        capacity=crew.capacity,
        deadhead_m=timing.to_scene.length_m,
        drive_s=timing.drive_s,
        own_passengers=0,
        own_passenger_delay_s=0,
        late_s=late_s,
        delay_at_destination_s=arrival_delay_s(group, destination_arrival),
        needs_new_sign=sign,
        driver_hours_left_s=ctx.driving_left_s(crew.driver_id, depart_at),
        rest_at_scene_s=timing.rest_s,
        rest_on_way_node=timing.rest_on_way.node if timing.rest_on_way else "",
        rest_on_way_at=timing.rest_on_way.reached if timing.rest_on_way else None,
        rest_on_way_s=timing.rest_on_way.rest_s if timing.rest_on_way else 0,
    )
    if timing.past_shift is not None:
        ctx.reject(crew.driver_id, RejectionCode.OFF_SHIFT, phrase("rule", rule=timing.past_shift), group.id)
        if late_s <= ctx.ops.max_late_s:
            ctx.overtime_options.append(option)  # not offered, but overtime would make it one (the relaxations)
        return None
    if late_s > ctx.ops.max_late_s:
        said = phrase(
            "too_late", vehicle=crew.vehicle_id, at=f"{scene_arrival:%H:%M}", late=-(-late_s // 60)
        )  # started minutes: past a limit by 30 s reads 1
        ctx.reject(crew.vehicle_id, RejectionCode.TOO_LATE, said, group.id)
        ctx.late_options.append(option)  # not offered, but a later limit would make it one (the relaxations)
        return None
    return option


def _reject_violation(ctx: BuildContext, candidate: str, violation: Violation, group_id: str) -> None:
    code = VIOLATION_CODES.get(violation.code, RejectionCode.HOURS_LEFT)
    ctx.reject(candidate, code, phrase("rule", rule=violation.finding), group_id)
