"""What-if jobs for planners (issue 5 §4): submit, poll with progress, cancel, fetch the result.

A planner (or admin) submits; the planner who submitted a job, or an admin, cancels it; every role may
read. Each user may have ``FLEETPLAN_WHATIF_MAX_JOBS_PER_USER`` jobs queued or running and everyone
together ``FLEETPLAN_WHATIF_MAX_JOBS``: one more is a 429 naming the cap, with ``Retry-After``. The job
runs in the background (:mod:`api.whatif_jobs`): ``POST`` answers 202 at once with the job and a
``Location`` to poll. The parameters are checked as fully as ``fleetplan whatif`` checks them — period, calendar, the backup
sites and counts against the corridor's data — before anything is stored, so a job never fails on
its input. The result is ``WhatIfResult.as_dict()`` — what ``fleetplan whatif --json`` prints, less the
engine, time and files — and ``kpis.csv`` the CLI's file.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from fleetplan.corridor import Corridor

from solver.planning.whatif import CALENDARS

from api import auth
from api.records.types import Role, User
from api.routers.deps import get_corridor, get_whatif_jobs
from api.schemas import NO_NUL, ErrorBody, WholeNumber, calendar_day_pattern, error_responses
from api.whatif_jobs import (
    DEFAULT_LIST_LIMIT,
    MAX_HTTP_REPS,
    MAX_SEED,
    UNFINISHED,
    JobNotFound,
    JobStateError,
    JobStatus,
    QueueFull,
    WhatIfJob,
    WhatIfJobs,
    validate_request,
)

PREFIX = "/whatif/jobs"
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2100, 12, 31)  # far outside, dates stop meaning anything
DEFAULT_SEED = 20261207  # the CLI's default (api.cli_whatif.WHATIF_DEFAULT_SEED)
MAX_SITES = 50
JobId = Path(ge=1, le=2**31 - 1, description="the job's id")

router = APIRouter(prefix=PREFIX, tags=["planning"], responses=error_responses(401, 403))

SiteId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_NUL)]
# stated here; a negative count is a 400 naming backups (validate_request), like too many for the standby fleet
BackupCount = Annotated[WholeNumber, Field(json_schema_extra={"minimum": 0})]


# The days EARLIEST_DAY..LATEST_DAY exactly, as the schema states them (pydantic alone would also take
# "2026-12-01T00:00" for a day, and says nothing in the schema about the years)
YEARS, LEAP_YEARS = "(?:20[0-9]{2}|2100)", "(?:20(?:0[48]|[2468][048]|[13579][26])|2000)"  # 2000–2100
DAY_PATTERN = f"^{calendar_day_pattern(YEARS, LEAP_YEARS)}$"
_DAY = re.compile(DAY_PATTERN)


def _day_text(value: Any) -> Any:
    # FastAPI validates the parsed body in Python mode, where pydantic would take a number for a day
    if not isinstance(value, str) or not _DAY.match(value):
        raise ValueError(f"must be a day YYYY-MM-DD from {EARLIEST_DAY} to {LATEST_DAY}")
    return value


Day = Annotated[date, BeforeValidator(_day_text), Field(json_schema_extra={"pattern": DAY_PATTERN})]


# --------------------------------------------------------------------------- schemas
class WhatIfJobIn(BaseModel):
    """What ``fleetplan whatif --from --to --backups --conditions-calendar --reps --seed`` asks."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "start": "2026-12-01",
                    "end": "2026-12-31",
                    "backups": {"siping_depot": 2, "changchun_depot": 1},
                    "calendar": "winter",
                    "reps": 20,
                    "seed": 0,
                }
            ]
        },
    )

    start: Day = Field(ge=EARLIEST_DAY, le=LATEST_DAY, description="first day, YYYY-MM-DD")
    end: Day = Field(
        ge=EARLIEST_DAY, le=LATEST_DAY, description="last day, YYYY-MM-DD (inclusive; at most a year after start)"
    )
    backups: dict[SiteId, BackupCount] = Field(
        max_length=MAX_SITES, description="standby coaches per depot or staging point (replaces the data's placement)"
    )
    calendar: str = Field(
        "clear",
        min_length=1,
        max_length=20,
        pattern=NO_NUL,
        description="weather calendar: clear or winter",
        json_schema_extra={"enum": list(CALENDARS)},  # stated here; another name is a 400 naming the field
    )
    reps: WholeNumber = Field(20, ge=1, le=MAX_HTTP_REPS, description="replications")
    seed: WholeNumber = Field(
        DEFAULT_SEED, ge=0, le=MAX_SEED, description="root seed; the same seed gives the same KPIs"
    )


