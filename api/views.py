"""Plain-data views of domain objects, shared by the CLI's ``--json`` output and the HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fleetplan.errors import DataProblem
from fleetplan.model import Dataset, Driver, Vehicle, VehicleClass
from fleetplan.network import RoadNetwork
from fleetplan.units import KM, format_hhmm, minutes

FALLBACK_DAY = date(2026, 12, 7)


def first_timetable_day(dataset: Dataset) -> date:
    """The first day of the timetable, the default 'today' for commands run on the bundled data."""
    return min((trip.departure.date() for trip in dataset.trips), default=FALLBACK_DAY)


def vehicle_view(vehicle: Vehicle, on: date) -> dict[str, Any]:
    return {
        "id": vehicle.id,
        "plate": vehicle.plate,
        "class": vehicle.vehicle_class.value,
        "seats": vehicle.seats,
        "length_m": vehicle.length_m,
        "age_years": round(vehicle.age_years(on), 1),
        "depot": vehicle.home_depot,
        "status": vehicle.status.value,
        "permit_valid_until": vehicle.permit_valid_until.isoformat(),
    }


def driver_view(driver: Driver, on: date) -> dict[str, Any]:
    return {
        "id": driver.id,
        "name": driver.name,
        "licence_class": driver.licence_class.value,
        "licence_issued": driver.licence_issued.isoformat(),
        "age": driver.age_years(on),
        "qualified_until": driver.qualified_until.isoformat() if driver.qualified_until else None,
        "depot": driver.home_depot,
        "shift": f"{format_hhmm(driver.shift_start)}–{format_hhmm(driver.shift_end)}",
    }


def route_view(network: RoadNetwork, route, depart_at: datetime, conditions: str,
               vehicle_class: VehicleClass) -> dict[str, Any]:
    return {
        "path": [{"id": node, "name": network.node_name(node)} for node in route.path],
        "km": round(route.length_m / KM, 1),
        "minutes": round(minutes(route.travel_time_s), 1),
        "roads": list(route.roads),
        "depart_at": depart_at.isoformat(timespec="minutes"),
        "conditions": conditions,
        "vehicle_class": vehicle_class.value,
    }


def route_text(view: dict[str, Any]) -> str:
    lines = [f"{view['km']} km, {view['minutes']} min  (depart {view['depart_at']}, "
             f"{view['conditions']}, {view['vehicle_class']}; via {', '.join(view['roads'])})"]
    lines += [f"  {index:>2}. {step['id']:<34} {step['name']}" for index, step in enumerate(view["path"], 1)]
    return "\n".join(lines)


def problem_view(problem: DataProblem) -> dict[str, Any]:
    return {"file": problem.file, "row": problem.row, "column": problem.column, "message": problem.message}


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A fixed-width text table of ``rows`` showing ``columns``."""
    cells = [[str(row.get(column, "")) for column in columns] for row in rows]
    widths = [max([len(column)] + [len(line[i]) for line in cells]) for i, column in enumerate(columns)]
    render = lambda values: "  ".join(value.ljust(width) for value, width in zip(values, widths)).rstrip()  # noqa: E731
    return "\n".join([render(columns), render(["-" * w for w in widths])] + [render(line) for line in cells])
