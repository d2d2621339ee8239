"""Incidents seen in the positions (issue 16 §3): standing on G1 outside a service area past the policy's
threshold, an emergency alarm, a terminal gone silent on G1; and what is not an incident."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetplan.detection import AlertKind, CoachRun, DetectionPolicy, detect
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


# --------------------------------------------------------------------------- kept as they arrive
STEP = st.tuples(
    st.sampled_from(["stand", "jitter", "drive"]),  # what the coach does before the next fix
    st.booleans(),  # the emergency bit
    st.integers(min_value=3, max_value=40),  # seconds to the next fix
)


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(STEP, min_size=1, max_size=60), late=st.integers(min_value=0, max_value=400))
def test_the_fixes_kept_as_they_arrive_say_what_the_whole_history_says(network, steps, late):
    """:class:`CoachRun` keeps four fixes; :func:`detect` reads them as it reads every fix since."""
    lat, lon = ON_G1
    moment = NOW - timedelta(seconds=sum(step[2] for step in steps) + late)
    history = []
    for action, emergency, gap in steps:
        if action == "drive":
            lat += 0.004  # ≈450 m on
        elif action == "jitter":
            lat += 0.00005  # ≈5 m of GPS noise
        speed = 80.0 if action == "drive" else 0.0
        history.append(Position("c01", lat, lon, moment, speed, 41.0, emergency=emergency))
        moment += timedelta(seconds=gap)
    kept = CoachRun(history[0])
    for fix in history[1:]:
        kept.add(fix)
    newest_first = tuple(reversed(history))
    assert kinds(network, list(kept.fixes())) == kinds(network, list(newest_first))


def test_a_fix_older_than_the_newest_changes_nothing_kept():
    newest = Position("c01", *ON_G1, NOW, 0.0, None)
    kept = CoachRun(newest)
    kept.add(Position("c01", 43.0, 124.0, NOW - timedelta(minutes=1), 90.0, None))
    assert kept.fixes() == (newest,)
