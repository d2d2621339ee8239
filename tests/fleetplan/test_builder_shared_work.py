"""Work the builder shares between crews that are alike, and what it must still do for each one
(stop 36, issue 18 §5): drivers alike in shift and home depot share where they set out for a later
trip, yet each driver off shift is rejected by name; a scene on a node is passed where a stop there
is possible; the cyclic collector is paused during a build only."""

from __future__ import annotations

import gc
import threading
from datetime import datetime, timedelta

import pytest

from fleetplan.builder import BuildContext, build_instance
from fleetplan.builder.cover_timing import cover_start_for
from fleetplan.collector import collector_paused
from fleetplan.corridor import Corridor, load_corridor
from fleetplan.errors import LocationError
from fleetplan.instance import RejectionCode, TripTask
from fleetplan.model import Incident, IncidentKind
from fleetplan.operations import OperationsPolicy
from fleetplan.rules.shift import CoverStart
from fleetplan.state import snapshot

MONDAY = datetime(2026, 12, 7)


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor()


def _context(corridor: Corridor, at: datetime) -> BuildContext:
    dataset = corridor.dataset
    return BuildContext(corridor, dataset.clear_conditions, OperationsPolicy(), at, snapshot(dataset, at))


def _task(departure: datetime) -> TripTask:
    return TripTask(
        "T-test",
        "siping_depot",
        departure,
        "changchun_depot",
        departure + timedelta(hours=2),
        30,
        1800,
        "c01",
        "d01",
        "",
    )


def _incident(where: str) -> Incident:
    return Incident("t1", IncidentKind.BREAKDOWN, "c05", None, where, MONDAY.replace(hour=7, minute=40), 30)


def _start(ctx: BuildContext, corridor: Corridor, driver_id: str, node: str, free_at: datetime, task: TripTask):
    driver = corridor.dataset.driver(driver_id)
    home = corridor.dataset.site(driver.home_depot).node_id
    return cover_start_for(ctx, driver, node, free_at, home, task, task.departure + timedelta(seconds=task.max_shift_s))


def test_drivers_alike_off_shift_are_each_rejected_by_name(corridor):
    # d23, d25 and d26: Siping, 07:00–19:00. A trip at 20:30 lies in no shift of theirs.
    at = MONDAY.replace(hour=19, minute=30)
    ctx = _context(corridor, at)
    task = _task(MONDAY.replace(hour=20, minute=30))
    for driver_id in ("d23", "d25", "d26", "d23"):
        assert _start(ctx, corridor, driver_id, "siping_depot", at, task) is None
    off_shift = [r for r in ctx.rejections if r.code == RejectionCode.OFF_SHIFT]
    assert [r.candidate for r in off_shift] == ["d23", "d25", "d26"]  # each once, in the order asked
    for rejection in off_shift:
        assert rejection.reason.startswith(f"trip T-test: {rejection.candidate} is off shift"), rejection.reason
    assert len(ctx.cover_starts) == 1  # worked out once for the three


def test_drivers_alike_share_a_start_in_their_next_shift_only_at_home(corridor):
    # At 19:30 a trip at 07:30 tomorrow lies in the next 07:00–19:00 shift: begun at the home depot.
    at = MONDAY.replace(hour=19, minute=30)
    ctx = _context(corridor, at)
    task = _task(MONDAY.replace(hour=7, minute=30) + timedelta(days=1))
    expected = CoverStart("siping_depot", MONDAY.replace(hour=7) + timedelta(days=1), new_shift=True)
    assert _start(ctx, corridor, "d23", "siping_depot", at, task) == expected
    assert _start(ctx, corridor, "d25", "siping_depot", at, task) == expected
    # the same shift, but standing away from home: no start, and the reason says where it stands
    assert _start(ctx, corridor, "d26", "changchun_depot", at, task) is None
    (away,) = [r for r in ctx.rejections if r.code == RejectionCode.OFF_SHIFT]
    assert away.candidate == "d26" and away.phrase.facts["why"].key == "cover.next_shift"
    assert [r.candidate for r in ctx.rejections] == ["d26"]


def test_a_scene_at_a_node_is_passed_where_a_coach_can_stop_there(corridor):
    network = corridor.network
    station = network.locate("changchun_station")
    assert station.node_id in network.stop_nodes(station)
    assert network.path_passes(["siping_depot", station.node_id], station)
    assert not network.path_passes(["siping_depot", "changchun_depot"], station)
    service_areas = [n for n, kind in network.graph.nodes(data="kind") if kind == "parking"]
    assert service_areas, "the default corridor has G1 service areas"
    parking = service_areas[0]
    beside = next(iter(network.graph.predecessors(parking)))
    area = network.locate(parking)
    assert beside in network.stop_nodes(area)  # driving by on the carriageway, the coach can pull in
    assert network.path_passes([beside], area)


def test_the_collector_is_paused_during_a_build_only(corridor, monkeypatch):
    seen: list[bool] = []
    from fleetplan.builder import trips

    real = trips.trip_tasks

    def watching(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr("fleetplan.builder.trip_tasks", watching)
    assert gc.isenabled()
    build_instance(corridor, [_incident("G1 K90 toward Changchun")], corridor.dataset.clear_conditions)
    assert seen == [False] and gc.isenabled()


def test_the_collector_comes_back_after_the_last_of_overlapping_pauses():
    assert gc.isenabled()
    inside = threading.Event()
    release = threading.Event()

    def other_build() -> None:
        with collector_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other_build)
    thread.start()
    inside.wait(5)
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other build still runs
    release.set()
    thread.join()
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_in_a_build_gives_the_collector_back(corridor):
    with pytest.raises(LocationError):
        build_instance(corridor, [_incident("nowhere at all")], corridor.dataset.clear_conditions)
    assert gc.isenabled()
