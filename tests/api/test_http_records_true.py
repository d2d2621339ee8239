"""The desk keeps its records true (issue 15 §1, §2, §3, §7): an accept books only coaches and drivers
that are still usable, a plan that sends nobody is never accepted nor counted as compliant, lifecycle
times follow the rescue, and no time out of all reason is stored.

Tests taking ``desk_served`` talk to a real ``fleetplan serve`` over HTTP, as an adversary would; they and
those taking ``desk_app_any`` or ``store`` run on SQLite and on PostgreSQL (skipped without a server, see
conftest.py); the browser tests at the end use Debian's Chromium (skipped without it).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from fleetplan.instance import Instance
from fleetplan.model import VehicleStatus
from fleetplan.units import china_now

from solver.dispatch import prepare

from api.desk import IncidentReport, plan_resources
from api.desk.live import crews_not_offered
from api.operations_log import OperationsLog, log_engine
from api.records import EntryKind, IncidentStatus, ResourceUnusable, open_store
from api.records.types import IncidentRecord

from tests.api.http_support import AFTER_THE_REPORTS, DeskClient, running_desk, served_desk, sqlite_url

# The example: c11 broken down on the Changchun-bound carriageway on the timetable's Thursday
C11_AT_K30 = {
    "vehicle_id": "c11",
    "location": "G1 K30 toward Changchun",
    "time": "2026-12-10T14:00",
    "passengers": 30,
}
MINUTE = timedelta(minutes=1)
DAYTIME = "2026-12-10T16:00"  # the drill clock of the tests that report "now"


@pytest.fixture
def desk(tmp_path) -> Iterator[DeskClient]:
    with running_desk(sqlite_url(tmp_path)) as running:
        yield running


@pytest.fixture
def desk_after(tmp_path) -> Iterator[DeskClient]:
    """A desk on a drill clock the day after the reports' day, for tests that record lifecycle times of it."""
    with running_desk(sqlite_url(tmp_path), clock_from=AFTER_THE_REPORTS) as running:
        yield running


@pytest.fixture
def daytime_desk(tmp_path) -> Iterator[DeskClient]:
    """A desk on a drill clock a Thursday afternoon: a report "now" finds crews on shift whatever the hour
    the suite runs (between 01:00 and 07:00 China time a report two hours back may find no one to send)."""
    with running_desk(sqlite_url(tmp_path), clock_from=DAYTIME) as running:
        yield running


@pytest.fixture
def desk_app_any(store_url) -> Iterator[DeskClient]:
    """The app in process on SQLite and on PostgreSQL, for a test that reaches inside it."""
    with running_desk(store_url) as running:
        yield running


def first_plan(incident: dict) -> dict:
    return incident["options"]["plans"][0]


def bookings(desk: DeskClient) -> dict[str, int]:
    """Coach or driver id → the incident booking it."""
    with desk.records() as store:
        return {(b.vehicle_id or b.driver_id): b.incident_number for b in store.bookings()}


def entry_kinds(desk: DeskClient, number: int) -> list[str]:
    return [entry["kind"] for entry in desk.get(f"/incidents/{number}").json()["entries"]]


def minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def first_arrival(incident: dict) -> datetime:
    """When the accepted plan's first coach reaches the scene (report + the smallest ETA)."""
    eta = min(a["scene_eta_min"] for a in incident["accepted"]["plan"]["assignments"])
    return datetime.fromisoformat(incident["reported_at"]) + timedelta(minutes=eta)


def accepted(desk: DeskClient, **changes) -> dict:
    incident = desk.report(**changes).json()
    response = desk.post(f"/incidents/{incident['number']}/accept", {"rank": 1})
    assert response.status_code == 200, response.text
    return response.json()


# =========================================================================== §1 accept re-checks usability
def test_a_coach_sent_to_the_workshop_after_the_options_is_not_booked(desk_served):
    incident = desk_served.report(**C11_AT_K30).json()
    coach = first_plan(incident)["assignments"][0]["vehicle_id"]
    change = {"status": "workshop", "reason": "brake warning light"}
    assert desk_served.client.patch(f"/fleet/{coach}", json=change, headers=desk_served.headers()).status_code == 200

    response = desk_served.post(f"/incidents/{incident['number']}/accept", {"rank": 1})

    assert response.status_code == 409, response.text
    body = response.json()
    assert body["detail"].startswith("rank:") and f"{coach} is in the workshop" in body["detail"]
    assert all(coach not in plan_resources(plan)[0] for plan in body["options"]["plans"])  # fresh options
    assert bookings(desk_served) == {}
    assert desk_served.get(f"/incidents/{incident['number']}").json()["status"] == "options"
    assert entry_kinds(desk_served, incident["number"]) == ["report", "options", "options"]