class WhatIfRequestOut(BaseModel):
    start: str
    end: str
    backups: dict[str, int]
    calendar: str
    reps: int
    seed: int


class ProgressOut(BaseModel):
    done: int = Field(description="replications finished")
    total: int
    share: float = Field(description="done / total")


class WhatIfJobOut(BaseModel):
    id: int
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    submitted_by: str
    submitted_at: str
    started_at: str | None
    finished_at: str | None
    progress: ProgressOut
    queue_position: int | None = Field(description="1 for the next queued job to start; null unless queued")
    cancel_requested: bool
    request: WhatIfRequestOut
    error: str | None = Field(description="why a job failed or who cancelled it")
    links: dict[str, str] = Field(description="self, and cancel, result and kpis_csv when they apply")


class CsvResponse(PlainTextResponse):
    media_type = "text/csv"


# --------------------------------------------------------------------------- views
def _moment(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def job_view(job: WhatIfJob) -> dict[str, Any]:
    """The JSON of a job (:class:`WhatIfJobOut`)."""
    base = f"{PREFIX}/{job.id}"
    links = {"self": base}
    if job.status in UNFINISHED:
        links["cancel"] = f"{base}/cancel"
    if job.status == JobStatus.DONE:
        links |= {"result": f"{base}/result", "kpis_csv": f"{base}/kpis.csv"}
    share = round(job.done_reps / job.total_reps, 4) if job.total_reps else 0.0
    return {
        "id": job.id,
        "status": job.status.value,
        "submitted_by": job.submitted_by,
        "submitted_at": _moment(job.submitted_at),
        "started_at": _moment(job.started_at),
        "finished_at": _moment(job.finished_at),
        "progress": {"done": job.done_reps, "total": job.total_reps, "share": share},
        "queue_position": job.queue_position,
        "cancel_requested": job.cancel_requested,
        "request": job.request,
        "error": job.error,
        "links": links,
    }


def _json_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Error responses of the CSV route, documented as the JSON they are (FastAPI would file a ``model``
    under the route's own media type, ``text/csv``)."""
    return {
        code: {
            "description": entry["description"],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        }
        for code, entry in error_responses(*codes).items()
    }


def _not_found(error: JobNotFound) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, str(error))


def _conflict(error: JobStateError) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, str(error))


def _too_many(error: QueueFull) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS, str(error), headers={"Retry-After": str(error.retry_after_s)}
    )


QUEUE_FULL_RESPONSE: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorBody,
        "description": "A cap on queued or running jobs is reached (the detail names it); nothing stored",
        "headers": {
            "Retry-After": {
                "description": "seconds until a running job is likely to have finished",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    }
}


# --------------------------------------------------------------------------- routes
@router.post(
    "",
    response_model=WhatIfJobOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Submit a what-if job",
    responses={**error_responses(400, checked=("backups", "end")), **QUEUE_FULL_RESPONSE},
)
def submit(
    body: WhatIfJobIn,
    response: Response,
    jobs: WhatIfJobs = Depends(get_whatif_jobs),
    corridor: Corridor = Depends(get_corridor),
    user: User = Depends(auth.planner),
) -> dict:
    """Checked in full (400 naming the field, nothing stored), queued, and started when a slot is free.
    Poll the ``Location`` for progress. A 429 when the user's or everyone's cap of queued or running
    jobs is reached."""
    request = validate_request(body.start, body.end, body.backups, body.calendar, body.reps, body.seed, corridor)
    try:
        job = jobs.submit(request, user.name)
    except QueueFull as error:
        raise _too_many(error) from None
    response.headers["Location"] = f"{PREFIX}/{job.id}"
    return job_view(job)


