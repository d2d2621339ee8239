"""The best plan first while other reports wait, the alternatives when the desk is free (issue 18 §5;
api.desk.first_answers): a first answer holds the best plan alone, marked ``more_options_coming``; the
desk's idle work then stores the full options with the same first plan (and joint id), never over an
entry that came since (an accept, a fresh plan).

The data are those of ``tests/api/test_http_joint.py``: Friday 2026-12-11 14:18, c15 fails at G1 K11
toward Changchun with 20 aboard, c16 at K13 with 25, the whole fleet at hand (so there are options
beyond the best).
"""

from __future__ import annotations

import pytest

from api.desk.first_answers import MORE_OPTIONS_COMING
from api.desk.joint import JointPlanner
from api.desk.joint_views import Trigger, crews_of
from api.records import Superseded
from api.records.types import EntryKind
from api.routers.events import desk_incidents

from tests.api.http_support import running_desk, sqlite_url

FR1 = {"vehicle_id": "c15", "location": "G1 K11 toward Changchun", "time": "2026-12-11T14:18", "passengers": 20}
FR2 = {"vehicle_id": "c16", "location": "G1 K13 toward Changchun", "time": "2026-12-11T14:18", "passengers": 25}
SETTINGS = {"dispatch_time_limit_s": 1.0, "clock_from": "2026-12-11T14:30"}  # a drill clock on that Friday
SOUND = ("optimal", "feasible")  # never "disputed": the evaluator and the independent oracle checked each plan


@pytest.fixture
def desk(tmp_path):
    with running_desk(sqlite_url(tmp_path), **SETTINGS) as desk:
        yield desk


def planner(desk) -> JointPlanner:
    return desk.client.app.state.desk.joint


def reported(desk, report: dict) -> int:
    response = desk.post("/incidents", report)
    assert response.status_code == 201, response.text
    return response.json()["number"]


def options(desk, number: int) -> dict:
    return desk.get(f"/incidents/{number}").json()["options"]


def entry_ids(desk, number: int) -> list[int]:
    with desk.records() as store:
        return [entry.id for entry in store.incident(number).entries]


def first_answered(desk, numbers: list[int]) -> JointPlanner:
    """``numbers`` planned again with the best plan only, as when other reports wait."""
    joint = planner(desk)
    joint.replan(numbers, "dispatcher", Trigger.recomputed(*numbers), first_only=True)
    return joint


def test_a_joint_first_answer_holds_the_best_plan_and_the_alternatives_follow_with_the_same_first_plan(desk):
    numbers = [reported(desk, FR1), reported(desk, FR2)]
    joint = first_answered(desk, numbers)
    first = {n: options(desk, n) for n in numbers}
    for answer in first.values():
        assert len(answer["plans"]) == 1 and answer[MORE_OPTIONS_COMING] is True
        assert answer["status"] in SOUND
    assert first[numbers[0]]["joint"]["id"] == first[numbers[1]]["joint"]["id"]
    assert joint.first_answers.pending()

    joint.add_alternatives()

    assert not joint.first_answers.pending()
    for number in numbers:
        full = options(desk, number)
        assert len(full["plans"]) > 1, "the whole fleet is at hand: there are options beyond the best"
        assert not full[MORE_OPTIONS_COMING] and full["status"] in SOUND
        assert full["joint"] == first[number]["joint"], "the same joint plan: what the dispatcher saw stays acceptable"
        assert crews_of(full["plans"][0]) == crews_of(first[number]["plans"][0])
        assert full["plans"][0].get("changed_because") is None
        assert [p["rank"] for p in full["plans"]] == list(range(1, len(full["plans"]) + 1))


def test_a_lone_incident_first_answered_gets_its_alternatives_with_the_same_best(desk):
    number = reported(desk, FR1)
    asked = len(options(desk, number)["plans"])
    first_answered(desk, [number]).add_alternatives()
    with desk.records() as store:
        entries = [e for e in store.incident(number).entries if e.kind == EntryKind.OPTIONS]
    first, full = entries[-2].payload, entries[-1].payload
    assert len(first["plans"]) == 1 and first[MORE_OPTIONS_COMING]
    assert len(full["plans"]) == asked > 1 and MORE_OPTIONS_COMING not in full
    assert crews_of(full["plans"][0]) == crews_of(first["plans"][0]) and full["status"] in SOUND


