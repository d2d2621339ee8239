"""Seeded incidents of the default corridor as dispatch instances (what the desk dispatches: small
models), for tests that solve one two ways and compare the best plans."""

from __future__ import annotations

import functools

from fleetplan.corridor import load_corridor
from fleetplan.instance import Instance
from fleetplan.model import Incident

from solver.dispatch import Budget, Result, SolveParams, prepare
from solver.dispatch.oracle_check import oracle_problems

from bench.incidents import DEFAULT_SEED, generate_incidents

COUNT = 40  # seeded incidents to choose from
ONE_PLAN = SolveParams(budget=Budget.deterministic(5.0), workers=1, alternatives=1)  # the same search each time


@functools.cache
def _incidents() -> tuple[Incident, ...]:
    return tuple(generated.incident for generated in generate_incidents(load_corridor(), COUNT, DEFAULT_SEED))


def desk_instance(index: int) -> Instance:
    """The instance of seeded incident ``index`` (below :data:`COUNT`) in clear weather."""
    corridor = load_corridor()
    return prepare(corridor, [_incidents()[index]], corridor.dataset.clear_conditions)


def assert_same_best(instance: Instance, first: Result, second: Result) -> None:
    """Both solves end alike, with best plans of one objective, each clean for the independent oracle."""
    assert first.status == second.status
    if first.plans:
        assert first.plans[0].objective == second.plans[0].objective
        assert oracle_problems(instance, [first.plans[0], second.plans[0]]) == ((), ())
