"""The ready messages of an accepted dispatch (fleetplan.messages): who gets what, in both languages,
with places by name, the carriageway side, counts and times, and never a raw id."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.errors import InvalidValueError
from fleetplan.messages import (
    SMS_MAX_CHARS,
    AcceptedDispatch,
    CoverOrder,
    Message,
    RecipientRole,
    RescueOrder,
    RestStop,
    compose,
)
from fleetplan.messages.stand_down import Withdrawal, stand_down_text
from fleetplan.messages.words import Words
from fleetplan.model import IncidentKind

DAY = datetime(2026, 12, 7)


def at(clock: str) -> datetime:
    hours, minutes = map(int, clock.split(":"))
    return DAY.replace(hour=hours, minute=minutes)


@pytest.fixture(scope="module")
def corridor():
    return load_corridor()


RESCUE = RescueOrder(
    vehicle_id="c05",
    driver_id="d10",
    origin="changchun_depot",
    depart_at=at("07:50"),
    scene_arrival=at("08:23"),
    passengers=42,
    destination="jlnu_siping_campus",
    destination_arrival=at("09:30"),
    rest_on_way=RestStop("gongzhuling_city", at("08:50"), 20),
)
DISPATCH = AcceptedDispatch(
    incident_number=12,
    kind=IncidentKind.BREAKDOWN,
    failed_vehicle_id="c01",
    trip_id="T1207-AM1",
    scene="G1 K78 toward Changchun",
    reported_at=at("07:40"),
    passengers=42,
    destination="jlnu_siping_campus",
    deadline=at("08:40"),
    rescues=(RESCUE,),
    covers=(CoverOrder("T1207-PM1", "c15", "d19", 5),),
    accepted_by="desk-1",
    accepted_at=at("07:44"),
)


def by_role(messages, role: RecipientRole, lang: str) -> list[Message]:
    return [m for m in messages if m.recipient_role == role and m.lang == lang]


def one(messages, role: RecipientRole, lang: str) -> Message:
    (found,) = by_role(messages, role, lang)
    return found


@pytest.fixture(scope="module")
def messages(corridor):
    return compose(corridor, DISPATCH)


# --------------------------------------------------------------------------- who gets messages
def test_every_recipient_gets_one_message_per_language(messages):
    recipients = [(m.recipient_role.value, m.recipient_id) for m in messages]
    assert sorted((m.recipient_role.value, m.recipient_id, m.lang) for m in messages) == sorted(
        (role, recipient, lang) for role, recipient in set(recipients) for lang in ("zh", "en")
    )
    assert list(dict.fromkeys(recipients)) == [
        ("rescue_driver", "d10"),
        ("cover_driver", "d19"),
        ("failed_driver", "d01"),  # the driver of T1207-AM1
        ("passengers", "trip:T1207-AM1"),
        ("university_transport_office", "jlnu_siping_transport"),
        ("duty_manager", "duty_manager"),
    ]


def test_phones_come_from_the_data_and_the_passengers_have_none(messages, corridor):
    dataset = corridor.dataset
    assert one(messages, RecipientRole.RESCUE_DRIVER, "zh").phone == dataset.driver("d10").phone
    assert one(messages, RecipientRole.FAILED_DRIVER, "en").phone == dataset.driver("d01").phone
    assert one(messages, RecipientRole.PASSENGERS, "zh").phone is None
    assert one(messages, RecipientRole.UNIVERSITY, "zh").phone == "04343290512"


def test_the_police_are_told_only_when_the_plan_needs_an_escorted_entry(corridor, messages):
    assert not [m for m in messages if m.recipient_role == RecipientRole.HIGHWAY_POLICE]
    escorted = compose(corridor, replace(DISPATCH, escorted_entry=True, closed_entrances=("fanjiatun_ic",)))
    zh, en = one(escorted, RecipientRole.HIGHWAY_POLICE, "zh"), one(escorted, RecipientRole.HIGHWAY_POLICE, "en")
    assert zh.phone == "12122" and zh.recipient_name == "高速交警"
    assert "护送" in zh.text and "范家屯互通入口封闭" in zh.text and "42 名乘客" in zh.text
    assert "escort" in en.text and "Fanjiatun interchange" in en.text and "c05 (吉A·" in en.text
    assert "护送" in one(escorted, RecipientRole.DUTY_MANAGER, "zh").text
    every = compose(corridor, replace(DISPATCH, escorted_entry=True, closed_entrances=("*",)))
    assert "every expressway entrance closed" in one(every, RecipientRole.HIGHWAY_POLICE, "en").text


def test_a_dataset_without_contacts_still_tells_the_drivers_and_passengers(corridor):
    bare = replace(corridor, dataset=replace(corridor.dataset, contacts=()))
    roles = {m.recipient_role for m in compose(bare, replace(DISPATCH, escorted_entry=True))}
    assert roles == {
        RecipientRole.RESCUE_DRIVER,
        RecipientRole.COVER_DRIVER,
        RecipientRole.FAILED_DRIVER,
        RecipientRole.PASSENGERS,
    }


# --------------------------------------------------------------------------- what they say
def test_the_rescue_crew_is_told_where_which_side_whom_how_many_and_when(messages, corridor):
    plate, failed_plate = corridor.dataset.vehicle("c05").plate, corridor.dataset.vehicle("c01").plate
    failed_driver = corridor.dataset.driver("d01")
    zh = one(messages, RecipientRole.RESCUE_DRIVER, "zh")
    assert zh.recipient_name == corridor.dataset.driver("d10").name
    for part in (
        f"c05（{plate}）",
        "07:50 从 长春服务点（高新区） 出发",
        "G1 京哈高速 K78 往长春方向",
        "现场在往长春方向车道",
        "刘房子互通（K71.9）掉头",  # the last exit before K78 toward Changchun
        f"c01（{failed_plate}） 的 42 名乘客",
        "预计 08:23 到达（时限 08:40）",
        "送往 吉林师范大学正门，预计 09:30 到达",
        "08:50 在 公主岭市 休息 20 分钟",
        f"{failed_driver.name} {failed_driver.phone}",
    ):
        assert part in zh.text, part
    en = one(messages, RecipientRole.RESCUE_DRIVER, "en").text
    for part in (
        f"drive c05 ({plate}) from Changchun service point (high-tech zone) at 07:50",
        "G1 K78 toward Changchun",
        "approach it driving toward Changchun",
        "turn at Liufangzi interchange (K71.9)",
        "pick up 42 passengers of c01",
        "ETA 08:23 (limit 08:40)",
        "Jilin Normal University main gate, arriving about 09:30",
        "rest 20 min at Gongzhuling city from 08:50",
    ):
        assert part in en, part


def test_the_failed_coach_s_driver_is_told_who_comes_and_when(messages, corridor):
    rescuer = corridor.dataset.driver("d10")
    zh = one(messages, RecipientRole.FAILED_DRIVER, "zh").text
    assert "救援车 c05" in zh and f"{rescuer.name} {rescuer.phone}" in zh and "预计 08:23 到达" in zh
    assert "150米" in zh and "后续班次 T1207-PM1 由 c15" in zh and "推迟 5 分钟" in zh
    en = one(messages, RecipientRole.FAILED_DRIVER, "en").text
    assert "reaches you about 08:23" in en and "takes 42 passengers" in en and "150 m behind" in en


def test_the_crew_running_a_later_trip_is_told_the_trip_and_its_new_time(messages, corridor):
    trip = corridor.dataset.trip("T1207-PM1")
    zh = one(messages, RecipientRole.COVER_DRIVER, "zh").text
    assert "执行班次 T1207-PM1" in zh and "推迟 5 分钟" in zh and f"乘客 {trip.booked_passengers} 名" in zh
    shifted = f"{trip.departure.hour:02d}:{trip.departure.minute + 5:02d}"
    assert shifted in zh
    assert (
        f"leave Jilin Normal University main gate at {shifted}" in one(messages, RecipientRole.COVER_DRIVER, "en").text
    )


def test_the_passengers_sms_is_short_with_the_new_eta_and_destination(messages):
    zh = one(messages, RecipientRole.PASSENGERS, "zh")
    assert len(zh.text) <= 140 and "08:23" in zh.text and "09:30" in zh.text and "吉林师范大学正门" in zh.text
    assert zh.recipient_id == "trip:T1207-AM1" and "T1207-AM1" in zh.recipient_name
    en = one(messages, RecipientRole.PASSENGERS, "en")
    assert len(en.text) <= SMS_MAX_CHARS["en"] and "~08:23" in en.text and "Jilin Normal University" in en.text


def test_an_sms_stays_short_even_with_a_very_long_place_name(monkeypatch, corridor):
    monkeypatch.setattr(Words, "place", lambda self, node_id, lang: "很长的地名" * 60)
    for lang in ("zh", "en"):
        text = one(compose(corridor, DISPATCH), RecipientRole.PASSENGERS, lang).text
        assert len(text) <= SMS_MAX_CHARS[lang] and "08:23" in text and "09:30" in text


def test_the_university_hears_from_the_desk_in_its_campus_s_words(messages, corridor):
    zh = one(messages, RecipientRole.UNIVERSITY, "zh")
    assert zh.recipient_name == "吉林师范大学四平校区交通服务办公室"
    trip = corridor.dataset.trip("T1207-AM1")
    for part in (
        "12月7日 07:40",
        "42 名乘客",
        "故障",
        "预计 08:23 到场",
        f"09:30 到达 吉林师范大学正门（原定 {trip.arrival:%H:%M}）",
    ):
        assert part in zh.text, part
    en = one(messages, RecipientRole.UNIVERSITY, "en")
    assert (
        en.recipient_name == "JLNU Siping campus transport office"
        and "broke down at G1 K78 toward Changchun" in en.text
    )


def test_a_changchun_destination_goes_to_the_changchun_campus_office(corridor):
    toward_changchun = replace(
        DISPATCH,
        destination="changchun_station",
        rescues=(replace(RESCUE, destination="changchun_station"),),
    )
    office = one(compose(corridor, toward_changchun), RecipientRole.UNIVERSITY, "en")
    assert office.recipient_id == "jlnu_changchun_transport" and "Changchun railway station" in office.text


def test_the_duty_manager_gets_the_whole_plan(messages, corridor):
    rescuer = corridor.dataset.driver("d10")
    zh = one(messages, RecipientRole.DUTY_MANAGER, "zh").text
    assert "已采用方案（desk-1 07:44）" in zh and "时限 08:40" in zh and f"{rescuer.name} {rescuer.phone}" in zh
    late = compose(corridor, replace(DISPATCH, rescues=(replace(RESCUE, late_min=3),)))
    assert "(3 min late)" in one(late, RecipientRole.DUTY_MANAGER, "en").text


def test_a_scene_off_the_expressway_is_named_and_has_no_side(corridor):
    town = compose(corridor, replace(DISPATCH, scene="guojiadian_town", trip_id=None))
    rescue = one(town, RecipientRole.RESCUE_DRIVER, "zh").text
    assert "郭家店镇" in rescue and "车道" not in rescue
    assert not by_role(town, RecipientRole.FAILED_DRIVER, "zh")  # off a trip: the data do not name its driver
    assert one(town, RecipientRole.PASSENGERS, "en").recipient_id == "vehicle:c01"


def test_a_crew_with_two_later_trips_gets_one_message_with_both(corridor):
    covers = (CoverOrder("T1207-PM1", "c15", "d19"), CoverOrder("T1207-PM2", "c15", "d19", 10))
    composed = compose(corridor, replace(DISPATCH, covers=covers))
    keys = [(m.recipient_role, m.recipient_id, m.lang) for m in composed]
    assert len(keys) == len(set(keys))  # the outbox keeps one message per recipient, role and language
    text = one(composed, RecipientRole.COVER_DRIVER, "zh").text
    assert "T1207-PM1" in text and "T1207-PM2" in text and "推迟 10 分钟" in text


def test_a_passing_coach_is_asked_to_stop_on_its_way(corridor):
    passing = replace(RESCUE, vehicle_id="c15", driver_id="d19", passing=True, passengers=10)
    text = one(compose(corridor, replace(DISPATCH, rescues=(passing,))), RecipientRole.RESCUE_DRIVER, "en").text
    assert "passes the scene" in text and "take on 10 passengers of c01" in text


def test_a_crew_on_a_route_is_told_to_collect_the_other_group_first(corridor):
    """Issue 18 §1: a coach that collects another incident's passengers first is not told to drive
    straight from its depot to this scene."""
    route = replace(RESCUE, calls_before=(("G1 K11 toward Changchun", "G1 K11 往长春方向"),))
    messages = compose(corridor, replace(DISPATCH, rescues=(route,)))
    en, zh = (one(messages, RecipientRole.RESCUE_DRIVER, lang).text for lang in ("en", "zh"))
    assert "first to G1 K11 toward Changchun for another incident's passengers, then on to" in en
    assert "先到 G1 K11 往长春方向 接另一事件的乘客，再前往" in zh


def test_a_passing_coach_on_a_route_is_told_to_stop_at_the_other_scene_first(corridor):
    """Issue 18 §1: a coach on its trip that takes two groups stops at both scenes in turn."""
    passing = replace(
        RESCUE,
        vehicle_id="c15",
        driver_id="d19",
        passing=True,
        passengers=5,
        calls_before=(("G1 K40 toward Siping", "G1 K40 往四平方向"),),
    )
    messages = compose(corridor, replace(DISPATCH, rescues=(passing,)))
    en, zh = (one(messages, RecipientRole.RESCUE_DRIVER, lang).text for lang in ("en", "zh"))
    assert "passes several scenes: stop first at G1 K40 toward Siping for another incident's passengers" in en
    assert "take on 5 passengers of c01" in en
    assert "先在 G1 K40 往四平方向 停车接载另一事件的乘客" in zh


def test_times_after_midnight_say_so(corridor):
    late = replace(RESCUE, destination_arrival=DAY.replace(day=8, hour=0, minute=40))
    zh = one(compose(corridor, replace(DISPATCH, rescues=(late,))), RecipientRole.RESCUE_DRIVER, "zh").text
    assert "预计 次日 00:40 到达" in zh


# --------------------------------------------------------------------------- never an id
def test_no_message_names_a_place_driver_or_contact_by_its_id(corridor):
    ids = set(corridor.network.graph.nodes) | {d.id for d in corridor.dataset.drivers}
    ids |= {c.id for c in corridor.dataset.contacts}
    everything = compose(corridor, replace(DISPATCH, escorted_entry=True, closed_entrances=("fanjiatun_ic",)))
    for message in everything:
        words = set(re.findall(r"[A-Za-z0-9_.]+", message.text))
        assert not words & ids, (message.recipient_role, words & ids, message.text)
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", message.text), message.text


# --------------------------------------------------------------------------- the objects
def test_a_message_is_checked_when_built():
    with pytest.raises(InvalidValueError) as caught:
        Message(RecipientRole.DUTY_MANAGER, "m", "Duty", "1390 434", "zh", "text")
    assert caught.value.field == "phone"
    with pytest.raises(InvalidValueError) as caught:
        Message(RecipientRole.DUTY_MANAGER, "m", "Duty", None, "fr", "texte")
    assert caught.value.field == "lang"


def test_an_accepted_dispatch_sends_at_least_one_coach():
    with pytest.raises(InvalidValueError) as caught:
        replace(DISPATCH, rescues=())
    assert caught.value.field == "rescues"


@pytest.mark.parametrize("withdrawal", list(Withdrawal))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_passengers_stand_down_fits_an_sms_and_tells_them_to_wait_not_to_stand_down(lang, withdrawal):
    reason = "the rescue coach's driver fell ill and another comes from Changchun through the K40 closure " * 2
    text = stand_down_text(lang, 12, withdrawal, reason, datetime(2026, 12, 8, 8, 10), passengers=True)
    assert len(text) <= SMS_MAX_CHARS[lang] and "12" in text and "08:10" in text
    assert "Do not act" not in text and "请勿执行" not in text  # they were told of a coach, not given orders
    crew = stand_down_text(lang, 12, withdrawal, "x", datetime(2026, 12, 8, 8, 10))
    assert ("Do not act" in crew) if lang == "en" else ("请勿执行" in crew)
