"""Writing a drill down: the Markdown report, its map, the JSON view and the terminal summary, each
leading with the score against the promise (:mod:`.verdict`) and ending with the mechanics checks."""

from __future__ import annotations

from pathlib import Path

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.model import Conditions, RoadClass
from fleetplan.units import format_hhmm, minutes

from solver.planning.drills.results import DrillReport, Remedy
from solver.planning.drills.scores import IncidentScore, Tally
from solver.planning.drills.verdict import (
    incident_outcome,
    mechanics_heading,
    mechanics_summary,
    promise_headline,
    remedy_lines,
    share,
    started_min,
    tally_line,
    verdict,
    worst_lateness,
)


def report_markdown(report: DrillReport, map_name: str | None = None) -> str:
    """The drill report as Markdown: the promise first, then what would have met it, the scenario,
    the incidents and rescues, and the mechanics checks last."""
    scenario = report.scenario
    lines = [
        f"# {scenario.title} — seed {scenario.seed}",
        "",
        f"**Promise: {'kept' if report.promise.kept else 'NOT KEPT'}** — {_headline_detail(report)}. "
        f"Mechanics checks: {mechanics_summary(report)}.",
        "",
        *_promise_markdown(report),
        "## Scenario",
        "",
        scenario.narrative,
        "",
        f"Conditions: `{scenario.conditions.name}` — {scenario.conditions.description or 'as preset'}.",
        "",
    ]
    if map_name:
        lines += [f"![map of the drill]({map_name})", ""]
    lines += _incidents_markdown(report)
    lines += [f"## {mechanics_heading(report)}", ""]
    lines += [f"- [{'x' if c.passed else ' '}] {c.name} — {c.detail}" for c in report.checks]
    lines += ["", "## Dispatch", ""]
    for outcome in report.dispatches:
        result = outcome.result
        lines.append(
            f"- status `{result.status.value}` in {result.solve_ms} ms; "
            f"{len(outcome.instance.rejections)} candidates rejected with a reason"
        )
        lines += [f"  - relaxation: {r.description}" for r in result.relaxations[:5]]
        lines += [f"  - {reason}" for reason in result.reasons]
    lines += ["", "Follow-up: call every passenger back (回访) and file this report with the service records.", ""]
    return "\n".join(lines)


def _headline_detail(report: DrillReport) -> str:
    """The headline without its leading verdict."""
    return promise_headline(report.promise).split(": ", 1)[1]


def _promise_markdown(report: DrillReport) -> list[str]:
    lines = [
        "## Promise: the score against the response-time limits",
        "",
        "| tier | limit | incidents within | passengers within | reached late | not reached | worst lateness |",
        "|---|---|---|---|---|---|---|",
    ]
    promise = report.promise
    for tally in (*promise.tiers, promise.total):
        limit = f"{tally.limit_s // 60} min" if tally.limit_s is not None else ""
        lines.append(
            f"| {tally.tier} | {limit} | {share(tally.incidents_within, tally.incidents, tally.incidents_share)} | "
            f"{share(tally.passengers_within, tally.passengers, tally.passengers_share)} | "
            f"{tally.passengers_late} | {tally.passengers_not_reached} | {worst_lateness(tally)} |"
        )
    lines += ["", "## What would have met it", ""]
    remedies = remedy_lines(report)
    lines += [f"- {line}" for line in remedies] if remedies else ["Nothing: every incident was within its limit."]
    return lines + [""]


