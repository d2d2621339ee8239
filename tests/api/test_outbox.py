"""The outbox of ready messages (api.messaging): queued with the accept, claimed once by one sender
(also across two stores on one database), retried with backoff, failed after the last attempt, sent
again on request, acknowledged once; and the log and webhook gateways (a local http.server, never
the internet). Tests using ``store`` run on SQLite and on PostgreSQL (skipped without a server).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fleetplan.messages import LANGS, RecipientRole

from api.messaging.gateways import GatewayError, LogGateway, WebhookGateway, gateway_for, log_path
from api.messaging.outbox import Outbox, UnknownMessage
from api.messaging.sender import Sender
from api.records import EntryKind, InvalidTransition, SqlRecordStore, open_store
from api.records.schema import OUTBOX_LANGS, OUTBOX_ROLES
from api.records.types import BookingConflict
from api.settings import Settings

WHEN = datetime(2026, 12, 7, 7, 40)
DESK = "desk-1"


def message(recipient_id: str, lang: str = "zh", **changes) -> dict:
    return {
        "recipient_role": "rescue_driver",
        "recipient_id": recipient_id,
        "recipient_name": "郭晓东",
        "phone": "15883174386",
        "lang": lang,
        "text": f"请驾驶 c05 前往现场 ({recipient_id} {lang})",
        **changes,
    }


def accepted(store: SqlRecordStore, messages: list[dict], vehicle: str = "c05") -> int:
    record, _ = store.report(
        {"vehicle_id": "c01", "location": "G1 K78 toward Siping", "passengers": 42}, WHEN, DESK, None
    )
    store.append(record.number, EntryKind.OPTIONS, DESK, {"plans": [{"rank": 1}]})
    store.accept(record.number, DESK, {"rank": 1}, [vehicle], [], messages)
    return record.number


class Clock:
    """A wall clock the test moves (the sender's backoff and claims)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wall() -> Clock:
    return Clock()


@pytest.fixture
def outbox(store, wall) -> Outbox:
    return Outbox(store.engine, lambda: WHEN, max_attempts=3, backoff_s=10, wall=wall)


class Recorder:
    """A gateway that keeps what it was given and fails while ``failing`` says so."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.failing: str | None = None

    def send(self, payload: dict) -> None:
        if self.failing:
            raise GatewayError(self.failing)
        self.sent.append(payload)


# --------------------------------------------------------------------------- queued with the accept
def test_the_accept_queues_its_messages_in_its_own_transaction(store, outbox):
    number = accepted(store, [message("d10"), message("d10", "en")])
    queued = outbox.for_incident(number)
    assert [(m.recipient_id, m.lang, m.status, m.attempts) for m in queued] == [
        ("d10", "zh", "queued", 0),
        ("d10", "en", "queued", 0),
    ]
    assert queued[0].queued_at == store.incident(number).latest(EntryKind.ACCEPT).at


def test_a_refused_accept_queues_nothing(store, outbox):
    accepted(store, [message("d10")], vehicle="c05")
    record, _ = store.report(
        {"vehicle_id": "c02", "location": "G1 K60 toward Siping", "passengers": 9}, WHEN, DESK, None
    )
    store.append(record.number, EntryKind.OPTIONS, DESK, {"plans": [{"rank": 1}]})
    with pytest.raises(BookingConflict):
        store.accept(record.number, DESK, {"rank": 1}, ["c05"], [], [message("d11")])
    assert outbox.for_incident(record.number) == []
    with pytest.raises(InvalidTransition):  # accepted already: a second accept is refused, nothing queued twice
        store.accept(1, DESK, {"rank": 1}, ["c05"], [], [message("d10")])
    assert len(outbox.for_incident(1)) == 1


# --------------------------------------------------------------------------- sending
def test_the_sender_sends_each_due_message_once_and_records_it(store, outbox):
    number = accepted(store, [message("d10"), message("d10", "en")])
    gateway = Recorder()
    sender = Sender(outbox, gateway, every_s=1)
    assert len(sender.run_once()) == 2 and sender.run_once() == []
    assert [p["lang"] for p in gateway.sent] == ["zh", "en"] and gateway.sent[0]["incident_number"] == number
    assert {(m.status, m.attempts, m.sent_at) for m in outbox.for_incident(number)} == {("sent", 1, WHEN)}


def test_a_failing_gateway_is_retried_with_backoff_then_the_message_fails(store, outbox, wall):
    number = accepted(store, [message("d10")])
    gateway = Recorder()
    gateway.failing = "webhook answered HTTP 500"
    sender = Sender(outbox, gateway, every_s=1)
    assert len(sender.run_once()) == 1
    (queued,) = outbox.for_incident(number)
    assert (queued.status, queued.attempts, queued.error) == ("queued", 1, "webhook answered HTTP 500")
    assert sender.run_once() == []  # within the backoff (10 s)
    wall.now += 10
    assert len(sender.run_once()) == 1 and outbox.for_incident(number)[0].attempts == 2
    wall.now += 19  # the backoff doubles: 20 s
    assert sender.run_once() == []
    wall.now += 1
    sender.run_once()
    (failed,) = outbox.for_incident(number)
    assert (failed.status, failed.attempts) == ("failed", 3)  # max_attempts
    wall.now += 1000
    assert sender.run_once() == []  # failed stays failed until a dispatcher resends it

    resent = outbox.resend(number, failed.id)
    assert (resent.status, resent.attempts, resent.error) == ("queued", 3, "webhook answered HTTP 500")
    gateway.failing = None
    sender.run_once()
    (sent,) = outbox.for_incident(number)
    assert (sent.status, sent.attempts, sent.error) == ("sent", 4, None) and len(gateway.sent) == 1


def test_two_senders_on_one_database_never_send_a_message_twice(store_url, wall):
    """Two service processes' outboxes (each its own engine) claim at once: each message goes once."""
    with open_store(store_url) as first, open_store(store_url) as second:
        number = accepted(first, [message(f"d{i:02d}", lang) for i in range(10) for lang in ("zh", "en")])
        gateways = [Recorder(), Recorder()]
        senders = [Sender(Outbox(s.engine, lambda: WHEN, wall=wall), g, 1) for s, g in zip((first, second), gateways)]
        barrier = threading.Barrier(2, timeout=60)

        def run(sender: Sender) -> None:
            barrier.wait()
            sender.run_once()

        threads = [threading.Thread(target=run, args=(sender,)) for sender in senders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        sent = [(p["recipient_id"], p["lang"]) for g in gateways for p in g.sent]
        assert sorted(sent) == sorted((f"d{i:02d}", lang) for i in range(10) for lang in ("zh", "en"))
        outbox = Outbox(first.engine, lambda: WHEN, wall=wall)
        assert {m.status for m in outbox.for_incident(number)} == {"sent"}


def test_a_claim_left_by_a_dead_sender_expires_and_the_message_is_sent(store, outbox, wall):
    number = accepted(store, [message("d10")])
    assert len(outbox.claim_due()) == 1  # claimed, then the process died
    assert outbox.claim_due() == []
    wall.now += 121
    Sender(outbox, Recorder(), 1).run_once()
    assert outbox.for_incident(number)[0].status == "sent"


# --------------------------------------------------------------------------- a dispatcher's steps
def test_only_a_sent_message_is_acknowledged_and_only_once(store, outbox):
    number = accepted(store, [message("d10")])
    (queued,) = outbox.for_incident(number)
    with pytest.raises(InvalidTransition, match="is queued"):
        outbox.acknowledge(number, queued.id, DESK)
    with pytest.raises(InvalidTransition, match="only a failed message"):
        outbox.resend(number, queued.id)
    Sender(outbox, Recorder(), 1).run_once()
    acked = outbox.acknowledge(number, queued.id, "dispatcher-2")
    assert (acked.status, acked.acknowledged_by, acked.acknowledged_at) == ("acknowledged", "dispatcher-2", WHEN)
    with pytest.raises(InvalidTransition, match="is acknowledged"):
        outbox.acknowledge(number, queued.id, DESK)
    with pytest.raises(UnknownMessage):
        outbox.acknowledge(number + 1, queued.id, DESK)  # another incident's message is not this one's


# --------------------------------------------------------------------------- gateways
def test_the_log_gateway_writes_one_json_line_per_message(tmp_path, caplog):
    gateway = LogGateway(tmp_path / "var" / "messages.jsonl")
    payloads = [
        {
            "id": i,
            "recipient_role": "duty_manager",
            "recipient_name": "值班",
            "phone": None,
            "lang": "zh",
            "text": f"第{i}条",
        }
        for i in (1, 2)
    ]
    with caplog.at_level("INFO", logger="api.messaging.gateways"):
        for payload in payloads:
            gateway.send(payload)
    lines = (tmp_path / "var" / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == payloads and "第2条" in lines[1]  # readable Chinese
    assert "第1条" in caplog.text and "no phone" in caplog.text


def test_the_log_gateway_reports_a_file_it_cannot_write(tmp_path):
    (tmp_path / "blocked").write_text("a file, not a folder")
    with pytest.raises(GatewayError, match="cannot write"):
        LogGateway(tmp_path / "blocked" / "messages.jsonl").send({"id": 1})


def test_the_gateway_is_the_webhook_when_its_url_is_set_else_the_log(tmp_path):
    database = f"sqlite:///{tmp_path / 'db' / 'fleetplan.db'}"
    assert gateway_for(Settings(database_url=database)) == LogGateway(tmp_path / "db" / "messages.jsonl")
    assert (
        log_path(Settings(database_url="postgresql+psycopg://x@y/z", var_dir=tmp_path)) == tmp_path / "messages.jsonl"
    )
    webhook = gateway_for(
        Settings(database_url=database, message_webhook_url="http://127.0.0.1:9/hook", message_webhook_token="t0k")
    )
    assert webhook == WebhookGateway("http://127.0.0.1:9/hook", "t0k", 10.0)


class Hook(BaseHTTPRequestHandler):
    """Answers ``server.status`` after ``server.delay_s``; keeps each request's headers and body."""

    def do_POST(self) -> None:  # noqa: N802 — http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), json.loads(body)))  # type: ignore[attr-defined]
        time.sleep(self.server.delay_s)  # type: ignore[attr-defined]
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "9")
        self.end_headers()
        self.wfile.write(b"not today")

    def log_message(self, *args) -> None:  # quiet
        pass


@contextmanager
def webhook_server(status: int = 204, delay_s: float = 0.0) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.status, server.delay_s, server.received = status, delay_s, []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def url_of(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/hook"


PAYLOAD = {
    "id": 7,
    "incident_number": 3,
    "recipient_role": "passengers",
    "phone": None,
    "lang": "zh",
    "text": "救援车预计08:23到达",
}


def test_the_webhook_posts_the_message_as_json_with_the_bearer_token():
    with webhook_server(200) as server:
        WebhookGateway(url_of(server), token="s3cret", timeout_s=5).send(PAYLOAD)
    ((headers, body),) = server.received  # type: ignore[attr-defined]
    assert body == PAYLOAD
    assert headers["Authorization"] == "Bearer s3cret" and headers["Content-Type"].startswith("application/json")


def test_a_webhook_answer_other_than_2xx_is_an_error_naming_the_status():
    with webhook_server(500) as server:
        with pytest.raises(GatewayError, match="HTTP 500: not today"):
            WebhookGateway(url_of(server), timeout_s=5).send(PAYLOAD)
    assert "Authorization" not in server.received[0][0]  # type: ignore[attr-defined]


def test_a_webhook_that_does_not_answer_in_time_is_an_error():
    with webhook_server(200, delay_s=1.0) as server:
        started = time.monotonic()
        with pytest.raises(GatewayError, match="within 0.2 s"):
            WebhookGateway(url_of(server), timeout_s=0.2).send(PAYLOAD)
        assert time.monotonic() - started < 1.0


def test_a_webhook_nobody_listens_on_is_an_error(tmp_path):
    with webhook_server() as server:
        url = url_of(server)
    with pytest.raises(GatewayError, match="unreachable"):
        WebhookGateway(url, timeout_s=2).send(PAYLOAD)


def test_the_webhook_s_failures_are_recorded_on_the_message(store, outbox):
    number = accepted(store, [message("d10")])
    with webhook_server(503) as server:
        Sender(outbox, WebhookGateway(url_of(server), timeout_s=5), 1).run_once()
    (queued,) = outbox.for_incident(number)
    assert (queued.status, queued.attempts) == ("queued", 1) and queued.error.startswith("webhook answered HTTP 503")


def test_the_outbox_takes_every_role_and_language_the_messages_have():
    assert OUTBOX_ROLES == tuple(role.value for role in RecipientRole) and OUTBOX_LANGS == LANGS
