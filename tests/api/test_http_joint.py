"""Joint re-planning at the desk (issue 18 §3), over HTTP: incidents reported while others are open and
not accepted are planned together, accepting one accepts the joint plan for all, an accepted plan can
be released before anyone is on scene, and a proposal that changes says why.

The data are those of ``tests/scenarios/route_friday_one_backup_collects_both_groups.toml``: Friday
2026-12-11 14:18, c15 fails at G1 K11 toward Changchun with 20 aboard, c16 at K13 with 25; with the
other Siping backups out (here: in the workshop) only c19 can reach them in time, and only by
collecting both groups on one route.
"""

from __future__ import annotations

import csv
import io
import threading

import pytest

from api.desk.joint_views import crews_of
from api.records.types import EntryKind
from api.routers.events import desk_incidents

from tests.api.http_support import running_desk, sqlite_url

OUT = ("c21", "c22", "c23", "c24", "c01", "c02", "c03", "c04", "c17", "c18")  # the scenario's unavailable
FR1 = {"vehicle_id": "c15", "location": "G1 K11 toward Changchun", "time": "2026-12-11T14:18", "passengers": 20}
FR2 = {"vehicle_id": "c16", "location": "G1 K13 toward Changchun", "time": "2026-12-11T14:18", "passengers": 25}
SETTINGS = {"dispatch_time_limit_s": 1.0, "clock_from": "2026-12-11T14:30"}  # a drill clock on that Friday


@pytest.fixture
def friday(tmp_path):
    """The desk on that Friday with the scenario's coaches in the workshop."""
    with running_desk(sqlite_url(tmp_path), **SETTINGS) as desk:
        for vehicle_id in OUT:
            change = {"status": "workshop", "reason": "test: out as in the scenario"}
            response = desk.client.patch(f"/fleet/{vehicle_id}", json=change, headers=desk.headers())
            assert response.status_code == 200, response.text
        yield desk


@pytest.fixture
def open_desk(tmp_path):
    """The same Friday with the whole fleet."""
    with running_desk(sqlite_url(tmp_path), **SETTINGS) as desk:
        yield desk


def reported(desk, report: dict) -> dict:
    response = desk.post("/incidents", report)
    assert response.status_code == 201, response.text
    return response.json()


def both_reported(desk) -> tuple[dict, dict]:
    """FR1 then FR2 reported; both records as the desk reads them after the second report."""
    first, second = reported(desk, FR1), reported(desk, FR2)
    return desk.get(f"/incidents/{first['number']}").json(), second


def crews(plan: dict) -> list[tuple[str, str]]:
    return [(a["vehicle_id"], a["driver_id"]) for a in plan["assignments"]]


def active_bookings(desk) -> list[tuple[int, str, str]]:
    """(incident, coach or "", driver or "") of every active booking, sorted."""
    with desk.records() as store:
        return sorted((b.incident_number, b.vehicle_id or "", b.driver_id or "") for b in store.bookings())


