"""Files of a what-if run: ``kpis.csv`` and PNG plots (matplotlib's Agg canvas, no display needed)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from solver.planning.whatif.kpis import ALL_TIERS, WhatIfResult

KPI_COLUMNS = (
    "tier",
    "incidents",
    "incidents_per_rep",
    "reached_within_limit",
    "ci_low",
    "ci_high",
    "response_mean_min",
    "response_p50_min",
    "response_p90_min",
    "passenger_delay_mean_min",
    "trips_lost",
    "trips_lost_per_rep",
)
RESPONSE_PLOT = "response_times.png"
COMPLIANCE_PLOT = "compliance.png"


def kpi_rows(result: WhatIfResult) -> list[dict[str, object]]:
    """One dict per tier (then ``all``) with the :data:`KPI_COLUMNS`."""
    return [{column: getattr(kpis, column) for column in KPI_COLUMNS} for kpis in result.tiers]


def write_kpis_csv(result: WhatIfResult, path: Path) -> Path:
    """Write ``kpis.csv`` (one row per tier; empty cells where nothing was observed).

    Parameters
    ----------
    result
        A what-if result.
    path
        The file to write; its directory is created if needed.

    Returns
    -------
    Path
        ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(kpis_csv_text(result), encoding="utf-8", newline="")
    return path


def kpis_csv_text(result: WhatIfResult) -> str:
    """The text of ``kpis.csv`` (for a file, or for an HTTP answer)."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=KPI_COLUMNS)
    writer.writeheader()
    for row in kpi_rows(result):
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return buffer.getvalue()


def write_outputs(result: WhatIfResult, directory: Path) -> list[Path]:
    """``kpis.csv``, the response-time histograms and the compliance chart in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    return [
        write_kpis_csv(result, directory / "kpis.csv"),
        plot_response_times(result, directory / RESPONSE_PLOT),
        plot_compliance(result, directory / COMPLIANCE_PLOT),
    ]


def plot_response_times(result: WhatIfResult, path: Path) -> Path:
    """One histogram of response minutes per tier, with the tier's limit as a vertical line."""
    from matplotlib.figure import Figure  # imported late: only runs that write plots pay for it

    tiers = [k.tier for k in result.tiers if k.tier != ALL_TIERS]
    figure = Figure(figsize=(4 * len(tiers), 3.4), layout="constrained")
    axes = figure.subplots(1, len(tiers), squeeze=False)[0]
    outcomes = [o for r in result.replications for o in r.outcomes]
    for ax, tier in zip(axes, tiers):
        minutes = [o.response_s / 60 for o in outcomes if o.tier == tier and o.response_s is not None]
        limits = {o.limit_s for o in outcomes if o.tier == tier}
        if minutes:
            ax.hist(minutes, bins=min(20, max(5, len(minutes) // 3)), color="#4878a8")
        else:
            ax.text(0.5, 0.5, "no incidents", ha="center", va="center", transform=ax.transAxes)
        if len(limits) == 1 and tier != "pre_departure":  # pre-departure limits count from the departure
            ax.axvline(limits.pop() / 60, color="#c0392b", linestyle="--", label="limit")
            ax.legend(loc="upper right")
        ax.set_title(f"{tier} (n={len(minutes)})")
        ax.set_xlabel("report → passengers reached (min)")
    axes[0].set_ylabel("incidents")
    figure.suptitle(f"Response times — {result.scenario.describe()}, {result.reps} replications", fontsize=10)
    figure.savefig(path, dpi=100)
    return path


def plot_compliance(result: WhatIfResult, path: Path) -> Path:
    """Share reached within the limit per tier, with its 95 % interval."""
    from matplotlib.figure import Figure

    rows = [k for k in result.tiers if k.reached_within_limit is not None]
    figure = Figure(figsize=(7, 3.6), layout="constrained")
    ax = figure.subplots()
    if rows:
        shares: list[float] = []
        errors: list[list[float]] = [[], []]
        for k in rows:
            # share_with_ci gives the share and both bounds of its interval together, or none of them
            assert k.reached_within_limit is not None and k.ci_low is not None and k.ci_high is not None
            shares.append(k.reached_within_limit)
            errors[0].append(k.reached_within_limit - k.ci_low)
            errors[1].append(k.ci_high - k.reached_within_limit)
        bars = ax.bar([k.tier for k in rows], shares, yerr=errors, capsize=6, color="#59a14f")
        for bar, kpis in zip(bars, rows):
            ax.annotate(
                f"{kpis.reached_within_limit:.0%}\nn={kpis.incidents}",
                (bar.get_x() + bar.get_width() / 2, 0.02),
                ha="center",
                va="bottom",
                fontsize=8,
                color="white",
            )
    else:
        ax.text(0.5, 0.5, "no incidents", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("reached within the limit")
    ax.set_title(
        f"Share reached within the limit (95 % CI)\n{result.scenario.describe()}, {result.reps} replications",
        fontsize=9,
    )
    figure.savefig(path, dpi=100)
    return path
