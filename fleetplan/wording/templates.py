"""Every template a dispatcher reads, per language, keyed as the phrases are (:class:`fleetplan.phrase.Phrase`).

A template is a format string over the phrase's facts, each fact already worded in the language
(:mod:`fleetplan.wording.render`); a pair ``(one, many)`` is chosen by the fact ``n``. Ids of coaches
(c05), drivers (d12), trips and incidents stay as they are: they are the operator's own identifiers.
"""

from __future__ import annotations

Template = str | tuple[str, str]

EN: dict[str, Template] = {
    # ------------------------------------------------------------------ rejections: coaches and drivers
    "busy": "{who}: {why}",
    "unavailable.booked": "booked by incident {incident}",
    "unavailable.booked_jointly": "booked by incident {incident} (planned together)",
    "unavailable.broke_down": "broke down in incident {incident}",
    "unavailable.breaks_down_later": "breaks down later, at {time}, in incident {incident}: "
    "a plan for this earlier time may still need it then",
    "unavailable.drives_failed": "drives the failed coach {vehicle}",
    "unavailable.with_failed": "with the failed coach {vehicle}",
    "unavailable.text": "{text}",
    "in_workshop": "{vehicle} is in the workshop",
    "permit_expired": "{vehicle}'s road-transport permit was valid until {date}",
    "on_the_road": "{vehicle} is on the road off any trip ({gps}): who drives it is not known here; call it",
    "gps": "GPS {at} at {where}",
    "no_driver": "no legal driver at {place} for {vehicle}",
    "no_driver_because": "no legal driver at {place} for {vehicle} ({drivers})",
    "no_driver_now": "no legal driver on shift now at {place} for {vehicle} ({drivers}: later trips only)",
    "driver_code": "{driver}: {code}",
    "driver_rule": "{driver}: {rule}",
    "off_shift_until": "{driver} is off shift from {ready} to past {horizon} (shift {shift})",
    "off_shift_at": "{driver} is off shift at {moment} (shift {shift})",
    "no_free_seat": "{vehicle} is on trip {trip} with no free seat",
    "outranked": (
        "{vehicle}: one coach reaches incident {incident} sooner or carries more",
        "{vehicle}: {n} coaches reach incident {incident} sooner or carry more",
    ),
    "rule": "{rule}",
    "unreachable": "{route}",
    "too_late": "{vehicle} would reach the scene at {at}, {late} min past the limit",
    # ------------------------------------------------------------------ rejections: passing coaches
    "wrong_direction": "{vehicle} on trip {trip}: {why}",
    "passing.not_on_route": "its route does not pass {scene}",
    "passing.passed": "it passed {scene} before {at}",
    "passing.cannot_reach": "it cannot reach {scene} from {here} under these conditions",
    "passing.leaves_route": "from {here} its way to {scene} leaves its route",
    "passing.gps_off_route": "its {gps} lies {off} m off its route",
    "passing.gps_not_on_route": "its {gps} lies off its route",
    "passing.gps_past": "its {gps} shows it past {scene}",
    "passing.gps_cannot_reach": "it cannot reach {scene} from its {gps} under these conditions",
    "stops_elsewhere": "{vehicle} on trip {trip} stops at {stops}, none of which the passengers are going to ({wanted})",
    "own_delay": "stopping would delay {vehicle}'s own passengers by {min} min",
    # ------------------------------------------------------------------ rejections: later trips
    "trip_permit": "trip {trip}: {vehicle}'s road-transport permit expires on {date}",
    "rescue_permit": "{vehicle}'s road-transport permit expires on {date}, before the rescue ends ({end})",
    "trip": "trip {trip}: {why}",
    "cover.off_shift": "{driver} is off shift when the trip leaves at {at} (shift {shift})",
    "cover.next_shift": (
        "the trip at {at} lies in {driver}'s next shift ({shift}), which begins at the home depot {home}, "
        "and the coach stands at {where}"
    ),
    # ------------------------------------------------------------------ plan explanations
    "plan.rescue": (
        "{vehicle} with driver {driver} {source}: at the scene {at} ({eta} min, {limit}, {tier} tier, {lateness}), "
        "takes {taken} of {total} passengers to {destination} by {arrival}{rests}"
    ),
    "plan.passing": "passing coach",
    "plan.from": "from {origin}",
    "plan.via": "from {origin} by way of {via}",
    "plan.limit": "limit {min} min",
    "plan.limit_pre": "limit {deadline}, {min} min after the scheduled departure",
    "plan.in_time": "within the limit",
    "plan.late": "{min} min late",
    "plan.rests": " (driver {rests})",
    "plan.rest_scene": "rests {min} min at the scene",
    "plan.rest_way": "rests {min} min at {place} from {at}",
    "plan.not_reached": "{left} of {total} passengers of incident {incident} not reached: no coach takes them",
    "plan.cover": "trip {trip} run by {vehicle} / {driver} ({shift})",
    "plan.on_time": "on time",
    "plan.retimed": "+{min} min",
    "plan.uncovered": "trip {trip} left uncovered",
    "plan.nothing": "no vehicle can be sent",
    "plan.on_trip": "on its trip {trip}",
    # ------------------------------------------------------------------ why an alternative ranks below
    "below.passengers_not_reached": ("one more passenger late", "{n} more passengers late"),
    "below.late_penalty": "passengers reached later (lateness penalty {n} higher)",
    "below.passenger_delay_min": "{n} more passenger-minutes of delay at the destination",
    "below.trips_uncovered": ("one more trip left uncovered", "{n} more trips left uncovered"),
    "below.trips_retimed_min": "later trips leave {n} min later in all",
    "below.trips_recrewed": ("one more trip given another crew", "{n} more trips given another crew"),
    "below.deadhead_km": "{n} km more empty running",
    "below.coverage_lost": (
        "one more depot city left without a standby coach",
        "{n} more depot cities left without a standby coach",
    ),
    "below.rescue_coaches": ("one more coach for the same result", "{n} more coaches for the same result"),
    "below.another_driver": "the same result with another driver",
    "below.another_coach": "the same result with another coach",
    # ------------------------------------------------------------------ relaxations
    "relax.in_time": "within the limit",
    "relax.late": "{min} min past the limit",
    "relax.later_limit": "a response limit {min} min later reaches every passenger",
    "relax.relay": (
        "a relay (接驳) through the {window} stop: {vehicle} with {driver} could leave at {depart} and reach the "
        "scene at {arrival} ({lateness}) instead of {held}"
    ),
    "relax.call_in": ("call in off-shift driver {parts}", "call in off-shift drivers {parts}"),
    "relax.call_in_part": (
        "{driver} for {vehicle} at {place} (reachable by {ready}; at the scene {arrival}, {lateness})"
    ),
    "relax.overtime": ("overtime for a driver on shift: {parts}", "overtime for drivers on shift: {parts}"),
    "relax.overtime_part": (
        "{driver} with {vehicle} until {until} ({past} min past the end of the shift) for incident {incident} "
        "(at the scene {arrival}, {lateness})"
    ),
    "relax.split": "splitting passengers over several smaller coaches carries everyone",
    "relax.second_driver": (
        "a second (relief) driver would make {parts}",
        "second (relief) drivers would make {parts}",
    ),
    "relax.second_driver_part": "{vehicle} usable ({reasons})",
    "relax.closure_exemption": "a police-escorted entry through the closure would let {blocked} reach the scene",
    "relax.more_seats": "{n} more reachable seats are needed",
    # ------------------------------------------------------------------ a dispatch's reasons
    "reason.greedy": "the model found no plan within the deadline; this is the greedy plan",
    "reason.no_plan": "no plan reaches every passenger within the tier limits",
    "reason.cannot_carry": (
        "{left} of {total} passengers of incident {incident} cannot be carried: not enough reachable seats with legal "
        "drivers"
    ),
    "reason.not_in_time": "{n} passengers cannot be reached within their limit",
    # ------------------------------------------------------------------ where a coach was placed
    "position.timetable": "timetable",
    "position.stale": "timetable (last fix {at}, stale)",
}