# --------------------------------------------------------------------------- (a) joint options
def test_a_second_report_plans_both_together_and_one_coach_collects_both_groups(friday):
    first = reported(friday, FR1)
    alone = first["options"]["plans"][0]
    assert first["options"].get("planned_with") is None and len(alone["assignments"]) == 1
    coach = alone["assignments"][0]["vehicle_id"]
    two = reported(friday, FR2)
    one = friday.get(f"/incidents/{first['number']}").json()
    assert one["options"]["planned_with"] == [two["number"]] and two["options"]["planned_with"] == [one["number"]]
    assert one["options"]["joint"]["id"] == two["options"]["joint"]["id"]
    assert one["options"]["joint"]["incidents"] == [one["number"], two["number"]]
    best_one, best_two = one["options"]["plans"][0], two["options"]["plans"][0]
    # each record holds its own part of the same first plan: one coach, one route, through both scenes
    assert len(best_one["assignments"]) == 1 and len(best_two["assignments"]) == 1
    route_one, route_two = best_one["assignments"][0], best_two["assignments"][0]
    assert route_one["vehicle_id"] == route_two["vehicle_id"] == coach
    assert route_one["route_id"] is not None and route_one["route_id"] == route_two["route_id"]
    assert route_one["incident_id"] == str(one["number"]) and route_two["incident_id"] == str(two["number"])
    assert (route_one["passengers"], route_two["passengers"]) == (20, 25)
    assert best_one["outcome"] == {"reached_in_time": 20, "reached_late": [], "not_reached": 0}
    assert best_two["outcome"] == {"reached_in_time": 25, "reached_late": [], "not_reached": 0}
    assert [i["incident_id"] for i in one["options"]["incidents"]] == [str(one["number"])]
    stops = {stop.get("incident") for stop in best_one["routes"][0]["stops"]}
    assert {str(one["number"]), str(two["number"])} <= stops
    # the first incident's proposal changed (its coach now also collects the second group): it says why
    assert best_one["changed_because"].startswith(f"incident {two['number']} was reported")
    assert coach in best_one["changed_because"] and "both groups" in best_one["changed_because"]
    assert best_one["changed_because_zh"].startswith(f"事件 {two['number']} 上报")
    assert best_two.get("changed_because") is None  # the new incident had no proposal before


# --------------------------------------------------------------------------- (b) joint accept
def test_accepting_one_accepts_both_and_books_the_shared_coach_once(friday):
    one, two = both_reported(friday)
    coach = one["options"]["plans"][0]["assignments"][0]["vehicle_id"]
    driver = one["options"]["plans"][0]["assignments"][0]["driver_id"]
    response = friday.post(f"/incidents/{two['number']}/accept", {"rank": 1})
    assert response.status_code == 200, response.text
    accepted = response.json()
    assert accepted["status"] == "accepted" and accepted["accepted"]["accepted_with"] == [one["number"]]
    other = friday.get(f"/incidents/{one['number']}").json()
    assert other["status"] == "accepted" and other["accepted"]["accepted_with"] == [two["number"]]
    assert crews(other["accepted"]["plan"]) == crews(accepted["accepted"]["plan"]) == [(coach, driver)]
    # booked once, under the first incident; the records stay true
    assert active_bookings(friday) == [(one["number"], "", driver), (one["number"], coach, "")]
    with friday.records() as store:
        assert store.integrity_problems() == []
    # a third incident cannot have that coach, though it is booked under incident 1 only
    third = reported(friday, {**FR1, "vehicle_id": "c14", "location": "G1 K15 toward Changchun"})
    assert coach not in {a["vehicle_id"] for plan in third["options"]["plans"] for a in plan["assignments"]}


def test_an_accept_of_options_planned_again_since_they_were_shown_is_refused_with_them(friday):
    first = reported(friday, FR1)  # the desk shows these options, planned alone
    two = reported(friday, FR2)  # another desk's report plans both again, together
    stale = friday.post(f"/incidents/{first['number']}/accept", {"rank": 1, "joint_id": ""})
    assert stale.status_code == 409
    body = stale.json()
    assert body["detail"].startswith("rank: the options were planned again since you saw them")
    assert f"incident {two['number']} was reported" in body["detail"]
    assert body["options"]["planned_with"] == [two["number"]] and active_bookings(friday) == []
    accepted = friday.post(
        f"/incidents/{first['number']}/accept", {"rank": 1, "joint_id": body["options"]["joint"]["id"]}
    )
    assert accepted.status_code == 200 and accepted.json()["accepted"]["accepted_with"] == [two["number"]]
    assert friday.post(f"/incidents/{first['number']}/accept", {"rank": 1, "joint_id": "XYZ"}).status_code == 422


def test_an_accept_naming_a_joint_plan_the_incident_never_had_says_so(friday):
    first = reported(friday, FR1)
    reported(friday, FR2)
    unknown = friday.post(f"/incidents/{first['number']}/accept", {"rank": 1, "joint_id": "deadbeef"})
    assert unknown.status_code == 409
    body = unknown.json()
    assert body["detail"].startswith(f"joint_id: deadbeef was never a plan of incident {first['number']}")
    assert body["options"]["joint"]["id"] and active_bookings(friday) == []


