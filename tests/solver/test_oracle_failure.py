"""An independent oracle that fails on a case (a bug of its own, a text only the engine reads) must not
cost the dispatcher the options: every plan comes out disputed, saying it is unchecked, and it is logged."""

from __future__ import annotations

import logging
from datetime import datetime

from fleetplan import oracle
from fleetplan.corridor import load_corridor
from fleetplan.model import Incident, IncidentKind

from solver.dispatch import Budget, SolveParams, Status, dispatch


def test_a_failing_oracle_leaves_the_plans_disputed_and_unchecked_not_lost(monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise ValueError("the oracle broke")

    monkeypatch.setattr(oracle, "check_dispatch", broken)
    corridor = load_corridor()
    incident = Incident(
        "1", IncidentKind.BREAKDOWN, "c01", None, "G1 K78 toward Siping", datetime(2026, 12, 7, 7, 40), 30
    )
    with caplog.at_level(logging.ERROR):
        outcome = dispatch(
            corridor,
            [incident],
            corridor.dataset.clear_conditions,
            params=SolveParams(budget=Budget.wall_clock(5.0), alternatives=2),
        )

    assert outcome.result.plans
    assert outcome.result.status == Status.DISPUTED
    for found in outcome.problems:
        assert [dict(p.numbers).get("kind") for p in found if "could not check" in p.message] == ["unchecked"]
    assert "the oracle could not check" in caplog.text
