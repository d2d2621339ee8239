"""Reports that arrive while a joint re-plan runs wait for it and are then re-planned in one go
(issue 18 §5: mass disruption).

When a pile-up or a blizzard brings many reports within seconds, re-planning each one with its open
partners as it arrives plans the same incidents again and again, each plan out of date before it is
stored, and the last reports queue behind all the others. Instead one batch of joint re-plans runs at
a time per desk: a report that comes meanwhile waits, and when the batch ends the next takes every
report gathered so far (:meth:`JointPlanner.plan_reported <api.desk.joint.JointPlanner.plan_reported>`
splits a batch into joint plans that share no incident). Each caller returns as soon as its own
report's options are stored, never held up by the rest of its batch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Waiting:
    """A report waiting for its joint re-plan: its number and who reported it."""

    number: int
    actor: str
    recomputed: bool = False  # the dispatcher asked for fresh options; else a new report


@dataclass(frozen=True)
class IdleWork:
    """Work the planner thread does, a step at a time, while no report waits: ``pending`` (asked under
    the batches' lock, so it must be quick) says whether a step is left; ``step`` does one, and a report
    that comes meanwhile waits for that step only."""

    pending: Callable[[], bool]
    step: Callable[[], None]


class ReportBatches:
    """One batch of reports re-planned at a time; the reports gathered meanwhile form the next.

    ``run(batch, served)`` plans a batch (the reports in the order they came) and calls ``served``
    with the numbers whose options are stored as soon as they are. Batches run one after another on a
    planner thread, started by the first report when none runs and ending when no report waits and no
    ``idle`` work is left; each caller returns as soon as its own report is served. ``on_waiting``
    hears how many reports wait whenever that changes (a dispatch in a worker process reads it there).
    An error in ``run`` is logged and ends the batch: its reports keep their records and the dispatcher
    can ask again (options, plan together). An error in an idle step is logged and the next step goes on.
    """

    def __init__(
        self,
        run: Callable[[Sequence[Waiting], Callable[[Iterable[int]], None]], None],
        idle: IdleWork | None = None,
        on_waiting: Callable[[int], None] = lambda count: None,
    ) -> None:
        self._run = run
        self._idle = idle
        self._on_waiting = on_waiting  # hears the count of waiting reports as it changes (under the lock)
        self._changed = threading.Condition()
        self._waiting: list[Waiting] = []
        self._served: set[int] = set()  # reports planned whose caller has not looked yet
        self._running = False

    def replan(self, number: int, actor: str, recomputed: bool = False) -> None:
        """Re-plan report ``number`` with the others gathered; returns once its options are stored."""
        with self._changed:
            self._waiting.append(Waiting(number, actor, recomputed))
            self._on_waiting(len(self._waiting))
            if not self._running:
                self._running = True
                threading.Thread(target=self._plan_batches, name="joint-batches", daemon=True).start()
            while number not in self._served:
                self._changed.wait()
            self._served.discard(number)

    def _plan_batches(self) -> None:
        """The planner thread: every batch gathered, and the idle work between, until no report waits
        and no idle work is left (it stops in the same hold of the lock that finds none, so a report
        that comes after starts the next thread)."""
        stopped = False
        try:
            while not stopped:
                stopped = self._plan_next_batch()
        finally:
            if not stopped:  # the thread dies (the interpreter ends): the next report starts another
                with self._changed:
                    self._running = False

    def _plan_next_batch(self) -> bool:
        """Plan the reports waiting now, or else one idle step; True (the thread stops) when neither is left."""
        with self._changed:
            if not self._waiting:
                if self._idle is None or not self._idle.pending():
                    self._running = False
                    return True
                batch: list[Waiting] = []
            else:
                batch, self._waiting = self._waiting, []
                self._on_waiting(0)
        if not batch:
            self._idle_step()
            return False
        told: set[int] = set()

        def served(numbers: Iterable[int]) -> None:
            with self._changed:
                fresh = set(numbers) - told
                told.update(fresh)
                self._served.update(fresh)
                self._changed.notify_all()

        try:
            self._run(batch, served)
        except Exception:  # the reports are recorded; the desk can ask again
            logger.exception("reports %s: joint re-planning failed", [w.number for w in batch])
        finally:
            served(w.number for w in batch)  # those the run did not name (it failed) are let go too
        return False

    def _idle_step(self) -> None:
        assert self._idle is not None
        try:
            self._idle.step()
        except Exception:  # the records keep what was stored; the next step goes on
            logger.exception("idle work between report batches failed")

    def waiting(self) -> int:
        """Reports waiting for the next batch."""
        with self._changed:
            return len(self._waiting)
