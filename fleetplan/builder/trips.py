"""Later trips: the trips a failure or a rescue leaves without their coach or driver, and who could run
each of them (a rescuing crew right after its rescue, or a crew on its own) within the allowed shift."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial

from fleetplan.builder.context import BuildContext
from fleetplan.errors import NoRouteError
from fleetplan.instance import Crew, CrewKind, RescueOption, StrandedGroup, TripOption, TripTask
from fleetplan.model import Activity, DutyInterval, Incident
from fleetplan.rules import ProposedDrive, violations_at


def trip_tasks(
    ctx: BuildContext, incidents: Sequence[Incident], rescuing: Sequence[Crew], failed: set[str]
) -> tuple[TripTask, ...]:
    """The failed coaches' later trips, and the next trip of every coach or driver with a rescue
    option (a rescue may pull it)."""
    horizon = ctx.horizon()
    incident_trips = {ctx.dataset.trip(t).id for t in (i.trip_id for i in incidents) if t}
    reasons: dict[str, str] = {}
    for vehicle_id in sorted(failed):
        for trip_id in ctx.state.vehicles[vehicle_id].later_trip_ids:
            reasons.setdefault(trip_id, f"its coach {vehicle_id} has failed")
    for crew in rescuing:
        if crew.kind == CrewKind.PASSING:
            continue
        for trip_ids in (
            ctx.state.vehicles[crew.vehicle_id].later_trip_ids,
            ctx.state.drivers[crew.driver_id].later_trip_ids,
        ):
            if trip_ids:
                reasons.setdefault(trip_ids[0], "its coach or driver may be pulled into the rescue")
    tasks = []
    for trip_id, reason in reasons.items():
        trip = ctx.dataset.trip(trip_id)
        if trip.departure > horizon or trip.id in incident_trips:
            continue
        tasks.append(
            TripTask(
                trip.id,
                trip.origin,
                trip.departure,
                trip.destination,
                trip.arrival,
                trip.booked_passengers,
                ctx.ops.max_trip_shift_s,
                trip.vehicle_id,
                trip.driver_id,
                reason,
            )
        )
    return tuple(sorted(tasks, key=lambda t: (t.departure, t.trip_id)))


def trip_options(
    ctx: BuildContext,
    task: TripTask,
    crews: Sequence[Crew],
    rescues: Sequence[RescueOption],
    groups: Mapping[str, StrandedGroup],
    task_ids: frozenset[str],
) -> list[TripOption]:
    """Who could run ``task`` (one of the trips ``task_ids``): rescuing crews right after their
    rescue (:func:`_chained_options`) and crews on their own (:func:`_standalone_options`)."""
    return _chained_options(ctx, task, rescues, groups) + _standalone_options(ctx, task, crews, task_ids)


def _chained_options(
    ctx: BuildContext, task: TripTask, rescues: Sequence[RescueOption], groups: Mapping[str, StrandedGroup]
) -> list[TripOption]:
    """A rescuing crew runs ``task`` after its rescue if it is the crew's own trip, or a failed
    coach's trip (the rescuer takes over its duty) for the ``ops.max_trip_covers`` coaches that could
    run it soonest; other pulled trips go to crews on their own."""
    latest = task.departure + timedelta(seconds=task.max_shift_s)
    ranked = []
    for rescue in rescues:
        own = task.planned_vehicle_id == rescue.vehicle_id or task.planned_driver_id == rescue.driver_id
        if (
            rescue.kind == CrewKind.PASSING
            or rescue.capacity < task.passengers
            or rescue.destination_arrival > latest
            or not (own or task.planned_vehicle_id in ctx.failed)
        ):
            continue
        timing = _cover_timing(
            ctx, rescue.vehicle_id, task, groups[rescue.group_id].destination_node, rescue.destination_arrival
        )
        if timing is not None:
            drive = DutyInterval(rescue.driver_id, rescue.depart_at, rescue.destination_arrival, Activity.DRIVE)
            make = partial(
                _legal_option,
                ctx,
                (rescue.crew_id, rescue.vehicle_id, rescue.driver_id),
                task,
                timing,
                rescue.id,
                (drive,),
            )
            ranked.append(((timing[0], timing[1], rescue.id), rescue.vehicle_id, own, make))
    return _soonest_coaches(ranked, ctx.ops.max_trip_covers)


def _standalone_options(
    ctx: BuildContext, task: TripTask, crews: Sequence[Crew], task_ids: frozenset[str]
) -> list[TripOption]:
    """The planned crew, and the crews of the ``ops.max_trip_covers`` coaches that could run ``task``
    soonest on their own (least shift, then least empty running) without missing a trip of their
    own that is not itself a task."""
    ranked = []
    for crew in crews:
        if crew.kind == CrewKind.PASSING or crew.capacity < task.passengers:
            continue
        assert crew.origin_node is not None  # only a passing coach has no origin node
        timing = _cover_timing(ctx, crew.vehicle_id, task, crew.origin_node, crew.available_from)
        if timing is not None:
            planned = crew.vehicle_id == task.planned_vehicle_id and crew.driver_id == task.planned_driver_id
            make = partial(_standalone_option, ctx, crew, task, timing, task_ids)
            ranked.append(((timing[0], timing[1], crew.id), crew.vehicle_id, planned, make))
    return _soonest_coaches(ranked, ctx.ops.max_trip_covers)


def _soonest_coaches(
    ranked: Sequence[tuple[tuple[int, int, str], str, bool, Callable[[], TripOption | None]]], limit: int
) -> list[TripOption]:
    """Options in rank order from the first ``limit`` coaches that yield any (every option of those
    coaches), plus the ones marked to keep always. Legality is checked only for these."""
    options: list[TripOption] = []
    coaches: set[str] = set()
    for _, vehicle_id, keep, make in sorted(ranked, key=lambda entry: entry[0]):
        if len(coaches) >= limit and vehicle_id not in coaches and not keep:
            continue
        option = make()
        if option is not None:
            options.append(option)
            coaches.add(vehicle_id)
    return options


def _standalone_option(
    ctx: BuildContext, crew: Crew, task: TripTask, timing: tuple[int, int, int], task_ids: frozenset[str]
) -> TripOption | None:
    own_trips = _own_trips_kept(ctx, crew, task, timing[0], task_ids)
    if own_trips is None:
        return None
    return _legal_option(ctx, (crew.id, crew.vehicle_id, crew.driver_id), task, timing, None, own_trips)


def _cover_timing(
    ctx: BuildContext, vehicle_id: str, task: TripTask, from_node: str, free_at: datetime
) -> tuple[int, int, int] | None:
    """(departure shift s, empty running m, empty running s) of coach ``vehicle_id`` running ``task``
    from ``from_node`` when free at ``free_at``; None if it cannot leave within the allowed shift."""
    try:
        deadhead = ctx.route(ctx.dataset.vehicle(vehicle_id), from_node, task.origin_node, free_at)
    except NoRouteError:
        return None
    ready = free_at + timedelta(seconds=deadhead.travel_time_s)
    if vehicle_id != task.planned_vehicle_id:  # a replacement coach needs a newly filed sign
        ready = max(ready, ctx.at + timedelta(seconds=ctx.dataset.driving_policy.charter_sign_filing_delay_s))
    shift_s = max(0, int((ready - task.departure).total_seconds()))
    if shift_s > task.max_shift_s:
        return None
    return shift_s, deadhead.length_m, deadhead.travel_time_s


def _own_trips_kept(
    ctx: BuildContext, crew: Crew, task: TripTask, shift_s: int, task_ids: frozenset[str]
) -> tuple[DutyInterval, ...] | None:
    """The crew's own next trips (coach's and driver's) that are not tasks, as planned driving, if
    it can still reach them after running ``task``; None if covering ``task`` would break one."""
    own: list[DutyInterval] = []
    finished = task.arrival + timedelta(seconds=shift_s)
    for trip_ids in (
        ctx.state.vehicles[crew.vehicle_id].later_trip_ids,
        ctx.state.drivers[crew.driver_id].later_trip_ids,
    ):
        trip = ctx.next_trip(trip_ids)
        if trip is None or trip.id in task_ids or trip.id == task.trip_id:
            continue
        try:
            back = ctx.route(ctx.dataset.vehicle(crew.vehicle_id), task.destination_node, trip.origin, finished)
        except NoRouteError:
            return None
        if finished + timedelta(seconds=back.travel_time_s) > trip.departure:
            return None
        own.append(DutyInterval(crew.driver_id, trip.departure, trip.arrival, Activity.DRIVE))
    return tuple(own)


def _legal_option(
    ctx: BuildContext,
    crew: tuple[str, str, str],
    task: TripTask,
    timing: tuple[int, int, int],
    after_rescue_id: str | None,
    extra_log: tuple[DutyInterval, ...],
) -> TripOption | None:
    """The option of ``crew`` (crew, coach and driver ids) if its driver may drive it, else None."""
    crew_id, vehicle_id, driver_id = crew
    vehicle, driver = ctx.dataset.vehicle(vehicle_id), ctx.dataset.driver(driver_id)
    shift_s, deadhead_m, deadhead_s = timing
    start = task.departure + timedelta(seconds=shift_s - deadhead_s)
    duration_s = deadhead_s + int((task.arrival - task.departure).total_seconds())
    log = tuple(sorted(ctx.state.drivers[driver.id].duty_log + extra_log, key=lambda d: d.start))
    # a yes/no is enough here: a trip leaves at its time or is re-covered by someone else
    if violations_at(
        driver, log, ProposedDrive(start, duration_s, None, commuter=True), vehicle, ctx.dataset.driving_policy
    ):
        return None
    return TripOption(
        f"T:{crew_id}>{task.trip_id}" + (f"@{after_rescue_id}" if after_rescue_id else ""),
        crew_id,
        task.trip_id,
        vehicle_id,
        driver_id,
        after_rescue_id,
        shift_s,
        deadhead_m,
    )
