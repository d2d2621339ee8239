"""The words beside the ids in the dispatch views: every text a dispatcher reads in English and
Chinese (``…_zh``), places and tiers by their names (issue #17). The texts themselves are worded by
:mod:`fleetplan.wording`; this module says which view field shows which."""

from __future__ import annotations

from typing import Any

from fleetplan.phrase import Phrase, phrase
from fleetplan.wording import Names, code_text, fact_text, render, said_text, why_below_phrase


def rejected_view(rejection, names: Names) -> dict[str, Any]:
    """A rejected candidate: its code (and the code in words) and its reason in both languages."""
    return {
        "candidate": rejection.candidate,
        "code": rejection.code.value,
        "code_name": code_text(rejection.code, "en"),
        "code_name_zh": code_text(rejection.code, "zh"),
        "reason": rejection.reason,
        "reason_zh": said_text(rejection, "zh", names),
    }


def named(key: str, fact: Any, names: Names) -> dict[str, str]:
    """``{key: English, key_zh: Chinese}`` of a place, tier or phrase."""
    return {key: fact_text(fact, "en", names), f"{key}_zh": fact_text(fact, "zh", names)}


def why_below_first_zh(first, plan) -> str:
    """``why_below_first`` in Chinese: worded again from the two plans, when that says what the English says."""
    said = why_below_phrase(first, plan) if first is not None and plan.why_below_first else None
    if said is None or render(said, "en") != plan.why_below_first:
        return plan.why_below_first  # not from the first plan here: the English stands
    return render(said, "zh")


def on_trip(rescue) -> Phrase:
    """Where a passing coach comes from: its trip."""
    return phrase("plan.on_trip", trip=rescue.passing_trip_id)


def position_phrase(instance, vehicle_id: str) -> Phrase:
    """What placed the coach in this dispatch: its fresh GPS fix, else the timetable (its fix stale, if any)."""
    seen = instance.live.sighted.get(vehicle_id)
    if seen is not None:
        return seen.phrase()
    stale = instance.live.stale.get(vehicle_id)
    return phrase("position.timetable") if stale is None else phrase("position.stale", at=f"{stale:%H:%M}")


# The frame of ``fleetplan dispatch``'s text; what the service says comes in the view's own languages.
TEXT_WORDS = {
    "en": {
        "status": "status: {status}  ({ms} ms)",
        "bound": "proven bound (no plan can do better): ",
        "incident": "incident {id}: {vehicle} at {location}, {n} passengers, tier {tier} ({limit})",
        "limit": "limit {m} min",
        "limit_pre": "reach by {deadline}, {m} min after the scheduled departure",
        "plan": "\nplan {rank} ({source}): ",
        "below": "  below plan 1: {why}",
        "outcome": "  outcome: ",
        "eta": "{eta} min, by {deadline}",
        "late": " ({m} min late)",
        "trip": "  trip {trip}: {vehicle} / {driver} (+{m} min)",
        "uncovered": "  trip {trip}: UNCOVERED",
        "evaluator": "  ! evaluator: {problem}",
        "reason": "reason: {reason}",
        "relaxation": "relaxation: {description}",
        "rejected": "\nrejected ({n}):",
        "columns": "vehicle_id driver_id origin depart_at eta/limit passengers destination_arrival deadhead_km",
    },
    "zh": {
        "status": "状态：{status}（{ms} 毫秒）",
        "bound": "已证明的下界（没有方案能优于它）：",
        "incident": "事件 {id}：{vehicle} 位于 {location}，{n} 名乘客，等级：{tier}（{limit}）",
        "limit": "时限 {m} 分钟",
        "limit_pre": "须于 {deadline} 前到达，即计划发车后 {m} 分钟",
        "plan": "\n方案 {rank}（{source}）：",
        "below": "  排在方案 1 之后：{why}",
        "outcome": "  结果：",
        "eta": "{eta} 分钟，{deadline} 前",
        "late": "（超时 {m} 分钟）",
        "trip": "  车次 {trip}：{vehicle} / {driver}（晚发 {m} 分钟）",
        "uncovered": "  车次 {trip}：无车执行",
        "evaluator": "  ！校验：{problem}",
        "reason": "原因：{reason}",
        "relaxation": "放宽条件：{description}",
        "rejected": "\n未选用（{n}）：",
        "columns": "车辆 司机 出发地 出发时间 到场/时限 乘客 送达时间 空驶公里",
    },
}
