"""Hygiene of the ``fleetplan`` command line around the records database (issue 15, item 15).

``users add`` refuses a database that does not exist (a mistyped ``--db`` would otherwise create a
new, empty one and its directory without a word) unless ``--create`` is given, and refuses user names
that are not one line of visible text. A SQLite file is created readable by its owner only (0600),
an existing one loses group and other permissions, and ``fleetplan serve`` (what ``make run`` runs,
with the default ``sqlite:///var/fleetplan.db``) still creates its own database on the first start.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from api.records import Role, open_store
from api.records.engine import private_sqlite_file
from api.records.schema import users
from api.settings import sqlite_file

from tests.api.http_support import bearer, free_port, running_server
from tests.api.http_support import run_cli as run

REPO = Path(__file__).resolve().parents[2]


def assert_refused(code: int, out: str, err: str, *words: str) -> None:
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, err


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def url(path: Path) -> str:
    return f"sqlite:///{path}"


# --------------------------------------------------------------------------- a missing database
def test_users_add_refuses_a_missing_directory_without_create(capsys, tmp_path):
    database = tmp_path / "nonexistent" / "x.db"
    code, out, err = run(capsys, "users", "add", "wang", "--role", "viewer", "--db", url(database))
    assert_refused(code, out, err, "--db", "--create", str(database.parent))
    assert not database.parent.exists()


def test_users_add_refuses_a_missing_file_without_create(capsys, tmp_path):
    database = tmp_path / "fleetplan2.db"  # a typo of the real file's name
    code, out, err = run(capsys, "users", "add", "wang", "--role", "viewer", "--db", url(database))
    assert_refused(code, out, err, "--db", "--create")
    assert list(tmp_path.iterdir()) == []


def test_users_add_leaves_a_file_that_is_no_database_as_it_was(capsys, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hi\n")
    notes.chmod(0o755)
    for create in ([], ["--create"]):
        code, out, err = run(capsys, "users", "add", "wang", "--role", "viewer", "--db", url(notes), *create)
        assert_refused(code, out, err, "not a SQLite database", str(notes))
        assert (notes.read_text(), stat.S_IMODE(notes.stat().st_mode)) == ("hi\n", 0o755)


def test_users_add_takes_an_empty_file_for_no_database_without_create(capsys, tmp_path):
    empty = tmp_path / "fleetplan.db"
    empty.touch()
    code, out, err = run(capsys, "users", "add", "wang", "--role", "viewer", "--db", url(empty))
    assert_refused(code, out, err, "--db", "empty", "--create")
    assert empty.stat().st_size == 0
    code, _, err = run(capsys, "users", "add", "wang", "--role", "viewer", "--db", url(empty), "--create")
    assert code == 0, err


def test_users_add_with_create_makes_a_private_database(capsys, tmp_path):
    database = tmp_path / "new" / "x.db"
    code, out, err = run(capsys, "users", "add", "wang", "--role", "viewer", "--db", url(database), "--create")
    assert code == 0, err
    token = out.strip()
    assert mode(database) == 0o600
    for side in database.parent.glob("x.db-*"):  # WAL and shared memory hold records too
        assert mode(side) == 0o600, side
    with open_store(url(database)) as store:
        assert store.user_for_token(token).role == Role.VIEWER
    # the database exists now: no --create needed for the next user
    code, out, err = run(capsys, "users", "add", "li", "--role", "admin", "--db", url(database))
    assert code == 0, err


@pytest.mark.parametrize("database_url, word", [("garbage", "--db"), ("mysql://u@h/db", "unsupported backend")])
def test_users_add_refuses_a_database_url_it_cannot_use(capsys, database_url, word):
    assert_refused(*run(capsys, "users", "add", "wang", "--role", "viewer", "--db", database_url), word)


def test_users_add_refuses_a_directory_as_the_database(capsys, tmp_path):
    code, out, err = run(capsys, "users", "add", "wang", "--role", "viewer", "--db", url(tmp_path), "--create")
    assert_refused(code, out, err, "--db")
    assert mode(tmp_path) & 0o700 == 0o700  # the directory was not "tightened" into a file mode


# --------------------------------------------------------------------------- user names
@pytest.mark.parametrize(
    "name",
    [
        "wang\nadmin",
        "wang\r",
        "tab\tname",
        "nul\x00",
        "esc\x1b[2J",
        "bidi\u202eevil",
        "zero\u200bwidth",
        "line\u2028sep",
    ],
    ids=["newline", "carriage return", "tab", "nul", "escape", "bidi override", "zero width", "line separator"],
)
def test_users_add_refuses_names_with_control_or_invisible_characters(capsys, tmp_path, name):
    database = tmp_path / "x.db"
    code, out, err = run(capsys, "users", "add", name, "--role", "viewer", "--db", url(database), "--create")
    assert_refused(code, out, err, "NAME", "U+")
    assert not database.exists()  # refused before the database is touched


def test_users_add_keeps_names_in_any_script(capsys, tmp_path):
    database = tmp_path / "x.db"
    code, out, err = run(capsys, "users", "add", "王 小明", "--role", "dispatcher", "--db", url(database), "--create")
    assert code == 0, err
    with open_store(url(database)) as store:
        assert store.user_for_token(out.strip()).name == "王 小明"


# --------------------------------------------------------------------------- the file's mode
def test_an_existing_world_readable_database_is_made_private(capsys, tmp_path):
    database = tmp_path / "x.db"
    assert run(capsys, "users", "add", "wang", "--role", "viewer", "--db", url(database), "--create")[0] == 0
    for file in [database, *tmp_path.glob("x.db-*")]:
        file.chmod(0o644)
    assert run(capsys, "users", "add", "li", "--role", "viewer", "--db", url(database))[0] == 0
    for file in [database, *tmp_path.glob("x.db-*")]:
        assert mode(file) == 0o600, file


@pytest.mark.parametrize("before, after", [(0o644, 0o600), (0o640, 0o600), (0o600, 0o600), (0o400, 0o400)])
def test_a_stricter_mode_is_kept(tmp_path, before, after):
    database = tmp_path / "x.db"
    database.touch()
    database.chmod(before)
    private_sqlite_file(database)
    assert mode(database) == after


def test_a_new_file_is_created_0600_whatever_the_umask_allows(tmp_path):
    previous = os.umask(0)
    try:
        private_sqlite_file(tmp_path / "var" / "x.db")
    finally:
        os.umask(previous)
    assert mode(tmp_path / "var" / "x.db") == 0o600


# --------------------------------------------------------------------------- make run
def test_make_run_serves_with_the_default_database():
    completed = subprocess.run(["make", "-n", "run"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert completed.returncode == 0, completed.stderr
    serve = [line for line in completed.stdout.splitlines() if "fleetplan serve" in line]
    assert serve and "--db" not in serve[-1]  # the default sqlite:///var/fleetplan.db, created by serve


def test_serve_still_creates_its_own_private_database_and_users_add_then_works(capsys, tmp_path, monkeypatch):
    """What ``make run`` then the README's ``fleetplan users add`` do, in a fresh working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLEETPLAN_DATABASE_URL", raising=False)
    monkeypatch.delenv("FLEETPLAN_VAR_DIR", raising=False)
    monkeypatch.setattr("api.cli_serve.serve_on", lambda app, sockets, **_: [s.close() for s in sockets] and 0)
    code, out, err = run(capsys, "serve", "--port", str(free_port()))  # serve checks that it can listen there
    assert code == 0, err
    database, token_file = tmp_path / "var" / "fleetplan.db", tmp_path / "var" / "admin-token"
    assert mode(database) == 0o600 and mode(token_file) == 0o600
    assert token_file.read_text().strip() in out
    code, out, err = run(capsys, "users", "add", "wang", "--role", "dispatcher")
    assert code == 0, err
    with open_store(url(database)) as store:
        assert store.user_for_token(out.strip()).name == "wang"


