"""The roads a rescue drives, as lines for a map: from its origin to the scene, and on to the delivery stop.

The dispatch engines price each leg by its fastest route under the instance's conditions; the same
search (:class:`~fleetplan.network.travel.TravelTimes`, cached per conditions and vehicle class) gives
the nodes passed, so the line drawn is the one the plan's times were computed on, closures included.
"""

from __future__ import annotations

from datetime import datetime

from fleetplan.errors import FleetplanError
from fleetplan.instance import Instance
from fleetplan.network.locate import Location
from fleetplan.network.speed import SpeedRules
from fleetplan.network.travel import TravelTimes
from fleetplan.plan import Rescue

Line = list[list[float]]  # GeoJSON order: [lon, lat] per point


def rescue_lines(instance: Instance, rescue: Rescue) -> dict[str, Line]:
    """``to_scene`` and ``to_destination`` of ``rescue`` as ``[lon, lat]`` lines (empty where no route is
    found: the map then draws nothing rather than a wrong road)."""
    group = instance.group(rescue.group_id)
    try:
        vehicle = instance.dataset.vehicle(rescue.vehicle_id)
        rules = SpeedRules.for_policy(instance.driving_policy)
        travel = TravelTimes(instance.network, instance.conditions, vehicle.vehicle_class, rules)
    except (FleetplanError, AttributeError):  # an instance made without a road network (tests, sketches)
        return {"to_scene": [], "to_destination": []}
    destination = rescue.destination_node or group.destination_node
    return {
        "to_scene": _line(travel, rescue.origin_node, group.scene, rescue.depart_at),
        "to_destination": _line(travel, group.scene, destination, rescue.boarding_at),
    }


def _line(travel: TravelTimes, origin: Location | str, destination: Location | str, depart_at: datetime) -> Line:
    try:
        route = travel.route(origin, destination, depart_at)
    except FleetplanError:
        return []
    network = travel.network
    points = [_point(route.origin)] if route.origin.node_id is None else []
    for node in route.path:
        lat, lon = network.node_lat_lon(node)
        points.append([round(lon, 6), round(lat, 6)])
    if route.destination.node_id is None:
        points.append(_point(route.destination))
    return _without_repeats(points)


def _point(location: Location) -> list[float]:
    return [round(location.lon, 6), round(location.lat, 6)]


def _without_repeats(points: Line) -> Line:
    """Consecutive equal points dropped (a carriageway node sits on its interchange)."""
    kept: Line = []
    for point in points:
        if not kept or kept[-1] != point:
            kept.append(point)
    return kept
