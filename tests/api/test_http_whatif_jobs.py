"""HTTP what-if jobs (issue 5 §4): submit, poll with progress, cancel, fetch the result and kpis.csv; the queue,
roles, input errors naming the field, and nothing lost when the service stops or crashes mid-job.

Jobs run on the ``local`` engine (in the service process) over a few days, so each takes well under a second;
the long job used for cancelling and queueing (200 replications of a month) would take about half a minute.
Polls wait for a status with a deadline; no assertion depends on timing.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, select

from fleetplan.corridor import Corridor

from solver.planning.whatif import WhatIfScenario, run_whatif, write_kpis_csv

from api.app import create_app
from api.records.schema import whatif_jobs
from api.settings import Settings

from tests.api.http_support import TEST_TIME_LIMIT_S, DeskClient, add_users, bearer, running_desk, sqlite_url

SMALL = {
    "start": "2026-12-01",
    "end": "2026-12-03",
    "backups": {"siping_depot": 2},
    "calendar": "winter",
    "reps": 2,
    "seed": 2,
}  # one corridor incident in two replications
LONG = {
    "start": "2026-12-01",
    "end": "2026-12-31",
    "backups": {"siping_depot": 2, "changchun_depot": 1},
    "calendar": "winter",
    "reps": 200,
    "seed": 0,
}
FINISHED = ("done", "failed", "cancelled")
POLL_DEADLINE_S = 120.0
LOCAL = {"whatif_engine": "local", "whatif_concurrent_jobs": 1}


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    with running_desk(sqlite_url(tmp_path_factory.mktemp("whatif_jobs")), **LOCAL) as running:
        yield running


def submit(desk: DeskClient, body: dict[str, Any], role: str = "planner"):
    return desk.post("/whatif/jobs", body, role=role)


def wait_for(client: TestClient, headers: dict[str, str], job_id: int, statuses=FINISHED) -> dict[str, Any]:
    """Poll the job until its status is one of ``statuses``; fails after :data:`POLL_DEADLINE_S`."""
    deadline = time.monotonic() + POLL_DEADLINE_S
    while True:
        view = client.get(f"/whatif/jobs/{job_id}", headers=headers).json()
        if view["status"] in statuses:
            return view
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} is still {view['status']}, not {statuses}: {view}")
        time.sleep(0.05)


def wait(desk: DeskClient, job_id: int, statuses=FINISHED) -> dict[str, Any]:
    return wait_for(desk.client, desk.headers("viewer"), job_id, statuses)


def start_long_job(desk: DeskClient) -> dict[str, Any]:
    """Submit :data:`LONG` and wait until it runs (the previous job's thread may still be handing its slot back)."""
    answer = submit(desk, LONG)
    assert answer.status_code == 202
    return wait(desk, answer.json()["id"], ("running",))


def direct_result(corridor: Corridor, body: dict[str, Any]):
    """``run_whatif`` called directly with the job's scenario, seed and corridor."""
    scenario = WhatIfScenario(
        date.fromisoformat(body["start"]), date.fromisoformat(body["end"]), body["backups"], calendar=body["calendar"]
    )
    return run_whatif(scenario, body["reps"], body["seed"], "local", corridor=corridor)


def corridor_of(client: TestClient) -> Corridor:
    return client.app.state.corridor


def as_json(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value))


# --------------------------------------------------------------------------- a job from submit to result
def test_a_job_runs_to_the_result_run_whatif_gives_and_the_cli_kpis_csv(desk, tmp_path):
    answer = submit(desk, SMALL)
    assert answer.status_code == 202
    job = answer.json()
    assert answer.headers["Location"] == f"/whatif/jobs/{job['id']}" == job["links"]["self"]
    assert job["status"] in ("queued", "running") and job["submitted_by"] == "planner-user"
    assert job["request"] == SMALL and job["progress"]["total"] == 2

    done = wait(desk, job["id"])
    assert done["status"] == "done" and done["error"] is None
    assert done["progress"] == {"done": 2, "total": 2, "share": 1.0}
    assert done["started_at"] is not None and done["finished_at"] >= done["started_at"]
    assert done["queue_position"] is None and "cancel" not in done["links"]

    expected = direct_result(corridor_of(desk.client), SMALL)
    result = desk.get(done["links"]["result"])
    assert result.status_code == 200
    assert result.json() == as_json(expected.as_dict())
    assert result.json()["summary"]["incidents"] == 1  # the scenario is not trivially empty

    kpis = desk.get(done["links"]["kpis_csv"])
    assert kpis.status_code == 200 and kpis.headers["content-type"].startswith("text/csv")
    cli_file = write_kpis_csv(expected, tmp_path / "kpis.csv")
    assert kpis.content == cli_file.read_bytes()  # the CLI's file, byte for byte
    rows = list(csv.DictReader(io.StringIO(kpis.text)))
    tiers = [tier.name for tier in corridor_of(desk.client).dataset.tier_policy.tiers]
    assert [row["tier"] for row in rows] == tiers + ["all"]
    assert rows[-1]["incidents"] == "1"