def test_beside_a_real_serve_users_add_refuses_bad_names_and_its_users_get_in(store_url, tmp_path):
    """The installed command beside a running ``fleetplan serve``, on SQLite and on PostgreSQL: a name
    that is not one line of visible text is refused and nobody is added; a good one signs in at once;
    the service's SQLite file and admin token are private."""

    def users_add(name: str) -> subprocess.CompletedProcess:
        command = ["users", "add", name, "--role", "dispatcher", "--db", store_url]
        return subprocess.run(
            [sys.executable, "-m", "api.cli", *command], capture_output=True, text=True, cwd=REPO, timeout=120
        )

    with running_server(store_url, tmp_path) as server:
        refused = users_add("wang\nadmin")
        assert refused.returncode == 2 and "Traceback" not in refused.stderr and refused.stdout == ""
        with open_store(store_url) as store, store.engine.connect() as connection:
            assert list(connection.execute(select(users.c.name))) == [("admin",)]  # the first start's only
        added = users_add("王 小明")
        assert added.returncode == 0, added.stderr
        token = added.stdout.strip()
        assert httpx.get(f"{server.base_url}/incidents", headers=bearer(token), timeout=30).status_code == 200
    database = sqlite_file(store_url)
    if database is not None:
        assert mode(database) == 0o600 and mode(tmp_path / "var" / "admin-token") == 0o600


