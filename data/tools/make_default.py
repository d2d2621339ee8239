"""Write the invented tables of the default corridor dataset (``data/default/*.csv``).

Provenance of the committed CSVs: they were written by this script and are kept readable by eye, so
review the CSVs, not only this file. Everything about the fleet, the drivers, their duty logs and the
timetable is **realistic but invented (E)**; only the city coordinates come from DESIGN §2.1 (V).
The special cases the dispatcher must recognise (expired permit, B1 licences, probation year, age
limit, expired qualification, nearly exhausted weekly hours, night driving) are placed on purpose;
names, plates, birth dates and booked passengers are drawn from a seeded generator.

Usage::

    python data/tools/make_default.py [OUT_DIR]     # default: data/default next to this folder

The TOML files and README.md of the dataset are written by hand and are not touched.
"""

from __future__ import annotations

import csv
import random
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

SEED = 20261207
WEEK_START = date(2026, 12, 7)  # Monday of the timetable week
LOG_START = WEEK_START - timedelta(days=7)  # Monday 2026-11-30, first day of the duty log
COMMENT = "# realistic but invented (E) - see README.md; written by data/tools/make_default.py (seed {seed})"

CHANGCHUN = "changchun_depot"
SIPING = "siping_depot"


# --------------------------------------------------------------------------- sites
SITES = [
    # id, name, name_zh, kind, lat, lon, coord_tag
    (
        SIPING,
        "Siping service base (Tiexi)",
        "四平服务基地（铁西区）",
        "depot",
        43.1457,
        124.3448,
        "V district centre (DESIGN 2.1); depot yard itself E",
    ),
    (
        CHANGCHUN,
        "Changchun service point (high-tech zone)",
        "长春服务点（高新区）",
        "depot",
        43.826,
        125.268,
        "E +-1 km (DESIGN 2.1)",
    ),
    # Service areas: the same estimated position as their node in network/g1_posts.csv.
    (
        "taojiatun_sa",
        "Taojiatun service area (G1)",
        "陶家屯服务区",
        "service_area",
        43.4231,
        124.7368,
        "E as network node (G1 K45)",
    ),
    (
        "gongzhuling_sa",
        "Gongzhuling service area (G1)",
        "公主岭服务区",
        "service_area",
        43.5267,
        124.8857,
        "E as network node (G1 K62)",
    ),
    (
        "kaoshantun_sa",
        "Kaoshantun service area (G1)",
        "靠山屯服务区",
        "service_area",
        43.7573,
        125.217,
        "E as network node (G1 K100)",
    ),
]


# --------------------------------------------------------------------------- vehicles
@dataclass(frozen=True)
class CoachSpec:
    vehicle_class: str
    seats: int
    length_m: float
    commissioned: str
    depot: str
    status: str
    note: str = ""
    permit_valid_until: str = ""  # empty: drawn


