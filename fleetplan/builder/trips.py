"""Later trips: the trips a failure or a rescue leaves without their coach or driver, and who could run
each of them (a rescuing crew right after its rescue or route, or a crew on its own) within the allowed
retiming, from where the crew can set out, and inside the driver's shift."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetplan.builder.context import BuildContext
from fleetplan.builder.cover_rank import Entry, Rank, T, Timed, Timing, grouped_by_start, in_rank_order
from fleetplan.builder.cover_timing import cover_timing
from fleetplan.errors import NoRouteError
from fleetplan.instance import (
    Crew,
    CrewKind,
    RejectionCode,
    RescueOption,
    RouteOption,
    StrandedGroup,
    TripOption,
    TripTask,
)
from fleetplan.model import Activity, DutyInterval, Vehicle
from fleetplan.phrase import phrase
from fleetplan.rules import (
    ProposedTask,
    cover_task,
    cover_violations,
    rescue_task,
    route_task,
)
from fleetplan.rules.shift import shift_finding


def trip_tasks(
    ctx: BuildContext, groups: Sequence[StrandedGroup], rescuing: Sequence[Crew], failed: set[str]
) -> tuple[TripTask, ...]:
    """The failed coaches' later trips, and the next trip of every coach or driver with a rescue
    option (a rescue may pull it). The failed trips themselves are not among them: their passengers
    are the stranded groups (a coach that will not start before its trip included)."""
    horizon = ctx.horizon()
    incident_trips = {group.trip_id for group in groups if group.trip_id}
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


@dataclass(frozen=True)
class CoverCrews:
    """The crews that could run a later trip on their own, sorted once per build: by seats, then by
    where and when they are free (crews that set out alike are bounded together), by coach, and by
    coach and driver."""

    by_seats: tuple[tuple[int, tuple[tuple[str, datetime, tuple[Crew, ...]], ...]], ...]
    by_vehicle: Mapping[str, tuple[Crew, ...]]
    by_pair: Mapping[tuple[str, str], Crew]

    @classmethod
    def of(cls, crews: Sequence[Crew]) -> CoverCrews:
        standing = sorted((crew for crew in crews if crew.kind != CrewKind.PASSING), key=lambda crew: crew.id)
        by_vehicle: dict[str, list[Crew]] = {}
        starts: dict[int, list[tuple[Crew, str, datetime]]] = {}
        for crew in standing:
            assert crew.origin_node is not None  # only a passing coach has no origin node
            starts.setdefault(crew.capacity, []).append((crew, crew.origin_node, crew.available_from))
            by_vehicle.setdefault(crew.vehicle_id, []).append(crew)
        return cls(
            tuple((seats, tuple(grouped_by_start(starts[seats]))) for seats in sorted(starts)),
            {vehicle_id: tuple(group) for vehicle_id, group in by_vehicle.items()},
            {(crew.vehicle_id, crew.driver_id): crew for crew in standing},
        )

    def starts_seating(self, passengers: int) -> Iterator[tuple[str, datetime, tuple[Crew, ...]]]:
        """The start groups of the crews with seats for ``passengers``: a smaller coach is never timed.
        Groups split by seats keep their bound, so the rank order of the rest is unchanged."""
        for seats, starts in self.by_seats:
            if seats >= passengers:
                yield from starts


@dataclass(frozen=True)
class ChainRescues:
    """The rescue options by coach and by driver, so that a later trip finds its own crews' rescues
    without reading every rescue of a large fleet; and the rescue routes (a few at most)."""

    every: tuple[RescueOption, ...]
    by_vehicle: Mapping[str, tuple[int, ...]]  # indices into ``every``
    by_driver: Mapping[str, tuple[int, ...]]
    routes: tuple[RouteOption, ...] = ()

    @classmethod
    def of(cls, rescues: Sequence[RescueOption], routes: Sequence[RouteOption] = ()) -> ChainRescues:
        by_vehicle: dict[str, list[int]] = {}
        by_driver: dict[str, list[int]] = {}
        for index, rescue in enumerate(rescues):
            by_vehicle.setdefault(rescue.vehicle_id, []).append(index)
            by_driver.setdefault(rescue.driver_id, []).append(index)
        return cls(
            tuple(rescues),
            {key: tuple(found) for key, found in by_vehicle.items()},
            {key: tuple(found) for key, found in by_driver.items()},
            tuple(routes),
        )

    def of_crew(self, vehicle_id: str, driver_id: str) -> list[RescueOption]:
        """The rescues of coach ``vehicle_id`` or of driver ``driver_id``, in their original order."""
        found = set(self.by_vehicle.get(vehicle_id, ())) | set(self.by_driver.get(driver_id, ()))
        return [self.every[index] for index in sorted(found)]

    def routes_of_crew(self, vehicle_id: str, driver_id: str) -> list[RouteOption]:
        """The routes of coach ``vehicle_id`` or of driver ``driver_id``."""
        return [route for route in self.routes if route.vehicle_id == vehicle_id or route.driver_id == driver_id]


def trip_options(
    ctx: BuildContext,
    task: TripTask,
    crews: CoverCrews,
    rescues: ChainRescues,
    groups: Mapping[str, StrandedGroup],
    task_ids: frozenset[str],
) -> list[TripOption]:
    """Who could run ``task`` (one of the trips ``task_ids``): rescuing crews right after their
    rescue or route (:func:`_chained_options`) and crews on their own (:func:`_standalone_options`)."""
    # a failed coach's trip may go to any rescuer (it takes over the duty), another trip only to its own crew's
    if task.planned_vehicle_id in ctx.failed:
        chainable, routes = list(rescues.every), list(rescues.routes)
    else:
        chainable = rescues.of_crew(task.planned_vehicle_id, task.planned_driver_id)
        routes = rescues.routes_of_crew(task.planned_vehicle_id, task.planned_driver_id)
    chained = _chained_options(ctx, task, chainable, routes, groups, task_ids)
    return chained + _standalone_options(ctx, task, crews, task_ids)


def _chained_options(
    ctx: BuildContext,
    task: TripTask,
    rescues: Sequence[RescueOption],
    routes: Sequence[RouteOption],
    groups: Mapping[str, StrandedGroup],
    task_ids: frozenset[str],
) -> list[TripOption]:
    """A rescuing crew runs ``task`` after its rescue or its route (from the last stop) if it is the
    crew's own trip, or a failed coach's trip (the rescuer takes over its duty) for the
    ``ops.max_trip_covers`` coaches that could run it soonest, keeping its own later trips; other
    pulled trips go to crews on their own."""
    latest = task.departure + timedelta(seconds=task.max_shift_s)
    # each rescue or route with where and when its crew is free
    ends: Iterator[tuple[RescueOption | RouteOption, str, datetime]] = itertools.chain(
        (
            (r, r.destination_node or groups[r.group_id].destination_node, r.destination_arrival)
            for r in rescues
            if r.kind != CrewKind.PASSING
        ),
        ((route, route.drops[-1].node, route.end) for route in routes if route.kind != CrewKind.PASSING),
    )

    def time_after(before: RescueOption | RouteOption, free_node: str, free_at: datetime) -> Timed | None:
        timing = cover_timing(ctx, before.vehicle_id, before.driver_id, task, free_node, free_at)
        return None if timing is None else ((timing[0], timing[1], before.id), before, timing)

    own_entries: list[Entry] = []  # the crew's own trip: offered whatever its rank
    others: list[tuple[RescueOption | RouteOption, str, datetime]] = []
    for before, free_node, free_at in ends:
        own = task.planned_vehicle_id == before.vehicle_id or task.planned_driver_id == before.driver_id
        if before.capacity < task.passengers or free_at > latest or not (own or task.planned_vehicle_id in ctx.failed):
            continue
        if not own:
            others.append((before, free_node, free_at))
        elif (entry := time_after(before, free_node, free_at)) is not None:
            own_entries.append(entry)
    free_from = {before.id: (free_node, free_at) for before, free_node, free_at in others}
    return _soonest_coaches(
        ctx,
        task,
        grouped_by_start(others),
        lambda before: time_after(before, *free_from[before.id]),
        own_entries,
        lambda before, timing: _chained_option(ctx, before, task, timing, task_ids),
    )


def _soonest_coaches(
    ctx: BuildContext,
    task: TripTask,
    starts: Sequence[tuple[str, datetime, Sequence[T]]],
    time_item: Callable[[T], Entry | None],
    own_entries: Sequence[Entry],
    make: Callable[[T, Timing], TripOption | None],
) -> list[TripOption]:
    """Options in rank order from the first ``ops.max_trip_covers`` coaches that yield any (every
    option of those coaches), plus the ``own_entries``, offered always. Legality is checked only for
    these, and only their candidates are timed (:func:`~fleetplan.builder.cover_rank.in_rank_order`)."""
    limit = ctx.ops.max_trip_covers
    own_ids = {entry[1].id for entry in own_entries}
    own_coaches = {entry[1].vehicle_id for entry in own_entries}
    coaches: set[str] = set()

    def wanted(item: T) -> bool:
        return len(coaches) < limit or item.vehicle_id in coaches or item.vehicle_id in own_coaches

    options: list[TripOption] = []
    for _, item, timing in in_rank_order(ctx, task, starts, time_item, own_entries, wanted):
        if len(coaches) >= limit and item.vehicle_id not in coaches and item.id not in own_ids:
            continue
        assert timing is not None  # every entry here was timed
        option = make(item, timing)
        if option is not None:
            options.append(option)
            coaches.add(item.vehicle_id)
    return options


def _standalone_options(
    ctx: BuildContext, task: TripTask, crews: CoverCrews, task_ids: frozenset[str]
) -> list[TripOption]:
    """The planned crew, and the crews of the ``ops.max_trip_covers`` coaches that could run ``task``
    soonest on their own (least shift, then least empty running) without missing a trip of their
    own that is not itself a task.

    Crews are timed nearest first and only until those coaches are found: a large fleet has
    thousands of crews and a trip wants a dozen coaches near it."""
    planned = crews.by_pair.get((task.planned_vehicle_id, task.planned_driver_id))
    timed: dict[str, Timed | None] = {}

    def time_crew(crew: Crew) -> Timed | None:
        if crew.id not in timed:
            timed[crew.id] = _timed_cover(ctx, crew, task)
        return timed[crew.id]

    def option(crew: Crew, timing: Timing) -> TripOption | None:
        return _standalone_option(ctx, crew, task, timing, task_ids)

    options: list[tuple[Rank, TripOption]] = []
    chosen: dict[str, None] = {}  # the coaches offered, in rank order
    tried: set[str] = set()  # the crews whose option was made (or found illegal)
    kept: list[tuple[Rank, Crew, None]] = []
    if planned is not None and planned.capacity >= task.passengers:  # it sets out as the timetable has it
        timed[planned.id] = None
        kept.append(((0, -1, planned.id), planned, None))  # before any crew there at no cost, whose id may sort first
    for rank, crew, timing in in_rank_order(ctx, task, crews.starts_seating(task.passengers), time_crew, kept):
        if len(chosen) >= ctx.ops.max_trip_covers:
            break
        if crew.vehicle_id in chosen:
            continue  # taken with the rest of its coach's crews below
        tried.add(crew.id)
        made = _kept_option(crew, task) if timing is None else option(crew, timing)
        if made is not None:
            options.append((rank, made))
            chosen[crew.vehicle_id] = None
    if planned is not None and kept and planned.vehicle_id not in chosen:  # offered whatever its rank
        options.append((kept[0][0], _kept_option(planned, task)))
        chosen[planned.vehicle_id] = None  # and its coach with another driver, if its own is pulled away
    for vehicle_id in chosen:  # every crew of a chosen coach, wherever it stands in the queue
        for crew in crews.by_vehicle.get(vehicle_id, ()):
            if crew.id not in tried and (entry := time_crew(crew)) is not None:
                if (made := option(crew, entry[2])) is not None:
                    options.append((entry[0], made))
    return [made for _, made in sorted(options, key=lambda pair: pair[0])]


def _timed_cover(ctx: BuildContext, crew: Crew, task: TripTask) -> Timed | None:
    """``crew``'s rank and timing for ``task`` (see :func:`_cover_timing`), None if it cannot run it."""
    if crew.capacity < task.passengers:
        return None
    assert crew.origin_node is not None
    timing = cover_timing(ctx, crew.vehicle_id, crew.driver_id, task, crew.origin_node, crew.available_from)
    return None if timing is None else ((timing[0], timing[1], crew.id), crew, timing)


