"""Geodesy helpers: distances, bearings, projection onto a segment, GCJ-02 conversion."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetplan.geo import (
    bearing_deg,
    destination_point,
    gcj02_to_wgs84,
    haversine_m,
    project_onto_segment,
    wgs84_to_gcj02,
)

# Reference pairs (WGS84 → GCJ-02) from the test suite of googollee/eviltransform.
SHANGHAI_WGS = (31.1774276, 121.5272106)
SHANGHAI_GCJ = (31.17530398364597, 121.531541859215)
BEIJING_WGS = (39.911954, 116.377817)
BEIJING_GCJ = (39.91334545536069, 116.38404722455657)


def test_haversine_one_degree_of_latitude_is_about_111_km():
    assert haversine_m(43.0, 125.0, 44.0, 125.0) == pytest.approx(111_195, rel=1e-3)


def test_haversine_siping_to_changchun_government_is_about_113_km():
    assert haversine_m(43.1668, 124.3506, 43.897, 125.326) == pytest.approx(113_000, rel=0.01)


def test_haversine_is_zero_for_the_same_point_and_symmetric():
    assert haversine_m(43.5, 124.8, 43.5, 124.8) == 0
    assert haversine_m(43.1, 124.3, 43.9, 125.3) == pytest.approx(haversine_m(43.9, 125.3, 43.1, 124.3))


@pytest.mark.parametrize(
    ("lat2", "lon2", "expected"), [(44.0, 125.0, 0.0), (43.0, 126.0, 90.0), (42.0, 125.0, 180.0), (43.0, 124.0, 270.0)]
)
def test_bearing_to_the_cardinal_points(lat2, lon2, expected):
    assert bearing_deg(43.0, 125.0, lat2, lon2) == pytest.approx(expected, abs=0.5)


def test_destination_point_goes_the_distance_on_the_bearing():
    lat, lon = destination_point(43.5, 124.8, 45.0, 10_000)
    assert haversine_m(43.5, 124.8, lat, lon) == pytest.approx(10_000, rel=1e-6)
    assert bearing_deg(43.5, 124.8, lat, lon) == pytest.approx(45.0, abs=0.1)


def test_projection_of_a_point_beside_the_middle_of_a_segment():
    # a north–south segment and a point 1 km east of its middle
    lat_mid, lon_mid = 43.5, 124.8
    east_lat, east_lon = destination_point(lat_mid, lon_mid, 90.0, 1_000)
    projection = project_onto_segment(east_lat, east_lon, 43.4, 124.8, 43.6, 124.8)
    assert projection.fraction == pytest.approx(0.5, abs=1e-3)
    assert projection.distance_m == pytest.approx(1_000, rel=1e-3)
    assert projection.lat == pytest.approx(lat_mid, abs=1e-4)


def test_projection_beyond_the_end_clamps_to_the_end():
    projection = project_onto_segment(43.7, 124.8, 43.4, 124.8, 43.6, 124.8)
    assert projection.fraction == 1.0
    assert projection.distance_m == pytest.approx(haversine_m(43.7, 124.8, 43.6, 124.8), rel=1e-3)


def test_wgs84_to_gcj02_matches_the_published_reference_pairs():
    for wgs, gcj in ((SHANGHAI_WGS, SHANGHAI_GCJ), (BEIJING_WGS, BEIJING_GCJ)):
        assert wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-7)


def test_gcj02_to_wgs84_inverts_the_reference_pairs_to_within_a_centimetre():
    for wgs, gcj in ((SHANGHAI_WGS, SHANGHAI_GCJ), (BEIJING_WGS, BEIJING_GCJ)):
        lat, lon = gcj02_to_wgs84(*gcj)
        assert haversine_m(lat, lon, *wgs) < 0.01


def test_the_gcj02_offset_in_the_corridor_is_hundreds_of_metres():
    gcj = wgs84_to_gcj02(43.5008, 124.8198)
    assert 100 < haversine_m(43.5008, 124.8198, *gcj) < 1_000


def test_outside_china_nothing_changes():
    assert gcj02_to_wgs84(48.8566, 2.3522) == (48.8566, 2.3522)
    assert wgs84_to_gcj02(48.8566, 2.3522) == (48.8566, 2.3522)


@given(st.floats(min_value=20.0, max_value=53.0), st.floats(min_value=75.0, max_value=134.0))
def test_gcj02_round_trip_anywhere_in_china(lat, lon):
    back_lat, back_lon = gcj02_to_wgs84(*wgs84_to_gcj02(lat, lon))
    assert math.isclose(back_lat, lat, abs_tol=1e-8) and math.isclose(back_lon, lon, abs_tol=1e-8)