# Listed in id order: c01–c14 stand in Changchun, c15–c26 in Siping.
COACHES = [
    CoachSpec("coach_12m", 53, 12.0, "2019-04-12", CHANGCHUN, "in_service", "staff runs AM1/PM1"),
    CoachSpec("coach_12m", 51, 12.0, "2017-08-30", CHANGCHUN, "in_service", "staff runs AM2/PM2"),
    CoachSpec("coach_10m", 45, 10.5, "2021-05-18", CHANGCHUN, "in_service", "staff runs AM3/PM3"),
    CoachSpec("coach_8m", 33, 8.7, "2020-03-09", CHANGCHUN, "in_service", "staff runs AM4/PM4"),
    CoachSpec("coach_12m", 55, 12.0, "2018-06-01", CHANGCHUN, "in_service", "Sunday student run SU1"),
    CoachSpec("coach_12m", 53, 12.0, "2016-09-15", CHANGCHUN, "in_service", "Sunday student run SU2"),
    CoachSpec("coach_12m", 51, 12.0, "2022-03-20", CHANGCHUN, "in_service", "Sunday student run SU3"),
    CoachSpec("coach_10m", 45, 10.7, "2023-07-11", CHANGCHUN, "in_service", "Sunday student run SU4"),
    CoachSpec(
        "coach_12m",
        53,
        12.0,
        "2014-11-20",
        CHANGCHUN,
        "standby",
        "backup; 12 years old; permit ends mid-week",
        "2026-12-10",
    ),
    CoachSpec("coach_10m", 43, 10.5, "2020-10-05", CHANGCHUN, "standby", "backup"),
    CoachSpec("coach_10m", 41, 10.4, "2015-05-22", CHANGCHUN, "standby", "backup"),
    CoachSpec("coach_8m", 35, 8.9, "2024-04-16", CHANGCHUN, "standby", "backup"),
    CoachSpec("minibus_7m", 19, 7.0, "2025-06-30", CHANGCHUN, "standby", "backup; 19-seat minibus"),
    CoachSpec("coach_12m", 49, 12.0, "2012-12-20", CHANGCHUN, "workshop", "gearbox overhaul"),
    CoachSpec("coach_12m", 55, 12.0, "2020-09-01", SIPING, "in_service", "Friday student run FR1"),
    CoachSpec("coach_12m", 53, 12.0, "2019-02-25", SIPING, "in_service", "Friday student run FR2"),
    CoachSpec("coach_12m", 51, 12.0, "2016-05-10", SIPING, "in_service", "Friday student run FR3"),
    CoachSpec("coach_10m", 45, 10.5, "2021-11-08", SIPING, "in_service", "Friday student run FR4"),
    CoachSpec("coach_12m", 53, 12.0, "2018-03-14", SIPING, "standby", "backup"),
    CoachSpec(
        "coach_12m",
        55,
        12.0,
        "2013-07-02",
        SIPING,
        "standby",
        "backup; charter permit expired - not usable",
        "2026-11-30",
    ),
    CoachSpec("coach_12m", 49, 12.0, "2013-01-08", SIPING, "standby", "backup; oldest coach"),
    CoachSpec("coach_10m", 39, 10.2, "2017-01-19", SIPING, "standby", "backup"),
    CoachSpec("coach_8m", 33, 8.5, "2022-08-23", SIPING, "standby", "backup"),
    CoachSpec("minibus_7m", 19, 7.0, "2023-10-12", SIPING, "standby", "backup; 19-seat minibus"),
    CoachSpec("coach_10m", 45, 10.5, "2014-02-27", SIPING, "workshop", "engine repair"),
    CoachSpec("coach_8m", 24, 8.0, "2025-01-15", SIPING, "workshop", "body repair after a minor accident"),
]
PLATE_PREFIX = {CHANGCHUN: "吉A·", SIPING: "吉C·"}  # Changchun plates 吉A, Siping 吉C
PLATE_LETTERS = "BCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on Chinese plates


# --------------------------------------------------------------------------- drivers
@dataclass(frozen=True)
class DriverSpec:
    depot: str
    shift: tuple[str, str]
    licence_class: str = "A1"
    licence_issued: str = ""  # empty: drawn, at least 3 years ago
    birth_date: str = ""  # empty: drawn, aged 32–58
    qualified_until: str = ""  # empty: drawn, valid; "-": holds none
    note: str = ""


DAY_SHIFT = ("07:00", "19:00")
EARLY_SHIFT = ("06:00", "18:00")
STAFF_SHIFT = ("05:30", "20:00")  # split duty around the morning and evening staff runs
STUDENT_SHIFT = ("08:00", "20:00")

