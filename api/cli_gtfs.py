"""``fleetplan gtfs export DIR``: the timetable as static GTFS (issue 16 §6), for any GTFS tool to read."""

from __future__ import annotations

import argparse
import json

from fleetplan.corridor import load_corridor
from fleetplan.errors import InvalidValueError
from fleetplan.gtfs import export_gtfs

from api.cli_options import Printer, add_common_options, out_directory, out_path


def add_gtfs_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``fleetplan gtfs export DIR [--data DIR] [--agency NAME] [--json]``."""
    parser = subparsers.add_parser("gtfs", help="the timetable as static GTFS")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser(
        "export",
        help="write agency, stops, routes, trips, stop_times, calendar and calendar_dates into DIR",
        description="Write the corridor's timetable as a static GTFS feed (seven .txt files) into DIR, "
        "created if missing; files of the same names there are replaced.",
    )
    export.add_argument("directory", metavar="DIR", type=out_path)
    export.add_argument("--agency", default="Charter operator", help="agency_name (default %(default)s)")
    add_common_options(export)
    export.set_defaults(handler=run_gtfs_export)
    return parser


def run_gtfs_export(args: argparse.Namespace, out: Printer) -> int:
    if not args.agency.strip():
        raise InvalidValueError("--agency", "give the agency a name")
    out_directory(args.directory, "DIR")
    written = export_gtfs(load_corridor(args.data), args.directory, args.agency.strip())
    if args.json:
        out(json.dumps({"directory": str(args.directory), "files": [path.name for path in written]}))
    else:
        out(f"{len(written)} GTFS files in {args.directory}: {', '.join(path.name for path in written)}")
    return 0
