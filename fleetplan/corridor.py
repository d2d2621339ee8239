"""The corridor: a validated dataset together with its road network.

This is the one place that loads both and checks that they agree (every site and stop lies on the
network), so interfaces and the solver receive a consistent, immutable pair.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from fleetplan.calendar import dataset_at
from fleetplan.dataset import load_dataset
from fleetplan.errors import DataProblem, DataValidationError
from fleetplan.model import Dataset
from fleetplan.network import RoadNetwork, load_network

DATA_DIR_ENV = "FLEETPLAN_DATA"
NETWORK_SUBDIR = "network"


def default_data_dir() -> Path:
    """The data directory: ``$FLEETPLAN_DATA`` if set, else the repository's ``data/default``."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[1] / "data" / "default"


@dataclass(frozen=True)
class Corridor:
    """A dataset and the road network it refers to."""

    dataset: Dataset
    network: RoadNetwork
    directory: Path

    def at(self, moment: datetime) -> Corridor:
        """The corridor with the trips of the days around ``moment`` (its calendar's weeks; as it is
        when the trips are dated). Every reading of the timetable at a moment starts here."""
        dataset = dataset_at(self.dataset, moment)
        return self if dataset is self.dataset else replace(self, dataset=dataset)


def load_corridor(directory: Path | str | None = None) -> Corridor:
    """Load and cross-check the dataset and network in ``directory`` (default: :func:`default_data_dir`).

    Raises
    ------
    DataValidationError
        With every problem found in either part, and every dataset reference to a missing node.
    """
    return _load_cached(Path(directory or default_data_dir()).resolve())


@lru_cache(maxsize=8)
def _load_cached(directory: Path) -> Corridor:
    problems: list[DataProblem] = []
    dataset = network = None
    try:
        dataset = load_dataset(directory)
    except DataValidationError as error:
        problems += error.problems
    try:
        network = load_network(directory / NETWORK_SUBDIR)
    except DataValidationError as error:
        problems += error.problems
    if dataset is not None and network is not None:
        problems += unknown_nodes(dataset, network)
    if problems:
        raise DataValidationError(problems)
    # both loaded: each load raises only with at least one problem
    assert dataset is not None and network is not None
    return Corridor(dataset=dataset, network=network, directory=directory)


def validate_corridor(directory: Path | str) -> list[DataProblem]:
    """Every problem of the data in ``directory``; empty when it is fine."""
    try:
        _load_cached.__wrapped__(Path(directory).resolve())
    except DataValidationError as error:
        return error.problems
    return []


def unknown_nodes(dataset: Dataset, network: RoadNetwork) -> list[DataProblem]:
    """Sites, trip stops and contacts' campus stops whose node id is not on the road network."""
    known = network.graph.nodes
    problems = [
        DataProblem("sites.csv", None, "node_id", f"site {site.id}: node {site.node_id!r} is not on the road network")
        for site in dataset.sites
        if site.node_id not in known
    ]
    problems += [
        DataProblem(
            "trip_stops.csv", None, "node_id", f"trip {trip.id}: stop node {stop.node_id!r} is not on the road network"
        )
        for trip in dataset.trips
        for stop in trip.stops
        if stop.node_id not in known
    ]
    problems += [
        DataProblem(
            "contacts.csv",
            None,
            "node_id",
            f"contact {contact.id}: node {contact.node_id!r} is not on the road network",
        )
        for contact in dataset.contacts
        if contact.node_id is not None and contact.node_id not in known
    ]
    return problems
