"""Option checks shared by the planning commands of the ``fleetplan`` CLI.

Values are checked here rather than by argparse ``type=`` functions so that every mistake gets one
line naming the option (exit status 2, see :func:`api.cli.main`), not argparse's usage block.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from fleetplan.errors import InvalidValueError
from fleetplan.units import parse_hhmm

if TYPE_CHECKING:  # the solver (OR-Tools) loads only when a command solves: the CLI starts fast
    from solver.dispatch import SolveParams

    from api.settings import Settings

Printer = Callable[[str], None]


# --------------------------------------------------------------------------- argparse value types
def clock_time(text: str):
    try:
        return parse_hhmm(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


# Days a command plans for: wide, but clear of the calendar's ends, where a week around the day (the
# timetable a dispatch reads) or a rescue's hours would run past what dates can hold
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def calendar_day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"day {text!r} is not YYYY-MM-DD") from None
    if (problem := day_out_of_range(day)) is not None:
        raise argparse.ArgumentTypeError(problem)
    return day


def day_out_of_range(day: date) -> str | None:
    """Why ``day`` is no day to plan for (None when it is one)."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return f"day {day.isoformat()} is outside {FIRST_DAY.isoformat()} … {LAST_DAY.isoformat()}"


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def positive_int(text: str) -> int:
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be positive")
    return value


def add_data_option(parser: argparse.ArgumentParser) -> None:
    """``--data DIR``: the corridor's data directory."""
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="data directory (default: $FLEETPLAN_DATA or the bundled data/default)",
    )


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """``--data DIR`` and ``--json``, which every command that reads the corridor takes."""
    add_data_option(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def day_option(text: str, option: str) -> date:
    """A ``YYYY-MM-DD`` day, or :class:`InvalidValueError` naming ``option``."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValueError(option, f"{text!r} is not a day YYYY-MM-DD") from None


def whole_number(text: str, option: str, minimum: int) -> int:
    """A whole number ≥ ``minimum``, or :class:`InvalidValueError` naming ``option``."""
    try:
        value = int(text.strip())
    except ValueError:
        raise InvalidValueError(option, f"{text!r} is not a whole number") from None
    if value < minimum:
        raise InvalidValueError(option, f"{value} is below {minimum}")
    return value


def choice(text: str, option: str, choices: list[str]) -> str:
    if text not in choices:
        raise InvalidValueError(option, f"{text!r} is not one of {', '.join(choices)}")
    return text


def backups_option(text: str) -> dict[str, int]:
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
def progress_bar(total: int, unit_label: str):
    """A tqdm bar on stderr (hidden when stderr is not a terminal) as a ``(done, total)`` callback."""
    from tqdm import tqdm

    with tqdm(total=total, desc=unit_label, unit="rep", file=sys.stderr, disable=None, leave=False) as bar:
        yield lambda done, _total: bar.update(done - bar.n)


def number_option(
    text: str,
    option: str,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A number in the given range, or :class:`InvalidValueError` naming ``option``."""
    try:
        value = float(text.strip())
    except ValueError:
        raise InvalidValueError(option, f"{text!r} is not a number") from None
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if not math.isfinite(value):  # nan, inf: no count, time or factor is
        raise InvalidValueError(option, f"{text.strip()} is not a finite number")
    if too_low or too_high:
        lower = "" if low is None else f"{'above' if low_open else 'at least'} {low:g}"
        upper = "" if high is None else f"{'below' if high_open else 'at most'} {high:g}"
        raise InvalidValueError(option, f"{text.strip()} must be {' and '.join(p for p in (lower, upper) if p)}")
    return value


SOLVE_OPTIONS = {"budget": "--time-limit", "alternatives": "--alternatives"}


def solve_params(time_limit_s: float, alternatives: int = 1) -> SolveParams:
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


def settings_from(overrides: dict) -> Settings:
    """The service settings (``FLEETPLAN_*`` and ``overrides``); a bad value is an
    :class:`InvalidValueError` naming its variable (exit 2), one line per problem, not a traceback."""
    from pydantic import ValidationError

    from api.settings import Settings

    try:
        return Settings(**overrides)
    except ValidationError as error:
        lines = [
            f"FLEETPLAN_{'_'.join(str(part) for part in problem['loc']).upper()}: {problem['msg']}"
            for problem in error.errors()
        ]
        raise InvalidValueError("settings", "; ".join(lines) or str(error)) from None


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings of a command that opens the records: ``FLEETPLAN_*`` with ``--data``, ``--db`` and
    ``--jt808-port`` over them."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    overrides = {}
    if getattr(args, "data", None):
        overrides["data_dir"] = args.data
    if getattr(args, "db", None):
        try:
            make_url(args.db)
        except ArgumentError:
            raise InvalidValueError(
                "--db", f"cannot read {args.db!r} as a database URL (sqlite:///var/fleetplan.db)"
            ) from None
        overrides["database_url"] = args.db
    if getattr(args, "jt808_port", None):
        overrides["jt808_port"] = args.jt808_port
    return settings_from(overrides)


def out_path(text: str) -> Path:
    """An output directory's argument: not empty (``Path("")`` would be the current directory)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; give a directory")
    return Path(text)


def out_directory(path: Path, flag: str) -> Path:
    """``path`` made ready for a command's files before its work: created if missing; InvalidValueError
    naming ``flag`` when it is a file, cannot be created or is not writable (the files are written after
    a simulation or a solve: a bad path must not cost that work, nor leave half of the files)."""
    if path.exists() and not path.is_dir():
        raise InvalidValueError(flag, f"{path} exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InvalidValueError(flag, f"cannot create {path}: {error.strerror or error}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise InvalidValueError(flag, f"{path} is not writable")
    return path
