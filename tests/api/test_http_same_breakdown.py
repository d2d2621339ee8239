"""One breakdown, one incident: a coach in an open incident reported again within the joint window is
refused (409 naming ``vehicle_id`` and the open incident), and nothing is recorded. Planned together,
the two reports would send rescues twice for the same passengers. A retry with the same key, a report
of the coach hours later (a new breakdown after a repair the records have not caught up with), one
after the first incident is voided, or another coach at the same place are all recorded as before."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from api.records.types import AlreadyReported

from tests.api.http_support import DeskClient, running_desk, sqlite_url

C11_AT_K30 = {"vehicle_id": "c11", "location": "G1 K30 toward Changchun", "time": "2026-12-10T14:00", "passengers": 30}


@pytest.fixture
def desk(tmp_path) -> Iterator[DeskClient]:
    with running_desk(sqlite_url(tmp_path)) as running:
        yield running


def reported(desk: DeskClient, **changes) -> int:
    response = desk.post("/incidents", {**C11_AT_K30, **changes})
    assert response.status_code == 201, response.text
    return response.json()["number"]


@pytest.mark.parametrize("time", ["2026-12-10T14:00", "2026-12-10T15:30", "2026-12-10T12:30"])
def test_the_same_coach_reported_again_within_the_window_is_refused_and_nothing_is_recorded(desk, time):
    first = reported(desk)
    again = desk.post("/incidents", {**C11_AT_K30, "time": time, "passengers": 10})
    assert again.status_code == 409, again.text
    detail = again.json()["detail"]
    assert detail.startswith("vehicle_id: c11 is already in open incident") and str(first) in detail
    assert "2026-12-10 14:00" in detail
    assert desk.numbers() == [first]


def test_a_retry_with_the_same_key_returns_the_incident_it_created(desk):
    headers = {"Idempotency-Key": "desk-7-report-1"}
    created = desk.post("/incidents", C11_AT_K30, headers=headers)
    retried = desk.post("/incidents", C11_AT_K30, headers=headers)
    assert (created.status_code, retried.status_code) == (201, 200)
    assert retried.json()["number"] == created.json()["number"]
    assert desk.numbers() == [created.json()["number"]]


def test_hours_later_after_a_void_or_for_another_coach_a_report_is_recorded(desk):
    first = reported(desk)
    later = reported(desk, time="2026-12-10T17:00")  # beyond the 120 min window: maybe a new breakdown
    other = reported(desk, vehicle_id="c12")
    assert desk.post(f"/incidents/{first}/void", {"reason": "reported twice"}).status_code == 200
    again = reported(desk, passengers=28)  # the first is voided: the report it should have been
    assert desk.numbers() == [first, later, other, again]


def test_the_window_follows_the_joint_window_setting(tmp_path):
    with running_desk(sqlite_url(tmp_path), joint_window_min=30) as desk:
        reported(desk)
        assert desk.post("/incidents", {**C11_AT_K30, "time": "2026-12-10T14:20"}).status_code == 409
        reported(desk, time="2026-12-10T14:40")


def test_reports_of_one_coach_at_the_same_moment_record_one_incident(store):
    """Eight desks report the same breakdown at once, without keys: the check holds under the writers'
    lock, so exactly one is recorded and the others are refused (SQLite and PostgreSQL)."""
    report = {"vehicle_id": "c11", "location": "G1 K30 toward Changchun", "passengers": 30}
    at, window = datetime(2026, 12, 10, 14, 0), timedelta(minutes=120)

    def one_desk(k: int) -> str:
        try:
            store.report(report, at + timedelta(minutes=k), f"desk-{k}", None, None, window)
        except AlreadyReported:
            return "refused"
        return "recorded"

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(one_desk, range(8)))
    assert outcomes == ["recorded"] + ["refused"] * 7
    assert len(store.incidents()) == 1
