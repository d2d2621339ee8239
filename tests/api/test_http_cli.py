"""The service's command line: ``fleetplan users add`` and the first-start admin token of ``fleetplan serve``."""

from __future__ import annotations

import errno
import os
import signal
import socket
import stat
import subprocess
import sys

import httpx
import pytest

from api.cli import bootstrap_admin
from api.records import Role, open_store
from api.settings import Settings, admin_token_path

from tests.api.http_support import REPO, free_port, running_server, sqlite_url
from tests.api.http_support import run_cli as run

SERVE_REFUSAL_TIMEOUT_S = 30  # the command line's imports, then the refusal; a started server would not end


def test_users_add_prints_a_token_that_carries_the_role(capsys, tmp_path):
    url = sqlite_url(tmp_path)
    # a new database: --create (without it a missing database is refused, tests/api/test_cli_hygiene.py)
    code, out, err = run(capsys, "users", "add", "wang", "--role", "dispatcher", "--db", url, "--create")
    assert code == 0, err
    token = out.strip()
    assert len(out.splitlines()) == 1 and len(token) >= 40
    with open_store(url) as store:
        user = store.user_for_token(token)
    assert user is not None and (user.name, user.role) == ("wang", Role.DISPATCHER)


def test_users_add_refuses_a_taken_name_and_an_unknown_role(capsys, tmp_path):
    url = sqlite_url(tmp_path)
    assert run(capsys, "users", "add", "li", "--role", "viewer", "--db", url, "--create")[0] == 0
    code, out, err = run(capsys, "users", "add", "li", "--role", "admin", "--db", url)
    assert code == 2 and out == "" and "name:" in err and "Traceback" not in err
    code, out, err = run(capsys, "users", "add", "zhao", "--role", "boss", "--db", url)
    assert code == 2 and "boss" in err


def test_first_start_creates_an_admin_token_in_a_private_file_once(tmp_path):
    settings = Settings(database_url=sqlite_url(tmp_path), var_dir=tmp_path / "state")
    token = bootstrap_admin(settings)
    path = admin_token_path(settings)
    assert path == tmp_path / "var" / "admin-token"  # beside the SQLite file
    assert path.read_text().strip() == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with open_store(settings.database_url) as store:
        assert store.user_for_token(token).role == Role.ADMIN
    assert bootstrap_admin(settings) is None  # users exist: no second admin, the file is left alone
    assert path.read_text().strip() == token


def served_sockets(monkeypatch) -> dict:
    """Stand in for the serving: record where ``fleetplan serve`` was about to serve, and whether its
    sockets listen there already (a connection is taken), then close them as the server would."""
    served: dict = {}

    def serve_on(app, sockets, host, port, **_):
        addresses = [sock.getsockname()[:2] for sock in sockets]
        for address in addresses:
            with socket.create_connection(address, timeout=5):  # listening: taken into the backlog
                pass
        for sock in sockets:
            sock.close()
        served.update(host=host, port=port, addresses=addresses)
        return 0

    monkeypatch.setattr("api.cli_serve.serve_on", serve_on)
    return served


def test_serve_prints_the_first_admin_token_and_starts_the_app(capsys, tmp_path, monkeypatch):
    served = served_sockets(monkeypatch)
    url, port = sqlite_url(tmp_path), free_port()  # serve checks that it can listen there
    code, out, err = run(capsys, "serve", "--port", str(port), "--db", url)
    assert code == 0, err
    token = (tmp_path / "var" / "admin-token").read_text().strip()
    assert token in out and "admin-token" in out
    assert served == {"host": "127.0.0.1", "port": port, "addresses": [("127.0.0.1", port)]}
    code, out, _ = run(capsys, "serve", "--port", str(port), "--db", url)
    assert code == 0 and token not in out


def test_no_other_process_can_take_the_port_between_the_check_and_the_serving(capsys, tmp_path, monkeypatch):
    """The port is bound at the check and those sockets are served on: taking it in between fails.
    (With a check that only probed the port, another process took it there and uvicorn exited 3.)"""
    port, intruder_got = free_port(), []

    monkeypatch.setattr("api.cli.bootstrap_admin", taking_in_between(port, intruder_got))
    served = served_sockets(monkeypatch)
    code, _, err = run(capsys, "serve", "--port", str(port), "--db", sqlite_url(tmp_path))
    assert code == 0, err
    assert intruder_got == ["EADDRINUSE"]
    assert served["addresses"] == [("127.0.0.1", port)]


