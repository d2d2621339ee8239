"""Messages to everyone else: the passengers (one short SMS text), the university's transport office
of the destination campus, the operator's duty manager, and the highway police when the plan needs
an escorted entry through a closure."""

from __future__ import annotations

from fleetplan.contacts import Contact, ContactRole, with_role
from fleetplan.geo import haversine_m
from fleetplan.messages.crew import TAG, header, later_trips
from fleetplan.messages.model import LANGS, Message, RecipientRole
from fleetplan.messages.words import Words, pick
from fleetplan.model import ALL_ENTRANCES

# SMS lengths: 140 characters of Chinese is two UCS-2 segments; the English text carries plates in
# Chinese characters too (UCS-2 as well), so it keeps to a similar short length.
SMS_MAX_CHARS = {"zh": 140, "en": 160}
SMS_TAG = {"zh": "【吉师包车】", "en": "[JLNU coach] "}


# --------------------------------------------------------------------------- passengers
def passenger_messages(words: Words) -> list[Message]:
    """One SMS text per language for the failed trip's passengers. The operator's SMS platform holds
    their numbers (the booking system's, not fleetplan's): the message names the trip, not a phone."""
    d = words.dispatch
    recipient = f"trip:{d.trip_id}" if d.trip_id else f"vehicle:{d.failed_vehicle_id}"
    return [
        Message(
            RecipientRole.PASSENGERS,
            recipient,
            pick(lang, f"班次 {d.trip_id} 乘客", f"passengers of trip {d.trip_id}")
            if d.trip_id
            else pick(lang, f"{d.failed_vehicle_id} 车上乘客", f"passengers on {d.failed_vehicle_id}"),
            None,
            lang,
            passenger_text(words, lang),
        )
        for lang in LANGS
    ]


def passenger_text(words: Words, lang: str) -> str:
    """The fullest variant that fits :data:`SMS_MAX_CHARS`; the last one always does (its place name
    is cut if need be)."""
    d = words.dispatch
    eta = words.clock(min(r.scene_arrival for r in d.rescues), lang)
    arrive = words.clock(max(r.destination_arrival for r in d.rescues), lang)
    stops = {r.destination for r in d.rescues}
    destination = words.place(stops.pop() if len(stops) == 1 else d.destination, lang)
    trip = words.trip(d.trip_id)
    plate = words.plate(d.failed_vehicle_id)
    plates = pick(lang, "、", ", ").join(words.plate(r.vehicle_id) or r.vehicle_id for r in d.rescues)
    happened = words.happened(lang)
    safety = pick(
        lang,
        "请到护栏外安全处等候，听从司机安排。" if words.on_expressway else "请在安全处等候，听从司机安排。",
        "Wait behind the barrier; follow the driver." if words.on_expressway else "Wait safely; follow the driver.",
    )
    yours = pick(
        lang,
        f"您乘坐的{trip.departure:%H:%M}班车{plate}" if trip else f"您乘坐的班车{plate}",
        f"Your {trip.departure:%H:%M} coach {plate}" if trip else f"Your coach {plate}",
    )
    news = pick(
        lang,
        f"{yours}{happened}，救援车{plates}预计{eta}到达，约{arrive}送达{destination}。",
        f"{yours} {happened}. Rescue coach {plates} arrives ~{eta}, takes you to {destination} by ~{arrive}.",
    )
    short = pick(
        lang, f"救援车预计{eta}到达，约{arrive}送达", f"Rescue coach arrives ~{eta}, takes you by ~{arrive} to "
    )
    tag, limit = SMS_TAG[lang], SMS_MAX_CHARS[lang]
    for text in (tag + news + pick(lang, "", " ") + safety, tag + news):
        if len(text) <= limit:
            return text
    return tag + short + clip(destination, limit - len(tag + short) - 1) + pick(lang, "。", ".")


def clip(text: str, room: int) -> str:
    """``text`` cut to ``room`` characters, the cut marked."""
    return text if len(text) <= room else text[: max(0, room - 1)] + "…"[: max(0, room)]


