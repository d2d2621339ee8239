"""Helpers for the desk's browser test: the real service as a subprocess, and Debian's Chromium.

The service runs exactly as an operator starts it (``fleetplan serve``) on a free loopback port with
its own SQLite file; Chromium is the system package driven by Playwright (never ``playwright
install``: the tests must not download anything).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.api.http_support import SUBPROCESS_DISPATCH_PROCESSES

CHROMIUM = Path("/usr/bin/chromium")
# the desk's sound cue may play without a click first (a real desk has been clicked: its sign-in)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--autoplay-policy=no-user-gesture-required",
]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
START_TIMEOUT_S = 60.0
UI_TIMEOUT_MS = 30_000  # a report waits for the solver (1 s deadline) plus the service's own work
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Service:
    base_url: str
    database_url: str
    token: str  # a dispatcher's bearer token
    feed_token: str = ""  # a positioning feed's

    def get(self, path: str, token: str | None = None) -> tuple[int, dict[str, str], bytes]:
        """GET ``path``; returns status, headers and body (errors included, never raised)."""
        return self.request("GET", path, token=token)

    def request(
        self, method: str, path: str, body: dict | list | None = None, token: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(
        self, method: str, path: str, body: dict | list | None = None, token: str | None = None
    ) -> tuple[int, Any]:
        """A call as the dispatcher (or with ``token``), with the JSON body parsed."""
        status, _, raw = self.request(method, path, body, token=token or self.token)
        return status, json.loads(raw) if raw else None


def chromium_missing_reason() -> str | None:
    """Why the browser test cannot run here, or ``None`` when it can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (install Debian's chromium; CI does in .ci/run)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[test]')"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fleetplan_command() -> list[str]:
    """The ``fleetplan`` entry point of the running interpreter's environment."""
    script = Path(sys.executable).with_name("fleetplan")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from api.cli import main; sys.exit(main())"]


def add_user(database_url: str, name: str, role: str) -> str:
    """Create a user with ``fleetplan users add`` against the database and return its token."""
    completed = subprocess.run(
        [*fleetplan_command(), "users", "add", name, "--role", role, "--db", database_url],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"fleetplan users add failed ({completed.returncode}): {completed.stderr.strip()}")
    return completed.stdout.strip().splitlines()[-1].split()[-1]


@contextmanager
def running_service(workdir: Path, **settings: object) -> Iterator[Service]:
    """``fleetplan serve`` on a free loopback port with a fresh SQLite database in ``workdir``; ``settings``
    as the operator sets them (``detect_every_s=0.5`` is ``FLEETPLAN_DETECT_EVERY_S=0.5``)."""
    database_url = f"sqlite:///{workdir / 't.db'}"
    port = free_port()
    log_path = workdir / "serve.log"
    env = {
        **os.environ,
        "FLEETPLAN_VAR_DIR": str(workdir / "var"),
        "FLEETPLAN_DISPATCH_PROCESSES": SUBPROCESS_DISPATCH_PROCESSES,  # see http_support.running_server
    }
    env.update({f"FLEETPLAN_{name.upper()}": str(value) for name, value in settings.items()})
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*fleetplan_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--db", database_url],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env=env,
            start_new_session=True,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_healthy(base_url, process, log_path)
        token = add_user(database_url, "desk", "dispatcher")
        yield Service(base_url, database_url, token, add_user(database_url, "feeder", "feed"))
    finally:
        _stop(process)


def _wait_healthy(base_url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"fleetplan serve exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(base_url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"fleetplan serve not healthy after {START_TIMEOUT_S} s:\n{log_path.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    """Stop the service we started (its own process group), politely first."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)


def launch_chromium(playwright):
    """Debian's Chromium, headless, with nothing phoning home."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def open_desk(browser, service: Service, viewport: dict, locale: str = "en-GB", scripts: tuple[str, ...] = ()):
    """A fresh tab on the desk signed in as the dispatcher, once the fleet arrived over the event stream;
    returns the page and the list its script errors are collected into (``scripts`` run before the page's)."""
    context = browser.new_context(viewport=viewport, locale=locale, timezone_id="Asia/Shanghai")
    context.set_default_timeout(UI_TIMEOUT_MS)
    for script in scripts:
        context.add_init_script(script)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    page.goto(service.base_url + "/")
    page.fill("#token", service.token)
    page.press("#token", "Enter")
    page.wait_for_selector("#vehicle option[value='c01']", state="attached")
    page.wait_for_selector("#map .depot-badge, #map .coach-marker")
    page.wait_for_function("() => document.querySelector('#conn').textContent.includes('●')")
    return page, errors


@contextmanager
def desk_page(
    browser, service: Service, viewport: dict, locale: str = "en-GB", scripts: tuple[str, ...] = ()
) -> Iterator[Any]:
    """:func:`open_desk` as a context: yields the page, then closes its tab and fails on any script error
    the page raised meanwhile (a test's own failure is reported first, not hidden by this one)."""
    page, errors = open_desk(browser, service, viewport, locale, scripts)
    try:
        yield page
    finally:
        page.context.close()
    assert script_errors(errors) == []


def script_errors(errors: list[str]) -> list[str]:
    """The page's errors, less Chromium's "Failed to load resource" for every 4xx the tests provoke."""
    return [error for error in errors if "Failed to load resource" not in error]
