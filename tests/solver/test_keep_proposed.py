"""A re-plan keeps what was proposed before when it is as good (issue 18 §3): ``SolveParams.keep``
breaks a tie between equally good plans toward the crews proposed before, never against the objective,
and each plan is confirmed by the independent oracle."""

from __future__ import annotations

from datetime import datetime

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.errors import InvalidValueError
from fleetplan.model import Incident, IncidentKind

from solver.dispatch import Budget, SolveParams, dispatch
from solver.dispatch.oracle_check import oracle_problems

# c15 fails on a Friday afternoon: c23 at Changchun goes, with d23 or d35 alike (the same objective).
FAILED = Incident(
    "1", IncidentKind.BREAKDOWN, "c15", None, "G1 K11 toward Changchun", datetime(2026, 12, 11, 14, 18), 20
)


@pytest.fixture(scope="module")
def corridor():
    return load_corridor()


def first_plan(corridor, keep: frozenset[tuple[str, str]]):
    params = SolveParams(budget=Budget.wall_clock(2.0), alternatives=1, keep=keep)
    outcome = dispatch(corridor, [FAILED], corridor.dataset.clear_conditions, params=params)
    plan = outcome.result.plans[0]
    (found,) = oracle_problems(outcome.instance, [plan])
    assert found == (), found
    return outcome.result.status.value, plan


@pytest.mark.parametrize("driver", ["d23", "d35"])
def test_a_tie_goes_to_the_crew_proposed_before(corridor, driver):
    status, plan = first_plan(corridor, frozenset({("c23", driver)}))
    assert status == "optimal"
    assert [(r.vehicle_id, r.driver_id) for r in plan.rescues] == [("c23", driver)]


def test_keeping_never_costs_the_objective(corridor):
    _, free = first_plan(corridor, frozenset())
    for kept in ({("c23", "d23")}, {("c23", "d35")}, {("c22", "d22")}):  # the last is no tie: not kept
        _, plan = first_plan(corridor, frozenset(kept))
        assert plan.objective == free.objective


# c07 and c08 fail ten minutes and 10 km apart on a Monday afternoon: the Siping backups go, all alike
NEAR_BY = (
    Incident("21", IncidentKind.BREAKDOWN, "c07", None, "G1 K60 toward Changchun", datetime(2026, 12, 7, 15, 30), 20),
    Incident("22", IncidentKind.BREAKDOWN, "c08", None, "G1 K70 toward Changchun", datetime(2026, 12, 7, 15, 40), 25),
)


def rescuers(corridor, incidents, keep):
    params = SolveParams(budget=Budget.wall_clock(2.0), alternatives=1, keep=keep)
    outcome = dispatch(corridor, list(incidents), corridor.dataset.clear_conditions, params=params)
    plan = outcome.result.plans[0]
    (found,) = oracle_problems(outcome.instance, [plan])
    assert found == (), found
    return plan.objective, {r.group_id: (r.vehicle_id, r.driver_id) for r in plan.rescues}


@pytest.mark.parametrize("kept_for", ["21", "22"])
def test_a_crew_kept_for_an_incident_stays_with_that_incident_when_planned_together(corridor, kept_for):
    """The first report's proposal, kept for that incident: the crew does not move to the second one (a
    crew kept without its incident could, and did: any plan using it counted as keeping it)."""
    _, alone = rescuers(corridor, NEAR_BY[:1], frozenset())
    ((crew),) = alone.values()
    free, _ = rescuers(corridor, NEAR_BY, frozenset())
    objective, together = rescuers(corridor, NEAR_BY, frozenset({(*crew, kept_for)}))
    assert objective == free
    assert together[f"G-{kept_for}"] == crew


@pytest.mark.parametrize(
    "keep", [{("c23", "d23")}, frozenset({("c23",)}), frozenset({("c23", 5)}), frozenset({("c23", "d23", "1", "x")})]
)
def test_keep_must_be_coach_and_driver_with_or_without_the_incident(keep):
    with pytest.raises(InvalidValueError, match="keep"):
        SolveParams(keep=keep)