def test_a_joint_accept_queues_each_incidents_messages_once(friday):
    one, two = both_reported(friday)
    assert friday.post(f"/incidents/{one['number']}/accept", {"rank": 1}).status_code == 200
    queued = {n: friday.get(f"/incidents/{n}/messages").json() for n in (one["number"], two["number"])}
    for messages in queued.values():  # each part's own: the shared coach's driver hears of each group
        assert any(m["recipient_role"] == "rescue_driver" for m in messages)
    ids = [{m["id"] for m in messages} for messages in queued.values()]
    assert ids[0] and ids[1] and not ids[0] & ids[1]
    assert friday.post(f"/incidents/{two['number']}/accept", {"rank": 1}).status_code == 409  # accepted already
    assert {n: friday.get(f"/incidents/{n}/messages").json() for n in queued} == queued


def test_a_joint_accept_is_refused_when_a_partner_was_voided_meanwhile(friday):
    one, two = both_reported(friday)
    assert friday.post(f"/incidents/{one['number']}/void", {"reason": "reported twice"}).status_code == 200
    response = friday.post(f"/incidents/{two['number']}/accept", {"rank": 1})
    assert response.status_code == 409
    body = response.json()
    assert f"incident {one['number']}" in body["detail"] and "voided" in body["detail"]
    assert body["options"] is not None and body["options"].get("planned_with") is None  # planned alone now
    assert active_bookings(friday) == []
    assert friday.get(f"/incidents/{two['number']}").json()["status"] == "options"


# --------------------------------------------------------------------------- (c) plan together
def test_plan_together_replans_the_open_incidents_with_a_new_joint_plan(friday):
    one, two = both_reported(friday)
    before = one["options"]["joint"]["id"]
    response = friday.post("/incidents/plan-together")
    assert response.status_code == 200, response.text
    views = response.json()
    assert [v["number"] for v in views] == [one["number"], two["number"]]
    joint = views[0]["options"]["joint"]
    assert joint["id"] != before and joint["id"] == views[1]["options"]["joint"]["id"]
    assert joint["trigger"] == "the dispatcher asked to plan them together" and joint["trigger_zh"]
    # same data, same plan: the proposals did not change, so none says it changed
    assert crews(views[0]["options"]["plans"][0]) == crews(one["options"]["plans"][0])
    assert all(v["options"]["plans"][0].get("changed_because") is None for v in views)
    named = friday.post("/incidents/plan-together", {"numbers": [two["number"], one["number"]]})
    assert named.status_code == 200 and [v["number"] for v in named.json()] == [one["number"], two["number"]]
    assert friday.post("/incidents/plan-together", role="viewer").status_code == 403


def test_plan_together_refuses_accepted_incidents_and_fewer_than_two(friday):
    one, two = both_reported(friday)
    assert friday.post(f"/incidents/{one['number']}/accept", {"rank": 1}).status_code == 200
    refused = friday.post("/incidents/plan-together", {"numbers": [one["number"], two["number"]]})
    assert refused.status_code == 409 and "release it first" in refused.json()["detail"]
    assert refused.json()["detail"].startswith(f"status: incident {one['number']} is accepted")  # one field named
    alone = friday.post("/incidents/plan-together")
    assert alone.status_code == 409 and "at least two" in alone.json()["detail"]


