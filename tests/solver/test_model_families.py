"""Each constraint family of the dispatch model alone on a tiny model (the CP-SAT primer's style).

A test builds a :class:`~solver.dispatch.model.DispatchModel` with the option variables and only the
family under test (plus the family that defines the variables it reads), fixes a few variables, and
asks CP-SAT whether that is feasible: one case the family allows and one it forbids. The whole
``solve()`` is tested elsewhere (test_dispatch_constraints.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ortools.sat.python import cp_model

from fleetplan.instance import CrewKind, Instance

from solver.dispatch import SolveParams
from solver.dispatch.model import (
    DispatchModel,
    add_alternative_cut,
    add_crew_sequences,
    add_group_passenger_limits,
    add_groups_served,
    add_interchangeable_order,
    add_objective_terms,
    add_option_variables,
    add_seat_limits,
    add_trip_coverage,
    add_vehicle_and_driver_exclusivity,
)

from tests.solver.factory import InstanceBuilder

PARAMS = SolveParams()
Family = Callable[[DispatchModel], None]


def model_of(instance: Instance, *families: Family) -> DispatchModel:
    """The option variables and ``families``, in order, and nothing else."""
    dm = DispatchModel(instance)
    add_option_variables(dm)
    for family in families:
        family(dm)
    return dm


def feasible(dm: DispatchModel, **fixed: int) -> bool:
    """Whether the model is feasible with these variables fixed (``use_<option>``, ``pax_<option>``,
    ``trip_<option>``, ``left_<group>``, ``late_<group>``, ``uncovered_<trip>``)."""
    model = dm.model.clone()
    for name, value in fixed.items():
        kind, _, key = name.partition("_")
        variable = {
            "use": dm.use_rescue,
            "pax": dm.passengers,
            "trip": dm.use_trip,
            "left": dm.left_behind,
            "late": dm.not_on_time,
            "uncovered": dm.uncovered,
        }[kind][key]
        model.add(model.get_int_var_from_proto_index(variable.index) == value)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5
    status = solver.solve(model)
    assert status != cp_model.UNKNOWN, "a tiny model must be decided"
    return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def passenger_limits(dm: DispatchModel, allow_split: bool = True, hard_limits: bool = False) -> None:
    add_group_passenger_limits(dm, SolveParams(allow_split=allow_split, hard_limits=hard_limits))


def value_of(dm: DispatchModel, expression, **fixed: int) -> int:
    """The value ``expression`` takes with the variables fixed (the fixed ones must decide it)."""
    model = dm.model.clone()
    for name, value in fixed.items():
        kind, _, key = name.partition("_")
        variable = {"use": dm.use_rescue, "pax": dm.passengers, "trip": dm.use_trip}[kind][key]
        model.add(model.get_int_var_from_proto_index(variable.index) == value)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return int(solver.value(expression))


# --------------------------------------------------------------------------- option variables
def test_option_variables_never_give_a_rescue_more_passengers_than_its_seats_or_its_group():
    b = InstanceBuilder().group("g", 30)
    big = b.rescue(b.crew("c1", "d1", 49), "g", eta_min=20)
    small = b.rescue(b.crew("c2", "d2", 19), "g", eta_min=20)
    dm = model_of(b.build())
    assert feasible(dm, **{f"pax_{big}": 30, f"pax_{small}": 19})
    assert not feasible(dm, **{f"pax_{big}": 31})  # more than the group
    assert not feasible(dm, **{f"pax_{small}": 20})  # more than the seats


# --------------------------------------------------------------------------- seat limits
def test_seat_limits_carry_passengers_only_on_a_used_rescue_and_at_least_one():
    b = InstanceBuilder().group("g", 30)
    option = b.rescue(b.crew("c1", "d1", 49), "g", eta_min=20)
    dm = model_of(b.build(), add_seat_limits)
    assert feasible(dm, **{f"use_{option}": 1, f"pax_{option}": 30})
    assert feasible(dm, **{f"use_{option}": 0, f"pax_{option}": 0})
    assert not feasible(dm, **{f"use_{option}": 0, f"pax_{option}": 5})  # passengers on a coach not sent
    assert not feasible(dm, **{f"use_{option}": 1, f"pax_{option}": 0})  # a coach sent for nobody


# --------------------------------------------------------------------------- group passengers
def test_group_limits_count_every_passenger_once_and_keep_the_rest_behind():
    b = InstanceBuilder().group("g", 40)
    first = b.rescue(b.crew("c1", "d1", 35), "g", eta_min=20)
    second = b.rescue(b.crew("c2", "d2", 35), "g", eta_min=25)
    dm = model_of(b.build(), passenger_limits)
    assert feasible(dm, **{f"pax_{first}": 35, f"pax_{second}": 5, "left_g": 0})
    assert feasible(dm, **{f"pax_{first}": 35, f"pax_{second}": 0, "left_g": 5})
    assert not feasible(dm, **{f"pax_{first}": 35, f"pax_{second}": 10})  # 45 of 40 carried
    assert not feasible(dm, **{f"pax_{first}": 35, f"pax_{second}": 0, "left_g": 0})  # 5 vanish


def test_group_limits_without_splitting_allow_one_vehicle_per_group():
    b = InstanceBuilder().group("g", 40)
    first = b.rescue(b.crew("c1", "d1", 35), "g", eta_min=20)
    second = b.rescue(b.crew("c2", "d2", 35), "g", eta_min=25)
    dm = model_of(b.build(), lambda dm: passenger_limits(dm, allow_split=False))
    assert feasible(dm, **{f"use_{first}": 1, f"use_{second}": 0})
    assert not feasible(dm, **{f"use_{first}": 1, f"use_{second}": 1})


def test_group_limits_count_late_passengers_and_hard_limits_forbid_them():
    b = InstanceBuilder().group("g", 30, limit_min=60)
    late = b.rescue(b.crew("c1", "d1", 49), "g", eta_min=75)
    on_time = b.rescue(b.crew("c2", "d2", 49), "g", eta_min=50)
    soft = model_of(b.build(), passenger_limits)
    assert feasible(soft, **{f"pax_{late}": 30, "late_g": 30})
    assert not feasible(soft, **{f"pax_{late}": 30, "late_g": 0})  # reached late counts as not on time
    hard = model_of(b.build(), lambda dm: passenger_limits(dm, hard_limits=True))
    assert feasible(hard, **{f"pax_{on_time}": 30})
    assert not feasible(hard, **{f"pax_{late}": 10})  # anyone reached late breaks a hard limit


# --------------------------------------------------------------------------- crew sequences
def test_crew_sequences_give_a_crew_one_rescue_and_chain_its_trip_after_it():
    b = InstanceBuilder().group("g", 30).group("h", 20).trip("T", 120, "c1", "d1")
    crew = b.crew("c1", "d1", 49)
    for_g = b.rescue(crew, "g", eta_min=20)
    for_h = b.rescue(crew, "h", eta_min=20)
    chained = b.trip_option(crew, "T", after=for_g)
    alone = b.trip_option(crew, "T")
    dm = model_of(b.build(), add_crew_sequences)
    assert feasible(dm, **{f"use_{for_g}": 1, f"trip_{chained}": 1})
    assert feasible(dm, **{f"use_{for_g}": 0, f"use_{for_h}": 0, f"trip_{alone}": 1})
    assert not feasible(dm, **{f"use_{for_g}": 1, f"use_{for_h}": 1})  # two rescues at once
    assert not feasible(dm, **{f"use_{for_g}": 0, f"trip_{chained}": 1})  # chained without its rescue
    assert not feasible(dm, **{f"use_{for_h}": 1, f"trip_{alone}": 1})  # rescuing and running a trip alone


# --------------------------------------------------------------------------- coach and driver exclusivity
@pytest.mark.parametrize("shared", ["coach", "driver"])
def test_a_coach_or_a_driver_belongs_to_one_crew_of_the_plan(shared):
    b = InstanceBuilder().group("g", 60)
    first = b.rescue(b.crew("c1", "d1", 35), "g", eta_min=20)
    other = b.crew("c1", "d2", 35) if shared == "coach" else b.crew("c2", "d1", 35)
    second = b.rescue(other, "g", eta_min=25)
    third = b.rescue(b.crew("c3", "d3", 35), "g", eta_min=30)
    dm = model_of(b.build(), add_crew_sequences, add_vehicle_and_driver_exclusivity)
    assert feasible(dm, **{f"use_{first}": 1, f"use_{third}": 1})
    assert not feasible(dm, **{f"use_{first}": 1, f"use_{second}": 1})


# --------------------------------------------------------------------------- trip coverage
def test_a_trip_is_run_by_at_most_one_option_or_counted_uncovered():
    b = InstanceBuilder().trip("T", 60, "c1", "d1")
    own = b.trip_option(b.crew("c1", "d1", 49), "T")
    spare = b.trip_option(b.crew("c2", "d2", 49), "T", shift_min=10)
    dm = model_of(b.build(), add_trip_coverage)
    assert feasible(dm, **{f"trip_{own}": 1, "uncovered_T": 0})
    assert feasible(dm, **{f"trip_{own}": 0, f"trip_{spare}": 0, "uncovered_T": 1})
    assert not feasible(dm, **{f"trip_{own}": 1, f"trip_{spare}": 1})  # run twice
    assert not feasible(dm, **{f"trip_{own}": 0, f"trip_{spare}": 0, "uncovered_T": 0})  # silently dropped


# --------------------------------------------------------------------------- interchangeable resources
def test_interchangeable_drivers_are_used_in_id_order():
    b = InstanceBuilder().group("g", 30)
    first = b.rescue(b.crew("c1", "d1", 49), "g", eta_min=20)
    twin = b.rescue(b.crew("c1", "d2", 49), "g", eta_min=20)  # the same numbers: a mirror image
    dm = model_of(b.build(), add_crew_sequences, add_vehicle_and_driver_exclusivity, add_interchangeable_order)
    assert feasible(dm, **{f"use_{first}": 1, f"use_{twin}": 0})
    assert not feasible(dm, **{f"use_{first}": 0, f"use_{twin}": 1})


def test_drivers_that_differ_are_not_ordered():
    b = InstanceBuilder().group("g", 30)
    b.rescue(b.crew("c1", "d1", 49), "g", eta_min=20)
    nearer = b.rescue(b.crew("c1", "d2", 49), "g", eta_min=20, deadhead_km=5)  # not a twin: less empty running
    dm = model_of(b.build(), add_crew_sequences, add_vehicle_and_driver_exclusivity, add_interchangeable_order)
    assert feasible(dm, **{f"use_{nearer}": 1})


# --------------------------------------------------------------------------- objective terms
def _with_terms(instance: Instance) -> DispatchModel:
    return model_of(
        instance,
        add_seat_limits,
        passenger_limits,
        add_crew_sequences,
        add_vehicle_and_driver_exclusivity,
        add_trip_coverage,
        lambda dm: add_objective_terms(dm, PARAMS),
    )


def test_objective_terms_count_late_passengers_and_empty_running():
    b = InstanceBuilder().group("g", 40, limit_min=60)
    on_time = b.rescue(b.crew("c1", "d1", 35), "g", eta_min=50, deadhead_km=30)
    late = b.rescue(b.crew("c2", "d2", 35), "g", eta_min=70, deadhead_km=12)
    dm = _with_terms(b.build())
    fixed = {f"use_{on_time}": 1, f"pax_{on_time}": 30, f"use_{late}": 1, f"pax_{late}": 10}
    assert value_of(dm, dm.terms["passengers_not_reached"], **fixed) == 10
    assert value_of(dm, dm.terms["deadhead_km"], **fixed) == 42
    # 10 minutes late at 3 per passenger-minute (the factory's tier weight), escalation not reached
    assert value_of(dm, dm.terms["late_penalty"], **fixed) == 10 * 10 * 3


def test_coverage_is_lost_only_when_a_city_sends_its_last_standby_coach():
    b = InstanceBuilder().group("g", 40)
    first = b.rescue(b.crew("c1", "d1", 49, kind=CrewKind.STANDBY, city="siping"), "g", eta_min=20)
    second = b.rescue(b.crew("c2", "d2", 49, kind=CrewKind.STANDBY, city="siping"), "g", eta_min=25)
    b.standby = {"siping": ("c1", "c2")}
    dm = _with_terms(b.build())
    assert value_of(dm, dm.terms["coverage_lost"], **{f"use_{first}": 1, f"use_{second}": 0}) == 0
    assert value_of(dm, dm.terms["coverage_lost"], **{f"use_{first}": 1, f"use_{second}": 1}) == 1


def test_trips_recrewed_counts_a_trip_run_by_another_crew_than_planned():
    b = InstanceBuilder().group("g", 30).trip("T1", 300, "c1", "d1")
    own = b.trip_option(b.crew("c1", "d1", 49), "T1")
    other = b.trip_option(b.crew("c2", "d2", 49), "T1")
    dm = _with_terms(b.build())
    assert value_of(dm, dm.terms["trips_recrewed"], **{f"trip_{own}": 1, f"trip_{other}": 0}) == 0
    assert value_of(dm, dm.terms["trips_recrewed"], **{f"trip_{own}": 0, f"trip_{other}": 1}) == 1


def test_trips_recrewed_does_not_count_a_change_the_failure_forces():
    b = InstanceBuilder().group("g", 30).trip("T1", 300, "failed-g", "d1")  # the failed coach's own trip
    other = b.trip_option(b.crew("c2", "d2", 49), "T1")
    dm = _with_terms(b.build())
    assert value_of(dm, dm.terms["trips_recrewed"], **{f"trip_{other}": 1}) == 0


# --------------------------------------------------------------------------- alternatives
def test_an_alternative_leaves_out_a_crew_of_the_plan_above_it():
    b = InstanceBuilder().group("g", 30)
    first = b.rescue(b.crew("c1", "d1", 49), "g", eta_min=20)
    second = b.rescue(b.crew("c2", "d2", 49), "g", eta_min=25)
    dm = model_of(b.build(), add_seat_limits, add_crew_sequences)
    add_alternative_cut(dm, frozenset({("c1", "d1")}))
    assert feasible(dm, **{f"use_{first}": 0, f"use_{second}": 1})
    assert not feasible(dm, **{f"use_{first}": 1, f"use_{second}": 0})
    assert not feasible(dm, **{f"use_{first}": 1, f"use_{second}": 1})  # the plan above plus a coach


def test_an_alternative_to_a_plan_that_sends_nobody_cannot_be_had():
    b = InstanceBuilder().group("g", 30)
    only = b.rescue(b.crew("c1", "d1", 49), "g", eta_min=20)
    dm = model_of(b.build(), add_seat_limits)
    add_alternative_cut(dm, frozenset())
    assert not feasible(dm, **{f"use_{only}": 0})


def test_an_alternative_serves_the_groups_the_first_plan_serves():
    b = InstanceBuilder().group("g", 30)
    option = b.rescue(b.crew("c1", "d1", 49), "g", eta_min=20)
    dm = model_of(b.build(), add_seat_limits)
    add_groups_served(dm, frozenset({"g"}))
    assert feasible(dm, **{f"use_{option}": 1})
    assert not feasible(dm, **{f"use_{option}": 0})
