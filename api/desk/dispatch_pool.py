"""The desk's dispatches built and solved in worker processes (issue 18 §5: the desk under load).

A service process runs its Python on one core. Under a stream of reports, building, solving and
checking the dispatches took most of that core, and the requests and the records queued behind them
while the second core idled. With ``FLEETPLAN_DISPATCH_PROCESSES`` ≥ 1 (by default one per usable
core, when there are two or more) a :class:`DispatchPool` runs each dispatch in a worker process
started with the service. A worker loads nothing itself: it is handed the desk's corridor once, when
it starts; each :class:`DispatchJob` carries only what is live (the coaches' recorded statuses, the
conditions with their closures, who is unavailable, the latest positions) and comes back as the
options view, plain JSON-ready data. The records stay in the service process: a worker never writes one.

With 0 processes the dispatch runs in the calling thread, through the same function. A worker that
dies (killed, out of memory) breaks the pool: the jobs it broke run again in the service process and
the next job starts new workers, so a report never loses its options to it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Mapping
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from fleetplan.corridor import Corridor
from fleetplan.instance import Instance
from fleetplan.live import LiveFixes
from fleetplan.model import Conditions, Incident
from fleetplan.operations import OperationsPolicy

from solver.dispatch import Dispatch, MoreWanted, SolveParams, all_wanted, dispatch_prepared, prepare
from solver.planning.whatif.lifeline import exit_with

from api import views
from api.desk.first_answers import MORE_OPTIONS_COMING
from api.desk.live import with_statuses
from api.operations_log import StatusChange

logger = logging.getLogger(__name__)
# Workers fork from multiprocessing's fork server. With the main module (multiprocessing's own default)
# and the dispatch code loaded there, a new worker starts in milliseconds, not the seconds its imports
# take. Set on import: before anything in this process (a pool of ours or the what-if jobs') starts it.
_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
if _METHOD == "forkserver":
    multiprocessing.get_context(_METHOD).set_forkserver_preload(["__main__", __name__])


@dataclass(frozen=True)
class DispatchJob:
    """One dispatch as plain data a worker process can take: the incidents (each ``id`` its incident
    number) and the live state to plan them in."""

    statuses: Mapping[str, StatusChange]  # the coaches' latest recorded status changes
    incidents: tuple[Incident, ...]
    conditions: Conditions  # with the active closures
    ops: OperationsPolicy
    unavailable: Mapping[str, str]
    fixes: LiveFixes
    params: SolveParams
    # the alternatives only while no report waits for the desk (else the best plan alone, marked so)
    alternatives_unless_reports_wait: bool = False


class LiveCorridors:
    """The corridor with recorded status changes applied, rebuilt only when they change (thread-safe)."""

    def __init__(self, corridor: Corridor) -> None:
        self.corridor = corridor
        self._lock = threading.Lock()
        self._latest: tuple[tuple[tuple[str, str], ...], Corridor] | None = None

    def of(self, statuses: Mapping[str, StatusChange]) -> Corridor:
        key = tuple(sorted((vehicle_id, change.status.value) for vehicle_id, change in statuses.items()))
        with self._lock:
            if self._latest is None or self._latest[0] != key:
                self._latest = (key, with_statuses(self.corridor, dict(statuses)))
            return self._latest[1]


def options_view(corridor: Corridor, job: DispatchJob, more_wanted: MoreWanted = all_wanted) -> dict[str, Any]:
    """Build, solve and check ``job`` on ``corridor`` (live): the desk's options view, each assignment
    and re-covered trip of a joint dispatch tagged with its incident."""
    instance = prepare(
        corridor, list(job.incidents), job.conditions, ops=job.ops, unavailable=job.unavailable, fixes=job.fixes
    )
    outcome = dispatch_prepared(instance, job.params, more_wanted)
    view = views.desk_dispatch_view(outcome)
    if outcome.result.alternatives_deferred:
        view[MORE_OPTIONS_COMING] = True
    if len(job.incidents) > 1:
        tag_incidents(view, instance, outcome, job.incidents)
    return view


def tag_incidents(view: dict[str, Any], instance: Instance, outcome: Dispatch, incidents: tuple[Incident, ...]) -> None:
    """Name each plan's assignments and re-covered trips by incident: a rescue by its group's, a cover
    by the incident whose failed coach planned the trip (else the first: a trip of a coach sent away)."""
    owner_of_vehicle: dict[str | None, str] = {incident.vehicle_id: incident.id for incident in incidents}
    planned_vehicle = {task.trip_id: task.planned_vehicle_id for task in instance.trip_tasks}
    for plan, shown in zip(outcome.result.plans, view["plans"]):
        for rescue, assignment in zip(plan.rescues, shown["assignments"]):
            assignment["incident_id"] = instance.group(rescue.group_id).incident_id
        for cover in shown["recovered_trips"]:
            vehicle_id = planned_vehicle.get(cover["trip_id"])
            cover["incident_id"] = owner_of_vehicle.get(vehicle_id, incidents[0].id)


def _run(job: DispatchJob, corridors: LiveCorridors, reports_waiting: ReportsWaiting) -> dict[str, Any]:
    """:func:`options_view` of ``job`` on the live corridor, the alternatives deferred as it asks."""
    more_wanted = reports_waiting.none if job.alternatives_unless_reports_wait else all_wanted
    return options_view(corridors.of(job.statuses), job, more_wanted)


# --------------------------------------------------------------------------- the worker process
_worker: tuple[LiveCorridors, ReportsWaiting] | None = None  # set by the pool's initializer


def _start_worker(corridor: Corridor, reports_waiting: ReportsWaiting, owner_pid: int) -> None:
    global _worker
    exit_with(owner_pid)  # a service killed with kill -9 leaves no worker behind
    # Ctrl-C reaches the whole process group: the service stops its workers itself, after their dispatch
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker = (LiveCorridors(corridor), reports_waiting)


def _run_in_worker(job: DispatchJob) -> dict[str, Any]:
    assert _worker is not None, "the pool's initializer hands each worker the corridor"
    return _run(job, *_worker)


def _worker_pid() -> int:
    return os.getpid()


# --------------------------------------------------------------------------- the pool
class ReportsWaiting:
    """How many reports wait for the desk, as one int a worker process can read: the report batches
    write it, a dispatch that defers its alternatives reads it."""

    def __init__(self, shared: bool) -> None:
        # lock=False: one writer (under the batches' own lock), readers that only compare it with 0.
        # Shared, it goes to a worker as its initializer's argument: the int itself, not a copy.
        self._value: Any = multiprocessing.get_context(_METHOD).Value("i", 0, lock=False) if shared else _Int()

    def set(self, count: int) -> None:
        self._value.value = count

    def none(self) -> bool:
        return self._value.value == 0


@dataclass
class _Int:
    value: int = 0


class DispatchPool:
    """Runs :class:`DispatchJob` s in ``processes`` worker processes (0: in the calling thread)."""

    def __init__(self, corridor: Corridor, processes: int) -> None:
        self.processes = processes
        self.corridors = LiveCorridors(corridor)
        self.reports_waiting = ReportsWaiting(shared=processes > 0)
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False

    def start(self) -> None:
        """Start the workers now rather than at the first report (they take a second or two to start);
        returns at once."""
        executor = self._pool()
        if executor is not None:
            executor.submit(_worker_pid)

    def run(self, job: DispatchJob) -> dict[str, Any]:
        """The options view of ``job``: from a worker, or built here with no workers, when one died
        (the next job starts a new one) or while the service stops them."""
        executor = self._pool()
        if executor is None:
            return self.run_here(job)
        try:
            return executor.submit(_run_in_worker, job).result()
        except (BrokenProcessPool, CancelledError):  # a worker died, or the service stops them
            if not self._closed:
                logger.exception("a dispatch worker process died; running the dispatch in the service process")
                self._replace(executor)
            return self.run_here(job)
        except RuntimeError:  # "cannot schedule new futures after shutdown": closed since _pool()
            if not self._closed:
                raise
            return self.run_here(job)

    def run_here(self, job: DispatchJob) -> dict[str, Any]:
        """The options view of ``job``, built and solved in the calling thread."""
        return _run(job, self.corridors, self.reports_waiting)

    def worker_pids(self) -> list[int]:
        """The worker processes' ids (for tests and operators; the executor keeps them privately)."""
        executor = self._executor
        return [] if executor is None else [p.pid for p in getattr(executor, "_processes", {}).values()]

    def close(self) -> None:
        """Stop the workers once their dispatch is done; later jobs run in the calling thread."""
        with self._lock:
            executor, self._executor, self._closed = self._executor, None, True
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _pool(self) -> ProcessPoolExecutor | None:
        """The workers, started at the first call; None with no workers or once closed."""
        with self._lock:
            if self.processes == 0 or self._closed:
                return None
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=multiprocessing.get_context(_METHOD),
                    initializer=_start_worker,
                    initargs=(self.corridors.corridor, self.reports_waiting, os.getpid()),
                )
            return self._executor

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)
