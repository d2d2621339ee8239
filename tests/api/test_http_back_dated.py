"""A back-dated report (its time earlier than breakdowns already recorded) sees each coach as it was at
its own time: a coach whose breakdown was reported for a later time is no longer said to be broken
down then. While a plan for the report may still need it (PLAN_REACH: a day) it is left out, saying
it breaks down later and when; a breakdown further ahead leaves it free to be offered and booked. A
coach in the workshop stays out whatever the times. An accepted plan is warned of the breakdowns of its
coaches that concern it, not of one a day or more after its incident."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from api.records import EntryKind, IncidentStatus, ResourceUnusable, open_store
from api.records.usability import PLAN_REACH

from tests.api.http_support import AFTER_THE_REPORTS, DeskClient, running_desk

# At 08:00 on Monday 2026-12-07 c10 from the Changchun service point is the first choice for c01's
# passengers at K78 (the plan's assignment below checks that it still is)
BACK_DATED = {"vehicle_id": "c01", "time": "2026-12-07T08:00"}
C10_BREAKS_DOWN = {"vehicle_id": "c10", "location": "G1 K30 toward Changchun", "passengers": 20}


@pytest.fixture
def desk(store_url) -> Iterator[DeskClient]:
    # the desk's clock after every report here: none of them is an exercise ahead of the clock
    with running_desk(store_url, clock_from=AFTER_THE_REPORTS) as running:
        yield running


def report(desk: DeskClient, **fields) -> dict:
    response = desk.report(**fields)
    assert response.status_code == 201, response.text
    return response.json()


def rejections_of(incident: dict, candidate: str) -> list[dict]:
    return [r for r in incident["options"]["rejected"] if r["candidate"] == candidate]


def test_a_coach_breaking_down_later_that_day_is_left_out_saying_when(desk):
    # 10:30: two and a half hours after the back-dated report, beyond the joint window (planned alone)
    broken = report(desk, **C10_BREAKS_DOWN, time="2026-12-07T10:30")["number"]

    incident = report(desk, **BACK_DATED)

    why = f"breaks down later, at 2026-12-07 10:30, in incident {broken}"
    assert incident["options"]["inputs"]["unavailable"] == {"c10": why}
    (rejection,) = rejections_of(incident, "c10")
    assert rejection["code"] == "busy"
    assert rejection["reason"].startswith(f"c10: {why}: a plan for this earlier time may still need it")
    assert "broke down" not in rejection["reason"]  # it had not, at 08:00
    assert rejection["reason_zh"].startswith(f"c10：将于 2026-12-07 10:30 在事件 {broken} 中故障")
    used = {a["vehicle_id"] for plan in incident["options"]["plans"] for a in plan["assignments"]}
    assert used and "c10" not in used


def test_a_coach_breaking_down_a_day_later_is_offered_and_booked(desk):
    assert PLAN_REACH.total_seconds() == 24 * 3600
    report(desk, **C10_BREAKS_DOWN, time="2026-12-08T10:00")  # 26 h after the back-dated report

    incident = report(desk, **BACK_DATED)

    assert incident["options"]["inputs"]["unavailable"] == {}
    assert rejections_of(incident, "c10") == []
    first = incident["options"]["plans"][0]["assignments"][0]
    assert first["vehicle_id"] == "c10", first  # running at 08:00, and the best coach then
    accepted = desk.post(f"/incidents/{incident['number']}/accept", {"rank": 1})
    assert accepted.status_code == 200, accepted.text  # the store's own check agrees
    number = incident["number"]
    assert desk.get(f"/incidents/{number}").json()["warnings"] == []  # that breakdown is no concern of it
    # a breakdown of c10 reported for that afternoon is: the accepted plan is warned of it
    again = report(desk, **C10_BREAKS_DOWN, time="2026-12-07T12:00")["number"]
    (warning,) = desk.get(f"/incidents/{number}").json()["warnings"]
    assert (warning["code"], warning["vehicle_id"], warning["incident"]) == ("rescue_coach_broke_down", "c10", again)
    # for a report at its breakdown's time, it is broken down (and now booked too)
    later = report(desk, vehicle_id="c02", time="2026-12-08T10:30", location="G1 K40 toward Siping")
    assert later["options"]["inputs"]["unavailable"]["c10"] == f"booked by incident {number}"


def test_a_breakdown_before_the_report_still_leaves_the_coach_out(desk):
    broken = report(desk, **C10_BREAKS_DOWN, time="2026-12-07T05:30")["number"]

    incident = report(desk, **BACK_DATED)

    assert incident["options"]["inputs"]["unavailable"] == {"c10": f"broke down in incident {broken}"}
    assert rejections_of(incident, "c10")[0]["reason"] == f"c10: broke down in incident {broken}"


def test_a_coach_in_the_workshop_stays_out_whatever_its_breakdown_s_time(desk):
    report(desk, **C10_BREAKS_DOWN, time="2026-12-08T10:00")
    changed = desk.client.patch(
        "/fleet/c10", json={"status": "workshop", "reason": "towed in"}, headers=desk.headers("dispatcher")
    )
    assert changed.status_code == 200, changed.text

    incident = report(desk, **BACK_DATED)

    assert [r["code"] for r in rejections_of(incident, "c10")] == ["in_workshop"]
    used = {a["vehicle_id"] for plan in incident["options"]["plans"] for a in plan["assignments"]}
    assert "c10" not in used


def options_for(store, vehicle_id: str, at: datetime) -> int:
    """A breakdown of ``vehicle_id`` at ``at`` with options stored, straight in the records."""
    record, _ = store.report({"vehicle_id": vehicle_id, "kind": "breakdown"}, at, "desk", None)
    store.append(record.number, EntryKind.OPTIONS, "desk", {"plans": [{"rank": 1}]})
    return record.number


def test_the_store_counts_a_breakdown_from_its_own_time(store_url):
    """The accept's own check, in the booking's transaction, counts as the dispatch does: for an incident
    of 14:00, a breakdown reported for 16:00 concerns its plan, one a day later does not."""
    store = open_store(store_url)
    try:
        number = options_for(store, "c11", datetime(2026, 12, 10, 14))
        broken = options_for(store, "c10", datetime(2026, 12, 10, 16))
        why = f"c10: breaks down later, at 2026-12-10 16:00, in incident {broken}"
        with pytest.raises(ResourceUnusable, match=why):
            store.accept(number, "desk", {"rank": 1}, ["c10"], ["d10"])
        options_for(store, "c12", datetime(2026, 12, 11, 14))  # 24 h after: beyond the plan's reach
        assert store.accept(number, "desk", {"rank": 1}, ["c12"], ["d12"]).status == IncidentStatus.ACCEPTED
    finally:
        store.close()
