"""What an infeasible dispatch suggests (issue 14, item 9): a later limit even past the options the
builder prunes as too late, a relay through the 02:00–05:00 stop, calling in an off-shift driver rather
than "a second driver" for a coach nobody on shift can drive, and more seats only when seats are
really missing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.evaluate import evaluate
from fleetplan.model import Incident, IncidentKind, OvernightRule

from solver.dispatch import Budget, SolveParams, Status, dispatch

PARAMS = SolveParams(budget=Budget.wall_clock(1.0), alternatives=1)
TUESDAY_0130 = datetime(2026, 12, 8, 1, 30)


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor()


@pytest.fixture(scope="module")
def enforced(corridor: Corridor) -> Corridor:
    """The corridor with the 02:00–05:00 stop enforced for every trip (policy.toml's switch)."""
    policy = replace(corridor.dataset.driving_policy, overnight_rule=OvernightRule.ENFORCE)
    return Corridor(replace(corridor.dataset, driving_policy=policy), corridor.network, corridor.directory)


def night_incident(vehicle: str, where: str, passengers: int) -> Incident:
    return Incident("t1", IncidentKind.BREAKDOWN, vehicle, None, where, TUESDAY_0130, passengers)


def relaxations(outcome) -> dict[str, list]:
    found: dict[str, list] = {}
    for relaxation in outcome.result.relaxations:
        found.setdefault(relaxation.kind, []).append(relaxation)
    return found


def test_an_overnight_stop_suggests_a_later_limit_and_a_relay_not_seats(enforced):
    outcome = dispatch(
        enforced,
        [night_incident("c01", "G1 K78 toward Changchun", 30)],
        enforced.dataset.clear_conditions,
        params=PARAMS,
    )
    assert outcome.result.status == Status.INFEASIBLE
    for plan in outcome.result.plans:
        assert evaluate(plan, outcome.instance) == []
    kinds = relaxations(outcome)
    (later,) = kinds["later_limit"]
    assert later.amount > 180  # past the options the builder prunes as too late (max_late_s)
    (relay,) = kinds["relay"]
    assert "02:00" in relay.description and "05:00" in relay.description
    assert "more_seats" not in kinds  # seats are there; only the night stop keeps them away
    # c02–c04 have no driver because theirs are off shift: no relief driver changes that
    assert "second_driver" not in kinds


def test_no_driver_on_shift_suggests_calling_one_in_not_21_second_drivers(corridor):
    on_shift = {"d13": "on leave", "d14": "on leave", "d28": "on leave"}
    outcome = dispatch(
        corridor,
        [night_incident("c16", "G1 K20 toward Siping", 40)],
        corridor.dataset.clear_conditions,
        params=PARAMS,
        unavailable=on_shift,
    )
    assert outcome.result.status == Status.INFEASIBLE
    kinds = relaxations(outcome)
    assert "second_driver" not in kinds
    assert "more_seats" not in kinds
    (call_in,) = kinds["call_in"]
    assert call_in.amount == 1  # one 49+-seat coach carries all 40
    assert "call in off-shift driver d" in call_in.description and "reachable by 02:00" in call_in.description
    called = call_in.description.split("call in off-shift driver ")[1].split()[0]
    assert corridor.dataset.driver(called).on_shift(TUESDAY_0130) is False
