"""Each plan's rescue crews as routes, stop by stop, and what the plan gives every incident (issue #18 §2).

A route is the general shape a crew's task takes — depart, pick up, rest, set down, in time order. A
coach serving one group is one rescue of the plan; a coach collecting several groups in turn is one of
the plan's ``routes`` (issue #18 §1), whose parts are rescues too: it is shown once, call by call, and a
stop where two groups get off is listed once per group.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fleetplan.phrase import PlaceRef, where_of
from fleetplan.wording import Names

from api.view_words import named, on_trip

DEPART, PICKUP, REST, DELIVER = "depart", "pickup", "rest", "deliver"


def routes_view(instance, plan, names: Names) -> list[dict[str, Any]]:
    """One route per rescue crew of ``plan``, in the order of its ``assignments`` (a route through
    several scenes where its first part is)."""
    routes = {route.id: route for route in plan.routes}
    views, shown = [], set()
    for rescue in plan.rescues:
        if not rescue.route_id:
            views.append({"route_id": None, **route_view(instance, rescue, names)})
        elif rescue.route_id not in shown and rescue.route_id in routes:
            shown.add(rescue.route_id)
            views.append(scenes_route_view(instance, plan, routes[rescue.route_id], names))
    return views


def scenes_route_view(instance, plan, route, names: Names) -> dict[str, Any]:
    """A coach collecting several groups: depart → each scene (pickup, any rest) → each delivery stop."""
    parts = [r for r in plan.rescues if r.route_id == route.id]
    carried = {r.group_id: r.passengers for r in parts}
    stops = [depart_stop(parts[0], names)]  # a passing coach's route sets out from its trip
    for call in route.stops:
        for group_id in call.group_ids:
            group = instance.group(group_id)
            if call.kind == PICKUP:
                place, fact = scene_place(group), scene_fact(group)
                stops.append(stop(PICKUP, place, fact, call.arrival, names, group, carried[group_id]))
                if call.rest_s:
                    rest_from = call.leave_at - timedelta(seconds=call.rest_s)
                    stops.append(stop(REST, place, fact, rest_from, names, rest_s=call.rest_s))
            else:
                fact = PlaceRef(call.place)
                stops.append(stop(DELIVER, call.place, fact, call.arrival, names, group, carried[group_id]))
    return {"route_id": route.id, "vehicle_id": route.vehicle_id, "driver_id": route.driver_id, "stops": stops}


def route_view(instance, rescue, names: Names) -> dict[str, Any]:
    """``{vehicle_id, driver_id, stops}``: depart → pick up → [rest at the scene] → [rest on the way] → set down."""
    group = instance.group(rescue.group_id)
    stops = [depart_stop(rescue, names), pickup_stop(group, rescue, names)]
    if rescue.rest_at_scene_s:  # after the passengers changed coach (the evaluator's order)
        rest_from = rescue.boarding_at + timedelta(seconds=instance.ops.transfer_s)
        stops.append(stop(REST, scene_place(group), scene_fact(group), rest_from, names, rest_s=rescue.rest_at_scene_s))
    if rescue.rest_on_way is not None:
        reached, rest_s = rescue.rest_on_way
        node = rescue.rest_on_way_node
        stops.append(stop(REST, node, PlaceRef(node), reached, names, rest_s=rest_s))
    destination = rescue.destination_node or group.destination_node
    stops.append(
        stop(DELIVER, destination, PlaceRef(destination), rescue.destination_arrival, names, group, rescue.passengers)
    )
    return {"vehicle_id": rescue.vehicle_id, "driver_id": rescue.driver_id, "stops": stops}


def depart_stop(rescue, names: Names) -> dict[str, Any]:
    """Where the crew sets out; a passing coach is on its trip (no place of its own, ``place`` None)."""
    if rescue.passing_trip_id is not None:
        return stop(DEPART, None, on_trip(rescue), rescue.depart_at, names)
    return stop(DEPART, rescue.origin_node, PlaceRef(rescue.origin_node), rescue.depart_at, names)


def pickup_stop(group, rescue, names: Names) -> dict[str, Any]:
    """The scene, when the coach reaches it: the time the limit is judged by (``rescue_late_min``)."""
    return stop(PICKUP, scene_place(group), scene_fact(group), rescue.scene_arrival, names, group, rescue.passengers)


def scene_place(group) -> str:
    """The scene's node id, else the location as reported (a kilometre post or ``lat,lon``)."""
    return group.scene_node or group.scene_text


def scene_fact(group) -> Any:
    return where_of(group.scene) if group.scene is not None else group.scene_text


def stop(
    kind: str,
    place: str | None,
    fact: Any,
    at: datetime,
    names: Names,
    group=None,
    passengers: int | None = None,
    rest_s: int | None = None,
) -> dict[str, Any]:
    """One stop; every key is always there (``None`` where it does not apply), so readers need no guessing."""
    return {
        "kind": kind,
        "place": place,
        **named("place_name", fact, names),
        "at": at.isoformat(timespec="minutes"),  # with the day: a route may run past midnight
        "incident": group.incident_id if group is not None else None,
        "passengers": passengers,
        "rest_min": rest_s // 60 if rest_s is not None else None,
    }


# --------------------------------------------------------------------------- text
WORDS = {
    "en": {
        "columns": "incident passengers carried on_time",
        "route": "  route {vehicle} / {driver}:",
        DEPART: "depart",
        PICKUP: "pick up",
        REST: "rest",
        DELIVER: "set down",
        "people": " ({n} passengers of {incident})",
        "rest_min": " ({m} min)",
    },
    "zh": {
        "columns": "事件 乘客 已接 准时",
        "route": "  路线 {vehicle} / {driver}：",
        DEPART: "出发",
        PICKUP: "接客",
        REST: "休息",
        DELIVER: "送达",
        "people": "（事件 {incident} 的 {n} 名乘客）",
        "rest_min": "（{m} 分钟）",
    },
}


INCIDENT_COLUMNS = ["incident_id", "passengers", "carried", "on_time"]


def incident_headers(lang: str = "en") -> list[str]:
    """The headers of the per-incident table, in ``lang``, for :data:`INCIDENT_COLUMNS`."""
    return WORDS[lang]["columns"].split()


def route_lines(plan_view: dict[str, Any], lang: str = "en") -> list[str]:
    """Every route of a plan, stop by stop: ``    08:33  pick up   G1 K78 toward Siping (42 passengers of cli-1)``."""
    words, zh = WORDS[lang], "_zh" if lang == "zh" else ""
    width = max(len(words[kind]) for kind in (DEPART, PICKUP, REST, DELIVER))
    lines = []
    for route in plan_view.get("routes") or []:
        lines.append(words["route"].format(vehicle=route["vehicle_id"], driver=route["driver_id"]))
        for each in route["stops"]:
            detail = ""
            if each["incident"] is not None:
                detail = words["people"].format(n=each["passengers"], incident=each["incident"])
            elif each["rest_min"] is not None:
                detail = words["rest_min"].format(m=each["rest_min"])
            place = each.get(f"place_name{zh}") or each["place"] or ""
            lines.append(f"    {each['at'][11:16]}  {words[each['kind']]:<{width}}  {place}{detail}")
    return lines