# d01–d18 in Changchun, d19–d36 in Siping.
DRIVERS = [
    DriverSpec(CHANGCHUN, STAFF_SHIFT, note="staff runs AM1/PM1 with c01"),
    DriverSpec(CHANGCHUN, STAFF_SHIFT, note="staff runs AM2/PM2 with c02; Saturday charter last week"),
    DriverSpec(CHANGCHUN, STAFF_SHIFT, note="staff runs AM3/PM3 with c03"),
    DriverSpec(CHANGCHUN, STAFF_SHIFT, note="staff runs AM4/PM4 with c04; off sick one day last week"),
    DriverSpec(CHANGCHUN, STUDENT_SHIFT, note="Sunday run SU1 with c05"),
    DriverSpec(CHANGCHUN, STUDENT_SHIFT, note="Sunday run SU2 with c06; busy last week"),
    DriverSpec(CHANGCHUN, STUDENT_SHIFT, note="Sunday run SU3 with c07"),
    DriverSpec(CHANGCHUN, STUDENT_SHIFT, note="Sunday run SU4 with c08"),
    DriverSpec(CHANGCHUN, EARLY_SHIFT, note="standby; about 41 h driven in the last 7 days"),
    DriverSpec(CHANGCHUN, DAY_SHIFT, note="standby"),
    DriverSpec(CHANGCHUN, DAY_SHIFT, note="standby; fresh after days off"),
    DriverSpec(CHANGCHUN, ("12:00", "22:00"), note="standby; late day shift"),
    DriverSpec(CHANGCHUN, ("18:00", "06:00"), note="evening and night standby"),
    DriverSpec(CHANGCHUN, ("22:00", "08:00"), note="night standby; drove nights last week"),
    DriverSpec(CHANGCHUN, DAY_SHIFT, licence_class="B1", note="B1 licence: may not drive these coaches"),
    DriverSpec(CHANGCHUN, DAY_SHIFT, licence_issued="2026-06-02", note="A1 in probation year until 2027-06-02"),
    DriverSpec(CHANGCHUN, DAY_SHIFT, birth_date="1966-12-10", note="aged 59; turns 60 on 2026-12-10"),
    DriverSpec(CHANGCHUN, DAY_SHIFT, birth_date="1965-05-03", note="aged 61: over the age limit; still listed"),
    DriverSpec(SIPING, STUDENT_SHIFT, note="Friday run FR1 with c15"),
    DriverSpec(SIPING, STUDENT_SHIFT, note="Friday run FR2 with c16"),
    DriverSpec(SIPING, STUDENT_SHIFT, note="Friday run FR3 with c17"),
    DriverSpec(SIPING, STUDENT_SHIFT, note="Friday run FR4 with c18"),
    DriverSpec(SIPING, DAY_SHIFT, note="standby"),
    DriverSpec(SIPING, EARLY_SHIFT, note="standby; about 43 h driven in the last 7 days"),
    DriverSpec(SIPING, DAY_SHIFT, note="standby"),
    DriverSpec(SIPING, DAY_SHIFT, note="standby; fresh after days off"),
    DriverSpec(SIPING, DAY_SHIFT, note="standby; weekend charter last week"),
    DriverSpec(SIPING, ("16:00", "02:00"), note="evening standby"),
    DriverSpec(SIPING, DAY_SHIFT, licence_class="B1", note="B1 licence: may not drive these coaches"),
    DriverSpec(SIPING, DAY_SHIFT, licence_class="B1", note="B1 licence: may not drive these coaches"),
    DriverSpec(SIPING, DAY_SHIFT, licence_issued="2026-03-18", note="A1 in probation year until 2027-03-18"),
    DriverSpec(SIPING, DAY_SHIFT, licence_issued="2025-12-09", note="A1 probation year ends 2026-12-09"),
    DriverSpec(SIPING, DAY_SHIFT, qualified_until="2026-11-15", note="qualification certificate expired"),
    DriverSpec(SIPING, DAY_SHIFT, licence_issued="2026-09-20", note="A1 in probation year until 2027-09-20"),
    DriverSpec(SIPING, DAY_SHIFT, note="standby"),
    DriverSpec(SIPING, EARLY_SHIFT, note="standby"),
]
# Mobile prefixes of the three carriers (China Mobile 13x/15x/18x, Unicom, Telecom); the numbers are
# drawn from a generator of their own, so that adding them left every other drawn value as it was.
MOBILE_PREFIXES = ("130", "131", "132", "135", "136", "138", "139", "150", "151", "155", "158", "180", "186", "189")
PHONE_SEED = SEED + 1

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN_NAMES = [
    "建国",
    "志强",
    "海峰",
    "国庆",
    "立新",
    "春雷",
    "振华",
    "永刚",
    "德胜",
    "长春",
    "铁军",
    "宏伟",
    "文博",
    "明辉",
    "凤山",
    "庆丰",
    "晓东",
    "金龙",
    "玉林",
    "树林",
    "福生",
    "卫东",
    "红军",
    "宝山",
    "丽华",
    "秀英",
    "淑珍",
    "春燕",
    "海燕",
    "桂兰",
    "亚楠",
    "雪梅",
    "冬梅",
    "国华",
    "俊杰",
    "学军",
    "志刚",
    "大勇",
    "二虎",
    "景山",
]


