"""The printable service record (售后服务记录) of one incident: an HTML page.

The page around the record is the template ``api/templates/record_page.html``, styled by
``/static/record.css`` with its print button wired by ``/static/record.js`` (no inline style or script:
the service's Content-Security-Policy, :mod:`api.hardening`, refuses them); the sections are
built here from the incident view, and every recorded text is HTML-escaped before it goes in.
:mod:`api.routers.desk` serves it at ``/incidents/{number}/record``.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from importlib.resources import files
from typing import Any

from fleetplan.corridor import Corridor

from api import views
from api.plan_outcome import outcome_lines, row_late

# A str.format template; render_record escapes what it fills in.
PAGE_TEMPLATE = (files("api") / "templates" / "record_page.html").read_text(encoding="utf-8")

STATUS_LABELS = {
    "reported": "已上报 reported",
    "options": "待选方案 options",
    "accepted": "已派车 accepted",
    "on_scene": "已到场 on scene",
    "resolved": "已处置 resolved",
    "followed_up": "已回访 followed up",
    "voided": "已作废 voided",
}
ENTRY_LABELS = {
    "report": "上报 report",
    "options": "方案 options",
    "accept": "采用 accept",
    "on_scene": "到场 on scene",
    "resolved": "处置完毕 resolved",
    "follow_up": "回访 follow-up",
    "void": "作废 void",
}

RECIPIENT_LABELS = {
    "rescue_driver": "救援驾驶员 rescue driver",
    "cover_driver": "接替班次驾驶员 later-trip driver",
    "failed_driver": "故障车驾驶员 failed coach's driver",
    "passengers": "乘客 passengers",
    "university_transport_office": "学校交通办 university",
    "duty_manager": "值班经理 duty manager",
    "highway_police": "高速交警 highway police",
}
MESSAGE_STATUS_LABELS = {
    "queued": "待发送 queued",
    "sent": "已发送 sent",
    "failed": "发送失败 failed",
    "acknowledged": "已确认 acknowledged",
}


def render_record(view: dict[str, Any], corridor: Corridor, printed_at: datetime) -> str:
    """The service record of one incident as a printable HTML page.

    Parameters
    ----------
    view
        The incident view with entries (:func:`api.views.incident_view` with ``with_entries=True``).
    corridor
        For coach plates, driver names and place names.
    printed_at
        Shown in the footer (China-local).

    Returns
    -------
    str
        The page; every recorded text is HTML-escaped.
    """
    names = _Names(corridor)
    number = view["number"]
    # What was decided comes first; the full decision record (every option, candidate and
    # rejection) follows as an appendix on its own printed page.
    sections = [
        _report_section(view, names),
        _accepted_section(view.get("accepted"), names, view.get("released")),
        _response_section(view),
        _closing_section(view),
        _timeline_section(view.get("entries") or []),
        _outbox_section(view.get("messages") or []),
        _SIGNATURES,
        _decision_section(view.get("options"), _decided_at(view), names),
    ]
    return PAGE_TEMPLATE.format(
        number=number,
        number_padded=f"{number:06d}",
        status=escape(STATUS_LABELS.get(view["status"], view["status"])),
        status_class=escape(view["status"]),
        body="\n".join(sections),
        printed_at=escape(views.local_minute(printed_at) or ""),
    )


class _Names:
    """Readable names for ids in the record (the id stays visible: it is what the data uses)."""

    def __init__(self, corridor: Corridor) -> None:
        self.corridor = corridor

    def place(self, node_id: str | None) -> str:
        if not node_id:
            return "—"
        graph = self.corridor.network.graph
        if node_id not in graph:
            return escape(node_id)
        data = graph.nodes[node_id]
        zh, en = data.get("name_zh", ""), data.get("name") or node_id
        return escape(f"{zh} {en}".strip())

    def coach(self, vehicle_id: str | None) -> str:
        vehicle = self._find(self.corridor.dataset.vehicles, vehicle_id)
        if vehicle is None:
            return escape(str(vehicle_id or "—"))
        return f"{escape(vehicle.id)} <span class=plate>{escape(vehicle.plate)}</span>"

    def driver(self, driver_id: str | None) -> str:
        driver = self._find(self.corridor.dataset.drivers, driver_id)
        if driver is None:
            return escape(str(driver_id or "—"))
        return f"{escape(driver.id)} {escape(driver.name)}"

    @staticmethod
    def _find(items, item_id):
        return next((item for item in items if item.id == item_id), None)


def _rows(pairs: list[tuple[str, str]]) -> str:
    """A two-column fact table; values are already escaped HTML."""
    return (
        "<table class=facts>"
        + "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in pairs)
        + "</table>"
    )


def _text(value: Any) -> str:
    return "—" if value is None or value == "" else escape(str(value))


def _both(item: dict[str, Any], key: str) -> str:
    """A text in Chinese and English, ``zh · en``, when the record has its ``…_zh`` sibling (older
    records have the English only); a list of texts item by item, ``; ``-separated."""
    english, chinese = item.get(key), item.get(f"{key}_zh")
    if isinstance(english, list):
        chinese = chinese if isinstance(chinese, list) and len(chinese) == len(english) else [None] * len(english)
        return "; ".join(_pair(zh, en) for zh, en in zip(chinese, english)) or "—"
    return _pair(chinese, english)


def _pair(chinese: Any, english: Any) -> str:
    if not chinese or chinese == english:
        return _text(english)
    return f"{escape(str(chinese))} · {_text(english)}"


def _report_section(view: dict[str, Any], names: _Names) -> str:
    report = view.get("report") or {}
    pairs = [
        ("发生时间 Time", _text((view.get("reported_at") or "").replace("T", " "))),
        ("故障车辆 Coach", names.coach(report.get("vehicle_id"))),
        ("地点 Location", _text(report.get("location"))),
        ("乘客 Passengers", _text(report.get("passengers"))),
        ("类型 Kind", _text(report.get("kind"))),
        ("路况 Conditions", _text(report.get("conditions"))),
        ("班次 Trip", _text(report.get("trip_id"))),
        ("时限等级 Tier", _both(view, "tier_name") if view.get("tier_name") else _text(view.get("tier"))),
        ("响应时限 Limit", f"{_text(view.get('limit_min'))} min"),
    ]
    return f"<section><h2>1 · 事件报告 Report</h2>{_rows(pairs)}</section>"


def _decided_at(view: dict[str, Any]) -> str | None:
    """When the shown options were recorded: the latest options entry."""
    options = [entry for entry in view.get("entries") or [] if entry.get("kind") == "options"]
    return (view.get("options") or {}).get("decided_at") or (options[-1].get("at") if options else None)


def _decision_section(options: dict[str, Any] | None, decided_at: str | None, names: _Names) -> str:
    heading = "<h2>附 · 调度决策记录 Appendix · Decision record</h2>"
    if not options:
        return f"<section class=appendix>{heading}<p class=muted>无方案记录 No options recorded.</p></section>"
    summary = _rows(
        [
            ("决策时间 Decided", _text((decided_at or "").replace("T", " "))),
            ("求解 Solver", f"{_text(options.get('status'))} · {_text(options.get('solve_ms'))} ms"),
            ("依据 Inputs", _inputs(options.get("inputs") or {})),
            ("候选 Candidates", str(len(options.get("candidates") or []))),
        ]
    )
    plans = "".join(_plan_block(plan, names) for plan in options.get("plans") or [])
    if not plans:
        plans = f"<p class=late>无可行方案 No feasible plan: {_both(options, 'reasons')}</p>"
    relaxations = "".join(f"<li>{_both(r, 'description')}</li>" for r in options.get("relaxations") or [])
    relaxations = f"<h3>可行所需的放宽 Relaxations</h3><ul>{relaxations}</ul>" if relaxations else ""
    return (
        f"<section class=appendix>{heading}{summary}<h3>排序方案 Ranked options</h3>{plans}{relaxations}"
        f"{_candidates_table(options.get('candidates') or [], names)}"
        f"{_rejected_table(options.get('rejected') or [])}</section>"
    )


def _inputs(inputs: dict[str, Any]) -> str:
    if not inputs:
        return "—"
    return "<br>".join(
        f"<span class=k>{escape(str(key))}</span>: {escape(_compact(value))}" for key, value in inputs.items()
    )


def _compact(value: Any) -> str:
    """Nested inputs on one line; empty parts are left out (``—`` when nothing is left)."""
    if isinstance(value, (list, tuple)):
        return ", ".join(_compact(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}={_compact(v)}" for k, v in value.items() if v not in (None, "", [], {})) or "—"
    return str(value)


def _plan_block(plan: dict[str, Any], names: _Names, accepted: bool = False) -> str:
    rows = "".join(_assignment_row(a, names) for a in plan.get("assignments") or [])
    trips = "".join(
        f"<li>接替班次 Trip {_text(t.get('trip_id'))}: {names.coach(t.get('vehicle_id'))} / "
        f"{names.driver(t.get('driver_id'))}"
        f"{' (+' + str(t['departure_shift_min']) + ' min)' if t.get('departure_shift_min') else ''}</li>"
        for t in plan.get("recovered_trips") or []
    )
    trips += "".join(f"<li class=late>未覆盖 Uncovered trip {_text(t)}</li>" for t in plan.get("uncovered_trips") or [])
    title = "采用方案 Accepted plan" if accepted else "方案 Option"
    return (
        f"<div class='plan{' accepted' if accepted else ''}'><h4>{title} {_text(plan.get('rank'))} "
        f"<span class=muted>({_text(plan.get('source'))})</span></h4>"
        "<table class=grid><thead><tr><th>车辆 Coach</th><th>座位 Seats</th><th>驾驶员 Driver</th>"
        "<th>剩余工时 Hours left</th><th>出发地 From</th><th>出发 Departs</th><th>到场/时限 ETA/limit</th>"
        "<th>载客 Pax</th><th>到达 Arrives</th><th>空驶 Empty km</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{_outcome(plan.get('outcome'))}"
        f"<p class=why>{_both(plan, 'explanation')}</p>{'<ul>' + trips + '</ul>' if trips else ''}</div>"
    )


def _outcome(outcome: dict[str, Any] | None) -> str:
    """Reached in time, late (by how much) or not at all, in both languages (older records lack it)."""
    if not outcome:
        return ""
    items = "；".join(
        f"{escape(zh)} · {escape(en)}" for zh, en in zip(outcome_lines(outcome, "zh"), outcome_lines(outcome, "en"))
    )
    late = outcome.get("reached_late") or outcome.get("not_reached")
    return f"<p class='outcome{' late' if late else ' ok'}'>接驳结果 Outcome: {items}</p>"


def _assignment_row(a: dict[str, Any], names: _Names) -> str:
    eta, limit, late_min = a.get("scene_eta_min"), a.get("limit_min"), a.get("late_min")
    # the deadline decides, which is not report + limit for a pre-departure failure; older records lack late_min
    late = bool(late_min) if late_min is not None else eta is not None and limit is not None and eta > limit
    note = f"{row_late(late_min, 'zh')} · {row_late(late_min, 'en')}" if late_min else "超时 late"
    hours = a.get("driver_hours_left_h")
    return (
        f"<tr{' class=late' if late else ''}><td>{names.coach(a.get('vehicle_id'))}</td>"
        f"<td class=num>{_text(a.get('seats'))}</td><td>{names.driver(a.get('driver_id'))}</td>"
        f"<td class=num>{'—' if hours is None else f'{hours:.1f} h'}</td><td>{names.place(a.get('origin'))}</td>"
        f"<td>{_text(a.get('depart_at'))}</td><td>{_text(eta)} / {_text(limit)} min{' ' + note if late else ''}</td>"
        f"<td class=num>{_text(a.get('passengers'))}</td>"
        f"<td>{_text(a.get('destination_arrival'))} {names.place(a.get('destination'))}{_rest_note(a, names)}</td>"
        f"<td class=num>{_text(a.get('deadhead_km'))}</td></tr>"
    )


def _rest_note(a: dict[str, Any], names: _Names) -> str:
    """The driver's scheduled rest, in both languages (older records have none)."""
    on_way = a.get("rest_on_way")
    if on_way:
        place = names.place(on_way.get("place"))
        minutes, at = _text(on_way.get("rest_min")), _text(on_way.get("at"))
        return f"<br><small>{at} {place} 休息 {minutes} 分钟 · rest {minutes} min</small>"
    if a.get("rest_at_scene_min"):
        minutes = _text(a.get("rest_at_scene_min"))
        return f"<br><small>现场休息 {minutes} 分钟 · rest {minutes} min at the scene</small>"
    return ""


