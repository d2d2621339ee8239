"""The pure parts of joint re-planning (:mod:`api.desk.joint`): a joint plan projected on one incident,
the previous proposal kept among equal plans, and a changed proposal saying why."""

from __future__ import annotations

from api.desk.joint_views import Trigger, crews_of, explain_change, keep_previous, own_phrases, project_plan

OBJECTIVE = {"passengers_not_reached": 0, "deadhead_km": 17}


def assignment(vehicle: str, driver: str, incident: str, route: str | None = None, late: int = 0) -> dict:
    return {"vehicle_id": vehicle, "driver_id": driver, "incident_id": incident, "route_id": route,
            "late_min": late, "passengers": 20}  # fmt: skip


def plan(rank: int, *assignments: dict, objective: dict = OBJECTIVE) -> dict:
    return {
        "rank": rank,
        "objective": dict(objective),
        "explanation": "; ".join(f"{a['vehicle_id']} for incident {a['incident_id']}" for a in assignments),
        "why_below_first": "" if rank == 1 else "worse",
        "assignments": list(assignments),
        "incidents": [{"incident_id": i, "passengers": 20, "carried": 20, "on_time": 20} for i in ("1", "2")],
        "routes": [],
        "recovered_trips": [{"trip_id": "T1", "vehicle_id": "c30", "driver_id": "d30", "incident_id": "2"}],
    }


def test_a_plan_projected_on_an_incident_keeps_only_its_part():
    joint = plan(1, assignment("c19", "d25", "1"), assignment("c10", "d06", "2", late=43))
    mine = project_plan(joint, "2")
    assert crews_of(mine) == {("c10", "d06", False)}
    assert mine["explanation"] == "c10 for incident 2"
    assert [i["incident_id"] for i in mine["incidents"]] == ["2"]
    assert [t["trip_id"] for t in mine["recovered_trips"]] == ["T1"] and project_plan(joint, "1")[
        "recovered_trips"
    ] == []
    assert mine["outcome"] == {
        "reached_in_time": 0,
        "reached_late": [{"passengers": 20, "late_min": 43}],
        "not_reached": 0,
    }
    assert project_plan(joint, "1")["outcome"]["reached_in_time"] == 20


def test_among_equal_plans_the_one_keeping_the_previous_proposal_ranks_first():
    view = {"plans": [plan(1, assignment("c20", "d1", "1")), plan(2, assignment("c19", "d25", "1"))]}
    keep_previous(view, {1: frozenset({("c19", "d25", False)})})
    assert [crews_of(p) for p in view["plans"]] == [{("c19", "d25", False)}, {("c20", "d1", False)}]
    assert [p["rank"] for p in view["plans"]] == [1, 2]
    assert view["plans"][0]["why_below_first"] == "" and "as good as plan 1" in view["plans"][1]["why_below_first"]


def test_a_better_plan_is_never_set_back_for_the_previous_proposal():
    worse = {**OBJECTIVE, "deadhead_km": 30}
    view = {"plans": [plan(1, assignment("c20", "d1", "1")), plan(2, assignment("c19", "d25", "1"), objective=worse)]}
    keep_previous(view, {1: frozenset({("c19", "d25", False)})})
    assert crews_of(view["plans"][0]) == {("c20", "d1", False)}


def test_a_changed_proposal_says_why_in_both_languages():
    trigger = Trigger.reported(13)
    other = plan(1, assignment("c20", "d1", "12"))
    explain_change(other, frozenset({("c17", "d3", False)}), 12, trigger)
    assert other["changed_because"] == "incident 13 was reported: now c20 (d1) instead of c17 (d3)"
    assert other["changed_because_zh"] == "事件 13 上报：现派 c20 (d1)，原为 c17 (d3)"
    shared = plan(1, assignment("c19", "d25", "12", route="R"))
    shared["routes"] = [{"route_id": "R", "stops": [{"incident": "12"}, {"incident": "13"}]}]
    explain_change(shared, frozenset({("c19", "d25", False)}), 12, trigger)
    assert shared["changed_because"] == "incident 13 was reported: c19 now collects both groups (before: c19 (d25))"
    same = plan(1, assignment("c19", "d25", "12"))
    explain_change(same, frozenset({("c19", "d25", False)}), 12, trigger)
    assert "changed_because" not in same


def test_explanation_phrases_are_matched_by_whole_coach_ids_also_in_chinese():
    assert own_phrases("c1 goes; c10 goes", "; ", {"c1"}) == "c1 goes"
    assert own_phrases("由c19出发；由c10出发", "；", {"c19"}) == "由c19出发"
    assert own_phrases("nothing named", "; ", {"c19"}) == "nothing named"
