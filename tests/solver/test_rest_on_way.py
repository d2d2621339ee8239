"""A rescue too long for one stretch gets the driver's rest on the way (world-model §6), and a rescue
that runs past a driver's shift is named as overtime among the relaxations.

The case, worked by hand in ``tests/scenarios/blizzard_guojiadian_rest_on_way.toml``: a blizzard, c01
fails at Guojiadian town at 18:10 with 40 aboard; the onward drive to Changchun on the icy G102 is
over 3 h with an hour of it after 22:00, too long for a stretch, and no rest at the scene shortens it.
Before the rest on the way nobody was sent. Every plan here is checked by the independent oracle and
the evaluator; the tampered plans show both notice a wrong rest.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta

import pytest

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.evaluate import evaluate
from fleetplan.model import Incident, IncidentKind
from fleetplan.plan import Rescue
from fleetplan.problems import ProblemCode

from solver.dispatch import Budget, SolveParams, build_plan, dispatch, prepare
from solver.dispatch.oracle_check import oracle_problems

REPORT = datetime(2026, 12, 7, 18, 10)
PARAMS = SolveParams(budget=Budget.wall_clock(1.0), alternatives=1)
MIN = 60
RULE = 4 * 3600, 2 * 3600  # continuous driving by day and at night (DESIGN §2.3)


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor()


@pytest.fixture(scope="module")
def blizzard(corridor):
    return corridor.dataset.conditions_named("blizzard")


@pytest.fixture(scope="module")
def guojiadian(corridor, blizzard):
    failure = Incident("g1", IncidentKind.BREAKDOWN, "c01", None, "guojiadian_town", REPORT, 40)
    return dispatch(corridor, [failure], blizzard, params=PARAMS)


def stretch_share(start: datetime, end: datetime) -> float:
    """The continuous-driving share of one drive, worked minute by minute: night 22:00–06:00."""
    share, moment = 0.0, start
    while moment < end:
        step = min(end, moment + timedelta(minutes=1))
        night = moment.time() >= time(22) or moment.time() < time(6)
        share += (step - moment).total_seconds() / (RULE[1] if night else RULE[0])
        moment = step
    return share


def oracle_codes(outcome, plan) -> set[str]:
    """The kinds of the oracle's disagreements with ``plan`` (``continuous``, ``rest_place``, …)."""
    return oracle_codes_of(outcome.instance, plan)


def oracle_codes_of(instance, plan) -> set[str]:
    (found,) = oracle_problems(instance, [plan])
    return {str(dict(p.numbers).get("kind")) for p in found}


def oracle_fields(outcome, plan) -> set[str]:
    """The plan fields the oracle disagrees with (the subject ends with the field)."""
    (found,) = oracle_problems(outcome.instance, [plan])
    return {p.subject.split()[-1] for p in found}


def the_rescue(outcome) -> Rescue:
    (rescue,) = outcome.result.best.rescues
    return rescue


def test_the_long_blizzard_rescue_is_planned_with_a_rest_on_the_way(guojiadian):
    assert guojiadian.result.status.value in ("optimal", "feasible")
    rescue = the_rescue(guojiadian)
    assert rescue.passengers == 40 and rescue.driver_id == "d28"
    assert rescue.rest_at_scene_s == 0
    assert rescue.rest_on_way_node == "gongzhuling_city"  # a town on the G102, the first rest place on it
    assert rescue.rest_on_way_s == 20 * MIN
    leave = rescue.boarding_at + timedelta(minutes=5)  # the transfer
    rested = rescue.rest_on_way_at + timedelta(seconds=rescue.rest_on_way_s)
    # without the rest one stretch would be over the limit; with it, each side of the rest is within it
    unrested = rescue.destination_arrival - timedelta(seconds=rescue.rest_on_way_s)
    assert stretch_share(rescue.depart_at, rescue.scene_arrival) + stretch_share(leave, unrested) > 1
    assert stretch_share(rescue.depart_at, rescue.scene_arrival) + stretch_share(leave, rescue.rest_on_way_at) <= 1
    assert stretch_share(rested, rescue.destination_arrival) <= 1
    assert evaluate(guojiadian.result.best, guojiadian.instance) == []
    assert oracle_problems(guojiadian.instance, [guojiadian.result.best]) == ((),)


