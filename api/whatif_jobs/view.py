"""What is shown of a what-if job: its status, the job as stored (and read from its row), and the
errors of asking for a job that is missing or in the wrong state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from api.records.schema import whatif_jobs as jobs_table


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


UNFINISHED = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})


class JobNotFound(LookupError):
    """No what-if job has this id."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"job_id: no what-if job {job_id}")


class JobStateError(Exception):
    """The job's status does not allow this (cancel a finished job, fetch an unfinished result).

    The message names the status: ``status: job 3 is running (5 of 20 replications done); …``.
    """


@dataclass(frozen=True)
class WhatIfJob:
    """One job as stored; ``queue_position`` is 1 for the next queued job to start, None unless queued."""

    id: int
    status: JobStatus
    request: dict[str, Any]
    submitted_by: str
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    done_reps: int
    total_reps: int
    error: str | None
    cancel_requested: bool
    queue_position: int | None = None

    @property
    def progress_text(self) -> str:
        return f"{self.done_reps} of {self.total_reps} replications done"


# --------------------------------------------------------------------------- from a stored row
VIEW_COLUMNS = (
    jobs_table.c.id,
    jobs_table.c.status,
    jobs_table.c.request,
    jobs_table.c.submitted_by,
    jobs_table.c.submitted_at,
    jobs_table.c.started_at,
    jobs_table.c.finished_at,
    jobs_table.c.done_reps,
    jobs_table.c.total_reps,
    jobs_table.c.error,
    jobs_table.c.cancel_requested,
)


def job_from_row(row: Any, queue_position: int | None) -> WhatIfJob:
    """The job shown for a row of :data:`VIEW_COLUMNS`."""
    return WhatIfJob(
        id=row.id,
        status=JobStatus(row.status),
        request=row.request,
        submitted_by=row.submitted_by,
        submitted_at=row.submitted_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        done_reps=row.done_reps,
        total_reps=row.total_reps,
        error=row.error,
        cancel_requested=bool(row.cancel_requested),
        queue_position=queue_position,
    )
