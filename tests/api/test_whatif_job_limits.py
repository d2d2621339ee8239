"""Limits of the what-if jobs (issue 15 §12): caps on the queue per user and in all (429 with Retry-After,
naming the cap), only the owner or an admin cancels, and a service killed with SIGKILL leaves no worker
process behind."""

from __future__ import annotations

import signal
import sys
import time
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import insert

from api.records import Role, open_store
from api.records.schema import whatif_jobs
from api.whatif_jobs.quota import DEFAULT_RETRY_AFTER_S, retry_after_s

from tests.api.http_support import add_users, bearer, running_server, served_desk, sqlite_url
from tests.api.process_support import descendants, still_alive
from tests.api.test_http_whatif_jobs import LONG, SMALL, wait

CAPS = {"whatif_max_jobs_per_user": 2, "whatif_max_jobs": 3}
KILL_DEADLINE_S = 15.0  # the workers notice their owner's death at once; this only bounds a failure


@pytest.fixture
def desk(store_url, tmp_path):
    """A real ``fleetplan serve`` with small caps, on SQLite and on PostgreSQL (tests/api/conftest.py)."""
    with served_desk(store_url, tmp_path, whatif_engine="local", **CAPS) as running:
        yield running


def unfinished(desk) -> list[dict]:
    return [job for job in desk.get("/whatif/jobs").json() if job["status"] in ("queued", "running")]


def cancel_all(desk) -> None:
    for job in unfinished(desk):
        desk.post(f"/whatif/jobs/{job['id']}/cancel", role="admin")
    for job in desk.get("/whatif/jobs").json():
        wait(desk, job["id"])


# --------------------------------------------------------------------------- caps
def test_a_user_over_their_cap_gets_a_429_naming_it_with_retry_after_and_nothing_is_stored(desk):
    try:
        for _ in range(2):
            assert desk.post("/whatif/jobs", LONG, role="planner").status_code == 202
        listed = len(desk.get("/whatif/jobs").json())
        refused = desk.post("/whatif/jobs", SMALL, role="planner")
        assert refused.status_code == 429
        assert refused.json()["detail"].startswith(
            "whatif_max_jobs_per_user: planner-user has 2 what-if jobs queued or running, the most one user may have (2)"
        )
        assert 1 <= int(refused.headers["Retry-After"]) <= 3600
        assert len(desk.get("/whatif/jobs").json()) == listed

        assert desk.post("/whatif/jobs", SMALL, role="admin").status_code == 202  # another user still may
    finally:
        cancel_all(desk)
    assert desk.post("/whatif/jobs", SMALL, role="planner").status_code == 202  # finished jobs do not count


def test_everyone_together_over_the_total_cap_gets_a_429_naming_it(desk):
    try:
        for role in ("planner", "planner", "admin"):
            assert desk.post("/whatif/jobs", LONG, role=role).status_code == 202
        refused = desk.post("/whatif/jobs", SMALL, role="admin")
        assert refused.status_code == 429
        assert refused.json()["detail"].startswith("whatif_max_jobs: 3 what-if jobs are queued or running")
        assert int(refused.headers["Retry-After"]) >= 1
        queued = next(job for job in unfinished(desk) if job["status"] == "queued")
        assert desk.post(f"/whatif/jobs/{queued['id']}/cancel", role="admin").status_code == 200
        assert desk.post("/whatif/jobs", SMALL, role="admin").status_code == 202  # a slot is free again
    finally:
        cancel_all(desk)


def test_retry_after_is_the_soonest_end_a_running_job_is_heading_for(tmp_path):
    url = sqlite_url(tmp_path)
    store = open_store(url)
    now = datetime(2026, 12, 1, 9, 0)
    try:
        with store.engine.begin() as connection:
            assert retry_after_s(connection, now, None) == DEFAULT_RETRY_AFTER_S  # nothing to estimate from
            for user, done, started in (
                ("li", 10, now - timedelta(seconds=100)),
                ("wang", 1, now - timedelta(seconds=30)),
            ):
                connection.execute(
                    insert(whatif_jobs).values(
                        status="running",
                        request=SMALL,
                        submitted_by=user,
                        submitted_at=started,
                        started_at=started,
                        done_reps=done,
                        total_reps=50,
                        cancel_requested=False,
                    )
                )
            assert retry_after_s(connection, now, None) == 400  # 100 s for 10 of 50: 400 s to go
            assert retry_after_s(connection, now, "wang") == 30 * 49  # a user over their cap waits for their own
            assert retry_after_s(connection, now, "zhao") == 400  # nothing of theirs runs: the first to end
    finally:
        store.close()


# --------------------------------------------------------------------------- who cancels
def test_only_the_planner_who_submitted_a_job_or_an_admin_cancels_it(desk):
    with open_store(desk.database_url) as store:
        other = bearer(store.add_user("other-planner", Role.PLANNER))
    try:
        first = desk.post("/whatif/jobs", LONG, role="planner").json()
        second = desk.post("/whatif/jobs", LONG, role="planner").json()

        refused = desk.client.post(f"/whatif/jobs/{first['id']}/cancel", headers=other)
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            f"role: what-if job {first['id']} was submitted by planner-user; only they or an admin may cancel it"
        )
        assert desk.get(f"/whatif/jobs/{first['id']}").json()["cancel_requested"] is False

        assert desk.post(f"/whatif/jobs/{second['id']}/cancel", role="admin").status_code in (200, 202)
        assert desk.post(f"/whatif/jobs/{first['id']}/cancel", role="planner").status_code in (200, 202)
        assert desk.client.post("/whatif/jobs/999999/cancel", headers=other).status_code == 404
    finally:
        cancel_all(desk)


# --------------------------------------------------------------------------- kill -9
@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table from /proc")
def test_a_service_killed_with_sigkill_mid_job_leaves_no_worker_process_behind(tmp_path, monkeypatch):
    url = sqlite_url(tmp_path)
    tokens = add_users(url)
    monkeypatch.setenv("FLEETPLAN_WHATIF_ENGINE", "processes")
    monkeypatch.setenv("FLEETPLAN_WHATIF_WORKERS", "2")
    with running_server(url, tmp_path) as server:
        with httpx.Client(base_url=server.base_url, headers=bearer(tokens["planner"]), timeout=60) as client:
            job = client.post("/whatif/jobs", json=LONG).json()
            deadline = time.monotonic() + 120
            while client.get(f"/whatif/jobs/{job['id']}").json()["progress"]["done"] < 1:  # the pool is at work
                assert time.monotonic() < deadline, server.log()
                time.sleep(0.1)
        below = descendants(server.process.pid)
        assert len(below) >= 3, below  # the fork server and two workers (and the resource tracker)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=30)
        deadline = time.monotonic() + KILL_DEADLINE_S
        while still_alive(below) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert still_alive(below) == [], f"left behind: {still_alive(below)}"
