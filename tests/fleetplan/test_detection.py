"""Incidents seen in the positions (issue 16 §3): standing on G1 outside a service area past the policy's
threshold, an emergency alarm, a terminal gone silent on G1; and what is not an incident."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from fleetplan.detection import AlertKind, DetectionPolicy, detect
from fleetplan.network import RoadNetwork, load_network
from fleetplan.positions import Position

NETWORK_DIR = Path(__file__).resolve().parents[2] / "data" / "default" / "network"
NOW = datetime(2026, 12, 7, 8, 0)
ON_G1 = (43.4917, 124.8428)  # G1 at about K56.7, between Gongzhuling and Fanjiatun
SIPING_DEPOT = (43.1457, 124.3448)
POLICY = DetectionPolicy()


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    return load_network(NETWORK_DIR)


def run(where, minutes: float, speed: float = 0.0, emergency: bool = False, every_s: int = 30, last_s: int = 5):
    """Fixes newest first: one every ``every_s`` seconds over ``minutes``, the newest ``last_s`` ago."""
    count = int(minutes * 60 // every_s) + 1
    return [
        Position(
            "c01", where[0], where[1], NOW - timedelta(seconds=last_s + k * every_s), speed, 41.0, emergency=emergency
        )
        for k in range(count)
    ]


def kinds(network, fixes) -> list[tuple[AlertKind, datetime]]:
    return [(s.kind, s.since) for s in detect(network, {"c01": fixes}, NOW, POLICY)]


def test_a_coach_standing_on_g1_past_the_threshold_is_a_suspected_breakdown_since_it_stopped(network):
    driving = [Position("c01", 43.4817, 124.8328, NOW - timedelta(minutes=9), 88.0, 41.0)]
    fixes = run(ON_G1, 4) + driving
    (suspicion,) = detect(network, {"c01": fixes}, NOW, POLICY)
    assert (suspicion.kind, suspicion.since) == (AlertKind.SUSPECTED_BREAKDOWN, fixes[-2].at)
    assert suspicion.place.startswith("G1 K56.") and suspicion.place.endswith("toward Changchun")


@pytest.mark.parametrize(
    "fixes",
    [
        pytest.param(run(ON_G1, 2), id="standing, not yet 3 min"),
        pytest.param(run(ON_G1, 10, speed=85.0), id="driving"),
        pytest.param(run(SIPING_DEPOT, 30), id="at the depot"),
        pytest.param(run((43.4226, 124.7375), 30), id="at a service area"),  # taojiatun_sa parking
    ],
)
def test_what_is_no_incident(network, fixes):
    assert kinds(network, fixes) == []


def test_an_emergency_alarm_is_raised_since_its_first_fix(network):
    fixes = run(ON_G1, 1, speed=60.0, emergency=True)
    assert kinds(network, fixes) == [(AlertKind.EMERGENCY_ALARM, fixes[-1].at)]


def test_a_terminal_silent_on_g1_is_stale_and_off_g1_it_is_not(network):
    assert kinds(network, run(ON_G1, 1, speed=80.0, last_s=300)) == [
        (AlertKind.FEED_STALE, NOW - timedelta(seconds=300))
    ]
    assert kinds(network, run(SIPING_DEPOT, 1, last_s=3600)) == []
