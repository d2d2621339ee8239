"""Leases of running what-if jobs, so that several service processes can share one database.

A process that starts a job *claims* it: in one transaction it takes the oldest job that is queued, or
running under a lease that has expired (its process died), records a new *run* of it (a row of
``whatif_job_runs``) and sets the job's ``run_id`` and ``lease_until_epoch_s``. On PostgreSQL the
candidate row is read with ``SELECT … FOR UPDATE SKIP LOCKED``, so processes claiming at the same moment
take different jobs without waiting for each other; on SQLite the claim runs in a ``BEGIN IMMEDIATE``
transaction, which has the whole database to itself.

While the job runs, its process renews the lease (:func:`renew`). Every later write of the run — its
progress, its end — is *fenced*: it applies only while the job is still ``running`` under that run's id
(:func:`held_by`), so a run whose lease was taken over can no longer change the job. Leases are
compared on the database's clock (:func:`database_clock_s`), never on the processes' own clocks.

A run ends ``done``, ``failed`` or ``cancelled`` with its job; ``requeued`` when its process gave the job
back (the service stopped, or it could not renew the lease); ``lost`` when its process died and another
took the job over; ``fenced`` when it ended after its job was no longer its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Double, and_, func, insert, or_, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from api.records.schema import inserted_id
from api.records.schema import whatif_job_runs as runs_table
from api.records.schema import whatif_jobs as jobs_table
from api.whatif_jobs.request import WhatIfRequest
from api.whatif_jobs.view import JobStatus

MAX_LOST_RUNS = 3  # a job whose process died this often is failed: it may be what kills the processes


class DatabaseClock(FunctionElement[float]):
    """The database's clock in seconds since 1970-01-01 UTC: one clock for every process's leases."""

    type = Double()
    name = "database_clock_s"
    inherit_cache = True


@compiles(DatabaseClock, "postgresql")
def _postgresql_clock(_element: DatabaseClock, _compiler: Any, **_kw: Any) -> str:
    return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"


@compiles(DatabaseClock, "sqlite")
def _sqlite_clock(_element: DatabaseClock, _compiler: Any, **_kw: Any) -> str:
    return "((julianday('now') - 2440587.5) * 86400.0)"  # julianday of 1970-01-01T00:00Z is 2440587.5


def database_clock_s() -> DatabaseClock:
    """The database's clock, for a statement: seconds since 1970-01-01 UTC."""
    return DatabaseClock()


@dataclass(frozen=True)
class Claim:
    """A job this process now runs, under the run ``run_id``."""

    job_id: int
    run_id: int
    request: WhatIfRequest


def held_by(job_id: int, run_id: int):
    """The job is still running under this run: the fence of every write a run makes."""
    return and_(jobs_table.c.id == job_id, jobs_table.c.run_id == run_id, jobs_table.c.status == JobStatus.RUNNING)


def claimable(now_s: Any):
    """Queued, or running under a lease that expired (or that a version before leases left without one)."""
    expired = or_(jobs_table.c.lease_until_epoch_s.is_(None), jobs_table.c.lease_until_epoch_s < now_s)
    return or_(jobs_table.c.status == JobStatus.QUEUED, and_(jobs_table.c.status == JobStatus.RUNNING, expired))


def any_claimable(connection: Connection) -> bool:
    """Whether a claim would find a job (a plain read: no lock is taken when there is nothing to do)."""
    found = connection.execute(select(jobs_table.c.id).where(claimable(database_clock_s())).limit(1)).first()
    return found is not None


