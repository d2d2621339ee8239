"""``fleetplan dispatch``: one failed coach (``--vehicle --at --time --passengers``) or several from a
CSV file (``--incidents FILE``), planned together in one dispatch and printed in one shape."""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime, timedelta
from pathlib import Path

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.model import Incident, IncidentKind
from fleetplan.timetable import first_timetable_day
from fleetplan.wording import LANGUAGES

from api import views
from api.cli_options import (
    Printer,
    add_common_options,
    calendar_day,
    clock_time,
    non_negative_int,
    positive_float,
    positive_int,
    settings_from,
    solve_params,
)
from api.incidents_file import read_incidents

SINGLE_FORM = ("location", "time", "passengers")  # the options that go with --vehicle
SINGLE_FLAGS = {"location": "--at", "time": "--time", "passengers": "--passengers"}


def add_dispatch_command(commands) -> None:
    """Register ``dispatch`` on the CLI's subcommands."""
    dispatch = commands.add_parser(
        "dispatch",
        help="plan the response to a failed coach, or to several (--incidents FILE)",
        description="Give one failed coach with --vehicle --at --time --passengers, or several with "
        "--incidents FILE (CSV: vehicle,at,time,passengers[,day,kind], one row per coach).",
    )
    # either the file or the single form: argparse refuses both and neither (exit 2, with the usage)
    given = dispatch.add_mutually_exclusive_group(required=True)
    given.add_argument(
        "--incidents",
        type=Path,
        metavar="FILE",
        help="CSV with columns vehicle,at,time,passengers (required) and day,kind (optional); time is HH:MM "
        "or YYYY-MM-DDTHH:MM; all planned "
        "together at the latest report, so reported within FLEETPLAN_JOINT_WINDOW_MIN (120) min of each other",
    )
    given.add_argument("--vehicle", help="the failed coach: id (c07) or plate (with --at, --time, --passengers)")
    dispatch.add_argument(
        "--at", dest="location", metavar="LOCATION", help="node id, 'lat,lon' or 'G1 K78 toward Changchun'"
    )
    dispatch.add_argument("--time", type=clock_time, help="time of the report, HH:MM")
    dispatch.add_argument("--passengers", type=non_negative_int, help="passengers on board")
    dispatch.add_argument(
        "--day",
        type=calendar_day,
        default=None,
        help="day YYYY-MM-DD (default: first day of the timetable); with --incidents, the day of rows without one",
    )
    dispatch.add_argument("--conditions", default="clear", help="conditions preset (default %(default)s)")
    dispatch.add_argument(
        "--alternatives", type=positive_int, default=3, metavar="K", help="ranked plans wanted (default %(default)s)"
    )
    dispatch.add_argument(
        "--time-limit",
        type=positive_float,
        default=1.0,
        metavar="S",
        help="solver deadline in seconds, for all incidents together (default %(default)s)",
    )
    dispatch.add_argument(
        "--lang",
        choices=LANGUAGES,
        default="en",
        help="language of the text output (--json always has both: each text and its _zh sibling)",
    )
    add_common_options(dispatch)
    dispatch.set_defaults(handler=run_dispatch, usage_error=dispatch.error)


def check_form(args: argparse.Namespace) -> None:
    """--at, --time and --passengers come with --vehicle and never with --incidents (a usage error, exit 2)."""
    given = [SINGLE_FLAGS[name] for name in SINGLE_FORM if getattr(args, name) is not None]
    if args.incidents is not None and given:
        args.usage_error(f"argument {given[0]}: not allowed with argument --incidents (the file gives it per row)")
    missing = [SINGLE_FLAGS[name] for name in SINGLE_FORM if getattr(args, name) is None]
    if args.incidents is None and missing:
        args.usage_error(f"argument --vehicle needs {', '.join(missing)} too (or give --incidents FILE instead)")


def run_dispatch(args: argparse.Namespace, out: Printer) -> int:
    from solver.dispatch import dispatch

    check_form(args)
    params = solve_params(args.time_limit, args.alternatives)
    corridor = load_corridor(args.data)
    day = args.day or first_timetable_day(corridor.dataset, default=views.FALLBACK_DAY)
    if args.incidents is not None:
        window = timedelta(minutes=settings_from({}).joint_window_min)  # as the desk plans together
        incidents = read_incidents(args.incidents, corridor, day, window)  # a bad row stops here: nothing is solved
    else:
        incidents = (single_incident(args, corridor, day),)
    conditions = corridor.dataset.conditions_named(args.conditions)
    outcome = dispatch(corridor, incidents, conditions, params=params)
    view = views.dispatch_view(outcome)
    out(json.dumps(view, ensure_ascii=False) if args.json else views.dispatch_text(view, args.lang))
    return 0


def single_incident(args: argparse.Namespace, corridor: Corridor, day: date) -> Incident:
    """The incident of ``--vehicle --at --time --passengers``: the file form's row ``cli-1``."""
    vehicle = views.find_vehicle(corridor.dataset, args.vehicle)
    return Incident(
        id="cli-1",
        kind=IncidentKind.BREAKDOWN,
        vehicle_id=vehicle.id,
        trip_id=None,
        location=args.location,
        at=datetime.combine(day, args.time),
        passengers=args.passengers,
    )
