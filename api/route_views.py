"""Each plan's rescue crews as routes, stop by stop, and what the plan gives every incident (issue #18 §2).

A route is the general shape a crew's day can take — depart, pick up, rest, set down, in time order —
so that a crew visiting several scenes fits it unchanged. Today the model gives each rescue one crew,
one group and one delivery stop, so a route is built from one rescue: a crew with two rescues is two
routes, as the model holds them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fleetplan.phrase import PlaceRef, where_of
from fleetplan.wording import Names

from api.view_words import named, on_trip

DEPART, PICKUP, REST, DELIVER = "depart", "pickup", "rest", "deliver"


def routes_view(instance, plan, names: Names) -> list[dict[str, Any]]:
    """One route per rescue of ``plan``, in the plan's order (that of its ``assignments``)."""
    return [route_view(instance, rescue, names) for rescue in plan.rescues]


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
