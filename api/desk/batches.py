"""Reports that arrive while a joint re-plan runs wait for it and are then re-planned in one go
(issue 18 §5: mass disruption).

When a pile-up or a blizzard brings many reports within seconds, re-planning each one with its open
partners as it arrives plans the same incidents again and again, each plan out of date before it is
stored, and the last reports queue behind all the others. Instead one joint re-plan runs at a time
per desk: a report that comes meanwhile waits, and when the run ends one of the waiting callers takes
every report gathered so far and plans them as a batch (:meth:`JointPlanner.plan_reported
<api.desk.joint.JointPlanner.plan_reported>` splits the batch into joint plans). Each caller returns
as soon as the batch holding its report is stored, so the desk that answered is never held up by the
reports after it.
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


class ReportBatches:
    """One batch of reports re-planned at a time; the reports gathered meanwhile form the next.

    ``run(batch, served)`` plans a batch (the reports in the order they came) and calls ``served``
    with the numbers whose options are stored as soon as they are, so that their callers return while
    the rest of the batch is planned. It runs in the thread of one of the batch's callers, never two
    batches at once. An error in it is logged and ends the batch: its reports keep their records and
    the dispatcher can ask again (options, plan together).
    """

    def __init__(self, run: Callable[[Sequence[Waiting], Callable[[Iterable[int]], None]], None]) -> None:
        self._run = run
        self._changed = threading.Condition()
        self._waiting: list[Waiting] = []
        self._served: set[int] = set()  # reports whose batch has run and whose caller has not looked yet
        self._running = False

    def replan(self, number: int, actor: str) -> None:
        """Re-plan report ``number`` with the others gathered; returns once its batch is stored."""
        with self._changed:
            self._waiting.append(Waiting(number, actor))
            while number not in self._served:
                if not self._running:  # this caller runs the next batch, its own report in it
                    self._running = True
                    batch, self._waiting = self._waiting, []
                    break
                self._changed.wait()
            else:
                self._served.discard(number)
                return
        told: set[int] = {number}  # this caller returns when the batch ends; the others when served

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
            with self._changed:
                self._running = False
                self._served.update(w.number for w in batch if w.number not in told)
                self._changed.notify_all()

    def waiting(self) -> int:
        """Reports waiting for the next batch (for tests and the service's health)."""
        with self._changed:
            return len(self._waiting)
