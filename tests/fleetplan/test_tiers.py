"""Response-time tiers and the lateness cost (fleetplan.tiers), the one classification every part uses."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from fleetplan.tiers import Tier, TierPolicy, classify, late_penalty, tier_at, unreached_penalty

POLICY = TierPolicy(
    city=Tier("city", 30 * 60, 4),
    near_backup=Tier("near_backup", 60 * 60, 3),
    corridor=Tier("corridor", 90 * 60, 2),
    pre_departure=Tier("pre_departure", 15 * 60, 4),
    city_radius_m=15_000,
    near_backup_radius_m=50_000,
    escalation_after_s=30 * 60,
)
REPORTED = datetime(2026, 12, 8, 7, 40)
KM = 1000


@pytest.mark.parametrize(
    ("depot_m", "backup_m", "expected"),
    [
        (3 * KM, 3 * KM, "city"),  # inside Siping
        (15 * KM, None, "city"),  # the radius itself still counts
        (40 * KM, 28 * KM, "near_backup"),
        (40 * KM, None, "corridor"),  # no backup standing
        (84 * KM, 84 * KM, "corridor"),  # far from the only backup
        (None, None, "corridor"),  # unreachable by road: no promise beyond the corridor's
    ],
)
def test_the_tier_follows_the_road_distance_to_the_cities_and_the_standing_backups(depot_m, backup_m, expected):
    assert tier_at(POLICY, depot_m, backup_m).name == expected


def test_a_failure_before_departure_counts_from_the_scheduled_departure():
    departure = REPORTED + timedelta(minutes=20)
    tier, deadline = classify(POLICY, REPORTED, departure, 40 * KM, None)
    assert tier.name == "pre_departure" and deadline == departure + timedelta(minutes=15)


def test_a_failure_on_the_way_counts_from_the_report():
    departure = REPORTED - timedelta(minutes=50)
    tier, deadline = classify(POLICY, REPORTED, departure, 40 * KM, 28 * KM)
    assert tier.name == "near_backup" and deadline == REPORTED + timedelta(minutes=60)


def test_lateness_costs_per_started_minute_and_doubles_past_the_escalation_point():
    assert late_penalty(POLICY, POLICY.city, 0) == 0
    assert late_penalty(POLICY, POLICY.city, 1) == 4  # a started minute counts
    assert late_penalty(POLICY, POLICY.city, 30 * 60) == 30 * 4
    assert late_penalty(POLICY, POLICY.city, 40 * 60) == (30 + 2 * 10) * 4
    assert unreached_penalty(POLICY, POLICY.corridor) == (30 + 2 * 330) * 2
    assert POLICY.late_penalty(POLICY.city, 90) == late_penalty(POLICY, POLICY.city, 90)
