"""Rescue routes under mass disruption (issue 18 §1, §5): many small stranded groups, one backup.

Friday 14:40 on the default corridor: ``--groups`` coaches fail 4 km apart from K10 toward Changchun
with ``--passengers`` aboard each; the Changchun backups and all Siping backups but c19 are out, so
routes (one coach collecting several groups) are what the plans are made of. For each group count it
builds the instance, then dispatches with the desk's deadline (``--time-limit``, wall clock, 3
alternatives as the desk asks) and reports: routes offered and the longest, build and dispatch
seconds, the solver's status, and the leading objective terms of the best plan (passengers not
reached within the limit, lateness penalty); ``oracle`` says whether the independent oracle confirms it.

Run: ``python -m bench.route_pool [--groups 4,6,8] [--passengers 8] [--time-limit 1.0]``.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.model import Incident, IncidentKind

from solver.dispatch import Budget, SolveParams, dispatch, prepare
from solver.dispatch.oracle_check import oracle_problems

from bench import header, load_average, markdown_table

MOMENT = datetime(2026, 12, 11, 14, 40)
COACHES = ("c15", "c16", "c17", "c18", "c01", "c02", "c03", "c04")  # the Friday runs, then idle staff coaches
OUT = ("c09", "c10", "c11", "c12", "c13", "c20", "c21", "c22", "c23", "c24")


def failures(groups: int, passengers: int) -> list[Incident]:
    return [
        Incident(
            f"x{k}", IncidentKind.BREAKDOWN, vehicle, None, f"G1 K{10 + 4 * k} toward Changchun", MOMENT, passengers
        )
        for k, vehicle in enumerate(COACHES[:groups])
    ]


def measure(corridor: Corridor, groups: int, passengers: int, time_limit_s: float) -> list[object]:
    incidents, unavailable = failures(groups, passengers), dict.fromkeys(OUT, "out")
    conditions = corridor.dataset.clear_conditions
    started = time.perf_counter()
    instance = prepare(corridor, incidents, conditions, unavailable=unavailable)
    built = time.perf_counter()
    params = SolveParams(budget=Budget.wall_clock(time_limit_s), alternatives=3)
    outcome = dispatch(corridor, incidents, conditions, params=params, unavailable=unavailable)
    dispatched = time.perf_counter()
    best = outcome.result.best
    confirmed = best is not None and oracle_problems(outcome.instance, [best]) == ((),)
    routes = instance.route_options
    return [
        groups,
        groups * passengers,
        len(routes),
        max((len(r.visits) for r in routes), default=0),
        round(built - started, 2),
        round(dispatched - built, 2),
        outcome.result.status.value,
        best.objective.passengers_not_reached if best else "–",
        best.objective.late_penalty if best else "–",
        "yes" if confirmed else "no",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.route_pool", description=__doc__.split("\n")[0])
    parser.add_argument("--groups", default="4,6,8", help="group counts, comma-separated (at most 8)")
    parser.add_argument("--passengers", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=1.0)
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.groups.split(",")]
    if not all(2 <= n <= len(COACHES) for n in counts):
        parser.error(f"--groups: each count must be between 2 and {len(COACHES)}")
    start_load = load_average()
    corridor = load_corridor()
    rows = [measure(corridor, n, args.passengers, args.time_limit) for n in counts]
    print(header("Rescue routes under mass disruption", start_load))
    headers = [
        "groups",
        "passengers",
        "routes offered",
        "longest (scenes)",
        "build s",
        "dispatch s",
        "status",
        "not reached in time",
        "late penalty",
        "oracle agrees",
    ]
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
