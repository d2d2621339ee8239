"""Fixtures for the records: a store on SQLite (a temporary file) and on PostgreSQL (when available).

PostgreSQL tests need ``FLEETPLAN_TEST_POSTGRES_URL`` (``scripts/ci-postgres.sh`` prints it); without
it they are skipped with that reason. Each PostgreSQL test gets a fresh schema, dropped afterwards,
selected through the URL's ``options=-csearch_path=…`` so the store and subprocesses use it alone.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from api.records import SqlRecordStore, open_store

from tests.api.http_support import (
    AFTER_THE_REPORTS,
    DeskClient,
    Server,
    add_users,
    free_port,
    running_server,
    served_desk,
    sqlite_url,
)

POSTGRES_ENV = "FLEETPLAN_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgres"]


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A PostgreSQL URL whose search path is a new, empty schema, dropped afterwards; skips the test
    when no server is configured."""
    base_url = os.environ.get(POSTGRES_ENV)
    if not base_url:
        pytest.skip(f"{POSTGRES_ENV} not set")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search path is a new, empty schema (dropped after the test)."""
    with postgres_schema() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A URL for an empty records database, once per backend."""
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'var' / 'fleetplan.db'}"


@pytest.fixture
def store(store_url: str) -> Iterator[SqlRecordStore]:
    """A migrated, empty store, once per backend."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright, one per test module; skipped without it."""
    from tests.api.browser_util import chromium_missing_reason, launch_chromium

    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def desk_served(store_url: str, tmp_path) -> Iterator[DeskClient]:
    """A real ``fleetplan serve`` on an empty database and a client of it, once per backend: the
    adversary's view (issue 15), black box over HTTP."""
    with served_desk(store_url, tmp_path) as desk:
        yield desk


@pytest.fixture
def desk_served_after(store_url: str, tmp_path) -> Iterator[DeskClient]:
    """:func:`desk_served` on a drill clock the day after the reports' day (``AFTER_THE_REPORTS``), for
    tests that record lifecycle times of that day."""
    with served_desk(store_url, tmp_path, clock_from=AFTER_THE_REPORTS) as desk:
        yield desk


@pytest.fixture(scope="module", params=BACKENDS)
def desk_served_module(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[DeskClient]:
    """One real ``fleetplan serve`` per test module and backend, for tests that record nothing or
    only what no other test of the module looks at."""
    state_dir = tmp_path_factory.mktemp(f"served-{request.param}")
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(postgres_schema()) if request.param == "postgres" else sqlite_url(state_dir)
        yield stack.enter_context(served_desk(url, state_dir))


@dataclass(frozen=True)
class GatewayService:
    """A real ``fleetplan serve`` with its JT/T 808 gateway on, and a token per role."""

    server: Server
    jt808_port: int
    tokens: dict[str, str]

    @property
    def http(self) -> str:
        return self.server.base_url


@pytest.fixture(scope="module", params=BACKENDS)
def gateway_service(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[GatewayService]:
    """One per test module and backend (the gateway's state is the positions it stored)."""
    state_dir = tmp_path_factory.mktemp(f"jt808-{request.param}")
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(postgres_schema()) if request.param == "postgres" else sqlite_url(state_dir)
        tokens = add_users(url)
        port = free_port()
        server = stack.enter_context(running_server(url, state_dir, settings={"jt808_port": port}))
        yield GatewayService(server, port, tokens)
