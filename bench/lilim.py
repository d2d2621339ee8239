"""Li & Lim PDPTW benchmark of the OR-Tools routing adapter (issue 3, part 5).

Solves lc101, lr101 and lrc101 (one instance per class: clustered, random, mixed) with
:func:`solver.routing.solve_pdp` and compares with the best-known results (vehicles first, then
distance; SINTEF TOP table, copied in ``../shared/data/lilim/README.md``). Every solution is re-checked
by the independent :func:`solver.pdptw.check_pdp_solution`. ``--baseline`` adds a run with plain
OR-Tools settings (guided local search, parallel cheapest insertion, default operators) for
comparison.

Target (a measurement, never a timed test): at 10 s, distance gap ≤1 % with at most one vehicle more
than best known.

Run from the repository root: ``python -m bench.lilim [--time-limit 10] [--baseline] [--data DIR]``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from solver.pdptw import check_pdp_solution, read_lilim
from solver.routing import PdpParams, PdpResult, solve_pdp

from bench import header, markdown_table

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "lilim"
INSTANCES = ("lc101", "lr101", "lrc101")


@dataclass(frozen=True)
class BestKnown:
    vehicles: int
    distance: float


BEST_KNOWN = {
    "lc101": BestKnown(10, 828.94),
    "lr101": BestKnown(19, 1650.80),
    "lrc101": BestKnown(14, 1708.80),
}

MAX_GAP_PERCENT = 1.0
MAX_EXTRA_VEHICLES = 1


def tuned_params(time_limit_s: float) -> PdpParams:
    return PdpParams(time_limit_s=time_limit_s)


def baseline_params(time_limit_s: float) -> PdpParams:
    """Plain OR-Tools: the usual advice (GLS after parallel cheapest insertion), default operators."""
    return PdpParams(
        time_limit_s=time_limit_s,
        metaheuristic="GUIDED_LOCAL_SEARCH",
        first_solution="PARALLEL_CHEAPEST_INSERTION",
        tuned_operators=False,
    )


def gap_percent(distance: float, best: BestKnown) -> float:
    return 100.0 * (distance - best.distance) / best.distance


def meets_target(result: PdpResult, best: BestKnown) -> bool:
    return (
        result.vehicles_used <= best.vehicles + MAX_EXTRA_VEHICLES
        and gap_percent(result.distance, best) <= MAX_GAP_PERCENT
    )


def run(data: Path, names: list[str], params: PdpParams) -> list[list[object]]:
    """One table row per instance."""
    rows = []
    for name in names:
        problem = read_lilim(data / f"{name}.txt")
        result = solve_pdp(problem, params)
        problems = check_pdp_solution(problem, result.routes)
        best = BEST_KNOWN[name]
        gap = round(gap_percent(result.distance, best), 2) + 0.0  # + 0.0: no "-0.00"
        rows.append(
            [
                name,
                str(result.status),
                result.vehicles_used,
                f"{result.distance:.2f}",
                best.vehicles,
                f"{best.distance:.2f}",
                f"{result.vehicles_used - best.vehicles:+d}",
                f"{gap:+.2f}",
                "ok" if not problems else f"{len(problems)} problems",
                "yes" if meets_target(result, best) and not problems else "no",
                f"{result.solve_s:.1f}",
            ]
        )
    return rows


COLUMNS = [
    "instance",
    "status",
    "vehicles",
    "distance",
    "best-known vehicles",
    "best-known distance",
    "vehicles vs best",
    "distance gap %",
    "checker",
    "target met",
    "solve s",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance (default 10)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"instance folder (default {DEFAULT_DATA})")
    parser.add_argument("--baseline", action="store_true", help="also run plain OR-Tools settings")
    parser.add_argument("instances", nargs="*", help=f"instances to run (default: {' '.join(INSTANCES)})")
    args = parser.parse_args(argv)
    names = args.instances or list(INSTANCES)
    unknown = sorted(set(names) - set(BEST_KNOWN))
    if unknown:
        parser.error(f"no best-known result for {', '.join(unknown)}; known: {', '.join(INSTANCES)}")
    print(header(f"Li & Lim PDPTW, {args.time_limit:g} s per instance"))
    print(f"Target: distance gap ≤{MAX_GAP_PERCENT:g} % with at most {MAX_EXTRA_VEHICLES} vehicle over best known.\n")
    print("### Tuned adapter (iterated local search, SISR ruin-and-recreate)\n")
    print(markdown_table(COLUMNS, run(args.data, names, tuned_params(args.time_limit))))
    if args.baseline:
        print("\n### Baseline: plain OR-Tools (guided local search, parallel cheapest insertion)\n")
        print(markdown_table(COLUMNS, run(args.data, names, baseline_params(args.time_limit))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
