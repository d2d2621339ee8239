"""Twenty desks accept, at the same moment, plans of twenty incidents that share one coach: exactly one
wins (200), the others get 409 with fresh options, and the database holds one booking of that coach.

Runs against the real service (``fleetplan serve`` on 127.0.0.1) on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
import pytest

from api.desk import plan_resources
from api.records import open_store

from tests.api.http_support import REPORT, admin_token, bearer, running_server

DESKS = 20
REQUEST_TIMEOUT_S = 180.0
COACH = "c09"  # a standby coach at the Changchun depot; every other coach is sent to the workshop


def minutes_after(time: str, minutes: int) -> str:
    return (datetime.fromisoformat(time) + timedelta(minutes=minutes)).isoformat(timespec="minutes")


def rescue_coaches(plan: dict) -> set[str]:
    return {assignment["vehicle_id"] for assignment in plan["assignments"]}


@pytest.mark.slow
def test_twenty_parallel_accepts_of_plans_sharing_a_coach(store_url, tmp_path):
    # each incident planned alone, so that every desk's options name COACH (joint planning would plan all
    # twenty together, and one accept would take them all)
    # a coach reported again within the joint window is the same breakdown (refused): with the window at 0,
    # twenty reports of one coach a minute apart are twenty incidents
    settings = {"joint_planning": False, "joint_window_min": 0}
    with running_server(store_url, tmp_path, settings=settings) as server:
        headers = bearer(admin_token(store_url, tmp_path))
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=REQUEST_TIMEOUT_S) as client:
            for vehicle in client.get("/fleet").json():  # so that every plan has to use COACH
                if vehicle["id"] not in (COACH, REPORT["vehicle_id"]):
                    change = {"status": "workshop", "reason": "concurrency test"}
                    assert client.patch(f"/fleet/{vehicle['id']}", json=change).status_code == 200
            incidents = []
            for minute in range(DESKS):
                response = client.post("/incidents", json={**REPORT, "time": minutes_after(REPORT["time"], minute)})
                assert response.status_code == 201, response.text
                incidents.append(response.json())
        ranks = [next(p["rank"] for p in i["options"]["plans"] if COACH in rescue_coaches(p)) for i in incidents]

        barrier = threading.Barrier(DESKS)

        def accept(number: int, rank: int) -> httpx.Response:
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=REQUEST_TIMEOUT_S) as desk:
                barrier.wait(timeout=60)
                return desk.post(f"/incidents/{number}/accept", json={"rank": rank})

        with ThreadPoolExecutor(max_workers=DESKS) as pool:
            responses = list(pool.map(accept, [i["number"] for i in incidents], ranks))

    codes = sorted(response.status_code for response in responses)
    assert codes == [200] + [409] * (DESKS - 1), [r.text[:200] for r in responses if r.status_code not in (200, 409)]
    winner = next(r.json() for r in responses if r.status_code == 200)
    held = set(sum(plan_resources(winner["accepted"]["plan"]), []))
    assert COACH in held
    for response in responses:
        if response.status_code == 409:
            body = response.json()
            assert held & set(body["detail"].replace(",", " ").replace(";", " ").split()), body["detail"]
            fresh = body["options"]
            assert fresh is not None and all(COACH not in rescue_coaches(plan) for plan in fresh["plans"])
            assert {"candidate": COACH, "code": "busy"} in [
                {"candidate": r["candidate"], "code": r["code"]} for r in fresh["rejected"]
            ]
    store = open_store(store_url)
    try:
        coach_bookings = [b for b in store.bookings() if b.vehicle_id == COACH]
        assert [b.incident_number for b in coach_bookings] == [winner["number"]]
        assert store.integrity_problems() == []
    finally:
        store.close()
