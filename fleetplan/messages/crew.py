"""Messages to the drivers: each rescue crew (where, which side, whom, how many, when, where to),
each crew running a later trip, and the driver of the failed coach (who comes, when)."""

from __future__ import annotations

from datetime import timedelta

from fleetplan.messages.model import LANGS, CoverOrder, Message, RecipientRole, RescueOrder
from fleetplan.messages.words import Words, pick

TAG = {"zh": "【吉师包车调度】", "en": "[JLNU coach desk] "}


def header(words: Words, lang: str) -> str:
    return TAG[lang] + pick(
        lang, f"事件{words.dispatch.incident_number}：", f"Incident {words.dispatch.incident_number}: "
    )


def rescue_driver_messages(words: Words, rescue: RescueOrder) -> list[Message]:
    return [
        Message(
            RecipientRole.RESCUE_DRIVER,
            rescue.driver_id,
            words.driver_name(rescue.driver_id, lang),
            words.driver_phone(rescue.driver_id),
            lang,
            rescue_text(words, rescue, lang),
        )
        for lang in LANGS
    ]


def rescue_text(words: Words, rescue: RescueOrder, lang: str) -> str:
    d = words.dispatch
    coach, failed = words.coach(rescue.vehicle_id, lang), words.coach(d.failed_vehicle_id, lang)
    scene, eta = words.scene(lang), words.clock(rescue.scene_arrival, lang)
    limit = (
        f"{pick(lang, '（时限 ', ' (limit ')}{words.clock(d.deadline, lang)}{pick(lang, '）', ')')}"
        if d.deadline
        else ""
    )
    if rescue.passing and rescue.calls_before:  # a passing coach's route: other scenes first, then this one
        first = pick(lang, "、", ", ").join(pick(lang, zh, en) for en, zh in rescue.calls_before)
        go = pick(
            lang,
            f"您驾驶的 {coach} 本班次途经多个现场：先在 {first} 停车接载另一事件的乘客，再在 {scene} 停车接载 "
            f"{failed} 的 {rescue.passengers} 名乘客，预计 {eta} 到达{limit}。",
            f"your trip with {coach} passes several scenes: stop first at {first} for another incident's "
            f"passengers, then at {scene} and take on {rescue.passengers} passengers of {failed}; ETA {eta}{limit}.",
        )
    elif rescue.passing:
        go = pick(
            lang,
            f"您驾驶的 {coach} 本班次途经现场，请在 {scene} 停车接载 {failed} 的 {rescue.passengers} 名乘客，"
            f"预计 {eta} 到达{limit}。",
            f"your trip with {coach} passes the scene: stop at {scene} and take on {rescue.passengers} "
            f"passengers of {failed}; ETA {eta}{limit}.",
        )
    elif rescue.calls_before:  # a route: other groups first, then this one
        first = pick(lang, "、", ", ").join(pick(lang, zh, en) for en, zh in rescue.calls_before)
        go = pick(
            lang,
            f"请驾驶 {coach} 于 {words.clock(rescue.depart_at, lang)} 从 {words.place(rescue.origin, lang)} 出发，"
            f"先到 {first} 接另一事件的乘客，再前往 {scene} 接 {failed} 的 {rescue.passengers} 名乘客，"
            f"预计 {eta} 到达{limit}。",
            f"drive {coach} from {words.place(rescue.origin, lang)} at {words.clock(rescue.depart_at, lang)}, first "
            f"to {first} for another incident's passengers, then on to {scene} and pick up {rescue.passengers} "
            f"passengers of {failed}; ETA {eta}{limit}.",
        )
    else:
        go = pick(
            lang,
            f"请驾驶 {coach} 于 {words.clock(rescue.depart_at, lang)} 从 {words.place(rescue.origin, lang)} 出发，"
            f"前往 {scene} 接 {failed} 的 {rescue.passengers} 名乘客，预计 {eta} 到达{limit}。",
            f"drive {coach} from {words.place(rescue.origin, lang)} at {words.clock(rescue.depart_at, lang)} to "
            f"{scene} and pick up {rescue.passengers} passengers of {failed}; ETA {eta}{limit}.",
        )
    parts = [header(words, lang) + go, words.side(lang)]
    if rescue.rest_at_scene_min:
        parts.append(
            pick(
                lang,
                f"换乘后在现场休息 {rescue.rest_at_scene_min} 分钟再出发。",
                f"Rest {rescue.rest_at_scene_min} min at the scene after the transfer.",
            )
        )
    destination, arrival = words.place(rescue.destination, lang), words.clock(rescue.destination_arrival, lang)
    parts.append(
        pick(
            lang, f"送往 {destination}，预计 {arrival} 到达。", f"Take them to {destination}, arriving about {arrival}."
        )
    )
    if rescue.rest_on_way is not None:
        rest = rescue.rest_on_way
        place, at = words.place(rest.node_id, lang), words.clock(rest.at, lang)
        parts.append(
            pick(
                lang,
                f"途中 {at} 在 {place} 休息 {rest.rest_min} 分钟。",
                f"On the way, rest {rest.rest_min} min at {place} from {at}.",
            )
        )
    failed_driver = failed_driver_id(words)
    if failed_driver:
        parts.append(
            pick(
                lang,
                f"故障车驾驶员 {words.driver_with_phone(failed_driver, lang)}。",
                f"Driver of {d.failed_vehicle_id}: {words.driver_with_phone(failed_driver, lang)}.",
            )
        )
    return pick(lang, "", " ").join(part for part in parts if part)