# --------------------------------------------------------------------------- (d) release
def test_release_frees_the_bookings_records_why_and_replans(friday):
    one, two = both_reported(friday)
    assert friday.post(f"/incidents/{one['number']}/accept", {"rank": 1}).status_code == 200
    assert active_bookings(friday) != []
    response = friday.post(f"/incidents/{one['number']}/release", {"reason": "c19's driver is ill"})
    assert response.status_code == 200, response.text
    released = response.json()
    # its partner shares the coach: both are released and planned together again
    assert active_bookings(friday) == []
    # the released plan no longer stands: no "accepted" shown anywhere, the release said instead
    assert released["status"] == "options" and released["accepted"] is None
    assert released["released"]["reason"] == "c19's driver is ill" and released["released"]["rank"] == 1
    page = friday.client.get(f"/incidents/{one['number']}/record", headers=friday.headers("viewer")).text
    assert "Option 1 was released at" in page and "Accepted by" not in page
    exported = friday.client.get("/incidents/export.csv", headers=friday.headers("viewer")).text.lstrip("\ufeff")
    rows = {row["number"]: row for row in csv.DictReader(io.StringIO(exported))}
    assert rows[str(one["number"])]["accepted_rescue_coaches"] == ""
    assert released["options"]["planned_with"] == [two["number"]]
    assert released["options"]["joint"]["trigger"] == f"incidents {one['number']}, {two['number']} were released"
    entries = friday.get(f"/incidents/{one['number']}").json()["entries"]
    release = [e for e in entries if e["kind"] == "report" and "release" in e["payload"]]
    assert len(release) == 1 and release[0]["payload"]["release"]["reason"] == "c19's driver is ill"
    assert release[0]["payload"]["release"]["released_together"] == [two["number"]]
    assert friday.get(f"/incidents/{two['number']}").json()["status"] == "options"
    again = friday.post(f"/incidents/{two['number']}/release", {"reason": "twice"})  # the partner, not one
    assert again.status_code == 409 and again.json()["detail"].startswith(
        f"status: incident {two['number']} is options"
    )
    # the crews told to drive out are told not to: what had not gone out is withdrawn, the rest stood down
    for number in (one["number"], two["number"]):
        messages = friday.get(f"/incidents/{number}/messages").json()
        orders = [m for m in messages if not m["text"].startswith(("CANCELLED", "CHANGED", "【取消】", "【变更】"))]
        stand_downs = {(m["recipient_id"], m["lang"]) for m in messages if m not in orders}
        assert orders and all(m["status"] in ("withdrawn", "sent") for m in orders)
        assert {(m["recipient_id"], m["lang"]) for m in orders if m["status"] == "sent"} <= stand_downs
    # accepted again, it books again
    assert friday.post(f"/incidents/{two['number']}/accept", {"rank": 1}).status_code == 200
    assert {number for number, _, _ in active_bookings(friday)} == {one["number"]}
    with friday.records() as store:
        assert store.integrity_problems() == []
    page = friday.client.get(f"/incidents/{one['number']}/record", headers=friday.headers("viewer"))
    assert page.status_code == 200 and "plan released: c19&#x27;s driver is ill" in page.text


def test_release_is_refused_once_on_scene_and_for_a_plan_not_accepted(friday):
    one, two = both_reported(friday)
    not_accepted = friday.post(f"/incidents/{one['number']}/release", {"reason": "changed my mind"})
    assert not_accepted.status_code == 409 and "only an accepted plan" in not_accepted.json()["detail"]
    assert friday.post(f"/incidents/{one['number']}/accept", {"rank": 1}).status_code == 200
    on_scene = friday.post(f"/incidents/{one['number']}/on-scene", {"at": "2026-12-11T14:30", "override_reason": "t"})
    assert on_scene.status_code == 200, on_scene.text
    refused = friday.post(f"/incidents/{one['number']}/release", {"reason": "too late"})
    assert refused.status_code == 409
    assert f"incident {one['number']} is on_scene" in refused.json()["detail"]
    assert len(active_bookings(friday)) == 2
    assert friday.get(f"/incidents/{two['number']}").json()["status"] == "accepted"