# --------------------------------------------------------------------------- duty log of the week before
Block = tuple[str, str, str]  # start HH:MM, end HH:MM (earlier than start: next day), activity
STAFF_DAY: list[Block] = [
    ("05:45", "06:10", "other"),
    ("06:10", "08:40", "drive"),
    ("08:40", "17:00", "rest"),
    ("17:00", "17:15", "other"),
    ("17:15", "19:25", "drive"),
]
SUNDAY_RUN: list[Block] = [
    ("13:20", "13:50", "drive"),
    ("13:50", "14:00", "other"),
    ("14:00", "16:10", "drive"),
    ("16:10", "16:40", "rest"),
    ("16:40", "18:40", "drive"),
]
FRIDAY_RUN: list[Block] = [
    ("13:30", "13:50", "other"),
    ("14:00", "16:10", "drive"),
    ("16:10", "16:50", "rest"),
    ("16:50", "19:00", "drive"),
]
SPLIT_DAY: list[Block] = [("08:00", "11:30", "drive"), ("11:30", "12:30", "rest"), ("12:30", "15:00", "drive")]
NIGHT_RUN: list[Block] = [("22:30", "00:30", "drive"), ("00:30", "01:00", "rest"), ("01:00", "01:50", "drive")]
TRAINING_DAY: list[Block] = [("08:00", "16:00", "other")]
WEEKDAYS = range(0, 5)  # offsets from LOG_START: Mon 11-30 … Fri 12-04
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

