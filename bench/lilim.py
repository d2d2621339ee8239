"""Li & Lim PDPTW-100: the OR-Tools routing adapter against PyVRP and VROOM (issue 18 §4).

Solves the twelve shared instances (``../shared/data/lilim/``: four per class, clustered, random and
mixed) with each engine in turn, in one process and at the same time budget per instance:

- ``or-tools``: :func:`solver.routing.solve_pdp` with its defaults (the engine the dispatch seam drives);
- ``pyvrp``: PyVRP 0.14 with shipments and fleet reduction (:func:`solver.pdp_pyvrp.solve_pyvrp`), one core;
- ``vroom``: VROOM with shipments at exploration level 5, one thread (it usually ends well before);
- ``portfolio`` (on request): :func:`solver.pdp_portfolio.solve_pdp_portfolio`, two PyVRP searches on
  two cores (different seeds and time splits), the better checked plan wins;
- ``portfolio-or-tools`` (on request): the same with the adapter in place of the second PyVRP;
- ``or-tools-baseline`` (on request): plain OR-Tools (guided local search, default operators).

Every engine gets the same rule (fewest vehicles, then distance) and every solution is re-checked by
the independent :func:`solver.pdptw.check_pdp_solution`, its distance recomputed from the routes
(never an engine's own cost). Best-known results: SINTEF TOP, copied in the data folder's README.

Target (a measurement, never a timed test): mean distance gap ≤0.3 % with the best-known vehicle
count on ≥90 % of the instances at 10 s.

Run from the repository root:
``python -m bench.lilim [--time-limit 10] [--instances lc101,lr101] [--engines or-tools,portfolio,pyvrp,vroom]``.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from solver.pdp_portfolio import solve_pdp_portfolio
from solver.pdptw import PdpProblem, check_pdp_solution, read_lilim
from solver.routing import PdpParams, solve_pdp, total_distance

from bench import header, load_average, markdown_table
from bench.pdp_engines import EngineRun, run_pyvrp, solve_vroom

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "lilim"


@dataclass(frozen=True)
class BestKnown:
    vehicles: int
    distance: float


BEST_KNOWN = {
    "lc101": BestKnown(10, 828.94),
    "lc102": BestKnown(10, 828.94),
    "lc103": BestKnown(9, 1035.35),
    "lc201": BestKnown(3, 591.56),
    "lc203": BestKnown(3, 591.17),
    "lr101": BestKnown(19, 1650.80),
    "lr102": BestKnown(17, 1487.57),
    "lr201": BestKnown(4, 1253.23),
    "lr205": BestKnown(3, 1054.02),
    "lrc101": BestKnown(14, 1708.80),
    "lrc103": BestKnown(11, 1258.74),
    "lrc201": BestKnown(4, 1406.94),
}
INSTANCES = tuple(BEST_KNOWN)

MAX_MEAN_GAP_PERCENT = 0.3
MIN_SHARE_AT_BEST_VEHICLES = 0.9


def run_ortools(problem: PdpProblem, time_limit_s: float) -> EngineRun:
    result = solve_pdp(problem, PdpParams(time_limit_s=time_limit_s))
    return EngineRun(result.routes, result.solve_s)


def run_portfolio(problem: PdpProblem, time_limit_s: float) -> EngineRun:
    result = solve_pdp_portfolio(problem, PdpParams(time_limit_s=time_limit_s))
    return EngineRun(result.routes, result.solve_s)


def run_portfolio_ortools(problem: PdpProblem, time_limit_s: float) -> EngineRun:
    result = solve_pdp_portfolio(problem, PdpParams(time_limit_s=time_limit_s), here="or-tools")
    return EngineRun(result.routes, result.solve_s)


def run_ortools_baseline(problem: PdpProblem, time_limit_s: float) -> EngineRun:
    """Plain OR-Tools: the usual advice (GLS after parallel cheapest insertion), default operators."""
    params = PdpParams(
        time_limit_s=time_limit_s,
        metaheuristic="GUIDED_LOCAL_SEARCH",
        first_solution="PARALLEL_CHEAPEST_INSERTION",
        tuned_operators=False,
    )
    result = solve_pdp(problem, params)
    return EngineRun(result.routes, result.solve_s)


ENGINES: dict[str, Callable[[PdpProblem, float], EngineRun]] = {
    "or-tools": run_ortools,
    "pyvrp": run_pyvrp,
    "vroom": solve_vroom,
    "portfolio": run_portfolio,
    "portfolio-or-tools": run_portfolio_ortools,
    "or-tools-baseline": run_ortools_baseline,
}
DEFAULT_ENGINES = ("or-tools", "pyvrp", "vroom")


@dataclass(frozen=True)
class Outcome:
    """One engine on one instance, as the checker sees it."""

    vehicles: int
    distance: float
    problems: tuple[str, ...]
    solve_s: float

    @property
    def feasible(self) -> bool:
        return not self.problems


def checked(problem: PdpProblem, run: EngineRun) -> Outcome:
    return Outcome(
        vehicles=sum(1 for route in run.routes if route),
        distance=total_distance(problem, run.routes),
        problems=tuple(check_pdp_solution(problem, run.routes)),
        solve_s=run.solve_s,
    )


def gap_percent(distance: float, best: BestKnown) -> float:
    return round(100.0 * (distance - best.distance) / best.distance, 2) + 0.0  # + 0.0: no "-0.00"


def run(data: Path, names: list[str], engines: list[str], time_limit_s: float) -> dict[str, dict[str, Outcome]]:
    """instance → engine → outcome; engines run one after the other on each instance."""
    outcomes: dict[str, dict[str, Outcome]] = {}
    for name in names:
        problem = read_lilim(data / f"{name}.txt")
        outcomes[name] = {engine: checked(problem, ENGINES[engine](problem, time_limit_s)) for engine in engines}
    return outcomes


def instance_rows(outcomes: dict[str, dict[str, Outcome]], engines: list[str]) -> list[list[object]]:
    rows = []
    for name, by_engine in outcomes.items():
        best = BEST_KNOWN[name]
        row: list[object] = [name, best.vehicles, f"{best.distance:.2f}"]
        for engine in engines:
            outcome = by_engine[engine]
            row += [
                outcome.vehicles,
                f"{outcome.distance:.2f}",
                f"{gap_percent(outcome.distance, best):+.2f}",
                "yes" if outcome.feasible else f"no ({len(outcome.problems)})",
            ]
        rows.append(row)
    return rows


def instance_columns(engines: list[str]) -> list[str]:
    columns = ["instance", "BKS vehicles", "BKS distance"]
    for engine in engines:
        columns += [f"{engine} vehicles", f"{engine} distance", f"{engine} gap %", f"{engine} feasible"]
    return columns


SUMMARY_COLUMNS = [
    "engine",
    "mean gap % at best-known vehicles",
    "at best-known vehicles",
    "extra vehicles (instances)",
    "feasible",
    "mean solve s",
    "target met",
]


def summary_rows(outcomes: dict[str, dict[str, Outcome]], engines: list[str]) -> list[list[object]]:
    rows = []
    for engine in engines:
        pairs = [(by_engine[engine], BEST_KNOWN[name]) for name, by_engine in outcomes.items()]
        # Vehicles come first: a shorter distance bought with an extra vehicle is no gain, so the mean
        # gap is taken over the instances solved with the best-known vehicle count (or fewer).
        at_best_gaps = [gap_percent(o.distance, b) for o, b in pairs if o.vehicles <= b.vehicles]
        mean_gap = statistics.fmean(at_best_gaps) if at_best_gaps else float("nan")
        at_best = len(at_best_gaps)
        extra = [o.vehicles - b.vehicles for o, b in pairs if o.vehicles > b.vehicles]
        feasible = sum(1 for o, _ in pairs if o.feasible)
        met = (
            feasible == len(pairs)
            and mean_gap <= MAX_MEAN_GAP_PERCENT
            and at_best >= MIN_SHARE_AT_BEST_VEHICLES * len(pairs)
        )
        rows.append(
            [
                engine,
                f"{mean_gap:+.2f}",
                f"{at_best}/{len(pairs)}",
                f"{sum(extra)} ({len(extra)})",
                f"{feasible}/{len(pairs)}",
                f"{statistics.fmean(o.solve_s for o, _ in pairs):.1f}",
                "yes" if met else "no",
            ]
        )
    return rows


def _names(text: str | None, known: tuple[str, ...]) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()] if text else list(known)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance and engine (default 10)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"instance folder (default {DEFAULT_DATA})")
    parser.add_argument("--instances", help="comma-separated instances (default: all twelve)")
    parser.add_argument(
        "--engines", help=f"comma-separated engines of {', '.join(ENGINES)} (default: {','.join(DEFAULT_ENGINES)})"
    )
    args = parser.parse_args(argv)
    names, engines = _names(args.instances, INSTANCES), _names(args.engines, DEFAULT_ENGINES)
    unknown = sorted(set(names) - set(BEST_KNOWN)) + sorted(set(engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown {', '.join(unknown)}; instances: {', '.join(INSTANCES)}; engines: {', '.join(ENGINES)}")
    load_at_start = load_average()
    outcomes = run(args.data, names, engines, args.time_limit)
    print(header(f"Li & Lim PDPTW-100, {args.time_limit:g} s per instance and engine", load_at_start))
    print(
        f"Target: mean gap ≤{MAX_MEAN_GAP_PERCENT:g} % with the best-known vehicle count on "
        f"≥{MIN_SHARE_AT_BEST_VEHICLES:.0%} of the instances. Gap: distance against best known; the mean "
        "counts only instances solved with the best-known vehicle count (more vehicles are a miss, "
        "whatever the distance).\n"
    )
    print(markdown_table(SUMMARY_COLUMNS, summary_rows(outcomes, engines)))
    print()
    print(markdown_table(instance_columns(engines), instance_rows(outcomes, engines)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
