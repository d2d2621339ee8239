"""How many what-if jobs may wait or run: a cap per user and one in all, checked when a job is submitted.

Without caps one planner could queue hours of work in front of everyone (51 one-year jobs were 10.7 h,
issue 15 §12). Queued and running jobs count, on every service process of the database. The check and
the insert share one write transaction that submissions take one at a time (a transaction-scoped
advisory lock on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite), so parallel submissions never pass a cap
together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, case, func, select, text

from api.records.schema import whatif_jobs as jobs_table
from api.whatif_jobs.view import UNFINISHED, JobStatus

SUBMIT_LOCK_ID = 4_2024_0015  # any constant: serialises submissions on PostgreSQL (api/migrations/env.py has another)
DEFAULT_RETRY_AFTER_S = 60  # when no running job has progress to estimate its end from
MAX_RETRY_AFTER_S = 3600


class QueueFull(Exception):
    """A cap is reached; the message names it, ``retry_after_s`` is when a slot may be free."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Caps:
    """Queued or running jobs allowed per user and in all (``FLEETPLAN_WHATIF_MAX_JOBS_PER_USER``, ``…_MAX_JOBS``)."""

    per_user: int = 3
    total: int = 10


def check_caps(connection: Connection, user: str, caps: Caps, now: datetime) -> None:
    """Refuse a new job of ``user`` when a cap is reached; call it in the write transaction that inserts the job.

    Raises
    ------
    QueueFull
        Naming the setting of the cap that is reached, with an estimate of when to try again.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": SUBMIT_LOCK_ID})
    mine = case((jobs_table.c.submitted_by == user, 1), else_=0)
    total, own = connection.execute(
        select(func.count(), func.coalesce(func.sum(mine), 0)).where(jobs_table.c.status.in_(list(UNFINISHED)))
    ).one()
    if own >= caps.per_user:
        raise QueueFull(
            f"whatif_max_jobs_per_user: {user} has {own} what-if jobs queued or running, the most one user may "
            f"have ({caps.per_user}); cancel one or try again when one has finished",
            retry_after_s(connection, now, user),
        )
    if total >= caps.total:
        raise QueueFull(
            f"whatif_max_jobs: {total} what-if jobs are queued or running, the most the service takes "
            f"({caps.total}); try again when one has finished",
            retry_after_s(connection, now, None),
        )


def retry_after_s(connection: Connection, now: datetime, user: str | None) -> int:
    """Seconds until the first running job (of ``user``, if they have one running) is likely to end.

    Estimated from each running job's pace so far; :data:`DEFAULT_RETRY_AFTER_S` without any progress.
    """
    query = select(jobs_table.c.submitted_by, jobs_table.c.started_at, jobs_table.c.done_reps, jobs_table.c.total_reps)
    rows = connection.execute(query.where(jobs_table.c.status == JobStatus.RUNNING)).all()
    if user is not None and any(row.submitted_by == user for row in rows):
        rows = [row for row in rows if row.submitted_by == user]
    estimates = [
        (now - row.started_at).total_seconds() / row.done_reps * (row.total_reps - row.done_reps)
        for row in rows
        if row.started_at is not None and row.done_reps > 0
    ]
    if not estimates:
        return DEFAULT_RETRY_AFTER_S
    return int(min(MAX_RETRY_AFTER_S, max(1.0, min(estimates))))