def _kept_option(crew: Crew, task: TripTask) -> TripOption:
    """The trip left to its planned crew as the timetable has it (their own duty, already legal)."""
    return TripOption(
        f"T:{crew.id}>{task.trip_id}", crew.id, task.trip_id, crew.vehicle_id, crew.driver_id, None, 0, 0, True
    )


def _standalone_option(
    ctx: BuildContext, crew: Crew, task: TripTask, timing: Timing, task_ids: frozenset[str]
) -> TripOption | None:
    own_trips = _own_trips_kept(ctx, crew.vehicle_id, crew.driver_id, task, timing, task_ids)
    if own_trips is None:
        return None
    return _legal_option(ctx, (crew.id, crew.vehicle_id, crew.driver_id), task, timing, None, own_trips)


def _chained_option(
    ctx: BuildContext,
    before: RescueOption | RouteOption,
    task: TripTask,
    timing: Timing,
    task_ids: frozenset[str],
) -> TripOption | None:
    own_trips = _own_trips_kept(ctx, before.vehicle_id, before.driver_id, task, timing, task_ids)
    if own_trips is None:
        return None
    crew = (before.crew_id, before.vehicle_id, before.driver_id)
    if isinstance(before, RouteOption):
        route_log = route_task(before.depart_at, before.calls).log(before.driver_id)
        return _legal_option(ctx, crew, task, timing, None, route_log + own_trips, after_route_id=before.id)
    return _legal_option(ctx, crew, task, timing, before.id, rescue_duty(ctx, before) + own_trips)