def test_a_partner_on_scene_keeps_its_plan_when_the_other_is_released(friday):
    """The warning on a plan that no longer holds says to release it: a partner whose rescue has started
    keeps its plan and bookings, and the one released is planned without the coach that partner holds."""
    one, two = both_reported(friday)
    assert friday.post(f"/incidents/{one['number']}/accept", {"rank": 1}).status_code == 200
    on_scene = friday.post(f"/incidents/{one['number']}/on-scene", {"at": "2026-12-11T14:30", "override_reason": "t"})
    assert on_scene.status_code == 200, on_scene.text
    held = {(vehicle_id, driver_id) for n, vehicle_id, driver_id in active_bookings(friday) if n == one["number"]}
    response = friday.post(f"/incidents/{two['number']}/release", {"reason": "its second stop is off"})
    assert response.status_code == 200, response.text
    released = response.json()
    assert released["status"] == "options"
    entries = friday.get(f"/incidents/{two['number']}").json()["entries"]
    release = [e for e in entries if e["kind"] == "report" and "release" in e["payload"]]
    assert release[-1]["payload"]["release"]["released_together"] == []
    assert release[-1]["payload"]["release"]["partners_under_way"] == [one["number"]]
    assert friday.get(f"/incidents/{one['number']}").json()["status"] == "on_scene"
    assert {(v, d) for n, v, d in active_bookings(friday)} == held  # one's bookings stand, two's are freed
    held_coaches = {vehicle_id for vehicle_id, _ in held if vehicle_id}
    assert held_coaches
    for plan in released["options"]["plans"]:
        assert not held_coaches & {a["vehicle_id"] for a in plan["assignments"]}


# --------------------------------------------------------------------------- (e) stability
def test_a_far_unrelated_report_leaves_the_first_proposal_as_it_was(open_desk):
    first = reported(open_desk, FR1)
    proposal = crews(first["options"]["plans"][0])
    far = reported(open_desk, {"vehicle_id": "c06", "location": "G1 K118 toward Changchun",
                               "time": "2026-12-11T14:25", "passengers": 30})  # fmt: skip
    again = open_desk.get(f"/incidents/{first['number']}").json()
    assert again["options"]["planned_with"] == [far["number"]]
    best = again["options"]["plans"][0]
    assert crews(best) == proposal
    assert best.get("changed_because") is None
    assert not ({v for v, _ in proposal} & {a["vehicle_id"] for a in far["options"]["plans"][0]["assignments"]})


# --------------------------------------------------------------------------- (f) bad input
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"numbers": "1,2"}, "numbers"),
        ({"numbers": [1]}, "numbers"),
        ({"numbers": [0, 1]}, "numbers"),
        ({"numbers": [1, True]}, "numbers"),
        ({"numbers": [1, 2], "all": True}, "all"),
    ],
)
def test_plan_together_rejects_bad_bodies_naming_the_field(open_desk, body, field):
    response = open_desk.post("/incidents/plan-together", body)
    assert response.status_code == 422
    assert any(field in [str(part) for part in error["loc"]] for error in response.json()["detail"])


def test_plan_together_names_numbers_that_are_repeated_unknown_or_hours_apart(open_desk):
    one = reported(open_desk, FR1)
    for numbers in ([one["number"], one["number"]], [one["number"], 99]):
        response = open_desk.post("/incidents/plan-together", {"numbers": numbers})
        assert response.status_code == 400 and response.json()["detail"].startswith("numbers")
    earlier = reported(open_desk, {**FR2, "time": "2026-12-11T09:00"})  # hours before: planned alone
    assert earlier["options"].get("planned_with") is None
    assert open_desk.get(f"/incidents/{one['number']}").json()["options"].get("planned_with") is None
    apart = open_desk.post("/incidents/plan-together", {"numbers": [one["number"], earlier["number"]]})
    assert apart.status_code == 400 and "more than 120 min apart" in apart.json()["detail"]
    assert open_desk.post("/incidents/plan-together").status_code == 409  # none near the latest


