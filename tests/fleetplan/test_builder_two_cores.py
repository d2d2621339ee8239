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


def _build(fleet, min_work: int, monkeypatch, weather: str) -> Instance:
    corridor, incidents = fleet
    monkeypatch.setattr(two_cores, "MIN_WORK", min_work)
    return build_instance(corridor, incidents, corridor.dataset.conditions_named(weather))


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


@pytest.mark.parametrize("weather", ["clear", "blizzard"])
def test_a_build_on_two_cores_is_the_build_on_one(fleet, monkeypatch, weather):
    forks = []
    real_fork = os.fork

    def counted_fork():
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(two_cores.os, "fork", counted_fork)
    alone = _build(fleet, 10**12, monkeypatch, weather)
    assert forks == []
    shared = _build(fleet, 0, monkeypatch, weather)
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
    """Makes item → (item, the process that made it) in 30 ms (long enough for both processes to draw
    items) and rejects a candidate per item (one of seven, so most twice over)."""
    parent = os.getpid()

    def make(item: int):
        time.sleep(0.03)
        if in_child is not None and os.getpid() != parent:
            in_child()
        ctx.reject(f"c{item % 7}", RejectionCode.BUSY, phrase("busy", who=f"c{item % 7}", why=str(item)))
        if item % 5 == 0:
            ctx.late_options.append(f"late {item}")  # type: ignore[arg-type]  # its order is what is checked
        if item % 4 == 1:
            ctx.overtime_options.append(f"overtime {item}")  # type: ignore[arg-type]
        return [(item, os.getpid())]

    return make


def _made_and_recorded(in_child=None) -> tuple[list[int], set[int], list]:
    """The items made in order, the processes that made them, and what was recorded: the rejections,
    then the late and the overtime options."""
    ctx = _context()
    ctx.reject("c3", RejectionCode.BUSY, phrase("busy", who="c3", why="before"))  # recorded before: kept once
    made = two_cores.made_on_two_cores(ctx, list(range(15)), _rejecting(ctx, in_child), work=10**9)
    recorded = [(r.candidate, r.said) for r in ctx.rejections] + ctx.late_options + ctx.overtime_options
    return [item for item, _ in made], {pid for _, pid in made}, recorded


def test_items_and_rejections_come_back_in_order_and_once():
    items, makers, recorded = _made_and_recorded()
    assert items == list(range(15))
    assert len(makers) == 2 and os.getpid() in makers  # this process and the child both made some
    assert [candidate for candidate, _ in recorded[:7]] == ["c3", "c0", "c1", "c2", "c4", "c5", "c6"]
    assert recorded[2][1] == phrase("busy", who="c1", why="1")  # item 1's, whichever side made it, not item 8's
    assert recorded[7:] == ["late 0", "late 5", "late 10", "overtime 1", "overtime 5", "overtime 9", "overtime 13"]


def test_a_child_that_dies_costs_time_only(tmp_path):
    ran = tmp_path / "child ran"

    def die() -> None:
        ran.touch()
        os._exit(3)

    items, makers, recorded = _made_and_recorded(in_child=die)
    assert ran.exists()
    assert makers == {os.getpid()}  # every item made here in the end
    assert (items, recorded) == _made_and_recorded()[::2]


def test_a_child_that_hangs_is_stopped_and_its_items_made_here(monkeypatch, tmp_path):
    monkeypatch.setattr(two_cores, "CHILD_GRACE_S", 0.2)
    ran = tmp_path / "child ran"

    def hang() -> None:
        ran.touch()
        time.sleep(60)

    started = time.monotonic()
    items, makers, recorded = _made_and_recorded(in_child=hang)
    assert time.monotonic() - started < 30
    assert ran.exists() and makers == {os.getpid()}
    assert (items, recorded) == _made_and_recorded()[::2]


def test_a_process_with_other_threads_never_forks(monkeypatch):
    monkeypatch.undo()  # the real check

    def no_fork():
        raise AssertionError("forked with another thread running")

    monkeypatch.setattr(two_cores.os, "fork", no_fork)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        items, makers, _ = _made_and_recorded()
    finally:
        stop.set()
        other.join()
    assert items == list(range(15)) and makers == {os.getpid()}


def test_the_desks_builds_on_the_default_corridor_stay_on_one_core(monkeypatch):
    # under load the desk's other core answers another report: a fork would only cost it
    from tests.solver.desk_incidents import desk_instance

    def no_fork():
        raise AssertionError("a desk build forked")

    monkeypatch.setattr(two_cores.os, "fork", no_fork)
    assert all(desk_instance(index).rescue_options for index in range(0, 40, 5))


def test_no_process_to_fork_leaves_the_build_on_one_core(monkeypatch):
    def no_process():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(two_cores.os, "fork", no_process)
    open_before = len(os.listdir("/proc/self/fd"))
    items, makers, recorded = _made_and_recorded()
    assert items == list(range(15)) and makers == {os.getpid()}
    assert len(os.listdir("/proc/self/fd")) == open_before  # its pipes closed again
