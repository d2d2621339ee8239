"""A driver's own trips beyond the trip horizon are still theirs, and the driving rules reach them.

- A cover of a later trip may run past the horizon (it must only *leave* within it): a cover that
  overlaps one of the driver's own trips, or breaks a rule with one, is no option. Found by the oracle:
  Sunday 18:20, a cover of Monday's 06:20 run went to a driver who drives 06:25–08:30 himself.
- A long rescue this afternoon and the driver's run tomorrow morning share a 24 h window. Found by the
  oracle: Sunday 10:47 in snow, a six-hour rescue by a driver of Monday's 06:20 run, 8.02 h in 24 h.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from fleetplan.calendar import dataset_at
from fleetplan.corridor import load_corridor
from fleetplan.model import Incident, IncidentKind

from solver.dispatch import Budget, SolveParams, dispatch
from solver.dispatch.oracle_check import oracle_problems

SUNDAY_EVENING = datetime(2026, 12, 6, 18, 0)


@pytest.fixture(scope="module")
def corridor():
    return load_corridor()


def plan_and_check(corridor, at: datetime):
    incident = Incident("1", IncidentKind.BREAKDOWN, "c03", None, "G1 K56.7 toward Changchun", at, 0)
    params = SolveParams(budget=Budget.wall_clock(5.0), alternatives=1)
    outcome = dispatch(corridor, [incident], corridor.dataset.clear_conditions, params=params)
    (found,) = oracle_problems(outcome.instance, outcome.result.plans[:1])
    return outcome, found


def test_the_cover_of_the_first_monday_run_is_no_driver_who_drives_at_that_time(corridor):
    outcome, found = plan_and_check(corridor, SUNDAY_EVENING.replace(minute=20))

    assert found == ()
    assert outcome.result.status.value == "optimal"
    plan = outcome.result.plans[0]
    assert plan.trip_covers  # Monday's first run of the failed coach leaves within the horizon
    week = dataset_at(corridor.dataset, outcome.instance.at)
    for cover in plan.trip_covers:
        covered = week.trip(cover.trip_id)
        clashing = [
            trip.id
            for trip in week.trips
            if trip.driver_id == cover.driver_id
            and trip.id != covered.id
            and trip.departure < covered.arrival
            and covered.departure < trip.arrival
        ]
        assert clashing == [], cover


@pytest.mark.parametrize("minutes_after_six", range(10, 41))
def test_evening_reports_whose_horizon_cuts_into_monday_morning_are_confirmed_by_the_oracle(
    corridor, minutes_after_six
):
    _, found = plan_and_check(corridor, SUNDAY_EVENING + timedelta(minutes=minutes_after_six))
    assert found == ()


def test_a_rescue_counts_the_driver_s_run_next_morning_in_its_24_h_window(corridor):
    incident = Incident(
        "1", IncidentKind.ACCIDENT, "c22", None, "G1 K118.2 toward Siping", datetime(2026, 12, 13, 10, 47), 21
    )
    params = SolveParams(budget=Budget.wall_clock(5.0), alternatives=3)
    outcome = dispatch(corridor, [incident], corridor.dataset.conditions_named("snow"), params=params)

    assert len(outcome.result.plans) > 1
    assert oracle_problems(outcome.instance, outcome.result.plans) == ((),) * len(outcome.result.plans)
    assert outcome.result.status.value == "optimal"
