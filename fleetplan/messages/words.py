"""The words the messages share, in Chinese and English: places by name (never by id), the scene and
its carriageway side, coaches with their plates, people, and clock times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from fleetplan.corridor import Corridor
from fleetplan.errors import FleetplanError
from fleetplan.messages.model import AcceptedDispatch
from fleetplan.model import IncidentKind, Trip
from fleetplan.network import Direction, KmPost, Location

DIRECTION_ZH = {Direction.TO_CHANGCHUN: "往长春方向", Direction.TO_SIPING: "往四平方向"}
# what happened to the failed coach, as said to the people it concerns
HAPPENED = {
    IncidentKind.BREAKDOWN: ("故障", "broke down"),
    IncidentKind.ACCIDENT: ("发生事故", "was in an accident"),
    IncidentKind.DRIVER_ILLNESS: ("驾驶员突发疾病", "lost its driver to illness"),
    IncidentKind.WEATHER: ("因天气受阻", "was stopped by the weather"),
}


def pick(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


@dataclass(frozen=True)
class Words:
    """Names and phrases for one accepted dispatch."""

    corridor: Corridor
    dispatch: AcceptedDispatch

    # ------------------------------------------------------------------ places
    def place(self, node_id: str, lang: str) -> str:
        """A node's name (a carriageway or parking node is named by its post); never its id."""
        graph = self.corridor.network.graph
        if node_id not in graph:
            return pick(lang, "指定地点", "the given place")  # the data changed under the record
        data = graph.nodes[node_id]
        return (data.get("name_zh") if lang == "zh" else None) or data.get("name") or pick(lang, "途中", "on the way")

    @cached_property
    def location(self) -> Location | None:
        try:
            return self.corridor.network.locate(self.dispatch.scene)
        except FleetplanError:
            return None

    @property
    def direction(self) -> Direction | None:
        location = self.location
        return location.direction if location is not None and location.km is not None else None

    def scene(self, lang: str) -> str:
        """``G1 京哈高速 K78 往长春方向`` / ``G1 K78 toward Changchun``, a place's name, or a point."""
        location = self.location
        if location is None:
            return pick(lang, "报告地点", "the reported place")
        if location.km is not None and location.direction is not None:
            return pick(
                lang,
                f"G1 京哈高速 K{location.km:g} {DIRECTION_ZH[location.direction]}",
                f"G1 K{location.km:g} {location.direction.label}",
            )
        if location.node_id is not None:
            return self.place(location.node_id, lang)
        road = location.road_name or pick(lang, "道路", "the road")
        point = f"{location.lat:.4f},{location.lon:.4f}"
        return pick(lang, f"{road} {point} 附近", f"{road} near {point}")

    @property
    def on_expressway(self) -> bool:
        return self.direction is not None

    def side(self, lang: str) -> str:
        """Which carriageway the scene is on and how to come at it ("" off G1): a coach can stop only
        on its own side and turn only at an interchange."""
        direction = self.direction
        if direction is None:
            return ""
        turn = self.turning_post()
        if lang == "zh":
            text = f"现场在{DIRECTION_ZH[direction]}车道，请沿{DIRECTION_ZH[direction]}行驶抵达"
            return text + (f"；对向来车请先在{turn.name_zh}（K{turn.km:g}）掉头。" if turn else "。")
        text = f"The scene is on the carriageway {direction.label}: approach it driving {direction.label}"
        return text + (f"; coming the other way, turn at {turn.name} (K{turn.km:g}) first." if turn else ".")

    def turning_post(self) -> KmPost | None:
        """The last exit before the scene in its direction: where a coach coming the other way turns."""
        location, direction = self.location, self.direction
        if location is None or direction is None or location.km is None:
            return None
        km = location.km
        exits = [post for post in self.corridor.network.posts if post.is_exit]
        if direction is Direction.TO_CHANGCHUN:
            return max((p for p in exits if p.km < km), key=lambda p: p.km, default=None)
        return min((p for p in exits if p.km > km), key=lambda p: p.km, default=None)

    # ------------------------------------------------------------------ coaches, people, trips
    def coach(self, vehicle_id: str, lang: str) -> str:
        """``c05（吉A·X0887）``: the fleet number the desk uses and the plate people see."""
        plate = self.plate(vehicle_id)
        if not plate:
            return vehicle_id
        return pick(lang, f"{vehicle_id}（{plate}）", f"{vehicle_id} ({plate})")

    def plate(self, vehicle_id: str) -> str:
        vehicle = next((v for v in self.corridor.dataset.vehicles if v.id == vehicle_id), None)
        return vehicle.plate if vehicle is not None else ""

    def driver_name(self, driver_id: str, lang: str) -> str:
        driver = next((d for d in self.corridor.dataset.drivers if d.id == driver_id), None)
        return driver.name if driver is not None else pick(lang, "驾驶员", "the driver")

    def driver_phone(self, driver_id: str) -> str | None:
        driver = next((d for d in self.corridor.dataset.drivers if d.id == driver_id), None)
        return driver.phone if driver is not None else None

    def driver_with_phone(self, driver_id: str, lang: str) -> str:
        phone = self.driver_phone(driver_id)
        return self.driver_name(driver_id, lang) + (f" {phone}" if phone else "")

    def trip(self, trip_id: str | None) -> Trip | None:
        """The trip on the incident's days (the calendar's), or None when the data do not have it."""
        if not trip_id:
            return None
        try:
            return self.corridor.at(self.dispatch.reported_at).dataset.trip(trip_id)
        except FleetplanError:
            return None

    def happened(self, lang: str) -> str:
        zh, en = HAPPENED[self.dispatch.kind]
        return pick(lang, zh, en)

    # ------------------------------------------------------------------ times
    def clock(self, moment: datetime, lang: str) -> str:
        """``08:23``; a time on a later day than the report says so."""
        days = (moment.date() - self.dispatch.reported_at.date()).days
        if days == 0:
            return f"{moment:%H:%M}"
        if days == 1:
            return pick(lang, f"次日 {moment:%H:%M}", f"{moment:%H:%M} next day")
        return pick(lang, f"{moment:%m月%d日 %H:%M}", f"{moment:%H:%M} on {moment:%d %b}")

    def day_and_clock(self, moment: datetime, lang: str) -> str:
        return pick(lang, f"{moment.month}月{moment.day}日 {moment:%H:%M}", f"{moment:%H:%M} on {moment:%d %b}")
