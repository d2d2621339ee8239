"""``fleetplan pdptw``: solve a Li & Lim pickup-and-delivery instance.

The default engine is the two-core portfolio (:func:`solver.pdp_portfolio.solve_pdp_portfolio`): on
the twelve shared instances at 10 s it reached every best-known vehicle count at +0.14 % mean gap,
the OR-Tools adapter alone 10 of 12 at +0.86 % (``docs/benchmarks.md``). ``--engine or-tools`` runs
the adapter alone, the engine the dispatch seam drives.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fleetplan.errors import DataValidationError, InvalidValueError

from solver.pdp_portfolio import solve_pdp_portfolio
from solver.pdp_routes import PdpStatus, result_to_json, unservable_requests
from solver.pdptw import PdpProblem, read_lilim
from solver.routing import PdpParams, solve_pdp

from api.cli_options import number_option

DEFAULT_TIME_LIMIT_S = 10.0
# An hour: 360 times the default, at which the portfolio already reaches the best-known fleets of the
# shared instances (docs/benchmarks.md); a typo (10000 for 10) or 'inf' would hold the cores for hours or for ever
MAX_TIME_LIMIT_S = 3600.0
ENGINES = ("portfolio", "or-tools")


def add_pdptw_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("pdptw", help="solve a Li & Lim PDPTW instance (two-core portfolio by default)")
    parser.add_argument("file", metavar="FILE", type=Path, help="instance in Li & Lim format")
    parser.add_argument(
        "--time-limit",
        default=f"{DEFAULT_TIME_LIMIT_S:g}",
        metavar="S",
        help=f"search time in seconds, above 0 and at most {MAX_TIME_LIMIT_S:g} (default %(default)s)",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="portfolio",
        help="portfolio: two PyVRP searches on two cores, the better checked plan (default); "
        "or-tools: the OR-Tools adapter alone, one core",
    )
    # its own flag, not a second writer of args.engine: with --engine or-tools the last one given won silently
    parser.add_argument(
        "--portfolio",
        action="store_true",
        help="same as --engine portfolio (the default; kept for existing scripts); not with --engine or-tools",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run_pdptw, usage_error=parser.error)


def check_engine(args: argparse.Namespace) -> None:
    """--portfolio with --engine or-tools asks for two engines: a usage error naming both (exit 2).
    With --engine portfolio it only repeats the choice, which is fine."""
    if args.portfolio and args.engine != "portfolio":
        args.usage_error(f"argument --portfolio: not allowed with argument --engine {args.engine}")


def run_pdptw(args: argparse.Namespace, out) -> int:
    check_engine(args)
    time_limit_s = number_option(args.time_limit, "--time-limit", low=0.0, low_open=True, high=MAX_TIME_LIMIT_S)
    problem = read_instance(args.file)
    refuse_unservable(problem, args.file)
    solve = solve_pdp_portfolio if args.engine == "portfolio" else solve_pdp
    result = solve(problem, PdpParams(time_limit_s=time_limit_s))
    view = result_to_json(result)
    if args.json:
        out(json.dumps(view))
    else:
        out(
            f"{problem.name or args.file.name}: {view['status']}, {view['vehicles']} vehicles, distance {view['distance']}"
        )
        for index, route in enumerate(view["routes"], start=1):
            out(f"  route {index}: {' '.join(map(str, route))}")
    # the work failed when some request is left unserved in the time given (the output says which status)
    return 0 if result.status == PdpStatus.FEASIBLE else 1


def read_instance(path: Path) -> PdpProblem:
    """The Li & Lim instance at ``path``, or an :class:`InvalidValueError` naming ``FILE``: its first
    problem and how many more. Not the generic data error, whose hint ('fleetplan data validate DIR')
    checks a corridor directory and cannot read this file."""
    try:
        return read_lilim(path)
    except DataValidationError as error:
        first, *rest = [str(problem) for problem in error.problems] or [f"{path}: cannot read the instance"]
        raise InvalidValueError("FILE", f"{first}{more_problems(len(rest))}") from None
    except InvalidValueError as error:  # read, but not a consistent problem (e.g. a negative capacity)
        raise InvalidValueError("FILE", f"{path}: {error}") from None


def refuse_unservable(problem: PdpProblem, path: Path) -> None:
    """Bad input (exit 2, naming ``FILE``) when some request no vehicle can serve even alone: heavier
    than every vehicle holds (all of capacity 0, say) or out of reach within its windows. The file
    alone shows it, so it is refused before the solve, not answered with a plan without it and exit 0."""
    reasons = list(unservable_requests(problem).values())
    if reasons:
        raise InvalidValueError("FILE", f"{path}: {reasons[0]}{more_problems(len(reasons) - 1)}")


def more_problems(count: int) -> str:
    return f" (and {count} more problem{'s' if count > 1 else ''})" if count else ""