@pytest.fixture
def solo_desk_served(store_url: str, tmp_path) -> Iterator[DeskClient]:
    """As ``desk_served``, each incident planned alone (``FLEETPLAN_JOINT_PLANNING=false``): a report does
    not re-plan the open ones, so their options can name a coach that broke down since (issue 18 §3
    re-plans them instead: tests/api/test_http_joint.py)."""
    with served_desk(store_url, tmp_path, joint_planning=False) as desk:
        yield desk


def test_a_coach_that_broke_down_itself_after_the_options_is_not_booked(solo_desk_served):
    desk_served = solo_desk_served
    incident = desk_served.report(**C11_AT_K30).json()
    coach = first_plan(incident)["assignments"][0]["vehicle_id"]
    broken = desk_served.report(
        vehicle_id=coach, location="G1 K60 toward Siping", time="2026-12-10T14:05", passengers=0
    )
    assert broken.status_code == 201, broken.text

    response = desk_served.post(f"/incidents/{incident['number']}/accept", {"rank": 1})

    assert response.status_code == 409, response.text
    # at 14:05, after the incident's 14:00: said as it is, not as broken down at 14:00 (test_http_back_dated)
    why = f"{coach}: breaks down later, at 2026-12-10 14:05, in incident {broken.json()['number']}"
    assert why in response.json()["detail"]
    assert coach not in bookings(desk_served)
    fresh = response.json()["options"]
    assert all(coach not in plan_resources(plan)[0] for plan in fresh["plans"])
    # the fresh options are the ones to accept now
    assert desk_served.post(f"/incidents/{incident['number']}/accept", {"rank": 1}).status_code == 200


def test_a_coach_back_from_the_workshop_is_usable_again(desk):
    incident = desk.report(**C11_AT_K30).json()
    coach = first_plan(incident)["assignments"][0]["vehicle_id"]
    for status in ("workshop", "standby"):
        desk.client.patch(f"/fleet/{coach}", json={"status": status, "reason": "test"}, headers=desk.headers())
    assert desk.post(f"/incidents/{incident['number']}/accept", {"rank": 1}).status_code == 200
    assert bookings(desk)[coach] == incident["number"]


def test_the_booking_transaction_rechecks_what_another_desk_changed_after_the_desk_s_check(desk_app_any, monkeypatch):
    """The race: the desk's check passes, then another desk sends the coach to the workshop before the
    booking; the store reads the status again inside the booking's transaction."""
    desk = desk_app_any
    service = desk.client.app.state.desk
    incident = desk.report(**C11_AT_K30).json()
    coach = first_plan(incident)["assignments"][0]["vehicle_id"]
    checked = service.check_crews_usable

    def check_then_lose_the_race(record: IncidentRecord, plan: dict) -> None:
        checked(record, plan)
        service.log.record_status(coach, VehicleStatus.WORKSHOP, "another desk, meanwhile", china_now(), "other-desk")

    monkeypatch.setattr(service, "check_crews_usable", check_then_lose_the_race)
    response = desk.post(f"/incidents/{incident['number']}/accept", {"rank": 1})

    assert response.status_code == 409, response.text
    assert f"{coach} is in the workshop" in response.json()["detail"]
    assert bookings(desk) == {}


def fresh_instance(desk: DeskClient, number: int, unavailable: dict[str, str] | None = None) -> Instance:
    """The incident's instance built again from the live state, as accept does, plus ``unavailable``."""
    service = desk.client.app.state.desk
    record = service.store.incident(number)
    built = service.prepare(IncidentReport.from_record(record), number).instance
    if not unavailable:
        return built
    everything = {**built.unavailable, **unavailable}
    return prepare(service.live_corridor(), built.incidents, built.conditions, ops=service.ops, unavailable=everything)


