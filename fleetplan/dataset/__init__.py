"""Loading a data directory into a validated :class:`~fleetplan.model.Dataset`, reporting *every* problem.

A data directory holds six CSV tables and three TOML files (see ``data/default/README.md``)::

    sites.csv  vehicles.csv  drivers.csv  duty_log.csv  trips.csv  trip_stops.csv
    tiers.toml  policy.toml  conditions.toml

and optionally ``calendar.toml`` (when the template week runs) and ``contacts.csv`` (whom the desk's
messages go to besides the drivers).

Validation runs in three layers and never stops at the first problem:

1. each CSV against its pandera schema (:func:`fleetplan.tables.read_table`): missing file or column,
   unreadable cells, values out of range; rows are numbered as in an editor (header = row 1);
2. cross-table checks: unknown depots, vehicles, drivers and trips, duplicate ids, booked passengers
   above the coach's seats, overlapping duty intervals, a driver or coach on two trips at once, stop
   times that do not increase, and the domain objects' own validation;
3. the TOML files: unknown or missing keys and bad values, named by their key path in ``column``.

References to an id whose own row is broken are not reported again: the broken row already is.

The package, by concept: :mod:`~fleetplan.dataset.schemas` (the files and the CSV schemas),
:mod:`~fleetplan.dataset.rows` (frames as rows, id columns as written),
:mod:`~fleetplan.dataset.loaders` (tables to domain objects), :mod:`~fleetplan.dataset.checks`
(cross-table checks), :mod:`~fleetplan.dataset.toml_files` (the TOML files) and
:mod:`~fleetplan.dataset.load` (:func:`validate_dataset` and :func:`load_dataset`).
"""

from __future__ import annotations

from fleetplan.dataset.checks import CLASS_LENGTH_M, CLASS_SEATS
from fleetplan.dataset.load import load_dataset, validate_dataset
from fleetplan.dataset.schemas import (
    CONDITIONS,
    CONTACTS,
    DRIVERS,
    DUTY_LOG,
    POLICY,
    SITES,
    TIERS,
    TRIP_STOPS,
    TRIPS,
    VEHICLES,
)

__all__ = [
    "CLASS_LENGTH_M",
    "CLASS_SEATS",
    "CONDITIONS",
    "CONTACTS",
    "DRIVERS",
    "DUTY_LOG",
    "POLICY",
    "SITES",
    "TIERS",
    "TRIPS",
    "TRIP_STOPS",
    "VEHICLES",
    "load_dataset",
    "validate_dataset",
]
