"""Geodesy helpers: distances, bearings, offsets, snapping to a segment, and GCJ-02 ↔ WGS84.

All coordinates are decimal degrees, WGS84 unless a name says otherwise; distances are metres.
Coordinates copied from Chinese map services (Amap/Gaode, Tencent, Google China) are GCJ-02 and lie
hundreds of metres off WGS84: convert them with :func:`gcj02_to_wgs84` before mixing them with ours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)

# GCJ-02 is defined on the Krasovsky 1940 ellipsoid (semi-major axis and first eccentricity squared).
_KRASOVSKY_A_M = 6_378_245.0
_KRASOVSKY_EE = 0.00669342162296594323
_GCJ_TOLERANCE_DEG = 1e-9  # ≈0.1 mm; the inverse converges in a handful of iterations


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points.

    Parameters
    ----------
    lat1, lon1, lat2, lon2
        WGS84 coordinates in decimal degrees.

    Returns
    -------
    float
        Distance along the sphere of mean Earth radius, in metres.
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees clockwise from north in [0, 360)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_lambda = math.radians(lon2 - lon1)
    y = math.sin(d_lambda) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(d_lambda)
    return math.degrees(math.atan2(y, x)) % 360.0


def destination_point(lat: float, lon: float, bearing: float, distance_m: float) -> tuple[float, float]:
    """The point ``distance_m`` metres from (lat, lon) along initial bearing ``bearing`` (degrees).

    Returns
    -------
    tuple of float
        (lat, lon) in decimal degrees.
    """
    delta = distance_m / EARTH_RADIUS_M
    theta = math.radians(bearing)
    phi1, lambda1 = math.radians(lat), math.radians(lon)
    phi2 = math.asin(math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta))
    lambda2 = lambda1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1), math.cos(delta) - math.sin(phi1) * math.sin(phi2)
    )
    return math.degrees(phi2), (math.degrees(lambda2) + 540.0) % 360.0 - 180.0


def interpolate(lat1: float, lon1: float, lat2: float, lon2: float, fraction: float) -> tuple[float, float]:
    """The point at ``fraction`` (0–1) of the way from point 1 to point 2 (linear in degrees).

    Linear interpolation is exact enough for the few-kilometre segments of a road graph.
    """
    return lat1 + (lat2 - lat1) * fraction, lon1 + (lon2 - lon1) * fraction


@dataclass(frozen=True)
class SegmentProjection:
    """Where a point falls on a segment: ``fraction`` (0–1) along it and ``distance_m`` off it."""

    fraction: float
    distance_m: float
    lat: float
    lon: float


def project_onto_segment(
    lat: float, lon: float, lat1: float, lon1: float, lat2: float, lon2: float
) -> SegmentProjection:
    """Project a point onto the segment from point 1 to point 2.

    Uses a local equirectangular plane centred on the point, which is accurate to well under a metre
    for segments of a few kilometres at the corridor's latitude.

    Returns
    -------
    SegmentProjection
        The nearest point of the segment, its fraction along it and its distance from the point.
    """
    x1, y1 = _local_xy_m(lat1, lon1, lat, lon)
    x2, y2 = _local_xy_m(lat2, lon2, lat, lon)
    dx, dy = x2 - x1, y2 - y1
    length_sq = dx * dx + dy * dy
    fraction = 0.0 if length_sq == 0 else min(1.0, max(0.0, -(x1 * dx + y1 * dy) / length_sq))
    px, py = x1 + fraction * dx, y1 + fraction * dy
    nearest_lat, nearest_lon = interpolate(lat1, lon1, lat2, lon2, fraction)
    return SegmentProjection(fraction, math.hypot(px, py), nearest_lat, nearest_lon)


def _local_xy_m(lat: float, lon: float, ref_lat: float, ref_lon: float) -> tuple[float, float]:
    """East/north metres of (lat, lon) from a reference point on an equirectangular plane."""
    x = math.radians(lon - ref_lon) * EARTH_RADIUS_M * math.cos(math.radians(ref_lat))
    y = math.radians(lat - ref_lat) * EARTH_RADIUS_M
    return x, y


# --------------------------------------------------------------------------- GCJ-02 ("Mars coordinates")
def outside_china(lat: float, lon: float) -> bool:
    """True outside the rough bounding box where GCJ-02 differs from WGS84 (the offset is not applied)."""
    return not (0.8293 <= lat <= 55.8271 and 72.004 <= lon <= 137.8347)


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """Convert a WGS84 point to GCJ-02, the datum of Chinese map services.

    Returns
    -------
    tuple of float
        (lat, lon) in GCJ-02; unchanged outside China.
    """
    if outside_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _gcj_offset_deg(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """Convert a GCJ-02 point (copied from a Chinese map service) to WGS84.

    GCJ-02 has no closed-form inverse; this iterates the forward transform until the error is below
    about 0.1 mm, so the result is exact for any practical purpose.

    Parameters
    ----------
    lat, lon
        GCJ-02 coordinates in decimal degrees.

    Returns
    -------
    tuple of float
        (lat, lon) in WGS84; unchanged outside China.
    """
    if outside_china(lat, lon):
        return lat, lon
    wgs_lat, wgs_lon = lat, lon
    for _ in range(30):
        gcj_lat, gcj_lon = wgs84_to_gcj02(wgs_lat, wgs_lon)
        err_lat, err_lon = gcj_lat - lat, gcj_lon - lon
        if abs(err_lat) < _GCJ_TOLERANCE_DEG and abs(err_lon) < _GCJ_TOLERANCE_DEG:
            break
        wgs_lat, wgs_lon = wgs_lat - err_lat, wgs_lon - err_lon
    return wgs_lat, wgs_lon


def _gcj_offset_deg(lat: float, lon: float) -> tuple[float, float]:
    """The GCJ-02 offset (degrees) added to a WGS84 point; the published obfuscation polynomial."""
    x, y = lon - 105.0, lat - 35.0
    d_lat = _transform_lat(x, y)
    d_lon = _transform_lon(x, y)
    rad_lat = math.radians(lat)
    magic = 1 - _KRASOVSKY_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_KRASOVSKY_A_M * (1 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_KRASOVSKY_A_M / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lat, d_lon


def _transform_lat(x: float, y: float) -> float:
    result = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    result += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    result += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    result += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return result


def _transform_lon(x: float, y: float) -> float:
    result = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    result += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    result += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    result += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return result
