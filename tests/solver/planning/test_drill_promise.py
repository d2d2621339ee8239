"""A drill scored against the service promise first (issue 14 item 13): per tier, incidents and
passengers within the limit; the worst lateness; what would have met the limit; the mechanics after."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

import pytest

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.model import VehicleStatus
from fleetplan.units import ceil_minutes

from solver.dispatch import Budget, SolveParams, dispatch
from solver.planning.drills import (
    IncidentScore,
    drill_scenario,
    drill_text,
    drill_view,
    incident_outcome,
    promise_headline,
    promise_score,
    report_markdown,
    run_drill,
    run_scenario,
    score_dispatch,
    with_extra_backup,
)

from tests.solver.planning.test_staging import run

AT = datetime(2026, 12, 7, 18, 10)
# Deterministic budgets: the drill and its remedy probes plan the same whatever else the machine runs.
DRILL_PARAMS = SolveParams(budget=Budget.deterministic(2.0), workers=1, alternatives=1)
REMEDY_PARAMS = SolveParams(budget=Budget.deterministic(0.5), workers=1, alternatives=1)


def score(incident_id, tier, limit_min, passengers, carried, within, late_s=0) -> IncidentScore:
    return IncidentScore(
        incident_id,
        "c01",
        "G102",
        AT,
        tier,
        limit_min * 60,
        passengers,
        carried,
        within,
        None if carried == 0 else limit_min * 60 + late_s,
        ("c09",) if carried else (),
        late_s,
    )


ON_TIME = score("a", "near_backup", 60, 40, 40, 40)
ONE_MIN_LATE = score("b", "near_backup", 60, 31, 31, 0, late_s=60)
HALF_TAKEN = score("c", "corridor", 90, 34, 20, 0, late_s=300)


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor()


@pytest.fixture(scope="module")
def blizzard(corridor):
    return run_drill("blizzard", 0, corridor, DRILL_PARAMS, remedy_params=REMEDY_PARAMS)


# --------------------------------------------------------------------------- the score, by hand
def test_the_promise_is_tallied_per_tier_tightest_first_and_for_all():
    promise = promise_score([HALF_TAKEN, ON_TIME, ONE_MIN_LATE])
    near, corridor_tier = promise.tiers
    assert (near.tier, near.limit_s, corridor_tier.tier) == ("near_backup", 3600, "corridor")
    assert (near.incidents, near.incidents_within, near.passengers, near.passengers_within) == (2, 1, 71, 40)
    assert (near.passengers_late, near.passengers_not_reached) == (31, 0)
    assert (near.worst_late_s, near.worst_late_incident) == (60, "b")
    assert near.incidents_share == 0.5 and near.passengers_share == pytest.approx(40 / 71)
    assert (corridor_tier.passengers_late, corridor_tier.passengers_not_reached) == (20, 14)
    total = promise.total
    assert (total.incidents, total.incidents_within, total.passengers, total.passengers_within) == (3, 1, 105, 40)
    assert (total.worst_late_s, total.worst_late_incident) == (300, "c")
    assert not promise.kept and promise.incidents_beyond == 2
    assert promise_score([ON_TIME]).kept


def test_the_words_say_late_and_by_how_much_apart_from_not_reached():
    assert incident_outcome(ON_TIME) == "all 40 passengers reached within the limit"
    assert incident_outcome(ONE_MIN_LATE) == "31 passengers reached 1 min late"
    assert incident_outcome(HALF_TAKEN) == "20 passengers reached 5 min late; 14 not reached (no coach takes them)"
    assert "not reached" not in incident_outcome(ONE_MIN_LATE)


def test_the_headline_says_the_promise_was_not_kept_whatever_the_checks():
    broken = promise_headline(promise_score([ON_TIME, ONE_MIN_LATE, HALF_TAKEN]))
    assert broken.startswith("PROMISE NOT KEPT")
    assert "2 of 3 incidents beyond their limit" in broken
    assert "1 of 1 incident beyond its limit" in promise_headline(promise_score([HALF_TAKEN]))
    assert "worst 5 min late (c)" in broken and "14 passengers not reached" in broken
    assert "passed" not in broken
    kept = promise_headline(promise_score([ON_TIME]))
    assert kept.startswith("promise kept") and "NOT" not in kept


# --------------------------------------------------------------------------- the blizzard drill
def test_the_blizzard_drill_scores_its_lateness_from_the_deadline(blizzard):
    for s in blizzard.scores:
        legs = [leg for leg in blizzard.legs if leg.incident_id == s.incident_id and leg.passengers]
        assert s.late_s == max((leg.late_s for leg in legs), default=0)
        assert s.passengers_late == sum(leg.passengers for leg in legs if leg.late_s > 0)
        assert s.passengers_not_reached == s.passengers - sum(leg.passengers for leg in legs)
    assert not blizzard.promise.kept  # three breakdowns at once on icy roads: the drill's finding


def test_the_blizzard_text_leads_with_the_promise_then_the_remedies_then_the_mechanics(blizzard):
    text = drill_text(blizzard)
    headline = text.splitlines()[0]
    assert "PROMISE NOT KEPT" in headline and "passed" not in headline
    promise_at = text.index("Promise (response-time limits)")
    remedies_at = text.index("What would have met it")
    mechanics_at = text.index("Mechanics checks")
    assert promise_at < remedies_at < mechanics_at
    for s in blizzard.scores:
        assert incident_outcome(s) in text
        if s.passengers_late:
            assert f"{s.passengers_late} passengers reached {ceil_minutes(s.late_s)} min late" in text
        if not s.passengers_not_reached:
            assert f"{s.incident_id}: {s.passengers} passengers" in text and "not reached (no" not in incident_outcome(
                s
            )


def test_the_blizzard_markdown_leads_with_the_promise_and_ends_with_the_mechanics(blizzard):
    text = report_markdown(blizzard)
    assert "**Promise: NOT KEPT**" in text.split("## ")[0]
    assert text.index("## Promise") < text.index("## What would have met it") < text.index("## Mechanics checks")
    table = text.split("## Promise")[1].split("## ")[0]
    for tally in blizzard.promise.tiers:
        assert f"| {tally.tier} | {tally.limit_s // 60} min | {tally.incidents_within} / {tally.incidents} " in table


def test_the_blizzard_json_has_the_promise_and_no_bare_passed(blizzard):
    view = json.loads(json.dumps(drill_view(blizzard)))
    assert "passed" not in view
    assert view["checks_passed"] is blizzard.checks_passed and view["promise"]["kept"] is False
    assert view["verdict"] == "promise not kept"
    total = view["promise"]["all"]
    assert total["incidents"] == 3 and total["incidents_within"] == 0
    assert total["worst_late_min"] == max(ceil_minutes(s.late_s) for s in blizzard.scores)
    assert [t["tier"] for t in view["promise"]["tiers"]] == [t.tier for t in blizzard.promise.tiers]
    for incident in view["incidents"]:
        assert {"late_min", "passengers_late", "passengers_not_reached"} <= set(incident)
    assert {r["incident_id"] for r in view["what_would_meet"]} == {s.incident_id for s in blizzard.scores}


def test_each_late_incident_gets_what_would_have_met_it(blizzard, corridor):
    late = {s.incident_id: s for s in blizzard.scores if not s.within_limit}
    assert {r.incident_id for r in blizzard.remedies} == set(late)
    for remedy in blizzard.remedies:
        score = late[remedy.incident_id]
        assert remedy.late_s == score.late_s
        assert remedy.wave == tuple(s.incident_id for s in blizzard.scores)  # one wave: all at once
        assert remedy.relaxations or remedy.met_with_hard_limits  # the dispatch names a relaxation
        if not any(s.passengers_not_reached for s in blizzard.scores) and not remedy.met_with_hard_limits:
            later = [r for r in remedy.relaxations if r.kind == "later_limit"]
            assert later and later[0].amount >= ceil_minutes(remedy.late_s)  # the whole wave's, this one's too
        assert remedy.sites_tried == tuple(site.id for site in corridor.dataset.sites)[: len(remedy.sites_tried)]
        if remedy.backup is not None:  # a site that meets the limit, or comes closer than the drill
            assert remedy.backup_site in remedy.sites_tried
            assert (remedy.backup.passengers_not_reached, remedy.backup.passengers_late, remedy.backup.late_s) < (
                score.passengers_not_reached,
                score.passengers_late,
                score.late_s,
            )


def assert_backup_confirmed(report, remedy, corridor):
    """The staging point named as meeting the limit does, dispatched again independently."""
    (wave,) = [w for w in report.scenario.waves if remedy.incident_id in {i.id for i in w}]
    (outcome,) = [d for d in report.dispatches if remedy.incident_id in {g.incident_id for g in d.instance.groups}]
    again = dispatch(
        with_extra_backup(corridor, remedy.backup_site, wave[0].at.date()),
        wave,
        report.scenario.conditions,
        params=SolveParams(budget=Budget.wall_clock(1.0), alternatives=1),
        unavailable=outcome.instance.unavailable,
    )
    (score,) = [s for s in score_dispatch(again) if s.incident_id == remedy.incident_id]
    assert score.within_limit, remedy


def test_a_backup_staged_near_the_scene_meets_a_limit_the_depots_miss(corridor):
    # limits of 25 min everywhere: the breakdown drill's rescue from a depot comes too late
    tiers = corridor.dataset.tier_policy
    tight = replace(
        tiers, **{name: replace(getattr(tiers, name), limit_s=25 * 60) for name in ("city", "near_backup", "corridor")}
    )
    strict = replace(corridor, dataset=replace(corridor.dataset, tier_policy=tight))
    report = run_scenario(drill_scenario("breakdown", 0, strict), strict)
    assert not report.promise.kept
    (remedy,) = report.remedies
    assert remedy.backup_meets and remedy.backup is not None
    assert remedy.sites_tried[-1] == remedy.backup_site  # the first staging point that meets it
    assert remedy.backup.response_s is not None and remedy.backup.response_s <= remedy.backup.limit_s
    assert_backup_confirmed(report, remedy, strict)
    assert f"one more standby coach with a driver at {remedy.backup_site} meets it" in drill_text(report)


def test_an_extra_backup_stands_at_the_site_with_a_driver_of_its_own(corridor):
    day = AT.date()
    staged = with_extra_backup(corridor, "kaoshantun_sa", day)
    added = set(staged.dataset.vehicles) - set(corridor.dataset.vehicles)
    (coach,) = added
    assert coach.home_depot == "kaoshantun_sa" and coach.status == VehicleStatus.STANDBY
    assert len({v.id for v in staged.dataset.vehicles}) == len(staged.dataset.vehicles)
    (driver,) = set(staged.dataset.drivers) - set(corridor.dataset.drivers)
    assert driver.home_depot == "kaoshantun_sa"
    assert staged.network is corridor.network


# --------------------------------------------------------------------------- the command
def test_the_drill_command_exits_1_under_strict_when_the_promise_failed(monkeypatch, capsys, tmp_path):
    code, out, err = run(monkeypatch, capsys, "drill", "blizzard", "--out", str(tmp_path), "--json")
    view = json.loads(out)
    assert view["verdict"] == "promise not kept"
    assert code == (0 if view["checks_passed"] else 1), err  # it ran: the verdict is in the output
    code, out, err = run(monkeypatch, capsys, "drill", "blizzard", "--strict", "--out", str(tmp_path))
    assert code == 1, err
    assert "PROMISE NOT KEPT" in out.splitlines()[0] and "passed" not in out.splitlines()[0]