def test_a_closure_set_or_lifted_after_the_options_is_a_409_with_fresh_options(desk_served):
    incident = desk_served.report(**C11_AT_K30).json()
    number = incident["number"]
    closure = desk_served.post("/closures", {"kind": "entrance", "target": "gongzhuling_ic", "reason": "ice"})
    assert closure.status_code == 201, closure.text

    refused = desk_served.post(f"/incidents/{number}/accept", {"rank": 1})

    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["detail"] == (
        "rank: the road closures changed since these options (closed since: gongzhuling_ic); "
        "fresh options are computed with them"
    )
    assert body["options"]["inputs"]["conditions"]["closed_entrances"] == ["gongzhuling_ic"]
    assert bookings(desk_served) == {}
    assert desk_served.post(f"/incidents/{number}/accept", {"rank": 1}).status_code == 200  # the fresh ones

    again = desk_served.report(**C11_AT_K30 | {"vehicle_id": "c12"}).json()
    lifted = desk_served.client.delete(f"/closures/{closure.json()['id']}", headers=desk_served.headers())
    assert lifted.status_code == 204
    refused = desk_served.post(f"/incidents/{again['number']}/accept", {"rank": 1})
    assert refused.status_code == 409 and "(lifted since: gongzhuling_ic)" in refused.json()["detail"]


def test_options_recorded_before_they_kept_their_conditions_are_accepted_as_before(desk):
    incident = desk.report(**C11_AT_K30).json()
    options = {k: v for k, v in incident["options"].items() if k != "inputs"}
    with desk.records() as store:
        store.append(incident["number"], EntryKind.OPTIONS, "legacy", options)
    desk.post("/closures", {"kind": "entrance", "target": "gongzhuling_ic", "reason": "ice"})
    assert desk.post(f"/incidents/{incident['number']}/accept", {"rank": 1}).status_code == 200


def test_a_crew_the_dispatch_path_still_offers_passes(desk):
    incident = desk.report(**C11_AT_K30).json()
    assert crews_not_offered(first_plan(incident), fresh_instance(desk, incident["number"])) == {}


def test_a_driver_the_dispatch_path_would_no_longer_send_is_named_with_its_reason(desk):
    """Driver usability is the dispatch path's own: here a driver it must not use any more."""
    incident = desk.report(**C11_AT_K30).json()
    plan = first_plan(incident)
    driver = plan["assignments"][0]["driver_id"]
    fresh = fresh_instance(desk, incident["number"], {driver: "off sick since 13:30"})
    assert crews_not_offered(plan, fresh) == {driver: f"{driver}: off sick since 13:30"}


def test_a_crew_no_longer_formed_is_named_by_its_coach(desk):
    incident = desk.report(**C11_AT_K30).json()
    plan = first_plan(incident)
    coach, driver = plan["assignments"][0]["vehicle_id"], plan["assignments"][0]["driver_id"]
    fresh = fresh_instance(desk, incident["number"])
    without = replace(fresh, crews=tuple(crew for crew in fresh.crews if crew.driver_id != driver))
    assert crews_not_offered(plan, without) == {coach: f"{coach} with {driver} is no longer a crew the desk may send"}


# --------------------------------------------------------------------------- the store alone
def _options_for(store, vehicle_id: str) -> int:
    record, _ = store.report({"vehicle_id": vehicle_id, "kind": "breakdown"}, datetime(2026, 12, 10, 14), "desk", None)
    store.append(record.number, EntryKind.OPTIONS, "desk", {"plans": [{"rank": 1}]})
    return record.number


def test_the_store_refuses_a_coach_in_the_workshop_inside_the_booking_transaction(store_url):
    store = open_store(store_url)
    log = OperationsLog(log_engine(store_url))
    try:
        number = _options_for(store, "c11")
        log.record_status("c21", VehicleStatus.WORKSHOP, "brakes", china_now(), "other-desk")
        with pytest.raises(ResourceUnusable) as refused:
            store.accept(number, "desk", {"rank": 1}, ["c21"], ["d27"])
        assert refused.value.reasons == {"c21": "c21 is in the workshop"} and refused.value.vehicle_ids == ["c21"]
        assert store.bookings() == [] and store.incident(number).status == IncidentStatus.OPTIONS
        log.record_status("c21", VehicleStatus.STANDBY, "fixed", china_now(), "other-desk")
        assert store.accept(number, "desk", {"rank": 1}, ["c21"], ["d27"]).status == IncidentStatus.ACCEPTED
    finally:
        log.close_engine()
        store.close()


