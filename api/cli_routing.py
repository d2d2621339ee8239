"""``fleetplan pdptw``: solve a Li & Lim pickup-and-delivery instance with the routing adapter."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from solver.pdp_portfolio import solve_pdp_portfolio
from solver.pdp_routes import result_to_json
from solver.pdptw import read_lilim
from solver.routing import PdpParams, solve_pdp

DEFAULT_TIME_LIMIT_S = 10.0


def add_pdptw_command(commands: argparse._SubParsersAction, *, positive_float) -> None:
    parser = commands.add_parser("pdptw", help="solve a Li & Lim PDPTW instance (routing adapter)")
    parser.add_argument("file", metavar="FILE", type=Path, help="instance in Li & Lim format")
    parser.add_argument(
        "--time-limit",
        type=positive_float,
        default=DEFAULT_TIME_LIMIT_S,
        metavar="S",
        help=f"search time in seconds (default {DEFAULT_TIME_LIMIT_S:g})",
    )
    parser.add_argument(
        "--portfolio",
        action="store_true",
        help="also run PyVRP on a second core and keep the better checked plan (default: OR-Tools alone)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run_pdptw)


def run_pdptw(args: argparse.Namespace, out) -> int:
    problem = read_lilim(args.file)  # DataValidationError names every bad line
    solve = solve_pdp_portfolio if args.portfolio else solve_pdp
    result = solve(problem, PdpParams(time_limit_s=args.time_limit))
    view = result_to_json(result)
    if args.json:
        out(json.dumps(view))
    else:
        out(
            f"{problem.name or args.file.name}: {view['status']}, {view['vehicles']} vehicles, distance {view['distance']}"
        )
        for index, route in enumerate(view["routes"], start=1):
            out(f"  route {index}: {' '.join(map(str, route))}")
    return 0
