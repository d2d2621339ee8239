"""Contingency drills on the real dispatch path: scenarios, scores, checks, reports and the command."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.errors import InvalidValueError
from fleetplan.model import IncidentKind, RoadClass, Weather
from fleetplan.network import Direction

from solver.dispatch import Status
from solver.planning.drills import (
    DrillKind,
    DrillScenario,
    accident_closures,
    drill_scenario,
    drill_view,
    g102_places,
    incident_outcome,
    report_markdown,
    run_drill,
    run_scenario,
    write_report,
)

from tests.solver.planning.test_staging import assert_one_line_error, run


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor()


@pytest.fixture(scope="module")
def breakdown(corridor):
    return run_drill("breakdown", 0, corridor)


@pytest.fixture(scope="module")
def accident(corridor):
    return run_drill("accident", 0, corridor)


@pytest.fixture(scope="module")
def blizzard(corridor):
    return run_drill("blizzard", 0, corridor)


# --------------------------------------------------------------------------- scenarios
@pytest.mark.parametrize("kind", list(DrillKind))
def test_the_same_seed_gives_the_same_scenario_and_seeds_differ(corridor, kind):
    first, again = drill_scenario(kind, 3, corridor), drill_scenario(kind, 3, corridor)
    assert first == again
    others = {drill_scenario(kind, seed, corridor).incidents for seed in range(5)}
    assert len(others) > 1


@pytest.mark.parametrize("seed", range(4))
def test_a_breakdown_happens_on_g1_while_its_trip_is_on_the_road(corridor, seed):
    scenario = drill_scenario("breakdown", seed, corridor)
    (incident,) = scenario.incidents
    trip = corridor.dataset.trip(incident.trip_id)
    assert trip.vehicle_id == incident.vehicle_id
    assert trip.departure <= incident.at < trip.arrival
    assert incident.location.startswith("G1 K")
    assert incident.passengers == trip.booked_passengers
    assert scenario.conditions.name == "clear"


def test_an_accident_closes_the_carriageway_ahead_and_the_opposite_one_alongside(corridor):
    closed = accident_closures(corridor, 80.0, Direction.TO_CHANGCHUN)
    assert closed == {
        ("fanjiatun_ic.to_changchun", "kaoshantun_sa.to_changchun"),
        ("fanjiatun_ic.to_siping", "liufangzi_ic.to_siping"),  # K80 lies between Liufangzi (K71.9) and Fanjiatun
    }
    scenario = drill_scenario("accident", 0, corridor)
    (incident,) = scenario.incidents
    assert incident.kind == IncidentKind.ACCIDENT and not incident.drivable
    assert scenario.conditions.closed_edges and not scenario.conditions.closed_entrances


def test_an_accident_where_the_rescue_could_not_leave_the_expressway_is_refused(corridor):
    # K40 toward Changchun lies on the section that ends at the Taojiatun service area, not an exit
    with pytest.raises(InvalidValueError, match="exit"):
        accident_closures(corridor, 40.0, Direction.TO_CHANGCHUN)


def test_a_blizzard_has_three_breakdowns_at_once_on_g102_with_g1_closed(corridor):
    scenario = drill_scenario("blizzard", 0, corridor)
    assert len(scenario.incidents) == 3
    assert len(scenario.waves) == 1
    assert {i.location for i in scenario.incidents} <= set(g102_places(corridor))
    assert "*" in scenario.conditions.closed_entrances
    assert scenario.conditions.weather_on(RoadClass.CITY) == Weather.ICE
    assert scenario.conditions.weather_on(RoadClass.EXPRESSWAY) == Weather.BLIZZARD


@pytest.mark.parametrize("kind, seed, words", [("flood", 0, "flood"), ("breakdown", -1, "seed")])
def test_bad_drill_requests_are_refused(corridor, kind, seed, words):
    with pytest.raises(InvalidValueError, match=words):
        drill_scenario(kind, seed, corridor)


def test_a_scenario_without_incidents_is_refused(corridor):
    with pytest.raises(InvalidValueError, match="at least one"):
        DrillScenario(DrillKind.BREAKDOWN, 0, "empty", (), corridor.dataset.conditions_named("clear"), "")


# --------------------------------------------------------------------------- running them
def assert_sound(report):
    assert report.statuses and all(s in (Status.OPTIMAL, Status.FEASIBLE) for s in report.statuses)
    assert report.problems == ()
    for outcome in report.dispatches:
        assert all(problems == () for problems in outcome.problems)
    assert all(s.passengers_carried == s.passengers for s in report.scores)
    assert report.checks_passed, [c for c in report.checks if not c.passed]


def test_breakdown_drill_is_sound_and_scored_against_its_tier(breakdown):
    assert_sound(breakdown)
    (score,) = breakdown.scores
    group = breakdown.dispatches[0].instance.groups[0]
    assert score.tier == group.tier and score.limit_s == group.limit_s
    assert score.response_s == max(
        int((leg.scene_arrival - score.reported_at).total_seconds()) for leg in breakdown.legs
    )
    assert score.within_limit == (score.response_s <= score.limit_s)
    assert {c.name for c in breakdown.checks} >= {"the failed coach's later trips are re-covered"}


@pytest.mark.parametrize("seed", [1, 2])
def test_breakdown_drills_on_other_seeds_pass_their_checks(corridor, seed):
    assert_sound(run_drill("breakdown", seed, corridor))


def test_accident_drill_avoids_the_closed_carriageways_and_detours_by_g102(accident):
    assert_sound(accident)
    closed = accident.scenario.conditions.closed_edges
    for leg in accident.legs:
        for nodes in (leg.to_scene_nodes, leg.onward_nodes):
            assert not set(zip(nodes, nodes[1:])) & closed
        assert "G102" in leg.onward_roads  # leaves by the Fanjiatun exit
    assert any(c.name == "no rescue drives a closed carriageway" and c.passed for c in accident.checks)


def test_blizzard_drill_rescues_by_g102_slower_than_in_clear_weather_and_says_who_is_left(blizzard):
    # Snow-covered G102 and icy streets are ≤30 km/h (实施条例 Art. 46): a rescue to the campus side
    # drives over 3 h into the night, more than the 2 h night / 4 h day continuous limit allows without
    # a rest on the way, and only a rest at the scene is planned today; so not every group is reached,
    # and the drill must say so rather than pass.
    assert blizzard.problems == ()
    for outcome in blizzard.dispatches:
        assert all(problems == () for problems in outcome.problems)
    # one coach per group, unless a rescue route takes it through several scenes (§6a)
    routed = {route.vehicle_id for outcome in blizzard.dispatches for route in outcome.result.plans[0].routes}
    coaches = [leg.vehicle_id for leg in blizzard.legs]
    assert coaches and all(coaches.count(v) == 1 or v in routed for v in coaches), (coaches, routed)
    short = [s for s in blizzard.scores if s.passengers_carried < s.passengers]
    assert blizzard.promise.kept == (not short and all(s.within_limit for s in blizzard.scores))
    assert {r.incident_id for r in blizzard.remedies} == {s.incident_id for s in blizzard.scores if not s.within_limit}
    for leg in blizzard.legs:
        assert "G1" not in leg.to_scene_roads + leg.onward_roads
        assert "G102" in leg.to_scene_roads + leg.onward_roads
        assert leg.clear_weather_s is not None and leg.response_s > leg.clear_weather_s


def test_a_later_wave_cannot_reuse_the_coaches_of_an_earlier_one(corridor, breakdown):
    (first,) = breakdown.scenario.incidents
    first_trip = corridor.dataset.trip(first.trip_id)
    other_trip = next(
        t
        for t in corridor.dataset.trips
        if t.kind == first_trip.kind and t.vehicle_id != first.vehicle_id and t.departure.date() == first.at.date()
    )
    second = replace(
        first,
        id="second",
        at=first.at + timedelta(minutes=5),
        vehicle_id=other_trip.vehicle_id,
        trip_id=other_trip.id,
        passengers=other_trip.booked_passengers,
    )
    report = run_scenario(replace(breakdown.scenario, incidents=(first, second)), corridor)
    assert len(report.dispatches) == 2
    first_wave = {leg.vehicle_id for leg in report.legs if leg.incident_id == first.id}
    second_wave = {leg.vehicle_id for leg in report.legs if leg.incident_id == "second"}
    assert first_wave and second_wave and not first_wave & second_wave
    assert first_wave <= set(report.dispatches[1].instance.unavailable)


# --------------------------------------------------------------------------- reports
def test_write_report_writes_markdown_with_a_map(corridor, blizzard, tmp_path):
    path = write_report(blizzard, tmp_path, corridor)
    text = path.read_text(encoding="utf-8")
    assert path.name == "blizzard_drill_seed0.md"
    assert "## Promise" in text and "## Incidents against their limits" in text and "## Mechanics checks" in text
    for score in blizzard.scores:
        assert score.incident_id in text
    png = tmp_path / "blizzard_drill_seed0_map.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "blizzard_drill_seed0_map.png" in text


def test_report_says_when_a_limit_is_missed(blizzard):
    text = report_markdown(blizzard)
    scores_section = text.split("## Incidents against their limits")[1].split("## Rescues")[0]
    rows = [line for line in scores_section.splitlines() if line.startswith("| blizzard-")]
    assert len(rows) == len(blizzard.scores)
    for score in blizzard.scores:
        (row,) = [line for line in rows if line.startswith(f"| {score.incident_id} |")]
        outcome = row.rstrip(" |").rsplit("|", 1)[-1].strip()
        assert outcome == incident_outcome(score)
    total = blizzard.promise.total
    assert f"| {total.passengers_within} / {total.passengers} ({blizzard.share_within_limit:.0%}) |" in text


def test_drill_view_is_json(breakdown):
    view = drill_view(breakdown)
    assert view["kind"] == "breakdown" and view["checks_passed"] is True
    assert view["incidents"][0]["limit_min"] in (30, 60, 90, 15)
    json.dumps(view)


# --------------------------------------------------------------------------- the command
def test_drill_command_writes_the_report(monkeypatch, capsys, tmp_path):
    code, out, err = run(monkeypatch, capsys, "drill", "breakdown", "--seed", "1", "--out", str(tmp_path), "--json")
    assert code == 0, err
    view = json.loads(out)
    assert view["seed"] == 1 and view["checks_passed"]
    assert (tmp_path / "breakdown_drill_seed1.md").exists()
    assert view["report"].endswith("breakdown_drill_seed1.md")


@pytest.mark.parametrize(
    "argv, words",
    [
        (["flood"], ["flood"]),
        (["breakdown", "--seed", "-2"], ["-2"]),
        (["breakdown", "--seed", "x"], ["x"]),
    ],
)
def test_drill_bad_input_exits_2_with_one_line(monkeypatch, capsys, tmp_path, argv, words):
    assert_one_line_error(*run(monkeypatch, capsys, "drill", *argv, "--out", str(tmp_path)), *words)
