"""The alternatives left for later (issue 18 §5): a caller that says before an alternative that no more
are wanted now (a desk with other reports waiting) gets the best plan alone, the same as with all of
them, confirmed by the independent oracle, and the result says the alternatives were deferred."""

from __future__ import annotations

from datetime import datetime

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.model import Incident, IncidentKind

from solver.dispatch import Budget, SolveParams, dispatch_prepared, prepare
from solver.dispatch.oracle_check import oracle_problems

FAILED = Incident(
    "1", IncidentKind.BREAKDOWN, "c15", None, "G1 K11 toward Changchun", datetime(2026, 12, 11, 14, 18), 20
)
PARAMS = SolveParams(budget=Budget.wall_clock(2.0), alternatives=3)


@pytest.fixture(scope="module")
def instance():
    corridor = load_corridor()
    return prepare(corridor, [FAILED], corridor.dataset.clear_conditions)


def test_no_more_wanted_gives_the_best_plan_alone_and_says_so(instance):
    asked: list[int] = []

    def more_wanted() -> bool:
        asked.append(1)
        return False

    cut = dispatch_prepared(instance, PARAMS, more_wanted)
    whole = dispatch_prepared(instance, PARAMS)
    assert len(asked) == 1, "asked once, before the first alternative"
    assert cut.result.alternatives_deferred and not whole.result.alternatives_deferred
    assert len(cut.result.plans) == 1 < len(whole.result.plans)
    assert cut.result.status.value == whole.result.status.value == "optimal"
    assert cut.result.plans[0].objective == whole.result.plans[0].objective
    assert oracle_problems(instance, list(cut.result.plans)) == ((),)


def test_more_wanted_asked_before_each_alternative_only(instance):
    asked: list[int] = []

    def more_wanted() -> bool:
        asked.append(1)
        return len(asked) < 2  # the first alternative, not the second

    result = dispatch_prepared(instance, PARAMS, more_wanted).result
    assert len(asked) == 2 and len(result.plans) == 2 and result.alternatives_deferred
    assert oracle_problems(instance, list(result.plans)) == ((), ())
