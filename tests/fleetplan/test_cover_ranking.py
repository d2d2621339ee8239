"""The builder times crews for a later trip lazily, nearest first (builder.cover_rank): the coaches it
offers must be exactly the soonest ones an exhaustive ranking would offer, on a generated multi-city
fleet where most crews stand far from most trips: crews on their own, and rescuers taking over a
failed coach's trip after their rescue."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime, time

import pytest

from fleetplan.builder import build_instance
from fleetplan.corridor import load_corridor
from fleetplan.instance import Instance, TripOption, TripTask
from fleetplan.operations import OperationsPolicy

from bench.fleet_generator import FleetSpec, generate_corridor
from bench.incidents import simultaneous_incidents

pytestmark = pytest.mark.slow

EVERY_COACH = 100_000


def _rank(option: TripOption) -> tuple[int, int, str]:
    # the planned crew first among those with nothing to drive, whatever its id (it was dropped when
    # another crew of its coach at no cost had an id sorting before it)
    return option.departure_shift_s, -1 if option.keeps_timetable else option.deadhead_m, option.crew_id


def _chained_rank(option: TripOption) -> tuple[int, int, str]:
    return option.departure_shift_s, option.deadhead_m, option.after_rescue_id or option.after_route_id or ""


def _by_trip(instance: Instance, chained: bool) -> dict[str, list[TripOption]]:
    by_trip: dict[str, list[TripOption]] = defaultdict(list)
    for option in instance.trip_options:
        if option.chained == chained:
            by_trip[option.trip_id].append(option)
    return by_trip


def _standalone(instance: Instance) -> dict[str, list[TripOption]]:
    return _by_trip(instance, chained=False)


def _soonest(task: TripTask, every: list[TripOption], limit: int) -> set[str]:
    """The options of the first ``limit`` coaches in rank order (the planned crew ranks first with
    nothing to drive), plus the planned coach whatever its rank."""
    chosen: list[str] = []
    for option in sorted(every, key=_rank):
        if len(chosen) < limit and option.vehicle_id not in chosen:
            chosen.append(option.vehicle_id)
    keep = set(chosen) | {o.vehicle_id for o in every if o.keeps_timetable}
    return {o.id for o in every if o.vehicle_id in keep}


@pytest.mark.parametrize(("coaches", "seed"), [(40, 11), (60, 12), (160, 13)])
def test_lazily_ranked_covers_are_the_soonest_coaches(coaches, seed):
    """On small fleets a trip's dozen coaches come from several cities, on larger ones from one."""
    spec = FleetSpec(coaches=coaches, seed=seed)
    corridor = generate_corridor(spec, load_corridor())
    moment = datetime.combine(spec.day, time(7, 45))
    incidents = [g.incident for g in simultaneous_incidents(corridor, moment, 5, seed)]
    conditions = corridor.dataset.clear_conditions
    ops = OperationsPolicy()
    offered = _standalone(build_instance(corridor, incidents, conditions, ops))
    exhaustive = build_instance(corridor, incidents, conditions, replace(ops, max_trip_covers=EVERY_COACH))
    every = _standalone(exhaustive)
    assert exhaustive.trip_tasks and sum(map(len, every.values())) > sum(map(len, offered.values()))
    for task in exhaustive.trip_tasks:
        expected = _soonest(task, every[task.trip_id], ops.max_trip_covers)
        assert {o.id for o in offered[task.trip_id]} == expected, task.trip_id
        assert [o.id for o in offered[task.trip_id]] == [o.id for o in sorted(offered[task.trip_id], key=_rank)]


def _soonest_after_rescues(task: TripTask, every: list[TripOption], limit: int) -> list[str]:
    """In rank order, the options of the first ``limit`` coaches, and every option of the task's own
    coach or driver (its own trip after its rescue), which also counts among the coaches."""
    coaches: set[str] = set()
    kept = []
    for option in sorted(every, key=_chained_rank):
        own = option.vehicle_id == task.planned_vehicle_id or option.driver_id == task.planned_driver_id
        if len(coaches) < limit or option.vehicle_id in coaches or own:
            kept.append(option.id)
            coaches.add(option.vehicle_id)
    return kept


@pytest.mark.parametrize(("coaches", "seed", "incidents"), [(60, 12, 8), (160, 13, 12), (300, 14, 20)])
def test_lazily_ranked_rescuers_are_the_soonest_coaches(coaches, seed, incidents):
    """A failed coach's later trip may go to any rescuer after its rescue: after a mass disruption
    there are hundreds, and only the soonest are timed."""
    spec = FleetSpec(coaches=coaches, seed=seed)
    corridor = generate_corridor(spec, load_corridor())
    moment = datetime.combine(spec.day, time(7, 45))
    generated = [g.incident for g in simultaneous_incidents(corridor, moment, incidents, seed)]
    conditions = corridor.dataset.clear_conditions
    ops = replace(OperationsPolicy(), max_trip_covers=3)  # fewer than the rescuers of every failed trip
    offered = _by_trip(build_instance(corridor, generated, conditions, ops), chained=True)
    exhaustive = build_instance(corridor, generated, conditions, replace(ops, max_trip_covers=EVERY_COACH))
    every = _by_trip(exhaustive, chained=True)
    cut = [task for task in exhaustive.trip_tasks if len({o.vehicle_id for o in every[task.trip_id]}) > 3]
    assert cut, "no trip has more rescuers than the limit: the test would not see a lazy ranking"
    for task in exhaustive.trip_tasks:
        expected = _soonest_after_rescues(task, every[task.trip_id], ops.max_trip_covers)
        assert [o.id for o in offered[task.trip_id]] == expected, task.trip_id
