"""Planning commands of the ``fleetplan`` CLI: ``whatif`` (and, from other work, ``staging`` and ``drill``).

Each command is registered by its own ``add_*_command(subparsers)`` function, which :mod:`api.cli`
calls while building its parser. Handlers take ``(args, out)`` and return the exit status; bad input
raises a :class:`~fleetplan.errors.FleetplanError`, which :func:`api.cli.main` turns into one line on
stderr and exit status 2. Values are checked here rather than by argparse ``type=`` functions so that
every mistake gets that one line, not argparse's usage block.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from fleetplan.errors import InvalidValueError

Printer = Callable[[str], None]

WHATIF_DEFAULT_REPS = 20
WHATIF_DEFAULT_SEED = 20261207
WHATIF_DEFAULT_WORKERS = 2
KPI_TEXT_COLUMNS = ["tier", "incidents", "incidents_per_rep", "reached_within_limit", "ci_low", "ci_high",
                    "response_mean_min", "response_p90_min", "passenger_delay_mean_min", "trips_lost_per_rep"]


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
        "whatif", help="Monte-Carlo what-if: share of incidents reached within the limit for a backup placement",
        description="Simulate seeded incidents (breakdowns by coach age and season, no-starts, accidents, driver "
                    "illness, G1 closures) over a period of the timetable, dispatch each one against the evolving "
                    "state, and report KPIs per response tier with 95% intervals.")
    parser.add_argument("--from", dest="start", required=True, metavar="DATE", help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", required=True, metavar="DATE", help="last day, YYYY-MM-DD (inclusive)")
    parser.add_argument("--backups", required=True, metavar="SITE=N[,SITE=N…]",
                        help="standby coaches per depot or staging point, e.g. "
                             "siping_depot=2,changchun_depot=1,gongzhuling_sa=1 (replaces the data's placement)")
    parser.add_argument("--conditions-calendar", dest="calendar", default="clear", metavar="NAME",
                        help=f"weather calendar: {', '.join(CALENDARS)} (default %(default)s)")
    parser.add_argument("--reps", default=str(WHATIF_DEFAULT_REPS), metavar="N",
                        help="replications (default %(default)s)")
    parser.add_argument("--seed", default=str(WHATIF_DEFAULT_SEED), metavar="S",
                        help="root seed; the same seed gives the same KPIs on every engine (default %(default)s)")
    parser.add_argument("--engine", default=Engine.LOCAL.value, metavar="ENGINE",
                        help=f"{'|'.join(e.value for e in Engine)} (default %(default)s)")
    parser.add_argument("--scheduler", default=None, metavar="ADDR",
                        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (dask engine; default: a local cluster)")
    parser.add_argument("--workers", default=str(WHATIF_DEFAULT_WORKERS), metavar="N",
                        help="processes for the processes engine or a local Dask cluster (default %(default)s)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="write kpis.csv, response_times.png and compliance.png there")
    parser.add_argument("--data", type=Path, default=None, metavar="DIR",
                        help="data directory (default: $FLEETPLAN_DATA or the bundled data/default)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run_whatif_command)
    return parser


def run_whatif_command(args: argparse.Namespace, out: Printer) -> int:
    """Run ``fleetplan whatif``; returns the exit status (0)."""
    from fleetplan.corridor import load_corridor

    from solver.planning.whatif import Engine, WhatIfScenario, run_whatif, write_outputs

    start, end = _whatif_day(args.start, "--from"), _whatif_day(args.end, "--to")
    if end < start:
        raise InvalidValueError("--to", f"{end} is before --from {start}")
    backups = _whatif_backups(args.backups)
    reps = _whole_number(args.reps, "--reps", minimum=1)
    seed = _whole_number(args.seed, "--seed", minimum=0)
    workers = _whole_number(args.workers, "--workers", minimum=1)
    engine = _choice(args.engine, "--engine", [e.value for e in Engine])
    if args.scheduler and engine != Engine.DASK.value:
        raise InvalidValueError("--scheduler", "needs --engine dask")
    corridor = load_corridor(args.data)
    scenario = WhatIfScenario(start, end, backups, calendar=args.calendar)
    started = time.perf_counter()
    with _progress_bar(reps, "replications") as progress:
        result = run_whatif(scenario, reps, seed, engine, scheduler=args.scheduler, progress=progress,
                            corridor=corridor, workers=workers)
    elapsed_s = time.perf_counter() - started
    files = [str(path) for path in write_outputs(result, args.out)] if args.out is not None else []
    if args.json:
        out(json.dumps(result.as_dict() | {"engine": engine, "elapsed_s": round(elapsed_s, 2), "files": files},
                       ensure_ascii=False))
    else:
        out(whatif_text(result, engine, elapsed_s, files))
    return 0


def whatif_text(result, engine: str, elapsed_s: float, files: list[str]) -> str:
    """The KPI table and a summary, for people."""
    from solver.planning.whatif import kpi_rows

    from api import views

    summary = result.summary()
    rows = [{key: ("–" if value is None else value) for key, value in row.items()} for row in kpi_rows(result)]
    lines = [f"what-if {result.scenario.describe()}: {result.reps} replications, seed {result.seed}, "
             f"engine {engine}, {elapsed_s:.1f} s",
             views.table(rows, KPI_TEXT_COLUMNS),
             f"incidents per replication by kind: {summary['incidents_by_kind_per_rep'] or 'none'}; "
             f"standby stand-ins per replication: {summary['substitutions_per_rep']}; "
             f"G1 closure hours per replication: {summary['closure_hours_per_rep']}"]
    if summary["solves_not_optimal"] or summary["dispatch_errors"] or summary["evaluator_problems"]:
        lines.append(f"solves stopped by the budget: {summary['solves_not_optimal']}; dispatch errors: "
                     f"{summary['dispatch_errors']}; evaluator findings: {summary['evaluator_problems']}")
    lines += [f"wrote {path}" for path in files]
    return "\n".join(lines)


# --------------------------------------------------------------------------- argument checks shared by the planning commands
def _whatif_day(text: str, option: str) -> date:
    """A ``YYYY-MM-DD`` day, or :class:`InvalidValueError` naming ``option``."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValueError(option, f"{text!r} is not a day YYYY-MM-DD") from None