# driver number → list of (day offsets, blocks)
DUTY: dict[int, list[tuple[range | tuple[int, ...], list[Block]]]] = {
    1: [(WEEKDAYS, STAFF_DAY)],
    2: [
        (WEEKDAYS, STAFF_DAY),
        ((SAT,), [("09:00", "12:00", "drive"), ("12:00", "13:00", "rest"), ("13:00", "15:30", "drive")]),
    ],
    3: [(WEEKDAYS, STAFF_DAY)],
    4: [((MON, TUE, THU, FRI), STAFF_DAY)],
    5: [((TUE, THU), SPLIT_DAY), ((SUN,), SUNDAY_RUN)],
    6: [
        (range(0, 6), [("07:00", "10:00", "drive"), ("10:00", "10:30", "rest"), ("10:30", "13:30", "drive")]),
        ((SUN,), SUNDAY_RUN),
    ],
    7: [
        ((SAT,), [("07:00", "10:30", "drive"), ("10:30", "16:00", "other"), ("16:00", "19:30", "drive")]),
        ((SUN,), SUNDAY_RUN),
    ],
    8: [((SUN,), SUNDAY_RUN)],
    9: [
        (WEEKDAYS, [("06:30", "10:30", "drive"), ("10:30", "11:00", "rest"), ("11:00", "14:30", "drive")]),
        ((SAT,), [("08:00", "12:00", "drive")]),
    ],
    10: [((MON, WED, FRI), [("09:00", "12:00", "drive"), ("12:00", "14:00", "rest"), ("14:00", "17:00", "drive")])],
    12: [((TUE, THU, SAT), [("13:00", "16:30", "drive"), ("16:30", "17:00", "rest"), ("17:00", "20:30", "drive")])],
    13: [
        ((WED,), [("19:00", "21:30", "drive")]),
        ((FRI,), [("20:00", "21:45", "drive"), ("21:45", "22:15", "rest"), ("22:15", "23:45", "drive")]),
    ],
    14: [((MON, WED, FRI, SAT), NIGHT_RUN), ((SUN,), [("22:00", "23:50", "drive")])],
    15: [(WEEKDAYS, [("08:00", "11:00", "drive")])],
    16: [(WEEKDAYS, TRAINING_DAY)],
    17: [((TUE, FRI), SPLIT_DAY)],
    18: [((MON, TUE, WED), TRAINING_DAY)],
    19: [((MON, TUE, WED, THU), [("08:00", "11:00", "drive")]), ((FRI,), FRIDAY_RUN)],
    20: [
        ((FRI,), FRIDAY_RUN),
        ((SAT,), [("10:00", "12:00", "drive"), ("12:00", "13:00", "rest"), ("13:00", "15:00", "drive")]),
    ],
    21: [((FRI,), FRIDAY_RUN)],
    22: [
        ((TUE, WED), [("07:30", "11:30", "drive"), ("11:30", "12:00", "rest"), ("12:00", "15:30", "drive")]),
        ((FRI,), FRIDAY_RUN),
    ],
    23: [((MON, TUE, WED), [("09:00", "12:30", "drive")])],
    24: [(range(0, 6), [("06:00", "09:30", "drive"), ("09:30", "10:00", "rest"), ("10:00", "13:40", "drive")])],
    25: [((THU, FRI), [("14:00", "17:30", "drive")])],
    27: [
        ((SAT,), [("07:00", "10:30", "drive"), ("10:30", "15:00", "rest"), ("15:00", "18:30", "drive")]),
        ((SUN,), [("07:00", "10:30", "drive")]),
    ],
    28: [((MON, THU), [("18:00", "21:00", "drive")]), ((SAT,), [("22:30", "00:20", "drive")])],
    29: [(WEEKDAYS, [("07:30", "10:30", "drive")])],
    30: [((WED,), [("08:00", "12:00", "drive")])],
    31: [(WEEKDAYS, [("08:00", "17:00", "other")])],
    32: [((TUE, THU), TRAINING_DAY)],
    33: [((MON,), [("08:00", "12:00", "other")])],
    35: [((MON, WED, FRI), [("08:30", "12:00", "drive"), ("12:00", "13:00", "rest"), ("13:00", "16:30", "drive")])],
    36: [((TUE, WED, THU, FRI, SAT), [("06:30", "09:00", "drive")])],
}


# --------------------------------------------------------------------------- timetable of the week
@dataclass(frozen=True)
class RunSpec:
    code: str
    kind: str
    vehicle: int
    driver: int
    stops: tuple[tuple[str, str], ...]  # (node id, HH:MM)
    booked: tuple[int, int]  # range to draw booked passengers from
    signed_extra: tuple[int, ...] = ()  # a second driver on the charter sign, on some days


