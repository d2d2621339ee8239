"""The ready messages over HTTP (issue 17): accepting a plan queues one message per recipient and
language, the service sends them through the log or a webhook (a local http.server), and the desk
reads, acknowledges and resends them; errors are 4xx naming the field.

Tests using ``desk_any`` run on SQLite and on PostgreSQL (skipped without a server).
"""

from __future__ import annotations

import json
import re
import time

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.messages import compose

from api.messaging.facts import dispatch_facts
from api.messaging.gateways import gateway_for
from api.messaging.sender import Sender

from tests.api.http_support import running_desk, sqlite_url
from tests.api.test_outbox import url_of, webhook_server

POLL_S = 30  # bounded waits for the background sender (it looks every 0.1 s here)
RECIPIENTS = [  # the default report: c01 on T1207-AM1 at G1 K78 toward Siping, rescued from Changchun
    "rescue_driver",
    "cover_driver",
    "failed_driver",
    "passengers",
    "university_transport_office",
    "duty_manager",
]


@pytest.fixture
def desk(tmp_path):
    with running_desk(sqlite_url(tmp_path), message_send_every_s=0) as running:
        yield running


@pytest.fixture
def desk_any(store_url):
    with running_desk(store_url, message_send_every_s=0) as running:
        yield running


def accepted(desk, **changes) -> int:
    number = desk.report(**changes).json()["number"]
    response = desk.post(f"/incidents/{number}/accept", {"rank": 1})
    assert response.status_code == 200, response.text
    return number


def messages(desk, number: int) -> list[dict]:
    response = desk.get(f"/incidents/{number}/messages")
    assert response.status_code == 200, response.text
    return response.json()


def send_now(desk) -> None:
    """One round of the sender, as the service's thread would run it."""
    app = desk.client.app
    Sender(app.state.outbox, gateway_for(app.state.settings), every_s=1).run_once()


def wait_for(check, what: str):
    deadline = time.monotonic() + POLL_S
    while time.monotonic() < deadline:  # bounded
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"not within {POLL_S} s: {what}")


# --------------------------------------------------------------------------- queued with the accept
def test_accepting_a_plan_queues_a_message_per_recipient_and_language(desk_any):
    number = desk_any.report().json()["number"]
    assert messages(desk_any, number) == []  # nothing before a plan is accepted
    assert desk_any.post(f"/incidents/{number}/accept", {"rank": 1}).status_code == 200
    queued = messages(desk_any, number)
    roles = list(dict.fromkeys(m["recipient_role"] for m in queued))
    assert roles == RECIPIENTS
    assert sorted((m["recipient_role"], m["recipient_id"], m["lang"]) for m in queued) == sorted(
        (m["recipient_role"], m["recipient_id"], lang) for m in queued[::2] for lang in ("zh", "en")
    )
    assert {(m["status"], m["attempts"], m["error"], m["sent_at"]) for m in queued} == {("queued", 0, None, None)}
    assert set(queued[0]) == {
        "id",
        "recipient_role",
        "recipient_id",
        "recipient_name",
        "phone",
        "lang",
        "text",
        "status",
        "attempts",
        "error",
        "queued_at",
        "sent_at",
        "acknowledged_at",
        "acknowledged_by",
    }
    incident = desk_any.get(f"/incidents/{number}").json()
    assert incident["messages"] == queued
    accepted_plan = incident["accepted"]["plan"]["assignments"][0]
    rescue = next(m for m in queued if m["recipient_role"] == "rescue_driver" and m["lang"] == "zh")
    assert rescue["recipient_id"] == accepted_plan["driver_id"] and rescue["phone"]
    assert "往四平方向" in rescue["text"] and "42 名乘客" in rescue["text"]
    assert f"到达（时限 {accepted_plan['deadline']}）" in rescue["text"]
    for message in queued:
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", message["text"]), message["text"]  # places by name, not id
    passengers = [m for m in queued if m["recipient_role"] == "passengers"]
    assert {m["phone"] for m in passengers} == {None} and len(passengers[0]["text"]) <= 140


@pytest.fixture
def solo_desk_any(store_url):
    """Each incident planned alone (``FLEETPLAN_JOINT_PLANNING=false``), so two incidents' options can
    name the same coach; the joint accept's messages: tests/api/test_http_joint.py."""
    with running_desk(store_url, message_send_every_s=0, joint_planning=False) as running:
        yield running