def _candidates_table(candidates: list[dict[str, Any]], names: _Names) -> str:
    """The crews considered, one row per coach with its possible drivers (a crew is coach × driver)."""
    if not candidates:
        return ""
    by_coach: dict[tuple, list[str]] = {}
    for c in candidates:
        key = (c.get("vehicle_id"), c.get("kind"), c.get("origin"), c.get("available_from"), c.get("capacity"))
        by_coach.setdefault(key, []).append(str(c.get("driver_id") or ""))
    rows = "".join(
        f"<tr><td class=nowrap>{names.coach(vehicle)}</td><td>{_text(kind)}</td><td>{names.place(origin)}</td>"
        f"<td>{_text(available)}</td><td class=num>{_text(capacity)}</td>"
        f"<td>{', '.join(names.driver(d) for d in drivers)}</td></tr>"
        for (vehicle, kind, origin, available, capacity), drivers in by_coach.items()
    )
    return (
        f"<h3>候选 Candidates considered ({len(candidates)} crews)</h3><table class=grid><thead><tr>"
        "<th>车辆 Coach</th><th>类型 Kind</th><th>位置 At</th><th>可用 From</th><th>载客 Capacity</th>"
        f"<th>可派驾驶员 Drivers</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _rejected_table(rejected: list[dict[str, Any]]) -> str:
    if not rejected:
        return ""
    rows = "".join(
        f"<tr><td>{_text(r.get('candidate'))}</td><td><code>{_text(r.get('code'))}</code></td>"
        f"<td>{_both(r, 'reason')}</td></tr>"
        for r in rejected
    )
    return (
        "<h3>排除的候选 Rejected candidates</h3><table class=grid><thead><tr><th>候选 Candidate</th>"
        f"<th>代码 Code</th><th>原因 Reason</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _accepted_section(accepted: dict[str, Any] | None, names: _Names, released: dict[str, Any] | None = None) -> str:
    if not accepted:
        said = "尚未采用 Not accepted."
        if released:  # the released plan stays in the timeline; none stands now
            when = _text((released.get("at") or "").replace("T", " "))
            said = (
                f"方案 {_text(released.get('rank'))} 已于 {when} 由 {_text(released.get('by'))} 释放，尚未重新采用 — "
                f"Option {_text(released.get('rank'))} was released at {when} by {_text(released.get('by'))} "
                f"({_text(released.get('reason'))}); not accepted again."
            )
        return f"<section class=accepted-plan><h2>2 · 采用方案 Accepted plan</h2><p class=muted>{said}</p></section>"
    who = _rows(
        [
            ("采用人 Accepted by", _text(accepted.get("by"))),
            ("采用时间 Accepted at", _text((accepted.get("at") or "").replace("T", " "))),
        ]
    )
    plan = dict(accepted.get("plan") or {}, rank=accepted.get("rank"))
    return f"<section class=accepted-plan><h2>2 · 采用方案 Accepted plan</h2>{who}{_plan_block(plan, names, True)}</section>"


def _response_section(view: dict[str, Any]) -> str:
    within = view.get("within_limit")
    verdict = (
        "—"
        if within is None
        else ("<b class=ok>时限内 within limit</b>" if within else "<b class=late>超时 over the limit</b>")
    )
    response = view.get("response_min")
    pairs = [
        ("到场时间 On scene", _text((view.get("on_scene_at") or "").replace("T", " "))),
        ("实际响应 Response", "—" if response is None else f"{response:.0f} min / {_text(view.get('limit_min'))} min"),
        ("结论 Verdict", verdict),
        *(
            [("早于方案到达的原因 Earlier than the plan's arrival because", _text(view["on_scene_override_reason"]))]
            if view.get("on_scene_override_reason")
            else []
        ),
        ("处置完毕 Resolved", _text((view.get("resolved_at") or "").replace("T", " "))),
    ]
    return f"<section><h2>3 · 响应 Response</h2>{_rows(pairs)}</section>"


def _timeline_section(entries: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{_text((e.get('at') or '').replace('T', ' '))}</td>"
        f"<td>{escape(ENTRY_LABELS.get(str(e.get('kind')), str(e.get('kind'))))}</td>"
        f"<td>{_text(e.get('actor'))}</td><td>{escape(_entry_summary(e))}</td></tr>"
        for e in entries
    )
    return (
        "<section><h2>5 · 时间线 Timeline</h2><table class=grid><thead><tr><th>记录时间 Recorded</th>"
        f"<th>事项 Entry</th><th>操作人 By</th><th>内容 Details</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _outbox_section(messages: list[dict[str, Any]]) -> str:
    """What was said to whom, and whether it went out and was confirmed (older records have none)."""
    heading = "<h2>6 · 消息 Outbox</h2>"
    if not messages:
        return f"<section class=outbox>{heading}<p class=muted>无消息 No messages.</p></section>"
    rows = "".join(
        f"<tr{' class=late' if m.get('status') == 'failed' else ''}>"
        f"<td>{escape(RECIPIENT_LABELS.get(str(m.get('recipient_role')), str(m.get('recipient_role'))))}<br>"
        f"{_text(m.get('recipient_name'))}<br><small>{_text(m.get('phone'))}</small></td>"
        f"<td>{_text(m.get('lang'))}</td><td class=message>{_text(m.get('text'))}</td>"
        f"<td>{escape(MESSAGE_STATUS_LABELS.get(str(m.get('status')), str(m.get('status'))))}"
        f"{_message_times(m)}{'<br><small>' + _text(m.get('error')) + '</small>' if m.get('error') else ''}</td></tr>"
        for m in messages
    )
    return (
        f"<section class=outbox>{heading}<table class=grid><thead><tr><th>收件人 Recipient</th><th>语言 Lang</th>"
        f"<th>内容 Text</th><th>状态 Status</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _message_times(message: dict[str, Any]) -> str:
    times = [
        (label, message.get(key))
        for label, key in (("排队 queued", "queued_at"), ("发送 sent", "sent_at"), ("确认 acked", "acknowledged_at"))
    ]
    lines = [f"{label} {_text((at or '').replace('T', ' '))}" for label, at in times if at]
    if message.get("acknowledged_by"):
        lines[-1] += f" · {_text(message.get('acknowledged_by'))}"
    if message.get("attempts", 0) > 1:
        lines.append(f"尝试 attempts {_text(message.get('attempts'))}")
    return "".join(f"<br><small>{line}</small>" for line in lines)


def _entry_summary(entry: dict[str, Any]) -> str:
    payload = entry.get("payload") or {}
    kind = entry.get("kind")
    if kind == "report" and isinstance(payload.get("release"), dict):  # a release (issue 18 §3)
        return f"释放方案 plan released: {payload['release'].get('reason', '')}"
    if kind == "report":
        report = payload.get("report", payload)  # the store nests the report beside its time
        return f"{report.get('vehicle_id')} · {report.get('location')} · {report.get('passengers')} pax"
    if kind == "options":
        return f"{payload.get('status')} · {len(payload.get('plans') or [])} plans · {len(payload.get('rejected') or [])} rejected"
    if kind == "accept":
        crews = ", ".join(
            f"{a.get('vehicle_id')}/{a.get('driver_id')}" for a in (payload.get("plan") or {}).get("assignments") or []
        )
        return f"rank {payload.get('rank')}: {crews}"
    if kind == "on_scene":
        reason = payload.get("override_reason")
        return f"{payload.get('at', '')} · {payload.get('response_min', '')} min" + (f" · {reason}" if reason else "")
    return " ".join(str(payload.get(key)) for key in ("at", "note", "reason") if payload.get(key))


def _closing_section(view: dict[str, Any]) -> str:
    follow_up, voided = view.get("follow_up"), view.get("voided")
    follow = (
        _rows(
            [
                ("回访时间 Called", _text((follow_up.get("at") or "").replace("T", " "))),
                ("回访人 By", _text(follow_up.get("by"))),
                ("回访记录 Note", _text(follow_up.get("note"))),
            ]
        )
        if follow_up
        else "<p class=muted>尚未回访 Follow-up call not yet made.</p>"
    )
    void = (
        f"<div class=voided><b>本记录已作废 This record is voided</b> · {_text(voided.get('at'))} · "
        f"{_text(voided.get('by'))} · {_text(voided.get('reason'))}</div>"
        if voided
        else ""
    )
    return f"<section><h2>4 · 回访 Follow-up call</h2>{follow}{void}</section>"


_SIGNATURES = (
    "<section class=signatures><div>调度员 Dispatcher ____________</div>"
    "<div>值班负责人 Duty manager ____________</div><div>日期 Date ____________</div></section>"
)
