"""Leaving a what-if early (a cancelled HTTP job's progress callback raises) stops the pool's work: the
replications not yet started are dropped instead of run for nobody."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from datetime import date

import pytest

from fleetplan.corridor import load_corridor

from solver.planning.whatif import Engine, WhatIfScenario, run_whatif

REPS = 40


class Stop(Exception):
    """What the progress callback raises, like the job runner's private cancel exception."""


def test_a_process_pool_run_left_early_cancels_the_replications_not_started(monkeypatch):
    futures = []
    submit = ProcessPoolExecutor.submit

    def recording_submit(self, *args, **kwargs):
        future = submit(self, *args, **kwargs)
        futures.append(future)
        return future

    monkeypatch.setattr(ProcessPoolExecutor, "submit", recording_submit)

    def stop_at_first(done: int, total: int) -> None:
        raise Stop

    scenario = WhatIfScenario(date(2026, 12, 1), date(2026, 12, 3), {"siping_depot": 2}, calendar="winter")
    with pytest.raises(Stop):
        run_whatif(scenario, REPS, 0, Engine.PROCESSES, progress=stop_at_first, corridor=load_corridor(), workers=1)

    assert len(futures) == REPS
    # one worker holds at most a couple of calls at a time; everything else was still waiting when it stopped
    cancelled = [future for future in futures if future.cancelled()]
    assert cancelled and len(cancelled) + sum(future.done() and not future.cancelled() for future in futures) == REPS
    assert len(cancelled) > REPS // 2
