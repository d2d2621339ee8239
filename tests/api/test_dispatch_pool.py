"""The desk's dispatches in a worker process (api.desk.dispatch_pool, issue 18 §5): the same options as
in the service process, the live state sent with each job, errors that arrive as themselves, the
reports-waiting count read across the process boundary, a dead worker that costs no report its
options, and no worker left behind by a service killed or stopped with Ctrl-C.

The incidents are those of ``tests/api/test_http_joint.py``: Friday 2026-12-11 14:18, c15 fails at
G1 K11 toward Changchun with 20 aboard, c16 at K13 with 25. The budgets are deterministic (one CP-SAT
worker), so both sides search the same way and must agree exactly.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.errors import (
    DataProblem,
    DataValidationError,
    FleetplanError,
    InvalidValueError,
    NoRouteError,
    UnknownIdError,
)
from fleetplan.live import NO_FIXES
from fleetplan.model import Incident, IncidentKind, VehicleStatus
from fleetplan.operations import OperationsPolicy

from solver.dispatch import Budget, SolveParams

from api.desk.dispatch_pool import DispatchJob, DispatchPool
from api.desk.first_answers import MORE_OPTIONS_COMING
from api.operations_log import StatusChange
from api.settings import Settings

from tests.api.http_support import Server, free_port, sqlite_url, wait_until_up
from tests.api.process_support import descendants, still_alive

AT = datetime(2026, 12, 11, 14, 18)
FAILED = (("c15", "G1 K11 toward Changchun", 20), ("c16", "G1 K13 toward Changchun", 25))


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor(Settings().data_dir)


@pytest.fixture
def worker(corridor):
    pool = DispatchPool(corridor, processes=1)
    yield pool
    pool.close()


def job(corridor: Corridor, failed=FAILED, statuses=None, alternatives: int = 3, defer: bool = False) -> DispatchJob:
    incidents = tuple(
        Incident(
            id=str(n),
            kind=IncidentKind.BREAKDOWN,
            vehicle_id=vehicle,
            trip_id=None,
            location=location,
            at=AT,
            passengers=aboard,
        )
        for n, (vehicle, location, aboard) in enumerate(failed, start=1)
    )
    params = SolveParams(budget=Budget.deterministic(2.0), workers=1, alternatives=alternatives)
    conditions = corridor.dataset.conditions_named("clear")
    return DispatchJob(statuses or {}, incidents, conditions, OperationsPolicy(), {}, NO_FIXES, params, defer)


def decided(view: dict) -> dict:
    """The view without the solve's own time (which differs from run to run)."""
    return {key: value for key, value in view.items() if key != "solve_ms"}


def crews(view: dict) -> list[list[tuple[str, str, str]]]:
    return [
        [(a["vehicle_id"], a["driver_id"], a["incident_id"]) for a in plan["assignments"]] for plan in view["plans"]
    ]


def test_a_worker_process_gives_the_options_the_service_process_gives(corridor, worker):
    here = DispatchPool(corridor, processes=0).run(job(corridor))
    there = worker.run(job(corridor))
    assert worker.worker_pids() and os.getpid() not in worker.worker_pids()
    assert decided(there) == decided(here)
    assert len(there["plans"]) == 3 and {i for plan in crews(there) for _, _, i in plan} == {"1", "2"}
    # the independent oracle checked every plan on the worker's side too
    assert all(plan["evaluator_problems"] == [] for plan in there["plans"])


def test_the_live_statuses_go_with_each_job(corridor, worker):
    first = worker.run(job(corridor))
    sent = {vehicle for plan in crews(first) for vehicle, _, _ in plan}
    workshop = {
        v: StatusChange(n, v, VehicleStatus.WORKSHOP, "test: in the workshop", AT, "fleet")
        for n, v in enumerate(sorted(sent), start=1)
    }
    later = worker.run(job(corridor, statuses=workshop))
    assert later["plans"], later
    assert not sent & {vehicle for plan in crews(later) for vehicle, _, _ in plan}
    assert decided(worker.run(job(corridor))) == decided(first)  # and back: nothing of the last job stays behind


