"""What the contingency plan expects of the system in a drill: common checks (a solver plan, no
evaluator finding, everyone collected) and each kind's own (later trips re-covered, closed roads
avoided, the G102 detour, one coach per simultaneous breakdown, slower in snow)."""

from __future__ import annotations

from fleetplan.corridor import Corridor
from fleetplan.units import minutes

from solver.dispatch import Status
from solver.planning.drills.results import Check, DrillReport
from solver.planning.drills.scenarios import DrillKind


def drill_checks(report: DrillReport, corridor: Corridor) -> tuple[Check, ...]:
    """What the contingency plan expects of the system: common checks plus the drill kind's own."""
    checks = [_answered(report), _sound(report), _all_carried(report)]
    kind = report.scenario.kind
    if kind == DrillKind.BREAKDOWN:
        checks += [_later_trips_recovered(report)]
    elif kind == DrillKind.ACCIDENT:
        checks += [_closed_roads_avoided(report, corridor), _detour_taken(report)]
    elif kind == DrillKind.BLIZZARD:
        checks += [_no_g1(report), _detour_taken(report), _distinct_rescuers(report), _slower_than_clear(report)]
    return tuple(checks)


def _answered(report: DrillReport) -> Check:
    statuses = [s.value for s in report.statuses]
    ok = all(s in (Status.OPTIMAL, Status.FEASIBLE) for s in report.statuses)
    return Check("the dispatch answered with a solver plan", ok, f"status {', '.join(statuses)}")


def _sound(report: DrillReport) -> Check:
    return Check(
        "the independent evaluator finds no problem in the plan",
        not report.problems,
        "; ".join(report.problems) or "no problems",
    )


def _all_carried(report: DrillReport) -> Check:
    left = [
        f"{s.incident_id}: {s.passengers - s.passengers_carried}"
        for s in report.scores
        if s.passengers_carried < s.passengers
    ]
    return Check(
        "every stranded passenger is collected",
        not left,
        "; ".join(left) or f"{sum(s.passengers for s in report.scores)} passengers collected",
    )


def _later_trips_recovered(report: DrillReport) -> Check:
    failed = {i.vehicle_id for i in report.scenario.incidents}
    tasks = [t.trip_id for d in report.dispatches for t in d.instance.trip_tasks if t.planned_vehicle_id in failed]
    left = [t for t in tasks if t in report.uncovered_trips]
    return Check(
        "the failed coach's later trips are re-covered",
        not left,
        f"uncovered: {', '.join(left)}"
        if left
        else (f"re-covered: {', '.join(tasks)}" if tasks else "no later trip within the horizon"),
    )


def _closed_roads_avoided(report: DrillReport, corridor: Corridor) -> Check:
    closed = report.scenario.conditions.closed_edges
    used = []
    for leg in report.legs:  # a scene on an edge is never on a closed edge, so the node paths tell all
        for nodes in (leg.to_scene_nodes, leg.onward_nodes):
            used += [f"{leg.vehicle_id}: {u} → {v}" for u, v in zip(nodes, nodes[1:]) if (u, v) in closed]
    return Check(
        "no rescue drives a closed carriageway",
        not used and bool(report.legs),
        "; ".join(used) or f"{len(closed)} closed section(s) avoided",
    )


def _detour_taken(report: DrillReport) -> Check:
    missing = [leg.vehicle_id for leg in report.legs if "G102" not in leg.to_scene_roads + leg.onward_roads]
    return Check(
        "the rescue takes the G102 detour",
        not missing and bool(report.legs),
        f"not on G102: {', '.join(missing)}"
        if missing
        else "; ".join(
            f"{leg.vehicle_id}: {' → '.join(leg.to_scene_roads + ('scene',) + leg.onward_roads)}" for leg in report.legs
        ),
    )


def _no_g1(report: DrillReport) -> Check:
    on_g1 = [leg.vehicle_id for leg in report.legs if "G1" in leg.to_scene_roads + leg.onward_roads]
    return Check(
        "no rescue enters the closed G1",
        not on_g1 and bool(report.legs),
        f"on G1: {', '.join(on_g1)}" if on_g1 else "all rescues stay off G1",
    )


def _distinct_rescuers(report: DrillReport) -> Check:
    vehicles = [leg.vehicle_id for leg in report.legs]
    incidents = {s.incident_id for s in report.scores if s.rescuers}
    ok = len(vehicles) == len(set(vehicles)) and len(incidents) == len(report.scores)
    return Check(
        "simultaneous breakdowns get their own coaches",
        ok,
        ", ".join(f"{s.incident_id}: {'+'.join(s.rescuers) or 'none'}" for s in report.scores),
    )


def _slower_than_clear(report: DrillReport) -> Check:
    compared = [(leg, leg.clear_weather_s) for leg in report.legs if leg.clear_weather_s is not None]
    slower = [leg for leg, clear_s in compared if leg.response_s > clear_s]
    return Check(
        "ice and snow slow every rescue down",
        bool(compared) and len(slower) == len(compared),
        "; ".join(
            f"{leg.vehicle_id}: {minutes(leg.response_s):.0f} min (clear {minutes(clear_s):.0f} min)"
            for leg, clear_s in compared
        ),
    )
