"""A plan that no longer holds stands its messages down (issue 18 §3): when an accepted plan is released,
or its incident voided, what has not gone out is withdrawn (never sent), and everyone it reached, or
may be reaching now, is sent a stand-down in their language. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from api.messaging.outbox import Outbox
from api.messaging.sender import Sender
from api.records import EntryKind, InvalidTransition
from api.records.schema import outbox as outbox_table

from tests.api.test_outbox import DESK, WHEN, Recorder, accepted, message

FAR_FUTURE = 4_000_000_000.0  # a sender's claim that has not expired (seconds since 1970)


def set_row(store, message_id: int, **values) -> None:
    with store.engine.begin() as connection:
        connection.execute(update(outbox_table).where(outbox_table.c.id == message_id).values(**values))


def staged(store) -> tuple[int, Outbox, dict[str, int]]:
    """An accepted incident whose five messages stand at every step of their way out."""
    names = ("sent", "queued", "failed", "sending", "acknowledged")
    number = accepted(store, [message(f"d1{k}", "zh" if k % 2 else "en") for k in range(len(names))])
    outbox = Outbox(store.engine, lambda: WHEN)
    ids = {name: m.id for name, m in zip(names, outbox.for_incident(number))}
    set_row(store, ids["sent"], status="sent", sent_at=WHEN)
    set_row(store, ids["failed"], status="failed", error="webhook answered HTTP 500")
    set_row(store, ids["sending"], claimed_until_epoch_s=FAR_FUTURE)  # a sender holds it now
    set_row(store, ids["acknowledged"], status="acknowledged", sent_at=WHEN)
    return number, outbox, ids


def test_a_release_withdraws_what_did_not_go_out_and_stands_down_whoever_it_reached(store):
    number, outbox, ids = staged(store)
    (record,) = store.release([number], DESK, {"release": {"reason": "wrong coach chosen"}})
    release_entry = record.entries[-1]
    by_id = {m.id: m for m in outbox.for_incident(number)}
    assert {name: by_id[i].status for name, i in ids.items()} == {
        "sent": "sent",
        "queued": "withdrawn",
        "failed": "withdrawn",
        "sending": "withdrawn",  # its send may finish: it is stood down as well
        "acknowledged": "acknowledged",
    }
    stood_down = [m for m in by_id.values() if m.id not in ids.values()]
    told = {name: by_id[ids[name]] for name in ("sent", "sending", "acknowledged")}
    assert sorted((m.recipient_id, m.lang) for m in stood_down) == sorted(
        (m.recipient_id, m.lang) for m in told.values()
    )
    for m in stood_down:
        assert m.status == "queued" and m.queued_at == release_entry.at
        assert f"{number}" in m.text and "wrong coach chosen" in m.text
        assert ("CANCELLED" in m.text) if m.lang == "en" else ("取消" in m.text)
    with store.engine.connect() as connection:  # filed under the release, not the accept
        entry_ids = {row.accept_entry_id for row in connection.execute(outbox_table.select())}
    assert entry_ids == {record.latest(EntryKind.ACCEPT).id, release_entry.id}

    gateway = Recorder()
    Sender(outbox, gateway, every_s=1).run_once()
    assert sorted(p["id"] for p in gateway.sent) == sorted(m.id for m in stood_down)  # never a withdrawn one


def test_a_void_of_an_accepted_incident_stands_down_but_a_void_before_the_accept_sends_nothing(store):
    number, outbox, ids = staged(store)
    store.append(number, EntryKind.VOID, DESK, {"reason": "duplicate report"})
    messages = outbox.for_incident(number)
    assert [m.status for m in messages if m.id == ids["queued"]] == ["withdrawn"]
    stood_down = [m for m in messages if m.id not in ids.values()]
    assert len(stood_down) == 3 and all("duplicate report" in m.text for m in stood_down)

    record, _ = store.report(
        {"vehicle_id": "c02", "location": "G1 K60 toward Siping", "passengers": 9}, WHEN, DESK, None
    )
    store.append(record.number, EntryKind.OPTIONS, DESK, {"plans": [{"rank": 1}]})
    store.append(record.number, EntryKind.VOID, DESK, {"reason": "false alarm"})
    assert outbox.for_incident(record.number) == []


def test_a_withdrawn_message_is_neither_sent_again_nor_acknowledged(store):
    number, outbox, ids = staged(store)
    store.release([number], DESK, {"release": {"reason": "x"}})
    with pytest.raises(InvalidTransition, match="withdrawn"):
        outbox.resend(number, ids["failed"])
    with pytest.raises(InvalidTransition, match="withdrawn"):
        outbox.acknowledge(number, ids["queued"], DESK)
