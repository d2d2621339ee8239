"""How a plan's outcome is worded (issue 14 item 13): passengers reached within the limit, reached
late (by how many minutes), and not reached at all (no coach takes them) are three different things.
The objective's ``passengers_not_reached`` counts the last two together; the words split them."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from fleetplan.corridor import load_corridor

from solver.dispatch import Result, Status, build_plan
from solver.dispatch.result import Dispatch

from api import views
from api.plan_outcome import outcome_lines, plan_outcome
from api.routers.desk import render_record

from tests.api.http_support import running_desk, sqlite_url
from tests.solver.factory import InstanceBuilder


def late_plan():
    """40 stranded: 20 reached in time, 15 reached 1 min late (61 min, limit 60), 5 taken by nobody."""
    builder = InstanceBuilder().group("g", 40, limit_min=60)
    on_time = builder.rescue(builder.crew("c1", "d1", 20), "g", eta_min=50)
    late = builder.rescue(builder.crew("c2", "d2", 15), "g", eta_min=61)
    instance = builder.build()
    return instance, build_plan(instance, {on_time: 20, late: 15}, [], "test")


def test_the_objective_term_counts_late_and_unreached_together():
    _, plan = late_plan()
    assert plan.objective.passengers_not_reached == 20  # 15 late + 5 nobody takes


def test_the_plan_view_splits_late_from_not_reached():
    instance, plan = late_plan()
    view = views.plan_view(instance, plan, 1, ())
    assert view["outcome"] == {
        "reached_in_time": 20,
        "reached_late": [{"passengers": 15, "late_min": 1}],
        "not_reached": 5,
    }
    assert [a["late_min"] for a in view["assignments"]] == [0, 1]
    assert view["objective"]["passengers_not_reached"] == 20  # the term is kept


def test_late_groups_are_listed_by_their_lateness():
    builder = InstanceBuilder().group("g", 30, limit_min=60)
    a = builder.rescue(builder.crew("c1", "d1", 10), "g", eta_min=60.5)
    b = builder.rescue(builder.crew("c2", "d2", 10), "g", eta_min=68)
    c = builder.rescue(builder.crew("c3", "d3", 10), "g", eta_min=60.2)
    instance = builder.build()
    outcome = plan_outcome(instance, build_plan(instance, {a: 10, b: 10, c: 10}, [], "test"))
    assert outcome == {
        "reached_in_time": 0,
        "reached_late": [{"passengers": 20, "late_min": 1}, {"passengers": 10, "late_min": 8}],
        "not_reached": 0,
    }


def test_outcome_lines_in_both_languages():
    instance, plan = late_plan()
    outcome = plan_outcome(instance, plan)
    assert outcome_lines(outcome, "en") == [
        "20 passengers reached within the limit",
        "15 passengers reached 1 min late",
        "5 passengers not reached (no coach takes them)",
    ]
    assert outcome_lines(outcome, "zh") == [
        "20 名乘客在时限内接到",
        "15 名乘客超时 1 分钟接到",
        "5 名乘客未接到（无车接驳）",
    ]


def test_the_dispatch_text_says_late_and_by_how_much():
    instance, plan = late_plan()
    outcome = Dispatch(instance, Result(Status.INFEASIBLE, (plan,), (), 0), ((),))
    text = views.dispatch_text(views.dispatch_view(outcome))
    assert "15 passengers reached 1 min late" in text
    assert "5 passengers not reached (no coach takes them)" in text
    assert "20 passengers not reached" not in text
    assert "passengers_not_reached=20" in text  # the objective's own term stays as it is


def test_the_dispatch_text_rounds_the_eta_and_cuts_the_clock_times():
    """12 min 59 s to the scene reads 13.0 min (cut, it read 12 or 12.9); the arrival at 08:12:59 reads
    08:12 as a clock does, within a limit that ends at 08:13: a clock rounded up would show it at the
    deadline's own minute, one cut never shows an arrival in time as late."""
    builder = InstanceBuilder().group("g", 30, limit_min=13)
    rescue = builder.rescue(builder.crew("c1", "d1", 30), "g", eta_min=12 + 59 / 60)
    instance = builder.build()
    plan = build_plan(instance, {rescue: 30}, [], "test")
    view = views.dispatch_view(Dispatch(instance, Result(Status.OPTIMAL, (plan,), (), 0), ((),)))
    assert view["plans"][0]["assignments"][0]["scene_eta_min"] == 13.0
    lines = views.dispatch_text(view).splitlines()
    row = next(line for line in lines if line.startswith("c1 "))
    assert "13.0 min, by 08:13" in row and "late" not in row, row
    assert any(line.strip().startswith("08:12  pick up") for line in lines), lines
    assert "  outcome: 30 passengers reached within the limit" in lines, lines


