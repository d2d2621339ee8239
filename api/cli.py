"""The ``fleetplan`` command line.

Every command takes ``--json`` and then prints exactly one JSON object on stdout. Bad input is a
one-line message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from fleetplan.corridor import Corridor, load_corridor, validate_corridor
from fleetplan.errors import DataProblem, DataValidationError, FleetplanError, InvalidValueError
from fleetplan.model import VehicleClass
from fleetplan.timetable import first_timetable_day
from fleetplan.units import china_now, parse_hhmm

from api import text_table, views
from api.cli_dispatch import add_dispatch_command
from api.cli_drill import add_drill_command
from api.cli_feed import add_feed_command
from api.cli_gtfs import add_gtfs_command
from api.cli_options import (
    Printer,
    add_common_options,
    add_data_option,
    calendar_day,
    clock_time,
    non_negative_int,
    settings_of,
)
from api.cli_routing import add_pdptw_command
from api.cli_scenarios import add_scenarios_command
from api.cli_staging import add_staging_command
from api.cli_whatif import add_whatif_command

if TYPE_CHECKING:
    from api.settings import Settings

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it

DEFAULT_ROUTE_TIME = "10:00"
ADMIN_USER = "admin"
# A request line and headers are read whole up to this size, then answered by the app (a 4xx naming
# the field). Past h11's default of 16 KiB the server dropped the connection mid-request, so a client
# sending a long query (many vehicle_id) got a connection reset, or not, by how TCP split its bytes.
MAX_REQUEST_HEAD_BYTES = 1024 * 1024


class UsageError(FleetplanError):
    """Bad command-line input found after parsing (exit 2)."""


# --------------------------------------------------------------------------- argument types
def port_number(text: str) -> int:
    value = non_negative_int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is outside 1–65535")
    return value


def role_name(text: str):
    from api.records.types import Role

    try:
        return Role(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"role {text!r} is not one of {', '.join(r.value for r in Role)}") from None


def vehicle_class(text: str) -> VehicleClass:
    try:
        return VehicleClass(text)
    except ValueError:
        known = ", ".join(c.value for c in VehicleClass)
        raise argparse.ArgumentTypeError(f"vehicle class {text!r} is not one of {known}") from None


# --------------------------------------------------------------------------- parser
class OneLineParser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (``fleetplan dispatch: error: …; see … --help``) rather
    than the usage block first: one line on stderr, as every other bad input; exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="fleetplan",
        description="Backup-coach dispatch for the Siping–Changchun charter corridor.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="start the HTTP service (the dispatch desk)")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default %(default)s)")
    serve.add_argument("--port", type=port_number, default=8000, help="port (default %(default)s)")
    serve.add_argument(
        "--jt808-port",
        type=port_number,
        default=None,
        help="also take the coaches' JT/T 808 positioning terminals on this TCP port (off by default); "
        "binds FLEETPLAN_JT808_HOST (default 127.0.0.1)",
    )
    add_data_option(serve)
    _add_db_option(serve)
    serve.set_defaults(handler=run_serve)

    users = commands.add_parser("users", help="desk users and their tokens").add_subparsers(
        dest="action", required=True
    )
    users_add = users.add_parser("add", help="create a user and print its new bearer token (shown once)")
    users_add.add_argument("name", metavar="NAME", help="user name, as recorded on every entry they make")
    users_add.add_argument(
        "--role",
        required=True,
        type=role_name,
        metavar="ROLE",
        help="viewer, dispatcher, planner, feed (a GPS feed's sender) or admin",
    )
    _add_db_option(users_add)
    users_add.add_argument(
        "--create",
        action="store_true",
        help="create the SQLite database (and its directory) if it does not exist; without it a missing "
        "database is refused, as it is usually a mistyped path",
    )
    users_add.set_defaults(handler=run_users_add)

    route = commands.add_parser("route", help="shortest path and driving time between two places")
    route.add_argument("origin", metavar="FROM", help="node id, 'lat,lon' or 'G1 K78 toward Changchun'")
    route.add_argument("destination", metavar="TO", help="same forms as FROM")
    route.add_argument(
        "--at",
        type=clock_time,
        default=parse_hhmm(DEFAULT_ROUTE_TIME),
        help=f"departure time HH:MM (default {DEFAULT_ROUTE_TIME})",
    )
    route.add_argument(
        "--day", type=calendar_day, default=None, help="departure day YYYY-MM-DD (default: first day of the timetable)"
    )
    route.add_argument("--conditions", default="clear", help="conditions preset (default %(default)s)")
    route.add_argument(
        "--vehicle-class",
        type=vehicle_class,
        default=VehicleClass.COACH_12M,
        help="vehicle class (default %(default)s)",
    )
    add_common_options(route)
    route.set_defaults(handler=run_route)

    add_dispatch_command(commands)

    fleet = commands.add_parser("fleet", help="the coaches").add_subparsers(dest="action", required=True)
    fleet_list = fleet.add_parser("list", help="list the coaches")
    add_common_options(fleet_list)
    fleet_list.set_defaults(handler=run_fleet_list)

    drivers = commands.add_parser("drivers", help="the drivers").add_subparsers(dest="action", required=True)
    drivers_list = drivers.add_parser("list", help="list the drivers")
    add_common_options(drivers_list)
    drivers_list.set_defaults(handler=run_drivers_list)

    data = commands.add_parser("data", help="datasets").add_subparsers(dest="action", required=True)
    validate = data.add_parser("validate", help="check a data directory; exit 2 if it has problems")
    validate.add_argument("directory", metavar="DIR", type=Path)
    validate.add_argument("--json", action="store_true", help="print one JSON object")
    validate.set_defaults(handler=run_data_validate)

    add_pdptw_command(commands)
    add_whatif_command(commands)
    add_staging_command(commands)
    add_drill_command(commands)
    add_scenarios_command(commands)
    add_gtfs_command(commands)
    add_feed_command(commands)
    return parser


def _add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="records database URL (default: $FLEETPLAN_DATABASE_URL or sqlite:///var/fleetplan.db)",
    )


# --------------------------------------------------------------------------- handlers
def run_serve(args: argparse.Namespace, out: Printer) -> int:
    from api.app import create_app
    from api.cli_serve import listening_sockets, serve_on
    from api.settings import admin_token_path

    settings = settings_of(args)
    try:
        load_corridor(settings.data_dir)  # fail fast with a data error before binding the port
    except DataValidationError as error:  # every problem, as 'fleetplan data validate' lists them
        raise UsageError(_problem_lines(error.problems, settings.data_dir)) from None
    # the address is taken here, before the database is touched or anything started, and served on:
    # uvicorn found a taken port only after the app's startup (exit 3 with its log lines), and a port
    # merely checked here could be taken by another process before uvicorn bound it
    sockets = listening_sockets(args.host, args.port, "--port", "--host")
    gateway_sockets = []
    try:
        if settings.jt808_port is not None:  # the JT/T 808 gateway's too, served on from the app's start
            gateway_sockets = listening_sockets(
                settings.jt808_host, settings.jt808_port, "--jt808-port", "FLEETPLAN_JT808_HOST"
            )
        token = bootstrap_admin(settings)
        if token is not None:
            out(
                f"First start: created user 'admin' (role admin). Its token, shown once, is also in "
                f"{admin_token_path(settings)}:\n{token}"
            )
        app = create_app(settings)
        app.state.jt808_sockets = gateway_sockets
    except BaseException:
        for sock in sockets + gateway_sockets:
            sock.close()
        raise
    # open event streams never end by themselves: a stop waits this long for them, then closes them
    return serve_on(
        app,
        sockets,
        host=args.host,
        port=args.port,
        log_level="info",
        timeout_graceful_shutdown=5,
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
    )


def bootstrap_admin(settings: Settings) -> str | None:
    """On a database without users, create the local admin and keep its token in a 0600 file.

    Returns the new token, or ``None`` when the database already has users.
    """
    from api.records.types import RecordError, Role
    from api.settings import admin_token_path, prepare_database_dir

    prepare_database_dir(settings.database_url)
    store = _open_store(settings.database_url)
    try:
        if store.has_users():
            return None
        try:
            token = store.add_user(ADMIN_USER, Role.ADMIN)
        except RecordError:  # another process starting on the same new database created it first
            return None
    finally:
        store.close()
    write_secret(admin_token_path(settings), token)
    return token


def write_secret(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only (created 0600, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an existing file keeps its old mode through O_CREAT: tighten before writing
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")


def run_users_add(args: argparse.Namespace, out: Printer) -> int:
    from api.records.types import RecordError
    from api.settings import sqlite_file

    name = user_name(args.name)
    settings = settings_of(args)
    database = sqlite_file(settings.database_url)
    missing = database is not None and (not database.exists() or (database.is_file() and not database.stat().st_size))
    if database is not None and missing and not args.create:
        where = (
            "its directory does not exist"
            if not database.parent.is_dir()
            else "the file is empty"
            if database.exists()
            else "the file does not exist"
        )
        raise UsageError(
            f"--db: no records database at {database} ({where}); run 'fleetplan serve' first, check the path, "
            "or give --create to create a new database"
        )
    store = _open_store(settings.database_url)  # creates a SQLite file (0600) and its directory
    try:
        token = store.add_user(name, args.role)
    except RecordError as error:  # e.g. "name: a user called 'x' already exists"
        raise UsageError(str(error)) from None
    finally:
        store.close()
    out(token)
    return EXIT_OK


def user_name(text: str) -> str:
    """A user name as recorded on every entry: one line of visible text.

    Raises
    ------
    UsageError
        Naming ``NAME``: a control character (a newline, a tab, an escape), an invisible format
        character (bidi overrides, zero-width spaces), a line separator, or a byte that is not text.
    """
    for position, character in enumerate(text, start=1):
        if unicodedata.category(character) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            raise UsageError(
                f"NAME: must be one line of visible text; character {position} is U+{ord(character):04X} "
                f"({unicodedata.name(character, 'a control character')})"
            )
    return text


def _open_store(database_url: str):
    from sqlalchemy.exc import DBAPIError

    from api.records.sql import open_store
    from api.records.types import RecordError

    try:
        return open_store(database_url)
    except RecordError as error:  # e.g. an unsupported backend
        raise UsageError(str(error)) from None
    except DBAPIError as error:  # the file cannot be opened, or the server refuses the connection
        reason = (str(error.orig).strip().splitlines() or ["unknown error"])[0]
        raise UsageError(f"--db: cannot open the records database: {reason}") from None


def run_route(args: argparse.Namespace, out: Printer) -> int:
    from fleetplan.network import SpeedRules, TravelTimes

    corridor = _corridor(args)
    conditions = corridor.dataset.conditions_named(args.conditions)
    day = args.day or first_timetable_day(corridor.dataset, default=views.FALLBACK_DAY)
    depart_at = datetime.combine(day, args.at)
    origin = corridor.network.locate(args.origin)
    destination = corridor.network.locate(args.destination)
    rules = SpeedRules.for_policy(corridor.dataset.driving_policy)
    route = TravelTimes(corridor.network, conditions, args.vehicle_class, rules).route(origin, destination, depart_at)
    view = views.route_view(corridor.network, route, depart_at, conditions.name, args.vehicle_class)
    if args.json:
        out(json.dumps(view, ensure_ascii=False))
    else:
        out(views.route_text(view))
    return EXIT_OK


def run_fleet_list(args: argparse.Namespace, out: Printer) -> int:
    dataset = _corridor(args).dataset
    day = china_now().date()  # ages as of today, as the desk shows them
    rows = [views.vehicle_view(vehicle, day) for vehicle in dataset.vehicles]
    if args.json:
        out(json.dumps({"vehicles": rows}, ensure_ascii=False))
    else:
        out(
            text_table.table(
                rows,
                ["id", "plate", "class", "seats", "length_m", "age_years", "depot", "status", "permit_valid_until"],
            )
        )
    return EXIT_OK


def run_drivers_list(args: argparse.Namespace, out: Printer) -> int:
    dataset = _corridor(args).dataset
    day = china_now().date()
    rows = [views.driver_view(driver, day) for driver in dataset.drivers]
    if args.json:
        out(json.dumps({"drivers": rows}, ensure_ascii=False))
    else:
        out(
            text_table.table(
                rows, ["id", "name", "licence_class", "licence_issued", "age", "qualified_until", "depot", "shift"]
            )
        )
    return EXIT_OK


def run_data_validate(args: argparse.Namespace, out: Printer) -> int:
    if not args.directory.is_dir():
        raise UsageError(f"DIR: {args.directory} is not a directory")
    problems = validate_corridor(args.directory)
    if args.json:
        out(
            json.dumps(
                {"valid": not problems, "problems": [views.problem_view(p) for p in problems]}, ensure_ascii=False
            )
        )
    elif problems:
        out(_problem_lines(problems, args.directory))
    else:
        out(f"{args.directory}: valid")
    return EXIT_BAD_INPUT if problems else EXIT_OK


def _problem_lines(problems: Sequence[DataProblem], directory: Path) -> str:
    """A count, then one line per problem naming its file, row and column."""
    return "\n".join([f"{len(problems)} problem(s) in {directory}:", *(f"  {problem}" for problem in problems)])


def _corridor(args: argparse.Namespace) -> Corridor:
    return load_corridor(args.data)


# --------------------------------------------------------------------------- entry point
def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors exit 2 with argparse's one-line message
    try:
        return args.handler(args, print)
    except DataValidationError as error:
        first = str(error.problems[0]) if error.problems else "invalid data"
        more = (
            f" (and {len(error.problems) - 1} more; run 'fleetplan data validate DIR')"
            if len(error.problems) > 1
            else ""
        )
        return _fail(parser, f"data: {first}{more}")
    except (FleetplanError, InvalidValueError) as error:
        return _fail(parser, str(error))
    except BrokenPipeError:  # the reader (head, less) closed early: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as error:
        if error.filename is None:
            raise
        # a file or directory named on the command line cannot be read or written (the commands check
        # their --out before the work where they can; this is the last word, not a traceback)
        return _fail(parser, f"{error.filename}: {error.strerror or error}")
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _fail(parser: argparse.ArgumentParser, message: str) -> int:
    print(f"{parser.prog}: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