@router.get("", response_model=list[WhatIfJobOut], summary="What-if jobs, newest first")
def list_jobs(
    limit: int = Query(DEFAULT_LIST_LIMIT, ge=1, le=500),
    jobs: WhatIfJobs = Depends(get_whatif_jobs),
    _user: User = Depends(auth.viewer),
) -> list[dict]:
    return [job_view(job) for job in jobs.jobs(limit)]


@router.get(
    "/{job_id}",
    response_model=WhatIfJobOut,
    summary="One what-if job: status, progress, queue position",
    responses=error_responses(404),
)
def get_job(
    job_id: int = JobId, jobs: WhatIfJobs = Depends(get_whatif_jobs), _user: User = Depends(auth.viewer)
) -> dict:
    try:
        return job_view(jobs.job(job_id))
    except JobNotFound as error:
        raise _not_found(error) from None


@router.post(
    "/{job_id}/cancel",
    response_model=WhatIfJobOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Cancel a what-if job",
    responses={
        200: {"model": WhatIfJobOut, "description": "the job was queued and is cancelled"},
        **error_responses(404, 409),
    },
)
def cancel(
    response: Response,
    job_id: int = JobId,
    jobs: WhatIfJobs = Depends(get_whatif_jobs),
    user: User = Depends(auth.planner),
) -> dict:
    """A queued job is cancelled at once (200); a running one stops at its next finished replication
    (202, still ``running`` with ``cancel_requested``). A finished job is a 409. Only the planner who
    submitted the job, or an admin, may cancel it (403 otherwise)."""
    try:
        owner = jobs.job(job_id).submitted_by
        if owner != user.name and user.role != Role.ADMIN:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role: what-if job {job_id} was submitted by {owner}; only they or an admin may cancel it",
            )
        job = jobs.cancel(job_id, user.name)
    except JobNotFound as error:
        raise _not_found(error) from None
    except JobStateError as error:
        raise _conflict(error) from None
    if job.status == JobStatus.CANCELLED:
        response.status_code = status.HTTP_200_OK
    return job_view(job)


@router.get(
    "/{job_id}/result",
    response_model=dict[str, Any],
    summary="The result of a done job",
    responses=error_responses(404, 409),
)
def result(
    job_id: int = JobId, jobs: WhatIfJobs = Depends(get_whatif_jobs), _user: User = Depends(auth.viewer)
) -> dict:
    """``fleetplan whatif --json``'s object: scenario, summary and KPIs per tier. 409 until done."""
    try:
        return jobs.result(job_id)
    except JobNotFound as error:
        raise _not_found(error) from None
    except JobStateError as error:
        raise _conflict(error) from None


@router.get(
    "/{job_id}/kpis.csv",
    response_class=CsvResponse,
    summary="The KPIs of a done job as kpis.csv",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "one row per tier, then all"},
        **_json_errors(401, 403, 404, 409),
    },
)
def kpis_csv(
    job_id: int = JobId, jobs: WhatIfJobs = Depends(get_whatif_jobs), _user: User = Depends(auth.viewer)
) -> CsvResponse:
    """One row per tier, then ``all``: the file ``fleetplan whatif --out`` writes."""
    try:
        text = jobs.kpis_csv(job_id)
    except JobNotFound as error:
        raise _not_found(error) from None
    except JobStateError as error:
        raise _conflict(error) from None
    return CsvResponse(text, headers={"Content-Disposition": f'inline; filename="whatif-{job_id}-kpis.csv"'})
