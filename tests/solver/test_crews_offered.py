"""Who is offered, found wrong by an outside audit of the plans (each plan confirmed by the oracle):

- a coach's own driver whose shift ends before the shortest rescue from there can end rescues nobody:
  the coach is offered with spares, those who can make that rescue first (on an icy Sunday only d12's
  shift at Changchun is long enough; it used to be paired with one 43-seat coach, and 10 of 55
  passengers were "not reachable" while 53-seat coaches stood idle);
- a driver whose next trip's coach has failed has a trip and no coach: offered with coaches where they
  stand (c01 failing at night left d01's 06:15 run to a crew 4 min late, beside a free coach at
  d01's depot);
- in a blizzard a re-covered evening trip runs past its timetable: the cover must end in the driver's
  shift (a 17:15 run was given to a driver whose shift ends at 20:00; it arrives near 21:45).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.model import Incident, IncidentKind

from solver.dispatch import Budget, SolveParams, dispatch
from solver.dispatch.oracle_check import oracle_problems


@pytest.fixture(scope="module")
def corridor():
    return load_corridor()


def best(corridor, vehicle: str, where: str, at: datetime, passengers: int, conditions: str = "clear"):
    incident = Incident("i1", IncidentKind.BREAKDOWN, vehicle, None, where, at, passengers)
    params = SolveParams(budget=Budget.wall_clock(10.0), alternatives=1)
    outcome = dispatch(corridor, [incident], corridor.dataset.conditions_named(conditions), params=params)
    plan = outcome.result.plans[0]
    (found,) = oracle_problems(outcome.instance, [plan])
    assert found == (), found
    return outcome, plan


def test_the_one_driver_whose_shift_is_long_enough_is_offered_with_every_coach(corridor):
    outcome, plan = best(corridor, "c05", "G1 K60 toward Siping", datetime(2026, 12, 13, 15, 30), 55, "ice")
    carried = sum(rescue.passengers for rescue in plan.rescues)
    assert carried == 55  # all of them, late (before: 45, and 10 "not reachable")
    (d12,) = [rescue for rescue in plan.rescues if rescue.driver_id == "d12"]
    seats = {v.id: v.seats for v in corridor.dataset.vehicles}
    spare_seats = [
        seats[crew.vehicle_id] for crew in outcome.instance.crews if crew.driver_id == "d12" and crew.kind != "passing"
    ]
    assert seats[d12.vehicle_id] == max(spare_seats) >= 53  # the largest coach standing there


def test_a_driver_whose_coach_failed_runs_the_next_trip_with_a_free_coach(corridor):
    _, plan = best(corridor, "c01", "changchun_station", datetime(2026, 12, 7, 21, 0), 1)
    (cover,) = [c for c in plan.trip_covers if c.trip_id == "T1208-AM1"]
    assert (cover.driver_id, cover.departure_shift_s) == ("d01", 0)
    assert plan.objective.trips_retimed_min == 0


def test_a_trip_covered_in_a_blizzard_ends_within_its_driver_s_shift(corridor):
    outcome, plan = best(corridor, "c01", "G1 K60 toward Siping", datetime(2026, 12, 9, 7, 30), 45, "blizzard")
    (cover,) = [c for c in plan.trip_covers if c.trip_id == "T1209-PM1"]
    trip = corridor.dataset.trip("T1209-PM1")
    driver = corridor.dataset.driver(cover.driver_id)
    _, shift_end = driver.shift_window(trip.departure)
    blizzard_run = trip.arrival + timedelta(hours=2)  # the 17:15 run takes over 4 h in the blizzard
    assert shift_end >= blizzard_run, (cover, shift_end)
