"""The oracle's own reader of a data directory: ``csv`` and ``tomllib``, nothing of the engine's loader.

It trusts the tables (the engine's loader validates them) and converts cells with plain ``int``,
``float``, ``Fraction``, ``date.fromisoformat`` and ``datetime.fromisoformat``.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from fleetplan.oracle.world import (
    DEFAULT_EXPRESSWAY,
    Coach,
    DriverRow,
    Expressway,
    LogRow,
    PlaceRow,
    Policy,
    PostRow,
    Preset,
    RoadRow,
    Site,
    StopRow,
    TierRule,
    Tiers,
    TripRow,
    World,
)

NETWORK_DIR = "network"
EXPRESSWAY_FILE = "expressway.toml"


def rows(path: Path) -> Iterator[dict[str, str]]:
    """The rows of a CSV file as dicts, skipping ``#`` comment lines (and blank lines)."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if line.strip() and not line.lstrip().startswith("#"))
        yield from csv.DictReader(lines)


def exact(text: Any) -> Fraction:
    """A number of a table as an exact fraction (``"0.85"`` is 17/20, not the nearest double)."""
    return Fraction(str(text))


def sod(text: str) -> int:
    """``HH:MM`` as seconds since midnight."""
    hours, minutes = text.strip().split(":")
    return int(hours) * 3600 + int(minutes) * 60


def optional_day(text: str) -> date | None:
    return date.fromisoformat(text) if text.strip() else None


# --------------------------------------------------------------------------- the network
def read_places(directory: Path) -> tuple[PlaceRow, ...]:
    return tuple(PlaceRow(r["id"], r["kind"], float(r["lat"]), float(r["lon"])) for r in rows(directory / "places.csv"))


def read_posts(directory: Path) -> tuple[PostRow, ...]:
    posts = (
        PostRow(r["id"], r["kind"], float(r["km"]), float(r["lat"]), float(r["lon"]))
        for r in rows(directory / "g1_posts.csv")
    )
    return tuple(sorted(posts, key=lambda p: p.km))


def read_roads(directory: Path) -> tuple[RoadRow, ...]:
    return tuple(
        RoadRow(
            r["from"],
            r["to"],
            r["road_class"],
            int(r["length_m"]),
            exact(r["speed_kmh"]),
            r["oneway"].strip() == "yes",
            r["name"],
        )
        for r in rows(directory / "roads.csv")
    )


# The keys of expressway.toml for the fields of :class:`Expressway`.
EXPRESSWAY_KEYS = {
    "carriageway_speed_kmh": "carriageway_speed_kmh",
    "ramp_length_m": "ramp_length_m",
    "ramp_speed_kmh": "ramp_speed_kmh",
    "slip_length_m": "sa_slip_length_m",
    "slip_speed_kmh": "sa_slip_speed_kmh",
    "staff_road_length_m": "sa_staff_road_length_m",
    "staff_road_speed_kmh": "sa_staff_road_speed_kmh",
    "min_speed_kmh": "min_speed_kmh",
}


def read_expressway(directory: Path) -> tuple[Expressway, tuple[str, ...]]:
    """The expressway constants, and notes on what was assumed.

    Without ``expressway.toml`` (or for a key it lacks) the constants of world-model §1 are used and
    a note says so, so that a caller can see the oracle did not read them.
    """
    path = directory / EXPRESSWAY_FILE
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    values: dict[str, Any] = {}
    notes = []
    for name, key in EXPRESSWAY_KEYS.items():
        if key in data:
            values[name] = exact(data[key]) if name.endswith("_kmh") else int(data[key])
        else:
            values[name] = DEFAULT_EXPRESSWAY[name]
            notes.append(f"{path}: no {key}; the oracle uses the world-model's {DEFAULT_EXPRESSWAY[name]}")
    return Expressway(**values, source=str(path) if data else "world-model defaults"), tuple(notes)


# --------------------------------------------------------------------------- the dataset tables
def read_sites(directory: Path) -> tuple[Site, ...]:
    return tuple(Site(r["id"], r["kind"], r["node_id"]) for r in rows(directory / "sites.csv"))


def read_coaches(directory: Path) -> tuple[Coach, ...]:
    return tuple(
        Coach(
            r["id"],
            int(r["seats"]),
            float(r["length_m"]),
            r["home_depot"],
            r["status"],
            date.fromisoformat(r["permit_valid_until"]),
        )
        for r in rows(directory / "vehicles.csv")
    )


def read_drivers(directory: Path) -> tuple[DriverRow, ...]:
    return tuple(
        DriverRow(
            r["id"],
            r["licence_class"],
            date.fromisoformat(r["licence_issued"]),
            date.fromisoformat(r["birth_date"]),
            optional_day(r["qualified_until"]),
            r["home_depot"],
            sod(r["shift_start"]),
            sod(r["shift_end"]),
        )
        for r in rows(directory / "drivers.csv")
    )


