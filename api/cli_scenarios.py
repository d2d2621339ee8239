"""``fleetplan scenarios run|list``: the scenario book (``tests/scenarios``) through the real dispatch path.

``run`` prints a table of verdicts (failed checks with expected vs found) and a summary line; exit
status 0 when every scenario passes, 1 when one fails, 2 on bad input (a missing directory, an
unknown name, a scenario file that cannot be read — one line naming the file and the field).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fleetplan.errors import InvalidValueError

from api.cli_options import Printer, add_common_options, number_option, progress_bar, solve_params

EXIT_ALL_PASSED = 0
EXIT_SOME_FAILED = 1
# The book lives with the tests of the repository this package is installed from (editable install).
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BOOK = REPO_ROOT / "tests" / "scenarios"


def add_scenarios_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``fleetplan scenarios run [--dir DIR] [--only NAME …]`` and ``fleetplan scenarios list``.

    Returns
    -------
    argparse.ArgumentParser
        The ``scenarios`` parser.
    """
    parser = subparsers.add_parser(
        "scenarios",
        help="the scenario book: named corridor scenarios with hand-reasoned expected plans",
        description="Run the named corridor scenarios of the book (one TOML file each) through the real "
        "dispatch path and check each against its hand-reasoned expectations.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = actions.add_parser(
        "run",
        help="run the scenarios and print a table of verdicts",
        description="Dispatch every scenario (or those named) and check it. Exit status 0 when all pass, "
        "1 when any fails, 2 on bad input.",
    )
    _add_book_options(run)
    run.add_argument(
        "--time-limit",
        default="1",
        metavar="S",
        help="dispatch solver deadline per scenario, seconds (default %(default)s)",
    )
    run.set_defaults(handler=run_scenarios_command)
    listing = actions.add_parser("list", help="list the scenarios of the book", description="List the scenarios.")
    _add_book_options(listing)
    listing.set_defaults(handler=list_scenarios_command)
    return parser


def _add_book_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"directory of scenario files (default: {DEFAULT_BOOK.relative_to(REPO_ROOT)} of the repository)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        default=(),
        metavar="NAME",
        help="only these scenarios, by file name without .toml (default: all)",
    )
    add_common_options(parser)


def book_directory(given: Path | None) -> Path:
    """``--dir`` or the repository's book, which must exist."""
    directory = given if given is not None else DEFAULT_BOOK
    if not directory.is_dir():
        hint = "" if given is not None else " (run from a source checkout or give --dir)"
        raise InvalidValueError("--dir", f"{directory} is not a directory{hint}")
    return directory


def run_scenarios_command(args: argparse.Namespace, out: Printer) -> int:
    """Run ``fleetplan scenarios run``; 0 when every scenario passes, 1 when one fails."""
    from fleetplan.corridor import load_corridor

    from solver.planning.scenarios import SCENARIO_PARAMS, book_text, book_view, load_book, run_book

    time_limit_s = number_option(args.time_limit, "--time-limit", low=0.0, low_open=True)
    params = solve_params(time_limit_s, SCENARIO_PARAMS.alternatives)
    scenarios = load_book(book_directory(args.dir), args.only)
    corridor = load_corridor(args.data)
    with progress_bar(len(scenarios), "scenarios") as progress:
        book = run_book(scenarios, corridor, params, progress)
    out(json.dumps(book_view(book), ensure_ascii=False) if args.json else book_text(book))
    return EXIT_ALL_PASSED if book.passed else EXIT_SOME_FAILED


def list_scenarios_command(args: argparse.Namespace, out: Printer) -> int:
    """Run ``fleetplan scenarios list``."""
    from solver.planning.scenarios import list_text, list_view, load_book

    scenarios = load_book(book_directory(args.dir), args.only)
    out(json.dumps(list_view(scenarios), ensure_ascii=False) if args.json else list_text(scenarios))
    return EXIT_ALL_PASSED