def test_reports_under_different_road_conditions_are_planned_apart_each_under_its_own(open_desk):
    """One plan has one weather: a later report that names none (clear) must not re-plan a blizzard
    incident as if the roads were clear, nor a blizzard report turn a clear one's plan to snow speeds."""
    storm = reported(open_desk, {**FR1, "conditions": "blizzard"})
    clear = reported(open_desk, FR2)
    storm_now = open_desk.get(f"/incidents/{storm['number']}").json()
    assert storm_now["options"].get("planned_with") is None and clear["options"].get("planned_with") is None
    assert storm_now["options"] == storm["options"]  # not re-planned by the clear report
    assert storm_now["options"]["inputs"]["conditions"]["preset"] == "blizzard"
    assert clear["options"]["inputs"]["conditions"]["preset"] == "clear"
    mixed = open_desk.post("/incidents/plan-together", {"numbers": [storm["number"], clear["number"]]})
    assert mixed.status_code == 400
    assert mixed.json()["detail"].startswith("numbers") and "blizzard, clear" in mixed.json()["detail"]
    assert open_desk.post("/incidents/plan-together").status_code == 409  # none under the latest's conditions
    also_storm = reported(open_desk, {**FR2, "vehicle_id": "c05", "conditions": "blizzard"})
    assert also_storm["options"]["planned_with"] == [storm["number"]]
    assert also_storm["options"]["inputs"]["conditions"]["preset"] == "blizzard"


def test_get_of_the_plan_together_path_is_not_an_incident_number(open_desk):
    assert open_desk.get("/incidents/plan-together").status_code == 405
    assert open_desk.client.options("/incidents/plan-together", headers=open_desk.headers()).headers["allow"] == (
        "OPTIONS, POST"
    )


def test_release_rejects_bad_input(open_desk):
    one = reported(open_desk, FR1)
    for body in (None, {}, {"reason": ""}, {"reason": "x", "rank": 1}):
        assert open_desk.post(f"/incidents/{one['number']}/release", body).status_code == 422
    assert open_desk.post("/incidents/99/release", {"reason": "x"}).status_code == 404
    assert open_desk.post("/incidents/0/release", {"reason": "x"}).status_code == 422
    assert open_desk.post(f"/incidents/{one['number']}/release", {"reason": "x"}, role="viewer").status_code == 403


def test_a_coach_that_breaks_down_itself_leaves_the_open_proposals_at_once(open_desk):
    first = reported(open_desk, FR1)
    coach = first["options"]["plans"][0]["assignments"][0]["vehicle_id"]
    broken = reported(open_desk, {"vehicle_id": coach, "location": "G1 K60 toward Siping",
                                  "time": "2026-12-11T14:25", "passengers": 0})  # fmt: skip
    again = open_desk.get(f"/incidents/{first['number']}").json()
    assert again["options"]["planned_with"] == [broken["number"]]
    assert all(coach not in {a["vehicle_id"] for a in plan["assignments"]} for plan in again["options"]["plans"])
    why = again["options"]["plans"][0]["changed_because"]
    assert why.startswith(f"incident {broken['number']} was reported") and coach in why
    # the empty coach's incident strands nobody and books nothing: accepting the plan leaves it open
    accepted = open_desk.post(f"/incidents/{first['number']}/accept", {"rank": 1})
    assert accepted.status_code == 200 and accepted.json()["accepted"]["accepted_with"] == []
    assert open_desk.get(f"/incidents/{broken['number']}").json()["status"] == "options"


