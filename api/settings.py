"""Service settings, read from ``FLEETPLAN_*`` environment variables.

| variable | default | meaning |
|---|---|---|
| ``FLEETPLAN_DATA_DIR`` | ``$FLEETPLAN_DATA`` or ``data/default`` | corridor data directory |
| ``FLEETPLAN_DATABASE_URL`` | ``sqlite:///var/fleetplan.db`` | the records (SQLite file or ``postgresql+psycopg://…``) |
| ``FLEETPLAN_DISPATCH_TIME_LIMIT_S`` | ``1.0`` | the solver's deadline for one dispatch answer |
| ``FLEETPLAN_DISPATCH_WAIT_S`` | ``30`` | how long a request waits for options before answering without them |
| ``FLEETPLAN_JOINT_PLANNING`` | ``true`` | a report while other incidents are open and not accepted plans them all together (``false``: each alone) |
| ``FLEETPLAN_JOINT_MAX_INCIDENTS`` | ``6`` | at most this many incidents in one joint plan on a report: the newest open ones |
| ``FLEETPLAN_JOINT_WINDOW_MIN`` | ``120`` | incidents are planned together only when reported within this many minutes of each other |
| ``FLEETPLAN_DISPATCH_CONCURRENCY`` | usable cores | solves run at once; more wait their turn |
| ``FLEETPLAN_DISPATCH_PROCESSES`` | usable cores when two or more, else ``0`` | worker processes that build and solve the desk's dispatches (one per solve at once), so that the requests and the records keep the service's core; ``0``: in the service process |
| ``FLEETPLAN_VAR_DIR`` | ``var`` | local state (the first-start admin token when the database is not a SQLite file) |
| ``FLEETPLAN_TIME_WINDOW_DAYS`` | ``30`` | report and lifecycle times are accepted this many days back from now, or this near the data's timetable days |
| ``FLEETPLAN_CLOCK_SKEW_MIN`` | ``5`` | how far a time may lie ahead of the service's clock (the desk's clock may run ahead) |
| ``FLEETPLAN_ON_SCENE_TOLERANCE_MIN`` | ``2`` | how much earlier than the accepted plan's first arrival an on-scene time may be without a reason |
| ``FLEETPLAN_CLOCK_FROM`` | none (the wall clock) | a drill desk: the China local time (``2026-12-07T07:20``) its clock reads at start |
| ``FLEETPLAN_CLOCK_SPEEDUP`` | ``1`` | a drill clock runs this many times as fast as the wall clock (≤ 600) |
| ``FLEETPLAN_POSITION_FRESH_S`` | ``120`` | a coach's latest fix is fresh this long; older, the coach is stale and dispatch uses the timetable |
| ``FLEETPLAN_PUSH_EVERY_S`` | ``0.25`` | how often the records are looked at for changes to push to open desks |
| ``FLEETPLAN_ESCALATE_AFTER_S`` | ``120`` | an incident with no accepted plan this long after its report escalates on the desk (red after twice as long) |
| ``FLEETPLAN_TILE_URL`` | none (no basemap) | a map tile URL template (``https://…/{z}/{x}/{y}.png``) for the desk's basemap |
| ``FLEETPLAN_TILE_CRS`` | ``wgs84`` | ``gcj02`` for Chinese tile services (AMap, Tencent): the desk shifts its drawing onto their grid |
| ``FLEETPLAN_TILE_ATTRIBUTION`` | none | the tile provider's attribution, shown on the map |
| ``FLEETPLAN_JT808_PORT`` | none (off) | TCP port of the JT/T 808 gateway for the coaches' positioning terminals |
| ``FLEETPLAN_JT808_HOST`` | ``127.0.0.1`` | interface it binds (``0.0.0.0`` to take terminals from the network) |
| ``FLEETPLAN_JT808_KEY`` | a key kept in ``var/jt808-key`` | key of the terminals' auth codes: the same for every process |
| ``FLEETPLAN_GTFS_RT_URL`` | none (off) | an operator's GTFS-Realtime feed of vehicle positions, polled |
| ``FLEETPLAN_GTFS_RT_POLL_S`` | ``15`` | how often it is polled |
| ``FLEETPLAN_DETECT_EVERY_S`` | ``10`` | how often the positions are looked at for alerts; ``0``: never |
| ``FLEETPLAN_STOPPED_ALERT_MIN`` | ``3`` | a coach standing this long on G1 outside a service area is a suspected breakdown |
| ``FLEETPLAN_WHATIF_ENGINE`` | ``processes`` | where HTTP what-if jobs compute: ``processes``, ``dask`` or ``local`` (in the service process; tests) |
| ``FLEETPLAN_WHATIF_WORKERS`` | usable cores − 1 (≥ 1) | processes of one job's pool or local Dask cluster |
| ``FLEETPLAN_WHATIF_SCHEDULER`` | none | Dask scheduler address (``tcp://host:8786``) for the ``dask`` engine; none: a local cluster per job |
| ``FLEETPLAN_WHATIF_CONCURRENT_JOBS`` | ``1`` | what-if jobs running at once in each service process; later ones wait as ``queued`` |
| ``FLEETPLAN_WHATIF_MAX_JOBS_PER_USER`` | ``3`` | what-if jobs one user may have queued or running; more are a 429 |
| ``FLEETPLAN_WHATIF_MAX_JOBS`` | ``10`` | what-if jobs queued or running in all (every process on the database); more are a 429 |
| ``FLEETPLAN_WHATIF_LEASE_S`` | ``30`` | a running job's lease: renewed while it runs; once expired another process runs the job again |
| ``FLEETPLAN_MESSAGE_WEBHOOK_URL`` | none (the log) | the accepted plans' ready messages are POSTed as JSON here; none: written to ``messages.jsonl`` beside the SQLite database (else in the var dir) and the service log |
| ``FLEETPLAN_MESSAGE_WEBHOOK_TOKEN`` | none | sent as ``Authorization: Bearer …`` with each POST |
| ``FLEETPLAN_MESSAGE_WEBHOOK_TIMEOUT_S`` | ``10`` | a POST not answered within this is a failed attempt |
| ``FLEETPLAN_MESSAGE_SEND_EVERY_S`` | ``2`` | how often the outbox is looked at for messages to send; ``0``: never (they stay queued) |
| ``FLEETPLAN_MESSAGE_MAX_ATTEMPTS`` | ``5`` | attempts per message (and per resend) before it is ``failed`` |
| ``FLEETPLAN_MESSAGE_BACKOFF_S`` | ``10`` | wait before the second attempt, doubled before each later one |
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from fleetplan.corridor import default_data_dir
from fleetplan.units import CHINA

DEFAULT_DATABASE_URL = "sqlite:///var/fleetplan.db"
ADMIN_TOKEN_FILE = "admin-token"


class Settings(BaseSettings):
    """What the service needs to start; tests build one directly or override ``get_settings``."""

    model_config = SettingsConfigDict(env_prefix="FLEETPLAN_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir, description="corridor data directory")
    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the records")
    dispatch_time_limit_s: float = Field(1.0, gt=0, le=60, description="solver deadline per dispatch, seconds")
    dispatch_wait_s: float = Field(
        30.0, gt=0, le=600, description="longest wait for options before answering without them, seconds"
    )
    joint_planning: bool = Field(
        True, description="a report while others are open and not accepted plans them together (issue 18 §3)"
    )
    joint_max_incidents: int = Field(6, ge=2, le=50, description="incidents in one joint plan on a report, at most")
    joint_window_min: int = Field(
        120, ge=0, le=1440, description="incidents are planned together only when reported this near in time"
    )
    dispatch_concurrency: int = Field(
        default_factory=lambda: len(os.sched_getaffinity(0)),
        ge=1,
        le=256,
        description="solves at once; CP-SAT's deadline is wall-clock, so a solve "
        "sharing a core with many others returns worse plans",
    )
    dispatch_processes: int = Field(
        default_factory=lambda: cores if (cores := len(os.sched_getaffinity(0))) >= 2 else 0,
        ge=0,
        le=64,
        description="worker processes that build and solve the desk's dispatches; 0: in the service process",
    )
    var_dir: Path = Field(Path("var"), description="directory for local state")
    # Records are append-only: a time out of all reason (year 0001, 1970, 9999) would be kept for good and
    # poison the KPIs. A month back covers records entered late; the bundled demo timetable lies ahead of
    # most clocks, so its days count too (see api.desk.times).
    time_window_days: int = Field(
        30, ge=1, le=3650, description="days back from now, or around the timetable's days, that times may lie"
    )
    clock_skew_min: int = Field(5, ge=0, le=60, description="minutes a time may lie ahead of the clock")
    on_scene_tolerance_min: int = Field(
        2, ge=0, le=60, description="minutes an on-scene time may precede the plan's first arrival without a reason"
    )
    clock_from: datetime | None = Field(
        None, description="a drill desk's clock: China local time it reads at start (none: the wall clock)"
    )
    clock_speedup: float = Field(
        1.0, gt=0, le=600, description="how much faster than the wall clock a drill clock runs"
    )
    position_fresh_s: float = Field(
        120, gt=0, le=86_400, description="seconds a coach's latest fix counts as its live position"
    )
    push_every_s: float = Field(0.25, ge=0.05, le=60, description="seconds between looks for changes to push")
    push_ping_s: float = Field(15, ge=1, le=300, description="seconds between pings on an idle event stream")
    escalate_after_s: float = Field(
        120, ge=10, le=86_400, description="seconds after its report an incident with no accepted plan escalates"
    )
    tile_url: str | None = Field(
        None, pattern=r"^https?://[^\s]+\{z\}[^\s]*$", description="basemap tile URL template; none: no basemap"
    )
    tile_crs: Literal["wgs84", "gcj02"] = Field("wgs84", description="the tiles' datum: gcj02 for Chinese services")
    tile_attribution: str = Field("", max_length=300, description="the tile provider's attribution")
    jt808_port: int | None = Field(None, ge=1, le=65535, description="JT/T 808 gateway port; none: off")
    jt808_host: str = Field("127.0.0.1", min_length=1, description="interface the JT/T 808 gateway binds")
    jt808_key: str | None = Field(None, min_length=16, description="key of the terminals' auth codes")
    gtfs_rt_url: str | None = Field(
        None, pattern=r"^https?://", description="GTFS-Realtime vehicle positions to poll; none: off"
    )
    gtfs_rt_poll_s: float = Field(15, ge=1, le=3600, description="seconds between polls of the GTFS-RT feed")
    detect_every_s: float = Field(10, ge=0, le=3600, description="seconds between looks for alerts; 0: off")
    stopped_alert_min: float = Field(3, gt=0, le=120, description="minutes standing on G1 that raise an alert")
    whatif_engine: Literal["processes", "dask", "local"] = Field(
        "processes",
        description="where what-if jobs compute; 'local' runs in the service process (tests only: "
        "it competes with the desk for the interpreter)",
    )
    whatif_workers: int = Field(
        default_factory=lambda: max(1, len(os.sched_getaffinity(0)) - 1),
        ge=1,
        le=256,
        description="processes per what-if job; one core is left to the desk",
    )
    whatif_scheduler: str | None = Field(None, min_length=1, description="Dask scheduler address (dask engine)")
    whatif_concurrent_jobs: int = Field(1, ge=1, le=64, description="what-if jobs running at once per process")
    # A one-year job with 1000 replications takes about 12 minutes on the default workers: 10 jobs are two
    # hours of queue, where 51 unbounded ones were eleven (issue 15 §12)
    whatif_max_jobs_per_user: int = Field(3, ge=1, le=1000, description="queued or running what-if jobs per user")
    whatif_max_jobs: int = Field(10, ge=1, le=10_000, description="queued or running what-if jobs in all")
    whatif_lease_s: float = Field(
        30.0,
        ge=1,
        le=3600,
        description="lease of a running what-if job, seconds: a job whose process died runs again elsewhere after it",
    )

    message_webhook_url: str | None = Field(
        None, pattern=r"^https?://", description="URL the ready messages are POSTed to; none: the log gateway"
    )
    message_webhook_token: str | None = Field(None, min_length=1, description="bearer token sent with each POST")
    message_webhook_timeout_s: float = Field(10.0, gt=0, le=60, description="seconds a POST may take")
    message_send_every_s: float = Field(2.0, ge=0, le=3600, description="seconds between sends; 0: off")
    message_max_attempts: int = Field(5, ge=1, le=100, description="attempts per message before it fails")
    message_backoff_s: float = Field(
        10.0, ge=0, le=3600, description="seconds before the second attempt, doubled before each later one"
    )

    @field_validator("clock_from")
    @classmethod
    def _china_local(cls, value: datetime | None) -> datetime | None:
        """A time with an offset is read in China Standard Time; the clock keeps naive local time."""
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(CHINA).replace(tzinfo=None)

    @model_validator(mode="after")
    def _scheduler_needs_dask(self) -> Settings:
        if self.whatif_scheduler and self.whatif_engine != "dask":
            raise ValueError("whatif_scheduler: a scheduler address needs whatif_engine=dask")
        return self


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for other databases and in-memory SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def prepare_database_dir(database_url: str) -> None:
    """Create the directory of a SQLite database file (``var/`` by default) if it is missing."""
    path = sqlite_file(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def admin_token_path(settings: Settings) -> Path:
    """Where the first-start admin token is kept: beside a SQLite file, else in ``var_dir``.

    Beside the database, so a throw-away database (tests, demos) never overwrites the token of
    the operator's own ``var/fleetplan.db``.
    """
    path = sqlite_file(settings.database_url)
    return (path.parent if path is not None else settings.var_dir) / ADMIN_TOKEN_FILE