def test_no_other_process_can_take_the_gateway_s_port_between_the_check_and_the_serving(capsys, tmp_path, monkeypatch):
    """The JT/T 808 gateway's port likewise: bound at the check, handed to the app's start."""
    port, gateway_port, intruder_got = free_port(), free_port(), []
    monkeypatch.setattr("api.cli.bootstrap_admin", taking_in_between(gateway_port, intruder_got))
    handed: list = []
    monkeypatch.setattr("api.app.create_app", lambda settings: handed_to(handed))
    served_sockets(monkeypatch)
    argv = ["serve", "--port", str(port), "--jt808-port", str(gateway_port), "--db", sqlite_url(tmp_path)]
    code, _, err = run(capsys, *argv)
    assert code == 0, err
    assert intruder_got == ["EADDRINUSE"]
    (app,) = handed
    assert [sock.getsockname()[:2] for sock in app.state.jt808_sockets] == [("127.0.0.1", gateway_port)]
    for sock in app.state.jt808_sockets:
        sock.close()


def handed_to(handed: list):
    """An app with a state, as ``create_app`` returns one, noted in ``handed``."""
    from types import SimpleNamespace

    app = SimpleNamespace(state=SimpleNamespace())
    handed.append(app)
    return app


def taking_in_between(port: int, got: list):
    """A ``bootstrap_admin`` that first tries to take ``port`` as another process would (it runs between
    the address check and the serving), noting what it got."""

    def first_start_while_another_takes_the_port(settings):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as intruder:
            intruder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                intruder.bind(("127.0.0.1", port))
                intruder.listen()
                got.append("the port")
            except OSError as error:
                got.append(errno.errorcode[error.errno])
        return bootstrap_admin(settings)

    return first_start_while_another_takes_the_port


def test_serve_answers_on_the_port_it_bound(tmp_path):
    with running_server(sqlite_url(tmp_path), tmp_path) as server:  # up: /health answered on its port
        port = int(server.base_url.rsplit(":", 1)[1])
        assert httpx.get(f"{server.base_url}/health", timeout=10).status_code == 200
        assert f"Uvicorn running on http://127.0.0.1:{port}" in server.log()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:  # and holds it
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            with pytest.raises(OSError) as refused:
                other.bind(("127.0.0.1", port))
            assert refused.value.errno == errno.EADDRINUSE


@pytest.mark.parametrize("argv", [["serve", "--port", "70000"], ["serve", "--port", "http"]])
def test_serve_refuses_a_bad_port(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and "port" in err


@pytest.mark.parametrize(
    "host",
    [
        "no.such.host.invalid",  # the resolver knows no such name (.invalid never resolves)
        "bad..host",  # an empty label: refused before any resolver is asked
        "192.0.2.1",  # an address (TEST-NET-1), but none of this machine's
    ],
)
def test_serve_names_a_host_it_cannot_listen_on_not_the_port(capsys, tmp_path, host):
    code, out, err = run(capsys, "serve", "--host", host, "--port", str(free_port()), "--db", sqlite_url(tmp_path))
    assert code == 2 and out == "", err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "--host" in lines[0] and host in lines[0] and "--port" not in lines[0], lines[0]
    assert not (tmp_path / "var").exists()  # refused before the database was made


def test_serve_names_the_jt808_host_it_cannot_resolve(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("FLEETPLAN_JT808_HOST", "no.such.host.invalid")
    argv = ["serve", "--port", str(free_port()), "--jt808-port", str(free_port()), "--db", sqlite_url(tmp_path)]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "", err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "error: FLEETPLAN_JT808_HOST: cannot listen on no.such.host.invalid:" in err, err


def test_serve_on_a_taken_port_exits_2_naming_it_before_starting_anything(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--db", sqlite_url(tmp_path)]
        env = {**os.environ, "FLEETPLAN_VAR_DIR": str(tmp_path / "state")}
        # a session of its own: whatever the command might leave running stays in its process group
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = process.communicate(timeout=SERVE_REFUSAL_TIMEOUT_S)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    assert process.returncode == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "--port" in lines[0] and str(port) in lines[0] and "Traceback" not in err, err
    assert not (tmp_path / "var").exists()  # refused before the database (and the admin's token) was made
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # no process of its group is left behind


def test_a_postgres_database_keeps_the_token_in_the_state_directory(tmp_path):
    settings = Settings(database_url="postgresql+psycopg://u:p@127.0.0.1/db", var_dir=tmp_path / "state")
    assert admin_token_path(settings) == tmp_path / "state" / "admin-token"


def test_the_port_check_reads_an_ipv6_host_as_uvicorn_binds_it():
    from fleetplan.errors import InvalidValueError

    from api.cli_serve import check_listenable

    taken = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        taken.bind(("::1", 0))
    except OSError:
        taken.close()
        pytest.skip("no IPv6 loopback here")
    with taken:
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(InvalidValueError, match=f"--port: cannot listen on ::1:{port}"):
            check_listenable("::1", port, "--port")
    check_listenable("::1", port, "--port")  # free again: 'serve --host ::1' is not refused
