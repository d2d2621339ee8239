"""What-if jobs shared by several service processes (issue 15 §13): claimed under a lease, renewed while
they run, fenced by their run, and run again once — never twice at once — when their process dies.

Each :class:`WhatIfJobs` here has its own engine on one database, as a second service process would;
a process that "died" is a job row left ``running`` under a run whose lease nobody renews. On SQLite and,
when ``FLEETPLAN_TEST_POSTGRES_URL`` is set, PostgreSQL. Jobs run on the ``local`` engine over a few days.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import Engine, insert, select, update

from fleetplan.corridor import Corridor, load_corridor

from api.records import open_store
from api.records.schema import whatif_job_runs, whatif_jobs
from api.whatif_jobs import Caps, JobStatus, RunnerConfig, WhatIfJobs, WhatIfRequest, leases

from tests.api.process_support import assert_never_twice_at_once

SMALL = {
    "start": "2026-12-01",
    "end": "2026-12-03",
    "backups": {"siping_depot": 2},
    "calendar": "winter",
    "reps": 2,
    "seed": 2,
}
LONG = {**SMALL, "end": "2026-12-31", "reps": 200}  # about half a minute: it is stopped long before its end
MANY = {**SMALL, "reps": 1000}  # as long, in short replications: it stops within a fraction of a second
LEASE_S = 1.5
DEADLINE_S = 60.0
DEAD_RUNNER = "elsewhere:1"


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor()


@pytest.fixture
def engine(store_url) -> Iterator[Engine]:
    store = open_store(store_url)  # migrated
    try:
        yield store.engine
    finally:
        store.close()


@contextmanager
def service_process(store_url: str, corridor: Corridor, **config) -> Iterator[WhatIfJobs]:
    """A started job runner on its own engine, as another service process on the database would have."""
    store = open_store(store_url)
    options = {"engine": "local", "lease_s": LEASE_S, "caps": Caps(100, 100), **config}
    jobs = WhatIfJobs(store.engine, corridor, RunnerConfig(**options))
    jobs.start()
    try:
        yield jobs
    finally:
        jobs.close()
        store.close()


def now_s(engine: Engine) -> float:
    with engine.connect() as connection:
        return connection.execute(select(leases.database_clock_s())).scalar_one()


def left_running(engine: Engine, body: dict, lease_left_s: float, **job) -> tuple[int, int]:
    """A job a process was running when it died: (job id, run id); its lease ends in ``lease_left_s``."""
    until = now_s(engine) + lease_left_s
    with engine.begin() as connection:
        job_id = connection.execute(
            insert(whatif_jobs).values(
                **{
                    "status": "running",
                    "request": body,
                    "submitted_by": "planner-user",
                    "submitted_at": datetime(2026, 12, 1, 8),
                    "started_at": datetime(2026, 12, 1, 8),
                    "done_reps": 1,
                    "total_reps": body["reps"],
                    "cancel_requested": False,
                    "lease_until_epoch_s": until,
                    **job,
                }
            )
        ).inserted_primary_key[0]
        run_id = connection.execute(
            insert(whatif_job_runs).values(
                job_id=job_id, runner=DEAD_RUNNER, started_epoch_s=until - 10, lease_until_epoch_s=until
            )
        ).inserted_primary_key[0]
        connection.execute(update(whatif_jobs).where(whatif_jobs.c.id == job_id).values(run_id=run_id))
    return job_id, run_id


def job_row(engine: Engine, job_id: int):
    with engine.connect() as connection:
        return connection.execute(select(whatif_jobs).where(whatif_jobs.c.id == job_id)).one()


def runs_of(engine: Engine, job_id: int) -> list:
    with engine.connect() as connection:
        return connection.execute(
            select(whatif_job_runs).where(whatif_job_runs.c.job_id == job_id).order_by(whatif_job_runs.c.id)
        ).all()


def wait_for(engine: Engine, job_id: int, statuses=("done", "failed", "cancelled")):
    deadline = time.monotonic() + DEADLINE_S
    while (row := job_row(engine, job_id)).status not in statuses:
        assert time.monotonic() < deadline, f"job {job_id} is still {row.status}"
        time.sleep(0.05)
    return row


# --------------------------------------------------------------------------- a dead process's job
def test_the_job_of_a_dead_process_runs_again_once_after_its_lease_and_not_before(store_url, engine, corridor):
    job_id, dead_run = left_running(engine, SMALL, lease_left_s=2.0)
    with service_process(store_url, corridor) as other:
        time.sleep(0.5)
        row = job_row(engine, job_id)
        assert (row.status, row.run_id) == ("running", dead_run)  # its lease still holds: not taken
        done = wait_for(engine, job_id)
        runs = runs_of(engine, job_id)
        assert other.job(job_id).status == "done"
    assert done.status == "done" and done.lost_runs == 1 and done.lease_until_epoch_s is None
    assert [(run.runner, run.outcome) for run in runs] == [(DEAD_RUNNER, "lost"), (runs[1].runner, "done")]
    assert runs[0].ended_epoch_s is None and runs[1].runner != DEAD_RUNNER
    assert runs[1].started_epoch_s > runs[0].lease_until_epoch_s  # taken over only once the lease had expired
    assert done.run_id == runs[1].id
    assert_never_twice_at_once(runs)


def test_a_cancel_asked_before_the_process_died_still_counts(store_url, engine, corridor):
    job_id, _ = left_running(engine, SMALL, lease_left_s=-1.0, cancel_requested=True, cancelled_by="planner-user")
    with service_process(store_url, corridor):
        row = wait_for(engine, job_id)
    assert row.status == "cancelled" and row.error.startswith("cancelled by planner-user")
    assert [run.outcome for run in runs_of(engine, job_id)] == ["lost"]


def test_a_job_whose_processes_keep_dying_is_failed_instead_of_run_again(store_url, engine, corridor):
    job_id, _ = left_running(engine, SMALL, lease_left_s=-1.0, lost_runs=leases.MAX_LOST_RUNS - 1)
    with service_process(store_url, corridor):
        row = wait_for(engine, job_id)
    assert row.status == "failed" and f"stopped {leases.MAX_LOST_RUNS} times" in row.error
    assert row.lost_runs == leases.MAX_LOST_RUNS and len(runs_of(engine, job_id)) == 1


def test_a_run_that_lost_its_job_can_no_longer_write_it(store_url, engine, corridor):
    job_id, dead_run = left_running(engine, SMALL, lease_left_s=-1.0)
    with service_process(store_url, corridor):
        wait_for(engine, job_id)
    with engine.begin() as connection:  # the old run comes back: its writes are fenced off
        assert leases.renew(connection, job_id, dead_run, LEASE_S) is None
        assert not leases.finish(connection, job_id, dead_run, JobStatus.FAILED, datetime.now, error="late")
        assert leases.give_back(connection, job_id, dead_run, 0, datetime.now) == "fenced"
    row = job_row(engine, job_id)
    assert row.status == "done" and row.error is None
    assert runs_of(engine, job_id)[0].outcome == "lost"  # the first word on a run stays


# --------------------------------------------------------------------------- live processes
def test_a_running_job_keeps_its_lease_and_no_other_process_takes_it(store_url, engine, corridor):
    with service_process(store_url, corridor) as first, service_process(store_url, corridor) as second:
        job = first.submit(WhatIfRequest.from_dict(LONG), "planner-user")
        claimed = wait_for(engine, job.id, ("running",))
        before = job_row(engine, job.id).lease_until_epoch_s
        time.sleep(3 * LEASE_S)  # two leases' worth: without renewals it would have expired twice
        row = job_row(engine, job.id)
        assert row.status == "running" and row.run_id == claimed.run_id
        assert row.lease_until_epoch_s > before and row.lease_until_epoch_s > now_s(engine)
        assert len(runs_of(engine, job.id)) == 1
        first.cancel(job.id, "planner-user")
        assert wait_for(engine, job.id).status == "cancelled"
        assert second.job(job.id).status == "cancelled"
    assert [run.outcome for run in runs_of(engine, job.id)] == ["cancelled"]


def test_a_process_that_cannot_renew_a_lease_gives_the_job_back_before_it_expires(
    store_url, engine, corridor, monkeypatch
):
    renewals = threading.Event()

    def unreachable(*_args, **_kwargs):
        renewals.set()
        raise ConnectionError("the database does not answer")

    with service_process(store_url, corridor, lease_s=4.0) as jobs:  # stopped after 2 s, 2 s before expiry
        monkeypatch.setattr(leases, "renew", unreachable)
        job = jobs.submit(WhatIfRequest.from_dict(MANY), "planner-user")
        assert renewals.wait(DEADLINE_S)
        deadline = time.monotonic() + DEADLINE_S
        while not (runs := runs_of(engine, job.id))[0].outcome:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        monkeypatch.undo()
    first = runs[0]
    assert first.outcome == "requeued"
    assert first.ended_epoch_s < first.lease_until_epoch_s  # it stopped while the lease still held


def test_two_processes_claim_a_queue_and_each_job_runs_exactly_once(store_url, engine, corridor):
    with engine.begin() as connection:
        ids = [
            connection.execute(
                insert(whatif_jobs).values(
                    status="queued",
                    request={**SMALL, "seed": seed},
                    submitted_by="planner-user",
                    submitted_at=datetime(2026, 12, 1, 8),
                    done_reps=0,
                    total_reps=SMALL["reps"],
                    cancel_requested=False,
                )
            ).inserted_primary_key[0]
            for seed in range(8)
        ]
    with service_process(store_url, corridor), service_process(store_url, corridor):
        for job_id in ids:
            assert wait_for(engine, job_id).status == "done"
    for job_id in ids:
        assert [run.outcome for run in runs_of(engine, job_id)] == ["done"]