def test_the_list_is_newest_first_and_obeys_its_limit(desk):
    first, second = submit(desk, SMALL).json(), submit(desk, {**SMALL, "seed": 3}).json()
    for job in (first, second):
        wait(desk, job["id"])
    listed = desk.get("/whatif/jobs").json()
    ids = [job["id"] for job in listed]
    assert ids == sorted(ids, reverse=True) and ids.index(second["id"]) < ids.index(first["id"])
    assert [job["id"] for job in desk.get("/whatif/jobs", params={"limit": 1}).json()] == [ids[0]]
    assert desk.get("/whatif/jobs", params={"limit": 0}).status_code == 422


# --------------------------------------------------------------------------- cancel and queue
def test_cancelling_a_running_job_stops_it_before_its_last_replication(desk):
    job = start_long_job(desk)
    answer = desk.post(f"/whatif/jobs/{job['id']}/cancel", role="planner")
    assert answer.status_code == 202 and answer.json()["cancel_requested"] is True

    stopped = wait(desk, job["id"])
    assert stopped["status"] == "cancelled"
    assert stopped["progress"]["done"] < stopped["progress"]["total"] == 200
    assert stopped["error"].startswith("cancelled by planner-user after")
    assert stopped["finished_at"] is not None and "cancel" not in stopped["links"]

    again = desk.post(f"/whatif/jobs/{job['id']}/cancel", role="planner")
    assert again.status_code == 409 and again.json()["detail"].startswith("status: ")
    assert "cancelled" in again.json()["detail"]
    result = desk.get(f"/whatif/jobs/{job['id']}/result")
    assert result.status_code == 409 and result.json()["detail"].startswith("status: ")
    assert "cancelled by planner-user" in result.json()["detail"]
    assert desk.get(f"/whatif/jobs/{job['id']}/kpis.csv").status_code == 409


def test_with_one_slot_later_jobs_wait_in_order_and_run_when_it_frees(desk):
    running = start_long_job(desk)
    second, third = submit(desk, SMALL).json(), submit(desk, {**SMALL, "seed": 4}).json()
    assert (second["status"], second["queue_position"]) == ("queued", 1)
    assert (third["status"], third["queue_position"]) == ("queued", 2)
    positions = {job["id"]: job["queue_position"] for job in desk.get("/whatif/jobs").json()}
    assert positions[second["id"]] == 1 and positions[third["id"]] == 2 and positions[running["id"]] is None

    early = desk.get(f"/whatif/jobs/{second['id']}/result")
    assert early.status_code == 409 and early.json()["detail"].startswith(f"status: job {second['id']} is queued")

    cancelled = desk.post(f"/whatif/jobs/{second['id']}/cancel", role="planner")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert desk.get(f"/whatif/jobs/{third['id']}").json()["queue_position"] == 1

    assert desk.post(f"/whatif/jobs/{running['id']}/cancel", role="planner").status_code == 202
    assert wait(desk, running["id"])["status"] == "cancelled"
    finished = wait(desk, third["id"])  # the freed slot goes to the next queued job
    assert finished["status"] == "done" and finished["progress"]["done"] == 2


def test_a_running_job_result_is_a_409_that_gives_the_progress(desk):
    job = start_long_job(desk)
    try:
        answer = desk.get(f"/whatif/jobs/{job['id']}/result")
        assert answer.status_code == 409
        assert answer.json()["detail"].startswith(f"status: job {job['id']} is running (")
        assert "of 200 replications done" in answer.json()["detail"]
    finally:
        desk.post(f"/whatif/jobs/{job['id']}/cancel", role="planner")
        wait(desk, job["id"])


