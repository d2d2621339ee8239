"""Blizzard what-if: one group per rescue against rescue routes (issue 18 §6).

The same what-if twice, with the same seed (common random numbers: the same weather, the same
incidents, the same coaches snowbound): one winter week, the winter calendar, the default incident
rates plus coaches stranded together at each blizzard's onset (``blizzard_stranding_share``: each
coach on G1 when the snow sets in is snowbound with this probability; those of one onset are planned
together). The first run sends every coach to one group (``max_route_crews=0``), the second lets a
coach collect two groups on one route (the default). Reported: passengers stranded and passengers
reached within their tier's limit, over all incidents and over those planned together, and the
coaches sent; a bar plot of the share reached in time.

Run from the repository root:
``python -m bench.blizzard_routes [--reps 100] [--share 0.5] [--backups siping_depot=1,changchun_depot=1]
[--calendar winter|winter-open] [--plot docs/img/blizzard_routes.png]``. A benchmark, never a test.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fleetplan.operations import OperationsPolicy

from solver.planning.whatif import Engine, WhatIfScenario, run_whatif
from solver.planning.whatif.kpis import IncidentOutcome
from solver.planning.whatif.scenario import IncidentRates

from bench import header, load_average, markdown_table

VARIANTS = (("one group per rescue", 0), ("rescue routes", OperationsPolicy().max_route_crews))


@dataclass(frozen=True)
class Tally:
    """Passengers stranded and reached within the limit over some incidents."""

    incidents: int
    passengers: int
    carried: int
    in_time: int
    coaches: int

    @classmethod
    def of(cls, outcomes: Sequence[IncidentOutcome]) -> Tally:
        return cls(
            len(outcomes),
            sum(o.passengers for o in outcomes),
            sum(o.carried for o in outcomes),
            sum(o.reached_in_time for o in outcomes),
            sum(len(set(o.rescue_vehicles)) for o in outcomes),
        )

    @property
    def share(self) -> float:
        return self.in_time / self.passengers if self.passengers else 0.0


def backups_of(text: str) -> dict[str, int]:
    pairs = (item.split("=") for item in text.split(",") if item)
    return {site.strip(): int(count) for site, count in pairs}


def run(args: argparse.Namespace) -> list[tuple[str, Tally, Tally, float]]:
    rows = []
    for label, crews in VARIANTS:
        scenario = WhatIfScenario(
            start=args.start,
            end=args.end,
            backups=backups_of(args.backups),
            calendar=args.calendar,
            rates=IncidentRates(blizzard_stranding_share=args.share),
            ops=OperationsPolicy(max_route_crews=crews),
        )
        started = time.perf_counter()
        result = run_whatif(scenario, args.reps, args.seed, Engine.PROCESSES, workers=args.workers)
        wall = time.perf_counter() - started
        outcomes = [o for rep in result.replications for o in rep.outcomes]
        together = [o for o in outcomes if o.planned_with > 1]
        rows.append((label, Tally.of(outcomes), Tally.of(together), wall))
    return rows


def table(rows: list[tuple[str, Tally, Tally, float]]) -> str:
    headers = [
        "dispatch",
        "incidents",
        "passengers",
        "reached in time",
        "share",
        "planned together: incidents",
        "passengers",
        "carried",
        "reached in time",
        "share",
        "coach visits to them",
        "wall s",
    ]
    body = [
        [
            label,
            every.incidents,
            every.passengers,
            every.in_time,
            f"{every.share:.1%}",
            together.incidents,
            together.passengers,
            together.carried,
            together.in_time,
            f"{together.share:.1%}",
            together.coaches,
            f"{wall:.0f}",
        ]
        for label, every, together, wall in rows
    ]
    return markdown_table(headers, body)


def plot(rows: list[tuple[str, Tally, Tally, float]], path: Path, title: str) -> None:
    """Bars per dispatch: of the passengers of incidents planned together, the share given a seat and
    the share reached within the limit."""
    from matplotlib.figure import Figure  # imported late: only a run that plots pays for it

    figure = Figure(figsize=(7, 3.8))
    axes = figure.add_subplot()
    width = 0.38
    for offset, (name, share) in enumerate(
        (("given a seat", lambda t: t.carried / t.passengers), ("reached within the limit", lambda t: t.share))
    ):
        values = [100 * share(together) if together.passengers else 0.0 for _, _, together, _ in rows]
        bars = axes.bar([k + (offset - 0.5) * width for k in range(len(rows))], values, width, label=name)
        axes.bar_label(bars, fmt="%.1f %%")
    axes.set_xticks(range(len(rows)), [label for label, *_ in rows])
    axes.set_ylabel("passengers of incidents planned together (%)")
    axes.set_ylim(0, 110)
    axes.legend(loc="upper right")
    axes.set_title(title, fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def main(argv: Sequence[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.blizzard_routes", description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 12, 7))
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 12, 13))
    parser.add_argument("--share", type=float, default=0.5, help="blizzard_stranding_share (default 0.5)")
    parser.add_argument("--backups", default="siping_depot=1,changchun_depot=1")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--calendar", default="winter", choices=("winter", "winter-open"), help="winter-open: entrances never closed"
    )
    parser.add_argument("--plot", type=Path, default=None, help="write the bar plot here (PNG)")
    args = parser.parse_args(argv)
    load_at_start = load_average()
    rows = run(args)
    setting = (
        f"- setting: {args.start}..{args.end}, {args.calendar} calendar, {args.reps} replications, seed {args.seed}, "
        f"stranding share {args.share}, backups {args.backups}\n"
    )
    title = "Blizzard what-if: one group per rescue against rescue routes"
    text = header(title, load_at_start) + setting + "\n" + table(rows)
    if args.plot is not None:
        plot(rows, args.plot, f"Blizzard week, {args.calendar} calendar, {args.reps} replications")
    print(text)
    return text


if __name__ == "__main__":
    main()
