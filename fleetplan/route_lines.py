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
from fleetplan.plan import DELIVER, PICKUP, Rescue, RescueRoute

Line = list[list[float]]  # GeoJSON order: [lon, lat] per point


def rescue_lines(instance: Instance, rescue: Rescue, route: RescueRoute | None = None) -> dict[str, Line]:
    """``to_scene`` and ``to_destination`` of ``rescue`` as ``[lon, lat]`` lines (empty where no route is
    found: the map then draws nothing rather than a wrong road). A part of a rescue ``route`` comes from
    the call before its scene and goes on through the calls after it to its own delivery stop."""
    group = instance.group(rescue.group_id)
    try:
        vehicle = instance.dataset.vehicle(rescue.vehicle_id)
        rules = SpeedRules.for_policy(instance.driving_policy)
        travel = TravelTimes(instance.network, instance.conditions, vehicle.vehicle_class, rules)
    except (FleetplanError, AttributeError):  # an instance made without a road network (tests, sketches)
        return {"to_scene": [], "to_destination": []}
    if route is not None:
        return _part_lines(instance, travel, route, group.id)
    destination = rescue.destination_node or group.destination_node
    return {
        "to_scene": _line(travel, rescue.origin_node, group.scene, rescue.depart_at),
        "to_destination": _line(travel, group.scene, destination, rescue.boarding_at),
    }


def _part_lines(instance: Instance, travel: TravelTimes, route: RescueRoute, group_id: str) -> dict[str, Line]:
    """The legs of ``route`` up to the scene of ``group_id``'s call, and from there to where it gets off."""
    places: list[Location | str] = [route.origin_node]
    places += [instance.group(s.group_ids[0]).scene if s.kind == PICKUP else s.place for s in route.stops]
    leaves = [route.depart_at] + [s.leave_at for s in route.stops]
    picked = next(k for k, s in enumerate(route.stops) if s.kind == PICKUP and group_id in s.group_ids)
    dropped = next(k for k, s in enumerate(route.stops) if s.kind == DELIVER and group_id in s.group_ids)
    onward: Line = []
    for k in range(picked + 1, dropped + 1):  # leg k runs from call k-1 (place k) to call k (place k+1)
        onward += _line(travel, places[k], places[k + 1], leaves[k])
    return {
        "to_scene": _line(travel, places[picked], places[picked + 1], leaves[picked]),
        "to_destination": _without_repeats(onward),
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
