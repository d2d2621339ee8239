"""Service settings, read from ``FLEETPLAN_*`` environment variables.

| variable | default | meaning |
|---|---|---|
| ``FLEETPLAN_DATA_DIR`` | ``$FLEETPLAN_DATA`` or ``data/default`` | corridor data directory |
| ``FLEETPLAN_DATABASE_URL`` | ``sqlite:///var/fleetplan.db`` | the records (SQLite file or ``postgresql+psycopg://…``) |
| ``FLEETPLAN_DISPATCH_TIME_LIMIT_S`` | ``1.0`` | the solver's deadline for one dispatch answer |
| ``FLEETPLAN_DISPATCH_WAIT_S`` | ``30`` | how long a request waits for options before answering without them |
| ``FLEETPLAN_DISPATCH_CONCURRENCY`` | usable cores | solves run at once; more wait their turn |
| ``FLEETPLAN_VAR_DIR`` | ``var`` | local state (the first-start admin token when the database is not a SQLite file) |
| ``FLEETPLAN_WHATIF_ENGINE`` | ``processes`` | where HTTP what-if jobs compute: ``processes``, ``dask`` or ``local`` (in the service process; tests) |
| ``FLEETPLAN_WHATIF_WORKERS`` | usable cores − 1 (≥ 1) | processes of one job's pool or local Dask cluster |
| ``FLEETPLAN_WHATIF_SCHEDULER`` | none | Dask scheduler address (``tcp://host:8786``) for the ``dask`` engine; none: a local cluster per job |
| ``FLEETPLAN_WHATIF_CONCURRENT_JOBS`` | ``1`` | what-if jobs running at once; later ones wait as ``queued`` |
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from fleetplan.corridor import default_data_dir

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
    dispatch_concurrency: int = Field(
        default_factory=lambda: len(os.sched_getaffinity(0)),
        ge=1,
        le=256,
        description="solves at once; CP-SAT's deadline is wall-clock, so a solve "
        "sharing a core with many others returns worse plans",
    )
    var_dir: Path = Field(Path("var"), description="directory for local state")
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
    whatif_concurrent_jobs: int = Field(1, ge=1, le=64, description="what-if jobs running at once")

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
