"""Fixes from many connections stored together (issue 16: 500 terminals, 2,000 fixes a second).

A JT/T 808 terminal waits for the platform's answer to each location report, and one transaction per
report caps a gateway at a few hundred a second. Reports that arrive within :data:`FLUSH_S` of each
other are checked and stored in one transaction; each terminal is answered once its own fix is stored
(or refused, with the field).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from fleetplan.corridor import Corridor
from fleetplan.positions import PositionSource

from api.desk.times import TimeRules
from api.feeds.intake import RawFix, Rejected, accept_fixes
from api.positions_log import PositionLog

FLUSH_S = 0.02  # a report waits at most this long for others to share its transaction
MAX_BATCH = 2000


@dataclass
class FixBatches:
    corridor: Callable[[], Corridor]
    rules: TimeRules
    log: PositionLog
    source: PositionSource
    _pending: list[tuple[RawFix, str, asyncio.Future]] = field(default_factory=list, init=False)
    _flushing: asyncio.Task | None = field(default=None, init=False)

    async def store(self, fix: RawFix, actor: str) -> Rejected | None:
        """Store ``fix`` with the others of its moment; None when stored, else why it was refused."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending.append((fix, actor, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            await asyncio.sleep(FLUSH_S)
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                outcomes = await asyncio.to_thread(self._store, [(fix, actor) for fix, actor, _ in batch])
            except Exception as error:  # the database is away: every report of the batch learns it
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, _, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)

    def _store(self, batch: list[tuple[RawFix, str]]) -> list[Rejected | None]:
        now = self.rules.clock()
        fixes = [fix for fix, _ in batch]
        accepted, rejected = accept_fixes(self.corridor(), self.rules, fixes, self.source, now)
        refused = {problem.index: problem for problem in rejected}
        actors = [actor for index, (_, actor) in enumerate(batch) if index not in refused]
        self.log.record(accepted, actors, now)
        return [refused.get(index) for index in range(len(batch))]