def test_the_store_refuses_a_coach_broken_down_in_another_open_incident(store_url):
    store = open_store(store_url)
    try:
        number = _options_for(store, "c11")
        broken = _options_for(store, "c10")  # c10 itself broke down, still open
        with pytest.raises(ResourceUnusable, match=f"c10: broke down in incident {broken}"):
            store.accept(number, "desk", {"rank": 1}, ["c10"], ["d10"])
        assert store.bookings() == []
        store.append(broken, EntryKind.VOID, "desk", {"reason": "it was c12"})  # closed: usable again
        assert store.accept(number, "desk", {"rank": 1}, ["c10"], ["d10"]).status == IncidentStatus.ACCEPTED
    finally:
        store.close()


# =========================================================================== §2 a plan that sends nobody
def nobody_can_be_sent(desk: DeskClient) -> dict:
    """An incident whose only plan sends no coach: every other coach is in the workshop."""
    desk.keep_only("c01")
    incident = desk.report().json()
    assert incident["options"]["plans"] and not first_plan(incident)["assignments"]
    return incident


def test_a_plan_that_sends_nobody_cannot_be_accepted(desk_served):
    incident = nobody_can_be_sent(desk_served)
    response = desk_served.post(f"/incidents/{incident['number']}/accept", {"rank": 1})
    assert response.status_code == 409, response.text
    assert response.json()["detail"].startswith("rank: option 1 sends no coach")
    assert desk_served.get(f"/incidents/{incident['number']}").json()["status"] == "options"
    assert entry_kinds(desk_served, incident["number"]) == ["report", "options"]
    assert bookings(desk_served) == {}


def test_with_nobody_on_board_a_plan_that_only_re_covers_a_trip_can_be_accepted(desk):
    incident = desk.report(passengers=0).json()
    plan = first_plan(incident)
    assert not plan["assignments"] and plan["recovered_trips"]
    assert desk.post(f"/incidents/{incident['number']}/accept", {"rank": 1}).status_code == 200


def test_with_nobody_on_board_the_incident_is_resolved_from_its_options_or_its_accepted_plan(desk_after):
    """No rescue is owed, so no on-scene time: without this it could only be voided (and left out of the
    KPIs). With passengers aboard the same step is refused."""
    kept_aside = desk_after.report(passengers=0).json()
    assert desk_after.post(f"/incidents/{kept_aside['number']}/resolved", {}).status_code == 200
    accepted = desk_after.report(vehicle_id="c02", location="G1 K60 toward Siping", passengers=0).json()
    assert desk_after.post(f"/incidents/{accepted['number']}/accept", {"rank": 1}).status_code == 200
    assert bookings(desk_after)
    assert desk_after.post(f"/incidents/{accepted['number']}/resolved", {"note": "covered"}).status_code == 200
    assert bookings(desk_after) == {}
    for number in (kept_aside["number"], accepted["number"]):
        assert desk_after.get(f"/incidents/{number}").json()["status"] == "resolved"
        assert desk_after.post(f"/incidents/{number}/follow-up", {"note": "called back"}).status_code == 200
    aboard = desk_after.report(vehicle_id="c03", location="G1 K50 toward Siping", passengers=20).json()
    refused = desk_after.post(f"/incidents/{aboard['number']}/resolved", {})
    assert refused.status_code == 409 and "wait for a rescue" in refused.json()["detail"]
    with desk_after.records() as store:
        assert store.integrity_problems() == []


def test_kpis_never_count_an_incident_that_sent_nobody_as_compliant(desk_served_after):
    """Records accepted before the refusal hold such plans, some with an on-scene 'within the limit'. On
    a clock after the report: one ahead of the clock would be an exercise, which no KPI counts."""
    desk_served = desk_served_after
    incident = nobody_can_be_sent(desk_served)
    number = incident["number"]
    with desk_served.records() as store:
        store.accept(number, "legacy", {"rank": 1, "plan": first_plan(incident)}, [], [])
        store.append(
            number, EntryKind.ON_SCENE, "legacy", {"at": "2026-12-07T07:50", "response_min": 10.0, "within_limit": True}
        )

    kpis = desk_served.get("/kpis").json()

    (row,) = kpis["by_tier_month"]
    assert (row["measured"], row["reached_within_limit"], row["compliance"]) == (1, 0, 0.0)
    assert kpis["response_min"]["count"] == 0  # nobody's response time is no response time