def claim_next(connection: Connection, runner: str, lease_s: float, clock: Callable[[], datetime]) -> Claim | None:
    """Claim the oldest claimable job in the caller's write transaction; None when there is none.

    A running job whose lease expired lost its run: it is cancelled if a cancel was asked, failed after
    :data:`MAX_LOST_RUNS` lost runs, and otherwise started again from its first replication (each is a
    pure function of its seed, so the rerun gives the same result).
    """
    now_s = connection.execute(select(database_clock_s())).scalar_one()
    while True:
        row = connection.execute(
            select(
                jobs_table.c.id,
                jobs_table.c.status,
                jobs_table.c.request,
                jobs_table.c.run_id,
                jobs_table.c.lost_runs,
                jobs_table.c.cancel_requested,
                jobs_table.c.cancelled_by,
            )
            .where(claimable(now_s))
            .order_by(jobs_table.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's BEGIN IMMEDIATE already excludes the others
        ).first()
        if row is None:
            return None
        lost_runs = row.lost_runs
        if row.status == JobStatus.RUNNING:  # its process died, or stalled past its lease: that run is lost
            lost_runs += 1
            if row.run_id is not None:
                connection.execute(
                    update(runs_table)
                    .where(runs_table.c.id == row.run_id, runs_table.c.outcome.is_(None))
                    .values(outcome="lost")
                )
            ended = _ended_without_its_process(row, lost_runs)
            if ended is not None:
                connection.execute(
                    update(jobs_table)
                    .where(jobs_table.c.id == row.id)
                    .values(finished_at=clock(), lease_until_epoch_s=None, lost_runs=lost_runs, **ended)
                )
                continue
        lease_until_s = now_s + lease_s
        run_id = inserted_id(
            connection.execute(
                insert(runs_table).values(
                    job_id=row.id, runner=runner, started_epoch_s=now_s, lease_until_epoch_s=lease_until_s
                )
            )
        )
        connection.execute(
            update(jobs_table)
            .where(jobs_table.c.id == row.id)
            .values(
                status=JobStatus.RUNNING,
                run_id=run_id,
                lease_until_epoch_s=lease_until_s,
                lost_runs=lost_runs,
                started_at=clock(),
                done_reps=0,
            )
        )
        return Claim(row.id, run_id, WhatIfRequest.from_dict(row.request))


def _ended_without_its_process(row: Any, lost_runs: int) -> dict[str, Any] | None:
    """How a job whose run was lost ends instead of running again, if it does."""
    if row.cancel_requested:
        return {
            "status": JobStatus.CANCELLED,
            "error": f"cancelled by {row.cancelled_by} (its service process stopped before the job did)",
        }
    if lost_runs >= MAX_LOST_RUNS:
        return {
            "status": JobStatus.FAILED,
            "error": f"the service process running it stopped {lost_runs} times without finishing it; "
            "not run again (submit it anew once the cause is known)",
        }
    return None


def renew(connection: Connection, job_id: int, run_id: int, lease_s: float) -> bool | None:
    """Extend the lease of a run; None when the job is no longer the run's, else whether a cancel was asked."""
    now_s = connection.execute(select(database_clock_s())).scalar_one()
    row = connection.execute(
        update(jobs_table)
        .where(held_by(job_id, run_id))
        .values(lease_until_epoch_s=now_s + lease_s)
        .returning(jobs_table.c.cancel_requested)
    ).first()
    if row is None:
        return None
    connection.execute(update(runs_table).where(runs_table.c.id == run_id).values(lease_until_epoch_s=now_s + lease_s))
    return bool(row.cancel_requested)


def end_run(connection: Connection, run_id: int, outcome: str) -> None:
    """Record the end of a run (once: a run another process found lost keeps that outcome)."""
    connection.execute(
        update(runs_table)
        .where(runs_table.c.id == run_id, runs_table.c.ended_epoch_s.is_(None))
        .values(ended_epoch_s=database_clock_s(), outcome=func.coalesce(runs_table.c.outcome, outcome))
    )


def finish(
    connection: Connection, job_id: int, run_id: int, status: JobStatus, clock: Callable[[], datetime], **values: Any
) -> bool:
    """Record how a run ended its job (done, failed); False when the job was no longer the run's."""
    updated = connection.execute(
        update(jobs_table)
        .where(held_by(job_id, run_id))
        .values(status=status, finished_at=clock(), lease_until_epoch_s=None, **values)
    ).rowcount
    end_run(connection, run_id, status.value if updated else "fenced")
    return bool(updated)


def give_back(connection: Connection, job_id: int, run_id: int, done: int, clock: Callable[[], datetime]) -> str:
    """A run stops before the end: the job is cancelled if a cancel was asked, else queued again from the
    start. Returns the run's outcome (``cancelled``, ``requeued``, or ``fenced`` when the job was no
    longer the run's)."""
    row = connection.execute(
        select(jobs_table.c.cancel_requested, jobs_table.c.cancelled_by, jobs_table.c.total_reps)
        .where(held_by(job_id, run_id))
        .with_for_update()
    ).first()
    if row is None:
        outcome = "fenced"
    elif row.cancel_requested:
        outcome = "cancelled"
        connection.execute(
            update(jobs_table)
            .where(held_by(job_id, run_id))
            .values(
                status=JobStatus.CANCELLED,
                finished_at=clock(),
                done_reps=done,
                lease_until_epoch_s=None,
                error=f"cancelled by {row.cancelled_by} after {done} of {row.total_reps} replications",
            )
        )
    else:
        outcome = "requeued"
        connection.execute(
            update(jobs_table)
            .where(held_by(job_id, run_id))
            .values(status=JobStatus.QUEUED, started_at=None, done_reps=0, run_id=None, lease_until_epoch_s=None)
        )
    end_run(connection, run_id, outcome)
    return outcome