def test_an_accept_of_the_first_answer_is_never_overwritten_by_its_alternatives(desk):
    numbers = [reported(desk, FR1), reported(desk, FR2)]
    joint = first_answered(desk, numbers)
    seen = options(desk, numbers[0])["joint"]["id"]
    accepted = desk.post(f"/incidents/{numbers[0]}/accept", {"rank": 1, "joint_id": seen})
    assert accepted.status_code == 200, accepted.text
    before = {n: entry_ids(desk, n) for n in numbers}

    joint.add_alternatives()

    assert {n: entry_ids(desk, n) for n in numbers} == before
    assert {desk.get(f"/incidents/{n}").json()["status"] for n in numbers} == {"accepted"}


def test_fresh_options_asked_for_since_the_first_answer_are_kept(desk):
    number = reported(desk, FR1)
    joint = first_answered(desk, [number])
    asked = desk.post(f"/incidents/{number}/options")
    assert asked.status_code == 200, asked.text
    before = entry_ids(desk, number)

    joint.add_alternatives()

    assert entry_ids(desk, number) == before
    assert MORE_OPTIONS_COMING not in options(desk, number) or not options(desk, number)[MORE_OPTIONS_COMING]


def test_a_voided_partner_leaves_the_other_with_its_alternatives_planned_alone(desk):
    numbers = [reported(desk, FR1), reported(desk, FR2)]
    joint = first_answered(desk, numbers)
    voided = desk.post(f"/incidents/{numbers[1]}/void", {"reason": "test: a duplicate report"})
    assert voided.status_code == 200, voided.text

    joint.add_alternatives()

    left = options(desk, numbers[0])
    assert len(left["plans"]) > 1 and not left[MORE_OPTIONS_COMING] and left["status"] in SOUND
    assert not left.get("planned_with"), "planned without the voided incident"


def test_the_store_refuses_an_entry_meant_to_follow_one_that_is_no_longer_the_latest(desk):
    number = reported(desk, FR1)
    with desk.records() as store:
        record = store.incident(number)
        stale = record.entries[0].id  # the report; the options came after it
        payload = record.latest(EntryKind.OPTIONS).payload
        with pytest.raises(Superseded):
            store.append(number, EntryKind.OPTIONS, "dispatcher", payload, after=stale)
        assert [e.id for e in store.incident(number).entries] == [e.id for e in record.entries]
        latest = record.entries[-1].id
        store.append(number, EntryKind.OPTIONS, "dispatcher", payload, after=latest)
        assert len(store.incident(number).entries) == len(record.entries) + 1


def test_a_report_that_comes_to_wait_during_a_solve_cuts_it_to_the_best_plan(desk):
    numbers = [reported(desk, FR1), reported(desk, FR2)]
    joint = planner(desk)
    waiting = joint.desk.dispatch_pool.reports_waiting  # what the batches tell a dispatch, in or out of process
    waiting.set(1)  # a report is now waiting for the planner
    joint.replan(numbers, "dispatcher", Trigger.recomputed(*numbers))  # not asked for the best plan alone
    for number in numbers:
        cut = options(desk, number)
        assert len(cut["plans"]) == 1 and cut[MORE_OPTIONS_COMING] and cut["status"] in SOUND
    assert joint.first_answers.pending(), "the alternatives are still to come"
    waiting.set(0)  # nobody waits any more
    joint.add_alternatives()
    assert all(len(options(desk, n)["plans"]) > 1 for n in numbers)


def test_the_desk_list_says_when_more_options_are_coming_and_when_they_came(desk):
    number = reported(desk, FR1)
    service = desk.client.app.state.desk

    def listed() -> bool:
        return next(v for v in desk_incidents(service) if v["number"] == number)["more_options_coming"]

    assert listed() is False
    joint = first_answered(desk, [number])
    assert listed() is True  # the page shows the best plan and says more are coming
    joint.add_alternatives()
    assert listed() is False  # the flag drops: the page reloads the incident and shows them all
