"""The oracle's speed table and its drive over one edge through clock time (world-model §2), with
every number worked by hand in the comments."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

import pytest

from fleetplan.errors import InvalidValueError
from fleetplan.oracle.speed import drive_s, marks_sod, next_mark, speed_kmh, to_s
from fleetplan.oracle.world import Policy

POLICY = Policy()
G1 = Fraction(90)  # the observed coach average on the carriageways


def at(hh: int, mm: int, ss: int = 0) -> int:
    return to_s(datetime(2026, 12, 7, hh, mm, ss))


def test_an_edge_entered_at_21_55_slows_down_at_22_00():
    # 10 km at 90 km/h entered 21:55: 5 min at 90 = 7500 m; the rest, 2500 m, at the night cap
    # 0.8 × 100 = 80 km/h takes 112.5 s: 300 + 112.5 = 412.5 → 413 s
    assert drive_s(10_000, at(21, 55), "expressway", G1, "clear", POLICY) == 413


def test_an_edge_entered_at_05_55_speeds_up_at_06_00():
    # 5 min at 80 km/h = 6666.67 m; 3333.33 m at 90 km/h = 133.33 s: 433.33 → 434 s
    assert drive_s(10_000, at(5, 55), "expressway", G1, "clear", POLICY) == 434


def test_by_day_the_carriageway_runs_at_the_observed_average_below_the_cap():
    # min(90, 100) = 90 km/h = 25 m/s: 10 km in 400 s
    assert drive_s(10_000, at(11, 0), "expressway", G1, "clear", POLICY) == 400


@pytest.mark.parametrize(
    ("hh", "expected_s"),
    [
        (11, 144),  # day: 50 × 0.85 = 42.5 km/h; 1700 m × 3.6 / 42.5 = 144 s
        (8, 204),  # morning peak: 50 × 0.6 = 30 km/h; 1700 × 3.6 / 30 = 204 s
        (18, 204),  # evening peak
        (23, 128),  # night: min(50 × 1, 60, 0.8 × 60 = 48) = 48 km/h; 127.5 → 128 s
    ],
)
def test_city_congestion_and_the_night_cap(hh, expected_s):
    assert drive_s(1700, at(hh, 0), "city", Fraction(50), "clear", POLICY) == expected_s


def test_a_street_entered_just_before_nine_leaves_the_peak_on_the_way():
    # 08:59: 60 s at 30 km/h = 500 m; 1200 m at 42.5 km/h = 101.65 s: 161.65 → 162 s
    assert drive_s(1700, at(8, 59), "city", Fraction(50), "clear", POLICY) == 162


@pytest.mark.parametrize(
    ("weather", "expected_s"),
    [
        ("rain", 471),  # 90 × 0.85 = 76.5 km/h: 36000 / 76.5 = 470.6 → 471
        ("snowfall", 667),  # 90 × 0.6 = 54 km/h: 666.7 → 667
        ("snow", 1200),  # cap 30 km/h (Art. 46)
        ("ice", 1200),  # cap 30 km/h
        ("fog_200", 600),  # cap 60 km/h
        ("fog_100", 900),  # cap 40 km/h
        ("fog_50", 1800),  # cap 20 km/h
        ("blizzard", 900),  # 90 × 0.6 = 54, cap 40 → 40 km/h
    ],
)
def test_the_weather_table_on_ten_kilometres_of_g1_by_day(weather, expected_s):
    assert drive_s(10_000, at(11, 0), "expressway", G1, weather, POLICY) == expected_s


def test_weather_caps_and_congestion_do_not_multiply():
    # icy street in the morning peak: min(50 × 0.6 × 1 = 30, 60, cap 30) = 30 km/h, not 30 × 0.6
    assert speed_kmh("city", Fraction(50), "ice", 8 * 3600, POLICY) == 30
    # a 30 km/h ramp at night: min(30, 60, 48) = 30 (the night cap is a cap, not a factor)
    assert speed_kmh("ramp", Fraction(30), "clear", 23 * 3600, POLICY) == 30


def test_an_unknown_weather_is_an_error_not_clear_weather():
    with pytest.raises(InvalidValueError):
        speed_kmh("city", Fraction(50), "hail", 0, POLICY)


def test_the_marks_follow_the_policy_night():
    policy = Policy(night_start_sod=23 * 3600, night_end_sod=5 * 3600)
    assert marks_sod(policy) == (5 * 3600, 7 * 3600, 9 * 3600, 17 * 3600, 19 * 3600, 23 * 3600)
    assert next_mark(at(23, 30), marks_sod(policy)) == at(23, 30) + 5 * 3600 + 30 * 60  # 05:00 next day


def test_a_zero_length_drive_takes_no_time():
    assert drive_s(0, at(11, 0), "expressway", G1, "clear", POLICY) == 0


def test_weather_reported_on_the_way_slows_the_rest_of_the_edge():
    # 10 km entered 11:00, snow (≤ 30 km/h) from 11:04: 4 min at 90 = 6000 m, 4000 m at 30 = 480 s
    assert drive_s(10_000, at(11, 0), "expressway", G1, "snow", POLICY, at(11, 4)) == 240 + 480
