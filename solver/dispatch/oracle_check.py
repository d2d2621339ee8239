"""Every plan through the independent oracle (:mod:`fleetplan.oracle`): its disagreements become
problems on the plan, beside the evaluator's.

The oracle reads the dataset the instance was built from (changed in memory or not) and the network
files of its data directory with code of its own. A network that is not the corridor's CSV tables (an
OpenStreetMap extract) is beyond it: those plans carry the evaluator's word alone, and say so. An oracle
that fails on a case (a bug, or a text it cannot read) marks every plan disputed, "unchecked", and is
logged: the dispatcher still gets the options.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from fleetplan import oracle
from fleetplan.instance import Instance
from fleetplan.model import Dataset
from fleetplan.plan import Plan
from fleetplan.problems import Problem, ProblemCode, problem

NETWORK_TABLES = ("g1_posts.csv", "places.csv", "roads.csv")

_log = logging.getLogger(__name__)

_worlds: dict[int, tuple[Dataset, oracle.World]] = {}  # by dataset identity: one build per loaded dataset


def oracle_problems(instance: Instance, plans: Sequence[Plan]) -> tuple[tuple[Problem, ...], ...] | None:
    """The oracle's disagreements with each of ``plans`` as problems (rank order), or None when the
    instance's network is not one the oracle can read."""
    world = _world(instance.dataset)
    if world is None:
        return None
    try:
        found = _check(world, instance, plans)
    except Exception as error:  # noqa: BLE001 - a checker that fails must not cost the desk its options
        _log.exception("the oracle could not check the plans of incidents %s", [i.id for i in instance.incidents])
        unchecked = problem(
            ProblemCode.ORACLE_DISAGREES,
            "plan",
            f"the independent oracle could not check this plan ({type(error).__name__}: {error}); treat it with care",
            kind="unchecked",
        )
        return tuple((unchecked,) for _ in plans)
    return tuple(tuple(_as_problem(d) for d in disagreements) for disagreements in found)


def _check(world: oracle.World, instance: Instance, plans: Sequence[Plan]):
    case = oracle.case_of(
        instance.incidents,
        instance.conditions,
        instance.unavailable.keys(),
        fixes=[oracle.CaseFix(s.vehicle_id, s.lat, s.lon, s.at) for s in instance.live.sighted.values()],
        turnout_s=instance.ops.turnout_s,
        transfer_s=instance.ops.transfer_s,
        passing_dwell_s=instance.ops.passing_dwell_s,
        trip_horizon_s=instance.ops.trip_horizon_s,
        passing_window_s=instance.ops.passing_window_s,
    )
    return oracle.check_dispatch(world, case, plans)


def _as_problem(disagreement: oracle.Disagreement) -> Problem:
    return problem(
        ProblemCode.ORACLE_DISAGREES,
        f"{disagreement.subject} {disagreement.field}",
        f"engine {disagreement.engine}, oracle {disagreement.oracle} [{disagreement.code}] {disagreement.reason}",
        kind=disagreement.code,
    )


def _world(dataset: Dataset) -> oracle.World | None:
    """The oracle's world of ``dataset``, built once per dataset object."""
    cached = _worlds.get(id(dataset))
    if cached is not None and cached[0] is dataset:
        return cached[1]
    network_dir = Path(dataset.source) / "network" if dataset.source else None
    if network_dir is None or not all((network_dir / name).is_file() for name in NETWORK_TABLES):
        return None
    world = oracle.world_from_dataset(dataset, network_dir)
    if len(_worlds) > 64:  # a what-if makes a dataset per replication: keep the cache small
        _worlds.clear()
    _worlds[id(dataset)] = (dataset, world)
    return world
