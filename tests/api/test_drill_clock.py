"""A drill desk's clock (issue 16 §5): the service reads FLEETPLAN_CLOCK_FROM at start and runs
FLEETPLAN_CLOCK_SPEEDUP times as fast, and a feed simulated with ``--stamp simulated`` keeps in step."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest

from fleetplan.units import china_now

from api.clock import DrillClock, is_drill, service_clock

from tests.api.http_support import REPO, run_cli, served_desk, sqlite_url

DRILL_START = "2026-12-07T07:30"  # Monday: the morning staff runs are on G1 toward Siping


def test_without_a_drill_the_clock_is_the_wall_clock():
    assert service_clock(None, 1.0) is china_now and not is_drill(service_clock(None))


def test_a_drill_clock_starts_where_it_is_told_and_runs_faster():
    clock = DrillClock(datetime(2026, 12, 7, 7, 30), speedup=120)
    first = clock()
    assert timedelta(0) <= first - datetime(2026, 12, 7, 7, 30) < timedelta(seconds=30)
    time.sleep(0.5)
    assert clock() - first >= timedelta(seconds=55)  # half a second at 120 times the wall clock
    assert is_drill(service_clock(None, 10.0))


@pytest.fixture(scope="module")
def drill_desk(tmp_path_factory):
    state = tmp_path_factory.mktemp("drill")
    with served_desk(sqlite_url(state), state, clock_from=DRILL_START, clock_speedup=1) as desk:
        yield desk


def test_health_shows_the_drill_clock(drill_desk):
    clock = drill_desk.get("/health").json()["clock"]
    assert clock["drill"] is True and clock["speedup"] == 1
    assert DRILL_START <= clock["now"] < "2026-12-07T07:45"


def test_a_report_a_few_minutes_on_is_taken_and_times_are_judged_by_the_drill_clock(drill_desk):
    report = {"vehicle_id": "c01", "location": "G1 K78 toward Siping", "time": "2026-12-07T07:33", "passengers": 42}
    assert drill_desk.post("/incidents", report).status_code == 201
    # far ahead of the drill's clock, within the timetable's days (another coach: c01 is reported already)
    ahead = {**report, "vehicle_id": "c02", "time": "2026-12-07T09:00"}
    answer = drill_desk.post("/incidents", ahead)
    assert answer.status_code == 201  # a report ahead of the clock is an exercise on the timetable's days
    stale_real_now = china_now() - timedelta(minutes=1)
    fix = {"vehicle_id": "c05", "lat": 43.8, "lon": 125.3, "at": stale_real_now.isoformat(timespec="seconds")}
    refused = drill_desk.post("/positions", [fix], role="feed").json()
    if abs(stale_real_now - datetime.fromisoformat(DRILL_START)) > timedelta(days=30):  # outside the drill's window
        assert refused["stored"] == 0 and refused["rejected"][0]["field"].endswith("at")


def test_a_feed_stamped_in_drill_time_is_fresh_on_the_drill_desk(capsys, drill_desk):
    base = str(drill_desk.client.base_url)
    code, out, err = run_cli(
        capsys,
        "feed",
        "simulate",
        "--to",
        base,
        "--from",
        DRILL_START,
        "--stamp",
        "simulated",
        "--every",
        "0.2",
        "--ticks",
        "2",
        f"--token={drill_desk.tokens['feed']}",
    )
    assert code == 0, err
    assert "stored 26, rejected 0" in out, out
    rows = {row["vehicle_id"]: row for row in drill_desk.get("/positions").json()}
    assert not rows["c01"]["stale"] and rows["c01"]["at"].startswith("2026-12-07T07:3")
    assert rows["c01"]["place"]["text"].startswith("G1 K")


def test_a_bad_drill_setting_stops_serve_naming_it(tmp_path):
    env = {"FLEETPLAN_CLOCK_SPEEDUP": "0", "FLEETPLAN_VAR_DIR": str(tmp_path / "var")}
    refused = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--port", "1", "--db", sqlite_url(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        env={**__import__("os").environ, **env},
    )
    assert refused.returncode == 2 and "FLEETPLAN_CLOCK_SPEEDUP" in refused.stderr and "Traceback" not in refused.stderr


def test_the_simulator_starts_when_coaches_move_unless_told(capsys, drill_desk):
    code, out, err = run_cli(
        capsys,
        "feed",
        "simulate",
        "--to",
        str(drill_desk.client.base_url),
        "--ticks",
        "1",
        "--every",
        "0.1",
        f"--token={drill_desk.tokens['feed']}",
    )
    # the fixes carry real time stamps: the drill's clock may refuse them all, and the exit then says so
    assert code == 0 or (code == 1 and "no fix was delivered" in err), (out, err)
    first = out.strip().splitlines()[-1]
    moment = datetime.strptime(first[:19], "%Y-%m-%d %H:%M:%S")
    assert moment >= china_now() - timedelta(minutes=1)  # now, or a few minutes into the next trip