def test_an_on_scene_of_a_plan_that_sent_nobody_is_never_within_the_limit(desk):
    incident = nobody_can_be_sent(desk)
    number = incident["number"]
    desk.client.app.state.store.accept(number, "legacy", {"rank": 1, "plan": first_plan(incident)}, [], [])
    view = desk.post(f"/incidents/{number}/on-scene", {"at": "2026-12-07T07:50"}).json()
    assert view["within_limit"] is False


# =========================================================================== §3 lifecycle times
def test_on_scene_before_the_plan_can_arrive_is_a_400_naming_at(desk_served_after):
    incident = accepted(desk_served_after)
    arrival = first_arrival(incident)
    too_soon = minute(arrival - 5 * MINUTE)
    response = desk_served_after.post(f"/incidents/{incident['number']}/on-scene", {"at": too_soon})
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail.startswith("at:") and "override_reason" in detail and minute(arrival) in detail
    assert desk_served_after.get(f"/incidents/{incident['number']}").json()["status"] == "accepted"


def test_on_scene_within_the_tolerance_of_the_plan_s_arrival_is_taken(desk_after):
    desk = desk_after
    incident = accepted(desk)
    arrival = first_arrival(incident)
    at = minute(arrival - 2 * MINUTE + timedelta(seconds=59))  # the minute that starts within 2 min before
    view = desk.post(f"/incidents/{incident['number']}/on-scene", {"at": at}).json()
    assert view["on_scene_at"] == at


def test_an_earlier_on_scene_stands_with_a_reason_which_is_recorded(desk_served_after):
    incident = accepted(desk_served_after)
    early = minute(first_arrival(incident) - 20 * MINUTE)
    reason = "crew was already on G1 returning from the workshop"
    response = desk_served_after.post(
        f"/incidents/{incident['number']}/on-scene", {"at": early, "override_reason": reason}
    )
    assert response.status_code == 200, response.text
    entry = desk_served_after.get(f"/incidents/{incident['number']}").json()["entries"][-1]
    assert entry["kind"] == "on_scene" and entry["payload"]["override_reason"] == reason
    assert entry["payload"]["earliest"] == minute(first_arrival(incident))
    assert response.json()["on_scene_override_reason"] == reason
    # the printed record says why, in both languages, and escapes it like any free text
    tricky = "<b>K76</b> & 已在现场"
    again = accepted(desk_served_after, vehicle_id="c02")
    at = minute(first_arrival(again) - 20 * MINUTE)
    desk_served_after.post(f"/incidents/{again['number']}/on-scene", {"at": at, "override_reason": tricky})
    record = desk_served_after.get(f"/incidents/{again['number']}/record").text
    assert "早于方案到达的原因 Earlier than the plan's arrival because" in record
    assert "&lt;b&gt;K76&lt;/b&gt; &amp; 已在现场" in record and "<b>K76</b>" not in record


def test_a_blank_reason_is_no_reason(desk):
    incident = accepted(desk)
    early = minute(first_arrival(incident) - 20 * MINUTE)
    response = desk.post(f"/incidents/{incident['number']}/on-scene", {"at": early, "override_reason": "   "})
    assert response.status_code == 400 and response.json()["detail"].startswith("at:")


# blanks, and direction controls alone (they are removed from what is recorded: an empty reason)
NO_WORDS = [" \t ", "\u202e\u2066", " \u202a \u202c "]


@pytest.mark.parametrize("text", NO_WORDS, ids=["blanks", "bidi", "bidi-and-blanks"])
@pytest.mark.parametrize(
    "step, field",
    [("void", "reason"), ("release", "reason"), ("follow-up", "note")],
    ids=["void", "release", "follow-up"],
)
def test_a_reason_or_note_of_blanks_is_refused_naming_it_and_nothing_is_recorded(desk, step, field, text):
    incident = accepted(desk)
    number = incident["number"]
    entries = len(desk.get(f"/incidents/{number}").json()["entries"])
    response = desk.post(f"/incidents/{number}/{step}", {field: text})
    assert 400 <= response.status_code < 500 and field in str(response.json()["detail"]), response.text
    assert len(desk.get(f"/incidents/{number}").json()["entries"]) == entries