# --------------------------------------------------------------------------- who may do what
def test_planners_and_admins_submit_viewers_and_dispatchers_only_read(desk):
    for role in ("viewer", "dispatcher"):
        refused = submit(desk, SMALL, role=role)
        assert refused.status_code == 403 and refused.json()["detail"].startswith("role: ")
    anonymous = desk.client.post("/whatif/jobs", json=SMALL)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert desk.client.get("/whatif/jobs").status_code == 401

    by_admin = submit(desk, SMALL, role="admin")
    assert by_admin.status_code == 202
    job = wait(desk, by_admin.json()["id"])
    assert desk.get(f"/whatif/jobs/{job['id']}", role="viewer").status_code == 200
    assert desk.get(f"/whatif/jobs/{job['id']}/result", role="viewer").status_code == 200
    assert desk.post(f"/whatif/jobs/{job['id']}/cancel", role="viewer").status_code == 403


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "changes, status, field",
    [
        ({"start": "2026-12-31", "end": "2026-12-01"}, 400, "end"),
        ({"end": "2028-01-01"}, 400, "end"),  # over a year
        ({"backups": {"nowhere_sa": 1}}, 400, "backups"),
        ({"backups": {"siping_depot": -1}}, 400, "backups"),
        ({"backups": {"siping_depot": 99}}, 400, "backups"),  # more than the standby fleet
        ({"calendar": "monsoon"}, 400, "calendar"),
        ({"reps": 0}, 422, "reps"),
        ({"reps": 1001}, 422, "reps"),
        ({"reps": "2"}, 422, "reps"),
        ({"seed": -1}, 422, "seed"),
        ({"start": "2026-13-01"}, 422, "start"),
        ({"start": 20261201}, 422, "start"),
        ({"backups": {"siping_depot": 1.5}}, 422, "backups"),
        ({"engine": "dask"}, 422, "engine"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(desk, changes, status, field):
    before = len(desk.get("/whatif/jobs", params={"limit": 500}).json())
    answer = submit(desk, {**SMALL, **changes})
    assert answer.status_code == status
    detail = answer.json()["detail"]
    if status == 400:
        assert detail.startswith(f"{field}: ")
    else:
        assert any(error["loc"][:2] == ["body", field] for error in detail)
    assert len(desk.get("/whatif/jobs", params={"limit": 500}).json()) == before


def test_an_unknown_job_is_a_404_naming_the_id(desk):
    for path in ("/whatif/jobs/999999", "/whatif/jobs/999999/result", "/whatif/jobs/999999/kpis.csv"):
        answer = desk.get(path)
        assert answer.status_code == 404 and answer.json() == {"detail": "job_id: no what-if job 999999"}
    assert desk.post("/whatif/jobs/999999/cancel", role="planner").status_code == 404
    assert desk.get("/whatif/jobs/0").status_code == 422


# --------------------------------------------------------------------------- restarts
def app_client(database_url: str) -> TestClient:
    settings = Settings(database_url=database_url, dispatch_time_limit_s=TEST_TIME_LIMIT_S, **LOCAL)
    return TestClient(create_app(settings))


def job_row(database_url: str, job_id: int):
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(whatif_jobs).where(whatif_jobs.c.id == job_id)).one()
    finally:
        engine.dispose()


def test_a_job_left_running_by_a_crashed_service_runs_again_at_the_next_start(store_url):
    url = store_url  # SQLite, and PostgreSQL when FLEETPLAN_TEST_POSTGRES_URL is set
    tokens = add_users(url)  # migrates the new database
    engine = create_engine(url)
    with engine.begin() as connection:  # what a crash mid-job leaves behind
        job_id = connection.execute(
            insert(whatif_jobs).values(
                status="running",
                request=SMALL,
                submitted_by="planner-user",
                submitted_at=datetime(2026, 12, 1, 8),
                started_at=datetime(2026, 12, 1, 8),
                done_reps=1,
                total_reps=SMALL["reps"],
                cancel_requested=False,
            )
        ).inserted_primary_key[0]
    engine.dispose()

    with app_client(url) as client:
        headers = bearer(tokens["viewer"])
        done = wait_for(client, headers, job_id)
        assert done["status"] == "done" and done["progress"]["done"] == 2
        result = client.get(f"/whatif/jobs/{job_id}/result", headers=headers).json()
        assert result == as_json(direct_result(corridor_of(client), SMALL).as_dict())


def test_stopping_the_service_puts_a_running_job_back_in_the_queue(store_url):
    url = store_url
    tokens = add_users(url)
    with app_client(url) as client:
        job = client.post("/whatif/jobs", json=LONG, headers=bearer(tokens["planner"])).json()
        assert job["status"] == "running"
    row = job_row(url, job["id"])
    assert (row.status, row.done_reps, row.started_at, row.cancel_requested) == ("queued", 0, None, False)

    with app_client(url) as client:  # it starts again, from the beginning
        planner = bearer(tokens["planner"])
        assert client.get(f"/whatif/jobs/{job['id']}", headers=planner).json()["status"] == "running"
        assert client.post(f"/whatif/jobs/{job['id']}/cancel", headers=planner).status_code == 202
        assert wait_for(client, planner, job["id"])["status"] == "cancelled"
