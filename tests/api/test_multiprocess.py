"""Two service processes on one PostgreSQL (issue 15 §13): a burst of reports and accepts goes to both, one
is killed with SIGKILL in the middle of it — while it runs a what-if job — and started again, and then:

- **0 acknowledged incidents lost**: every report answered 201 is stored, and every accept answered 200
  left its incident accepted with its bookings;
- **0 gaps**: incident numbers come from a counter row incremented in the report's own transaction, not
  from a PostgreSQL sequence (a sequence hands numbers out outside transactions, so a rolled-back or
  killed report would leave a hole). So a *gap* is any whole number from 1 to the highest stored number
  that no stored incident has — whether or not it was acknowledged — and there must be none; the next
  report after it all gets the highest + 1 (numbers are never reused);
- **0 what-if jobs run twice at once**: every start of a job is recorded with its end (``whatif_job_runs``,
  on the database's clock); a run whose process died has no end and lasted at most until its last
  lease. Two runs of one job that overlap fail the test. Every job ends ``done`` by exactly one run,
  and the killed process's job is re-run by another after its lease expired;
- **0 double bookings**: no coach or driver is held by two active bookings, nor by two accepts answered
  200, and the database passes its integrity check;
- and the killed process left no what-if worker process behind.

A second test sends accepts of plans that all need one coach to both processes at one moment: exactly one
is 200, the others 409, and one booking is stored.

Runs when ``FLEETPLAN_TEST_POSTGRES_URL`` is set (``eval "$(scripts/ci-postgres.sh)"``); skipped otherwise.
About 30 s for both on two cores.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select

from api.desk import plan_resources
from api.records import open_store
from api.records.schema import whatif_job_runs, whatif_jobs

from tests.api.http_support import (
    REPO,
    REPORT,
    SUBPROCESS_DISPATCH_PROCESSES,
    TEST_TIME_LIMIT_S,
    Server,
    add_users,
    bearer,
    free_port,
    wait_until_up,
)
from tests.api.process_support import assert_never_twice_at_once, descendants, still_alive

SENDERS = 4
REPORTS_PER_SENDER = 15
KILL_AFTER_ACKNOWLEDGED = 8
LEASE_S = 4.0  # short, so that the killed process's job runs again within the test
JOB = {"start": "2026-12-01", "end": "2026-12-07", "backups": {"siping_depot": 2}, "calendar": "winter", "reps": 80}
JOBS = 3
VEHICLES = ["c01", "c02", "c03", "c05", "c06", "c07", "c08", "c15"]  # coaches with ≥ 42 seats
WAIT_S = 60.0  # bounds each wait; a healthy run needs a fraction of it
SERVICE_ENV = {
    "FLEETPLAN_DISPATCH_TIME_LIMIT_S": str(TEST_TIME_LIMIT_S),
    "FLEETPLAN_DISPATCH_PROCESSES": SUBPROCESS_DISPATCH_PROCESSES,
    "FLEETPLAN_WHATIF_ENGINE": "processes",
    "FLEETPLAN_WHATIF_WORKERS": "1",
    "FLEETPLAN_WHATIF_LEASE_S": str(LEASE_S),
    "FLEETPLAN_WHATIF_MAX_JOBS_PER_USER": str(JOBS),
    "PYTHONUNBUFFERED": "1",
    # Records across processes, reports planned one by one: with joint planning a report re-plans the
    # other open ones and one accept takes them all, which tests/api/test_http_joint.py covers.
    "FLEETPLAN_JOINT_PLANNING": "false",
    # One coach reported again within the joint window is the same breakdown (refused): at 0 the reports
    # below, each a minute of its own, are incidents of their own.
    "FLEETPLAN_JOINT_WINDOW_MIN": "0",
}


def minutes_after(time: str, minutes: int) -> str:
    return (datetime.fromisoformat(time) + timedelta(minutes=minutes)).isoformat(timespec="minutes")


def launch(database_url: str, state_dir: Path, name: str) -> Server:
    """``fleetplan serve`` on a free port (not yet waited for: two start side by side)."""
    port = free_port()
    log_path = state_dir / f"{name}.log"
    env = {**os.environ, **SERVICE_ENV, "FLEETPLAN_VAR_DIR": str(state_dir / "var")}
    command = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [*command, "--db", database_url], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    return Server(process, f"http://127.0.0.1:{port}", log_path)


def kill(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=30)


class Burst:
    """Senders that report incidents to one service and accept them on the other, and what was answered."""

    def __init__(self, servers: list[Server], headers: dict[str, str]) -> None:
        self.servers, self.headers = servers, headers  # servers[i] is replaced when process i restarts
        self.lock = threading.Lock()
        self.acknowledged: dict[int, dict] = {}  # number → report, for every 201
        self.accepted: dict[int, dict] = {}  # number → accepted plan, for every 200
        self.interrupted = 0  # requests cut off by the kill
        self.refused = 0  # accepts answered 409: another incident holds a coach or driver of the plan
        self.threads = [threading.Thread(target=self.send, args=(n,)) for n in range(SENDERS)]

    def send(self, sender: int) -> None:
        for index in range(REPORTS_PER_SENDER):
            target = (sender + index) % len(self.servers)
            report = {
                **REPORT,
                "vehicle_id": VEHICLES[(sender + index) % len(VEHICLES)],
                "time": minutes_after(REPORT["time"], sender * REPORTS_PER_SENDER + index),
                "alternatives": 1,
            }
            created = self.call(target, "/incidents", report)
            if created is None or created.status_code != 201:
                continue
            number = created.json()["number"]
            with self.lock:
                self.acknowledged[number] = report
            accepted = self.call(1 - target, f"/incidents/{number}/accept", {"rank": 1})  # on the other process
            if accepted is not None and accepted.status_code == 200:
                with self.lock:
                    self.accepted[number] = accepted.json()["accepted"]["plan"]
            elif accepted is not None and accepted.status_code == 409:
                with self.lock:
                    self.refused += 1

    def call(self, target: int, path: str, body: dict) -> httpx.Response | None:
        try:
            return httpx.post(self.servers[target].base_url + path, json=body, headers=self.headers, timeout=WAIT_S)
        except httpx.TransportError:  # the process died under this request, or is starting again
            with self.lock:
                self.interrupted += 1
            time.sleep(0.2)
            return None


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"not within {WAIT_S} s: {what}"
        time.sleep(0.05)


@pytest.mark.slow
def test_two_processes_on_one_postgresql_lose_nothing_when_one_is_killed_mid_burst(postgres_url, tmp_path):
    url = postgres_url
    tokens = add_users(url)  # migrates first, and no process has to create a first admin
    headers, planner = bearer(tokens["admin"]), bearer(tokens["planner"])
    engine = create_engine(url)
    servers = [launch(url, tmp_path, "first"), launch(url, tmp_path, "second")]
    try:
        for server in servers:
            wait_until_up(server)
        jobs = [  # each process starts one at once; the third waits in the queue
            httpx.post(f"{servers[n % 2].base_url}/whatif/jobs", json={**JOB, "seed": n}, headers=planner).json()["id"]
            for n in range(JOBS)
        ]
        victim = servers[0]

        def running_here() -> bool:  # the victim runs a job and its worker is at it
            with engine.connect() as connection:
                rows = connection.execute(
                    select(whatif_jobs.c.done_reps)
                    .join(whatif_job_runs, whatif_job_runs.c.id == whatif_jobs.c.run_id)
                    .where(whatif_jobs.c.status == "running")
                    .where(whatif_job_runs.c.runner.endswith(f":{victim.process.pid}"))
                ).all()
            return any(row.done_reps >= 1 for row in rows)

        burst = Burst(servers, headers)
        for thread in burst.threads:
            thread.start()
        wait_until(lambda: len(burst.acknowledged) >= KILL_AFTER_ACKNOWLEDGED, "reports acknowledged")
        wait_until(running_here, "the first process runs a what-if job")
        workers = descendants(victim.process.pid)
        assert len(workers) >= 2, workers  # the fork server and the worker (and the resource tracker)
        kill(victim)  # mid-burst, mid-job
        acknowledged_at_kill = len(burst.acknowledged)
        servers[0] = launch(url, tmp_path, "restarted")
        wait_until_up(servers[0])
        for thread in burst.threads:
            thread.join(timeout=3 * WAIT_S)
        assert not any(thread.is_alive() for thread in burst.threads)
        assert acknowledged_at_kill < len(burst.acknowledged), "the burst should go on after the kill"
        assert burst.interrupted > 0, "the kill should land while requests are in flight"
        wait_until(lambda: still_alive(workers) == [], "the killed process's workers end")

        def all_done() -> bool:
            with engine.connect() as connection:
                statuses = connection.execute(select(whatif_jobs.c.status).where(whatif_jobs.c.id.in_(jobs))).all()
            return all(row.status == "done" for row in statuses)

        wait_until(all_done, "every what-if job is done")
        later = {**REPORT, "time": minutes_after(REPORT["time"], SENDERS * REPORTS_PER_SENDER), "alternatives": 1}
        after = httpx.post(f"{servers[1].base_url}/incidents", json=later, headers=headers)
        assert after.status_code == 201, after.text
    finally:
        for server in servers:
            with suppress(Exception):
                kill(server)

    store = open_store(url)
    try:
        # 0 acknowledged incidents lost, 0 gaps, numbers never reused
        records = {record.number: record for record in store.incidents(limit=100_000)}
        numbers = sorted(records)
        assert numbers == list(range(1, len(numbers) + 1)), "a gap in the incident numbers"
        assert set(burst.acknowledged) <= set(numbers)
        for number, report in burst.acknowledged.items():
            assert records[number].report["vehicle_id"] == report["vehicle_id"]
        assert after.json()["number"] == numbers[-1]

        # 0 double bookings: in the database and among the accepts answered 200
        active = store.bookings()
        for kind in ("vehicle_id", "driver_id"):
            held = Counter(getattr(booking, kind) for booking in active if getattr(booking, kind))
            assert [resource for resource, count in held.items() if count > 1] == []
        promised = Counter(resource for plan in burst.accepted.values() for resource in sum(plan_resources(plan), []))
        assert [resource for resource, count in promised.items() if count > 1] == []
        booked = {(booking.incident_number, booking.vehicle_id or booking.driver_id) for booking in active}
        for number, plan in burst.accepted.items():  # every acknowledged accept holds
            assert records[number].status.value == "accepted"
            assert {(number, resource) for resource in sum(plan_resources(plan), [])} <= booked
        assert burst.accepted, "some accepts should have succeeded"
        assert store.integrity_problems() == []

        # 0 what-if jobs run twice at once; the killed process's job ran again elsewhere
        with engine.connect() as connection:
            runs = connection.execute(select(whatif_job_runs).where(whatif_job_runs.c.job_id.in_(jobs))).all()
        for job_id in jobs:
            of_job = [run for run in runs if run.job_id == job_id]
            assert_never_twice_at_once(of_job)
            assert [run.outcome for run in of_job].count("done") == 1
        lost = [run for run in runs if run.outcome == "lost"]
        assert lost and all(run.runner.endswith(f":{victim.process.pid}") for run in lost)
        for run in lost:
            rerun = next(r for r in runs if r.job_id == run.job_id and r.outcome == "done")
            assert rerun.started_epoch_s > run.lease_until_epoch_s
        print(  # the figures for the record (pytest -rP shows them)
            f"acknowledged {len(burst.acknowledged)} (at the kill {acknowledged_at_kill}), stored {len(numbers)}, "
            f"gaps 0, accepted {len(burst.accepted)} (409: {burst.refused}), active bookings {len(active)}, double bookings 0, "
            f"requests cut off {burst.interrupted}, what-if runs {Counter(run.outcome for run in runs)}, overlaps 0, "
            f"workers of the killed process left {len(still_alive(workers))}"
        )
    finally:
        store.close()
        engine.dispose()


DESKS = 12
COACH = "c09"  # a standby coach at the Changchun depot; every other coach is sent to the workshop


def rescue_coaches(plan: dict) -> set[str]:
    return {assignment["vehicle_id"] for assignment in plan["assignments"]}


@pytest.mark.slow
def test_parallel_accepts_of_one_coach_on_two_processes_book_it_once(postgres_url, tmp_path):
    """The unique indexes on active bookings decide between processes: of accepts sent at one moment to
    both processes, of plans that all need one coach, exactly one is 200 and one booking is stored."""
    url = postgres_url
    headers = bearer(add_users(url)["admin"])
    servers = [launch(url, tmp_path, "first"), launch(url, tmp_path, "second")]
    try:
        for server in servers:
            wait_until_up(server)
        with httpx.Client(base_url=servers[0].base_url, headers=headers, timeout=WAIT_S) as first:
            for vehicle in first.get("/fleet").json():  # recorded through the first process …
                if vehicle["id"] not in (COACH, REPORT["vehicle_id"]):
                    change = {"status": "workshop", "reason": "multi-process test"}
                    assert first.patch(f"/fleet/{vehicle['id']}", json=change).status_code == 200
        incidents = []
        with httpx.Client(base_url=servers[1].base_url, headers=headers, timeout=WAIT_S) as second:
            for minute in range(DESKS):  # … and dispatched by the second, which sees the workshop at once
                response = second.post("/incidents", json={**REPORT, "time": minutes_after(REPORT["time"], minute)})
                assert response.status_code == 201, response.text
                incidents.append(response.json())
        ranks = [next(p["rank"] for p in i["options"]["plans"] if COACH in rescue_coaches(p)) for i in incidents]
        barrier = threading.Barrier(DESKS)

        def accept(index: int) -> httpx.Response:
            base_url = servers[index % 2].base_url
            with httpx.Client(base_url=base_url, headers=headers, timeout=WAIT_S) as desk:
                barrier.wait(timeout=WAIT_S)
                return desk.post(f"/incidents/{incidents[index]['number']}/accept", json={"rank": ranks[index]})

        with ThreadPoolExecutor(max_workers=DESKS) as pool:
            responses = list(pool.map(accept, range(DESKS)))
    finally:
        for server in servers:
            kill(server)

    codes = sorted(response.status_code for response in responses)
    assert codes == [200] + [409] * (DESKS - 1), [r.text[:200] for r in responses if r.status_code != 409]
    winner = next(r.json() for r in responses if r.status_code == 200)
    store = open_store(url)
    try:
        assert [b.incident_number for b in store.bookings() if b.vehicle_id == COACH] == [winner["number"]]
        assert store.integrity_problems() == []
    finally:
        store.close()
