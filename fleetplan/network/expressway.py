"""The constants of the generated expressway, read from ``expressway.toml`` in the network directory.

The G1 carriageways, interchange ramps and service-area roads are generated from ``g1_posts.csv``;
their speeds and lengths are these constants (docs/world-model.md §1), so the engine and the oracle
read the same values. Every problem is a :class:`~fleetplan.errors.DataProblem` naming the file and
the key: a missing file, a TOML syntax error, a missing, unknown or mistyped key, and a carriageway
speed below the expressway minimum speed (实施条例 Art. 78).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from fleetplan.errors import DataProblem

EXPRESSWAY_FILE = "expressway.toml"


@dataclass(frozen=True)
class ExpresswayConstants:
    """Speeds and lengths of the generated expressway (field names are the keys of the file)."""

    min_speed_kmh: float  # expressway minimum speed, Art. 78
    carriageway_speed_kmh: float  # observed coach average on the carriageways
    ramp_length_m: int
    ramp_speed_kmh: float
    sa_slip_length_m: int
    sa_slip_speed_kmh: float
    sa_staff_road_length_m: int
    sa_staff_road_speed_kmh: float


def read_expressway(directory: Path) -> tuple[ExpresswayConstants | None, list[DataProblem]]:
    """Read and check ``expressway.toml`` in ``directory``.

    Parameters
    ----------
    directory
        The network directory.

    Returns
    -------
    tuple
        The constants (None if any problem was found) and the problems, each with file and key.
    """
    path = Path(directory) / EXPRESSWAY_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [DataProblem(EXPRESSWAY_FILE, None, None, f"file is missing from {path.parent}")]
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return None, [DataProblem(EXPRESSWAY_FILE, None, None, f"is not valid TOML: {error}")]
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        return None, [DataProblem(EXPRESSWAY_FILE, None, None, "is not valid TOML: values are nested too deeply")]
    except OSError as error:  # a directory or an unreadable file in its place
        return None, [DataProblem(EXPRESSWAY_FILE, None, None, f"cannot be read: {error.strerror or error}")]
    problems = _key_problems(data)
    if problems:
        return None, problems
    constants = ExpresswayConstants(**{f.name: data[f.name] for f in fields(ExpresswayConstants)})
    return constants, _speed_problems(constants)


def _key_problems(data: dict[str, Any]) -> list[DataProblem]:
    """Missing and unknown keys, and values that are not positive numbers (whole metres for lengths)."""
    known = {f.name for f in fields(ExpresswayConstants)}
    problems = [
        DataProblem(EXPRESSWAY_FILE, None, key, f"unknown key; the keys are {', '.join(sorted(known))}")
        for key in sorted(set(data) - known)
    ]
    for name in sorted(known):
        if name not in data:
            problems.append(DataProblem(EXPRESSWAY_FILE, None, name, "is missing"))
            continue
        message = _value_problem(name, data[name])
        if message:
            problems.append(DataProblem(EXPRESSWAY_FILE, None, name, message))
    return problems


# Bounds far beyond any real road: a value outside them is a typo that would overflow travel times.
MAX_LENGTH_M = 100_000
SPEED_RANGE_KMH = (1.0, 200.0)


def _value_problem(name: str, value: Any) -> str | None:
    whole = name.endswith("_m")
    wanted = "a positive whole number of metres" if whole else "a positive number (km/h)"
    is_number = isinstance(value, int) or (not whole and isinstance(value, float))
    if isinstance(value, bool) or not is_number or not 0 < value < math.inf:  # TOML allows inf and nan
        return f"must be {wanted}, got {value!r}"
    if whole and value > MAX_LENGTH_M:
        return f"must be at most {MAX_LENGTH_M} m, got {value!r}"
    low, high = SPEED_RANGE_KMH
    if not whole and not low <= value <= high:
        return f"must be between {low:g} and {high:g} km/h, got {value!r}"
    return None


def _speed_problems(constants: ExpresswayConstants) -> list[DataProblem]:
    if constants.carriageway_speed_kmh >= constants.min_speed_kmh:
        return []
    return [
        DataProblem(
            EXPRESSWAY_FILE,
            None,
            "carriageway_speed_kmh",
            f"{constants.carriageway_speed_kmh:g} km/h is below the expressway minimum speed "
            f"min_speed_kmh = {constants.min_speed_kmh:g} km/h (实施条例 Art. 78); only weather may slow "
            "a coach below it",
        )
    ]
