"""Alerts from the positions (issue 16 §3) on a real ``fleetplan serve`` (SQLite and PostgreSQL): a coach
standing on G1 is raised once, with a plan; confirming it reports the incident through the normal path,
once; dismissing says why; a closed alert stays closed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.positions import Position, PositionSource
from fleetplan.units import china_now

from api.alerts import AlertLog
from api.feeds.detector import SceneLookup

from tests.api.http_support import DeskClient, running_desk, served_desk, sqlite_url

ON_G1 = {"lat": 43.4917, "lon": 124.8428}  # G1 at about K56.7
DETECT_DEADLINE_S = 30.0  # the detector looks twice a second here; this only bounds a failure
# A drill clock on a Monday morning: a report "now" finds crews on shift whatever the hour the suite
# runs (between 02:00 and 05:00 China time a rescue may find no one, and nothing would be accepted).
DRILL_CLOCK = "2026-12-07T10:00"


@pytest.fixture
def desk(store_url, tmp_path) -> Iterator[DeskClient]:
    with served_desk(store_url, tmp_path, detect_every_s=0.5, clock_from=DRILL_CLOCK) as running:
        yield running


def stand(desk: DeskClient, vehicle_id: str, minutes: float, emergency: bool = False) -> str:
    """Fixes of a coach standing on G1 for ``minutes`` (heading toward Changchun), up to the service's
    now; the first fix's time."""
    now = desk.now().replace(microsecond=0)
    times = [now - timedelta(seconds=s) for s in range(int(minutes * 60), 0, -30)]
    fixes = [
        {
            "vehicle_id": vehicle_id,
            **ON_G1,
            "at": t.isoformat(),
            "speed_kmh": 0,
            "heading_deg": 41,
            "emergency": emergency,
        }
        for t in times
    ]
    assert desk.post("/positions", fixes, role="feed").json()["stored"] == len(fixes)
    return times[0].isoformat()


def wait_for_alert(desk: DeskClient, vehicle_id: str, kind: str) -> dict:
    deadline = time.monotonic() + DETECT_DEADLINE_S
    while time.monotonic() < deadline:  # bounded: the deadline above
        found = [a for a in desk.get("/alerts").json() if (a["vehicle_id"], a["kind"]) == (vehicle_id, kind)]
        if found and found[0]["plan"] is not None:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no {kind} alert for {vehicle_id}: {desk.get('/alerts', params={'status': 'all'}).text}")


def test_a_coach_standing_on_g1_is_an_alert_with_a_plan_and_confirming_it_reports_it(desk):
    since = stand(desk, "c03", 4)
    alert = wait_for_alert(desk, "c03", "suspected_breakdown")
    assert (alert["place"], alert["since"], alert["status"]) == ("G1 K56.7 toward Changchun", since, "open")
    assert alert["plan"]["plans"], alert["plan"]  # the dispatch path's options, computed when raised

    confirmed = desk.post(f"/alerts/{alert['id']}/confirm", {"passengers": 30})

    assert confirmed.status_code == 201, confirmed.text
    incident = confirmed.json()["incident"]
    assert incident["report"]["vehicle_id"] == "c03" and incident["report"]["location"] == alert["place"]
    assert incident["reported_at"] == since[:16] and incident["report"]["passengers"] == 30
    assert incident["options"]["plans"]
    assert confirmed.json()["alert"] | {"closed_at": None} == alert | {
        "status": "confirmed",
        "closed_by": "dispatcher-user",
        "incident_number": incident["number"],
        "closed_at": None,
    }
    again = desk.post(f"/alerts/{alert['id']}/confirm", {})
    assert again.status_code == 409 and f"(incident {incident['number']})" in again.json()["detail"]
    assert [i["number"] for i in desk.get("/incidents").json()] == [incident["number"]]  # reported once
    time.sleep(1.5)  # three more looks: the coach still stands, but its alert was dealt with
    assert desk.get("/alerts").json() == []


def test_an_alert_another_dispatcher_confirmed_first_is_a_409_naming_its_incident(desk):
    """Two dispatchers confirm at once: the alert's report key is the first one's by the time the second
    reports (here recorded outright by another user under that key), and the second is told where to
    work, not that an Idempotency-Key it never sent was reused."""
    stand(desk, "c03", 4)
    alert = wait_for_alert(desk, "c03", "suspected_breakdown")
    first = desk.post(
        "/incidents",
        {"vehicle_id": "c03", "location": alert["place"], "time": alert["since"][:16], "passengers": 20},
        role="admin",
        headers={"Idempotency-Key": f"alert:{alert['id']}"},
    )
    assert first.status_code == 201, first.text
    second = desk.post(f"/alerts/{alert['id']}/confirm", {"passengers": 30})
    assert second.status_code == 409, second.text
    detail = second.json()["detail"]
    assert detail.startswith(f"alert_id: alert {alert['id']} was confirmed already (incident {first.json()['number']})")
    assert [i["number"] for i in desk.get("/incidents").json()] == [first.json()["number"]]


