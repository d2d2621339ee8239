"""The what-if jobs' store and runner: submit, list, cancel, and run jobs in background threads.

How it runs:

- A submission is refused (:class:`~api.whatif_jobs.quota.QueueFull`) when its user, or everyone,
  already has the most jobs queued or running that the settings allow (:mod:`api.whatif_jobs.quota`).
- At most ``concurrent_jobs`` jobs run at once in this process, each in its own thread that calls
  ``run_whatif`` on the configured engine (``processes`` or ``dask``), so the CPU work is in other
  processes and the desk keeps answering. The oldest queued job starts first.
- Several service processes may share the database: a job is *claimed* under a lease that its process
  renews every :attr:`~WhatIfJobs.tick_s` while it runs, and every write of that run is fenced
  by its run id (:mod:`api.whatif_jobs.leases`). So a job never runs twice at once, and the job of a
  process that died runs again — once, from the start — in whichever process claims it after its lease
  has expired. A process that cannot renew a lease for half of it stops the job at its next finished
  replication and gives it back, before the lease expires under it (a replication takes far less than
  half a lease). Each process also looks for claimable jobs every tick.
- Progress is written at most every :data:`PROGRESS_WRITE_INTERVAL_S` (and when the last replication
  is in); the same write reads ``cancel_requested``, so a cancel given to another service process on
  the same database is seen too. A cancelled job stops at its next finished replication: the progress
  callback raises :class:`_Cancelled` and the engine drops the replications not yet started.
- Nothing is lost on a restart: :meth:`WhatIfJobs.close` stops the running jobs and puts them back in
  the queue; after a crash their leases expire and they run again (a replication is a pure function of
  its seed, so the rerun gives the same result).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from fleetplan.corridor import Corridor
from fleetplan.errors import FleetplanError
from fleetplan.units import china_now

from solver.planning.whatif import Engine as WhatIfEngine
from solver.planning.whatif import kpis_csv_text, run_whatif

from api.records.engine import WRITE_OPTION
from api.records.schema import NAME_LENGTH, inserted_id
from api.records.schema import whatif_jobs as jobs_table
from api.settings import Settings
from api.whatif_jobs import leases
from api.whatif_jobs.leases import Claim
from api.whatif_jobs.quota import Caps, check_caps
from api.whatif_jobs.request import WhatIfRequest
from api.whatif_jobs.view import (
    UNFINISHED,
    VIEW_COLUMNS,
    JobNotFound,
    JobStateError,
    JobStatus,
    WhatIfJob,
    job_from_row,
)

logger = logging.getLogger(__package__)  # "api.whatif_jobs": one logger for the jobs, whichever module logs

PROGRESS_WRITE_INTERVAL_S = 0.5  # at most this often a running job writes its progress
CLOSE_JOIN_TIMEOUT_S = 30.0  # how long close() waits for running jobs to stop
DEFAULT_LIST_LIMIT = 50
MAX_TICK_S = 5.0  # at least this often a process renews its leases and looks for jobs to claim
LEASE_STOP_SHARE = 0.5  # a job whose lease was not renewed for this share of it is stopped and given back


class _Cancelled(Exception):
    """Raised by a job's progress callback to leave ``run_whatif`` when the job is to stop."""


# --------------------------------------------------------------------------- the runner
@dataclass(frozen=True)
class RunnerConfig:
    """Where and how many jobs run (from :class:`~api.settings.Settings`)."""

    engine: str = "processes"
    workers: int = 1
    scheduler: str | None = None
    concurrent_jobs: int = 1
    caps: Caps = field(default_factory=Caps)
    lease_s: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RunnerConfig:
        return cls(
            settings.whatif_engine,
            settings.whatif_workers,
            settings.whatif_scheduler,
            settings.whatif_concurrent_jobs,
            Caps(settings.whatif_max_jobs_per_user, settings.whatif_max_jobs),
            settings.whatif_lease_s,
        )


@dataclass
class _Running:
    """A job running in this process: its thread, its stop signal, its run and when its lease was last renewed."""

    thread: threading.Thread
    stop: threading.Event
    claim: Claim
    progress: _JobProgress
    renewed_at: float  # time.monotonic() when the last successful renewal (or the claim) was sent


