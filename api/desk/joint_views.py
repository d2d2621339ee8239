"""Joint plans as each incident stores them (issue 18 §3; :mod:`api.desk.joint` plans them): the trigger
of a re-plan, a joint dispatch view projected on one incident, the previous proposal kept among equal
plans, and what a changed proposal says."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from api.desk.live import plan_resources
from api.records.types import EntryKind, IncidentRecord, IncidentStatus


@dataclass(frozen=True)
class Trigger:
    """What re-planned the incidents, in English and Chinese."""

    en: str
    zh: str

    @classmethod
    def reported(cls, *numbers: int) -> Trigger:
        text = ", ".join(str(n) for n in numbers)
        en = f"incident {text} was reported" if len(numbers) == 1 else f"incidents {text} were reported"
        return cls(en, f"事件 {text} 上报")

    @classmethod
    def recomputed(cls, *numbers: int) -> Trigger:
        text = ", ".join(str(n) for n in numbers)
        return cls(f"fresh options were asked for incident {text}", f"调度员要求重新计算事件 {text} 的方案")

    @classmethod
    def together(cls) -> Trigger:
        return cls("the dispatcher asked to plan them together", "调度员要求合并规划")

    @classmethod
    def released(cls, numbers: Sequence[int]) -> Trigger:
        text = ", ".join(str(n) for n in numbers)
        en = f"incident {text} was released" if len(numbers) == 1 else f"incidents {text} were released"
        return cls(en, f"事件 {text} 的方案已释放")

    @classmethod
    def alternatives(cls) -> Trigger:
        return cls("the other options were computed", "其余备选方案已算出")

    @classmethod
    def changed(cls, number: int, status: str) -> Trigger:
        return cls(f"incident {number} was {status} meanwhile", f"事件 {number} 已被其他调度台处理（{status}）")


# --------------------------------------------------------------------------- projection and stability
def project(view: Mapping[str, Any], number: int, joint: Mapping[str, Any]) -> dict[str, Any]:
    """The joint dispatch ``view`` as incident ``number`` stores it: its group, its part of each plan."""
    own = str(number)
    payload = dict(view)
    payload["incidents"] = [i for i in view["incidents"] if i["incident_id"] == own]
    payload["plans"] = [project_plan(plan, own) for plan in view["plans"]]
    payload["planned_with"] = [n for n in joint["incidents"] if n != number]
    payload["joint"] = dict(joint)
    return payload


def project_plan(plan: Mapping[str, Any], own: str) -> dict[str, Any]:
    """One plan restricted to incident ``own``: its assignments, routes, re-covered trips and outcome."""
    assignments = [a for a in plan["assignments"] if a.get("incident_id") == own]
    incidents = [i for i in plan.get("incidents") or [] if i["incident_id"] == own]
    passengers = sum(i["passengers"] for i in incidents)
    late: dict[int, int] = {}
    for a in assignments:
        if a["late_min"]:
            late[a["late_min"]] = late.get(a["late_min"], 0) + a["passengers"]
    trips = [t for t in plan["recovered_trips"] if t.get("incident_id") == own]
    coaches = {a["vehicle_id"] for a in assignments} | {t["vehicle_id"] for t in trips}
    return {
        **plan,
        "explanation": own_phrases(plan.get("explanation") or "", "; ", coaches),
        "explanation_zh": own_phrases(plan.get("explanation_zh") or "", "；", coaches),
        "assignments": assignments,
        "incidents": incidents,
        "routes": [
            route
            for route in plan.get("routes") or []
            if any(stop.get("incident") == own for stop in route.get("stops", []))
        ],
        "recovered_trips": trips,
        "outcome": {
            "reached_in_time": sum(a["passengers"] for a in assignments if not a["late_min"]),
            "reached_late": [{"passengers": n, "late_min": m} for m, n in sorted(late.items())],
            "not_reached": max(0, passengers - sum(a["passengers"] for a in assignments)),
        },
    }


Crews = frozenset[tuple[str, str, bool]]


def own_phrases(text: str, separator: str, coaches: set[str]) -> str:
    """The phrases of a joint plan's explanation that name one of ``coaches`` (all when none does)."""
    phrases = text.split(separator)
    own = [p for p in phrases if any(re.search(rf"(?<![A-Za-z0-9]){re.escape(c)}(?![A-Za-z0-9])", p) for c in coaches)]
    return separator.join(own or phrases)


