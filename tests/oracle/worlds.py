"""Small hand-made worlds for the oracle's unit tests, with numbers one can follow on paper.

The toy corridor runs due north (toward Changchun = north = increasing km): interchange ``a_ic`` at K0,
service area ``s_sa`` at K10, interchange ``b_ic`` at K20 (0.09° of latitude ≈ 10 km apart, so
coordinates and kilometre posts agree). Off the expressway: ``x`` joined to ``a_ic`` by a 1000 m city
street (60 km/h), ``y`` joined to ``b_ic`` by a 2000 m national road (80 km/h).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from fleetplan.oracle.world import (
    DEFAULT_EXPRESSWAY,
    Expressway,
    PlaceRow,
    Policy,
    PostRow,
    RoadRow,
    TierRule,
    Tiers,
    World,
)

TIERS = Tiers(
    TierRule("city", 1800, 4),
    TierRule("near_backup", 3600, 3),
    TierRule("corridor", 5400, 2),
    TierRule("pre_departure", 900, 4),
)
EXPRESSWAY = Expressway(**DEFAULT_EXPRESSWAY)  # type: ignore[arg-type]
POSTS = (
    PostRow("a_ic", "interchange", 0.0, 43.0, 124.0),
    PostRow("s_sa", "service_area", 10.0, 43.09, 124.0),
    PostRow("b_ic", "interchange", 20.0, 43.18, 124.0),
)
PLACES = (PlaceRow("x", "town", 42.995, 124.0), PlaceRow("y", "town", 43.19, 124.0))
ROADS = (
    RoadRow("x", "a_ic", "city", 1000, Fraction(60), False, "x street"),
    RoadRow("y", "b_ic", "national", 2000, Fraction(80), False, "y road"),
)


def toy_world(roads: tuple[RoadRow, ...] = ROADS, posts: tuple[PostRow, ...] = POSTS, **policy) -> World:
    return World(
        places=PLACES + tuple(PlaceRow(n, "junction", 43.0, 124.1) for n in ("p", "q", "r")),
        posts=posts,
        roads=roads,
        expressway=EXPRESSWAY,
        sites=(),
        coaches=(),
        drivers=(),
        duty_log=(),
        trips=(),
        policy=Policy(**policy),
        tiers=TIERS,
        presets=(),
    )


DAY = date(2026, 12, 7)  # a Monday