# --------------------------------------------------------------------------- the university
def campus_office(words: Words) -> Contact | None:
    """The transport office of the destination campus: the one at the destination stop, else the
    nearest to it (a Changchun stop is the Changchun campus's business)."""
    offices = with_role(words.corridor.dataset.contacts, ContactRole.UNIVERSITY_TRANSPORT_OFFICE)
    destination = words.dispatch.destination
    exact = [office for office in offices if office.node_id == destination]
    if exact or not offices:
        return exact[0] if exact else None
    graph = words.corridor.network.graph
    if destination not in graph:
        return None
    lat, lon = graph.nodes[destination]["lat"], graph.nodes[destination]["lon"]
    placed = [office for office in offices if office.node_id in graph]
    return min(
        placed,
        key=lambda o: haversine_m(lat, lon, graph.nodes[o.node_id]["lat"], graph.nodes[o.node_id]["lon"]),
        default=None,
    )


def university_text(words: Words, lang: str) -> str:
    d = words.dispatch
    destination = words.place(d.destination, lang)
    trip = words.trip(d.trip_id)
    coach = words.coach(d.failed_vehicle_id, lang)
    what = pick(
        lang,
        f"开往 {destination} 的班次 {d.trip_id}（{coach}，{d.passengers} 名乘客）"
        if d.trip_id
        else f"班车 {coach}（{d.passengers} 名乘客）",
        f"the coach of trip {d.trip_id} to {destination} ({coach}, {d.passengers} passengers)"
        if d.trip_id
        else f"coach {coach} ({d.passengers} passengers)",
    )
    coaches = pick(lang, "、", ", ").join(words.coach(r.vehicle_id, lang) for r in d.rescues)
    eta = words.clock(min(r.scene_arrival for r in d.rescues), lang)
    arrive = words.clock(max(r.destination_arrival for r in d.rescues), lang)
    planned = pick(lang, f"（原定 {trip.arrival:%H:%M}）", f" (planned {trip.arrival:%H:%M})") if trip else ""
    parts = [
        TAG[lang]
        + pick(
            lang,
            f"事件{d.incident_number}通报：{words.day_and_clock(d.reported_at, lang)}，{what}在 {words.scene(lang)} "
            f"{words.happened(lang)}。已派 {coaches} 救援，预计 {eta} 到场；乘客预计 {arrive} 到达 {destination}{planned}。",
            f"Incident {d.incident_number}: at {words.day_and_clock(d.reported_at, lang)} {what} "
            f"{words.happened(lang)} at {words.scene(lang)}. Rescue coach {coaches} reaches it about {eta}; the "
            f"passengers arrive at {destination} about {arrive}{planned}.",
        )
    ]
    parts += later_trips(words, lang)
    parts += duty_manager_line(words, lang)
    return pick(lang, "", " ").join(parts)


def duty_manager_line(words: Words, lang: str) -> list[str]:
    managers = with_role(words.corridor.dataset.contacts, ContactRole.DUTY_MANAGER)
    if not managers:
        return []
    return [pick(lang, f"值班经理电话 {managers[0].phone}。", f"Duty manager: {managers[0].phone}.")]