def read_duty_log(directory: Path) -> tuple[LogRow, ...]:
    return tuple(
        LogRow(r["driver_id"], datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"]), r["activity"])
        for r in rows(directory / "duty_log.csv")
    )


def read_trips(directory: Path) -> tuple[TripRow, ...]:
    stops: dict[str, list[tuple[int, StopRow]]] = {}
    for r in rows(directory / "trip_stops.csv"):
        stop = StopRow(r["node_id"], datetime.fromisoformat(r["planned"]))
        stops.setdefault(r["trip_id"], []).append((int(r["seq"]), stop))
    trips = []
    for r in rows(directory / "trips.csv"):
        signed = tuple(s.strip() for s in r.get("signed_driver_ids", "").split(";") if s.strip())
        ordered = tuple(stop for _, stop in sorted(stops.get(r["id"], []), key=lambda pair: pair[0]))
        trips.append(
            TripRow(
                r["id"],
                r["kind"],
                r["vehicle_id"],
                r["driver_id"],
                int(r["booked_passengers"]),
                signed or (r["driver_id"],),
                ordered,
            )
        )
    return tuple(trips)


# --------------------------------------------------------------------------- the TOML files
def read_policy(path: Path) -> Policy:
    """``policy.toml``; a key left out keeps the regulation default of :class:`Policy`."""
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    hours = {"day_continuous_max_h", "night_continuous_max_h", "max_driving_24h_h", "max_driving_7d_h"}
    values: dict[str, Any] = {}
    for key in hours:
        if key in data:
            values[key.removesuffix("_h") + "_s"] = round(exact(data[key]) * 3600)
    for key in ("min_rest_min", "charter_sign_filing_delay_min"):
        if key in data:
            values[key.removesuffix("_min") + "_s"] = round(exact(data[key]) * 60)
    for key in ("night_start", "night_end", "overnight_stop_start", "overnight_stop_end"):
        if key in data:
            values[key + "_sod"] = sod(data[key])
    for key in ("max_driver_age", "probation_months"):
        if key in data:
            values[key] = int(data[key])
    for key in ("overnight_rule", "driver_age_reached"):
        if key in data:
            values[key] = str(data[key])
    return replace(Policy(), **values)


def read_tiers(path: Path) -> Tiers:
    data = tomllib.loads(path.read_text(encoding="utf-8"))

    def tier(name: str) -> TierRule:
        table = data[name]
        return TierRule(name, round(exact(table["limit_min"]) * 60), int(table["late_penalty_per_min"]))

    return Tiers(
        tier("city"),
        tier("near_backup"),
        tier("corridor"),
        tier("pre_departure"),
        city_radius_m=round(exact(data.get("city_radius_km", 15)) * 1000),
        near_backup_radius_m=round(exact(data.get("near_backup_radius_km", 50)) * 1000),
        escalation_after_s=round(exact(data.get("escalation_after_min", 30)) * 60),
    )


def preset_from_mapping(name: str, table: dict[str, Any]) -> Preset:
    """A condition preset from a ``conditions.toml`` table (or a mapping of the same shape)."""
    weather = tuple(sorted((str(k), str(v)) for k, v in dict(table.get("weather", {})).items()))
    entrances = frozenset(str(e) for e in table.get("closed_entrances", ()))
    edges = frozenset((str(u), str(v)) for u, v in table.get("closed_edges", ()))
    return Preset(name, weather, entrances, edges)


def read_presets(path: Path) -> tuple[Preset, ...]:
    if not path.exists():
        return ()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(preset_from_mapping(name, table) for name, table in data.items() if isinstance(table, dict))


# --------------------------------------------------------------------------- the whole
def read_network(network_dir: Path) -> tuple[tuple, tuple, tuple, Expressway, tuple[str, ...]]:
    """(places, posts, roads, expressway, notes) of a network directory."""
    expressway, notes = read_expressway(network_dir)
    return read_places(network_dir), read_posts(network_dir), read_roads(network_dir), expressway, notes


def read_world(data_dir: Path | str) -> World:
    """Read a data directory (``data/default`` layout) into a :class:`World`.

    Parameters
    ----------
    data_dir
        Holds the CSV and TOML files of the dataset and a ``network/`` folder.

    Returns
    -------
    World
        ``notes`` says what the reader had to assume (e.g. a missing ``expressway.toml``).
    """
    directory = Path(data_dir)
    places, posts, roads, expressway, notes = read_network(directory / NETWORK_DIR)
    return World(
        places=places,
        posts=posts,
        roads=roads,
        expressway=expressway,
        sites=read_sites(directory),
        coaches=read_coaches(directory),
        drivers=read_drivers(directory),
        duty_log=read_duty_log(directory),
        trips=read_trips(directory),
        policy=read_policy(directory / "policy.toml"),
        tiers=read_tiers(directory / "tiers.toml"),
        presets=read_presets(directory / "conditions.toml"),
        notes=notes,
    )