class WhatIfJobs:
    """The job store and its runner.

    Parameters
    ----------
    engine
        The service database (migrated to 0005 or later); the record store's engine.
    corridor
        The corridor every job runs on.
    config
        Engine, workers, scheduler, how many jobs run at once here, the caps and the lease.
    clock
        Naive China-local time stamps of submissions, starts and ends; tests may fix it.
    """

    def __init__(
        self,
        engine: Engine,
        corridor: Corridor,
        config: RunnerConfig = RunnerConfig(),
        *,
        clock: Callable[[], datetime] = china_now,
    ) -> None:
        self._engine = engine
        # on SQLite a claim or a submission takes the write lock up front (BEGIN IMMEDIATE)
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self._corridor = corridor
        self._config = config
        self._clock = clock
        self._runner = f"{socket.gethostname()}:{os.getpid()}"[:NAME_LENGTH]  # who runs a job, in whatif_job_runs
        self._lock = threading.Lock()
        self._running: dict[int, _Running] = {}
        self._closing = False
        self._keeper: threading.Thread | None = None
        self._keeper_stop = threading.Event()

    @property
    def tick_s(self) -> float:
        """How often this process renews its leases and looks for jobs to claim."""
        return min(MAX_TICK_S, self._config.lease_s / 3)

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Start the queued jobs (and those of a process that died, once their lease has expired), then
        keep this process's leases renewed and look for jobs to claim every :attr:`tick_s`."""
        self._fill()
        self._keeper = threading.Thread(target=self._keep, name="whatif-keeper", daemon=True)
        self._keeper.start()

    def close(self, timeout_s: float = CLOSE_JOIN_TIMEOUT_S) -> None:
        """Stop the running jobs and put them back in the queue, so that they run at the next start.

        Waits up to ``timeout_s`` for their threads: a job stops at its next finished replication.
        A thread still busy then is left (it is a daemon) and its job is re-queued anyway; that run's
        later writes are fenced off.
        """
        with self._lock:
            self._closing = True
            running = dict(self._running)
        self._keeper_stop.set()
        for entry in running.values():
            entry.stop.set()
        deadline = time.monotonic() + timeout_s
        for job_id, entry in running.items():
            entry.thread.join(max(0.0, deadline - time.monotonic()))
            if entry.thread.is_alive():
                logger.warning("what-if job %d did not stop within %.0f s; queued again", job_id, timeout_s)
                self._give_back(entry.claim, entry.progress.done)
        if self._keeper is not None:
            self._keeper.join(max(0.0, deadline - time.monotonic()))

    # ------------------------------------------------------------------ submit and read
    def submit(self, request: WhatIfRequest, submitted_by: str) -> WhatIfJob:
        """Store a validated job as ``queued`` and start it if a slot is free.

        Returns
        -------
        WhatIfJob
            The job as it is after the runner had its chance to start it.

        Raises
        ------
        QueueFull
            ``submitted_by`` or everyone has the most jobs queued or running that the caps allow.
        """
        with self._writer.begin() as connection:
            check_caps(connection, submitted_by, self._config.caps, self._clock())
            job_id = inserted_id(
                connection.execute(
                    insert(jobs_table).values(
                        status=JobStatus.QUEUED,
                        request=request.as_dict(),
                        submitted_by=submitted_by,
                        submitted_at=self._clock(),
                        done_reps=0,
                        total_reps=request.reps,
                        cancel_requested=False,
                    )
                )
            )
        self._fill()
        return self.job(job_id)

    def job(self, job_id: int) -> WhatIfJob:
        """The job ``job_id``; raises :class:`JobNotFound`."""
        with self._engine.connect() as connection:
            row = connection.execute(select(*VIEW_COLUMNS).where(jobs_table.c.id == job_id)).first()
            if row is None:
                raise JobNotFound(job_id)
            position = None
            if row.status == JobStatus.QUEUED:
                position = connection.execute(
                    select(func.count())
                    .select_from(jobs_table)
                    .where(jobs_table.c.status == JobStatus.QUEUED, jobs_table.c.id <= job_id)
                ).scalar_one()
        return job_from_row(row, position)

    def jobs(self, limit: int = DEFAULT_LIST_LIMIT) -> list[WhatIfJob]:
        """The newest ``limit`` jobs, newest first."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(*VIEW_COLUMNS).order_by(jobs_table.c.id.desc()).limit(max(0, int(limit)))
            ).all()
            queued = list(
                connection.execute(
                    select(jobs_table.c.id).where(jobs_table.c.status == JobStatus.QUEUED).order_by(jobs_table.c.id)
                ).scalars()
            )
        positions = {job_id: position for position, job_id in enumerate(queued, start=1)}
        return [job_from_row(row, positions.get(row.id)) for row in rows]

    def result(self, job_id: int) -> dict[str, Any]:
        """The ``WhatIfResult.as_dict()`` of a done job; :class:`JobStateError` before or without one."""
        return self._finished_column(job_id, jobs_table.c.result)

    def kpis_csv(self, job_id: int) -> str:
        """The ``kpis.csv`` text of a done job; :class:`JobStateError` before or without one."""
        return self._finished_column(job_id, jobs_table.c.kpis_csv)

    def _finished_column(self, job_id: int, column) -> Any:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(*VIEW_COLUMNS, column.label("value")).where(jobs_table.c.id == job_id)
            ).first()
        if row is None:
            raise JobNotFound(job_id)
        job = job_from_row(row, None)
        if job.status == JobStatus.DONE:
            return row.value
        if job.status in UNFINISHED:
            raise JobStateError(
                f"status: job {job_id} is {job.status} ({job.progress_text}); the result is there once it is done"
            )
        raise JobStateError(f"status: job {job_id} is {job.status}, it has no result: {job.error}")

    # ------------------------------------------------------------------ cancel
    def cancel(self, job_id: int, actor: str) -> WhatIfJob:
        """Cancel a queued job at once, or ask a running one to stop at its next finished replication.

        Returns
        -------
        WhatIfJob
            ``cancelled`` (it was queued) or still ``running`` with ``cancel_requested``.

        Raises
        ------
        JobNotFound
            No such job.
        JobStateError
            The job has finished (done, failed or cancelled).
        """
        now = self._clock()
        with self._engine.begin() as connection:
            cancelled = connection.execute(
                update(jobs_table)
                .where(jobs_table.c.id == job_id, jobs_table.c.status == JobStatus.QUEUED)
                .values(
                    status=JobStatus.CANCELLED,
                    finished_at=now,
                    cancel_requested=True,
                    cancelled_by=actor,
                    error=f"cancelled by {actor} while queued",
                )
            ).rowcount
        if not cancelled:
            with self._engine.begin() as connection:  # it may have started in between: this catches it then
                cancelled = connection.execute(
                    update(jobs_table)
                    .where(jobs_table.c.id == job_id, jobs_table.c.status == JobStatus.RUNNING)
                    .values(cancel_requested=True, cancelled_by=actor)
                ).rowcount
            with self._lock:
                running = self._running.get(job_id)
            if cancelled and running is not None:
                running.stop.set()  # ours: stop without waiting for the next progress write
        job = self.job(job_id)
        if not cancelled:
            raise JobStateError(f"status: job {job_id} is {job.status}; only queued or running jobs can be cancelled")
        return job

    # ------------------------------------------------------------------ running
    def _fill(self) -> None:
        """Start claimable jobs, oldest first, while fewer than ``concurrent_jobs`` run here."""
        with self._lock:
            while not self._closing and len(self._running) < self._config.concurrent_jobs:
                sent_at = time.monotonic()  # the lease runs from the claim's database time, which is later
                claim = self._claim()
                if claim is None:
                    return
                stop = threading.Event()
                progress = _JobProgress(self, claim, stop)
                thread = threading.Thread(
                    target=self._run, args=(claim, progress), name=f"whatif-job-{claim.job_id}", daemon=True
                )
                self._running[claim.job_id] = _Running(thread, stop, claim, progress, sent_at)
                thread.start()

    def _claim(self) -> Claim | None:
        with self._engine.connect() as connection:
            if not leases.any_claimable(connection):  # the common case takes no lock
                return None
        with self._writer.begin() as connection:
            return leases.claim_next(connection, self._runner, self._config.lease_s, self._clock)

    def _run(self, claim: Claim, progress: _JobProgress) -> None:
        request, config = claim.request, self._config
        try:
            result = run_whatif(
                request.scenario(),
                request.reps,
                request.seed,
                config.engine,
                scheduler=config.scheduler if config.engine == WhatIfEngine.DASK else None,
                progress=progress,
                corridor=self._corridor,
                workers=config.workers,
            )
            self._finish(
                claim, JobStatus.DONE, done_reps=request.reps, result=result.as_dict(), kpis_csv=kpis_csv_text(result)
            )
        except _Cancelled:  # a cancel, the service stopping, or a lease it could not keep
            self._give_back(claim, progress.done)
        except Exception as error:  # a job's failure is recorded on the job; the service carries on
            logger.exception("what-if job %d failed", claim.job_id)
            message = str(error) if isinstance(error, FleetplanError) else f"{type(error).__name__}: {error}"
            self._finish(claim, JobStatus.FAILED, done_reps=progress.done, error=message)
        finally:
            with self._lock:
                self._running.pop(claim.job_id, None)
            try:
                self._fill()
            except Exception:  # the database is unavailable: the keeper picks the queue up at a later tick
                logger.exception("what-if: could not start the next queued job")

    def _keep(self) -> None:
        """Every tick: renew this process's leases, then claim jobs for free slots."""
        while not self._keeper_stop.wait(self.tick_s):
            self._renew_leases()
            try:
                self._fill()
            except Exception:
                logger.exception("what-if: could not look for jobs to start")

    def _renew_leases(self) -> None:
        lease_s = self._config.lease_s
        with self._lock:
            running = list(self._running.values())
        for entry in running:
            sent_at = time.monotonic()
            try:
                with self._writer.begin() as connection:
                    state = leases.renew(connection, entry.claim.job_id, entry.claim.run_id, lease_s)
            except Exception:  # the database is unavailable: try again at the next tick
                logger.exception("what-if job %d: could not renew its lease", entry.claim.job_id)
            else:
                if state is None or state:  # no longer ours, or cancelled
                    entry.stop.set()
                if state is not None:
                    entry.renewed_at = sent_at
            unrenewed_s = time.monotonic() - entry.renewed_at
            if unrenewed_s > lease_s * LEASE_STOP_SHARE and not entry.stop.is_set():
                # stop well before the lease can expire under it, so that it never runs twice at once
                logger.warning(
                    "what-if job %d: lease not renewed for %.0f s of %.0f; stopping it",
                    entry.claim.job_id,
                    unrenewed_s,
                    lease_s,
                )
                entry.stop.set()

    def _record_progress(self, claim: Claim, done: int) -> bool:
        """Write ``done``; True when the job should stop (cancel asked, or it is no longer this run's)."""
        with self._engine.begin() as connection:
            row = connection.execute(
                update(jobs_table)
                .where(leases.held_by(claim.job_id, claim.run_id))
                .values(done_reps=done)
                .returning(jobs_table.c.cancel_requested)
            ).first()
        return row is None or bool(row.cancel_requested)

    def _finish(self, claim: Claim, status: JobStatus, **values: Any) -> None:
        """Record the end of a run; only if the job is still its own (close() may have re-queued it)."""
        try:
            with self._writer.begin() as connection:
                leases.finish(connection, claim.job_id, claim.run_id, status, self._clock, **values)
        except Exception:  # the database is gone or busy: the lease expires and the job runs again
            logger.exception("what-if job %d: could not record that it is %s", claim.job_id, status)

    def _give_back(self, claim: Claim, done: int) -> None:
        """A run left early: cancelled by a planner, or queued again (the service stops, or the lease is at risk)."""
        try:
            with self._writer.begin() as connection:
                leases.give_back(connection, claim.job_id, claim.run_id, done, self._clock)
        except Exception:  # as in _finish: the lease expires and the job runs again
            logger.exception("what-if job %d: could not record that it stopped", claim.job_id)


class _JobProgress:
    """The ``progress`` callback of one job: writes ``done_reps`` (throttled) and stops a cancelled job."""

    def __init__(self, jobs: WhatIfJobs, claim: Claim, stop: threading.Event) -> None:
        self._jobs, self._claim, self._stop = jobs, claim, stop
        self._written_at = float("-inf")
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        self.done = done
        now = time.monotonic()
        if done == total or now - self._written_at >= PROGRESS_WRITE_INTERVAL_S:
            self._written_at = now
            if self._jobs._record_progress(self._claim, done):
                self._stop.set()
        if self._stop.is_set() and done < total:  # with every replication in, finishing costs nothing
            raise _Cancelled