def _whole_number(text: str, option: str, minimum: int) -> int:
    """A whole number ≥ ``minimum``, or :class:`InvalidValueError` naming ``option``."""
    try:
        value = int(text.strip())
    except ValueError:
        raise InvalidValueError(option, f"{text!r} is not a whole number") from None
    if value < minimum:
        raise InvalidValueError(option, f"{value} is below {minimum}")
    return value


def _choice(text: str, option: str, choices: list[str]) -> str:
    if text not in choices:
        raise InvalidValueError(option, f"{text!r} is not one of {', '.join(choices)}")
    return text


def _whatif_backups(text: str) -> dict[str, int]:
    """``SITE=N[,SITE=N…]`` as {site: count}; sites are checked against the data later.

    Raises
    ------
    InvalidValueError
        Naming ``--backups``: a part without ``=``, an empty site, a count that is not a whole
        number or is negative, a site given twice.
    """
    counts: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        site, separator, count_text = part.partition("=")
        site = site.strip()
        if not separator or not site:
            raise InvalidValueError("--backups", f"{part!r} is not SITE=N (e.g. siping_depot=2)")
        try:
            count = int(count_text.strip())
        except ValueError:
            raise InvalidValueError("--backups", f"{part!r}: {count_text.strip()!r} is not a whole number") from None
        if count < 0:
            raise InvalidValueError("--backups", f"{part!r}: the count must not be negative")
        if site in counts:
            raise InvalidValueError("--backups", f"{site} is given twice")
        counts[site] = count
    return counts


@contextmanager
def _progress_bar(total: int, unit_label: str):
    """A tqdm bar on stderr (hidden when stderr is not a terminal) as a ``(done, total)`` callback."""
    from tqdm import tqdm

    with tqdm(total=total, desc=unit_label, unit="rep", file=sys.stderr, disable=None, leave=False) as bar:
        yield lambda done, _total: bar.update(done - bar.n)


