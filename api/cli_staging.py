"""``fleetplan staging``: where to stand backup coaches (MEXCLP), checked by simulation.

Values are checked here rather than by argparse ``type=`` functions so that every mistake gets one
line naming the option (exit status 2, see :func:`api.cli.main`), not argparse's usage block.
"""

from __future__ import annotations

import argparse
import json

from fleetplan.errors import InvalidValueError

from api.cli_options import (
    Printer,
    add_common_options,
    choice,
    number_option,
    out_directory,
    out_path,
    progress_bar,
    whole_number,
)

STAGING_DEFAULT_TIME_LIMIT_S = 10.0
STAGING_CHECK_REPS = 4
STAGING_CHECK_DAYS = 14
STAGING_CHECK_BREAKDOWN_FACTOR = 10.0


def add_staging_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``fleetplan staging --budget N [--out DIR] [--json]`` on ``subparsers``.

    Returns
    -------
    argparse.ArgumentParser
        The ``staging`` parser (its handler is :func:`run_staging_command`).
    """
    from solver.planning.staging import DEFAULT_BUSY_FRACTION

    parser = subparsers.add_parser(
        "staging",
        help="where to keep how many backup coaches (maximum expected covering, CP-SAT)",
        description="Place N backup coaches at the depots and service areas so as to maximise the expected share "
        "of incidents reached within their response-time limit (MEXCLP, Daskin 1983, with a busy "
        "fraction); optionally check the staging by simulation over the real dispatch path.",
    )
    parser.add_argument("--budget", required=True, metavar="N", help="backup coaches to place (≥ 0)")
    parser.add_argument(
        "--busy-fraction",
        default=str(DEFAULT_BUSY_FRACTION),
        metavar="Q",
        help="probability a backup is unavailable when called, 0 ≤ Q < 1 (default %(default)s)",
    )
    parser.add_argument(
        "--conditions",
        default="clear",
        metavar="PRESET",
        help="conditions preset for travel times (default %(default)s)",
    )
    parser.add_argument(
        "--band",
        default=None,
        metavar="BAND",
        help="stage for one time band only: night, morning_peak, day, evening_peak "
        "(default: one staging for all bands)",
    )
    parser.add_argument(
        "--time-limit",
        default=str(STAGING_DEFAULT_TIME_LIMIT_S),
        metavar="S",
        help="CP-SAT time limit per solve, seconds (default %(default)s)",
    )
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="check the staging by what-if simulation and print both numbers with the interval",
    )
    parser.add_argument(
        "--reps",
        default=str(STAGING_CHECK_REPS),
        metavar="N",
        help="replications of the simulation check (default %(default)s)",
    )
    parser.add_argument(
        "--days",
        default=str(STAGING_CHECK_DAYS),
        metavar="N",
        help="days of the timetable the simulation check covers (default %(default)s)",
    )
    parser.add_argument(
        "--breakdown-factor",
        default=str(STAGING_CHECK_BREAKDOWN_FACTOR),
        metavar="F",
        help="simulate breakdowns F times as often, for more incidents per simulated day; the share "
        "reached does not depend on it while rescues rarely overlap (default %(default)s)",
    )
    parser.add_argument("--seed", default="0", metavar="S", help="root seed of the simulation check (default 0)")
    parser.add_argument(
        "--out",
        type=out_path,
        default=None,
        metavar="DIR",
        help="write staging.json, coverage_by_budget.csv/.png and staging_map.png there",
    )
    add_common_options(parser)
    parser.set_defaults(handler=run_staging_command)
    return parser


def run_staging_command(args: argparse.Namespace, out: Printer) -> int:
    """Run ``fleetplan staging``; returns the exit status (0)."""
    from fleetplan.corridor import load_corridor
    from fleetplan.network import TimeBand

    from solver.planning.staging import (
        StagingParams,
        build_staging_problem,
        check_by_simulation,
        coverage_curve,
        simulation_check_text,
        simulation_check_view,
        solve_staging,
        staging_text,
        staging_view,
        write_staging,
    )

    budget = whole_number(args.budget, "--budget", minimum=0)
    busy_fraction = number_option(args.busy_fraction, "--busy-fraction", low=0.0, high=1.0, high_open=True)
    time_limit_s = number_option(args.time_limit, "--time-limit", low=0.0, low_open=True)
    band = choice(args.band, "--band", [b.value for b in TimeBand]) if args.band else None
    if args.simulate:
        reps = whole_number(args.reps, "--reps", minimum=1)
        days = whole_number(args.days, "--days", minimum=1)
        breakdown_factor = number_option(args.breakdown_factor, "--breakdown-factor", low=1.0)
        seed = whole_number(args.seed, "--seed", minimum=0)
    if args.out is not None:
        out_directory(args.out, "--out")
    corridor = load_corridor(args.data)
    _check_budget_fits(corridor, budget)  # fail before solving, not after
    problem = build_staging_problem(corridor, corridor.dataset.conditions_named(args.conditions))
    if band:
        problem = problem.for_band(band)
    params = StagingParams(time_limit_s=time_limit_s)
    staging = solve_staging(problem, budget, busy_fraction, params)
    view = staging_view(staging)
    check = None
    if args.simulate:
        with progress_bar(reps, "replications") as progress:
            check = check_by_simulation(
                corridor,
                staging,
                problem,
                reps=reps,
                days=days,
                seed=seed,
                breakdown_factor=breakdown_factor,
                progress=progress,
            )
        view["simulation"] = simulation_check_view(check)
    files: list[str] = []
    if args.out is not None:
        curve = coverage_curve(problem, range(0, budget + 1), busy_fraction, params)
        files = [str(path) for path in write_staging(staging, curve, args.out, problem, corridor)]
        view["files"] = files
    if args.json:
        out(json.dumps(view, ensure_ascii=False))
        return 0
    out(staging_text(staging, corridor.dataset))
    if check is not None:
        out(simulation_check_text(check))
    for path in files:
        out(f"wrote {path}")
    return 0


def _check_budget_fits(corridor, budget: int) -> None:
    """A staging places standby coaches: it needs one for every backup (more would be coaches that
    do not exist; a simulation of them could not run either)."""
    from solver.planning.whatif import usable_standby

    days = sorted({trip.departure.date() for trip in corridor.dataset.trips})
    if days:
        usable = usable_standby(corridor.dataset, days[0], days[-1])
        if budget > len(usable):
            raise InvalidValueError(
                "--budget",
                f"{budget} backups, but the data has {len(usable)} usable standby "
                f"coaches ({', '.join(v.id for v in usable)})",
            )
