"""The ids the loaded corridor data fixes, stated in the OpenAPI document as enums.

The request models take any text for a coach, a conditions preset, a trip, a closure target or a
what-if site, because the data directory is only chosen when the service starts. Once it has started
the sets are known, and ``/openapi.json`` lists them: a client that follows the schema sends only ids
the server accepts, and anything else is refused (400 naming the field) as the schema says.

- ``IncidentIn``: ``vehicle_id`` (coach ids and plates; the server also takes a plate without its
  middle dot or in lower case), ``conditions`` (the presets), ``trip_id`` (the timetable's trips).
- ``ClosureIn``: ``target`` by ``kind`` — an entrance (or ``*``) or an edge ``u->v`` of the network.
- ``WhatIfJobIn``: the sites that take ``backups``.

Before start-up (no corridor loaded) the document is FastAPI's own, without these enums.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI

from fleetplan.corridor import Corridor

from api.desk.live import EDGE_ARROW

ALL_ENTRANCES = "*"


def add_data_ids(app: FastAPI) -> None:
    """Make ``app.openapi()`` add the data's ids once the corridor is loaded (``lifespan``)."""
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        document = plain_openapi()  # FastAPI builds it once and caches it
        corridor = getattr(app.state, "corridor", None)
        if corridor is None:
            return document
        cached = getattr(app.state, "openapi_with_data", None)
        if cached is None or cached[0] is not corridor:
            cached = (corridor, with_data_ids(document, corridor))
            app.state.openapi_with_data = cached
        return cached[1]

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the document


def with_data_ids(document: dict[str, Any], corridor: Corridor) -> dict[str, Any]:
    """A copy of ``document`` whose request schemas list the ids of ``corridor``.

    Parameters
    ----------
    document
        The OpenAPI document as FastAPI builds it; left unchanged.
    corridor
        The loaded data: coaches, conditions presets, trips, network entrances and edges, sites.

    Returns
    -------
    dict
        The document with the enums; schemas it does not have are skipped.
    """
    document = copy.deepcopy(document)
    schemas = document.get("components", {}).get("schemas", {})
    dataset, network = corridor.dataset, corridor.network
    incident = schemas.get("IncidentIn", {}).get("properties", {})
    if "vehicle_id" in incident:
        coaches = [vehicle.id for vehicle in dataset.vehicles] + [vehicle.plate for vehicle in dataset.vehicles]
        incident["vehicle_id"]["enum"] = coaches
    if "conditions" in incident:
        incident["conditions"]["enum"] = [conditions.name for conditions in dataset.conditions]
    if "trip_id" in incident and dataset.calendar is None:  # with a calendar, ids are named for the day
        trips = [trip.id for trip in dataset.trips]
        incident["trip_id"] = {**_without_type(incident["trip_id"]), "anyOf": [{"enum": trips}, {"type": "null"}]}
    closure = schemas.get("ClosureIn")
    if closure is not None:
        entrances = [ALL_ENTRANCES, *sorted(network.entrances)]
        edges = sorted(f"{u}{EDGE_ARROW}{v}" for u, v in network.graph.edges)
        closure["oneOf"] = [
            {"properties": {"kind": {"const": "entrance"}, "target": {"enum": entrances}}},
            {"properties": {"kind": {"const": "edge"}, "target": {"enum": edges}}},
        ]
    backups = schemas.get("WhatIfJobIn", {}).get("properties", {}).get("backups")
    if backups is not None:
        backups["propertyNames"] = {"enum": [site.id for site in dataset.sites]}
    return document


def _without_type(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key not in ("anyOf", "type")}