STAFF_MORNING = [
    RunSpec(
        "AM1",
        "staff_morning",
        1,
        1,
        (
            ("changchun_station", "06:15"),
            ("changchun_gov", "06:30"),
            ("changchun_hightech", "06:45"),
            ("jlnu_siping_campus", "08:35"),
        ),
        (40, 50),
    ),
    RunSpec(
        "AM2",
        "staff_morning",
        2,
        2,
        (("changchun_gov", "06:25"), ("changchun_hightech", "06:40"), ("jlnu_siping_campus", "08:30")),
        (34, 46),
    ),
    RunSpec(
        "AM3",
        "staff_morning",
        3,
        3,
        (("changchun_station", "06:20"), ("changchun_hightech", "06:50"), ("jlnu_siping_campus", "08:40")),
        (30, 42),
    ),
    RunSpec("AM4", "staff_morning", 4, 4, (("changchun_hightech", "06:55"), ("jlnu_siping_campus", "08:45")), (25, 31)),
]
STAFF_EVENING = [
    RunSpec(
        "PM1",
        "staff_evening",
        1,
        1,
        (
            ("jlnu_siping_campus", "17:15"),
            ("changchun_hightech", "19:00"),
            ("changchun_gov", "19:15"),
            ("changchun_station", "19:25"),
        ),
        (38, 50),
    ),
    RunSpec(
        "PM2",
        "staff_evening",
        2,
        2,
        (("jlnu_siping_campus", "17:15"), ("changchun_hightech", "19:00"), ("changchun_gov", "19:15")),
        (32, 46),
    ),
    RunSpec(
        "PM3",
        "staff_evening",
        3,
        3,
        (("jlnu_siping_campus", "17:20"), ("changchun_hightech", "19:05"), ("changchun_station", "19:30")),
        (28, 42),
    ),
    RunSpec("PM4", "staff_evening", 4, 4, (("jlnu_siping_campus", "17:30"), ("changchun_hightech", "19:15")), (25, 31)),
]
FRIDAY_STUDENTS = [
    RunSpec(
        "FR1",
        "student_friday",
        15,
        19,
        (("jlnu_siping_campus", "14:00"), ("changchun_station", "16:05")),
        (54, 55),
        signed_extra=(23,),
    ),
    RunSpec(
        "FR2",
        "student_friday",
        16,
        20,
        (("jlnu_siping_campus", "14:00"), ("changchun_hightech", "15:50"), ("changchun_station", "16:20")),
        (50, 53),
    ),
    RunSpec(
        "FR3",
        "student_friday",
        17,
        21,
        (
            ("jlnu_siping_campus", "14:30"),
            ("siping_station", "14:45"),
            ("changchun_gov", "16:40"),
            ("changchun_station", "16:50"),
        ),
        (48, 51),
    ),
    RunSpec(
        "FR4",
        "student_friday",
        18,
        22,
        (("jlnu_siping_campus", "15:00"), ("changchun_hightech", "16:50"), ("changchun_station", "17:20")),
        (42, 45),
    ),
]
SUNDAY_STUDENTS = [
    RunSpec(
        "SU1",
        "student_sunday",
        5,
        5,
        (("changchun_station", "14:00"), ("changchun_hightech", "14:30"), ("jlnu_siping_campus", "16:15")),
        (53, 55),
        signed_extra=(10,),
    ),
    RunSpec("SU2", "student_sunday", 6, 6, (("changchun_station", "14:00"), ("jlnu_siping_campus", "16:05")), (50, 53)),
    RunSpec(
        "SU3",
        "student_sunday",
        7,
        7,
        (("changchun_gov", "14:30"), ("changchun_hightech", "14:50"), ("jlnu_siping_campus", "16:40")),
        (48, 51),
    ),
    RunSpec("SU4", "student_sunday", 8, 8, (("changchun_station", "15:00"), ("jlnu_siping_campus", "17:05")), (42, 45)),
]
SECOND_SIGNED_STAFF = {(2, 2): 11}  # Wednesday AM2/PM2 carry a relief driver on the sign