def failed_driver_id(words: Words) -> str | None:
    """Who drives the failed coach: the driver of its trip (None off a trip: the data do not say)."""
    trip = words.trip(words.dispatch.trip_id)
    return trip.driver_id if trip is not None else None


def failed_driver_messages(words: Words) -> list[Message]:
    driver_id = failed_driver_id(words)
    if driver_id is None:
        return []
    return [
        Message(
            RecipientRole.FAILED_DRIVER,
            driver_id,
            words.driver_name(driver_id, lang),
            words.driver_phone(driver_id),
            lang,
            failed_driver_text(words, lang),
        )
        for lang in LANGS
    ]


def failed_driver_text(words: Words, lang: str) -> str:
    d = words.dispatch
    coming = [
        pick(
            lang,
            f"救援车 {words.coach(r.vehicle_id, lang)}（驾驶员 {words.driver_with_phone(r.driver_id, lang)}）"
            f"预计 {words.clock(r.scene_arrival, lang)} 到达，接 {r.passengers} 名乘客送往 "
            f"{words.place(r.destination, lang)}（约 {words.clock(r.destination_arrival, lang)}）",
            f"rescue coach {words.coach(r.vehicle_id, lang)} (driver {words.driver_with_phone(r.driver_id, lang)}) "
            f"reaches you about {words.clock(r.scene_arrival, lang)} and takes {r.passengers} passengers to "
            f"{words.place(r.destination, lang)} (about {words.clock(r.destination_arrival, lang)})",
        )
        for r in d.rescues
    ]
    parts = [header(words, lang) + pick(lang, "；".join(coming) + "。", "; ".join(coming) + ".")]
    if words.on_expressway:  # 道路交通安全法 Art. 68
        parts.append(
            pick(
                lang,
                "请开启危险报警闪光灯，在车后150米以外设置警告标志，组织乘客到右侧路肩护栏外等候，并按规定报警。",
                "Hazard lights on, warning triangle at least 150 m behind, passengers behind the barrier on the "
                "right shoulder, and report to the police as the law requires.",
            )
        )
    parts += later_trips(words, lang)
    return pick(lang, "", " ").join(parts)


def later_trips(words: Words, lang: str) -> list[str]:
    """What happens to the failed coach's later trips: who runs them, or that nobody does yet."""
    d = words.dispatch
    parts = [
        pick(
            lang,
            f"后续班次 {c.trip_id} 由 {words.coach(c.vehicle_id, lang)} {words.driver_name(c.driver_id, lang)} 执行"
            + (f"，推迟 {c.departure_shift_min} 分钟。" if c.departure_shift_min else "。"),
            f"Later trip {c.trip_id} is run by {words.coach(c.vehicle_id, lang)}, "
            f"{words.driver_name(c.driver_id, lang)}"
            + (f", {c.departure_shift_min} min late." if c.departure_shift_min else "."),
        )
        for c in d.covers
    ]
    if d.uncovered_trip_ids:
        trips = ", ".join(d.uncovered_trip_ids)
        parts.append(
            pick(lang, f"班次 {trips} 暂无车执行，另行通知。", f"Trip {trips} has no coach yet; the desk will call.")
        )
    return parts


def cover_driver_messages(words: Words, cover: CoverOrder) -> list[Message]:
    return [
        Message(
            RecipientRole.COVER_DRIVER,
            cover.driver_id,
            words.driver_name(cover.driver_id, lang),
            words.driver_phone(cover.driver_id),
            lang,
            cover_text(words, cover, lang),
        )
        for lang in LANGS
    ]


def cover_text(words: Words, cover: CoverOrder, lang: str) -> str:
    d, coach = words.dispatch, words.coach(cover.vehicle_id, lang)
    trip = words.trip(cover.trip_id)
    failed, happened = words.coach(d.failed_vehicle_id, lang), words.happened(lang)
    why = pick(lang, f"（原车 {failed} {happened}）", f" in place of {failed}, which {happened}")
    if trip is None:
        run = pick(
            lang, f"请驾驶 {coach} 执行班次 {cover.trip_id}{why}。", f"run trip {cover.trip_id} with {coach}{why}."
        )
        return header(words, lang) + run
    leaves = words.clock(trip.departure + timedelta(minutes=cover.departure_shift_min), lang)
    origin, destination = words.place(trip.origin, lang), words.place(trip.destination, lang)
    later = (
        pick(lang, f"（比原定推迟 {cover.departure_shift_min} 分钟）", f" ({cover.departure_shift_min} min late)")
        if cover.departure_shift_min
        else ""
    )
    run = pick(
        lang,
        f"请驾驶 {coach} 执行班次 {cover.trip_id}{why}：{leaves}{later} 从 {origin} 出发，开往 {destination}，"
        f"乘客 {trip.booked_passengers} 名。",
        f"run trip {cover.trip_id} with {coach}{why}: leave {origin} at {leaves}{later} for {destination}, "
        f"{trip.booked_passengers} passengers booked.",
    )
    return header(words, lang) + run