def _incidents_markdown(report: DrillReport) -> list[str]:
    lines = [
        "## Incidents against their limits",
        "",
        "| incident | coach | where | reported | tier | limit | passengers | response | outcome |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in report.scores:
        response = f"{started_min(s.response_s)} min" if s.response_s is not None else "—"
        lines.append(
            f"| {s.incident_id} | {s.vehicle_id} | {s.location} | {format_hhmm(s.reported_at)} | {s.tier} | "
            f"{s.limit_s // 60} min | {s.passengers} | {response} | {incident_outcome(s)} |"
        )
    lines += [
        "",
        "## Rescues",
        "",
        "| incident | coach | driver | from | leaves | on scene | passengers | late | roads |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for leg in report.legs:
        roads = " → ".join(leg.to_scene_roads + ("scene",) + leg.onward_roads)
        late = f"{started_min(leg.late_s)} min" if leg.late_s else "in time"
        lines.append(
            f"| {leg.incident_id} | {leg.vehicle_id} | {leg.driver_id} | {leg.origin} | "
            f"{format_hhmm(leg.depart_at)} | {format_hhmm(leg.scene_arrival)} | {leg.passengers} | "
            f"{late} | {roads} |"
        )
    if report.recovered_trips or report.uncovered_trips:
        lines += [
            "",
            f"Later trips re-covered: {', '.join(report.recovered_trips) or 'none'}; "
            f"left uncovered: {', '.join(report.uncovered_trips) or 'none'}.",
        ]
    return lines + [""]


def write_report(report: DrillReport, out_dir: Path | str, corridor: Corridor | None = None) -> Path:
    """Write ``<kind>_drill_seed<S>.md`` and its map ``…_map.png`` into ``out_dir``; return the Markdown path."""
    from matplotlib.figure import Figure  # no pyplot: leaves a notebook's backend alone

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{report.scenario.kind.value}_drill_seed{report.scenario.seed}"
    map_path = out / f"{stem}_map.png"
    figure = Figure(figsize=(8, 7))
    draw_map(report, corridor or load_corridor(), figure.subplots())
    figure.tight_layout()
    figure.savefig(map_path, dpi=110)
    markdown = out / f"{stem}.md"
    markdown.write_text(report_markdown(report, map_path.name), encoding="utf-8")
    return markdown


def draw_map(report: DrillReport, corridor: Corridor, ax):
    """Draw the corridor, closures, sites, scenes and rescue routes (solid to the scene, dotted onward)."""
    import matplotlib

    _draw_network(ax, corridor, report.scenario.conditions)
    for site in corridor.dataset.sites:
        ax.plot(site.lon, site.lat, "s", color="tab:blue", markersize=7)
        ax.annotate(site.id, (site.lon, site.lat), fontsize=7, xytext=(4, -8), textcoords="offset points")
    colours = matplotlib.colormaps["tab10"]
    for n, leg in enumerate(report.legs):
        colour = colours((n + 2) % 10)
        if leg.to_scene_path:
            lats, lons = zip(*leg.to_scene_path)
            ax.plot(lons, lats, "-", color=colour, linewidth=2.5, label=f"{leg.vehicle_id} → {leg.incident_id}")
        lats, lons = zip(*leg.onward_path)
        ax.plot(lons, lats, ":", color=colour, linewidth=2)
    for group in (g for d in report.dispatches for g in d.instance.groups):
        ax.plot(group.scene.lon, group.scene.lat, "X", color="red", markersize=12)
        ax.annotate(
            group.incident_id,
            (group.scene.lon, group.scene.lat),
            color="red",
            fontsize=8,
            xytext=(5, 5),
            textcoords="offset points",
        )
    ax.set_title(f"{report.scenario.title} (seed {report.scenario.seed})")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect(1 / 0.73)  # ≈ 1/cos(43°): keep distances honest
    if report.legs:
        ax.legend(loc="upper left", fontsize=7)
    return ax


def _draw_network(ax, corridor: Corridor, conditions: Conditions) -> None:
    graph = corridor.network.graph
    styles = {
        RoadClass.EXPRESSWAY: ("0.55", 1.2),
        RoadClass.NATIONAL: ("tab:brown", 1.2),
        RoadClass.CITY: ("0.75", 0.8),
        RoadClass.RAMP: ("0.8", 0.5),
    }
    for u, v, data in graph.edges(data=True):
        a, b = graph.nodes[u], graph.nodes[v]
        colour, width = styles[data["road_class"]]
        closed = (
            (u, v) in conditions.closed_edges
            or bool(data.get("entrance"))
            and conditions.entrance_closed(data["entrance"])
        )
        ax.plot(
            [a["lon"], b["lon"]],
            [a["lat"], b["lat"]],
            "--" if closed else "-",
            color="red" if closed else colour,
            linewidth=2.0 if closed else width,
            zorder=3 if closed else 1,
        )  # closures stay visible over the routes


def drill_view(report: DrillReport, report_path: Path | None = None) -> dict:
    """The JSON form of a drill (``fleetplan drill --json``): the verdict and the promise first."""
    promise = report.promise
    return {
        "kind": report.scenario.kind.value,
        "seed": report.scenario.seed,
        "title": report.scenario.title,
        "verdict": verdict(promise),
        "headline": promise_headline(promise),
        "promise": {
            "kept": promise.kept,
            "tiers": [_tally_view(tally) for tally in promise.tiers],
            "all": _tally_view(promise.total),
        },
        "what_would_meet": [_remedy_view(remedy) for remedy in report.remedies],
        "checks_passed": report.checks_passed,
        "share_within_limit": report.share_within_limit,
        "narrative": report.scenario.narrative,
        "conditions": report.scenario.conditions.name,
        "incidents": [_score_view(s) for s in report.scores],
        "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in report.checks],
        "evaluator_problems": list(report.problems),
        "report": str(report_path) if report_path else None,
    }


def _tally_view(tally: Tally) -> dict:
    return {
        "tier": tally.tier,
        "limit_min": None if tally.limit_s is None else tally.limit_s // 60,
        "incidents": tally.incidents,
        "incidents_within": tally.incidents_within,
        "incidents_share": tally.incidents_share,
        "passengers": tally.passengers,
        "passengers_within": tally.passengers_within,
        "passengers_share": tally.passengers_share,
        "passengers_late": tally.passengers_late,
        "passengers_not_reached": tally.passengers_not_reached,
        "worst_late_min": started_min(tally.worst_late_s),
        "worst_late_incident": tally.worst_late_incident,
    }


def _score_view(s: IncidentScore) -> dict:
    return {
        "incident_id": s.incident_id,
        "vehicle_id": s.vehicle_id,
        "location": s.location,
        "reported_at": s.reported_at.isoformat(timespec="minutes"),
        "tier": s.tier,
        "limit_min": s.limit_s // 60,
        "passengers": s.passengers,
        "passengers_within_limit": s.passengers_within_limit,
        "passengers_late": s.passengers_late,
        "late_min": started_min(s.late_s),
        "passengers_not_reached": s.passengers_not_reached,
        "outcome": incident_outcome(s),
        "response_min": None if s.response_s is None else round(minutes(s.response_s), 1),
        "within_limit": s.within_limit,
        "rescuers": list(s.rescuers),
    }


def _remedy_view(remedy: Remedy) -> dict:
    again = remedy.backup
    return {
        "incident_id": remedy.incident_id,
        "late_min": started_min(remedy.late_s),
        "backup": None
        if again is None
        else {
            "site": remedy.backup_site,
            "meets_limit": remedy.backup_meets,
            "response_min": None if again.response_s is None else round(minutes(again.response_s), 1),
            "limit_min": again.limit_s // 60,
            "outcome": incident_outcome(again),
        },
        "sites_tried": list(remedy.sites_tried),
        "wave": list(remedy.wave),
        "met_with_hard_limits": remedy.met_with_hard_limits,
        "relaxations": [{"kind": r.kind, "description": r.description, "amount": r.amount} for r in remedy.relaxations],
    }


def drill_text(report: DrillReport, report_path: Path | None = None) -> str:
    """A short summary for the terminal: the promise, what would have met it, then the mechanics."""
    promise = report.promise
    lines = [
        f"{report.scenario.title}, seed {report.scenario.seed}: {promise_headline(promise)}",
        report.scenario.narrative,
        "Promise (response-time limits):",
        *(f"  {tally_line(tally)}" for tally in (*promise.tiers, promise.total)),
    ]
    for s in report.scores:
        response = f"on scene after {started_min(s.response_s)} min" if s.response_s is not None else "nobody sent"
        lines.append(
            f"  {s.incident_id}: {s.passengers} passengers, tier {s.tier} ({s.limit_s // 60} min): "
            f"{response} — {incident_outcome(s)}"
        )
    if report.remedies:
        lines += ["What would have met it:", *(f"  {line}" for line in remedy_lines(report))]
    lines.append(mechanics_heading(report))
    lines += [f"  [{'ok' if c.passed else 'FAIL'}] {c.name}" for c in report.checks]
    if report_path:
        lines.append(f"report: {report_path}")
    return "\n".join(lines)
