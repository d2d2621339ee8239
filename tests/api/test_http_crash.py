"""Crash safety through HTTP: the service is killed with SIGKILL in the middle of a burst of incident
reports and restarted; every acknowledged (201) incident is there, the numbers have no gaps and the
database passes its integrity check. On SQLite and on PostgreSQL."""

from __future__ import annotations

import signal
import threading
import time
from datetime import datetime, timedelta

import httpx
import pytest

from api.records import open_store

from tests.api.http_support import REPORT, admin_token, bearer, running_server

SENDERS = 4
REPORTS_PER_SENDER = 25  # bounded burst; the kill comes long before it ends
KILL_AFTER_ACKNOWLEDGED = 6
WAIT_FOR_ACKS_S = 180.0
VEHICLES = ["c01", "c02", "c03", "c05", "c06", "c07", "c08", "c15"]  # coaches with ≥ 42 seats


@pytest.mark.slow
def minutes_after(time: str, minutes: int) -> str:
    return (datetime.fromisoformat(time) + timedelta(minutes=minutes)).isoformat(timespec="minutes")


def test_acknowledged_reports_survive_a_sigkill_mid_burst(store_url, tmp_path):
    acknowledged: list[int] = []
    interrupted: list[int] = []  # senders whose request was in flight when the server died
    lock = threading.Lock()
    stop = threading.Event()

    # each report a minute of its own, the joint window at 0: one coach's reports are separate breakdowns
    # (within the window they would be the same one, refused)
    settings = {"joint_window_min": 0}
    with running_server(store_url, tmp_path, name="first", settings=settings) as server:
        headers = bearer(admin_token(store_url, tmp_path))

        def send(sender: int) -> None:
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
                for index in range(REPORTS_PER_SENDER):
                    if stop.is_set():
                        return
                    report = {
                        **REPORT,
                        "vehicle_id": VEHICLES[(sender + index) % len(VEHICLES)],
                        "time": minutes_after(REPORT["time"], sender * REPORTS_PER_SENDER + index),
                        "alternatives": 1,
                    }
                    try:
                        response = client.post("/incidents", json=report)
                    except httpx.TransportError:  # the server died under this request
                        interrupted.append(sender)
                        return
                    if response.status_code == 201:
                        with lock:
                            acknowledged.append(response.json()["number"])

        senders = [threading.Thread(target=send, args=(n,)) for n in range(SENDERS)]
        for thread in senders:
            thread.start()
        deadline = time.monotonic() + WAIT_FOR_ACKS_S
        while time.monotonic() < deadline and len(acknowledged) < KILL_AFTER_ACKNOWLEDGED:
            time.sleep(0.05)
        assert server.process.poll() is None, server.log()
        server.process.send_signal(signal.SIGKILL)  # while the senders still have reports in flight
        server.process.wait(timeout=30)
        stop.set()
        for thread in senders:
            thread.join(timeout=90)
        assert not any(thread.is_alive() for thread in senders)
    assert len(acknowledged) >= KILL_AFTER_ACKNOWLEDGED
    assert interrupted, "the kill should land while reports are in flight"

    with running_server(store_url, tmp_path, name="restarted", settings=settings) as server:
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
            listed = sorted(i["number"] for i in client.get("/incidents", params={"limit": 1000}).json())
            for number in acknowledged:
                incident = client.get(f"/incidents/{number}")
                assert incident.status_code == 200
                assert incident.json()["report"]["passengers"] == REPORT["passengers"]
            later = minutes_after(REPORT["time"], SENDERS * REPORTS_PER_SENDER)
            after_restart = client.post("/incidents", json={**REPORT, "time": later, "alternatives": 1})
            assert after_restart.status_code == 201
    assert set(acknowledged) <= set(listed)
    assert listed == list(range(1, len(listed) + 1))  # no gaps
    assert after_restart.json()["number"] == len(listed) + 1  # numbers are never reused
    store = open_store(store_url)
    try:
        assert store.integrity_problems() == []
    finally:
        store.close()
