"""What-if throughput (issue 5, must-show): one winter month, 100 replications, within 10 minutes.

Runs the same what-if (default: January 2027, winter calendar, backups
``siping_depot=2,changchun_depot=1,gongzhuling_sa=1``, default incident rates) on each engine
configuration given, and prints one Markdown table: wall time, simulated incidents, incidents per
second and per second per core (each worker is one single-threaded process), the speed-up over the
first configuration of the same engine with one worker, and whether the KPIs are identical to the
first configuration's (they must be: same seed).

Run: ``python -m bench.whatif [--reps 100] [--engines dask:1,dask:2] [--seed 20261207]``; add
``local`` or ``processes:2`` to compare. A Dask configuration starts a ``LocalCluster`` of that many
single-threaded worker processes; its start-up is inside the wall time. A benchmark, never a test.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from datetime import date

from fleetplan.corridor import load_corridor

from solver.planning.whatif import Engine, WhatIfResult, WhatIfScenario, run_whatif

from bench import header, markdown_table

DEFAULT_BACKUPS = {"siping_depot": 2, "changchun_depot": 1, "gongzhuling_sa": 1}
TARGET_S = 600.0


@dataclass(frozen=True)
class EngineRun:
    engine: Engine
    workers: int
    wall_s: float
    result: WhatIfResult

    @property
    def incidents(self) -> int:
        return sum(len(r.outcomes) for r in self.result.replications)

    @property
    def cores(self) -> int:
        return 1 if self.engine == Engine.LOCAL else self.workers


def parse_engines(text: str) -> list[tuple[Engine, int]]:
    """``local,processes:2,dask:1,dask:2`` → [(engine, workers), …]."""
    configurations = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, workers = part.partition(":")
        configurations.append((Engine(name), int(workers) if workers else 1))
    return configurations


def measure(scenario: WhatIfScenario, reps: int, seed: int, engine: Engine, workers: int, corridor) -> EngineRun:
    started = time.perf_counter()
    result = run_whatif(scenario, reps, seed, engine, corridor=corridor, workers=workers)
    return EngineRun(engine, workers, time.perf_counter() - started, result)


def table(runs: list[EngineRun]) -> str:
    single = {run.engine: run for run in runs if run.workers == 1}
    rows = []
    for run in runs:
        base = single.get(run.engine)
        speed_up = base.wall_s / run.wall_s if base is not None else float("nan")
        rows.append(
            [
                f"{run.engine.value}",
                run.workers,
                run.result.reps,
                round(run.wall_s, 1),
                "yes" if run.wall_s <= TARGET_S else "NO",
                run.incidents,
                round(run.incidents / run.wall_s, 2),
                round(run.incidents / run.wall_s / run.cores, 2),
                round(speed_up, 2),
                "yes" if run.result == runs[0].result else "NO",
            ]
        )
    return markdown_table(
        [
            "engine",
            "workers",
            "reps",
            "wall s",
            "≤ 10 min",
            "incidents",
            "incidents/s",
            "incidents/s/core",
            "speed-up vs 1 worker",
            "KPIs identical",
        ],
        rows,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--from", dest="start", type=date.fromisoformat, default=date(2027, 1, 1))
    parser.add_argument("--to", dest="end", type=date.fromisoformat, default=date(2027, 1, 31))
    parser.add_argument("--calendar", default="winter")
    parser.add_argument("--engines", type=parse_engines, default=parse_engines("dask:1,dask:2"))
    args = parser.parse_args(argv)
    corridor = load_corridor()
    scenario = WhatIfScenario(args.start, args.end, DEFAULT_BACKUPS, calendar=args.calendar)
    runs = [measure(scenario, args.reps, args.seed, engine, workers, corridor) for engine, workers in args.engines]
    summary = runs[0].result.summary()
    lines = [
        header("What-if throughput"),
        f"- scenario: {scenario.describe()}; {args.reps} replications, seed {args.seed}; "
        f"solver budget {scenario.solve_budget_s} deterministic s per incident",
        f"- per replication: {summary['incidents'] / max(args.reps, 1):.2f} incidents "
        f"({summary['incidents_by_kind_per_rep']}), {summary['trips_planned_per_rep']:.0f} trips, "
        f"{summary['closure_hours_per_rep']} h of G1 closures; solves stopped by the budget: "
        f"{summary['solves_not_optimal']}, evaluator findings: {summary['evaluator_problems']}",
        f"- share reached within the limit (all tiers): {runs[0].result.tier('all').reached_within_limit}",
        "",
        table(runs),
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
