"""The desk service's pieces: local times, live conditions and closures, plan resources, and solving
off the event loop (the service keeps answering while a dispatch is being solved)."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.errors import InvalidValueError
from fleetplan.model import Conditions

from api.desk import check_closure_target, parse_local_minute, plan_resources, with_closures
from api.operations_log import Closure, ClosureKind

from tests.api.http_support import REPORT, running_desk, sqlite_url

WAIT_S = 30  # bounded waits; the test never sleeps for time to pass


def test_local_minutes_parse_and_bad_ones_name_the_field():
    assert parse_local_minute("2026-12-07T07:40", "time") == datetime(2026, 12, 7, 7, 40)
    for text in ("2026-12-07T25:00", "2026-12-07T07:60", "2026-13-07T07:40", "2026-12-07 07:40", "07:40", ""):
        with pytest.raises(InvalidValueError) as raised:
            parse_local_minute(text, "at")
        assert raised.value.field == "at"


def closure(kind: ClosureKind, target: str) -> Closure:
    return Closure(1, kind, target, "", datetime(2026, 12, 7, 7, 0), "test")


def test_closures_add_to_the_preset_without_dropping_its_own():
    preset = Conditions(name="ice", closed_entrances=frozenset({"wulipo_ic"}))
    live = with_closures(preset, [closure(ClosureKind.ENTRANCE, "gongzhuling_ic"), closure(ClosureKind.EDGE, "a -> b")])
    assert live.closed_entrances == {"wulipo_ic", "gongzhuling_ic"}
    assert live.closed_edges == {("a", "b")}
    assert with_closures(preset, []) is preset


def test_closure_targets_are_checked_against_the_network():
    corridor = load_corridor()
    check_closure_target(corridor, ClosureKind.ENTRANCE, "*")
    u, v = next(iter(corridor.network.graph.edges))
    check_closure_target(corridor, ClosureKind.EDGE, f"{u}->{v}")
    for kind, target in (
        (ClosureKind.ENTRANCE, "siping_depot"),
        (ClosureKind.EDGE, f"{v}->{v}"),
        (ClosureKind.EDGE, u),
    ):
        with pytest.raises(InvalidValueError) as raised:
            check_closure_target(corridor, kind, target)
        assert raised.value.field == "target"


def test_plan_resources_are_the_rescues_and_the_recovered_trips_once_each():
    plan = {
        "assignments": [{"vehicle_id": "c09", "driver_id": "d09"}, {"vehicle_id": "c10", "driver_id": "d10"}],
        "recovered_trips": [{"vehicle_id": "c09", "driver_id": "d09"}, {"vehicle_id": "c11", "driver_id": "d12"}],
    }
    assert plan_resources(plan) == (["c09", "c10", "c11"], ["d09", "d10", "d12"])


def test_the_service_answers_while_a_dispatch_is_being_solved(tmp_path):
    with running_desk(sqlite_url(tmp_path)) as desk:
        service = desk.client.app.state.desk
        solving, release, solved = threading.Event(), threading.Event(), threading.Event()
        run = service.dispatch_pool.run

        def held_solve(job):
            solving.set()
            release.wait(WAIT_S)  # holds a worker thread, as a long solve would
            try:
                return run(job)
            finally:
                solved.set()

        service.dispatch_pool.run = held_solve
        reported = {}
        reporter = threading.Thread(target=lambda: reported.update(response=desk.report()))
        reporter.start()
        assert solving.wait(WAIT_S)
        health = desk.client.get("/health")
        answered_while_solving = not solved.is_set()  # a blocked event loop would answer only after the solve
        release.set()
        reporter.join(WAIT_S)
        assert health.status_code == 200 and answered_while_solving
        assert reported["response"].status_code == 201
        assert reported["response"].json()["report"]["location"] == REPORT["location"]
