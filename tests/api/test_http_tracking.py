"""Rescues tracked by their positions (issue 16 §4) on a real ``fleetplan serve`` (SQLite and PostgreSQL):
the live ETA from a fresh fix against the limit, a ``rescue_late`` alert as soon as the limit cannot be
met, and an on-scene time suggested from the scene's geofence and recorded with source ``gps``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.geo import destination_point

from tests.api.http_support import DeskClient, served_desk

SCENE = "G1 K30 toward Changchun"
CHANGCHUN_DEPOT = {"lat": 43.826, "lon": 125.268}  # some 100 km up G1 from the scene
DEADLINE_S = 30.0  # the detector looks twice a second here; this only bounds a failure
# A drill clock on a Monday morning: crews are on shift whatever the hour the suite runs (between 01:00
# and 05:00 China time no plan sends anyone to K30, and every test here failed with nothing to accept).
DRILL_CLOCK = "2026-12-07T10:00"


@pytest.fixture
def desk(store_url, tmp_path) -> Iterator[DeskClient]:
    with served_desk(store_url, tmp_path, detect_every_s=0.5, clock_from=DRILL_CLOCK) as running:
        yield running


def accepted_now(desk: DeskClient) -> tuple[dict, str]:
    """c11 broken down at K30 this minute, its first option accepted; the incident and its rescue coach."""
    now = desk.now().strftime("%Y-%m-%dT%H:%M")
    incident = desk.report(vehicle_id="c11", location=SCENE, time=now, passengers=30).json()
    accepted = desk.post(f"/incidents/{incident['number']}/accept", {"rank": 1})
    assert accepted.status_code == 200, accepted.text
    return accepted.json(), accepted.json()["accepted"]["plan"]["assignments"][0]["vehicle_id"]


def fix(desk: DeskClient, vehicle_id: str, where: dict, seconds_ago: int = 5, heading: float | None = None) -> None:
    at = (desk.now() - timedelta(seconds=seconds_ago)).replace(microsecond=0).isoformat()
    body = {"vehicle_id": vehicle_id, **where, "at": at, "speed_kmh": 80.0} | (
        {"heading_deg": heading} if heading else {}
    )
    assert desk.post("/positions", [body], role="feed").json()["stored"] == 1


def wait_for_late_alert(desk: DeskClient) -> dict:
    """The one ``rescue_late`` alert open, once the detector has raised it (within ``DEADLINE_S``)."""
    deadline = time.monotonic() + DEADLINE_S
    alerts: list = []
    while time.monotonic() < deadline and not alerts:  # bounded: the deadline above
        alerts = [a for a in desk.get("/alerts").json() if a["kind"] == "rescue_late"]
        time.sleep(0.2)
    (alert,) = alerts
    return alert


def test_without_a_fresh_fix_the_plan_s_time_stands(desk):
    incident, coach = accepted_now(desk)
    view = desk.get(f"/incidents/{incident['number']}/tracking").json()
    assert view["tracked"] and view["deadline"]
    (rescue,) = [r for r in view["rescues"] if r["vehicle_id"] == coach]
    assert (rescue["fix_at"], rescue["live_eta"], rescue["on_scene_suggested"]) == (None, None, None)
    assert rescue["planned_at"] > incident["reported_at"]


def test_a_rescue_that_cannot_make_the_limit_is_an_alert_at_once(desk):
    incident, coach = accepted_now(desk)
    fix(desk, coach, CHANGCHUN_DEPOT)  # wherever the plan sent it from, it is 100 km away now
    view = desk.get(f"/incidents/{incident['number']}/tracking").json()
    (rescue,) = [r for r in view["rescues"] if r["vehicle_id"] == coach]
    assert rescue["live_eta"] > view["deadline"] and rescue["late_by_min"] > 0, rescue
    alert = wait_for_late_alert(desk)
    assert (alert["vehicle_id"], alert["plan"]["incident"]) == (coach, incident["number"])
    assert desk.post(f"/alerts/{alert['id']}/confirm", {}).status_code == 409  # re-plan, not a new incident
    assert desk.post(f"/alerts/{alert['id']}/dismiss", {"reason": "relief coach sent"}).status_code == 200
    time.sleep(1.5)  # still late, but this one was dealt with
    assert [a for a in desk.get("/alerts").json() if a["kind"] == "rescue_late"] == []


def test_a_fix_in_the_scene_s_geofence_suggests_the_on_scene_time_recorded_as_gps(desk):
    incident, coach = accepted_now(desk)
    number = incident["number"]
    scene = load_corridor().network.locate(SCENE)
    lat, lon = destination_point(scene.lat, scene.lon, 120, 40)  # a fix 40 m off: the hard shoulder
    # taken now: a fix from before the report (its minute) would be no arrival at this scene
    fix(desk, coach, {"lat": round(lat, 6), "lon": round(lon, 6)}, seconds_ago=0)
    (rescue,) = [r for r in desk.get(f"/incidents/{number}/tracking").json()["rescues"] if r["vehicle_id"] == coach]
    suggested = rescue["on_scene_suggested"]
    assert suggested and suggested["source"] == "gps", rescue
    on_scene = desk.post(
        f"/incidents/{number}/on-scene",
        {"at": suggested["at"], "source": "gps", "override_reason": "GPS: the coach was there sooner than planned"},
    )
    assert on_scene.status_code == 200, on_scene.text
    entry = desk.get(f"/incidents/{number}").json()["entries"][-1]
    assert entry["payload"]["source"] == "gps" and entry["payload"]["at"] == suggested["at"]
    after = desk.get(f"/incidents/{number}/tracking").json()
    assert (after["tracked"], after["rescues"]) == (False, [])  # reached: nothing to track


def test_tracking_an_unknown_incident_is_a_404(desk):
    assert desk.get("/incidents/99/tracking").status_code == 404


def test_gps_as_the_source_needs_a_fix_at_the_scene_by_that_time(desk):
    """``source: gps`` says the position showed the coach there: without such a fix it is 409 naming
    ``source`` and nothing is recorded; with one, a time before the fix is refused too."""
    incident, coach = accepted_now(desk)
    number = incident["number"]
    on_scene = {"source": "gps", "override_reason": "the crew called"}
    refused = desk.post(f"/incidents/{number}/on-scene", on_scene)
    assert refused.status_code == 409 and refused.json()["detail"].startswith("source: gps"), refused.text
    assert coach in refused.json()["detail"]
    fix(desk, coach, CHANGCHUN_DEPOT, seconds_ago=0)  # a fix, but 100 km from the scene
    assert desk.post(f"/incidents/{number}/on-scene", on_scene).status_code == 409
    assert desk.get(f"/incidents/{number}").json()["status"] == "accepted"  # nothing recorded
    scene = load_corridor().network.locate(SCENE)
    lat, lon = destination_point(scene.lat, scene.lon, 120, 40)
    fix(desk, coach, {"lat": round(lat, 6), "lon": round(lon, 6)}, seconds_ago=0)
    before = (desk.now() - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    early = desk.post(f"/incidents/{number}/on-scene", {**on_scene, "at": before})
    assert early.status_code == 409 and "after" in early.json()["detail"], early.text
    recorded = desk.post(f"/incidents/{number}/on-scene", on_scene)  # now: the fix is there
    assert recorded.status_code == 200, recorded.text
    assert desk.get(f"/incidents/{number}").json()["entries"][-1]["payload"]["source"] == "gps"


def test_the_desk_as_the_source_needs_no_fix(desk):
    incident, _ = accepted_now(desk)
    response = desk.post(f"/incidents/{incident['number']}/on-scene", {"override_reason": "the crew called"})
    assert response.status_code == 200, response.text


def test_a_late_rescue_alert_is_settled_once_the_rescue_reaches_the_scene(desk):
    incident, coach = accepted_now(desk)
    number = incident["number"]
    fix(desk, coach, CHANGCHUN_DEPOT)  # 100 km away: late
    alert = wait_for_late_alert(desk)
    reached = desk.post(f"/incidents/{number}/on-scene", {"override_reason": "the crew called: there"})
    assert reached.status_code == 200, reached.text
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline and any(a["id"] == alert["id"] for a in desk.get("/alerts").json()):
        time.sleep(0.2)  # bounded: the deadline above
    closed = next(a for a in desk.get("/alerts", params={"status": "all"}).json() if a["id"] == alert["id"])
    assert (closed["status"], closed["closed_by"]) == ("dismissed", "detector")
    assert closed["reason"] == f"incident {number} is on_scene now: the rescue is no longer under way"
