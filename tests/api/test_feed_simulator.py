"""``fleetplan feed simulate`` (issue 16 §5) against a real ``fleetplan serve`` (SQLite and PostgreSQL):
the timetable's coaches arrive over JSON, GTFS-Realtime and JT/T 808 where the timetable puts them, and
an injected breakdown stands still."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests.api.http_support import REPO, bearer, free_port, run_cli

AT_0740 = "2026-12-07T07:40"  # the morning staff runs are on G1 toward Siping; c05, c06 stand at the depot


@pytest.fixture
def service(gateway_service) -> dict:
    """The served gateway and HTTP doors (tests/api/conftest.py) as these tests address them."""
    return {
        "http": gateway_service.http,
        "tcp": f"tcp://127.0.0.1:{gateway_service.jt808_port}",
        "tokens": gateway_service.tokens,
    }


def simulate(capsys, service, *options: str) -> tuple[int, str, str]:
    to = service["tcp"] if "jt808" in options else service["http"]
    base = ["feed", "simulate", "--to", to, "--from", AT_0740, "--every", "0.1", f"--token={service['tokens']['feed']}"]
    return run_cli(capsys, *base, *options)


def positions(service) -> dict[str, dict]:
    response = httpx.get(f"{service['http']}/positions", headers=bearer(service["tokens"]["viewer"]), timeout=30)
    return {row["vehicle_id"]: row for row in response.json()}


@pytest.mark.parametrize("protocol", ["json", "gtfs-rt", "jt808"])
def test_every_coach_arrives_where_the_timetable_puts_it(capsys, service, protocol):
    code, out, err = simulate(capsys, service, "--protocol", protocol, "--ticks", "2")
    assert code == 0, err
    assert len(out.strip().splitlines()) == 2 and "26 fixes sent" in out
    rows = positions(service)
    assert len(rows) == 26 and rows["c01"]["source"] == protocol
    assert rows["c01"]["place"]["text"].startswith("G1 K5") and rows["c01"]["place"]["direction"] == "to_siping"
    assert rows["c05"]["place"]["text"] == "changchun_depot" and rows["c05"]["speed_kmh"] == 0


def test_a_coach_left_out_sends_nothing(capsys, service):
    code, out, err = simulate(capsys, service, "--ticks", "1", "--except", "c03", "--except", "c04")
    assert code == 0, err
    assert "24 fixes sent" in out


def test_a_broken_down_coach_stands_still(capsys, service):
    code, _, err = simulate(
        capsys, service, "--speedup", "3000", "--ticks", "2", "--noise", "0", "--inject", f"breakdown:c02@{AT_0740}"
    )
    assert code == 0, err
    rows = positions(service)
    assert rows["c02"]["speed_kmh"] == 0 and rows["c01"]["speed_kmh"] > 0
    # c01 drove on for some 5 simulated minutes between the two ticks; c02 did not move
    first = simulate(capsys, service, "--ticks", "1", "--noise", "0", "--inject", f"breakdown:c02@{AT_0740}")
    assert first[0] == 0 and positions(service)["c02"]["place"]["text"] == rows["c02"]["place"]["text"]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (("--inject", "flat-tyre:c01@2026-12-07T07:40", "--ticks", "1"), "--inject"),
        (("--inject", "breakdown:c99@2026-12-07T07:40", "--ticks", "1"), "--inject"),
        (("--protocol", "jt808", "--to", "http://127.0.0.1:1", "--ticks", "1"), "--to"),
        (("--speedup", "fast", "--ticks", "1"), "--speedup"),
        (("--from", "yesterday", "--ticks", "1"), "--from"),
        (("--except", "c99", "--ticks", "1"), "--except"),
    ],
)
def test_bad_options_are_exit_2_naming_them(capsys, service, options, field):
    argv = ["feed", "simulate", "--to", service["http"], "--token", "x", *options]
    if "--to" in options[1:]:
        argv = ["feed", "simulate", "--token", "x", *options]
    code, out, err = run_cli(capsys, *argv)
    assert (code, out) == (2, "") and f"{field}:" in err and "Traceback" not in err


def test_a_service_that_is_down_is_said_each_tick_never_a_traceback_and_the_exit_says_so(capsys):
    port = free_port()  # nobody listens there
    code, out, err = run_cli(
        capsys,
        "feed",
        "simulate",
        "--to",
        f"http://127.0.0.1:{port}",
        "--token",
        "x",
        "--from",
        AT_0740,
        "--ticks",
        "2",
        "--every",
        "0.05",
    )
    assert code == 1 and "Traceback" not in err and "no fix was delivered in 2 tick(s)" in err  # a script can tell
    lines = out.strip().splitlines()
    assert len(lines) == 2 and all("fixes lost; not sent: " in line for line in lines)


def test_a_token_the_service_refuses_stops_at_once_naming_it(capsys, service):
    code, out, err = run_cli(
        capsys, "feed", "simulate", "--to", service["http"], "--token", "wrong", "--from", AT_0740, "--ticks", "3"
    )
    assert (code, out) == (2, ""), (code, out, err)
    assert "--token:" in err and "HTTP 401" in err and "Traceback" not in err


def test_the_simulator_runs_without_the_test_extras():
    """``make run`` installs the service without the test extras (httpx among them): the simulator must
    not need them. Run with ``import httpx`` made to fail."""
    script = (
        "import sys; sys.modules['httpx'] = None; from api.cli import main; "
        f"sys.exit(main(['feed', 'simulate', '--to', 'http://127.0.0.1:{free_port()}', '--token', 'x', '--ticks', '1']))"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert completed.returncode == 1, completed.stderr  # nobody listens: no fix delivered
    assert "not sent: " in completed.stdout and "Traceback" not in completed.stderr