# --------------------------------------------------------------------------- contacts
# Whom the desk's messages go to besides the drivers. The university's transport offices serve the
# campus stop of their city (in Changchun the high-tech zone staff stop); their landlines
# carry the city's area code (Siping 0434 + 7 digits, Changchun 0431 + 8). 12122 is the national
# expressway emergency line (V); every other number is invented (E).
CONTACTS = [
    {
        "id": "jlnu_siping_transport",
        "role": "university_transport_office",
        "name": "JLNU Siping campus transport office",
        "name_zh": "吉林师范大学四平校区交通服务办公室",
        "phone": "04343290512",
        "node_id": "jlnu_siping_campus",
        "note": "E",
    },
    {
        "id": "jlnu_changchun_transport",
        "role": "university_transport_office",
        "name": "JLNU Changchun campus transport office",
        "name_zh": "吉林师范大学长春校区交通服务办公室",
        "phone": "043181930274",
        "node_id": "changchun_hightech",
        "note": "E; its stop is the high-tech zone staff stop",
    },
    {
        "id": "duty_manager",
        "role": "duty_manager",
        "name": "Operator duty manager (24 h)",
        "name_zh": "运营方值班经理（24小时）",
        "phone": "13904348866",
        "node_id": "",
        "note": "E",
    },
    {
        "id": "highway_police",
        "role": "highway_police",
        "name": "Expressway traffic police",
        "name_zh": "高速交警",
        "phone": "12122",
        "node_id": "",
        "note": "V: the national expressway emergency line",
    },
]


# --------------------------------------------------------------------------- writing
def vehicle_rows(rng: random.Random) -> list[dict[str, object]]:
    plates: set[str] = set()
    rows = []
    for number, spec in enumerate(COACHES, start=1):
        plate = _unique_plate(rng, PLATE_PREFIX[spec.depot], plates)
        permit = spec.permit_valid_until or _random_day(rng, date(2027, 3, 1), date(2029, 12, 31)).isoformat()
        rows.append(
            {
                "id": f"c{number:02d}",
                "plate": plate,
                "class": spec.vehicle_class,
                "seats": spec.seats,
                "length_m": spec.length_m,
                "commissioned": spec.commissioned,
                "home_depot": spec.depot,
                "status": spec.status,
                "permit_valid_until": permit,
                # the SIM of its positioning terminal (JT/T 808), invented (E): 1380431 + the coach number
                "terminal_phone": f"1380431{number:04d}",
                "note": spec.note,
            }
        )
    return rows


def driver_rows(rng: random.Random) -> list[dict[str, object]]:
    names: set[str] = set()
    phones = _mobile_numbers(len(DRIVERS))
    rows = []
    for number, spec in enumerate(DRIVERS, start=1):
        birth = (
            date.fromisoformat(spec.birth_date)
            if spec.birth_date
            else _random_day(rng, date(1968, 1, 1), date(1994, 6, 30))
        )
        issued = (
            spec.licence_issued
            or _random_day(rng, _years_after(birth, 26), min(_years_after(birth, 34), date(2023, 6, 30))).isoformat()
        )
        qualified = _qualified_until(rng, spec.qualified_until)
        rows.append(
            {
                "id": f"d{number:02d}",
                "name": _unique_name(rng, names),
                "licence_class": spec.licence_class,
                "licence_issued": issued,
                "birth_date": birth.isoformat(),
                "qualified_until": qualified,
                "home_depot": spec.depot,
                "shift_start": spec.shift[0],
                "shift_end": spec.shift[1],
                "phone": phones[number - 1],
                "note": spec.note,
            }
        )
    return rows


def duty_rows() -> list[dict[str, object]]:
    rows = []
    for number in sorted(DUTY):
        intervals = []
        for days, blocks in DUTY[number]:
            for offset in days:
                day = LOG_START + timedelta(days=offset)
                intervals += _pattern_intervals(day, blocks)
        for start, end, activity in sorted(intervals):
            rows.append({"driver_id": f"d{number:02d}", "start": _iso(start), "end": _iso(end), "activity": activity})
    return rows