def test_a_refused_or_repeated_accept_queues_nothing(solo_desk_any):
    desk_any = solo_desk_any
    desk_any.keep_only("c01", "c02", "c09")  # both rescues must use c09
    first = desk_any.report().json()["number"]
    second = desk_any.report(vehicle_id="c02").json()["number"]
    assert desk_any.post(f"/incidents/{first}/accept", {"rank": 1}).status_code == 200
    assert desk_any.post(f"/incidents/{second}/accept", {"rank": 1}).status_code == 409  # c09 is taken
    assert messages(desk_any, second) == []
    queued = messages(desk_any, first)
    assert desk_any.post(f"/incidents/{first}/accept", {"rank": 1}).status_code == 409  # accepted already
    assert messages(desk_any, first) == queued


# --------------------------------------------------------------------------- sent by the service
def test_the_service_sends_them_through_the_log_by_itself(tmp_path):
    with running_desk(sqlite_url(tmp_path), message_send_every_s=0.1) as desk:
        number = accepted(desk)
        sent = wait_for(
            lambda: (ms := messages(desk, number)) and all(m["status"] == "sent" for m in ms) and ms, "all sent"
        )
    lines = [json.loads(line) for line in (tmp_path / "var" / "messages.jsonl").read_text("utf-8").splitlines()]
    assert [line["id"] for line in lines] == [m["id"] for m in sent]
    assert {line["incident_number"] for line in lines} == {number}
    assert [line["text"] for line in lines] == [m["text"] for m in sent]


def test_the_webhook_setting_posts_them_with_the_token(tmp_path):
    with webhook_server(202) as server:
        settings = {"message_send_every_s": 0.1, "message_webhook_url": url_of(server)}
        with running_desk(sqlite_url(tmp_path), message_webhook_token="hook-token", **settings) as desk:
            number = accepted(desk)
            wait_for(lambda: all(m["status"] == "sent" for m in messages(desk, number)), "all sent")
            count = len(messages(desk, number))
    received = server.received  # type: ignore[attr-defined]
    assert len(received) == count and {headers["Authorization"] for headers, _ in received} == {"Bearer hook-token"}
    assert {body["incident_number"] for _, body in received} == {number}
    assert not (tmp_path / "var" / "messages.jsonl").exists()


def test_a_refusing_webhook_fails_them_and_a_resend_delivers_one(tmp_path):
    with webhook_server(500) as server:
        settings = {"message_webhook_url": url_of(server), "message_max_attempts": 2, "message_backoff_s": 0}
        with running_desk(sqlite_url(tmp_path), message_send_every_s=0, **settings) as desk:
            number = accepted(desk)
            send_now(desk)
            send_now(desk)
            failed = messages(desk, number)
            assert {(m["status"], m["attempts"]) for m in failed} == {("failed", 2)}
            assert failed[0]["error"].startswith("webhook answered HTTP 500")
            server.status = 200  # type: ignore[attr-defined]
            response = desk.post(f"/incidents/{number}/messages/{failed[0]['id']}/resend")
            assert response.status_code == 200 and response.json()["status"] == "queued"
            send_now(desk)
            again = messages(desk, number)
            assert (again[0]["status"], again[0]["attempts"], again[0]["error"]) == ("sent", 3, None)
            assert {m["status"] for m in again[1:]} == {"failed"}
            resend_sent = desk.post(f"/incidents/{number}/messages/{failed[0]['id']}/resend")
            assert resend_sent.status_code == 409 and resend_sent.json()["detail"].startswith("status:")


# --------------------------------------------------------------------------- the dispatcher's steps
def test_a_sent_message_is_acknowledged_once_by_a_dispatcher(desk_any):
    number = accepted(desk_any)
    first = messages(desk_any, number)[0]
    ack = f"/incidents/{number}/messages/{first['id']}/ack"
    early = desk_any.post(ack)
    assert early.status_code == 409 and early.json()["detail"] == (
        f"status: message {first['id']} is queued; only a sent message can be acknowledged, once"
    )
    send_now(desk_any)
    assert desk_any.post(ack, role="viewer").status_code == 403
    done = desk_any.post(ack)
    assert done.status_code == 200
    body = done.json()
    assert (body["status"], body["acknowledged_by"]) == ("acknowledged", "dispatcher-user")
    assert body["acknowledged_at"] and body["sent_at"]
    again = desk_any.post(ack, role="admin")
    assert again.status_code == 409 and "is acknowledged" in again.json()["detail"]
    assert messages(desk_any, number)[0]["acknowledged_by"] == "dispatcher-user"


