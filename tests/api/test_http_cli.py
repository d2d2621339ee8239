"""The service's command line: ``fleetplan users add`` and the first-start admin token of ``fleetplan serve``."""

from __future__ import annotations

import stat

import pytest

from api.cli import bootstrap_admin
from api.records import Role, open_store
from api.settings import Settings, admin_token_path

from tests.api.http_support import run_cli as run
from tests.api.http_support import sqlite_url


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


def test_serve_prints_the_first_admin_token_and_starts_the_app(capsys, tmp_path, monkeypatch):
    started = {}
    monkeypatch.setattr("uvicorn.run", lambda app, host, port, log_level, **_: started.update(host=host, port=port))
    url = sqlite_url(tmp_path)
    code, out, err = run(capsys, "serve", "--port", "8765", "--db", url)
    assert code == 0, err
    token = (tmp_path / "var" / "admin-token").read_text().strip()
    assert token in out and "admin-token" in out
    assert started == {"host": "127.0.0.1", "port": 8765}
    code, out, _ = run(capsys, "serve", "--port", "8765", "--db", url)
    assert code == 0 and token not in out


@pytest.mark.parametrize("argv", [["serve", "--port", "70000"], ["serve", "--port", "http"]])
def test_serve_refuses_a_bad_port(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and "port" in err


def test_a_postgres_database_keeps_the_token_in_the_state_directory(tmp_path):
    settings = Settings(database_url="postgresql+psycopg://u:p@127.0.0.1/db", var_dir=tmp_path / "state")
    assert admin_token_path(settings) == tmp_path / "state" / "admin-token"