# --------------------------------------------------------------------------- the duty manager
def duty_manager_text(words: Words, lang: str) -> str:
    d = words.dispatch
    who = f"{d.accepted_by} {words.clock(d.accepted_at, lang)}" if d.accepted_at else d.accepted_by
    deadline = words.clock(d.deadline, lang) if d.deadline else "—"
    parts = [
        header(words, lang)
        + pick(
            lang,
            f"已采用方案（{who}）。{words.coach(d.failed_vehicle_id, lang)} {words.clock(d.reported_at, lang)} 在 "
            f"{words.scene(lang)} {words.happened(lang)}，{d.passengers} 名乘客，时限 {deadline}。",
            f"plan accepted ({who}). {words.coach(d.failed_vehicle_id, lang)} {words.happened(lang)} at "
            f"{words.scene(lang)} at {words.clock(d.reported_at, lang)}, {d.passengers} passengers, limit {deadline}.",
        )
    ]
    for r in d.rescues:
        late = pick(lang, f"（超时 {r.late_min} 分钟）", f" ({r.late_min} min late)") if r.late_min else ""
        parts.append(
            pick(
                lang,
                f"救援 {words.coach(r.vehicle_id, lang)} {words.driver_with_phone(r.driver_id, lang)}："
                f"{words.clock(r.depart_at, lang)} 从 {words.place(r.origin, lang)} 出发，"
                f"{words.clock(r.scene_arrival, lang)} 到场{late}，接 {r.passengers} 人送往 "
                f"{words.place(r.destination, lang)}（{words.clock(r.destination_arrival, lang)}）。",
                f"Rescue {words.coach(r.vehicle_id, lang)}, {words.driver_with_phone(r.driver_id, lang)}: leaves "
                f"{words.place(r.origin, lang)} {words.clock(r.depart_at, lang)}, on scene "
                f"{words.clock(r.scene_arrival, lang)}{late}, takes {r.passengers} to "
                f"{words.place(r.destination, lang)} ({words.clock(r.destination_arrival, lang)}).",
            )
        )
    parts += later_trips(words, lang)
    if d.escorted_entry:
        parts.append(
            pick(lang, "需高速交警护送驶入封闭路段，已通知交警。", "A police escort through the closure is requested.")
        )
    return pick(lang, "", " ").join(parts)


# --------------------------------------------------------------------------- the highway police
def closed_text(words: Words, lang: str) -> str:
    entrances = words.dispatch.closed_entrances
    if not entrances or ALL_ENTRANCES in entrances:
        return pick(lang, "高速入口全部封闭", "every expressway entrance closed")
    names = pick(lang, "、", ", ").join(words.place(node, lang) for node in entrances)
    return pick(lang, f"{names}入口封闭", f"the entrances at {names} closed")


def police_text(words: Words, lang: str) -> str:
    d = words.dispatch
    coaches = pick(lang, "、", ", ").join(words.coach(r.vehicle_id, lang) for r in d.rescues)
    first = min(d.rescues, key=lambda r: r.depart_at)
    leaves = pick(
        lang,
        f"预计 {words.clock(first.depart_at, lang)} 从 {words.place(first.origin, lang)} 出发",
        f"it leaves {words.place(first.origin, lang)} at {words.clock(first.depart_at, lang)}",
    )
    text = TAG[lang] + pick(
        lang,
        f"吉林师范大学包车客运运营方申请警车护送：事件{d.incident_number}，{words.coach(d.failed_vehicle_id, lang)} "
        f"{words.clock(d.reported_at, lang)} 在 {words.scene(lang)} {words.happened(lang)}，车上 {d.passengers} 名乘客。"
        f"因{closed_text(words, lang)}，救援车 {coaches} 需护送驶入高速，{leaves}。",
        f"Escort requested by the JLNU charter-coach operator: incident {d.incident_number}, "
        f"{words.coach(d.failed_vehicle_id, lang)} {words.happened(lang)} at {words.scene(lang)} at "
        f"{words.clock(d.reported_at, lang)} with {d.passengers} passengers on board. With "
        f"{closed_text(words, lang)}, rescue coach {coaches} needs an escort onto the expressway; {leaves}.",
    )
    return pick(lang, "", " ").join([text, *duty_manager_line(words, lang)])


# --------------------------------------------------------------------------- to contacts
def contact_messages(contact: Contact, role: RecipientRole, texts: dict[str, str]) -> list[Message]:
    return [
        Message(
            role,
            contact.id,
            pick(lang, contact.name_zh or contact.name, contact.name),
            contact.phone,
            lang,
            texts[lang],
        )
        for lang in LANGS
    ]