ZH: dict[str, Template] = {
    "busy": "{who}：{why}",
    "unavailable.booked": "已被事件 {incident} 预订",
    "unavailable.booked_jointly": "已被事件 {incident} 预订（联合方案）",
    "unavailable.broke_down": "已在事件 {incident} 中故障",
    "unavailable.breaks_down_later": "将于 {time} 在事件 {incident} 中故障（晚于本次上报时间），本方案届时可能仍需用车",
    "unavailable.drives_failed": "正驾驶故障车 {vehicle}",
    "unavailable.with_failed": "正随故障车 {vehicle}",
    "unavailable.text": "{text}",
    "in_workshop": "{vehicle} 在维修厂",
    "permit_expired": "{vehicle} 的道路运输证有效期至 {date}，已过期",
    "on_the_road": "{vehicle} 不在任何车次上却在路上（{gps}）：此处不知由谁驾驶，请致电确认",
    "gps": "定位 {at} 位于 {where}",
    "no_driver": "{place} 没有可驾驶 {vehicle} 的合法司机",
    "no_driver_because": "{place} 没有可驾驶 {vehicle} 的合法司机（{drivers}）",
    "no_driver_now": "{place} 现无当班的合法司机可驾驶 {vehicle}（{drivers}：只能跑后续车次）",
    "driver_code": "{driver}：{code}",
    "driver_rule": "{driver}：{rule}",
    "off_shift_until": "{driver} 自 {ready} 起至 {horizon} 之后都不当班（班次 {shift}）",
    "off_shift_at": "{driver} 在 {moment} 不当班（班次 {shift}）",
    "no_free_seat": "{vehicle} 正在执行车次 {trip}，没有空座",
    "outranked": "{vehicle}：已有 {n} 辆车更早到达事件 {incident} 现场或载客更多",
    "rule": "{rule}",
    "unreachable": "{route}",
    "too_late": "{vehicle} 将于 {at} 到达现场，超出时限 {late} 分钟",
    "wrong_direction": "{vehicle}（车次 {trip}）：{why}",
    "passing.not_on_route": "其路线不经过 {scene}",
    "passing.passed": "{at} 前已驶过 {scene}",
    "passing.cannot_reach": "当前路况下无法从 {here} 到达 {scene}",
    "passing.leaves_route": "从 {here} 前往 {scene} 须偏离其路线",
    "passing.gps_off_route": "其{gps}，偏离路线 {off} 米",
    "passing.gps_not_on_route": "其{gps}，不在路线上",
    "passing.gps_past": "其{gps}，已驶过 {scene}",
    "passing.gps_cannot_reach": "当前路况下无法从其{gps}到达 {scene}",
    "stops_elsewhere": "{vehicle}（车次 {trip}）停靠 {stops}，都不是乘客要去的站点（{wanted}）",
    "own_delay": "停车接客会使 {vehicle} 本车乘客延误 {min} 分钟",
    "trip_permit": "车次 {trip}：{vehicle} 的道路运输证于 {date} 到期",
    "rescue_permit": "{vehicle} 的道路运输证于 {date} 到期，早于救援结束（{end}）",
    "trip": "车次 {trip}：{why}",
    "cover.off_shift": "{at} 发车时 {driver} 不当班（班次 {shift}）",
    "cover.next_shift": "{at} 的车次在 {driver} 的下一个班次（{shift}）内，该班次从所属场站 {home} 开始，而车辆停在 {where}",
    "plan.rescue": (
        "{vehicle}（司机 {driver}）{source}：{at} 到达现场（{eta} 分钟，{limit}，等级：{tier}，{lateness}），"
        "于 {arrival} 前把 {total} 名乘客中的 {taken} 名送到 {destination}{rests}"
    ),
    "plan.passing": "途经车辆",
    "plan.from": "从 {origin} 出发",
    "plan.via": "从 {origin} 出发，途经 {via}",
    "plan.limit": "时限 {min} 分钟",
    "plan.limit_pre": "时限 {deadline}，即计划发车后 {min} 分钟",
    "plan.in_time": "在时限内",
    "plan.late": "超时 {min} 分钟",
    "plan.rests": "（司机 {rests}）",
    "plan.rest_scene": "在现场休息 {min} 分钟",
    "plan.rest_way": "{at} 起在 {place} 休息 {min} 分钟",
    "plan.not_reached": "事件 {incident} 的 {total} 名乘客中有 {left} 名未接到：无车接驳",
    "plan.cover": "车次 {trip} 由 {vehicle} / {driver} 执行（{shift}）",
    "plan.on_time": "准点",
    "plan.retimed": "晚发 {min} 分钟",
    "plan.uncovered": "车次 {trip} 无车执行",
    "plan.nothing": "无车可派",
    "plan.on_trip": "行驶在车次 {trip} 途中",
    "below.passengers_not_reached": "多 {n} 名乘客超时",
    "below.late_penalty": "乘客接到得更晚（超时罚分高 {n}）",
    "below.passenger_delay_min": "到达目的地的延误多 {n} 人·分钟",
    "below.trips_uncovered": "多 {n} 个车次无车执行",
    "below.trips_retimed_min": "后续车次共晚发 {n} 分钟",
    "below.trips_recrewed": "多 {n} 个车次更换车组",
    "below.deadhead_km": "空驶多 {n} 公里",
    "below.coverage_lost": "多 {n} 个场站城市没有备用车",
    "below.rescue_coaches": "多派 {n} 辆车，结果相同",
    "below.another_driver": "结果相同，换一名司机",
    "below.another_coach": "结果相同，换一辆车",
    "relax.in_time": "在时限内",
    "relax.late": "超出时限 {min} 分钟",
    "relax.later_limit": "响应时限放宽 {min} 分钟即可接到全部乘客",
    "relax.relay": (
        "在 {window} 停驶时段安排接驳：{vehicle}（司机 {driver}）可于 {depart} 出发，{arrival} 到达现场"
        "（{lateness}），而不是 {held}"
    ),
    "relax.call_in": "召回不当班司机：{parts}",
    "relax.call_in_part": "{driver} 驾驶 {place} 的 {vehicle}（{ready} 前可到车旁；{arrival} 到达现场，{lateness}）",
    "relax.overtime": "当班司机加班：{parts}",
    "relax.overtime_part": (
        "{driver} 驾驶 {vehicle} 至 {until}（超出班次结束 {past} 分钟），处置事件 {incident}（{arrival} 到达现场，{lateness}）"
    ),
    "relax.split": "把乘客分乘几辆较小的车即可全部运送",
    "relax.second_driver": "增派第二名（接替）司机即可使用 {parts}",
    "relax.second_driver_part": "{vehicle}（{reasons}）",
    "relax.closure_exemption": "由警方护送通过封闭路段，{blocked} 即可到达现场",
    "relax.more_seats": "还缺 {n} 个可到达的座位",
    "reason.greedy": "模型在时限内没有找到方案；这是贪心算法给出的方案",
    "reason.no_plan": "没有方案能在各级响应时限内接到全部乘客",
    "reason.cannot_carry": "事件 {incident} 的 {total} 名乘客中有 {left} 名无法运送：可到达且有合法司机的座位不足",
    "reason.not_in_time": "{n} 名乘客无法在时限内接到",
    "position.timetable": "按时刻表",
    "position.stale": "按时刻表（最后定位 {at}，已过时）",
}

