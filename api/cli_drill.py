"""``fleetplan drill``: a breakdown, accident or blizzard drill through the real dispatch path.

Values are checked here rather than by argparse ``type=`` functions so that every mistake gets one
line naming the option (exit status 2, see :func:`api.cli.main`), not argparse's usage block.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from api.cli_options import (
    Printer,
    add_common_options,
    choice,
    number_option,
    out_directory,
    out_path,
    solve_params,
    whole_number,
)

DRILL_DEFAULT_OUT = Path("drill_reports")


def add_drill_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``fleetplan drill breakdown|accident|blizzard [--seed S] [--out DIR] [--strict]`` on ``subparsers``.

    Returns
    -------
    argparse.ArgumentParser
        The ``drill`` parser (its handler is :func:`run_drill_command`).
    """
    parser = subparsers.add_parser(
        "drill",
        help="run a contingency drill on the real dispatch path and write its report",
        description="Stage a breakdown, accident or blizzard drill drawn from the timetable by the seed, dispatch "
        "it as the desk would, score it against the service promise (per tier: incidents and passengers "
        "reached within the limit, the worst lateness), find what would have met a missed limit, check the "
        "mechanics and write a Markdown report with a map. Exit status 0 when the drill ran and every "
        "mechanics check held, whatever the promise score (the verdict is in the output); 1 if a mechanics "
        "check failed, or with --strict also when the promise was not kept.",
    )
    parser.add_argument("kind", metavar="KIND", help="breakdown, accident or blizzard")
    parser.add_argument(
        "--seed",
        default="0",
        metavar="S",
        help="picks the trip, place and time; the same seed repeats the drill (default 0)",
    )
    parser.add_argument(
        "--out",
        type=out_path,
        default=DRILL_DEFAULT_OUT,
        metavar="DIR",
        help="directory for the report and its map (default %(default)s)",
    )
    parser.add_argument(
        "--time-limit",
        default="2",
        metavar="S",
        help="dispatch solver deadline per wave of incidents, seconds (default %(default)s)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 also when the promise was not kept (an incident beyond its limit)",
    )
    add_common_options(parser)
    parser.set_defaults(handler=run_drill_command)
    return parser


def run_drill_command(args: argparse.Namespace, out: Printer) -> int:
    """Run ``fleetplan drill``: 0 if every mechanics check held, 1 if one failed; with ``--strict``
    also 1 when the promise was not kept."""
    from fleetplan.corridor import load_corridor

    from solver.planning.drills import DRILL_PARAMS, DrillKind, drill_text, drill_view, run_drill, write_report

    kind = choice(args.kind, "KIND", [k.value for k in DrillKind])
    seed = whole_number(args.seed, "--seed", minimum=0)
    time_limit_s = number_option(args.time_limit, "--time-limit", low=0.0, low_open=True)
    out_directory(args.out, "--out")
    corridor = load_corridor(args.data)
    report = run_drill(kind, seed, corridor, solve_params(time_limit_s, DRILL_PARAMS.alternatives))
    path = write_report(report, args.out, corridor)
    out(json.dumps(drill_view(report, path), ensure_ascii=False) if args.json else drill_text(report, path))
    failed = not report.checks_passed or (args.strict and not report.promise.kept)
    return 1 if failed else 0