def crews_of(plan: Mapping[str, Any], own: str | None = None) -> Crews:
    """The (coach, driver, on a route) crews a plan view sends to the passengers (of incident ``own``)."""
    return frozenset(
        (a["vehicle_id"], a["driver_id"], bool(a.get("route_id")))
        for a in plan.get("assignments", [])
        if own is None or a.get("incident_id", own) == own
    )


def first_crews(record: IncidentRecord) -> Crews | None:
    """The crews of ``record``'s current first proposal, None without one."""
    entry = record.latest(EntryKind.OPTIONS)
    plans = entry.payload.get("plans") if entry else None
    return crews_of(plans[0]) if plans else None


def keep_previous(view: dict[str, Any], before: Mapping[int, Crews | None]) -> None:
    """Rank first, among the plans as good as the best, the one keeping the most previous proposals."""
    plans = view["plans"]
    if len(plans) < 2:
        return
    best = plans[0]["objective"]

    def kept(plan: Mapping[str, Any]) -> int:
        return sum(1 for n, crews in before.items() if crews and crews_of(plan, str(n)) == crews)

    ties = [p for p in plans if p["objective"] == best]
    chosen = max(ties, key=kept)  # the first of the most-keeping: the solver's order on a further tie
    if chosen is plans[0] or kept(chosen) == kept(plans[0]):
        return
    plans.remove(chosen)
    plans.insert(0, chosen)
    for rank, plan in enumerate(plans, start=1):
        plan["rank"] = rank
    chosen["why_below_first"], chosen["why_below_first_zh"] = "", ""
    plans[1]["why_below_first"] = "as good as plan 1, which keeps the proposals made before"
    plans[1]["why_below_first_zh"] = "与方案 1 同样好；方案 1 保留了此前的提议"


def explain_change(plan: dict[str, Any], before: Crews, number: int, trigger: Trigger) -> None:
    """Say on ``plan`` (incident ``number``'s new first proposal) why it differs from ``before``."""
    own = str(number)
    now = crews_of(plan, own)
    if now == before:
        return
    shared = [
        a
        for a in plan["assignments"]
        if a.get("route_id")
        and any(
            stop.get("incident") not in (own, None)
            for route in plan.get("routes") or []
            if route.get("route_id") == a["route_id"]
            for stop in route.get("stops", [])
        )
    ]
    old = ", ".join(f"{v} ({d})" for v, d, _ in sorted(before)) or "none"
    new = ", ".join(f"{v} ({d})" for v, d, _ in sorted(now)) or "none"
    if shared:
        coach = shared[0]["vehicle_id"]
        en, zh = f"{coach} now collects both groups (before: {old})", f"{coach} 现一并接运两处乘客（原为 {old}）"
    elif not now:
        en, zh = f"no coach is sent now (before: {old})", f"现无车可派（原为 {old}）"
    else:
        en, zh = f"now {new} instead of {old}", f"现派 {new}，原为 {old}"
    plan["changed_because"] = f"{trigger.en}: {en}"
    plan["changed_because_zh"] = f"{trigger.zh}：{zh}"


# --------------------------------------------------------------------------- records planned together
def conditions_of(report: dict[str, Any]) -> str:
    """The road conditions preset a recorded report names (``clear`` when it names none)."""
    return str(report.get("conditions") or "clear")


def shared_holds(records: Iterable[IncidentRecord]) -> dict[str, str]:
    """Coach or driver id → why, for the crews of accepted joint plans of ``records`` (accepted or on
    scene): booked under one incident only, they stay held while any incident of the plan is open."""
    held: dict[str, str] = {}
    for record in records:
        accepted = record.latest(EntryKind.ACCEPT)
        booked = record.status in (IncidentStatus.ACCEPTED, IncidentStatus.ON_SCENE)
        if booked and accepted is not None and accepted.payload.get("accepted_with"):
            for resource in (r for part in plan_resources(accepted.payload.get("plan") or {}) for r in part):
                held.setdefault(resource, f"booked by incident {record.number} (planned together)")
    return held