# --------------------------------------------------------------------------- (g) reports at the same time
def test_reports_at_the_same_time_end_in_one_joint_plan_for_all_the_open_incidents(open_desk):
    """Two reports sent at once while a first incident is open: whichever batch each lands in, the
    joint plans run one batch after another, so the last one stored holds all three incidents and every
    record's options are that plan's part (none is left with an older plan that misses a partner)."""
    first = reported(open_desk, FR1)
    far = {"vehicle_id": "c06", "location": "G1 K118 toward Changchun", "time": "2026-12-11T14:25", "passengers": 30}
    answers: dict[str, dict] = {}

    def report(name: str, body: dict) -> None:
        answers[name] = reported(open_desk, body)

    threads = [threading.Thread(target=report, args=(n, b)) for n, b in (("fr2", FR2), ("far", far))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert set(answers) == {"fr2", "far"}
    numbers = sorted([first["number"], answers["fr2"]["number"], answers["far"]["number"]])
    for answer in answers.values():
        assert answer["options"] is not None and answer["options"]["joint"]["trigger"].startswith("incident")
    joints = [open_desk.get(f"/incidents/{n}").json()["options"]["joint"] for n in numbers]
    assert {joint["id"] for joint in joints} == {joints[0]["id"]}
    assert sorted(joints[0]["incidents"]) == numbers


@pytest.mark.parametrize("trial", range(3))
def test_reports_sent_at_once_never_change_a_proposal_without_saying_why(open_desk, trial):
    """The first report of a burst has no open partner yet; its own plan and the joint re-plan a second
    report triggers must not race: each stored proposal that differs from the one before it says why,
    and every incident's latest options are one joint plan holding all three."""
    near = [FR1, FR2, {**FR2, "vehicle_id": "c05", "location": "G1 K15 toward Changchun", "passengers": 15}]
    answers: list[dict] = []
    threads = [threading.Thread(target=lambda body=body: answers.append(reported(open_desk, body))) for body in near]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 3
    numbers = sorted(answer["number"] for answer in answers)
    with open_desk.records() as store:
        records = [store.incident(n) for n in numbers]
    for record in records:
        proposals = [e.payload["plans"][0] for e in record.entries if e.kind.value == "options" and e.payload["plans"]]
        for before, after in zip(proposals, proposals[1:]):
            if crews_of(before) != crews_of(after):
                assert after.get("changed_because"), (record.number, crews_of(before), crews_of(after))
    joints = [record.latest(EntryKind.OPTIONS).payload.get("joint") or {} for record in records]
    assert {joint.get("id") for joint in joints} == {joints[0].get("id")} and joints[0].get("id")
    assert sorted(joints[0]["incidents"]) == numbers


def test_fresh_options_for_an_incident_planned_together_replan_its_partners_with_it(friday):
    """POST /incidents/{n}/options on an incident of a joint plan: alone, it would leave the plan its
    partners still point to; it is planned again with them, the trigger saying the dispatcher asked."""
    one, two = both_reported(friday)
    response = friday.post(f"/incidents/{one['number']}/options")
    assert response.status_code == 200, response.text
    fresh = response.json()["options"]
    assert fresh["planned_with"] == [two["number"]]
    assert fresh["joint"]["trigger"] == f"fresh options were asked for incident {one['number']}"
    assert fresh["joint"]["trigger_zh"] == f"调度员要求重新计算事件 {one['number']} 的方案"
    partner = friday.get(f"/incidents/{two['number']}").json()["options"]
    assert partner["joint"]["id"] == fresh["joint"]["id"] and partner["planned_with"] == [one["number"]]
    # the same world: the proposal stays (one coach on one route through both scenes)
    assert crews_of(fresh["plans"][0]) == crews_of(one["options"]["plans"][0])


def test_a_coach_of_an_accepted_plan_that_breaks_down_since_is_flagged_on_that_plan(friday):
    """The accepted plan stays as it is (only the dispatcher releases it), but the desk says at once, in
    both languages, that its coach broke down, on the incident and in the desk's list."""
    one, two = both_reported(friday)
    assert friday.post(f"/incidents/{one['number']}/accept", {"rank": 1}).status_code == 200
    assert friday.get(f"/incidents/{one['number']}").json()["warnings"] == []
    coach = one["options"]["plans"][0]["assignments"][0]["vehicle_id"]
    broken = reported(friday, {"vehicle_id": coach, "location": "G1 K20 toward Changchun",
                               "time": "2026-12-11T14:29", "passengers": 45})  # fmt: skip
    held_by = {number for number, vehicle, _ in active_bookings(friday) if vehicle == coach}
    for number in (one["number"], two["number"]):
        warnings = friday.get(f"/incidents/{number}").json()["warnings"]
        if number in held_by:
            (warning,) = warnings
            assert (warning["code"], warning["vehicle_id"], warning["incident"]) == (
                "rescue_coach_broke_down",
                coach,
                broken["number"],
            )
            assert f"incident {broken['number']}" in warning["text"] and "事件" in warning["text_zh"]
        else:
            assert warnings == []
    assert friday.get(f"/incidents/{one['number']}").json()["status"] == "accepted"  # not changed behind the desk
    listed = {view["number"]: view["warnings"] for view in desk_incidents(friday.client.app.state.desk)}
    assert [len(listed[n]) for n in sorted(held_by)] == [1] and listed[broken["number"]] == []
    friday.post(f"/incidents/{one['number']}/release", {"reason": "c19 broke down"})
    assert all(friday.get(f"/incidents/{n}").json()["warnings"] == [] for n in (one["number"], two["number"]))


def test_a_coach_of_an_accepted_plan_sent_to_the_workshop_since_is_flagged_on_that_plan(friday):
    """As a breakdown: the desk accepts the status change (the coach may well need the workshop) and
    says on the plan, in both languages, that it no longer holds; a release clears it."""
    one, _ = both_reported(friday)
    assert friday.post(f"/incidents/{one['number']}/accept", {"rank": 1}).status_code == 200
    coach = one["options"]["plans"][0]["assignments"][0]["vehicle_id"]
    change = {"status": "workshop", "reason": "brake warning light"}
    assert friday.client.patch(f"/fleet/{coach}", json=change, headers=friday.headers()).status_code == 200
    held_by = {number for number, vehicle, _ in active_bookings(friday) if vehicle == coach}
    (number,) = held_by
    (warning,) = friday.get(f"/incidents/{number}").json()["warnings"]
    assert (warning["code"], warning["vehicle_id"], warning["incident"]) == ("rescue_coach_in_workshop", coach, None)
    assert "workshop" in warning["text"] and "brake warning light" in warning["text"] and "送修" in warning["text_zh"]
    listed = {view["number"]: view["warnings"] for view in desk_incidents(friday.client.app.state.desk)}
    assert [w["code"] for w in listed[number]] == ["rescue_coach_in_workshop"]
    friday.post(f"/incidents/{number}/release", {"reason": f"{coach} in the workshop"})
    assert friday.get(f"/incidents/{number}").json()["warnings"] == []


def test_a_joint_plan_decided_at_the_later_report_can_be_accepted_from_either_incident(tmp_path):
    """Two reports 35 minutes apart are planned together at the later one: a crew whose shift starts
    between them is a crew of the joint plan. The accept checks the crews against the incidents planned
    together again, not each alone at its own time (where that crew is off shift and every accept was
    refused with the same crews offered again)."""
    early = {"vehicle_id": "c01", "location": "G1 K40 toward Siping", "time": "2026-12-08T07:30", "passengers": 42}
    later = {"vehicle_id": "c02", "location": "G1 K45 toward Siping", "time": "2026-12-08T08:05", "passengers": 40}
    with running_desk(sqlite_url(tmp_path), dispatch_time_limit_s=1.0, clock_from="2026-12-08T08:10") as desk:
        one = reported(desk, early)
        two = reported(desk, later)
        shown = desk.get(f"/incidents/{one['number']}").json()["options"]
        assert shown["planned_with"] == [two["number"]]
        accepted = desk.post(f"/incidents/{one['number']}/accept", {"rank": 1, "joint_id": shown["joint"]["id"]})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["accepted"]["accepted_with"] == [two["number"]]
        assert desk.get(f"/incidents/{two['number']}").json()["status"] == "accepted"
        with desk.records() as store:
            assert store.integrity_problems() == []


def test_a_joint_plan_whose_coach_went_to_the_workshop_since_is_refused_naming_it(friday):
    one, two = both_reported(friday)
    options = one["options"]
    (coach,) = {a["vehicle_id"] for a in options["plans"][0]["assignments"]}  # c19 collects both groups
    change = {"status": "workshop", "reason": "brake warning light"}
    assert friday.client.patch(f"/fleet/{coach}", json=change, headers=friday.headers()).status_code == 200
    refused = friday.post(f"/incidents/{one['number']}/accept", {"rank": 1, "joint_id": options["joint"]["id"]})
    assert refused.status_code == 409, refused.text
    assert f"{coach} is in the workshop" in refused.json()["detail"]
    assert active_bookings(friday) == []
    assert friday.get(f"/incidents/{two['number']}").json()["status"] == "options"
