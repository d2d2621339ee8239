"""Running the replications of a what-if: in process, in a local process pool, or on a Dask cluster.

Replication ``i`` gets its seed from ``SeedSequence(seed).spawn(reps)[i]`` and is a pure function of
(scenario, seed, corridor), so every engine computes the same replications; results are put back in
replication order before aggregation, which makes the KPIs identical whatever ran them.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from enum import StrEnum
from typing import Any

import numpy as np

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.errors import InvalidValueError

from solver.planning.whatif.fleet import staged_dataset
from solver.planning.whatif.kpis import ReplicationResult, WhatIfResult, aggregate
from solver.planning.whatif.lifeline import exit_with
from solver.planning.whatif.scenario import WhatIfScenario
from solver.planning.whatif.simulate import simulate_replication

Progress = Callable[[int, int], None]  # (replications done, replications in all)
DEFAULT_WORKERS = 2
MAX_REPS = 100_000


class Engine(StrEnum):
    LOCAL = "local"  # a loop in this process
    PROCESSES = "processes"  # a concurrent.futures process pool on this machine
    DASK = "dask"  # a Dask distributed cluster: a scheduler address, or a LocalCluster made for the run


def replication_seeds(seed: int, reps: int) -> tuple[int, ...]:
    """The seed of each replication: independent streams spawned from ``seed``.

    The first ``k`` seeds do not depend on ``reps``, so a longer run extends a shorter one.
    """
    return tuple(int(child.generate_state(1, dtype=np.uint64)[0]) for child in np.random.SeedSequence(seed).spawn(reps))


def run_whatif(
    scenario: WhatIfScenario,
    reps: int,
    seed: int,
    engine: Engine | str = Engine.LOCAL,
    scheduler: str | None = None,
    progress: Progress | None = None,
    *,
    corridor: Corridor | None = None,
    workers: int = DEFAULT_WORKERS,
) -> WhatIfResult:
    """Run ``reps`` replications of ``scenario`` and aggregate the KPIs per tier.

    Parameters
    ----------
    scenario
        The what-if.
    reps
        Number of replications (at least 1).
    seed
        Root seed (≥ 0); the same seed gives the same result on every engine.
    engine
        ``local``, ``processes`` or ``dask``.
    scheduler
        Dask scheduler address (``tcp://host:8786``); only with ``dask``. Without it a
        ``LocalCluster`` of ``workers`` single-threaded worker processes is started and closed.
    progress
        Called with (done, total) as replications finish.
    corridor
        Dataset and network (default: :func:`load_corridor`).
    workers
        Processes for ``processes`` and for a LocalCluster.

    Returns
    -------
    WhatIfResult

    Raises
    ------
    InvalidValueError
        Bad reps, seed, engine, workers or a scheduler without ``dask``.
    UnknownIdError
        A backup site the dataset does not have.
    """
    engine = _engine(engine)
    if isinstance(reps, bool) or not isinstance(reps, int) or not 1 <= reps <= MAX_REPS:
        raise InvalidValueError("reps", f"{reps!r} is not a whole number from 1 to {MAX_REPS}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidValueError("seed", f"{seed!r} is not a whole number ≥ 0")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidValueError("workers", f"{workers!r} is not a whole number ≥ 1")
    if scheduler and engine != Engine.DASK:
        raise InvalidValueError("scheduler", "a scheduler address needs the dask engine")
    corridor = corridor or load_corridor()
    # fail here, with the user's error, rather than inside a worker
    assert isinstance(scenario.backups, tuple)  # WhatIfScenario normalises backups to (site, count) pairs
    staged_dataset(corridor.dataset, scenario.backups, scenario.start, scenario.end)
    seeds = replication_seeds(seed, reps)
    report = progress or (lambda done, total: None)
    if engine == Engine.LOCAL:
        results = _run_local(scenario, seeds, corridor, report)
    elif engine == Engine.PROCESSES:
        results = _run_processes(scenario, seeds, corridor, report, workers)
    else:
        results = _run_dask(scenario, seeds, corridor, report, scheduler, workers)
    tier_names = [tier.name for tier in corridor.dataset.tier_policy.tiers]
    return aggregate(scenario, seed, results, tier_names)


def _engine(engine: Engine | str) -> Engine:
    try:
        return Engine(engine)
    except ValueError:
        raise InvalidValueError("engine", f"{engine!r} is not one of {', '.join(e.value for e in Engine)}") from None


def _run_local(
    scenario: WhatIfScenario, seeds: Sequence[int], corridor: Corridor, report: Progress
) -> list[ReplicationResult]:
    results = []
    for seed in seeds:
        results.append(simulate_replication(scenario, seed, corridor))
        report(len(results), len(seeds))
    return results


# --------------------------------------------------------------------------- process pool
_worker_corridor: Corridor | None = None  # set once in each pool worker by _set_worker_corridor


def _set_worker_corridor(corridor: Corridor, owner_pid: int) -> None:
    global _worker_corridor
    exit_with(owner_pid)  # a killed owner (kill -9 of the service) leaves no worker behind
    # Ctrl-C reaches the whole process group: the owner stops the pool (each worker ends its replication)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_corridor = corridor


def _replicate_in_worker(scenario: WhatIfScenario, seed: int) -> ReplicationResult:
    assert _worker_corridor is not None  # the pool's initializer sets it before a worker runs any task
    return simulate_replication(scenario, seed, _worker_corridor)


def _run_processes(
    scenario: WhatIfScenario, seeds: Sequence[int], corridor: Corridor, report: Progress, workers: int
) -> list[ReplicationResult]:
    # forkserver: workers start from a clean process, not a fork of one that may hold solver or Dask threads
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(
        max_workers=min(workers, len(seeds)),
        mp_context=context,
        initializer=_set_worker_corridor,
        initargs=(corridor, os.getpid()),
    ) as pool:
        futures = [pool.submit(_replicate_in_worker, scenario, seed) for seed in seeds]
        try:
            for done, _ in enumerate(as_completed(futures), start=1):
                report(done, len(seeds))
        except BaseException:
            # Left early (a cancelled job's progress callback raised, or Ctrl-C): drop the replications not
            # yet started, or leaving the pool would wait for every one of them.
            pool.shutdown(cancel_futures=True)
            raise
        return [future.result() for future in futures]


# --------------------------------------------------------------------------- Dask
def _replicate_on_dask(seed: int, scenario: WhatIfScenario, corridor: Corridor) -> ReplicationResult:
    return simulate_replication(scenario, seed, corridor)


def _connected(client_class: Callable[..., Any], scheduler: str | None, cluster: Any) -> Any:
    """A Dask client of ``scheduler`` (or the local ``cluster``); a scheduler address that is no address,
    or at which no scheduler answers (in Dask's connect timeout), is an InvalidValueError naming it."""
    try:
        return client_class(scheduler or cluster)
    except (ValueError, OSError) as error:  # "missing port number in address", "Timed out trying to connect"
        if scheduler is None:
            raise
        raise InvalidValueError("scheduler", f"no Dask scheduler at {scheduler!r}: {error}") from None


def _run_dask(
    scenario: WhatIfScenario,
    seeds: Sequence[int],
    corridor: Corridor,
    report: Progress,
    scheduler: str | None,
    workers: int,
) -> list[ReplicationResult]:
    from distributed import Client, LocalCluster
    from distributed import as_completed as dask_as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        )
    try:
        with _connected(Client, scheduler, cluster) as client:
            shared = client.scatter(corridor, broadcast=True)  # sent once per worker, not once per task
            futures = client.map(_replicate_on_dask, list(seeds), scenario=scenario, corridor=shared, pure=False)
            try:
                for done, _ in enumerate(dask_as_completed(futures), start=1):
                    report(done, len(seeds))
            except BaseException:
                client.cancel(futures)  # a shared scheduler would otherwise run the whole job for nobody
                raise
            return client.gather(futures)
    finally:
        if cluster is not None:
            cluster.close()
