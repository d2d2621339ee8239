"""The desk dispatches from the feeds' fresh fixes (issue 16 §2): each assignment says what placed its
coach, a coach seen on the road is rejected by name, and without fixes the timetable places them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleetplan.corridor import load_corridor

from tests.api.http_support import running_desk, sqlite_url

SCENE = "G1 K30 toward Siping"
# A drill clock on a Monday morning: the standby crews are on shift whatever the hour the suite runs
# (at 05:00 China time the only drivers on shift end at 06:00, too soon for a rescue, and no plan sends
# anyone: the test is about what placed the coaches, not about the night).
SETTINGS = {"clock_from": "2026-12-07T10:00"}
ON_G1_K70_TOWARD_SIPING = {"lat": 43.5617, "lon": 124.9701}


@pytest.fixture
def desk(tmp_path):
    with running_desk(sqlite_url(tmp_path), **SETTINGS) as running:
        yield running


def standby_coaches() -> list:
    corridor = load_corridor()
    return [v for v in corridor.dataset.vehicles if v.status.value == "standby"]


def at_depot(vehicle) -> dict:
    corridor = load_corridor()
    node = corridor.network.graph.nodes[corridor.dataset.site(vehicle.home_depot).node_id]
    return {"lat": node["lat"] + 0.0003, "lon": node["lon"]}


def report_now(desk) -> dict:
    now = desk.now().strftime("%Y-%m-%dT%H:%M")
    response = desk.post("/incidents", {"vehicle_id": "c11", "location": SCENE, "time": now, "passengers": 15})
    assert response.status_code == 201, response.text
    return response.json()["options"]


def test_assignments_say_gps_for_coaches_seen_fresh_and_timetable_otherwise(desk):
    seen = standby_coaches()[::2]
    taken = (desk.now() - timedelta(seconds=20)).isoformat(timespec="seconds")
    fixes = [{"vehicle_id": v.id, **at_depot(v), "at": taken, "speed_kmh": 0} for v in seen]
    assert desk.post("/positions", fixes, role="feed").json()["stored"] == len(seen)
    options = report_now(desk)
    assignments = [a for plan in options["plans"] for a in plan["assignments"]]
    assert assignments, options
    for assignment in assignments:
        if assignment["vehicle_id"] in {v.id for v in seen}:
            assert assignment["position"].startswith(f"GPS {taken[11:16]} at "), assignment
        else:
            assert assignment["position"] == "timetable", assignment


def test_a_standby_coach_seen_on_the_road_is_rejected_by_name_and_never_sent(desk):
    coach = standby_coaches()[0]
    taken = (desk.now() - timedelta(seconds=20)).isoformat(timespec="seconds")
    fix = {"vehicle_id": coach.id, **ON_G1_K70_TOWARD_SIPING, "at": taken, "speed_kmh": 85, "heading_deg": 225.0}
    assert desk.post("/positions", [fix], role="feed").json()["stored"] == 1
    options = report_now(desk)
    assert not any(a["vehicle_id"] == coach.id for plan in options["plans"] for a in plan["assignments"])
    (rejected,) = [r for r in options["rejected"] if r["candidate"] == coach.id]
    assert rejected["code"] == "on_the_road" and "GPS" in rejected["reason"], rejected


def test_a_fix_older_than_the_freshness_limit_leaves_the_timetable_in_charge(desk):
    coach = standby_coaches()[0]
    old = desk.now() - timedelta(minutes=10)
    fix = {"vehicle_id": coach.id, **ON_G1_K70_TOWARD_SIPING, "at": old.isoformat(timespec="seconds"), "speed_kmh": 85}
    assert desk.post("/positions", [fix], role="feed").json()["stored"] == 1
    options = report_now(desk)
    assert not any(r["candidate"] == coach.id and r["code"] == "on_the_road" for r in options["rejected"])
    for assignment in (a for plan in options["plans"] for a in plan["assignments"] if a["vehicle_id"] == coach.id):
        assert assignment["position"] == f"timetable (last fix {old:%H:%M}, stale)"
