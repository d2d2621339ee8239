"""The dispatch desk: the page at ``/``, its static assets at ``/static``, and the printable record.

The record page (售后服务记录, the service record the operator files) is rendered here on the server
from the store, so that what is printed is exactly what was recorded. It needs a viewer token. A
plain link from the desk cannot send an ``Authorization`` header, so the page also accepts the token
as ``?token=``: the desk's "record" link opens a normal, printable page in a new tab without a
script-built copy of the record. To keep that token out of places it could leak from, the page is
sent with ``Referrer-Policy: no-referrer`` and ``Cache-Control: no-store``, and it removes the query
from the address bar (``history.replaceState``) as soon as it loads. The header still works and is
what API clients should use.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path as PathParam, Query, Security, status
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.staticfiles import StaticFiles

from fleetplan.corridor import Corridor

from api import auth, views
from api.desk_service import china_now
from api.records.types import NotFound, RecordStore, Role, User
from api.routers.deps import get_corridor, get_store
from api.schemas import error_responses

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
DESK_PAGE = STATIC_DIR / "index.html"

router = APIRouter(tags=["desk"])


def mount_static(app: FastAPI) -> None:
    """Serve ``api/static`` (the desk's scripts and styles) at ``/static``.

    Parameters
    ----------
    app
        The service; call once, after the routers are included.
    """
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


@router.get("/", response_class=FileResponse, summary="The dispatch desk page",
            responses={200: {"content": {"text/html": {}}, "description": "the desk (HTML)"}})
def desk_page() -> FileResponse:
    """The desk itself asks for the token and keeps it in the tab's sessionStorage."""
    return FileResponse(DESK_PAGE, media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


# --------------------------------------------------------------------------- the record page
def json_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Error responses of an HTML route, documented as the JSON they are.

    FastAPI would file a ``model`` under the route's own media type (``text/html``); naming the
    content explicitly keeps the OpenAPI document true to the wire.
    """
    documented = error_responses(*codes)
    return {code: {"description": entry["description"],
                   "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
            for code, entry in documented.items()}


def record_reader(credentials: HTTPAuthorizationCredentials | None = Security(auth.bearer),
                  token: str | None = Query(None, max_length=200,
                                            description="the bearer token, for opening the page from a plain link"),
                  store: RecordStore = Depends(get_store)) -> User:
    """A viewer (or above) from the ``Authorization`` header or, failing that, the ``token`` query."""
    user = auth.user_for_token(store, credentials.credentials if credentials else token)
    if not auth.role_allows(user.role, Role.VIEWER):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role: {user.name} is {user.role.value}; this needs viewer")
    return user


@router.get("/incidents/{number}/record", response_class=HTMLResponse, summary="Printable service record (HTML)",
            responses={200: {"content": {"text/html": {}}, "description": "the service record (售后服务记录)"},
                       **json_errors(401, 403, 404)})
def record_page(number: int = PathParam(ge=1, le=2**31 - 1, description="the incident's record number"),
                _user: User = Depends(record_reader), store: RecordStore = Depends(get_store),
                corridor: Corridor = Depends(get_corridor)) -> HTMLResponse:
    """The incident's service record rendered from the store: report, decision, accepted plan, timeline,
    response time against the limit and the follow-up call."""
    try:
        record = store.incident(number)
    except NotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"number: {error}") from None
    page = render_record(views.incident_view(record, with_entries=True), corridor, china_now())
    return HTMLResponse(page, headers=RECORD_HEADERS)


RECORD_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}

STATUS_LABELS = {
    "reported": "已上报 reported", "options": "待选方案 options", "accepted": "已派车 accepted",
    "on_scene": "已到场 on scene", "resolved": "已处置 resolved", "followed_up": "已回访 followed up",
    "voided": "已作废 voided",
}
ENTRY_LABELS = {
    "report": "上报 report", "options": "方案 options", "accept": "采用 accept", "on_scene": "到场 on scene",
    "resolved": "处置完毕 resolved", "follow_up": "回访 follow-up", "void": "作废 void",
}


def render_record(view: dict[str, Any], corridor: Corridor, printed_at: datetime) -> str:
    """The service record of one incident as a self-contained, printable HTML page.

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
        _accepted_section(view.get("accepted"), names),
        _response_section(view),
        _closing_section(view),
        _timeline_section(view.get("entries") or []),
        _SIGNATURES,
        _decision_section(view.get("options"), _decided_at(view), names),
    ]
    return _PAGE.format(
        number=number, number_padded=f"{number:06d}",
        status=escape(STATUS_LABELS.get(view["status"], view["status"])), status_class=escape(view["status"]),
        body="\n".join(sections), printed_at=escape(views.local_minute(printed_at) or ""),
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
    return "<table class=facts>" + "".join(f"<tr><th>{label}</th><td>{value}</td></tr>"
                                            for label, value in pairs) + "</table>"


def _text(value: Any) -> str:
    return "—" if value is None or value == "" else escape(str(value))


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
        ("时限等级 Tier", _text(view.get("tier"))),
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
    summary = _rows([
        ("决策时间 Decided", _text((decided_at or "").replace("T", " "))),
        ("求解 Solver", f"{_text(options.get('status'))} · {_text(options.get('solve_ms'))} ms"),
        ("依据 Inputs", _inputs(options.get("inputs") or {})),
        ("候选 Candidates", str(len(options.get("candidates") or []))),
    ])
    plans = "".join(_plan_block(plan, names) for plan in options.get("plans") or [])
    if not plans:
        reasons = "; ".join(options.get("reasons") or []) or "—"
        plans = f"<p class=late>无可行方案 No feasible plan: {escape(reasons)}</p>"
    relaxations = "".join(f"<li>{_text(r.get('description'))}</li>" for r in options.get("relaxations") or [])
    relaxations = f"<h3>可行所需的放宽 Relaxations</h3><ul>{relaxations}</ul>" if relaxations else ""
    return (f"<section class=appendix>{heading}{summary}<h3>排序方案 Ranked options</h3>{plans}{relaxations}"
            f"{_candidates_table(options.get('candidates') or [], names)}"
            f"{_rejected_table(options.get('rejected') or [])}</section>")


def _inputs(inputs: dict[str, Any]) -> str:
    if not inputs:
        return "—"
    return "<br>".join(f"<span class=k>{escape(str(key))}</span>: {escape(_compact(value))}"
                       for key, value in inputs.items())


def _compact(value: Any) -> str:
    """Nested inputs on one line; empty parts are left out (``—`` when nothing is left)."""
    if isinstance(value, (list, tuple)):
        return ", ".join(_compact(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}={_compact(v)}" for k, v in value.items() if v not in (None, "", [], {})) or "—"
    return str(value)


def _plan_block(plan: dict[str, Any], names: _Names, accepted: bool = False) -> str:
    rows = "".join(_assignment_row(a, names) for a in plan.get("assignments") or [])
    trips = "".join(f"<li>接替班次 Trip {_text(t.get('trip_id'))}: {names.coach(t.get('vehicle_id'))} / "
                    f"{names.driver(t.get('driver_id'))}"
                    f"{' (+' + str(t['departure_shift_min']) + ' min)' if t.get('departure_shift_min') else ''}</li>"
                    for t in plan.get("recovered_trips") or [])
    trips += "".join(f"<li class=late>未覆盖 Uncovered trip {_text(t)}</li>" for t in plan.get("uncovered_trips") or [])
    title = "采用方案 Accepted plan" if accepted else "方案 Option"
    return (f"<div class='plan{' accepted' if accepted else ''}'><h4>{title} {_text(plan.get('rank'))} "
            f"<span class=muted>({_text(plan.get('source'))})</span></h4>"
            "<table class=grid><thead><tr><th>车辆 Coach</th><th>座位 Seats</th><th>驾驶员 Driver</th>"
            "<th>剩余工时 Hours left</th><th>出发地 From</th><th>出发 Departs</th><th>到场/时限 ETA/limit</th>"
            "<th>载客 Pax</th><th>到达 Arrives</th><th>空驶 Empty km</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
            f"<p class=why>{_text(plan.get('explanation'))}</p>{'<ul>' + trips + '</ul>' if trips else ''}</div>")


def _assignment_row(a: dict[str, Any], names: _Names) -> str:
    eta, limit = a.get("scene_eta_min"), a.get("limit_min")
    late = eta is not None and limit is not None and eta > limit
    hours = a.get("driver_hours_left_h")
    return (f"<tr{' class=late' if late else ''}><td>{names.coach(a.get('vehicle_id'))}</td>"
            f"<td class=num>{_text(a.get('seats'))}</td><td>{names.driver(a.get('driver_id'))}</td>"
            f"<td class=num>{'—' if hours is None else f'{hours:.1f} h'}</td><td>{names.place(a.get('origin'))}</td>"
            f"<td>{_text(a.get('depart_at'))}</td><td>{_text(eta)} / {_text(limit)} min{' 超时 late' if late else ''}</td>"
            f"<td class=num>{_text(a.get('passengers'))}</td>"
            f"<td>{_text(a.get('destination_arrival'))} {names.place(a.get('destination'))}</td>"
            f"<td class=num>{_text(a.get('deadhead_km'))}</td></tr>")


def _candidates_table(candidates: list[dict[str, Any]], names: _Names) -> str:
    """The crews considered, one row per coach with its possible drivers (a crew is coach × driver)."""
    if not candidates:
        return ""
    by_coach: dict[tuple, list[str]] = {}
    for c in candidates:
        key = (c.get("vehicle_id"), c.get("kind"), c.get("origin"), c.get("available_from"), c.get("capacity"))
        by_coach.setdefault(key, []).append(c.get("driver_id"))
    rows = "".join(f"<tr><td class=nowrap>{names.coach(vehicle)}</td><td>{_text(kind)}</td><td>{names.place(origin)}</td>"
                   f"<td>{_text(available)}</td><td class=num>{_text(capacity)}</td>"
                   f"<td>{', '.join(names.driver(d) for d in drivers)}</td></tr>"
                   for (vehicle, kind, origin, available, capacity), drivers in by_coach.items())
    return (f"<h3>候选 Candidates considered ({len(candidates)} crews)</h3><table class=grid><thead><tr>"
            "<th>车辆 Coach</th><th>类型 Kind</th><th>位置 At</th><th>可用 From</th><th>载客 Capacity</th>"
            f"<th>可派驾驶员 Drivers</th></tr></thead><tbody>{rows}</tbody></table>")


def _rejected_table(rejected: list[dict[str, Any]]) -> str:
    if not rejected:
        return ""
    rows = "".join(f"<tr><td>{_text(r.get('candidate'))}</td><td><code>{_text(r.get('code'))}</code></td>"
                   f"<td>{_text(r.get('reason'))}</td></tr>" for r in rejected)
    return ("<h3>排除的候选 Rejected candidates</h3><table class=grid><thead><tr><th>候选 Candidate</th>"
            f"<th>代码 Code</th><th>原因 Reason</th></tr></thead><tbody>{rows}</tbody></table>")


def _accepted_section(accepted: dict[str, Any] | None, names: _Names) -> str:
    if not accepted:
        return "<section class=accepted-plan><h2>2 · 采用方案 Accepted plan</h2><p class=muted>尚未采用 Not accepted.</p></section>"
    who = _rows([("采用人 Accepted by", _text(accepted.get("by"))),
                 ("采用时间 Accepted at", _text((accepted.get("at") or "").replace("T", " ")))])
    plan = dict(accepted.get("plan") or {}, rank=accepted.get("rank"))
    return f"<section class=accepted-plan><h2>2 · 采用方案 Accepted plan</h2>{who}{_plan_block(plan, names, True)}</section>"


def _response_section(view: dict[str, Any]) -> str:
    within = view.get("within_limit")
    verdict = "—" if within is None else ("<b class=ok>时限内 within limit</b>" if within
                                         else "<b class=late>超时 over the limit</b>")
    response = view.get("response_min")
    pairs = [
        ("到场时间 On scene", _text((view.get("on_scene_at") or "").replace("T", " "))),
        ("实际响应 Response", "—" if response is None else f"{response:.0f} min / {_text(view.get('limit_min'))} min"),
        ("结论 Verdict", verdict),
        ("处置完毕 Resolved", _text((view.get("resolved_at") or "").replace("T", " "))),
    ]
    return f"<section><h2>3 · 响应 Response</h2>{_rows(pairs)}</section>"


def _timeline_section(entries: list[dict[str, Any]]) -> str:
    rows = "".join(f"<tr><td>{_text((e.get('at') or '').replace('T', ' '))}</td>"
                   f"<td>{escape(ENTRY_LABELS.get(e.get('kind'), str(e.get('kind'))))}</td>"
                   f"<td>{_text(e.get('actor'))}</td><td>{escape(_entry_summary(e))}</td></tr>" for e in entries)
    return ("<section><h2>5 · 时间线 Timeline</h2><table class=grid><thead><tr><th>记录时间 Recorded</th>"
            f"<th>事项 Entry</th><th>操作人 By</th><th>内容 Details</th></tr></thead><tbody>{rows}</tbody></table></section>")


def _entry_summary(entry: dict[str, Any]) -> str:
    payload = entry.get("payload") or {}
    kind = entry.get("kind")
    if kind == "report":
        report = payload.get("report", payload)  # the store nests the report beside its time
        return f"{report.get('vehicle_id')} · {report.get('location')} · {report.get('passengers')} pax"
    if kind == "options":
        return f"{payload.get('status')} · {len(payload.get('plans') or [])} plans · {len(payload.get('rejected') or [])} rejected"
    if kind == "accept":
        crews = ", ".join(f"{a.get('vehicle_id')}/{a.get('driver_id')}"
                          for a in (payload.get("plan") or {}).get("assignments") or [])
        return f"rank {payload.get('rank')}: {crews}"
    if kind == "on_scene":
        return f"{payload.get('at', '')} · {payload.get('response_min', '')} min"
    return " ".join(str(payload.get(key)) for key in ("at", "note", "reason") if payload.get(key))


def _closing_section(view: dict[str, Any]) -> str:
    follow_up, voided = view.get("follow_up"), view.get("voided")
    follow = (_rows([("回访时间 Called", _text((follow_up.get("at") or "").replace("T", " "))),
                     ("回访人 By", _text(follow_up.get("by"))), ("回访记录 Note", _text(follow_up.get("note")))])
              if follow_up else "<p class=muted>尚未回访 Follow-up call not yet made.</p>")
    void = (f"<div class=voided><b>本记录已作废 This record is voided</b> · {_text(voided.get('at'))} · "
            f"{_text(voided.get('by'))} · {_text(voided.get('reason'))}</div>" if voided else "")
    return f"<section><h2>4 · 回访 Follow-up call</h2>{follow}{void}</section>"


_SIGNATURES = ("<section class=signatures><div>调度员 Dispatcher ____________</div>"
               "<div>值班负责人 Duty manager ____________</div><div>日期 Date ____________</div></section>")


_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>售后服务记录 Service record No. {number_padded}</title>
<style>
  body {{ font: 12px/1.4 system-ui, "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif;
         color: #1d2733; margin: 24px auto; max-width: 980px; padding: 0 16px; }}
  header {{ display: flex; justify-content: space-between; align-items: flex-end;
           border-bottom: 2px solid #1d2733; padding-bottom: 6px; }}
  h1 {{ font-size: 18px; margin: 0; }} h2 {{ font-size: 14px; margin: 18px 0 6px; border-bottom: 1px solid #c9d0d8; }}
  h3 {{ font-size: 12px; margin: 10px 0 4px; }} h4 {{ margin: 8px 0 4px; font-size: 12px; }}
  .operator {{ color: #5f6b7a; }} .no {{ font: 700 16px ui-monospace, monospace; }}
  .badge {{ border: 1px solid #8a95a3; border-radius: 10px; padding: 1px 8px; font-size: 11px; }}
  .badge.voided {{ text-decoration: line-through; }}
  table {{ border-collapse: collapse; width: 100%; }}
  th, td {{ text-align: left; padding: 3px 6px; border-bottom: 1px solid #e3e7ec; vertical-align: top; }}
  table.facts th {{ width: 170px; color: #5f6b7a; font-weight: 600; }}
  table.grid th {{ background: #f2f4f7; font-size: 11px; }}
  .num {{ text-align: right; }} .muted {{ color: #5f6b7a; }} .plate {{ color: #5f6b7a; white-space: nowrap; }}
  .nowrap {{ white-space: nowrap; }} .appendix {{ margin-top: 28px; }}
  .late, tr.late td {{ color: #b42318; }} .ok {{ color: #2e7d4f; }} .why {{ margin: 4px 0; color: #394656; }}
  .plan {{ border-left: 3px solid #c9d0d8; padding-left: 8px; margin-bottom: 8px; }}
  .plan.accepted {{ border-left-color: #2e7d4f; }}
  .voided {{ margin-top: 8px; padding: 6px; border: 2px solid #b42318; color: #b42318; }}
  .signatures {{ display: flex; justify-content: space-between; margin-top: 36px; padding-bottom: 8px; }}
  footer {{ margin-top: 24px; color: #5f6b7a; font-size: 11px; display: flex; justify-content: space-between; }}
  .k {{ color: #5f6b7a; }} code {{ font-size: 11px; }}
  @media print {{ .no-print {{ display: none; }} body {{ margin: 0; }} .appendix {{ break-before: page; }}
                  tr {{ break-inside: avoid; }} }}
</style>
</head>
<body>
<header>
  <div>
    <div class="operator">吉林师范大学包车客运 · JLNU charter-coach service (四平—长春)</div>
    <h1>售后服务记录 Service record</h1>
  </div>
  <div><span class="no" id="record-number">No. {number_padded}</span>
    <span class="badge {status_class}" id="record-status">{status}</span></div>
</header>
{body}
<footer><span>fleetplan · 打印时间 printed {printed_at}</span>
  <button class="no-print" type="button" onclick="window.print()">打印 Print</button></footer>
<script>if (location.search) history.replaceState(null, "", location.pathname);</script>
</body>
</html>
"""
