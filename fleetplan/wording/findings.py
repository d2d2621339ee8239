"""The rules' findings and a missing route, worded per language.

English is the rules' own wording (:mod:`fleetplan.rules.wording`, :func:`fleetplan.rules.shift.shift_message`),
which names drivers, plates and clock times only; Chinese is worded here from the same numbers. A
missing route names places, so both languages are worded here with the places' names.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta
from typing import Any

from fleetplan.model import Activity, DrivingPolicy, OvernightRule, RoadClass, VehicleClass, Weather
from fleetplan.network.travel import NoRoute
from fleetplan.rules.checks import (
    COMMUTER_TRIP_M,
    SHORT_TRIP_M,
    ContinuousFinding,
    DoubleBookingFinding,
    OvernightFinding,
    ShortRestFinding,
    WindowFinding,
)
from fleetplan.rules.personal import (
    A1_MIN_LENGTH_M,
    A1_MIN_OCCUPANTS,
    AgeFinding,
    LicenceFinding,
    ProbationFinding,
    QualificationFinding,
)
from fleetplan.rules.shift import ShiftFinding, shift_message
from fleetplan.rules.timeline import from_stamp
from fleetplan.rules.values import RuleCode
from fleetplan.rules.wording import violation
from fleetplan.units import HOUR, KM, MINUTE, format_hhmm
from fleetplan.wording.names import Names, where_text

VEHICLE_CLASS_WORDS = {
    "en": {
        VehicleClass.COACH_12M: "a 12 m coach",
        VehicleClass.COACH_10M: "a 10.5 m coach",
        VehicleClass.COACH_8M: "an 8–9 m coach",
        VehicleClass.MINIBUS_7M: "a 7 m minibus",
    },
    "zh": {
        VehicleClass.COACH_12M: "12 米大客车",
        VehicleClass.COACH_10M: "10.5 米大客车",
        VehicleClass.COACH_8M: "8–9 米中型客车",
        VehicleClass.MINIBUS_7M: "7 米小型客车",
    },
}
ROAD_WORDS = {
    "en": {RoadClass.EXPRESSWAY: "expressway", RoadClass.RAMP: "ramps", RoadClass.NATIONAL: "national roads",
           RoadClass.CITY: "city streets"},
    "zh": {RoadClass.EXPRESSWAY: "高速公路", RoadClass.RAMP: "匝道", RoadClass.NATIONAL: "国道", RoadClass.CITY: "城市道路"},
}  # fmt: skip
WEATHER_WORDS = {
    "en": {Weather.CLEAR: "clear", Weather.RAIN: "rain", Weather.SNOWFALL: "snowfall", Weather.SNOW: "snow-covered",
           Weather.ICE: "icy", Weather.FOG_200: "fog (visibility below 200 m)",
           Weather.FOG_100: "fog (visibility below 100 m)", Weather.FOG_50: "fog (visibility below 50 m)",
           Weather.BLIZZARD: "blizzard"},
    "zh": {Weather.CLEAR: "晴", Weather.RAIN: "雨天路湿", Weather.SNOWFALL: "降雪", Weather.SNOW: "积雪",
           Weather.ICE: "结冰", Weather.FOG_200: "雾（能见度不足 200 米）", Weather.FOG_100: "雾（能见度不足 100 米）",
           Weather.FOG_50: "雾（能见度不足 50 米）", Weather.BLIZZARD: "暴风雪"},
}  # fmt: skip
_ACTIVITY_ZH = {Activity.DRIVE: "驾驶", Activity.REST: "休息", Activity.OTHER: "其他工作"}
_WHAT_ZH = {"drive": "驾驶", "other": "现场值守", "rest": "现场休息"}
_WINDOW_ZH = {RuleCode.DAILY_8H: "24 小时", RuleCode.WEEKLY_44H: "7 天"}


def finding_text(finding: Any, lang: str, names: Names) -> str | None:
    """``finding`` in ``lang``, or None when it is not a finding this module words."""
    if isinstance(finding, NoRoute):
        return _no_route(finding, lang, names)
    if lang == "en":
        if isinstance(finding, ShiftFinding):
            return shift_message(finding)
        return violation(finding).message if type(finding) in _ZH else None
    if isinstance(finding, ShiftFinding):
        return _shift_zh(finding)
    words = _ZH.get(type(finding))
    return words(finding) if words else None


# --------------------------------------------------------------------------- Chinese: shared pieces
def duration_zh(duration_s: int) -> str:
    """``16200`` → ``"4 小时 30 分钟"`` (as :func:`fleetplan.rules.format_duration` in English)."""
    sign = "-" if duration_s < 0 else ""
    hours, rest = divmod(abs(int(duration_s)), HOUR)
    mins, secs = divmod(rest, MINUTE)
    parts = [f"{hours} 小时"] * bool(hours) + [f"{mins} 分钟"] * bool(mins)
    if secs or not parts:
        parts.append(f"{secs} 秒")
    return sign + " ".join(parts)


def _clock(stamp: int) -> str:
    return f"{from_stamp(stamp):%Y-%m-%d %H:%M}"


def _span(start: time, end: time) -> str:
    return f"{format_hhmm(start)}–{format_hhmm(end)}"


def _km_zh(distance_m: float) -> str:
    return f"{distance_m / KM:g} 公里"


# --------------------------------------------------------------------------- Chinese: personal rules
def _licence_zh(finding: LicenceFinding) -> str:
    why = []
    if finding.length_m >= A1_MIN_LENGTH_M:
        why.append(f"车长 {finding.length_m:g} 米（≥{A1_MIN_LENGTH_M:g} 米）")
    if finding.occupants >= A1_MIN_OCCUPANTS:
        why.append(f"连同司机 {finding.occupants} 人（≥{A1_MIN_OCCUPANTS} 人）")
    return (
        f"司机 {finding.driver_id} 持 {finding.licence_class} 驾驶证；车辆 {finding.plate} {'且'.join(why)}，"
        f"须持 {finding.needed} 驾驶证"
    )


def _probation_zh(finding: ProbationFinding) -> str:
    if finding.before_issue:
        return (
            f"司机 {finding.driver_id} 在 {finding.on} 尚未取得驾驶证：{finding.licence_issued} 领取，"
            f"其后 {finding.probation_months} 个月实习期至 {finding.ends - timedelta(days=1)}"
        )
    return (
        f"司机 {finding.driver_id} 的驾驶证于 {finding.licence_issued} 领取，"
        f"{finding.probation_months} 个月实习期至 {finding.ends - timedelta(days=1)}，实习期内不得驾驶营运客车"
    )


def _age_zh(finding: AgeFinding) -> str:
    return (
        f"司机 {finding.driver_id} 于 {finding.on} 为 {finding.age} 周岁（生于 {finding.birth_date}，"
        f"自 {finding.over_from} 起超过 {finding.max_age} 周岁）；客运驾驶员最高 {finding.max_age} 周岁"
    )


def _qualification_zh(finding: QualificationFinding) -> str:
    if finding.qualified_until is None:
        return f"司机 {finding.driver_id} 没有道路旅客运输从业资格证"
    return f"司机 {finding.driver_id} 的道路旅客运输从业资格证有效期至 {finding.qualified_until}，已过期"


# --------------------------------------------------------------------------- Chinese: time rules
def _double_booking_zh(finding: DoubleBookingFinding) -> str:
    logged = finding.logged
    shown = "、".join(
        f"{_ACTIVITY_ZH.get(activity, str(activity))} {_clock(start)}–{format_hhmm(from_stamp(end))}"
        for activity, start, end in logged[:3]
    )
    more = f"等另 {len(logged) - 3} 项" if len(logged) > 3 else ""
    what = _WHAT_ZH.get(finding.what, finding.what)
    return f"{what} {_clock(finding.start)}–{format_hhmm(from_stamp(finding.end))} 与司机已记录的{shown}{more}时间重叠"


def _continuous_zh(finding: ContinuousFinding) -> str:
    stretch, policy = finding.stretch, finding.policy
    total, rest = duration_zh(stretch.day_s + stretch.night_s), duration_zh(policy.min_rest_s)
    day_max, night_max = duration_zh(policy.day_continuous_max_s), duration_zh(policy.night_continuous_max_s)
    night_span = _span(policy.night_start, policy.night_end)
    if stretch.night_s == 0:
        return f"将连续驾驶 {total}，中间没有 {rest} 的休息；白天连续驾驶上限 {day_max}"
    if stretch.day_s == 0:
        return f"将在夜间（{night_span}）连续驾驶 {total}，中间没有 {rest} 的休息；夜间连续驾驶上限 {night_max}"
    return (
        f"将连续驾驶 {total}，中间没有 {rest} 的休息，其中 {duration_zh(stretch.night_s)} 在夜间（{night_span}）；"
        f"白天上限 {day_max}、夜间上限 {night_max}，按比例折算：{duration_zh(stretch.day_s)} / {day_max} + "
        f"{duration_zh(stretch.night_s)} / {night_max} = {finding.ratio:.2f} > 1"
    )


def _short_rest_zh(finding: ShortRestFinding) -> str:
    where = {"before": "之前", "after": "之后"}.get(finding.where, finding.where)
    return (
        f"驾驶{where}的 {duration_zh(finding.gap_s)} 间歇短于结束连续驾驶所需的 "
        f"{duration_zh(finding.policy.min_rest_s)} 休息"
    )


def _window_zh(finding: WindowFinding) -> str:
    label, a = _WINDOW_ZH[finding.code], finding.window_start
    return (
        f"将在 {_clock(a)} 至 {_clock(a + finding.window_s)} 的 {label} 内驾驶 {duration_zh(finding.driving_s)}；"
        f"任意 {label} 内上限 {duration_zh(finding.limit_s)}"
    )


def _overnight_zh(finding: OvernightFinding) -> str:
    policy, drive = finding.policy, finding.drive
    distance = "距离未知" if drive.distance_m is None else f"为 {_km_zh(drive.distance_m)}"
    return (
        f"{_clock(finding.start)}–{format_hhmm(from_stamp(finding.end))} 的驾驶进入客车 "
        f"{_span(policy.overnight_stop_start, policy.overnight_stop_end)} 停驶时段 {duration_zh(finding.stop_s)}；"
        f"{_not_exempt_zh(policy, distance)}"
    )


def _not_exempt_zh(policy: DrivingPolicy, distance: str) -> str:
    match policy.overnight_rule:
        case OvernightRule.ENFORCE:
            return "按政策所有车次一律停驶"
        case OvernightRule.EXEMPT_SHORT_100KM:
            return f"仅 ≤{_km_zh(SHORT_TRIP_M)} 的车次可豁免，本车次{distance}"
    return f"仅通勤包车和 ≤{_km_zh(COMMUTER_TRIP_M)} 的车次可豁免，本车次为非通勤车次，{distance}"


def _shift_zh(finding: ShiftFinding) -> str:
    shift = _span(finding.shift_start, finding.shift_end)
    task = f"{finding.start:%Y-%m-%d %H:%M}–{finding.end:%H:%M}"
    if finding.window is None:
        return f"{finding.driver_id} 在 {finding.start:%Y-%m-%d %H:%M} 不当班（班次 {shift}）；任务时间 {task}"
    return f"任务 {task} 超出 {finding.driver_id} 的班次 {shift}（{finding.window[1]:%Y-%m-%d %H:%M} 结束）"


_ZH: dict[type, Callable[[Any], str]] = {
    LicenceFinding: _licence_zh,
    ProbationFinding: _probation_zh,
    AgeFinding: _age_zh,
    QualificationFinding: _qualification_zh,
    DoubleBookingFinding: _double_booking_zh,
    ContinuousFinding: _continuous_zh,
    ShortRestFinding: _short_rest_zh,
    WindowFinding: _window_zh,
    OvernightFinding: _overnight_zh,
}


# --------------------------------------------------------------------------- no route, both languages
def _no_route(finding: NoRoute, lang: str, names: Names) -> str:
    conditions, zh = finding.conditions, lang == "zh"
    weather = [
        f"{ROAD_WORDS[lang].get(road, road.value)}{'' if zh else ':'} {WEATHER_WORDS[lang].get(w, w.value)}"
        for road, w in conditions.weather
    ]
    details = [("天气：" if zh else "weather ") + ("、" if zh else ", ").join(weather)] if weather else []
    details = details or ["天气晴好" if zh else "clear weather"]
    if conditions.weather_on(RoadClass.EXPRESSWAY) is Weather.FOG_50:
        details.append(
            "G1 能见度不足 50 米：客车不得驶入，已在路上的须从下一出口驶离"
            if zh
            else "visibility below 50 m on G1: no coach enters it, one on it leaves at the next exit"
        )
    closed = sorted(conditions.closed_entrances)
    if "*" in closed:
        details.append("G1 所有入口封闭" if zh else "all G1 entrances closed")
    elif closed:
        places = ("、" if zh else ", ").join(names.place(node, lang) for node in closed)
        details.append(f"{places} 入口封闭" if zh else f"entrances closed at {places}")
    if conditions.closed_edges:
        roads = ("、" if zh else ", ").join(
            f"{names.place(u, lang)}→{names.place(v, lang)}" for u, v in sorted(conditions.closed_edges)
        )
        details.append(f"封闭道路 {roads}" if zh else f"closed roads {roads}")
    origin, destination = where_text(finding.origin, lang, names), where_text(finding.destination, lang, names)
    vehicle = VEHICLE_CLASS_WORDS[lang].get(finding.vehicle_class, finding.vehicle_class.value)
    at = format_hhmm(finding.depart_at)
    if zh:
        return f"在当前路况下（{'；'.join(details)}），{at} 出发的{vehicle}从 {origin} 无路可到 {destination}"
    return (
        f"no route from {origin} to {destination} for {vehicle} leaving at {at} under these conditions "
        f"({'; '.join(details)})"
    )
