"""The what-if jobs' store and runner: submit, list, cancel, and run jobs in background threads.

How it runs:

- At most ``concurrent_jobs`` jobs run at once in this process, each in its own thread that calls
  ``run_whatif`` on the configured engine (``processes`` or ``dask``), so the CPU work is in other
  processes and the desk keeps answering. The oldest queued job starts first; a job is claimed with
  a guarded ``UPDATE … WHERE status = 'queued'``, so two service processes on one database never run
  the same job (the limit is per process).
- Progress is written at most every :data:`PROGRESS_WRITE_INTERVAL_S` (and when the last replication
  is in); the same write reads ``cancel_requested``, so a cancel given to another service process on
  the same database is seen too. A cancelled job stops at its next finished replication: the progress
  callback raises :class:`_Cancelled` and the engine drops the replications not yet started.
- Nothing is lost on a restart: :meth:`WhatIfJobs.start` puts jobs left ``running`` by a previous
  process back in the queue (a replication is a pure function of its seed, so the rerun gives the same
  result), and :meth:`WhatIfJobs.close` stops running jobs and puts them back in the queue too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from fleetplan.corridor import Corridor
from fleetplan.errors import FleetplanError
from fleetplan.units import china_now

from solver.planning.whatif import Engine as WhatIfEngine
from solver.planning.whatif import kpis_csv_text, run_whatif

from api.records.schema import whatif_jobs as jobs_table
from api.settings import Settings
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
_CLAIM_ATTEMPTS = 5  # another process may claim the same queued job first; then try the next one


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

    @classmethod
    def from_settings(cls, settings: Settings) -> RunnerConfig:
        return cls(
            settings.whatif_engine, settings.whatif_workers, settings.whatif_scheduler, settings.whatif_concurrent_jobs
        )


class WhatIfJobs:
    """The job store and its runner.

    Parameters
    ----------
    engine
        The service database (migrated to 0003 or later); the record store's engine.
    corridor
        The corridor every job runs on.
    config
        Engine, workers, scheduler and how many jobs run at once.
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
        self._corridor = corridor
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._running: dict[int, tuple[threading.Thread, threading.Event]] = {}
        self._closing = False

    # ------------------------------------------------------------------ life cycle
    def start(self) -> int:
        """Re-queue the jobs a previous process left running, then start queued jobs.

        Returns
        -------
        int
            How many jobs were put back in the queue.
        """
        with self._engine.begin() as connection:
            # a cancel asked for before the crash still counts
            connection.execute(
                update(jobs_table)
                .where(jobs_table.c.status == JobStatus.RUNNING, jobs_table.c.cancel_requested.is_(True))
                .values(
                    status=JobStatus.CANCELLED,
                    finished_at=self._clock(),
                    error="cancelled (the service stopped before the running job did)",
                )
            )
            requeued = connection.execute(_requeue_statement(jobs_table.c.status == JobStatus.RUNNING)).rowcount
        if requeued:
            logger.info("what-if: %d job(s) left running by a previous process are queued again", requeued)
        self._fill()
        return requeued

    def close(self, timeout_s: float = CLOSE_JOIN_TIMEOUT_S) -> None:
        """Stop the running jobs and put them back in the queue, so that they run at the next start.

        Waits up to ``timeout_s`` for their threads: a job stops at its next finished replication.
        A thread still busy then is left (it is a daemon) and its job is re-queued anyway.
        """
        with self._lock:
            self._closing = True
            running = dict(self._running)
        for _thread, stop in running.values():
            stop.set()
        deadline = time.monotonic() + timeout_s
        for job_id, (thread, _stop) in running.items():
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                logger.warning("what-if job %d did not stop within %.0f s; queued again", job_id, timeout_s)
                try:
                    self._requeue(job_id)
                except Exception:  # the next start re-queues it anyway
                    logger.exception("what-if job %d: could not queue it again", job_id)

    # ------------------------------------------------------------------ submit and read
    def submit(self, request: WhatIfRequest, submitted_by: str) -> WhatIfJob:
        """Store a validated job as ``queued`` and start it if a slot is free.

        Returns
        -------
        WhatIfJob
            The job as it is after the runner had its chance to start it.
        """
        with self._engine.begin() as connection:
            job_id = connection.execute(
                insert(jobs_table).values(
                    status=JobStatus.QUEUED,
                    request=request.as_dict(),
                    submitted_by=submitted_by,
                    submitted_at=self._clock(),
                    done_reps=0,
                    total_reps=request.reps,
                    cancel_requested=False,
                )
            ).inserted_primary_key[0]
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
                running[1].set()  # ours: stop without waiting for the next progress write
        job = self.job(job_id)
        if not cancelled:
            raise JobStateError(f"status: job {job_id} is {job.status}; only queued or running jobs can be cancelled")
        return job

    # ------------------------------------------------------------------ running
    def _fill(self) -> None:
        """Start queued jobs, oldest first, while fewer than ``concurrent_jobs`` run here."""
        with self._lock:
            while not self._closing and len(self._running) < self._config.concurrent_jobs:
                claimed = self._claim_next()
                if claimed is None:
                    return
                job_id, request = claimed
                stop = threading.Event()
                thread = threading.Thread(
                    target=self._run, args=(job_id, request, stop), name=f"whatif-job-{job_id}", daemon=True
                )
                self._running[job_id] = (thread, stop)
                thread.start()

    def _claim_next(self) -> tuple[int, WhatIfRequest] | None:
        for _attempt in range(_CLAIM_ATTEMPTS):
            with self._engine.connect() as connection:
                row = connection.execute(
                    select(jobs_table.c.id, jobs_table.c.request)
                    .where(jobs_table.c.status == JobStatus.QUEUED)
                    .order_by(jobs_table.c.id)
                    .limit(1)
                ).first()
            if row is None:
                return None
            with self._engine.begin() as connection:
                claimed = connection.execute(
                    update(jobs_table)
                    .where(jobs_table.c.id == row.id, jobs_table.c.status == JobStatus.QUEUED)
                    .values(status=JobStatus.RUNNING, started_at=self._clock(), done_reps=0)
                ).rowcount
            if claimed:
                return row.id, WhatIfRequest.from_dict(row.request)
        return None

    def _run(self, job_id: int, request: WhatIfRequest, stop: threading.Event) -> None:
        progress = _JobProgress(self, job_id, stop)
        config = self._config
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
                job_id, JobStatus.DONE, done_reps=request.reps, result=result.as_dict(), kpis_csv=kpis_csv_text(result)
            )
        except _Cancelled:
            self._stopped(job_id, progress.done)
        except Exception as error:  # a job's failure is recorded on the job; the service carries on
            logger.exception("what-if job %d failed", job_id)
            message = str(error) if isinstance(error, FleetplanError) else f"{type(error).__name__}: {error}"
            self._finish(job_id, JobStatus.FAILED, done_reps=progress.done, error=message)
        finally:
            with self._lock:
                self._running.pop(job_id, None)
            try:
                self._fill()
            except Exception:  # the database is unavailable: the next submit or start picks the queue up
                logger.exception("what-if: could not start the next queued job")

    def _record_progress(self, job_id: int, done: int) -> bool:
        """Write ``done``; True when the job should stop (cancel asked, or it is no longer ours to run)."""
        with self._engine.begin() as connection:
            row = connection.execute(
                update(jobs_table)
                .where(jobs_table.c.id == job_id, jobs_table.c.status == JobStatus.RUNNING)
                .values(done_reps=done)
                .returning(jobs_table.c.cancel_requested)
            ).first()
        return row is None or bool(row.cancel_requested)

    def _finish(self, job_id: int, status: JobStatus, **values: Any) -> None:
        """Record the end of a running job (only if it is still running: close() may have re-queued it)."""
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    update(jobs_table)
                    .where(jobs_table.c.id == job_id, jobs_table.c.status == JobStatus.RUNNING)
                    .values(status=status, finished_at=self._clock(), **values)
                )
        except Exception:  # the database is gone or busy: the job stays running and is re-queued at the next start
            logger.exception("what-if job %d: could not record that it is %s", job_id, status)

    def _stopped(self, job_id: int, done: int) -> None:
        """A job left run_whatif early: cancelled by a planner, or re-queued because the service stops."""
        try:
            with self._engine.connect() as connection:
                row = connection.execute(
                    select(jobs_table.c.cancel_requested, jobs_table.c.cancelled_by, jobs_table.c.total_reps).where(
                        jobs_table.c.id == job_id
                    )
                ).first()
            if row is not None and row.cancel_requested:
                self._finish(
                    job_id,
                    JobStatus.CANCELLED,
                    done_reps=done,
                    error=f"cancelled by {row.cancelled_by} after {done} of {row.total_reps} replications",
                )
            else:
                self._requeue(job_id)
        except Exception:  # as in _finish: the next start re-queues it
            logger.exception("what-if job %d: could not record that it stopped", job_id)

    def _requeue(self, job_id: int) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                _requeue_statement(
                    jobs_table.c.id == job_id,
                    jobs_table.c.status == JobStatus.RUNNING,
                    jobs_table.c.cancel_requested.is_(False),
                )
            )


class _JobProgress:
    """The ``progress`` callback of one job: writes ``done_reps`` (throttled) and stops a cancelled job."""

    def __init__(self, jobs: WhatIfJobs, job_id: int, stop: threading.Event) -> None:
        self._jobs, self._job_id, self._stop = jobs, job_id, stop
        self._written_at = float("-inf")
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        self.done = done
        now = time.monotonic()
        if done == total or now - self._written_at >= PROGRESS_WRITE_INTERVAL_S:
            self._written_at = now
            if self._jobs._record_progress(self._job_id, done):
                self._stop.set()
        if self._stop.is_set() and done < total:  # with every replication in, finishing costs nothing
            raise _Cancelled


# --------------------------------------------------------------------------- statements
def _requeue_statement(*conditions):
    """Back to the queue, from the start: replications are pure functions of their seeds."""
    return update(jobs_table).where(*conditions).values(status=JobStatus.QUEUED, started_at=None, done_reps=0)
