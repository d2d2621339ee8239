"""A staging for people and files: text, the JSON view, the coverage-by-budget curve, the map of
demand points coloured by their expected coverage, and the files ``fleetplan staging --out`` writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from fleetplan.corridor import Corridor
from fleetplan.errors import UnknownIdError
from fleetplan.model import Dataset, RoadClass

from solver.planning.staging.model import Staging
from solver.planning.staging.problem import StagingProblem


def staging_text(staging: Staging, dataset: Dataset | None = None) -> str:
    """A few lines for people: backups per site and the expected coverage."""
    lines = [
        f"Staging of {staging.budget} backup(s), busy fraction {staging.busy_fraction:.0%}"
        f"{'' if staging.optimal else ' (not proven optimal)'}:"
    ]
    for site, count in staging.sites.items():
        name = _site_name(dataset, site)
        lines.append(f"  {site:<16} {count:>2}  {name}")
    lines.append(
        f"Expected share of incidents reached within the limit: {staging.expected_coverage:.1%}"
        + ("" if staging.optimal else f" (at most {staging.coverage_bound:.1%} possible)")
    )
    return "\n".join(lines)


def _site_name(dataset: Dataset | None, site_id: str) -> str:
    if dataset is None:
        return ""
    try:
        return dataset.site(site_id).name
    except UnknownIdError:
        return ""


def staging_view(staging: Staging) -> dict[str, Any]:
    """The JSON form: ``sites`` as ``{site_id: count}`` and ``expected_coverage`` as a share."""
    return {
        "budget": staging.budget,
        "sites": dict(staging.sites),
        "expected_coverage": staging.expected_coverage,
        "busy_fraction": staging.busy_fraction,
        "optimal": staging.optimal,
        "coverage_bound": staging.coverage_bound,
        "solve_ms": staging.solve_ms,
    }


def plot_coverage_curve(curve: Sequence[Staging], ax, simulated: Sequence[tuple[int, float, float, float]] = ()):
    """Expected coverage against the number of backups on ``ax``; ``simulated`` adds (budget, share,
    low, high) points with their confidence interval."""
    budgets = [s.budget for s in curve]
    ax.plot(budgets, [100 * s.expected_coverage for s in curve], "o-", label="expected (staging model)")
    for budget, share, low, high in simulated:
        ax.errorbar(
            [budget],
            [100 * share],
            yerr=[[100 * (share - low)], [100 * (high - share)]],
            fmt="s",
            color="tab:red",
            capsize=4,
            label="simulated (what-if, 95% CI)",
        )
    ax.set_xlabel("backup coaches")
    ax.set_ylabel("incidents reached within the limit (%)")
    ax.set_ylim(0, 100)
    ax.set_xticks(budgets)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), loc="lower right")
    return ax


def plot_staging_map(problem: StagingProblem, staging: Staging, corridor: Corridor, ax):
    """Demand points on ``ax`` coloured by their expected coverage, sized by weight; sites with their backups."""
    graph = corridor.network.graph
    for u, v, data in graph.edges(data=True):
        a, b = graph.nodes[u], graph.nodes[v]
        colour = "tab:brown" if data["road_class"] is RoadClass.NATIONAL else "0.7"
        ax.plot([a["lon"], b["lon"]], [a["lat"], b["lat"]], "-", color=colour, linewidth=0.8, zorder=1)
    coverage = dict(staging.point_coverage)
    largest = max((p.weight for p in problem.points), default=1.0) or 1.0
    merged: dict[tuple[float, float], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for p in problem.points:  # bands and both carriageways at one place drawn as one dot
        cell = merged[(round(p.lat, 3), round(p.lon, 3))]
        cell[0] += p.weight
        cell[1] += p.weight * coverage.get(p.id, 0.0)
    lats, lons, sizes, shares = [], [], [], []
    for (lat, lon), (weight, covered) in merged.items():
        lats.append(lat)
        lons.append(lon)
        sizes.append(20 + 200 * weight / largest)
        shares.append(covered / weight if weight else 0.0)
    dots = ax.scatter(lons, lats, s=sizes, c=shares, cmap="RdYlGn", vmin=0, vmax=1, zorder=3, edgecolors="0.3")
    ax.figure.colorbar(dots, ax=ax, label="expected share reached within the limit")
    for site_id, count in staging.sites.items():
        site = corridor.dataset.site(site_id)
        ax.plot(
            site.lon,
            site.lat,
            "s",
            color="tab:blue" if count else "white",
            markeredgecolor="tab:blue",
            markersize=10,
            zorder=4,
        )
        ax.annotate(
            f"{site_id}: {count}", (site.lon, site.lat), fontsize=8, xytext=(6, -10), textcoords="offset points"
        )
    ax.set_title(f"{staging.budget} backups: {staging.expected_coverage:.0%} expected within the limit")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect(1 / 0.73)
    return ax


def write_staging(
    staging: Staging,
    curve: Sequence[Staging],
    out_dir,
    problem: StagingProblem | None = None,
    corridor: Corridor | None = None,
) -> list:
    """Write ``staging.json``, ``coverage_by_budget.csv`` and ``.png`` (and ``staging_map.png`` given the
    problem and corridor) into ``out_dir``; return the paths written."""
    import json
    from pathlib import Path

    from matplotlib.figure import Figure  # no pyplot: leaves a notebook's backend alone

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "staging.json", out / "coverage_by_budget.csv", out / "coverage_by_budget.png"]
    written[0].write_text(json.dumps(staging_view(staging), indent=2) + "\n", encoding="utf-8")
    rows = ["budget,expected_coverage,optimal," + ",".join(staging.sites)]
    rows += [
        f"{s.budget},{s.expected_coverage:.6f},{str(s.optimal).lower()},"
        + ",".join(str(s.sites[site]) for site in staging.sites)
        for s in curve
    ]
    written[1].write_text("\n".join(rows) + "\n", encoding="utf-8")
    figure = Figure(figsize=(6, 4))
    plot_coverage_curve(curve, figure.subplots())
    figure.tight_layout()
    figure.savefig(written[2], dpi=110)
    if problem is not None and corridor is not None:
        figure = Figure(figsize=(7, 6))
        plot_staging_map(problem, staging, corridor, figure.subplots())
        figure.tight_layout()
        written.append(out / "staging_map.png")
        figure.savefig(written[-1], dpi=110)
    return written