# --------------------------------------------------------------------------- staging
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
        "staging", help="where to keep how many backup coaches (maximum expected covering, CP-SAT)",
        description="Place N backup coaches at the depots and service areas so as to maximise the expected share "
                    "of incidents reached within their response-time limit (MEXCLP, Daskin 1983, with a busy "
                    "fraction); optionally check the staging by simulation over the real dispatch path.")
    parser.add_argument("--budget", required=True, metavar="N", help="backup coaches to place (≥ 0)")
    parser.add_argument("--busy-fraction", default=str(DEFAULT_BUSY_FRACTION), metavar="Q",
                        help="probability a backup is unavailable when called, 0 ≤ Q < 1 (default %(default)s)")
    parser.add_argument("--conditions", default="clear", metavar="PRESET",
                        help="conditions preset for travel times (default %(default)s)")
    parser.add_argument("--band", default=None, metavar="BAND",
                        help="stage for one time band only: night, morning_peak, day, evening_peak "
                             "(default: one staging for all bands)")
    parser.add_argument("--time-limit", default=str(STAGING_DEFAULT_TIME_LIMIT_S), metavar="S",
                        help="CP-SAT time limit per solve, seconds (default %(default)s)")
    parser.add_argument("--simulate", action="store_true",
                        help="check the staging by what-if simulation and print both numbers with the interval")
    parser.add_argument("--reps", default=str(STAGING_CHECK_REPS), metavar="N",
                        help="replications of the simulation check (default %(default)s)")
    parser.add_argument("--days", default=str(STAGING_CHECK_DAYS), metavar="N",
                        help="days of the timetable the simulation check covers (default %(default)s)")
    parser.add_argument("--breakdown-factor", default=str(STAGING_CHECK_BREAKDOWN_FACTOR), metavar="F",
                        help="simulate breakdowns F times as often, for more incidents per simulated day; the share "
                             "reached does not depend on it while rescues rarely overlap (default %(default)s)")
    parser.add_argument("--seed", default="0", metavar="S", help="root seed of the simulation check (default 0)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="write staging.json, coverage_by_budget.csv/.png and staging_map.png there")
    parser.add_argument("--data", type=Path, default=None, metavar="DIR",
                        help="data directory (default: $FLEETPLAN_DATA or the bundled data/default)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
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

    budget = _whole_number(args.budget, "--budget", minimum=0)
    busy_fraction = _plan_number(args.busy_fraction, "--busy-fraction", low=0.0, high=1.0, high_open=True)
    time_limit_s = _plan_number(args.time_limit, "--time-limit", low=0.0, low_open=True)
    band = _choice(args.band, "--band", [b.value for b in TimeBand]) if args.band else None
    if args.simulate:
        reps = _whole_number(args.reps, "--reps", minimum=1)
        days = _whole_number(args.days, "--days", minimum=1)
        breakdown_factor = _plan_number(args.breakdown_factor, "--breakdown-factor", low=1.0)
        seed = _whole_number(args.seed, "--seed", minimum=0)
    corridor = load_corridor(args.data)
    if args.simulate:
        _check_budget_fits(corridor, budget)  # fail before solving, not after
    problem = build_staging_problem(corridor, corridor.dataset.conditions_named(args.conditions))
    if band:
        problem = problem.for_band(band)
    params = StagingParams(time_limit_s=time_limit_s)
    staging = solve_staging(problem, budget, busy_fraction, params)
    view = staging_view(staging)
    check = None
    if args.simulate:
        with _progress_bar(reps, "replications") as progress:
            check = check_by_simulation(corridor, staging, problem, reps=reps, days=days, seed=seed,
                                        breakdown_factor=breakdown_factor, progress=progress)
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
    """A simulated staging needs a standby coach for every backup."""
    from solver.planning.whatif import usable_standby

    days = sorted({trip.departure.date() for trip in corridor.dataset.trips})
    if days:
        usable = usable_standby(corridor.dataset, days[0], days[-1])
        if budget > len(usable):
            raise InvalidValueError("--budget", f"{budget} backups, but the data has {len(usable)} usable standby "
                                                f"coaches ({', '.join(v.id for v in usable)})")


def _plan_number(text: str, option: str, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> float:
    """A number in the given range, or :class:`InvalidValueError` naming ``option``."""
    try:
        value = float(text.strip())
    except ValueError:
        raise InvalidValueError(option, f"{text!r} is not a number") from None
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high or value != value:
        lower = "" if low is None else f"{'above' if low_open else 'at least'} {low:g}"
        upper = "" if high is None else f"{'below' if high_open else 'at most'} {high:g}"
        raise InvalidValueError(option, f"{text.strip()} must be {' and '.join(p for p in (lower, upper) if p)}")
    return value


SOLVE_OPTIONS = {"budget": "--time-limit", "alternatives": "--alternatives"}


def solve_params(time_limit_s: float, alternatives: int = 1):
    """:class:`~solver.dispatch.SolveParams` from the command line, an error naming the option.

    Raises
    ------
    InvalidValueError
        Naming ``--time-limit`` or ``--alternatives`` when out of range.
    """
    from solver.dispatch import Budget, SolveParams

    try:
        return SolveParams(budget=Budget.wall_clock(time_limit_s), alternatives=alternatives)
    except InvalidValueError as error:
        raise InvalidValueError(SOLVE_OPTIONS.get(error.field, error.field), error.problem) from None


# --------------------------------------------------------------------------- drills
DRILL_DEFAULT_OUT = Path("drill_reports")


def add_drill_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``fleetplan drill breakdown|accident|blizzard [--seed S] [--out DIR]`` on ``subparsers``.

    Returns
    -------
    argparse.ArgumentParser
        The ``drill`` parser (its handler is :func:`run_drill_command`).
    """
    parser = subparsers.add_parser(
        "drill", help="run a contingency drill on the real dispatch path and write its report",
        description="Stage a breakdown, accident or blizzard drill drawn from the timetable by the seed, dispatch "
                    "it as the desk would, score it against the response-time tiers and write a Markdown report "
                    "with a map. Exit status 1 if the system failed one of the drill's checks.")
    parser.add_argument("kind", metavar="KIND", help="breakdown, accident or blizzard")
    parser.add_argument("--seed", default="0", metavar="S",
                        help="picks the trip, place and time; the same seed repeats the drill (default 0)")
    parser.add_argument("--out", type=Path, default=DRILL_DEFAULT_OUT, metavar="DIR",
                        help="directory for the report and its map (default %(default)s)")
    parser.add_argument("--time-limit", default="2", metavar="S",
                        help="dispatch solver deadline per wave of incidents, seconds (default %(default)s)")
    parser.add_argument("--data", type=Path, default=None, metavar="DIR",
                        help="data directory (default: $FLEETPLAN_DATA or the bundled data/default)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run_drill_command)
    return parser


def run_drill_command(args: argparse.Namespace, out: Printer) -> int:
    """Run ``fleetplan drill``; 0 if every check passed, 1 if one failed."""
    from fleetplan.corridor import load_corridor

    from solver.planning.drills import DRILL_PARAMS, DrillKind, drill_text, drill_view, run_drill, write_report

    kind = _choice(args.kind, "KIND", [k.value for k in DrillKind])
    seed = _whole_number(args.seed, "--seed", minimum=0)
    time_limit_s = _plan_number(args.time_limit, "--time-limit", low=0.0, low_open=True)
    corridor = load_corridor(args.data)
    report = run_drill(kind, seed, corridor, solve_params(time_limit_s, DRILL_PARAMS.alternatives))
    path = write_report(report, args.out, corridor)
    out(json.dumps(drill_view(report, path), ensure_ascii=False) if args.json else drill_text(report, path))
    return 0 if report.passed else 1