def _own_trips_kept(
    ctx: BuildContext, vehicle_id: str, driver_id: str, task: TripTask, timing: Timing, task_ids: frozenset[str]
) -> tuple[DutyInterval, ...] | None:
    """The driver's own later trips that are not tasks, as planned driving, if the coach
    and the driver can still reach the first of their own trips after running ``task``; None if
    covering ``task`` would break one (a trip of theirs no task re-covers is kept, §6: no coach or
    driver serves two tasks at once)."""
    own: dict[str, DutyInterval] = {}
    finished = _cover(ctx, ctx.dataset.vehicle(vehicle_id), task, timing).end  # in snow, past the timetable
    # A cover may run past the horizon: every later trip of the coach and the driver that is no task
    # stays theirs, so each counts, whenever it leaves (the driver's 24 h and 7 d windows reach it).
    for trip_ids, drives in (
        (ctx.state.vehicles[vehicle_id].later_trip_ids, False),
        (ctx.state.drivers[driver_id].later_trip_ids, True),
    ):
        kept = [
            trip
            for trip in (ctx.dataset.trip(trip_id) for trip_id in trip_ids)
            if trip.id not in task_ids and trip.id != task.trip_id
        ]
        if not kept:
            continue
        try:
            back = ctx.route(ctx.dataset.vehicle(vehicle_id), task.destination_node, kept[0].origin, finished)
        except NoRouteError:
            return None
        if finished + timedelta(seconds=back.travel_time_s) > kept[0].departure:
            return None
        if drives:
            own.update((t.id, DutyInterval(driver_id, t.departure, t.arrival, Activity.DRIVE)) for t in kept)
    return tuple(own.values())