def trip_rows(rng: random.Random) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    trips, stops = [], []
    for offset in range(7):
        day = WEEK_START + timedelta(days=offset)
        for spec in _runs_of(offset):
            trip_id = f"T{day:%m%d}-{spec.code}"
            extra = spec.signed_extra or (
                (SECOND_SIGNED_STAFF[(offset, spec.vehicle)],) if (offset, spec.vehicle) in SECOND_SIGNED_STAFF else ()
            )
            signed = ";".join(f"d{n:02d}" for n in (spec.driver, *extra))
            booked = rng.randint(*spec.booked)
            trips.append(
                {
                    "id": trip_id,
                    "day": day.isoformat(),
                    "kind": spec.kind,
                    "vehicle_id": f"c{spec.vehicle:02d}",
                    "driver_id": f"d{spec.driver:02d}",
                    "booked_passengers": booked,
                    "signed_driver_ids": signed,
                }
            )
            stops += [
                {"trip_id": trip_id, "seq": seq, "node_id": node, "planned": f"{day.isoformat()}T{clock}"}
                for seq, (node, clock) in enumerate(spec.stops, start=1)
            ]
    return trips, stops


def write_all(out_dir: Path) -> None:
    """Write every generated CSV of the default dataset into ``out_dir``."""
    rng = random.Random(SEED)
    trips, stops = trip_rows(rng)
    tables = {
        "sites.csv": [
            dict(
                zip(
                    ("id", "name", "name_zh", "kind", "node_id", "lat", "lon", "coord_tag"),
                    (s[0], s[1], s[2], s[3], s[0], s[4], s[5], s[6]),
                )
            )
            for s in SITES
        ],
        "vehicles.csv": vehicle_rows(rng),
        "drivers.csv": driver_rows(rng),
        "duty_log.csv": duty_rows(),
        "trips.csv": trips,
        "trip_stops.csv": stops,
        "contacts.csv": CONTACTS,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        _write_csv(out_dir / name, rows)


def _runs_of(offset: int) -> list[RunSpec]:
    runs = []
    if offset in WEEKDAYS:
        runs += STAFF_MORNING
    if offset == FRI:
        runs += FRIDAY_STUDENTS
    if offset in WEEKDAYS:
        runs += STAFF_EVENING
    if offset == SUN:
        runs += SUNDAY_STUDENTS
    return runs


def _write_csv(path: Path, rows: list[dict[str, object]]) -> None:
    # The comment goes right under the header: fleetplan.tables reads line 1 as the header.
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        handle.write(COMMENT.format(seed=SEED) + "\n")
        writer.writerows(rows)


def _pattern_intervals(day: date, blocks: list[Block]) -> list[tuple[datetime, datetime, str]]:
    """Blocks of one duty pattern starting on ``day``; a block starting earlier than the one
    before it belongs to the next day (night work past midnight)."""
    intervals = []
    previous: datetime | None = None
    for start_clock, end_clock, activity in blocks:
        start = datetime.combine(day, datetime.strptime(start_clock, "%H:%M").time())
        while previous is not None and start < previous:
            start += timedelta(days=1)
        end = datetime.combine(start.date(), datetime.strptime(end_clock, "%H:%M").time())
        if end <= start:  # runs past midnight
            end += timedelta(days=1)
        intervals.append((start, end, activity))
        previous = end
    return intervals


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def _qualified_until(rng: random.Random, given: str) -> str:
    if given == "-":
        return ""
    return given or _random_day(rng, date(2027, 2, 1), date(2031, 12, 31)).isoformat()


def _random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _years_after(day: date, years: int) -> date:
    return day.replace(year=day.year + years, day=min(day.day, 28))


def _unique_plate(rng: random.Random, prefix: str, taken: set[str]) -> str:
    while True:
        plate = f"{prefix}{rng.choice(PLATE_LETTERS)}{rng.randint(0, 9999):04d}"
        if plate not in taken:
            taken.add(plate)
            return plate


def _mobile_numbers(count: int) -> list[str]:
    """``count`` distinct invented mobile numbers: a carrier prefix and eight drawn digits."""
    rng = random.Random(PHONE_SEED)
    numbers: list[str] = []
    while len(numbers) < count:
        number = rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"
        if number not in numbers:
            numbers.append(number)
    return numbers


def _unique_name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
        if name not in taken:
            taken.add(name)
            return name


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "default"
    write_all(target)
    print(f"wrote the default dataset tables to {target}")