def test_unknown_incidents_and_messages_are_404_naming_the_field(desk):
    number = accepted(desk)
    other = desk.report(vehicle_id="c02").json()["number"]
    first = messages(desk, number)[0]["id"]
    for path, field in (
        ("/incidents/99/messages", "number"),
        ("/incidents/99/messages/1/ack", "number"),
        (f"/incidents/{number}/messages/99999/ack", "message_id"),
        (f"/incidents/{number}/messages/99999/resend", "message_id"),
        (f"/incidents/{other}/messages/{first}/ack", "message_id"),  # another incident's message
    ):
        response = desk.get(path) if path.endswith("messages") else desk.post(path)
        assert response.status_code == 404, path
        assert response.json()["detail"].startswith(f"{field}:"), response.json()
    bad = desk.post(f"/incidents/{number}/messages/0/ack")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["path", "message_id"]
    assert desk.post(f"/incidents/{number}/messages/x/resend").status_code == 422


def test_reading_needs_a_token_and_writing_the_dispatcher_role(desk):
    number = accepted(desk)
    first = messages(desk, number)[0]["id"]
    assert desk.client.get(f"/incidents/{number}/messages").status_code == 401
    assert desk.get(f"/incidents/{number}/messages", role="planner").status_code == 200
    assert desk.post(f"/incidents/{number}/messages/{first}/resend", role="planner").status_code == 403
    assert desk.client.post(f"/incidents/{number}/messages/{first}/ack").status_code == 401


# --------------------------------------------------------------------------- the record and the contract
def test_the_printed_record_has_the_outbox(desk):
    number = accepted(desk)
    send_now(desk)
    page = desk.get(f"/incidents/{number}/record")
    assert page.status_code == 200
    assert "6 · 消息 Outbox" in page.text and "救援驾驶员 rescue driver" in page.text and "已发送 sent" in page.text
    rescue = messages(desk, number)[0]
    assert rescue["text"].split("，")[0] in page.text
    empty = desk.get(f"/incidents/{desk.report(vehicle_id='c02').json()['number']}/record")
    assert "无消息 No messages." in empty.text


def test_the_routes_are_documented_with_their_errors(desk):
    paths = desk.client.get("/openapi.json").json()["paths"]
    listing = paths["/incidents/{number}/messages"]["get"]
    assert listing["summary"] and {"401", "403", "404"} <= set(listing["responses"])
    for step in ("ack", "resend"):
        operation = paths[f"/incidents/{{number}}/messages/{{message_id}}/{step}"]["post"]
        assert operation["summary"] and {"401", "403", "404", "409"} <= set(operation["responses"])


def test_an_escorted_entry_in_the_accepted_options_tells_the_highway_police(desk):
    """The options' closure_exemption relaxation marks a plan that needs the police to escort a coach
    in through a closure (solver.dispatch.relax); then 12122 gets the request."""
    number = accepted(desk)
    record = desk.client.app.state.store.incident(number)
    options = desk.get(f"/incidents/{number}").json()["options"]
    plan = options["plans"][0]
    escorted = {
        **options,
        "relaxations": [{"kind": "closure_exemption", "description": "…", "amount": 1}],
        "inputs": {**options["inputs"], "conditions": {**options["inputs"]["conditions"], "closed_entrances": ["*"]}},
    }
    corridor = load_corridor()
    facts = dispatch_facts(record, escorted, plan, "dispatcher-user", record.reported_at)
    assert facts.escorted_entry and facts.closed_entrances == ("*",)
    police = [m for m in compose(corridor, facts) if m.recipient_role == "highway_police"]
    assert [(m.phone, m.lang) for m in police] == [("12122", "zh"), ("12122", "en")]
    assert "高速入口全部封闭" in police[0].text
    plain = dispatch_facts(record, options, plan, "dispatcher-user", record.reported_at)
    assert not plain.escorted_entry and not [
        m for m in compose(corridor, plain) if m.recipient_role == "highway_police"
    ]