def rescue_duty(ctx: BuildContext, rescue: RescueOption) -> tuple[DutyInterval, ...]:
    """The duty a driven rescue adds to its driver's log (drive, duty at the scene, rest, drive);
    worked out once per rescue, as every trip the crew could run after it asks."""
    if rescue.id not in ctx.rescue_duties:
        ctx.rescue_duties[rescue.id] = _worked_out_rescue_duty(ctx, rescue)
    return ctx.rescue_duties[rescue.id]


def _worked_out_rescue_duty(ctx: BuildContext, rescue: RescueOption) -> tuple[DutyInterval, ...]:
    task = rescue_task(
        rescue.depart_at,
        rescue.scene_arrival,
        rescue.boarding_at,
        ctx.ops.transfer_s,
        rescue.rest_at_scene_s,
        rescue.destination_arrival,
        rest_on_way=rescue.rest_on_way,
    )
    return task.log(rescue.driver_id)


def _cover(ctx: BuildContext, vehicle: Vehicle, task: TripTask, timing: Timing) -> ProposedTask:
    """The cover's duty: its empty run right before the (retimed) departure, then the trip; in snow the
    trip runs longer than its timetable, with the rests that needs (world model §8)."""
    shift_s, deadhead_m, deadhead_s = timing
    timetable_s = int((task.arrival - task.departure).total_seconds())
    trip_m = ctx.trip_length_m(vehicle, task.trip_id)
    return cover_task(
        task.departure + timedelta(seconds=shift_s - deadhead_s),
        deadhead_s + timetable_s,
        ctx.trip_added_s(vehicle, task.trip_id),
        ctx.dataset.driving_policy,
        distance_m=None if trip_m is None else trip_m + deadhead_m,
    )


def _legal_option(
    ctx: BuildContext,
    crew: tuple[str, str, str],
    task: TripTask,
    timing: Timing,
    after_rescue_id: str | None,
    extra_log: tuple[DutyInterval, ...],
    after_route_id: str | None = None,
) -> TripOption | None:
    """The option of ``crew`` (crew, coach and driver ids) if its driver may drive it, else None."""
    crew_id, vehicle_id, driver_id = crew
    vehicle, driver = ctx.dataset.vehicle(vehicle_id), ctx.dataset.driver(driver_id)
    shift_s, deadhead_m, _ = timing
    cover = _cover(ctx, vehicle, task, timing)
    off_shift = shift_finding(driver, cover.start, cover.end)
    if off_shift is not None:  # the whole cover, empty run to arrival, lies in one shift (§7–§8)
        ctx.reject(driver_id, RejectionCode.OFF_SHIFT, phrase("trip", trip=task.trip_id, why=off_shift))
        return None
    log = tuple(sorted(ctx.state.drivers[driver.id].duty_log + extra_log, key=lambda d: d.start))
    # a yes/no is enough here: a trip leaves at its time or is re-covered by someone else
    if cover_violations(driver, log, cover, vehicle, ctx.dataset.driving_policy):
        return None
    after = after_rescue_id or after_route_id
    return TripOption(
        f"T:{crew_id}>{task.trip_id}" + (f"@{after}" if after else ""),
        crew_id,
        task.trip_id,
        vehicle_id,
        driver_id,
        after_rescue_id,
        shift_s,
        deadhead_m,
        after_route_id=after_route_id,
    )
