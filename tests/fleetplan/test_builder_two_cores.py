"""A large build shares its groups' rescues and its trips' covers with a forked child
(fleetplan.builder.two_cores): the instance is the one a build in one process makes, option for
option and rejection for rejection, in the same order; a child that dies or hangs costs time only;
a process with other threads never forks."""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime
from datetime import time as clock

import pytest

from fleetplan.builder import BuildContext, build_instance, two_cores
from fleetplan.corridor import Corridor, load_corridor
from fleetplan.instance import Instance, RejectionCode
from fleetplan.operations import OperationsPolicy
from fleetplan.phrase import phrase
from fleetplan.state import snapshot

from bench.fleet_generator import FleetSpec, generate_corridor
from bench.incidents import simultaneous_incidents


@pytest.fixture(autouse=True)
def forking_allowed(monkeypatch):
    """Threads another test left behind must not keep these tests from forking (they do not lock)."""
    monkeypatch.setattr(two_cores, "_single_threaded", lambda: True)


@pytest.fixture(scope="module")
def fleet() -> tuple[Corridor, list]:
    spec = FleetSpec(coaches=150, seed=3)
    corridor = generate_corridor(spec, load_corridor())
    moment = datetime.combine(spec.day, clock(7, 45))
    return corridor, [placed.incident for placed in simultaneous_incidents(corridor, moment, 6, spec.seed)]


def _build(fleet, min_work: int, monkeypatch) -> Instance:
    corridor, incidents = fleet
    monkeypatch.setattr(two_cores, "MIN_WORK", min_work)
    return build_instance(corridor, incidents, corridor.dataset.clear_conditions)


def _everything(instance: Instance) -> tuple:
    return (
        instance.crews,
        instance.rescue_options,
        instance.route_options,
        instance.trip_tasks,
        instance.trip_options,
        instance.late_options,
        instance.overtime_options,
        tuple((r.candidate, r.code, r.said, r.group_id, r.reason) for r in instance.rejections),
    )


def test_a_build_on_two_cores_is_the_build_on_one(fleet, monkeypatch):
    forks = []
    real_fork = os.fork

    def counted_fork():
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(two_cores.os, "fork", counted_fork)
    alone = _build(fleet, 10**12, monkeypatch)
    assert forks == []
    shared = _build(fleet, 0, monkeypatch)
    assert len(forks) == 2  # the groups' rescues, then the trips' covers
    assert len(alone.trip_options) > 50 and len(alone.rejections) > 100  # enough to tell an order apart
    assert _everything(shared) == _everything(alone)


def _context() -> BuildContext:
    corridor = load_corridor()
    at = datetime(2026, 12, 7, 7, 40)
    return BuildContext(
        corridor, corridor.dataset.clear_conditions, OperationsPolicy(), at, snapshot(corridor.dataset, at)
    )


def _rejecting(ctx: BuildContext, in_child=None):
    """Makes item → (item, item * 10) and rejects a candidate per item (every third one twice over)."""
    parent = os.getpid()

    def make(item: int):
        if in_child is not None and os.getpid() != parent:
            in_child()
        ctx.reject(f"c{item % 7}", RejectionCode.BUSY, phrase("busy", who=f"c{item % 7}", why=str(item)))
        return (item, item * 10)

    return make


def _made_and_recorded(in_child=None, monkeypatch=None) -> tuple:
    ctx = _context()
    ctx.reject("c3", RejectionCode.BUSY, phrase("busy", who="c3", why="before"))  # recorded before: kept once
    made = two_cores.made_on_two_cores(ctx, list(range(15)), _rejecting(ctx, in_child), work=10**9)
    return made, [(r.candidate, r.said) for r in ctx.rejections]


def test_items_and_rejections_come_back_in_order_and_once():
    made, rejections = _made_and_recorded()
    assert made == tuple(x for item in range(15) for x in (item, item * 10))
    assert [candidate for candidate, _ in rejections] == ["c3", "c0", "c1", "c2", "c4", "c5", "c6"]
    assert rejections[2][1] == phrase("busy", who="c1", why="1")  # the child's item 1, not the parent's 8


def test_a_child_that_dies_costs_time_only():
    assert _made_and_recorded(in_child=lambda: os._exit(3)) == _made_and_recorded()


def test_a_child_that_hangs_is_stopped_and_its_items_made_here(monkeypatch):
    monkeypatch.setattr(two_cores, "CHILD_GRACE_S", 0.2)
    started = time.monotonic()
    assert _made_and_recorded(in_child=lambda: time.sleep(60)) == _made_and_recorded()
    assert time.monotonic() - started < 30


def test_a_process_with_other_threads_never_forks(monkeypatch):
    monkeypatch.undo()  # the real check

    def no_fork():
        raise AssertionError("forked with another thread running")

    monkeypatch.setattr(two_cores.os, "fork", no_fork)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        made, _ = _made_and_recorded()
    finally:
        stop.set()
        other.join()
    assert made == tuple(x for item in range(15) for x in (item, item * 10))


def test_the_desks_builds_on_the_default_corridor_stay_on_one_core(monkeypatch):
    # under load the desk's other core answers another report: a fork would only cost it
    from tests.solver.desk_incidents import desk_instance

    def no_fork():
        raise AssertionError("a desk build forked")

    monkeypatch.setattr(two_cores.os, "fork", no_fork)
    assert all(desk_instance(index).rescue_options for index in range(0, 40, 5))