def test_the_dispatcher_is_told_where_and_when_the_driver_rests(guojiadian):
    rescue = the_rescue(guojiadian)
    words = guojiadian.result.best.explanation
    assert f"rests 20 min at Gongzhuling city from {rescue.rest_on_way_at:%H:%M}" in words  # the place by its name


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda r: replace(r, rest_on_way_node="gongzhuling_ic"), "rest_on_way_node"),  # an interchange
        (lambda r: replace(r, rest_on_way_node="lishu_town"), "rest_on_way_node"),  # not on the way
        (lambda r: replace(r, rest_on_way_at=r.rest_on_way_at + timedelta(minutes=10)), "rest_on_way_at"),
        (lambda r: replace(r, rest_on_way_s=10 * MIN), "rest_on_way_s"),  # too short to be a rest
    ],
    ids=["interchange", "off the route", "reached later", "ten minutes"],
)
def test_the_oracle_refuses_a_wrong_rest_on_the_way(guojiadian, change, field):
    plan = guojiadian.result.best
    tampered = replace(plan, rescues=(change(the_rescue(guojiadian)),))
    assert field in oracle_fields(guojiadian, tampered)


def test_without_the_rest_the_oracle_and_the_evaluator_see_the_stretch_too_long(guojiadian):
    plan, rescue = guojiadian.result.best, the_rescue(guojiadian)
    arrives = rescue.destination_arrival - timedelta(seconds=rescue.rest_on_way_s)  # as if it drove on
    no_rest = replace(rescue, rest_on_way_node="", rest_on_way_at=None, rest_on_way_s=0, destination_arrival=arrives)
    tampered = replace(plan, rescues=(no_rest,))
    assert "continuous" in oracle_codes(guojiadian, tampered)
    assert ProblemCode.DRIVING_RULES in {p.code for p in evaluate(tampered, guojiadian.instance)}


def test_the_evaluator_refuses_a_rest_place_that_is_not_one(guojiadian):
    plan = guojiadian.result.best
    tampered = replace(plan, rescues=(replace(the_rescue(guojiadian), rest_on_way_node="gongzhuling_ic"),))
    assert ProblemCode.REST_PLACE in {p.code for p in evaluate(tampered, guojiadian.instance)}


def test_a_rest_on_the_way_needs_its_place_and_its_time():
    with pytest.raises(ValueError, match="rest_on_way_node"):
        Rescue(
            "o",
            "g",
            "c01",
            "d01",
            "siping_depot",
            REPORT,
            REPORT,
            REPORT,
            REPORT + timedelta(hours=1),
            10,
            0,
            rest_on_way_node="gongzhuling_city",
        )


def test_a_short_rescue_takes_no_rest(corridor):
    # the same place on a clear evening: 40 min to Changchun on G1, no rest anywhere
    failure = Incident("g1", IncidentKind.BREAKDOWN, "c01", None, "guojiadian_town", REPORT, 40)
    outcome = dispatch(corridor, [failure], corridor.dataset.clear_conditions, params=PARAMS)
    for plan in outcome.result.plans:
        for rescue in plan.rescues:
            assert (rescue.rest_at_scene_s, rescue.rest_on_way_node, rescue.rest_on_way_at) == (0, "", None)


