"""Where the timetable puts every coach at a moment, as a positioning terminal would see it (issue 16 §5):
on a trip, the point of its planned course at that time (between the nodes it passes, in proportion
to their planned offsets) with its heading and speed; otherwise standing at its node.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fleetplan.corridor import Corridor
from fleetplan.geo import bearing_deg, haversine_m
from fleetplan.state import Whereabouts, snapshot
from fleetplan.timetable import trip_course


@dataclass(frozen=True)
class Sighting:
    vehicle_id: str
    lat: float
    lon: float
    heading_deg: float | None  # None standing (a terminal at rest reports no useful heading)
    speed_kmh: float


def sightings_at(corridor: Corridor, at: datetime) -> list[Sighting]:
    """Every coach at ``at`` as the timetable has it."""
    corridor = corridor.at(at)
    dataset, graph = corridor.dataset, corridor.network.graph
    state = snapshot(dataset, at)
    seen = []
    for vehicle in dataset.vehicles:
        where = state.vehicles[vehicle.id]
        if where.whereabouts == Whereabouts.ON_TRIP and where.current_trip_id:
            seen.append(_on_course(corridor, vehicle.id, where.current_trip_id, at))
        else:
            node = graph.nodes[where.node_id]
            seen.append(Sighting(vehicle.id, node["lat"], node["lon"], None, 0.0))
    return seen


def _on_course(corridor: Corridor, vehicle_id: str, trip_id: str, at: datetime) -> Sighting:
    dataset, graph = corridor.dataset, corridor.network.graph
    trip = dataset.trip(trip_id)
    course = trip_course(corridor.network, trip, dataset.vehicle(vehicle_id).vehicle_class, dataset.clear_conditions)
    offset = (at - trip.departure).total_seconds()
    points = course.points
    for here, there in zip(points, points[1:], strict=False):
        if here.offset_s <= offset <= there.offset_s and there.offset_s > here.offset_s:
            a, b = graph.nodes[here.node_id], graph.nodes[there.node_id]
            share = (offset - here.offset_s) / (there.offset_s - here.offset_s)
            lat, lon = a["lat"] + share * (b["lat"] - a["lat"]), a["lon"] + share * (b["lon"] - a["lon"])
            metres = haversine_m(a["lat"], a["lon"], b["lat"], b["lon"])
            speed = metres / (there.offset_s - here.offset_s) * 3.6
            return Sighting(vehicle_id, lat, lon, bearing_deg(a["lat"], a["lon"], b["lat"], b["lon"]), round(speed, 1))
    last = graph.nodes[points[-1].node_id]  # at a stop's dwell or just arrived
    return Sighting(vehicle_id, last["lat"], last["lon"], None, 0.0)
