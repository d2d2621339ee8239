"""Shared helpers of the HTTP tests: an app on a fresh database with one token per role, reports,
and a real service process (``fleetplan serve``) on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from api.records import Role, SqlRecordStore, open_store
from api.settings import Settings, admin_token_path

REPO = Path(__file__).resolve().parents[2]
TEST_TIME_LIMIT_S = 0.3  # solver deadline in tests (DESIGN: ≤1 s)
SUBPROCESS_DISPATCH_PROCESSES = "0"  # a served desk's dispatch workers (see running_server)
SERVER_START_TIMEOUT_S = 60.0
# A drill clock the day after REPORT's day: its lifecycle times (on scene 08:25, resolved 09:30, …) lie in
# the past whatever the wall clock says. On 2026-12-07 China time the wall clock stood between the report
# and those times, and the desk rightly refused them as in the future.
AFTER_THE_REPORTS = "2026-12-08T12:00"

REPORT = {
    "vehicle_id": "c01",
    "location": "G1 K78 toward Siping",
    "time": "2026-12-07T07:40",
    "passengers": 42,
    "alternatives": 2,
}


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'var' / 'fleetplan.db'}"


def add_users(database_url: str) -> dict[str, str]:
    """One user per role on the database; role name → bearer token."""
    store = open_store(database_url)
    try:
        return {role.value: store.add_user(f"{role.value}-user", role) for role in Role}
    finally:
        store.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class DeskClient:
    """A running service and a token per role: the app in process (a TestClient) or a real
    ``fleetplan serve`` (an ``httpx.Client`` on its address); the tests talk HTTP to either alike."""

    client: httpx.Client
    tokens: dict[str, str]
    database_url: str

    def headers(self, role: str = "dispatcher") -> dict[str, str]:
        return bearer(self.tokens[role])

    def get(self, path: str, role: str = "viewer", **kwargs: Any) -> httpx.Response:
        return self.client.get(path, headers=self.headers(role), **kwargs)

    def post(self, path: str, json: Any = None, role: str = "dispatcher", **kwargs: Any) -> httpx.Response:
        headers = {**self.headers(role), **kwargs.pop("headers", {})}
        return self.client.post(path, json=json, headers=headers, **kwargs)

    def now(self) -> datetime:
        """The service's clock (a drill clock when the desk runs one, else the wall clock), China local."""
        return datetime.fromisoformat(self.get("/health").json()["clock"]["now"])

    def report(self, **changes: Any) -> httpx.Response:
        headers = {"Idempotency-Key": changes.pop("key")} if "key" in changes else {}
        return self.post("/incidents", {**REPORT, **changes}, headers=headers)

    def keep_only(self, *vehicle_ids: str) -> None:
        """Send every other coach to the workshop, so that plans must use these ones."""
        for vehicle in self.get("/fleet").json():
            if vehicle["id"] not in vehicle_ids:
                change = {"status": "workshop", "reason": "test: out of the way"}
                assert (
                    self.client.patch(f"/fleet/{vehicle['id']}", json=change, headers=self.headers()).status_code == 200
                )

    def numbers(self) -> list[int]:
        return sorted(incident["number"] for incident in self.get("/incidents").json())

    @contextmanager
    def records(self) -> Iterator[SqlRecordStore]:
        """The records database itself, opened beside the service (to look, as an auditor would)."""
        store = open_store(self.database_url)
        try:
            yield store
        finally:
            store.close()


@contextmanager
def running_desk(database_url: str, **settings: Any) -> Iterator[DeskClient]:
    """The app on ``database_url`` (migrated, with a user per role) inside a TestClient."""
    tokens = add_users(database_url)
    options = {"dispatch_time_limit_s": TEST_TIME_LIMIT_S, **settings}
    app = create_app(Settings(database_url=database_url, **options))
    with TestClient(app) as client:
        yield DeskClient(client, tokens, database_url)


# --------------------------------------------------------------------------- a real service process
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def server_settings(database_url: str, state_dir: Path) -> Settings:
    return Settings(database_url=database_url, var_dir=state_dir / "var")


def admin_token(database_url: str, state_dir: Path) -> str:
    """The first-start admin token ``fleetplan serve`` wrote for this database."""
    return admin_token_path(server_settings(database_url, state_dir)).read_text(encoding="utf-8").strip()


@contextmanager
def running_server(
    database_url: str, state_dir: Path, name: str = "server", settings: dict[str, Any] | None = None
) -> Iterator[Server]:
    """``fleetplan serve`` on 127.0.0.1 and a free port; killed (SIGKILL) if still running at the end.

    ``settings`` are :class:`~api.settings.Settings` fields, passed as their ``FLEETPLAN_*`` variables."""
    port = free_port()
    log_path = state_dir / f"{name}.log"
    env = {
        **os.environ,
        "FLEETPLAN_DISPATCH_TIME_LIMIT_S": str(TEST_TIME_LIMIT_S),
        "FLEETPLAN_VAR_DIR": str(state_dir / "var"),
        "PYTHONUNBUFFERED": "1",
        # dispatches in the service process unless a test asks for workers: each served desk would start a
        # fork server of its own and import the dispatch code in it (in-process desks share pytest's)
        "FLEETPLAN_DISPATCH_PROCESSES": SUBPROCESS_DISPATCH_PROCESSES,
        **{f"FLEETPLAN_{field.upper()}": str(value) for field, value in (settings or {}).items()},
    }
    command = [
        sys.executable,
        "-m",
        "api.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--db",
        database_url,
    ]
    with open(log_path, "w", encoding="utf-8") as log:  # a file, not a pipe: the access log never blocks it
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    try:
        wait_until_up(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)


@contextmanager
def served_desk(database_url: str, state_dir: Path, **settings: Any) -> Iterator[DeskClient]:
    """A real ``fleetplan serve`` on ``database_url`` (a user per role added first) and a client of it."""
    tokens = add_users(database_url)
    with (
        running_server(database_url, state_dir, settings=settings) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as client,
    ):
        yield DeskClient(client, tokens, database_url)


def wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:  # bounded: fails after SERVER_START_TIMEOUT_S
        if server.process.poll() is not None:
            raise RuntimeError(f"the service exited with {server.process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the service did not answer within {SERVER_START_TIMEOUT_S} s:\n{server.log()}")


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """``fleetplan ARGV`` in-process: (exit status, stdout, stderr); argparse's usage errors count too."""
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse usage errors
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err
