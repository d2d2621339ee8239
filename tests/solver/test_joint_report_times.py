"""Incidents planned together are built at the latest report (issue 18 §2, §3), but each failed coach's
trip, tier and deadline are those of its own report: a coach that failed at 07:40 on its morning run
is still that run's coach when the next report comes at 09:20, after the run's timetabled arrival."""

from __future__ import annotations

from datetime import datetime

import pytest

import fleetplan.builder as builder
from fleetplan.corridor import load_corridor
from fleetplan.model import Incident, IncidentKind

from solver.dispatch import Budget, SolveParams, dispatch
from solver.dispatch.oracle_check import oracle_problems

MONDAY = datetime(2026, 12, 7)


@pytest.fixture(scope="module")
def corridor():
    return load_corridor()


def incident(name: str, vehicle: str, location: str, hour: int, minute: int, passengers: int) -> Incident:
    at = MONDAY.replace(hour=hour, minute=minute)
    return Incident(name, IncidentKind.BREAKDOWN, vehicle, None, location, at, passengers)


@pytest.mark.parametrize(("later_hour", "later_minute"), [(7, 40), (8, 50), (9, 20)])
def test_an_earlier_report_keeps_its_own_trip_tier_and_deadline_when_planned_with_a_later_one(
    corridor, later_hour, later_minute
):
    morning = incident("a", "c01", "G1 K78 toward Siping", 7, 40, 30)
    later = incident("b", "c02", "G1 K40 toward Changchun", later_hour, later_minute, 20)
    (alone,) = builder.build_instance(corridor, [morning], corridor.dataset.clear_conditions).groups
    together = builder.build_instance(corridor, [morning, later], corridor.dataset.clear_conditions)

    first = together.groups[0]
    assert together.at == later.at  # decided when both are known
    assert alone.trip_id == "T1207-AM1"  # c01's morning run to the campus, under way at 07:40
    assert (first.trip_id, first.tier, first.deadline, first.destination_node) == (
        alone.trip_id,
        alone.tier,
        alone.deadline,
        alone.destination_node,
    )
    assert first.remaining_stops == alone.remaining_stops


def test_a_joint_plan_of_reports_100_min_apart_is_confirmed_by_the_oracle(corridor):
    morning = incident("a", "c01", "G1 K78 toward Siping", 7, 40, 30)
    later = incident("b", "c02", "G1 K40 toward Changchun", 9, 20, 20)
    params = SolveParams(budget=Budget.wall_clock(5.0), alternatives=1)
    outcome = dispatch(corridor, [morning, later], corridor.dataset.clear_conditions, params=params)

    assert outcome.result.plans
    (found,) = oracle_problems(outcome.instance, outcome.result.plans[:1])
    assert found == ()
    sent_to = {rescue.group_id for rescue in outcome.result.plans[0].rescues}
    assert sent_to == {"G-a", "G-b"}
