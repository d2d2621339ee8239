"""The default dataset and its validating loader (fleetplan.dataset)."""

from __future__ import annotations

import runpy
import shutil
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from fleetplan.dataset import (
    CLASS_LENGTH_M,
    CLASS_SEATS,
    CONDITIONS,
    CONTACTS,
    DRIVERS,
    DUTY_LOG,
    POLICY,
    SITES,
    TIERS,
    TRIP_STOPS,
    TRIPS,
    VEHICLES,
    load_dataset,
    validate_dataset,
)
from fleetplan.errors import DataProblem, DataValidationError
from fleetplan.model import (
    Activity,
    Dataset,
    DrivingPolicy,
    DutyInterval,
    LicenceClass,
    RoadClass,
    SiteKind,
    TripKind,
    VehicleClass,
    VehicleStatus,
    Weather,
)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DIR = REPO / "data" / "default"
GENERATOR = REPO / "data" / "tools" / "make_default.py"
WEEK = [date(2026, 12, 7) + timedelta(days=offset) for offset in range(7)]
MONDAY, FRIDAY, SUNDAY = WEEK[0], WEEK[4], WEEK[6]
LOG_START = datetime(2026, 11, 30)
WEEK_START = datetime(2026, 12, 7)
CHANGCHUN_STOPS = {"changchun_station", "changchun_gov", "changchun_hightech"}
CAMPUS = "jlnu_siping_campus"


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_dataset(DEFAULT_DIR)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private copy of the default dataset (without the road network, which the loader ignores)."""
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DIR, target, ignore=shutil.ignore_patterns("network"))
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def row_of(path: Path, prefix: str) -> int:
    """The editor row (header = 1) of the only line starting with ``prefix``."""
    rows = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.startswith(prefix)]
    assert len(rows) == 1, f"{prefix!r} starts {len(rows)} lines of {path.name}"
    return rows[0]


def where(problems: list[DataProblem]) -> set[tuple[str, int | None, str | None]]:
    return {(p.file, p.row, p.column) for p in problems}


def driving_s(intervals, start: datetime, end: datetime) -> int:
    total = 0
    for interval in intervals:
        if interval.activity is Activity.DRIVE:
            overlap = min(interval.end, end) - max(interval.start, start)
            total += max(0, int(overlap.total_seconds()))
    return total


# --------------------------------------------------------------------------- the default dataset
def test_default_dataset_loads_without_problems(dataset):
    assert validate_dataset(DEFAULT_DIR) == []
    assert dataset.source == str(DEFAULT_DIR)


def test_default_sites_are_two_depots_and_three_service_areas(dataset):
    kinds = {site.id: site.kind for site in dataset.sites}
    assert kinds == {
        "siping_depot": SiteKind.DEPOT,
        "changchun_depot": SiteKind.DEPOT,
        "taojiatun_sa": SiteKind.SERVICE_AREA,
        "gongzhuling_sa": SiteKind.SERVICE_AREA,
        "kaoshantun_sa": SiteKind.SERVICE_AREA,
    }
    assert all(site.node_id == site.id for site in dataset.sites)
    siping, changchun = dataset.site("siping_depot"), dataset.site("changchun_depot")
    assert (siping.lat, siping.lon) == (43.1457, 124.3448)  # DESIGN §2.1, Tiexi
    assert abs(changchun.lat - 43.826) < 0.01 and abs(changchun.lon - 125.268) < 0.01


def test_default_fleet_has_mixed_classes_backups_and_workshop(dataset):
    vehicles = dataset.vehicles
    assert 24 <= len(vehicles) <= 30
    assert {v.vehicle_class for v in vehicles} == set(VehicleClass)
    assert len({v.plate for v in vehicles}) == len(vehicles)
    for vehicle in vehicles:
        low, high = CLASS_SEATS[vehicle.vehicle_class]
        assert low <= vehicle.seats <= high, vehicle
        low_m, high_m = CLASS_LENGTH_M[vehicle.vehicle_class]
        assert low_m <= vehicle.length_m <= high_m, vehicle
        assert 1 <= vehicle.age_years(MONDAY) <= 14, vehicle
        prefix = {"changchun_depot": "吉A·", "siping_depot": "吉C·"}[vehicle.home_depot]
        assert vehicle.plate.startswith(prefix), vehicle
    statuses = Counter(v.status for v in vehicles)
    assert 2 <= statuses[VehicleStatus.WORKSHOP] <= 4
    for depot in ("siping_depot", "changchun_depot"):
        assert sum(v.status is VehicleStatus.STANDBY and v.home_depot == depot for v in vehicles) >= 2
    expired = [v for v in vehicles if not v.permit_valid_on(MONDAY)]
    assert [v.status for v in expired] == [VehicleStatus.STANDBY]


def test_default_drivers_cover_the_rejection_cases(dataset):
    drivers = dataset.drivers
    assert 30 <= len(drivers) <= 40
    classes = Counter(d.licence_class for d in drivers)
    assert classes[LicenceClass.A1] > classes[LicenceClass.B1] >= 1
    in_probation = [d for d in drivers if d.licence_issued > MONDAY.replace(year=MONDAY.year - 1)]
    assert len(in_probation) >= 2
    ages = [d.age_years(MONDAY) for d in drivers]
    assert 59 in ages and max(ages) == 61
    assert any(d.age_years(SUNDAY) == 60 for d in drivers)  # the 59-year-old turns 60 this week
    assert any(d.qualified_until is not None and d.qualified_until < MONDAY for d in drivers)
    assert any(d.shift_end < d.shift_start for d in drivers)  # an evening/night standby shift


def test_default_duty_log_is_the_week_before_and_varied(dataset):
    log = dataset.duty_log
    assert all(LOG_START <= i.start and i.end <= WEEK_START for i in log)
    by_driver = defaultdict(list)
    for interval in log:
        by_driver[interval.driver_id].append(interval)
    weekly_h = {d.id: driving_s(by_driver[d.id], LOG_START, WEEK_START) / 3600 for d in dataset.drivers}
    assert max(weekly_h.values()) <= 44
    assert sum(40 <= hours for hours in weekly_h.values()) >= 2  # nearly out of weekly hours
    assert sum(hours == 0 for hours in weekly_h.values()) >= 3  # fresh
    night = [i for i in log if i.activity is Activity.DRIVE and (i.start.hour >= 22 or i.end.hour < 6)]
    assert night
    assert set(Activity) == {i.activity for i in log}


def test_default_history_and_timetable_respect_the_driving_limits(dataset):
    """The log plus the week's trips never exceed 8 h in 24 h or 44 h in 7 days, so every planned trip
    is legal as planned (windows ending at each interval's end are where the maxima occur)."""
    policy = dataset.driving_policy
    driving = defaultdict(list)
    for interval in dataset.duty_log:
        driving[interval.driver_id].append(interval)
    for trip in dataset.trips:
        driving[trip.driver_id].append(DutyInterval(trip.driver_id, trip.departure, trip.arrival, Activity.DRIVE))
    for driver_id, intervals in driving.items():
        for interval in intervals:
            assert driving_s(intervals, interval.end - timedelta(hours=24), interval.end) <= policy.max_driving_24h_s, (
                driver_id,
                interval,
            )
            assert driving_s(intervals, interval.end - timedelta(days=7), interval.end) <= policy.max_driving_7d_s, (
                driver_id,
                interval,
            )


def test_default_timetable_is_one_winter_week(dataset):
    trips = dataset.trips
    by_day = defaultdict(Counter)
    for trip in trips:
        by_day[trip.departure.date()][trip.kind] += 1
    for day in WEEK[:5]:
        assert 3 <= by_day[day][TripKind.STAFF_MORNING] == by_day[day][TripKind.STAFF_EVENING] <= 4
    assert 3 <= by_day[FRIDAY][TripKind.STUDENT_FRIDAY] <= 5
    assert 3 <= by_day[SUNDAY][TripKind.STUDENT_SUNDAY] <= 5
    assert sum(by_day[WEEK[5]].values()) == 0
    assert sum(by_day[day][TripKind.STUDENT_FRIDAY] for day in WEEK) == by_day[FRIDAY][TripKind.STUDENT_FRIDAY]
    for trip in trips:
        if trip.kind in (TripKind.STAFF_MORNING, TripKind.STUDENT_SUNDAY):
            assert trip.origin in CHANGCHUN_STOPS and trip.destination == CAMPUS, trip.id
        else:
            assert trip.origin == CAMPUS and trip.destination in CHANGCHUN_STOPS, trip.id


def test_default_staff_runs_keep_coach_and_driver_all_day(dataset):
    for day in WEEK[:5]:
        crews = {
            kind: {(t.vehicle_id, t.driver_id) for t in dataset.trips if t.kind is kind and t.departure.date() == day}
            for kind in (TripKind.STAFF_MORNING, TripKind.STAFF_EVENING)
        }
        assert crews[TripKind.STAFF_MORNING] == crews[TripKind.STAFF_EVENING]


def test_default_bookings_are_realistic(dataset):
    for trip in dataset.trips:
        seats = dataset.vehicle(trip.vehicle_id).seats
        assert trip.booked_passengers <= seats
        if trip.kind in (TripKind.STAFF_MORNING, TripKind.STAFF_EVENING):
            assert 25 <= trip.booked_passengers <= 50, trip.id
        else:
            assert trip.booked_passengers >= 0.9 * seats, trip.id  # students: nearly full


def test_default_trips_use_legal_drivers_and_usable_coaches(dataset):
    policy = dataset.driving_policy
    for trip in dataset.trips:
        day = trip.departure.date()
        driver, vehicle = dataset.driver(trip.driver_id), dataset.vehicle(trip.vehicle_id)
        assert driver.licence_class is LicenceClass.A1, trip.id
        assert driver.licence_issued.replace(year=driver.licence_issued.year + 1) <= day, trip.id
        assert driver.age_years(day) < policy.max_driver_age, trip.id
        assert driver.qualified_until is not None and driver.qualified_until >= day, trip.id
        assert driver.on_shift(trip.departure) and driver.on_shift(trip.arrival), trip.id
        assert driver.id in trip.signed_driver_ids
        assert vehicle.status is VehicleStatus.IN_SERVICE and vehicle.permit_valid_on(day), trip.id
    assert any(len(trip.signed_driver_ids) == 2 for trip in dataset.trips)


def test_default_policies_and_conditions(dataset):
    tiers = dataset.tier_policy
    assert [t.limit_s // 60 for t in tiers.tiers] == [30, 60, 90, 15]
    assert tiers.city_radius_m == 15_000 and tiers.near_backup_radius_m == 50_000
    assert dataset.driving_policy == DrivingPolicy()  # policy.toml states the regulation defaults
    assert {c.name for c in dataset.conditions} >= {"clear", "snow", "blizzard"}
    assert dataset.conditions_named("clear").weather == ()
    snow = dataset.conditions_named("snow")
    assert all(snow.weather_on(road) is Weather.SNOW for road in RoadClass)
    blizzard = dataset.conditions_named("blizzard")
    assert blizzard.weather_on(RoadClass.EXPRESSWAY) is Weather.BLIZZARD
    assert blizzard.entrance_closed("gongzhuling_sa") and blizzard.entrance_closed("any_interchange")
    assert all(c.description for c in dataset.conditions)


def test_invented_tables_are_labelled():
    for name in (SITES, VEHICLES, DRIVERS, DUTY_LOG, TRIPS, TRIP_STOPS, CONTACTS):
        assert (
            (DEFAULT_DIR / name).read_text(encoding="utf-8").splitlines()[1].startswith("# realistic but invented (E)")
        ), name


def test_generator_reproduces_the_committed_tables(tmp_path):
    generator = runpy.run_path(str(GENERATOR), run_name="make_default")
    generator["write_all"](tmp_path)
    for name in (SITES, VEHICLES, DRIVERS, DUTY_LOG, TRIPS, TRIP_STOPS, CONTACTS):
        assert (tmp_path / name).read_text(encoding="utf-8") == (DEFAULT_DIR / name).read_text(encoding="utf-8"), name


# --------------------------------------------------------------------------- reporting problems
def test_three_bad_cells_are_all_reported_with_file_row_and_column(data_dir):
    vehicles = data_dir / VEHICLES
    edit(vehicles, "c05,吉A·P6425,coach_12m,55,", "c05,吉A·P6425,coach_12m,abc,")
    edit(vehicles, "c10,吉A·D0940,coach_10m,", "c10,吉A·D0940,bus,")
    edit(vehicles, "c19,吉C·C2908,", "c19,,")
    with pytest.raises(DataValidationError) as caught:
        load_dataset(data_dir)
    problems = caught.value.problems
    assert where(problems) == {
        (VEHICLES, row_of(vehicles, "c05,"), "seats"),
        (VEHICLES, row_of(vehicles, "c10,"), "class"),
        (VEHICLES, row_of(vehicles, "c19,"), "plate"),
    }
    assert len(problems) == 3
    messages = " | ".join(p.message for p in problems)
    assert "'abc'" in messages and "'bus'" in messages and "must not be empty" in messages
    assert validate_dataset(data_dir) == problems
    assert f"{VEHICLES}, row {row_of(vehicles, 'c05,')}, column 'seats'" in str(caught.value)


# Each case: file to edit, old text, new text, the line prefix of the row to blame (None: TOML),
# the column, and a word of the message.
CROSS_TABLE_CASES = {
    "unknown depot": (
        VEHICLES,
        "c04,吉A·N2002,coach_8m,33,8.7,2020-03-09,changchun_depot",
        "c04,吉A·N2002,coach_8m,33,8.7,2020-03-09,harbin_depot",
        "c04,",
        "home_depot",
        "harbin_depot",
    ),
    "driver depot": (
        DRIVERS,
        "d26,何庆丰,A1,2020-05-19,1992-05-01,2031-04-22,siping_depot",
        "d26,何庆丰,A1,2020-05-19,1992-05-01,2031-04-22,jilin_depot",
        "d26,",
        "home_depot",
        "unknown depot",
    ),
    "duplicate vehicle id": (VEHICLES, "c12,吉A·V5409", "c11,吉A·V5409", "c11,吉A·V5409", "id", "repeats"),
    "duplicate plate": (VEHICLES, "c12,吉A·V5409", "c12,吉A·V9077", "c12,", "plate", "repeats"),
    "seats outside class": (
        VEHICLES,
        "c23,吉C·U4605,coach_8m,33,",
        "c23,吉C·U4605,coach_8m,19,",
        "c23,",
        "seats",
        "outside",
    ),
    "unknown trip driver": (
        TRIPS,
        "T1208-AM3,2026-12-08,staff_morning,c03,d03,31,d03",
        "T1208-AM3,2026-12-08,staff_morning,c03,d77,31,d77",
        "T1208-AM3,",
        "driver_id",
        "d77",
    ),
    "unknown trip vehicle": (
        TRIPS,
        "T1208-AM3,2026-12-08,staff_morning,c03,",
        "T1208-AM3,2026-12-08,staff_morning,c93,",
        "T1208-AM3,",
        "vehicle_id",
        "c93",
    ),
    "unknown signed driver": (
        TRIPS,
        "T1211-FR1,2026-12-11,student_friday,c15,d19,55,d19;d23",
        "T1211-FR1,2026-12-11,student_friday,c15,d19,55,d19;d80",
        "T1211-FR1,",
        "signed_driver_ids",
        "d80",
    ),
    "booked over seats": (
        TRIPS,
        "T1207-AM4,2026-12-07,staff_morning,c04,d04,30,",
        "T1207-AM4,2026-12-07,staff_morning,c04,d04,38,",
        "T1207-AM4,",
        "booked_passengers",
        "33 seats",
    ),
    "driver on two trips": (
        TRIPS,
        "T1207-AM2,2026-12-07,staff_morning,c02,d02,46,d02",
        "T1207-AM2,2026-12-07,staff_morning,c02,d01,46,d01",
        "T1207-AM2,",
        "driver_id",
        "T1207-AM1",
    ),
    "coach on two trips": (
        TRIPS,
        "T1210-AM3,2026-12-10,staff_morning,c03,",
        "T1210-AM3,2026-12-10,staff_morning,c01,",
        "T1210-AM3,",
        "vehicle_id",
        "also on trip",
    ),
    "day differs from stops": (
        TRIPS,
        "T1209-PM4,2026-12-09,",
        "T1209-PM4,2026-12-08,",
        "T1209-PM4,",
        "day",
        "first stop",
    ),
    "overlapping duty": (
        DUTY_LOG,
        "d09,2026-12-02T06:30,2026-12-02T10:30",
        "d09,2026-12-02T06:30,2026-12-02T11:30",
        "d09,2026-12-02T11:00,",
        "start",
        "overlaps",
    ),
    "duty end before start": (
        DUTY_LOG,
        "d36,2026-12-01T06:30,2026-12-01T09:00",
        "d36,2026-12-01T06:30,2026-12-01T05:00",
        "d36,2026-12-01T06:30,",
        "end",
        "not after",
    ),
    "duty unknown driver": (DUTY_LOG, "d35,2026-11-30T08:30,", "d95,2026-11-30T08:30,", "d95,", "driver_id", "d95"),
    "stop times not increasing": (
        TRIP_STOPS,
        "T1209-AM1,2,changchun_gov,2026-12-09T06:30",
        "T1209-AM1,2,changchun_gov,2026-12-09T06:10",
        "T1209-AM1,2,",
        "planned",
        "not after",
    ),
    "duplicate stop seq": (
        TRIP_STOPS,
        "T1210-AM2,2,",
        "T1210-AM2,1,",
        "T1210-AM2,1,changchun_hightech",
        "seq",
        "repeats",
    ),
    "stop of unknown trip": (TRIP_STOPS, "T1213-SU4,1,", "T1213-SU9,1,", "T1213-SU9,", "trip_id", "T1213-SU9"),
    "licence before birth": (
        DRIVERS,
        "d05,刘亚楠,A1,2008-12-17",
        "d05,刘亚楠,A1,1974-12-17",
        "d05,",
        "licence_issued",
        "birth",
    ),
    "bad tier value": (TIERS, "limit_min = 60", 'limit_min = "sixty"', None, "near_backup.limit_min", "number"),
    "negative tier limit": (TIERS, "limit_min = 90", "limit_min = -5", None, "corridor.limit_min", "positive"),
    # a limit in part minutes would be shown cut ("7 min" for 7.5) and priced per started minute
    "tier limit in part minutes": (TIERS, "limit_min = 90", "limit_min = 7.5", None, "corridor.limit_min", "whole"),
    "unknown policy key": (
        POLICY,
        "max_driver_age = 60",
        "max_driver_ages = 60",
        None,
        "max_driver_ages",
        "unknown key",
    ),
    "bad overnight rule": (
        POLICY,
        'overnight_rule = "exempt_commuter_200km"',
        'overnight_rule = "never"',
        None,
        "overnight_rule",
        "not one of",
    ),
    "bad clock in policy": (POLICY, 'night_start = "22:00"', 'night_start = "25:00"', None, "night_start", "range"),
    "bad age count": (
        POLICY,
        'driver_age_reached = "day_after_birthday"',
        'driver_age_reached = "new_year"',
        None,
        "driver_age_reached",
        "not one of day_after_birthday, on_birthday",
    ),
    "bad weather": (
        CONDITIONS,
        'expressway = "snow"',
        'expressway = "sleet"',
        None,
        "snow.weather.expressway",
        "not one of",
    ),
    "bad closed entrances": (
        CONDITIONS,
        'closed_entrances = ["*"]',
        "closed_entrances = [1]",
        None,
        "blizzard.closed_entrances",
        "list",
    ),
    "tier table missing": (TIERS, "[corridor]", "[corridors]", None, "corridor", "missing"),
    "TOML syntax": (CONDITIONS, "[ice]", "[ice", None, None, "not valid TOML"),
}


@pytest.mark.parametrize("case", list(CROSS_TABLE_CASES), ids=list(CROSS_TABLE_CASES))
def test_each_problem_names_file_row_and_column(data_dir, case):
    file, old, new, row_prefix, column, words = CROSS_TABLE_CASES[case]
    edit(data_dir / file, old, new)
    problems = validate_dataset(data_dir)
    row = row_of(data_dir / file, row_prefix) if row_prefix else None
    matching = [p for p in problems if (p.file, p.row, p.column) == (file, row, column)]
    assert matching, problems
    assert any(words in p.message for p in matching), matching


def test_a_duty_log_repeating_a_trip_is_blamed_on_the_trip(data_dir):
    # d08 drives SU4 on Sunday 15:00–17:05; the log must not also hold that driving
    edit(
        data_dir / DUTY_LOG,
        "d08,2026-12-06T13:20,2026-12-06T13:50,drive",
        "d08,2026-12-06T13:20,2026-12-06T13:50,drive\nd08,2026-12-13T14:30,2026-12-13T15:30,drive",
    )
    problems = validate_dataset(data_dir)
    assert where(problems) == {(TRIPS, row_of(data_dir / TRIPS, "T1213-SU4,"), "driver_id")}
    assert f"(row {row_of(data_dir / DUTY_LOG, 'd08,2026-12-13T14:30')}," in problems[0].message


def test_one_fault_gives_one_problem_and_load_raises_it(data_dir):
    edit(
        data_dir / TRIPS,
        "T1207-AM4,2026-12-07,staff_morning,c04,d04,30,",
        "T1207-AM4,2026-12-07,staff_morning,c04,d04,38,",
    )
    with pytest.raises(DataValidationError) as caught:
        load_dataset(data_dir)
    assert len(caught.value.problems) == 1


def test_many_faults_in_many_files_are_all_reported(data_dir):
    for case in (
        "unknown depot",
        "unknown trip driver",
        "overlapping duty",
        "booked over seats",
        "bad tier value",
        "bad weather",
    ):
        file, old, new, *_ = CROSS_TABLE_CASES[case]
        edit(data_dir / file, old, new)
    problems = validate_dataset(data_dir)
    assert {VEHICLES, TRIPS, DUTY_LOG, TIERS, CONDITIONS} <= {p.file for p in problems}
    assert len(problems) >= 6


def test_a_broken_row_is_not_reported_again_through_references(data_dir):
    # c01's seats are unreadable, so c01 is not built; its trips must not then claim "unknown vehicle"
    edit(data_dir / VEHICLES, "c01,吉A·X0887,coach_12m,53,", "c01,吉A·X0887,coach_12m,fifty,")
    assert where(validate_dataset(data_dir)) == {(VEHICLES, row_of(data_dir / VEHICLES, "c01,"), "seats")}


def test_a_missing_file_is_reported(data_dir):
    (data_dir / DRIVERS).unlink()
    (data_dir / POLICY).unlink()
    problems = validate_dataset(data_dir)
    assert DataProblem(DRIVERS, None, None, "file is missing") in problems
    assert DataProblem(POLICY, None, None, "file is missing") in problems
    assert not any(p.file in (TRIPS, DUTY_LOG) for p in problems)  # no "unknown driver" on every row


def test_a_missing_column_is_reported(data_dir):
    edit(data_dir / VEHICLES, "id,plate,class,seats,", "id,plate,class,seating,")
    problems = validate_dataset(data_dir)
    assert (VEHICLES, 1, "seats") in where(problems)
    assert any(p.column == "seating" and "unknown column" in p.message for p in problems)


def test_a_missing_directory_is_reported(tmp_path):
    problems = validate_dataset(tmp_path / "nowhere")
    assert len(problems) == 1 and "directory is missing" in problems[0].message


@pytest.mark.parametrize(
    "file, content",
    [
        (VEHICLES, b""),
        (TRIPS, b'id,day\n"unterminated,2026-12-07\n'),
        (DRIVERS, b"\xff\xfe\x00 not text"),
        (TIERS, b"city = 5\n"),
        (CONDITIONS, b"snow = [1, 2]\n"),
    ],
    ids=["empty csv", "bad quoting", "not utf-8", "tier not a table", "preset not a table"],
)
def test_garbage_files_are_problems_not_crashes(data_dir, file, content):
    (data_dir / file).write_bytes(content)
    problems = validate_dataset(data_dir)
    assert problems and any(p.file == file for p in problems)


def test_a_header_only_table_is_an_empty_table(data_dir):
    header = (data_dir / DUTY_LOG).read_text(encoding="utf-8").splitlines()[0]
    (data_dir / DUTY_LOG).write_text(header + "\n", encoding="utf-8")
    assert load_dataset(data_dir).duty_log == ()


def test_policy_keys_left_out_keep_the_regulation_defaults(data_dir):
    (data_dir / POLICY).write_text("max_driving_7d_h = 40\n", encoding="utf-8")
    policy = load_dataset(data_dir).driving_policy
    assert policy.max_driving_7d_s == 40 * 3600
    assert policy.max_driving_24h_s == DrivingPolicy().max_driving_24h_s


# --------------------------------------------------------------------------- positioning terminals
def test_each_coach_has_its_terminal_phone_once(dataset):
    phones = [vehicle.terminal_phone for vehicle in dataset.vehicles]
    assert all(phone and phone.isdigit() for phone in phones) and len(set(phones)) == len(phones)


def test_a_terminal_phone_that_is_not_digits_or_is_repeated_is_a_problem(data_dir):
    vehicles = data_dir / VEHICLES
    edit(vehicles, ",13804310005,", ",1380431-0005,")
    edit(vehicles, ",13804310006,", ",13804310001,")
    with pytest.raises(DataValidationError) as caught:
        load_dataset(data_dir)
    assert where(caught.value.problems) == {
        (VEHICLES, row_of(vehicles, "c05,"), "terminal_phone"),
        (VEHICLES, row_of(vehicles, "c06,"), "terminal_phone"),
    }


def test_a_fleet_without_terminals_loads(data_dir):
    vehicles = data_dir / VEHICLES
    lines = vehicles.read_text(encoding="utf-8").splitlines()
    column = lines[0].split(",").index("terminal_phone")
    kept = [
        line if line.startswith("#") else ",".join(c for i, c in enumerate(line.split(",")) if i != column)
        for line in lines
    ]
    vehicles.write_text("\n".join(kept) + "\n", encoding="utf-8")
    assert all(vehicle.terminal_phone is None for vehicle in load_dataset(data_dir).vehicles)
