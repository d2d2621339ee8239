"""Every text a dispatcher reads, in both languages (issue #17): for each rejection code and each
template, the English and the Chinese carry the facts (numbers, coach and driver ids, the place by
its name in that language), show no raw place or tier id, and the Chinese has no English words."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from typing import Any

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.instance import RejectionCode
from fleetplan.model import Activity, DrivingPolicy, LicenceClass, OvernightRule, VehicleClass
from fleetplan.network.travel import NoRoute
from fleetplan.phrase import Coordinates, Joined, KmPost, Phrase, PlaceRef, TierRef, phrase
from fleetplan.rules.checks import (
    ContinuousFinding,
    DoubleBookingFinding,
    OvernightFinding,
    ShortRestFinding,
    WindowFinding,
)
from fleetplan.rules.personal import AgeFinding, LicenceFinding, ProbationFinding, QualificationFinding
from fleetplan.rules.shift import ShiftFinding
from fleetplan.rules.timeline import Stretch, to_stamp
from fleetplan.rules.values import ProposedDrive, RuleCode
from fleetplan.wording import LANGUAGES, names_of, render
from fleetplan.wording.given import unavailable_phrase
from fleetplan.wording.templates import TEMPLATES

from tests.wording_checks import TIER_IDS, assert_clean

CORRIDOR = load_corridor()
NAMES = names_of(CORRIDOR.network, CORRIDOR.dataset)
POLICY = DrivingPolicy()
MONDAY = datetime(2026, 12, 7)


def shown_facts(said: Phrase, lang: str) -> list[str]:
    """What ``said`` must show in ``lang``: each fact its template names, worded (a place by its name
    in that language, a tier in words), recursively; findings are checked by their driver."""
    template = TEMPLATES[lang][said.key]
    if isinstance(template, tuple):
        template = template[0] if said.facts.get("n") == 1 else template[1]
    shown: list[str] = []
    for key, value in said.facts.items():
        if "{" + key + "}" in template:
            shown += fact_bits(value, lang)
    return shown


def fact_bits(value: Any, lang: str) -> list[str]:
    if isinstance(value, Phrase):
        return shown_facts(value, lang)
    if isinstance(value, PlaceRef):
        return [NAMES.place(value.id, lang)]
    if isinstance(value, TierRef):
        return [NAMES.tier(value.id, lang)]
    if isinstance(value, KmPost):
        return [f"G1 K{value.km}"]
    if isinstance(value, Coordinates):
        return [value.text]
    if isinstance(value, Joined | tuple):
        items = value.items if isinstance(value, Joined) else value
        return [bit for item in items for bit in fact_bits(item, lang)]
    if isinstance(value, str | int | date) and not isinstance(value, RejectionCode):
        return [str(value)]
    driver = getattr(value, "driver_id", None)
    return [driver] if driver else []


# --------------------------------------------------------------------------- the facts a builder gives
def stamp(clock: str) -> int:
    hours, minutes = map(int, clock.split(":"))
    return to_stamp(MONDAY.replace(hour=hours, minute=minutes))


LICENCE = LicenceFinding("d15", LicenceClass.B1, "吉A·P6425", 12.0, 56, LicenceClass.A1)
PROBATION = ProbationFinding("d16", date(2026, 6, 2), 12, date(2027, 6, 2))
AGE = AgeFinding("d18", 61, date(2026, 12, 7), date(1965, 5, 3), 60, date(2026, 5, 4))
UNQUALIFIED = QualificationFinding("d33", None)
EXPIRED = QualificationFinding("d33", date(2026, 11, 15))
DAY_STRETCH = ContinuousFinding(Stretch(5 * 3600, 0, 1, None, None), 4 * 3600 * 2 * 3600, POLICY)
NIGHT_STRETCH = ContinuousFinding(Stretch(0, 3 * 3600, 1, None, None), 4 * 3600 * 2 * 3600, POLICY)
MIXED_STRETCH = ContinuousFinding(Stretch(2 * 3600, 5400, 1, 600, None), 4 * 3600 * 2 * 3600, POLICY)
SHORT_REST = ShortRestFinding(600, "before", POLICY)
DAILY = WindowFinding(RuleCode.DAILY_8H, 9 * 3600, stamp("06:00"), 24 * 3600, 8 * 3600)
WEEKLY = WindowFinding(RuleCode.WEEKLY_44H, 45 * 3600, stamp("06:00"), 7 * 24 * 3600, 44 * 3600)
DRIVE = ProposedDrive(MONDAY.replace(hour=1, minute=30), 3 * 3600, 150_000)
OVERNIGHT = OvernightFinding(stamp("01:30"), stamp("04:30"), 9000, DRIVE, POLICY)
OVERNIGHT_SHORT = OvernightFinding(
    stamp("01:30"), stamp("04:30"), 9000, DRIVE, DrivingPolicy(overnight_rule=OvernightRule.EXEMPT_SHORT_100KM)
)
OVERNIGHT_ENFORCED = OvernightFinding(
    stamp("01:30"), stamp("04:30"), 9000, DRIVE, DrivingPolicy(overnight_rule=OvernightRule.ENFORCE)
)
BOOKED = DoubleBookingFinding(
    stamp("07:50"), stamp("09:30"), ((Activity.DRIVE, stamp("08:00"), stamp("09:00")),), "drive"
)
OFF_SHIFT_TASK = ShiftFinding(  # a 22:00–08:00 shift that ends during the task
    "d14", time(22), time(8), MONDAY.replace(hour=7, minute=50), MONDAY.replace(hour=9, minute=30),
    (datetime(2026, 12, 6, 22), MONDAY.replace(hour=8)),
)  # fmt: skip
NOT_ON_SHIFT = ShiftFinding(
    "d12", time(12), time(22), MONDAY.replace(hour=7, minute=50), MONDAY.replace(hour=9, minute=30), None
)
BLIZZARD = CORRIDOR.dataset.conditions_named("blizzard")
NO_ROUTE = NoRoute(
    PlaceRef("changchun_depot"), KmPost("60", "to_changchun"), VehicleClass.COACH_12M, MONDAY.replace(hour=1), BLIZZARD
)
GPS_AT_DEPOT = phrase("gps", at="07:41", where=PlaceRef("changchun_depot"))
GPS_ON_G1 = phrase("gps", at="17:59", where=KmPost("59.0", "to_siping"))
SCENE = KmPost("78", "to_changchun")
DRIVERS = Joined(
    (
        phrase("driver_code", driver="d15", code=RejectionCode.LICENCE_CLASS),
        phrase("driver_code", driver="d24", code=RejectionCode.HOURS_LEFT),
    ),
    "semicolon",
)


def trip_why(why: Any) -> Phrase:
    return phrase("trip", trip="T1207-PM1", why=why)


REJECTIONS: dict[RejectionCode, list[Phrase]] = {
    RejectionCode.SEATS: [phrase("no_free_seat", vehicle="c03", trip="T1207-AM3")],
    RejectionCode.LICENCE_CLASS: [phrase("driver_rule", driver="d15", rule=LICENCE)],
    RejectionCode.PROBATION: [
        phrase("driver_rule", driver="d16", rule=PROBATION),
        phrase("driver_rule", driver="d16", rule=replace(PROBATION, on=date(2026, 5, 30))),
    ],
    RejectionCode.AGE: [phrase("driver_rule", driver="d18", rule=AGE)],
    RejectionCode.QUALIFICATION: [
        phrase("driver_rule", driver="d33", rule=UNQUALIFIED),
        phrase("driver_rule", driver="d33", rule=EXPIRED),
    ],
    RejectionCode.HOURS_LEFT: [phrase("rule", rule=DAILY), phrase("rule", rule=WEEKLY)],
    RejectionCode.REST_DUE: [
        phrase("rule", rule=finding) for finding in (DAY_STRETCH, NIGHT_STRETCH, MIXED_STRETCH, SHORT_REST, BOOKED)
    ],
    RejectionCode.OVERNIGHT_STOP: [
        phrase("rule", rule=finding) for finding in (OVERNIGHT, OVERNIGHT_SHORT, OVERNIGHT_ENFORCED)
    ],
    RejectionCode.PERMIT: [
        phrase("permit_expired", vehicle="c20", date=date(2026, 11, 30)),
        phrase("trip_permit", trip="T1207-PM1", vehicle="c20", date=date(2026, 12, 8)),
        phrase("rescue_permit", vehicle="c09", date=date(2026, 12, 10), end="12-11 00:40"),
    ],
    RejectionCode.IN_WORKSHOP: [phrase("in_workshop", vehicle="c14")],
    RejectionCode.UNREACHABLE: [phrase("unreachable", route=NO_ROUTE)],
    RejectionCode.TOO_LATE: [
        phrase("too_late", vehicle="c08", at="09:45", late=47),
        phrase("own_delay", vehicle="c02", min=23),
    ],
    RejectionCode.OFF_SHIFT: [
        phrase("off_shift_at", driver="d12", moment="2026-12-07 07:50", shift="12:00–22:00"),
        phrase("off_shift_until", driver="d13", ready="07:50", horizon="2026-12-07 19:40", shift="20:00–06:00"),
        phrase("rule", rule=OFF_SHIFT_TASK),
        phrase("rule", rule=NOT_ON_SHIFT),
        trip_why(OFF_SHIFT_TASK),
        trip_why(phrase("cover.off_shift", driver="d13", shift="18:00–06:00", at="2026-12-07 17:15")),
        trip_why(
            phrase(
                "cover.next_shift",
                driver="d09",
                shift="06:00–18:00",
                at="2026-12-08 07:00",
                home=PlaceRef("siping_depot"),
                where=PlaceRef("changchun_depot"),
            )
        ),
    ],
    RejectionCode.BUSY: [
        phrase("busy", who="c21", why=unavailable_phrase(text))
        for text in (
            "booked by incident 12",
            "booked by incident 12 (planned together)",
            "broke down in incident 13",
            "breaks down later, at 2026-12-07 10:00, in incident 13",
            "drives the failed coach c05",
            "with the failed coach c05",
        )
    ],
    RejectionCode.NO_DRIVER: [
        phrase("no_driver", place=PlaceRef("changchun_depot"), vehicle="c05"),
        phrase("no_driver_because", place=PlaceRef("changchun_depot"), vehicle="c05", drivers=DRIVERS),
        phrase("no_driver_now", place=PlaceRef("siping_depot"), vehicle="c19", drivers=("d12", "d28")),
    ],
    RejectionCode.WRONG_DIRECTION: [
        phrase("wrong_direction", vehicle="c02", trip="T1207-AM2", why=why)
        for why in (
            phrase("passing.not_on_route", scene=SCENE),
            phrase("passing.passed", scene=SCENE, at="07:40"),
            phrase("passing.cannot_reach", scene=SCENE, here=PlaceRef("gongzhuling_ic.to_changchun")),
            phrase("passing.leaves_route", scene=PlaceRef("guojiadian_town"), here=Coordinates("43.50080,124.81980")),
            phrase("passing.gps_off_route", gps=GPS_ON_G1, off="840"),
            phrase("passing.gps_not_on_route", gps=GPS_AT_DEPOT),
            phrase("passing.gps_past", gps=GPS_ON_G1, scene=SCENE),
            phrase("passing.gps_cannot_reach", gps=GPS_ON_G1, scene=PlaceRef("kaoshantun_sa.to_siping.parking")),
        )
    ]
    + [
        phrase(
            "stops_elsewhere",
            vehicle="c17",
            trip="T1211-FR3",
            stops=(PlaceRef("changchun_gov"), PlaceRef("changchun_station")),
            wanted=(PlaceRef("jlnu_siping_campus"),),
        )
    ],
    RejectionCode.ON_THE_ROAD: [phrase("on_the_road", vehicle="c07", gps=GPS_ON_G1)],
    RejectionCode.OUTRANKED: [phrase("outranked", vehicle="c11", n=3, incident="12")],
}
NOT_REJECTED = {RejectionCode.NEXT_DUTY}  # a code no builder step gives today

RESCUE = phrase(
    "plan.rescue",
    vehicle="c05",
    driver="d10",
    source=phrase("plan.from", origin=PlaceRef("changchun_depot")),
    at="08:23",
    eta=44,
    limit=phrase("plan.limit", min=60),
    tier=TierRef("near_backup"),
    lateness=phrase("plan.in_time"),
    taken=42,
    total=45,
    destination=PlaceRef("jlnu_siping_campus"),
    arrival="09:30",
    rests=phrase(
        "plan.rests",
        rests=Joined(
            (
                phrase("plan.rest_scene", min=20),
                phrase("plan.rest_way", min=20, place=PlaceRef("gongzhuling_sa.to_siping.parking"), at="10:05"),
            ),
            "and",
        ),
    ),
)
LATE = phrase("relax.late", min=12)
CALL_IN = phrase(
    "relax.call_in_part",
    driver="d01",
    vehicle="c19",
    place=PlaceRef("siping_depot"),
    ready="02:00",
    arrival="02:25",
    lateness=LATE,
)
OVERTIME = phrase(
    "relax.overtime_part",
    driver="d10",
    vehicle="c05",
    until="21:40",
    past=100,
    incident="7",
    arrival="19:10",
    lateness=LATE,
)
PARTS = (CALL_IN, OVERTIME, phrase("relax.second_driver_part", vehicle="c09", reasons=DRIVERS))
OTHERS: list[Phrase] = [
    RESCUE,
    phrase(
        "plan.rescue",
        vehicle="c02",
        driver="d02",
        source=phrase("plan.passing"),
        at="06:58",
        eta=16,
        limit=phrase("plan.limit_pre", deadline="07:10", min=15),
        tier=TierRef("pre_departure"),
        lateness=phrase("plan.late", min=3),
        taken=8,
        total=30,
        destination=PlaceRef("changchun_hightech"),
        arrival="09:05",
        rests=None,
    ),
    phrase(
        "plan.rescue",
        vehicle="c19",
        driver="d25",
        source=phrase(
            "plan.via",
            origin=PlaceRef("siping_depot"),
            via=Joined((KmPost("11.0", "to_changchun"),), "and"),
        ),
        at="14:49",
        eta=32,
        limit=phrase("plan.limit", min=60),
        tier=TierRef("near_backup"),
        lateness=phrase("plan.in_time"),
        taken=25,
        total=25,
        destination=PlaceRef("changchun_station"),
        arrival="16:17",
        rests=None,
    ),
    phrase("plan.not_reached", left=5, total=40, incident="12"),
    phrase("plan.cover", trip="T1207-PM1", vehicle="c15", driver="d19", shift=phrase("plan.on_time")),
    phrase("plan.cover", trip="T1207-PM2", vehicle="c16", driver="d20", shift=phrase("plan.retimed", min=11)),
    phrase("plan.uncovered", trip="T1207-PM3"),
    phrase("plan.nothing"),
    phrase("plan.on_trip", trip="T1207-AM2"),
    *(
        phrase(f"below.{term}", n=n)
        for term in (
            "passengers_not_reached",
            "late_penalty",
            "passenger_delay_min",
            "trips_uncovered",
            "trips_retimed_min",
            "trips_recrewed",
            "deadhead_km",
            "coverage_lost",
            "rescue_coaches",
        )
        for n in (1, 7)
    ),  # fmt: skip
    phrase("below.another_driver"),
    phrase("below.another_coach"),
    phrase("relax.later_limit", min=35),
    phrase(
        "relax.relay",
        window="02:00–05:00",
        vehicle="c19",
        driver="d28",
        depart="01:40",
        arrival="02:05",
        lateness=phrase("relax.in_time"),
        held="05:25",
    ),
    *(
        phrase(part.key.removesuffix("_part"), n=count, parts=Joined((part,) * count, "and"))
        for part in PARTS
        for count in (1, 2)
    ),
    phrase("relax.split"),
    phrase("relax.closure_exemption", blocked=("c02", "c03")),
    phrase("relax.more_seats", n=42),
    phrase("reason.greedy"),
    phrase("reason.no_plan"),
    phrase("reason.cannot_carry", left=40, total=40, incident="12"),
    phrase("reason.not_in_time", n=8),
    phrase("position.timetable"),
    phrase("position.stale", at="07:12"),
    phrase("unavailable.text", text="外出包车"),
]


def cases() -> list[Phrase]:
    return [said for saids in REJECTIONS.values() for said in saids] + OTHERS


def keys_of(said: Phrase) -> set[str]:
    keys = {said.key}
    for value in said.facts.values():
        for item in value.items if isinstance(value, Joined) else value if isinstance(value, tuple) else (value,):
            if isinstance(item, Phrase):
                keys |= keys_of(item)
    return keys


# --------------------------------------------------------------------------- the tests
def test_every_rejection_code_the_builder_gives_has_its_wordings_here():
    assert set(REJECTIONS) == set(RejectionCode) - NOT_REJECTED


def test_every_template_is_exercised_here():
    exercised = set().union(*(keys_of(said) for said in cases()))
    assert set(TEMPLATES["en"]) - exercised == set()


@pytest.mark.parametrize("code", sorted(REJECTIONS), ids=str)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_rejection_reads_in_both_languages_with_its_facts(code, lang):
    for said in REJECTIONS[code]:
        text = render(said, lang, NAMES)
        assert_clean(text, lang)
        for bit in shown_facts(said, lang):
            assert bit in text, (bit, text)


@pytest.mark.parametrize("said", OTHERS, ids=lambda said: said.key)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_explanation_relaxation_and_reason_reads_in_both_languages(said, lang):
    text = render(said, lang, NAMES)
    assert_clean(text, lang)
    for bit in shown_facts(said, lang):
        assert bit in text, (bit, text)


def test_a_day_before_the_licence_was_issued_reads_as_no_licence_yet_not_as_probation():
    before = phrase("driver_rule", driver="d16", rule=replace(PROBATION, on=date(2026, 5, 30)))
    assert "has no licence yet on 2026-05-30: it is issued on 2026-06-02" in render(before, "en", NAMES)
    assert "在 2026-05-30 尚未取得驾驶证" in render(before, "zh", NAMES)
    during = phrase("driver_rule", driver="d16", rule=replace(PROBATION, on=date(2026, 12, 7)))
    assert "licence was issued on 2026-06-02: in its 12-month probation" in render(during, "en", NAMES)


def test_places_read_by_their_names():
    said = phrase("no_driver", place=PlaceRef("changchun_depot"), vehicle="c05")
    assert render(said, "en", NAMES) == "no legal driver at Changchun service point (high-tech zone) for c05"
    assert render(said, "zh", NAMES) == "长春服务点（高新区）没有可驾驶 c05 的合法司机"


def test_a_carriageway_or_parking_side_is_named_with_its_direction_in_chinese():
    assert NAMES.place("gongzhuling_ic.to_siping", "zh") == "公主岭互通（G1 往四平方向）"
    assert NAMES.place("gongzhuling_sa.to_changchun.parking", "zh") == "公主岭服务区（往长春方向一侧）"
    assert NAMES.place("gongzhuling_sa.to_changchun.parking", "en") == "Gongzhuling service area, toward Changchun side"


def test_tiers_read_as_the_desk_calls_them():
    assert [NAMES.tier(tier, "en") for tier in TIER_IDS] == ["city", "near-backup", "corridor", "pre-departure"]
    assert [NAMES.tier(tier, "zh") for tier in TIER_IDS] == ["市区", "备车附近", "干线中段", "发车前"]


def test_a_closure_names_the_closed_entrances_and_roads():
    conditions = replace(
        CORRIDOR.dataset.conditions_named("clear"),
        closed_entrances=frozenset({"gongzhuling_ic"}),
        closed_edges=frozenset({("siping_depot", "siping_south_jct")}),
    )
    finding = NoRoute(PlaceRef("siping_depot"), SCENE, VehicleClass.COACH_8M, MONDAY.replace(hour=8), conditions)
    english = render(phrase("unreachable", route=finding), "en", NAMES)
    chinese = render(phrase("unreachable", route=finding), "zh", NAMES)
    assert "entrances closed at Gongzhuling interchange" in english and "an 8–9 m coach" in english
    assert "公主岭互通入口封闭" in chinese and "四平服务基地（铁西区）→四平南出口" in chinese
    for text, lang in ((english, "en"), (chinese, "zh")):
        assert_clean(text, lang)


def test_a_text_the_caller_wrote_is_shown_as_given():
    assert unavailable_phrase("out on a charter") == phrase("unavailable.text", text="out on a charter")
    assert render(phrase("busy", who="c21", why=unavailable_phrase("booked by incident 12")), "zh") == (
        "c21：已被事件 12 预订"
    )


def test_a_later_breakdown_is_read_back_with_its_time():
    said = unavailable_phrase("breaks down later, at 2026-12-07 10:00, in incident 13")
    assert said == phrase("unavailable.breaks_down_later", time="2026-12-07 10:00", incident="13")
    assert render(phrase("busy", who="c21", why=said), "en") == (
        "c21: breaks down later, at 2026-12-07 10:00, in incident 13: a plan for this earlier time may still need "
        "it then"
    )
    assert render(phrase("busy", who="c21", why=said), "zh") == (
        "c21：将于 2026-12-07 10:00 在事件 13 中故障（晚于本次上报时间），本方案届时可能仍需用车"
    )


def test_a_spare_space_between_chinese_characters_goes():
    said = phrase("gps", at="07:41", where=PlaceRef("changchun_depot"))
    assert render(said, "zh", NAMES) == "定位 07:41 位于长春服务点（高新区）"