def test_the_dispatch_text_of_a_feasible_plan_shows_its_proven_bound_as_the_json_does():
    instance, plan = late_plan()
    bound = dataclasses.replace(plan.objective, passengers_not_reached=15, rescue_coaches=1)
    feasible = views.dispatch_view(Dispatch(instance, Result(Status.FEASIBLE, (plan,), (), 0, bound), ((),)))
    assert feasible["bound"] == bound.as_dict()
    lines = views.dispatch_text(feasible).splitlines()
    assert lines[0].startswith("status: feasible")
    terms = ", ".join(f"{term}={value}" for term, value in bound.as_dict().items())  # as plan 1's line has them
    assert lines[1] == f"proven bound (no plan can do better): {terms}"
    assert views.dispatch_text(feasible, "zh").splitlines()[1] == f"已证明的下界（没有方案能优于它）：{terms}"
    optimal = views.dispatch_view(Dispatch(instance, Result(Status.OPTIMAL, (plan,), (), 0), ((),)))
    assert optimal["bound"] is None and "proven bound" not in views.dispatch_text(optimal)


def test_the_explanation_says_late_and_who_no_coach_takes():
    _, plan = late_plan()
    assert "1 min late" in plan.explanation
    assert "within the limit" in plan.explanation
    assert "5 of 40 passengers of incident inc-g not reached: no coach takes them" in plan.explanation


def test_the_printed_record_words_the_outcome_in_both_languages():
    instance, plan = late_plan()
    shown = views.plan_view(instance, plan, 1, ())
    view = {
        "number": 3,
        "status": "accepted",
        "reported_at": "2026-12-08T08:00",
        "report": {"vehicle_id": "c01", "location": "G1 K78 toward Changchun", "passengers": 40},
        "tier": "near_backup",
        "limit_min": 60,
        "options": {"status": "infeasible", "solve_ms": 5, "plans": [shown]},
        "accepted": {"rank": 1, "plan": shown, "by": "desk", "at": "2026-12-08T08:01"},
        "on_scene_at": None,
        "response_min": None,
        "within_limit": None,
        "resolved_at": None,
        "follow_up": None,
        "voided": None,
        "entries": [],
    }
    page = render_record(view, load_corridor(), printed_at=datetime(2026, 12, 8, 9, 0))
    assert "15 名乘客超时 1 分钟接到 · 15 passengers reached 1 min late" in page
    assert "5 名乘客未接到（无车接驳） · 5 passengers not reached (no coach takes them)" in page
    assert "超时 1 分钟 · 1 min late" in page  # the late coach's row


def test_the_desk_service_passes_the_outcome_through(tmp_path):
    with running_desk(sqlite_url(tmp_path)) as desk:
        incident = desk.report().json()
    for plan in incident["options"]["plans"]:
        outcome = plan["outcome"]
        late = sum(group["passengers"] for group in outcome["reached_late"])
        assert late + outcome["not_reached"] == plan["objective"]["passengers_not_reached"]
        assert outcome["reached_in_time"] + late + outcome["not_reached"] == incident["report"]["passengers"]
        assert all(a["late_min"] >= 0 for a in plan["assignments"])


def test_a_plan_with_nobody_to_reach_prints_no_empty_outcome_line():
    builder = InstanceBuilder().group("g", 0, limit_min=60)  # a coach failed with nobody aboard
    instance = builder.build()
    plan = build_plan(instance, {}, [], "test")
    text = views.dispatch_text(views.dispatch_view(Dispatch(instance, Result(Status.OPTIMAL, (plan,), (), 0), ((),))))
    assert not any(line.strip() in ("outcome:", "结果：") for line in text.splitlines()), text
    instance, plan = late_plan()
    text = views.dispatch_text(views.dispatch_view(Dispatch(instance, Result(Status.OPTIMAL, (plan,), (), 0), ((),))))
    assert "  outcome: 20 passengers reached within the limit" in text


def test_a_retimed_trip_reads_the_minutes_the_objective_counts():
    """A departure 30 s late is a started minute: "+1 min" and departure_shift_min 1, as trips_retimed_min
    counts it (it read "+0 min" beside trips_retimed_min 1)."""
    builder = InstanceBuilder().group("g", 20, limit_min=60)
    rescue = builder.rescue(builder.crew("c1", "d1", 40), "g", eta_min=30)
    builder.crew("c2", "d2", 45)
    builder.trip("T1", 200, "c9", "d9")
    cover = builder.trip_option("c2+d2", "T1", shift_min=0.5)
    instance = builder.build()
    plan = build_plan(instance, {rescue: 20}, [cover], "test")
    view = views.dispatch_view(Dispatch(instance, Result(Status.OPTIMAL, (plan,), (), 0), ((),)))
    (recovered,) = view["plans"][0]["recovered_trips"]
    assert recovered["departure_shift_min"] == view["plans"][0]["objective"]["trips_retimed_min"] == 1
    assert "(+1 min)" in view["plans"][0]["explanation"]