@pytest.mark.parametrize("text", NO_WORDS, ids=["blanks", "bidi", "bidi-and-blanks"])
def test_a_workshop_reason_of_blanks_is_refused(desk, text):
    response = desk.client.patch("/fleet/c20", json={"status": "workshop", "reason": text}, headers=desk.headers())
    assert response.status_code == 422 and "reason" in str(response.json()["detail"])
    assert next(v for v in desk.get("/fleet").json() if v["id"] == "c20")["status"] != "workshop"


def test_resolved_before_on_scene_is_a_400_naming_at(desk_served_after):
    incident = accepted(desk_served_after)
    number = incident["number"]
    on_scene = first_arrival(incident) + 5 * MINUTE
    assert desk_served_after.post(f"/incidents/{number}/on-scene", {"at": minute(on_scene)}).status_code == 200
    response = desk_served_after.post(f"/incidents/{number}/resolved", {"at": minute(on_scene - MINUTE)})
    assert response.status_code == 400 and response.json()["detail"].startswith("at:")
    assert "on-scene time" in response.json()["detail"]
    assert desk_served_after.post(f"/incidents/{number}/resolved", {"at": minute(on_scene)}).status_code == 200


def test_lifecycle_times_ahead_of_the_clock_are_refused(daytime_desk):
    """An incident reported in real time (two hours ago): its steps may not lie in the future."""
    desk = daytime_desk
    now = desk.now()
    incident = accepted(desk, time=minute(now - timedelta(hours=2)))
    number = incident["number"]
    response = desk.post(f"/incidents/{number}/on-scene", {"at": minute(now + timedelta(hours=1))})
    assert response.status_code == 400 and response.json()["detail"].startswith("at:")
    assert desk.post(f"/incidents/{number}/on-scene", {"at": minute(now + 3 * MINUTE)}).status_code == 200  # skew
    assert desk.post(f"/incidents/{number}/resolved", {"at": minute(now + timedelta(hours=1))}).status_code == 400
    assert desk.post(f"/incidents/{number}/resolved", {}).status_code == 400  # now is before the on-scene time
    assert desk.get(f"/incidents/{number}").json()["status"] == "on_scene"


def test_on_scene_by_default_is_now_and_checked_like_any_other(daytime_desk):
    desk = daytime_desk
    now = desk.now()
    incident = accepted(desk, time=minute(now - timedelta(hours=2)))
    view = desk.post(f"/incidents/{incident['number']}/on-scene").json()
    assert datetime.fromisoformat(view["on_scene_at"]) >= first_arrival(incident)


# =========================================================================== §7 dates within bounds
@pytest.mark.parametrize(
    "time",
    ["0001-01-01T00:00", "1970-01-01T00:00", "2000-01-01T08:00", "2030-06-01T08:00", "9999-12-31T23:59"],
)
def test_a_report_time_out_of_all_reason_is_a_400_naming_time(desk_served, time):
    response = desk_served.report(time=time)
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith("time:")
    assert desk_served.numbers() == []


@pytest.mark.parametrize("time", ["２０２６-12-07T07:40", "2026-１2-07T07:40", "2026-12-07T0７:40", "٢٠٢٦-12-07T07:40"])
def test_only_ascii_digits_make_a_time(desk, time):
    response = desk.report(time=time)
    assert response.status_code == 400 and response.json()["detail"].startswith("time:")
    incident = accepted(desk)
    response = desk.post(f"/incidents/{incident['number']}/on-scene", {"at": time.replace("07:40", "08:40")})
    assert response.status_code == 400 and response.json()["detail"].startswith("at:")


def test_an_on_scene_at_the_end_of_time_is_refused_and_the_kpis_stay_sane(desk_served):
    incident = accepted(desk_served)
    response = desk_served.post(f"/incidents/{incident['number']}/on-scene", {"at": "9999-12-31T23:59"})
    assert response.status_code == 400 and response.json()["detail"].startswith("at:")
    assert desk_served.get("/kpis").json()["response_min"]["count"] == 0