TEMPLATES = {"en": EN, "zh": ZH}
assert set(EN) == set(ZH), set(EN) ^ set(ZH)

# The rejection codes in words (a dispatcher reads "d12: rest due", not "d12: rest_due").
CODE_WORDS = {
    "en": {
        "seats": "no free seat",
        "licence_class": "licence class",
        "probation": "probation",
        "age": "age",
        "qualification": "qualification",
        "hours_left": "hours left",
        "rest_due": "rest due",
        "overnight_stop": "overnight stop",
        "permit": "permit",
        "in_workshop": "in the workshop",
        "unreachable": "unreachable",
        "too_late": "too late",
        "next_duty": "next duty",
        "off_shift": "off shift",
        "busy": "busy",
        "no_driver": "no driver",
        "wrong_direction": "wrong direction",
        "on_the_road": "on the road",
        "outranked": "outranked",
    },
    "zh": {
        "seats": "没有空座",
        "licence_class": "准驾车型不符",
        "probation": "驾照实习期",
        "age": "超龄",
        "qualification": "无从业资格",
        "hours_left": "驾驶时长已满",
        "rest_due": "需要休息",
        "overnight_stop": "夜间停驶",
        "permit": "道路运输证失效",
        "in_workshop": "在维修厂",
        "unreachable": "无法到达",
        "too_late": "到得太晚",
        "next_duty": "有后续任务",
        "off_shift": "不当班",
        "busy": "已被占用",
        "no_driver": "没有司机",
        "wrong_direction": "方向不符",
        "on_the_road": "在路上",
        "outranked": "排名靠后",
    },
}
JOINERS = {
    "en": {"list": ", ", "and": " and ", "semicolon": "; "},
    "zh": {"list": "、", "and": "；", "semicolon": "；"},
}
