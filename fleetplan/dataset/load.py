"""Loading a data directory: every layer of validation run in turn, every problem reported.

The CSV tables are read against their schemas, built into domain objects with the cross-table
checks, then the TOML files are read; problems are sorted by file in reading order, then by row.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fleetplan.contacts import Contact
from fleetplan.dataset.calendar_file import CALENDAR, load_calendar
from fleetplan.dataset.checks import trip_conflicts
from fleetplan.dataset.loaders import (
    build_contacts,
    build_drivers,
    build_duty_log,
    build_sites,
    build_trips,
    build_vehicles,
)
from fleetplan.dataset.rows import RawTables
from fleetplan.dataset.schemas import (
    CONDITIONS,
    CONTACTS,
    CONTACTS_SCHEMA,
    DRIVERS,
    DUTY_LOG,
    POLICY,
    SCHEMAS,
    SITES,
    TIERS,
    TRIP_STOPS,
    TRIPS,
    VEHICLES,
)
from fleetplan.dataset.toml_files import (
    load_conditions,
    load_driving_policy,
    load_tier_policy,
)
from fleetplan.errors import DataProblem, DataValidationError
from fleetplan.model import Dataset
from fleetplan.tables import read_table


def validate_dataset(directory: Path | str) -> list[DataProblem]:
    """Every problem of the dataset in ``directory``; empty when it loads cleanly.

    This is what ``fleetplan data validate DIR`` runs. It never raises for bad content.

    Parameters
    ----------
    directory
        A data directory with the CSV tables and TOML files listed in the module docstring.

    Returns
    -------
    list[DataProblem]
        Each with the file, the row as numbered in an editor (header = row 1; ``None`` for
        file-level and TOML problems), the column or TOML key path, and what is wrong.
    """
    return _load(Path(directory))[1]


def load_dataset(directory: Path | str) -> Dataset:
    """Load and validate the dataset in ``directory``.

    Parameters
    ----------
    directory
        A data directory (see :func:`validate_dataset`).

    Returns
    -------
    Dataset
        Immutable domain objects; ``source`` is the directory.

    Raises
    ------
    DataValidationError
        Carrying every problem found, not only the first.
    """
    dataset, problems = _load(Path(directory))
    if problems or dataset is None:
        raise DataValidationError(problems)
    return dataset


def _load(directory: Path) -> tuple[Dataset | None, list[DataProblem]]:
    if not directory.is_dir():
        return None, [DataProblem(str(directory), None, None, "data directory is missing")]
    problems: list[DataProblem] = []
    frames: dict[str, pd.DataFrame] = {}
    for name, schema in SCHEMAS.items():
        frames[name], found = read_table(directory / name, schema)
        problems += found
    raw = RawTables(directory)

    sites, found = build_sites(frames[SITES])
    problems += found
    vehicles, found = build_vehicles(frames[VEHICLES], raw.known(SITES))
    problems += found
    drivers, found = build_drivers(frames[DRIVERS], raw.known(SITES))
    problems += found
    duty_log, found = build_duty_log(frames[DUTY_LOG], raw.known(DRIVERS))
    problems += found
    trips, found = build_trips(frames[TRIPS], frames[TRIP_STOPS], raw, vehicles)
    problems += found
    problems += trip_conflicts(trips, duty_log)
    contacts: tuple[Contact, ...] = ()
    if (directory / CONTACTS).exists():  # optional: a dataset without it has no contacts
        frame, found = read_table(directory / CONTACTS, CONTACTS_SCHEMA)
        contacts, built = build_contacts(frame)
        problems += found + built

    tier_policy, found = load_tier_policy(directory / TIERS)
    problems += found
    driving_policy, found = load_driving_policy(directory / POLICY)
    problems += found
    conditions, found = load_conditions(directory / CONDITIONS)
    problems += found
    calendar, found = load_calendar(directory / CALENDAR, (trip for trip, _ in trips.values()))
    problems += found
    if problems:
        return None, sorted(problems, key=_file_order)
    # the TOML loaders return None only with a problem
    assert tier_policy is not None and driving_policy is not None
    dataset = Dataset(
        sites=tuple(sites.values()),
        vehicles=tuple(vehicles.values()),
        drivers=tuple(drivers.values()),
        duty_log=tuple(interval for interval, _ in duty_log),
        trips=tuple(trip for trip, _ in trips.values()),
        tier_policy=tier_policy,
        driving_policy=driving_policy,
        conditions=conditions,
        source=str(directory),
        calendar=calendar,
        contacts=contacts,
    )
    return dataset, []


FILE_ORDER = [SITES, VEHICLES, DRIVERS, DUTY_LOG, TRIPS, TRIP_STOPS, TIERS, POLICY, CONDITIONS, CALENDAR, CONTACTS]


def _file_order(problem: DataProblem) -> tuple[int, int]:
    """Problems grouped by file in reading order, then by row (stable within a row)."""
    rank = FILE_ORDER.index(problem.file) if problem.file in FILE_ORDER else len(FILE_ORDER)
    return rank, problem.row or 0