def test_the_clock_s_window_takes_a_report_of_now_on_any_date(desk):
    assert desk.report(time=minute(china_now() - timedelta(hours=2))).status_code == 201
    assert desk.report(vehicle_id="c02", time=minute(china_now() + timedelta(days=400))).status_code == 400


def test_the_window_is_a_setting(tmp_path):
    with running_desk(sqlite_url(tmp_path), time_window_days=1) as desk:
        assert desk.report(time="2027-01-05T07:40").status_code == 400  # a month after the timetable
        assert desk.report(time="2026-12-13T20:00").status_code == 201  # within a day of its last day
        response = desk.report(vehicle_id="c02", time=minute(china_now() - timedelta(days=3)))
        timetable = datetime(2026, 12, 6) <= china_now() - timedelta(days=3) <= datetime(2026, 12, 15)
        assert response.status_code == (201 if timetable else 400)


# =========================================================================== the desk in a browser
@pytest.fixture(scope="module")
def service(tmp_path_factory):
    from tests.api.browser_util import running_service

    with running_service(tmp_path_factory.mktemp("records-true")) as running:
        yield running


@pytest.fixture
def page(browser, service):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-GB", timezone_id="Asia/Shanghai")
    context.set_default_timeout(30_000)
    tab = context.new_page()
    tab.goto(service.base_url + "/")
    tab.fill("#token", service.token)
    tab.press("#token", "Enter")
    tab.wait_for_selector("#vehicle option[value='c01']", state="attached")
    yield tab
    context.close()


def show(page, number: int) -> None:
    page.locator(f"#incidents tr[data-number='{number}'] button[data-focus='show']").click()
    page.wait_for_selector(f"#options .incident-head[data-number='{number}']")


def test_the_on_scene_dialog_proposes_the_plan_s_arrival_not_the_report_time(page, service):
    status, incident = service.json("POST", "/incidents", {**C11_AT_K30, "vehicle_id": "c12"})
    assert status == 201
    status, incident = service.json("POST", f"/incidents/{incident['number']}/accept", {"rank": 1})
    assert status == 200
    eta = min(a["scene_eta_min"] for a in incident["accepted"]["plan"]["assignments"])
    arrival = datetime.fromisoformat(incident["reported_at"]) + timedelta(minutes=math.ceil(eta))
    proposed = max(arrival, china_now().replace(second=0))
    row = page.locator(f"#incidents tbody tr[data-number='{incident['number']}']")
    row.locator("button[data-step='on-scene']").click()
    page.wait_for_selector("#step-dialog[open]")
    value = datetime.fromisoformat(page.input_value("#step-at"))
    assert proposed <= value <= proposed + MINUTE  # the clock may turn a minute meanwhile
    page.click("#step-confirm")
    page.wait_for_function(
        f"() => document.querySelector(\"#incidents tr[data-number='{incident['number']}']\")?.dataset.status"
        " === 'on_scene'"
    )
    _, view = service.json("GET", f"/incidents/{incident['number']}")
    assert view["response_min"] >= eta - 2  # never the "0 / 60 min" of one Confirm


def test_a_plan_that_sends_nobody_has_no_accept_button(page, service):
    _, fleet = service.json("GET", "/fleet")
    kept = [v for v in fleet if v["id"] != "c01" and v["status"] != "workshop"]
    for vehicle in kept:
        service.request("PATCH", f"/fleet/{vehicle['id']}", {"status": "workshop", "reason": "test"}, service.token)
    try:
        status, incident = service.json("POST", "/incidents", {**C11_AT_K30, "vehicle_id": "c01"})
        assert status == 201 and not incident["options"]["plans"][0]["assignments"]
        show(page, incident["number"])
        card = page.locator("#options article.plan[data-rank='1']")
        assert card.locator("button.accept").count() == 0
        assert card.locator(".no-accept").inner_text() == "No coach can be sent: nothing to accept"
    finally:
        for vehicle in kept:
            change = {"status": vehicle["status"], "reason": "test done"}
            service.request("PATCH", f"/fleet/{vehicle['id']}", change, service.token)