def test_a_planned_alert_is_stored_with_its_plan_in_one_insert(tmp_path, monkeypatch):
    """No reader may see a suspected breakdown or an alarm without its plan: the detector plans first and
    stores the alert with the plan (it used to insert, then attach the plan)."""
    inserted: list[tuple[str, bool]] = []
    raise_new = AlertLog.raise_new

    def recorded(self, suspicion, now, plan=None):
        inserted.append((suspicion.kind.value, plan is not None))
        return raise_new(self, suspicion, now, plan)

    monkeypatch.setattr(AlertLog, "raise_new", recorded)
    with running_desk(sqlite_url(tmp_path), detect_every_s=0.5) as in_process:
        stand(in_process, "c03", 4)
        stand(in_process, "c04", 1, emergency=True)
        wait_for_alert(in_process, "c03", "suspected_breakdown")
        wait_for_alert(in_process, "c04", "emergency_alarm")
    assert ("suspected_breakdown", True) in inserted and ("emergency_alarm", True) in inserted
    assert all(with_plan for kind, with_plan in inserted if kind in ("suspected_breakdown", "emergency_alarm"))


def test_an_emergency_alarm_is_dismissed_with_a_reason_and_stays_closed(desk):
    stand(desk, "c04", 1, emergency=True)
    alert = wait_for_alert(desk, "c04", "emergency_alarm")
    assert desk.post(f"/alerts/{alert['id']}/dismiss", {"reason": "  "}).status_code == 422  # a reason is text
    dismissed = desk.post(f"/alerts/{alert['id']}/dismiss", {"reason": "driver pressed it by mistake, called back"})
    assert dismissed.status_code == 200, dismissed.text
    assert (dismissed.json()["status"], dismissed.json()["reason"]) == (
        "dismissed",
        "driver pressed it by mistake, called back",
    )
    assert desk.post(f"/alerts/{alert['id']}/dismiss", {"reason": "again"}).status_code == 409
    assert desk.post(f"/alerts/{alert['id']}/confirm").status_code == 409  # no body, as the README has it
    assert desk.get("/incidents").json() == []
    time.sleep(1.5)  # three more looks: the alarm bit is still on in its fixes, but this run was dismissed
    assert desk.get("/alerts").json() == []
    listed = desk.get("/alerts", params={"status": "dismissed"}).json()
    assert [a["id"] for a in listed] == [alert["id"]]


def test_who_may_do_what_with_alerts(desk):
    assert desk.post("/alerts/999/confirm", {}).status_code == 404
    assert desk.post("/alerts/999/dismiss", {"reason": "x"}).status_code == 404
    assert desk.post("/alerts/1/confirm", {}, role="viewer").status_code == 403
    assert desk.get("/alerts", role="feed").status_code == 403
    assert desk.get("/alerts", role="viewer").status_code == 200


def test_a_rescue_coach_standing_at_its_scene_is_no_suspected_breakdown(desk):
    reported = desk.report(
        vehicle_id="c03", location="G1 K56.7 toward Changchun", time=desk.now().strftime("%Y-%m-%dT%H:%M")
    ).json()
    accepted = desk.post(f"/incidents/{reported['number']}/accept", {"rank": 1}).json()
    rescuer = accepted["accepted"]["plan"]["assignments"][0]["vehicle_id"]
    stand(desk, rescuer, 4)  # ON_G1 is the scene: it waits there for the passengers to board
    time.sleep(1.5)  # three looks
    kinds = {(a["vehicle_id"], a["kind"]) for a in desk.get("/alerts", params={"status": "all"}).json()}
    assert (rescuer, "suspected_breakdown") not in kinds
    with desk.records() as store:  # the plan may also book a coach for a later trip, by the hour of the run
        booked = {booking.vehicle_id for booking in store.bookings()}
    bystander = next(coach for coach in ("c10", "c11", "c12", "c13") if coach not in booked)
    stand(desk, bystander, 4)  # a coach nobody sent, standing at the same place: an alert as ever
    assert wait_for_alert(desk, bystander, "suspected_breakdown")["vehicle_id"] == bystander
    desk.post(f"/incidents/{reported['number']}/void", {"reason": "test"})


def test_only_a_booked_coach_within_its_own_scene_s_geofence_counts_as_there():
    corridor = load_corridor()
    scene = corridor.network.locate("G1 K56.7 toward Changchun")

    class Desk:  # the three things the lookup asks of the desk
        def bookings_by_resource(self):
            return {"c05": 7}

        store = SimpleNamespace(
            incident=lambda number: SimpleNamespace(report={"location": "G1 K56.7 toward Changchun"})
        )

    Desk.corridor = corridor
    lookup = SceneLookup(Desk())
    fix = lambda vehicle, lat, lon: Position(vehicle, lat, lon, china_now(), 0, 0, PositionSource.JSON)  # noqa: E731
    assert lookup.rescuer_at_scene(fix("c05", scene.lat, scene.lon))
    assert lookup.rescuer_at_scene(fix("c05", scene.lat + 0.002, scene.lon))  # 220 m off: at the scene still
    assert not lookup.rescuer_at_scene(fix("c05", 43.336353, 124.599215))  # K30: not its scene
    assert not lookup.rescuer_at_scene(fix("c06", scene.lat, scene.lon))  # not booked