def test_a_worker_hears_that_reports_wait_and_keeps_the_alternatives_for_later(corridor, worker):
    worker.reports_waiting.set(1)
    cut = worker.run(job(corridor, defer=True))
    assert len(cut["plans"]) == 1 and cut[MORE_OPTIONS_COMING]
    worker.reports_waiting.set(0)
    whole = worker.run(job(corridor, defer=True))
    assert len(whole["plans"]) == 3 and not whole.get(MORE_OPTIONS_COMING)
    assert crews(whole)[0] == crews(cut)[0]


def test_an_error_in_the_worker_reaches_the_service_as_itself(corridor, worker):
    unknown = job(corridor, failed=(("c999", "G1 K11 toward Changchun", 20),))
    with pytest.raises(FleetplanError) as here:
        DispatchPool(corridor, processes=0).run(unknown)
    with pytest.raises(FleetplanError) as there:
        worker.run(unknown)
    assert type(there.value) is type(here.value) and str(there.value) == str(here.value)


@pytest.mark.parametrize(
    "error",
    [
        InvalidValueError("passengers", "61 is above the coach's 49 seats"),
        UnknownIdError("vehicle", "c999", ["c01", "c02"]),
        NoRouteError("no road from A to B", finding={"from": "A"}),
        DataValidationError([DataProblem("vehicles.csv", 3, "seats", "not a number")]),
    ],
)
def test_domain_errors_survive_pickling(error):
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == str(error) and vars(again) == vars(error)


def test_a_dead_worker_costs_no_dispatch_and_is_replaced(corridor, worker, caplog):
    expected = decided(worker.run(job(corridor)))
    (dead,) = worker.worker_pids()
    os.kill(dead, signal.SIGKILL)
    assert decided(worker.run(job(corridor))) == expected  # run in the service process, once
    assert "dispatch worker process died" in caplog.text
    assert decided(worker.run(job(corridor))) == expected  # and in a new worker after it
    assert worker.worker_pids() and dead not in worker.worker_pids()


OWNER = """
import sys, time
from api.desk.dispatch_pool import DispatchPool
from api.settings import Settings
from fleetplan.corridor import load_corridor

if __name__ == "__main__":
    pool = DispatchPool(load_corridor(Settings().data_dir), processes=1)
    pool.start()
    while not pool.worker_pids():
        time.sleep(0.05)
    print(pool.worker_pids()[0], flush=True)
    time.sleep(600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table from /proc")
def test_a_worker_ends_with_a_service_killed_with_sigkill(tmp_path):
    script = tmp_path / "owner.py"
    script.write_text(OWNER, encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    owner = subprocess.Popen([sys.executable, str(script)], cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        worker_pid = int(owner.stdout.readline())
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _alive(worker_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker_pid), "the dispatch worker outlived its service"
    finally:
        owner.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().split(") ")[1][0] != "Z"  # a zombie has ended; its parent reaps it later
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table from /proc")
def test_ctrl_c_stops_the_desk_and_its_workers_without_a_traceback(tmp_path):
    port, log_path = free_port(), tmp_path / "serve.log"
    env = {**os.environ, "FLEETPLAN_VAR_DIR": str(tmp_path / "var"), "FLEETPLAN_DISPATCH_PROCESSES": "2"}
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--db", sqlite_url(tmp_path)]
    root = Path(__file__).resolve().parents[2]
    with open(log_path, "w", encoding="utf-8") as log:  # its own session: Ctrl-C reaches its group only
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until_up(Server(process, f"http://127.0.0.1:{port}", log_path))
        deadline = time.monotonic() + 60
        while len(descendants(process.pid)) < 3 and time.monotonic() < deadline:  # the fork server, two workers
            time.sleep(0.1)
        below = descendants(process.pid)
        assert len(below) >= 3, below
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        assert process.wait(timeout=60) == 0
        deadline = time.monotonic() + 30
        while still_alive(below) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert still_alive(below) == []
        said = log_path.read_text(encoding="utf-8")
        assert "Traceback" not in said and "KeyboardInterrupt" not in said, said
    finally:
        if process.poll() is None:
            process.kill()


def test_a_closed_pool_dispatches_in_the_calling_thread(corridor):
    pool = DispatchPool(corridor, processes=1)
    expected = decided(pool.run(job(corridor)))
    pool.close()  # the service is stopping; a batch still running asks for one more dispatch
    assert decided(pool.run(job(corridor))) == expected
    assert pool.worker_pids() == []  # and no worker was started again for it
