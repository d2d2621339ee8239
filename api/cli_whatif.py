"""``fleetplan whatif``: a Monte-Carlo what-if over a period of the timetable.

Values are checked here rather than by argparse ``type=`` functions so that every mistake gets one
line naming the option (exit status 2, see :func:`api.cli.main`), not argparse's usage block.
"""

from __future__ import annotations

import argparse
import json
import time

from fleetplan.errors import InvalidValueError

from api.cli_options import (
    Printer,
    add_common_options,
    backups_option,
    choice,
    day_option,
    out_directory,
    out_path,
    progress_bar,
    whole_number,
)

WHATIF_DEFAULT_REPS = 20
WHATIF_DEFAULT_SEED = 20261207
WHATIF_DEFAULT_WORKERS = 2
KPI_TEXT_COLUMNS = [
    "tier",
    "incidents",
    "incidents_per_rep",
    "reached_within_limit",
    "ci_low",
    "ci_high",
    "response_mean_min",
    "response_p90_min",
    "passenger_delay_mean_min",
    "trips_lost_per_rep",
]


# --------------------------------------------------------------------------- whatif
def add_whatif_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``fleetplan whatif`` on ``subparsers`` (the object ``add_subparsers()`` returned).

    Parameters
    ----------
    subparsers
        The CLI's sub-command registry.

    Returns
    -------
    argparse.ArgumentParser
        The ``whatif`` parser (its handler is :func:`run_whatif_command`).
    """
    from solver.planning.whatif import CALENDARS, Engine

    parser = subparsers.add_parser(
        "whatif",
        help="Monte-Carlo what-if: share of incidents reached within the limit for a backup placement",
        description="Simulate seeded incidents (breakdowns by coach age and season, no-starts, accidents, driver "
        "illness, G1 closures) over a period of the timetable, dispatch each one against the evolving "
        "state, and report KPIs per response tier with 95% intervals.",
    )
    parser.add_argument("--from", dest="start", required=True, metavar="DATE", help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", required=True, metavar="DATE", help="last day, YYYY-MM-DD (inclusive)")
    parser.add_argument(
        "--backups",
        required=True,
        metavar="SITE=N[,SITE=N…]",
        help="standby coaches per depot or staging point, e.g. "
        "siping_depot=2,changchun_depot=1,gongzhuling_sa=1 (replaces the data's placement)",
    )
    parser.add_argument(
        "--conditions-calendar",
        dest="calendar",
        default="clear",
        metavar="NAME",
        help=f"weather calendar: {', '.join(CALENDARS)} (default %(default)s)",
    )
    parser.add_argument(
        "--reps", default=str(WHATIF_DEFAULT_REPS), metavar="N", help="replications (default %(default)s)"
    )
    parser.add_argument(
        "--seed",
        default=str(WHATIF_DEFAULT_SEED),
        metavar="S",
        help="root seed; the same seed gives the same KPIs on every engine (default %(default)s)",
    )
    parser.add_argument(
        "--engine",
        default=Engine.LOCAL.value,
        metavar="ENGINE",
        help=f"{'|'.join(e.value for e in Engine)} (default %(default)s)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDR",
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (dask engine; default: a local cluster)",
    )
    parser.add_argument(
        "--workers",
        default=str(WHATIF_DEFAULT_WORKERS),
        metavar="N",
        help="processes for the processes engine or a local Dask cluster (default %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=out_path,
        default=None,
        metavar="DIR",
        help="write kpis.csv, response_times.png and compliance.png there",
    )
    add_common_options(parser)
    parser.set_defaults(handler=run_whatif_command)
    return parser


def run_whatif_command(args: argparse.Namespace, out: Printer) -> int:
    """Run ``fleetplan whatif``; returns the exit status (0)."""
    from fleetplan.corridor import load_corridor

    from solver.planning.whatif import Engine, WhatIfScenario, run_whatif, write_outputs

    start, end = day_option(args.start, "--from"), day_option(args.end, "--to")
    if end < start:
        raise InvalidValueError("--to", f"{end} is before --from {start}")
    backups = backups_option(args.backups)
    reps = whole_number(args.reps, "--reps", minimum=1)
    seed = whole_number(args.seed, "--seed", minimum=0)
    workers = whole_number(args.workers, "--workers", minimum=1)
    engine = choice(args.engine, "--engine", [e.value for e in Engine])
    if args.scheduler and engine != Engine.DASK.value:
        raise InvalidValueError("--scheduler", "needs --engine dask")
    if args.out is not None:
        out_directory(args.out, "--out")
    corridor = load_corridor(args.data)
    scenario = WhatIfScenario(start, end, backups, calendar=args.calendar)
    started = time.perf_counter()
    with progress_bar(reps, "replications") as progress:
        result = run_whatif(
            scenario,
            reps,
            seed,
            engine,
            scheduler=args.scheduler,
            progress=progress,
            corridor=corridor,
            workers=workers,
        )
    elapsed_s = time.perf_counter() - started
    files = [str(path) for path in write_outputs(result, args.out)] if args.out is not None else []
    if args.json:
        out(
            json.dumps(
                result.as_dict() | {"engine": engine, "elapsed_s": round(elapsed_s, 2), "files": files},
                ensure_ascii=False,
            )
        )
    else:
        out(whatif_text(result, engine, elapsed_s, files))
    return 0


def per_kind_text(per_kind: dict[str, float]) -> str:
    """``breakdown 1.2, accident 0.3`` (a Python dict was printed before), ``none`` for none."""
    return ", ".join(f"{kind} {count:g}" for kind, count in per_kind.items()) or "none"


def whatif_text(result, engine: str, elapsed_s: float, files: list[str]) -> str:
    """The KPI table and a summary, for people."""
    from solver.planning.whatif import kpi_rows

    from api import text_table

    summary = result.summary()
    rows = [{key: ("–" if value is None else value) for key, value in row.items()} for row in kpi_rows(result)]
    lines = [
        f"what-if {result.scenario.describe()}: {result.reps} replications, seed {result.seed}, "
        f"engine {engine}, {elapsed_s:.1f} s",
        text_table.table(rows, KPI_TEXT_COLUMNS),
        f"incidents per replication by kind: {per_kind_text(summary['incidents_by_kind_per_rep'])}; "
        f"standby stand-ins per replication: {summary['substitutions_per_rep']}; "
        f"G1 closure hours per replication: {summary['closure_hours_per_rep']}",
    ]
    if summary["solves_not_optimal"] or summary["dispatch_errors"] or summary["evaluator_problems"]:
        lines.append(
            f"solves stopped by the budget: {summary['solves_not_optimal']}; dispatch errors: "
            f"{summary['dispatch_errors']}; evaluator findings: {summary['evaluator_problems']}"
        )
    lines += [f"wrote {path}" for path in files]
    return "\n".join(lines)
