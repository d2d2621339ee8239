"""Several service processes starting together on one new, empty database (issue 15 §13): uvicorn
workers, or two ``fleetplan serve`` started by one unit file. They migrate it one after another and
exactly one creates the first admin; every process comes up and serves the same records.

On SQLite and on PostgreSQL (skipped without ``FLEETPLAN_TEST_POSTGRES_URL``).
"""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
from sqlalchemy import select

from api.cli import bootstrap_admin
from api.records import open_store
from api.records.schema import users
from api.settings import Settings

from tests.api.http_support import REPORT, admin_token, bearer, running_server

PROCESSES = 3


def test_processes_started_together_on_a_new_database_all_come_up_with_one_admin(store_url, tmp_path):
    starting = [running_server(store_url, tmp_path, name=f"server-{n}") for n in range(PROCESSES)]
    with ExitStack() as stack:
        for server_context in starting:
            stack.push(server_context)  # each is stopped at the end, whichever came up
        with ThreadPoolExecutor(PROCESSES) as pool:  # all start at once: they meet on the empty database
            servers = list(pool.map(lambda server_context: server_context.__enter__(), starting))

        with open_store(store_url) as store, store.engine.connect() as connection:
            assert list(connection.execute(select(users.c.name))) == [("admin",)]
            assert store.integrity_problems() == []
        token = admin_token(store_url, tmp_path)  # the one written by the process that created the admin
        reported = httpx.post(f"{servers[0].base_url}/incidents", json=REPORT, headers=bearer(token), timeout=60)
        assert reported.status_code == 201, reported.text
        for server in servers:
            assert "Traceback" not in server.log()
            listed = httpx.get(f"{server.base_url}/incidents", headers=bearer(token), timeout=30)
            assert [incident["number"] for incident in listed.json()] == [reported.json()["number"]]


def test_opening_a_new_database_from_several_threads_at_one_moment_migrates_it_once(store_url, tmp_path):
    """The race the processes above rarely hit (their imports spread them out), forced with a barrier:
    every opener migrates and bootstraps at one moment; none fails and one admin is created."""
    settings = Settings(database_url=store_url, var_dir=tmp_path / "var")
    barrier = threading.Barrier(PROCESSES)

    def start() -> str | None:
        barrier.wait()
        return bootstrap_admin(settings)

    with ThreadPoolExecutor(PROCESSES) as pool:
        tokens = list(pool.map(lambda _: start(), range(PROCESSES)))

    (token,) = [token for token in tokens if token is not None]
    with open_store(store_url) as store:
        assert store.user_for_token(token).name == "admin"
        assert store.integrity_problems() == []


def test_a_new_sqlite_file_locked_by_another_opener_is_switched_to_wal_once_the_lock_is_released(tmp_path):
    """While another connection holds the write lock of a file still in rollback mode, SQLite refuses
    a journal-mode change at once ("database is locked", the busy handler is skipped to avoid a
    deadlock): the opener waits for the lock instead of failing."""
    path = tmp_path / "records.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.5, holder.rollback)
    release.start()
    try:
        with open_store(f"sqlite:///{path}") as store, store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert store.integrity_problems() == []
    finally:
        release.join()
        holder.close()