# --------------------------------------------------------------------------- overtime, a relaxation
def test_overtime_is_named_when_shifts_end_before_the_rescues_and_it_carries_everyone(corridor, blizzard):
    wave = [
        Incident("g1", IncidentKind.BREAKDOWN, "c01", None, "guojiadian_town", REPORT, 40),
        Incident("g2", IncidentKind.BREAKDOWN, "c02", None, "gongzhuling_city", REPORT, 34),
        Incident("g3", IncidentKind.BREAKDOWN, "c04", None, "43.42640,124.70790", REPORT, 27),
    ]
    outcome = dispatch(corridor, wave, blizzard, params=PARAMS)
    assert outcome.result.best.objective.passengers_not_reached == 101  # all late, one group not reached
    (overtime,) = [r for r in outcome.result.relaxations if r.kind == "overtime"]
    named = [
        o
        for o in outcome.instance.overtime_options
        if f"{o.driver_id} with {o.vehicle_id} until {o.destination_arrival:%H:%M}" in overtime.description
    ]
    assert len(named) == overtime.amount == 1
    (option,) = named
    driver = corridor.dataset.driver(option.driver_id)
    shift_end = datetime.combine(REPORT.date(), driver.shift_end)
    assert option.depart_at < shift_end < option.destination_arrival  # it runs past the shift's end
    # Checked independently: the same wave with that driver's shift ending after the rescue carries everyone.
    longer = replace(driver, shift_end=time(23, 59))
    drivers = tuple(longer if d.id == driver.id else d for d in corridor.dataset.drivers)
    extended = Corridor(replace(corridor.dataset, drivers=drivers), corridor.network, corridor.directory)
    again = dispatch(extended, wave, blizzard, params=PARAMS)
    best = again.result.best
    carried = sum(r.passengers for r in best.rescues)
    assert carried == 101
    assert evaluate(best, again.instance) == []
    assert oracle_problems(again.instance, [best]) == ((),)


def test_overtime_is_not_offered_as_a_plan(corridor, blizzard):
    failure = Incident("g1", IncidentKind.BREAKDOWN, "c02", None, "gongzhuling_city", REPORT, 34)
    instance = prepare(corridor, [failure], blizzard)
    offered = {o.id for o in instance.rescue_options}
    assert instance.overtime_options
    assert not offered & {o.id for o in instance.overtime_options}


def test_a_rescue_from_the_far_city_rests_at_the_scene_and_again_on_the_way(corridor, blizzard):
    # From Changchun the drive to Guojiadian alone is ≈3 h by day: the stretch through the scene needs
    # a rest there, and the ≈3 h 20 min onward at night a second one on the way.
    failure = Incident("g1", IncidentKind.BREAKDOWN, "c01", None, "guojiadian_town", REPORT, 40)
    instance = prepare(corridor, [failure], blizzard)
    option = next(o for o in instance.rescue_options if o.origin_node == "changchun_depot")
    assert option.rest_at_scene_s == 20 * MIN and option.rest_on_way_node and option.rest_on_way_s == 20 * MIN
    leave = option.boarding_at + timedelta(minutes=5 + 20)
    rested = option.rest_on_way_at + timedelta(seconds=option.rest_on_way_s)
    assert stretch_share(option.depart_at, option.scene_arrival) <= 1
    assert stretch_share(option.depart_at, option.scene_arrival) + stretch_share(leave, option.rest_on_way_at) > 1
    assert stretch_share(leave, option.rest_on_way_at) <= 1 and stretch_share(rested, option.destination_arrival) <= 1
    plan = build_plan(instance, {option.id: 40}, (), source="test")
    assert evaluate(plan, instance) == []
    assert oracle_problems(instance, [plan]) == ((),)
    # the rest at the scene dropped: the oracle sees the stretch through the scene too long
    (rescue,) = plan.rescues
    earlier = timedelta(seconds=rescue.rest_at_scene_s)
    hurried = replace(
        rescue,
        rest_at_scene_s=0,
        rest_on_way_at=rescue.rest_on_way_at - earlier,
        destination_arrival=rescue.destination_arrival - earlier,
    )
    assert "continuous" in oracle_codes_of(instance, replace(plan, rescues=(hurried,)))
