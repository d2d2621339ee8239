"""The table of driver-rule cases: for every rule a passing and a failing case from the regulations.

Each case names the rule source. Times are on Wednesday 2025-03-12 (``DAY``) unless said otherwise;
the standard driver (A1, licence of 2010, born 1980, qualified to 2030) and the standard 12 m coach
pass every personal rule, so each case changes only what it tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from fleetplan.model import (
    Activity,
    Driver,
    DrivingPolicy,
    DutyInterval,
    LicenceClass,
    OvernightRule,
    Vehicle,
    VehicleClass,
    VehicleStatus,
)
from fleetplan.rules import ProposedDrive, RuleCode

DAY = date(2025, 3, 12)
KM = 1000

DRIVER = Driver(
    id="D01",
    name="Wang Lei",
    licence_class=LicenceClass.A1,
    licence_issued=date(2010, 5, 1),
    birth_date=date(1980, 7, 1),
    qualified_until=date(2030, 1, 1),
    home_depot="siping",
    shift_start=time(0, 0),
    shift_end=time(23, 59),
)
COACH = Vehicle(
    id="V01",
    plate="吉C·K1234",
    vehicle_class=VehicleClass.COACH_12M,
    seats=49,
    length_m=12.0,
    commissioned=date(2020, 1, 1),
    home_depot="siping",
    status=VehicleStatus.STANDBY,
    permit_valid_until=date(2030, 1, 1),
)
MINIBUS_7M_19 = replace(
    COACH, id="V02", plate="吉C·M0719", vehicle_class=VehicleClass.MINIBUS_7M, seats=19, length_m=7.0
)
BUS_59_15 = replace(COACH, id="V03", plate="吉C·B5915", vehicle_class=VehicleClass.MINIBUS_7M, seats=15, length_m=5.9)
BUS_59_19 = replace(BUS_59_15, id="V04", plate="吉C·B5919", seats=19)
B1_DRIVER = replace(DRIVER, id="D02", licence_class=LicenceClass.B1)

POLICY = DrivingPolicy()
ENFORCE = replace(POLICY, overnight_rule=OvernightRule.ENFORCE)
SHORT_100 = replace(POLICY, overnight_rule=OvernightRule.EXEMPT_SHORT_100KM)
COMMUTER_200 = replace(POLICY, overnight_rule=OvernightRule.EXEMPT_COMMUTER_200KM)


def at(clock: str, day: date = DAY, plus_days: int = 0) -> datetime:
    """``at("08:30")`` on ``day`` (+ ``plus_days``)."""
    hours, minutes = map(int, clock.split(":"))
    return datetime.combine(day + timedelta(days=plus_days), time(hours, minutes))


def span(
    start: str, end: str, activity: Activity = Activity.DRIVE, plus_days: int = 0, driver_id: str = "D01"
) -> DutyInterval:
    """A log interval on ``DAY`` (+ ``plus_days``); an ``end`` before ``start`` runs past midnight."""
    begin, finish = at(start, plus_days=plus_days), at(end, plus_days=plus_days)
    if finish <= begin:
        finish += timedelta(days=1)
    return DutyInterval(driver_id, begin, finish, activity)


def drive(
    start: str, minutes: int, plus_days: int = 0, distance_km: float | None = None, commuter: bool = False
) -> ProposedDrive:
    distance_m = None if distance_km is None else distance_km * KM
    return ProposedDrive(at(start, plus_days=plus_days), minutes * 60, distance_m, commuter)


def working_week(days: int, pattern: tuple[tuple[str, str], ...]) -> tuple[DutyInterval, ...]:
    """The same drives on each of the ``days`` days before ``DAY``."""
    return tuple(span(a, b, plus_days=-offset) for offset in range(days, 0, -1) for a, b in pattern)


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    drive: ProposedDrive
    expected: frozenset[RuleCode]
    log: tuple[DutyInterval, ...] = ()
    driver: Driver = DRIVER
    vehicle: Vehicle = COACH
    policy: DrivingPolicy = field(default=POLICY)


def case(
    id: str, source: str, drive: ProposedDrive, expected: set[RuleCode] | frozenset = frozenset(), **kwargs
) -> Case:
    log = tuple(kwargs.pop("log", ()))
    return Case(id, source, drive, frozenset(expected), log, **kwargs)


C = RuleCode
ART38 = "道路旅客运输企业安全管理规范 (2018) Art. 38"

# Seven hours a day for six days: 42 h in the week before DAY, leaving 2 h for the 7-day limit.
SIX_DAYS_OF_7H = working_week(6, (("06:00", "10:00"), ("10:30", "13:30")))
# Yesterday 7 h 30 min: 10:00–14:00 and 14:30–18:00.
YESTERDAY_7H30 = (span("10:00", "14:00", plus_days=-1), span("14:30", "18:00", plus_days=-1))

CASES: tuple[Case, ...] = (
    # ---- continuous driving by day: Art. 38 / 实施条例 Art. 62(7): ≤4 h by day
    case("day-4h-exact-legal", f"{ART38}: 4 h by day", drive("08:00", 240)),
    case("day-4h01-illegal", f"{ART38}: 4 h by day", drive("08:00", 241), {C.CONTINUOUS_DAY}),
    case(
        "day-logged-3h-plus-1h-legal",
        f"{ART38}: 4 h by day, back to back",
        drive("11:00", 60),
        log=[span("08:00", "11:00")],
    ),
    case(
        "day-logged-3h50-plus-40min-illegal",
        f"{ART38}: 4 h by day",
        drive("11:50", 40),
        {C.CONTINUOUS_DAY},
        log=[span("08:00", "11:50")],
    ),
    # ---- rests: Art. 38: each rest ≥20 min; shorter breaks do not end continuous driving
    case(
        "rest-19min-does-not-reset",
        f"{ART38}: rest ≥20 min",
        drive("11:19", 90),
        {C.CONTINUOUS_DAY, C.REST_TOO_SHORT},
        log=[span("08:00", "11:00")],
    ),
    case("rest-20min-resets", f"{ART38}: rest ≥20 min", drive("11:20", 90), log=[span("08:00", "11:00")]),
    case(
        "rest-logged-rest-and-gap-add-up",
        f"{ART38}: rest ≥20 min (10 min logged + 10 min off duty)",
        drive("11:20", 90),
        log=[span("08:00", "11:00"), span("11:00", "11:10", Activity.REST)],
    ),
    case(
        "rest-other-duty-is-not-rest",
        f"{ART38}: rest ≥20 min (loading is work, not rest)",
        drive("11:30", 90),
        {C.CONTINUOUS_DAY},
        log=[span("08:00", "11:00"), span("11:00", "11:30", Activity.OTHER)],
    ),
    case(
        "rest-short-break-before-next-duty",
        f"{ART38}: rest ≥20 min, after the drive too",
        drive("08:00", 120),
        {C.CONTINUOUS_DAY, C.REST_TOO_SHORT},
        log=[span("10:10", "12:30")],
    ),
    # ---- continuous driving at night (22:00–06:00): Art. 38: ≤2 h at night
    case("night-2h-exact-legal", f"{ART38}: 2 h at night", drive("22:00", 120)),
    case("night-2h01-illegal", f"{ART38}: 2 h at night", drive("22:00", 121), {C.CONTINUOUS_NIGHT}),
    case("night-mixed-pro-rata-exact-legal", f"{ART38}: 2 h by day + 1 h at night = 2/4 + 1/2", drive("20:00", 180)),
    case(
        "night-mixed-pro-rata-illegal",
        f"{ART38}: 2 h by day + 1 h 1 min at night > 1",
        drive("20:00", 181),
        {C.CONTINUOUS_NIGHT},
    ),
    # ---- 8 h in any 24 h: Art. 38, rolling across midnight
    case(
        "24h-rolling-across-midnight-illegal",
        f"{ART38}: 8 h in any 24 h (7 h 30 min yesterday + 1 h)",
        drive("08:00", 60),
        {C.DAILY_8H},
        log=YESTERDAY_7H30,
    ),
    case(
        "24h-rolling-after-old-driving-left-legal",
        f"{ART38}: 8 h in any 24 h (30 min left the window)",
        drive("09:30", 60),
        log=YESTERDAY_7H30,
    ),
    # ---- 44 h in any 7 days: Art. 38
    case("7d-44h-exact-legal", f"{ART38}: 44 h in any 7 days (42 h + 2 h)", drive("06:00", 120), log=SIX_DAYS_OF_7H),
    case(
        "7d-44h30-illegal",
        f"{ART38}: 44 h in any 7 days (42 h + 2 h 30 min)",
        drive("06:00", 150),
        {C.WEEKLY_44H},
        log=SIX_DAYS_OF_7H,
    ),
    # ---- 02:00–05:00 stop, a policy switch: 规范 (2018); 交运规〔2023〕2号 Art. 32
    case(
        "overnight-enforce-illegal",
        "规范 (2018): stop 02:00–05:00 (enforced for every trip)",
        drive("01:00", 120, distance_km=50),
        {C.OVERNIGHT_STOP},
        policy=ENFORCE,
    ),
    case("overnight-enforce-ends-at-0200-legal", "规范 (2018): stop 02:00–05:00", drive("00:00", 120), policy=ENFORCE),
    case("overnight-enforce-starts-at-0500-legal", "规范 (2018): stop 02:00–05:00", drive("05:00", 60), policy=ENFORCE),
    case(
        "overnight-short-100km-exempt-legal",
        "规范 (2018): trips ≤100 km exempt",
        drive("01:00", 120, distance_km=100),
        policy=SHORT_100,
    ),
    case(
        "overnight-short-150km-illegal",
        "规范 (2018): trips ≤100 km exempt",
        drive("01:00", 120, distance_km=150),
        {C.OVERNIGHT_STOP},
        policy=SHORT_100,
    ),
    case(
        "overnight-short-unknown-distance-illegal",
        "规范 (2018): trips ≤100 km exempt (unknown: not exempt)",
        drive("01:00", 120),
        {C.OVERNIGHT_STOP},
        policy=SHORT_100,
    ),
    case(
        "overnight-commuter-exempt-legal",
        "交运规〔2023〕2号 Art. 32: commuter charters exempt",
        drive("01:00", 120, distance_km=250, commuter=True),
        policy=COMMUTER_200,
    ),
    case(
        "overnight-commuter-rule-150km-legal",
        "交运规〔2023〕2号 Art. 32: trips ≤200 km exempt",
        drive("01:00", 120, distance_km=150),
        policy=COMMUTER_200,
    ),
    case(
        "overnight-commuter-rule-250km-illegal",
        "交运规〔2023〕2号 Art. 32: trips ≤200 km exempt",
        drive("01:00", 120, distance_km=250),
        {C.OVERNIGHT_STOP},
        policy=COMMUTER_200,
    ),
    # ---- duty log: a driver cannot be in two places
    case(
        "double-booked-illegal",
        "duty log: the driver is already driving 09:00–11:00",
        drive("10:00", 60),
        {C.DOUBLE_BOOKED},
        log=[span("09:00", "11:00")],
    ),
    case(
        "double-booked-other-duty-illegal",
        "duty log: the driver is on other duty 09:00–11:00",
        drive("10:00", 60),
        {C.DOUBLE_BOOKED},
        log=[span("09:00", "11:00", Activity.OTHER)],
    ),
    case(
        "double-booked-touching-legal",
        "duty log: starting when the logged drive ends is no overlap",
        drive("11:00", 60),
        log=[span("09:00", "11:00")],
    ),
    # ---- licence class: 驾驶证规定 Art. 11: A1 for length ≥6 m or ≥20 occupants
    case(
        "licence-b1-on-7m-19-seat-illegal",
        "驾驶证规定 Art. 11: ≥6 m needs A1",
        drive("08:00", 60),
        {C.LICENCE_CLASS},
        driver=B1_DRIVER,
        vehicle=MINIBUS_7M_19,
    ),
    case(
        "licence-b1-on-5.9m-15-seat-legal",
        "驾驶证规定 Art. 11: B1 for <6 m and 10–19 occupants",
        drive("08:00", 60),
        driver=B1_DRIVER,
        vehicle=BUS_59_15,
    ),
    case(
        "licence-b1-on-5.9m-19-seat-illegal",
        "驾驶证规定 Art. 11: ≥20 occupants (19 seats + driver) needs A1",
        drive("08:00", 60),
        {C.LICENCE_CLASS},
        driver=B1_DRIVER,
        vehicle=BUS_59_19,
    ),
    case(
        "licence-a1-on-7m-legal",
        "驾驶证规定 Art. 11: A1 covers large coaches",
        drive("08:00", 60),
        vehicle=MINIBUS_7M_19,
    ),
    # ---- probation: 驾驶证规定 Art. 77: no commercial coach in the first 12 months
    case(
        "probation-11-months-illegal",
        "驾驶证规定 Art. 77: 12-month probation",
        drive("08:00", 60),
        {C.PROBATION},
        driver=replace(DRIVER, licence_issued=date(2024, 4, 12)),
    ),
    case(  # the months counted as the law counts periods (民法典 Art. 201): the 12th month ends today
        "probation-exactly-12-months-illegal",
        "驾驶证规定 Art. 77: 12-month probation",
        drive("08:00", 60),
        {C.PROBATION},
        driver=replace(DRIVER, licence_issued=date(2024, 3, 12)),
    ),
    case(
        "probation-12-months-and-a-day-legal",
        "驾驶证规定 Art. 77: 12-month probation",
        drive("08:00", 60),
        driver=replace(DRIVER, licence_issued=date(2024, 3, 11)),
    ),
    case(
        "probation-13-months-legal",
        "驾驶证规定 Art. 77: 12-month probation",
        drive("08:00", 60),
        driver=replace(DRIVER, licence_issued=date(2024, 2, 12)),
    ),
    # ---- age: 道路运输条例 Art. 9(2) "年龄不超过60周岁" (policy max_driver_age = 60); 周岁 are reached
    # the day after the birthday (民法典 Art. 201–202; 法释〔2006〕1号 Art. 2), so 60 holds through the
    # 61st birthday
    case(
        "age-60-legal",
        "道路运输条例 Art. 9(2): ≤60 周岁",
        drive("08:00", 60),
        driver=replace(DRIVER, birth_date=date(1965, 3, 11), licence_issued=date(1990, 1, 1)),
    ),
    case(
        "age-61st-birthday-still-60-legal",
        "道路运输条例 Art. 9(2): ≤60 周岁",
        drive("08:00", 60),
        driver=replace(DRIVER, birth_date=date(1964, 3, 12), licence_issued=date(1990, 1, 1)),
    ),
    case(
        "age-61-illegal",
        "道路运输条例 Art. 9(2): ≤60 周岁",
        drive("08:00", 60),
        {C.AGE},
        driver=replace(DRIVER, birth_date=date(1964, 3, 11), licence_issued=date(1990, 1, 1)),
    ),
    # ---- qualification: 道路运输条例 Art. 9: passenger drivers hold a valid certificate
    case(
        "qualification-valid-through-today-legal",
        "道路运输条例 Art. 9",
        drive("08:00", 60),
        driver=replace(DRIVER, qualified_until=DAY),
    ),
    case(
        "qualification-expired-illegal",
        "道路运输条例 Art. 9",
        drive("08:00", 60),
        {C.QUALIFICATION},
        driver=replace(DRIVER, qualified_until=date(2025, 3, 11)),
    ),
    case(
        "qualification-missing-illegal",
        "道路运输条例 Art. 9",
        drive("08:00", 60),
        {C.QUALIFICATION},
        driver=replace(DRIVER, qualified_until=None),
    ),
)

# Every rule has at least one passing and one failing case in the table.
RULES_WITH_CASES = {
    C.CONTINUOUS_DAY: ("day-4h-exact-legal", "day-4h01-illegal"),
    C.REST_TOO_SHORT: ("rest-20min-resets", "rest-19min-does-not-reset"),
    C.CONTINUOUS_NIGHT: ("night-2h-exact-legal", "night-2h01-illegal"),
    C.DAILY_8H: ("24h-rolling-after-old-driving-left-legal", "24h-rolling-across-midnight-illegal"),
    C.WEEKLY_44H: ("7d-44h-exact-legal", "7d-44h30-illegal"),
    C.OVERNIGHT_STOP: ("overnight-short-100km-exempt-legal", "overnight-enforce-illegal"),
    C.DOUBLE_BOOKED: ("double-booked-touching-legal", "double-booked-illegal"),
    C.LICENCE_CLASS: ("licence-b1-on-5.9m-15-seat-legal", "licence-b1-on-7m-19-seat-illegal"),
    C.PROBATION: ("probation-13-months-legal", "probation-11-months-illegal"),
    C.AGE: ("age-60-legal", "age-61-illegal"),
    C.QUALIFICATION: ("qualification-valid-through-today-legal", "qualification-expired-illegal"),
}
