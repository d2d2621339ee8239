"""What a plan does for the stranded passengers, in the words the desk, the CLI and the printed
record show (docs/world-model.md §5): reached within the limit, reached late (by how many started
minutes), or not reached at all (no coach takes them).

The objective's ``passengers_not_reached`` counts the late and the not reached together (both miss
the promise); these words split them, so that passengers reached one minute late never read as
"not reached".
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fleetplan.units import ceil_minutes, seconds_between

LANGUAGES = ("zh", "en")
WORDS = {
    "en": {
        "in_time": "{n} passengers reached within the limit",
        "late": "{n} passengers reached {m} min late",
        "not_reached": "{n} passengers not reached (no coach takes them)",
        "row_late": "{m} min late",
    },
    "zh": {
        "in_time": "{n} 名乘客在时限内接到",
        "late": "{n} 名乘客超时 {m} 分钟接到",
        "not_reached": "{n} 名乘客未接到（无车接驳）",
        "row_late": "超时 {m} 分钟",
    },
}


def rescue_late_min(group, rescue) -> int:
    """Started minutes the rescue reaches ``group`` after its deadline (0 in time)."""
    return ceil_minutes(seconds_between(group.deadline, rescue.scene_arrival))


def incident_outcomes(instance, plan) -> list[dict[str, Any]]:
    """Per stranded group, what the plan gives its incident.

    Returns
    -------
    list of dict
        In the instance's group order: ``incident_id``, ``passengers`` (stranded), ``carried`` (given
        a seat by the plan's rescues) and ``on_time`` (of those, reached by the deadline).
    """
    carried: dict[str, int] = defaultdict(int)
    on_time: dict[str, int] = defaultdict(int)
    for rescue in plan.rescues:
        group = instance.group(rescue.group_id)
        carried[group.id] += rescue.passengers
        if not rescue_late_min(group, rescue):
            on_time[group.id] += rescue.passengers
    return [
        {"incident_id": g.incident_id, "passengers": g.passengers, "carried": carried[g.id], "on_time": on_time[g.id]}
        for g in instance.groups
    ]


def plan_outcome(instance, plan) -> dict[str, Any]:
    """The passengers of every stranded group, reached in time, late or not at all.

    Returns
    -------
    dict
        ``reached_in_time`` (passengers), ``reached_late`` (``[{"passengers", "late_min"}]``, one
        entry per lateness, least late first) and ``not_reached`` (passengers no coach takes).
    """
    late: dict[int, int] = defaultdict(int)
    for rescue in plan.rescues:
        late_min = rescue_late_min(instance.group(rescue.group_id), rescue)
        if late_min:
            late[late_min] += rescue.passengers
    per_incident = incident_outcomes(instance, plan)  # one rule for in time and carried, here and per incident
    return {
        "reached_in_time": sum(item["on_time"] for item in per_incident),
        "reached_late": [{"passengers": n, "late_min": m} for m, n in sorted(late.items()) if n],
        "not_reached": sum(max(0, item["passengers"] - item["carried"]) for item in per_incident),
    }


def outcome_lines(outcome: dict[str, Any], lang: str = "en") -> list[str]:
    """The outcome as short phrases in ``lang`` (``zh`` or ``en``), leaving out what is zero."""
    words = WORDS[lang]
    lines = [words["in_time"].format(n=outcome["reached_in_time"])] if outcome["reached_in_time"] else []
    lines += [words["late"].format(n=item["passengers"], m=item["late_min"]) for item in outcome["reached_late"]]
    if outcome["not_reached"]:
        lines.append(words["not_reached"].format(n=outcome["not_reached"]))
    return lines


def row_late(late_min: int, lang: str = "en") -> str:
    """A late coach's row: ``1 min late``."""
    return WORDS[lang]["row_late"].format(m=late_min)
