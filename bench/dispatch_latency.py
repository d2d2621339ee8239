"""Latency of single-incident dispatch on the default data (issue 3, item 7).

For each of N seeded incidents (:mod:`bench.incidents`): time ``prepare`` (the instance builder), ``solve``
and the check the dispatch path makes of every plan (the evaluator and the independent oracle)
separately, with the default :class:`SolveParams` (1 s, 3 plans) and with ``alternatives=1``. Prints
p50/p95/max, status counts and the problems found (evaluator and oracle) as Markdown.

Run: ``python -m bench.dispatch_latency [--incidents 200] [--seed 20261207]``. Target (a benchmark,
not a test): p95 solve ≤250 ms, status optimal.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.errors import FleetplanError
from fleetplan.evaluate import evaluate
from fleetplan.instance import Instance
from fleetplan.model import Conditions

from solver.dispatch import Result, SolveParams, prepare, solve
from solver.dispatch.oracle_check import oracle_problems

from bench import header, load_average, markdown_table, percentile
from bench.incidents import DEFAULT_SEED, GeneratedIncident, describe, generate_incidents

TARGET_MS = 250  # the p95 target for the solve
PARAM_SETS = (("defaults (1 s, 3 plans)", SolveParams()), ("alternatives=1", SolveParams(alternatives=1)))


@dataclass(frozen=True)
class SolveRun:
    """One solve of one instance: wall time, the result and the evaluator's problem count per plan."""

    wall_ms: float
    result: Result
    problems_per_plan: tuple[int, ...]
    check_ms: float = 0.0  # the evaluator and the oracle over every plan, as the dispatch path runs them


@dataclass(frozen=True)
class Measurement:
    generated: GeneratedIncident
    build_ms: float
    tier: str
    crews: int
    rescue_options: int
    trip_options: int
    runs: tuple[SolveRun, ...]  # one per parameter set, in PARAM_SETS order


def measure(
    corridor: Corridor,
    generated: GeneratedIncident,
    param_sets: Sequence[tuple[str, SolveParams]] = PARAM_SETS,
    conditions: Conditions | None = None,
) -> Measurement:
    """Build and solve one incident with each parameter set (in clear weather unless ``conditions``
    say otherwise); evaluate the plans untimed."""
    conditions = conditions or corridor.dataset.clear_conditions
    started = time.perf_counter()
    instance = prepare(corridor, [generated.incident], conditions)
    build_ms = (time.perf_counter() - started) * 1000
    runs = tuple(_timed_solve(instance, params) for _, params in param_sets)
    return Measurement(
        generated,
        build_ms,
        instance.groups[0].tier,
        len(instance.crews),
        len(instance.rescue_options),
        len(instance.trip_options),
        runs,
    )


def _timed_solve(instance: Instance, params: SolveParams) -> SolveRun:
    started = time.perf_counter()
    result = solve(instance, params)
    wall_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    problems = [len(evaluate(plan, instance)) for plan in result.plans]
    checked = oracle_problems(instance, result.plans)
    check_ms = (time.perf_counter() - started) * 1000
    if checked is not None:
        problems = [own + len(theirs) for own, theirs in zip(problems, checked)]
    return SolveRun(wall_ms, result, tuple(problems), check_ms)


def latency_rows(
    measurements: Sequence[Measurement], param_sets: Sequence[tuple[str, SolveParams]] = PARAM_SETS
) -> list[list[object]]:
    """p50/p95/max/mean in ms of the build, each solve, and build + solve, and the share within the target."""
    series = [("build_instance", [m.build_ms for m in measurements])]
    for index, (label, _) in enumerate(param_sets):
        solve_ms = [m.runs[index].wall_ms for m in measurements]
        series.append((f"solve, {label}", solve_ms))
        series.append((f"build + solve, {label}", [m.build_ms + s for m, s in zip(measurements, solve_ms)]))
        series.append(
            (
                f"build + solve + check, {label}",
                [m.build_ms + m.runs[index].wall_ms + m.runs[index].check_ms for m in measurements],
            )
        )
    return [
        [
            name,
            percentile(v, 50),
            percentile(v, 95),
            max(v),
            sum(v) / len(v),
            f"{sum(1 for x in v if x <= TARGET_MS) / len(v):.0%}",
        ]
        for name, v in series
    ]


def status_rows(
    measurements: Sequence[Measurement], param_sets: Sequence[tuple[str, SolveParams]] = PARAM_SETS
) -> list[list[object]]:
    """Per parameter set: statuses, plans returned, plans with evaluator problems."""
    rows = []
    for index, (label, _) in enumerate(param_sets):
        runs = [m.runs[index] for m in measurements]
        statuses = Counter(run.result.status.value for run in runs)
        plans = sum(len(run.problems_per_plan) for run in runs)
        flawed = sum(1 for run in runs for count in run.problems_per_plan if count)
        problems = sum(sum(run.problems_per_plan) for run in runs)
        rows.append([label, ", ".join(f"{s} {n}" for s, n in sorted(statuses.items())), plans, flawed, problems])
    return rows


def report(
    measurements: Sequence[Measurement],
    generated: Sequence[GeneratedIncident],
    seed: int,
    param_sets: Sequence[tuple[str, SolveParams]] = PARAM_SETS,
    load_at_start: str | None = None,
    conditions: str = "clear",
) -> str:
    """The Markdown report."""
    counts = describe(generated)
    tiers = Counter(m.tier for m in measurements)
    sizes = [
        ("crews", [m.crews for m in measurements]),
        ("rescue options", [m.rescue_options for m in measurements]),
        ("trip options", [m.trip_options for m in measurements]),
    ]
    parts = [
        header(
            f"Single-incident dispatch latency, default data ({len(measurements)} incidents, seed {seed}, "
            f"conditions {conditions})",
            load_at_start,
        ),
        "Incidents: "
        + "; ".join(
            f"{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
            for name, c in [*counts.items(), ("tier", tiers)]
        ),
        "",
        "Instance size: " + "; ".join(f"{name} median {percentile(v, 50):.0f}, max {max(v)}" for name, v in sizes),
        "",
        f"First incident (cold caches): build {measurements[0].build_ms:.0f} ms, "
        f"solve {measurements[0].runs[0].wall_ms:.0f} ms.",
        "",
        "### Wall time (ms)",
        "",
        markdown_table(
            ["step", "p50", "p95", "max", "mean", f"≤{TARGET_MS} ms"], latency_rows(measurements, param_sets)
        ),
        "",
        "### Status and evaluator",
        "",
        markdown_table(
            ["solve", "status", "plans", "plans with problems", "problems"], status_rows(measurements, param_sets)
        ),
    ]
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> str:
    """Run the benchmark; print and return the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--conditions", default="clear", help="a conditions preset of the data (snow, blizzard, …); default clear"
    )
    args = parser.parse_args(argv)
    load_at_start = load_average()
    corridor = load_corridor()
    try:
        conditions = corridor.dataset.conditions_named(args.conditions)
    except FleetplanError as error:
        parser.error(f"--conditions: {error}")
    generated = generate_incidents(corridor, args.incidents, args.seed)
    measurements = [measure(corridor, g, conditions=conditions) for g in generated]
    text = report(measurements, generated, args.seed, load_at_start=load_at_start, conditions=args.conditions)
    print(text)
    return text


if __name__ == "__main__":
    main()