def test_a_new_token_never_starts_with_a_dash_so_a_command_line_reads_it_as_a_value():
    from api.records.sql import new_token

    tokens = [new_token() for _ in range(2000)]  # a leading dash would come once in 64
    assert not any(token.startswith("-") for token in tokens) and len(set(tokens)) == len(tokens)
    assert all(len(token) == 43 for token in tokens)


@pytest.mark.parametrize(
    "argv",
    [
        ["gtfs", "export", "{file}"],
        ["gtfs", "export", "{file}/sub"],
        ["drill", "breakdown", "--out", "{file}"],
        ["staging", "--budget", "2", "--time-limit", "1", "--out", "{file}"],
        ["whatif", "--from", "2027-01-04", "--to", "2027-01-04", "--backups", "siping_depot=1", "--reps", "1",
         "--out", "{file}"],
    ],
    ids=["gtfs-file", "gtfs-under-a-file", "drill", "staging", "whatif"],
)  # fmt: skip
def test_an_output_directory_that_cannot_be_one_is_refused_before_the_work(capsys, tmp_path, monkeypatch, argv):
    """Exit 2 naming the argument, at once: not after a simulation or a solve, nor halfway through the files."""
    import solver.planning.whatif as whatif

    monkeypatch.setattr(whatif, "run_whatif", lambda *a, **k: pytest.fail("the what-if must not run"))
    file = tmp_path / "t.sh"
    file.write_text("#!/bin/sh\n")
    code, out, err = run(capsys, *(part.format(file=file) for part in argv))
    assert code == 2 and out == "" and "Traceback" not in err, err
    assert str(file) in err and ("--out" in err or "DIR" in err), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.sh"] and file.read_text() == "#!/bin/sh\n"


@pytest.mark.parametrize("argv", [["gtfs", "export", ""], ["drill", "breakdown", "--out", ""]], ids=["gtfs", "drill"])
def test_an_empty_output_directory_is_refused(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and "empty" in err and "Traceback" not in err


def test_staging_places_no_more_backups_than_the_standby_coaches(capsys):
    code, out, err = run(capsys, "staging", "--budget", "1000", "--time-limit", "1")
    assert code == 2 and out == "" and "--budget" in err and "standby" in err


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_a_number_that_is_not_finite_is_refused_naming_the_option(capsys, value):
    code, out, err = run(capsys, "staging", "--budget", "2", "--simulate", "--breakdown-factor", value)
    assert code == 2 and out == "" and "--breakdown-factor" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
