"""Crash safety of the records: SIGKILL a process in the middle of a burst of reports, then reopen.

Every number the killed process acknowledged must be present, the numbers must have no gaps, and the
database must pass its integrity check. Runs on SQLite and, when available, PostgreSQL.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from api.records import EntryKind, open_store

CHILD = Path(__file__).with_name("crash_reporter.py")
THREADS = 4
REPORTS_PER_THREAD = 5_000  # far more than are acknowledged before the kill
KILL_AFTER = 60  # acknowledged reports before SIGKILL
LINE_GUARD_S = 120  # only so that a stuck child fails the test instead of hanging it


def _read_line(process: subprocess.Popen, selector: selectors.BaseSelector) -> str:
    if not selector.select(timeout=LINE_GUARD_S):
        process.kill()
        raise AssertionError(f"no output from the reporter; stderr:\n{process.stderr.read()}")
    return process.stdout.readline()


def _run_and_kill(url: str) -> list[int]:
    """Start the reporter, SIGKILL it after KILL_AFTER acknowledgements; the numbers it printed."""
    repo_root = Path(__file__).resolve().parents[2]
    environment = {**os.environ, "PYTHONPATH": str(repo_root)}
    process = subprocess.Popen(
        [sys.executable, str(CHILD), url, str(THREADS), str(REPORTS_PER_THREAD)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    acknowledged: list[int] = []
    try:
        assert _read_line(process, selector).strip() == "ready", process.stderr.read()
        while len(acknowledged) < KILL_AFTER:
            line = _read_line(process, selector)
            assert line and line.strip() != "done", f"the reporter stopped early:\n{process.stderr.read()}"
            acknowledged.append(int(line))
        process.send_signal(signal.SIGKILL)
        # Numbers already in the pipe were acknowledged before the kill: keep them too.
        acknowledged += [int(line) for line in process.stdout.read().split() if line.isdigit()]
    finally:
        process.kill()
        process.wait()
        selector.close()
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    return acknowledged


def test_acknowledged_reports_survive_sigkill_mid_burst(store_url):
    acknowledged = _run_and_kill(store_url)
    assert len(acknowledged) >= KILL_AFTER and len(set(acknowledged)) == len(acknowledged)

    with open_store(store_url) as store:
        assert store.integrity_problems() == []
        records = store.incidents(limit=100_000)
        numbers = sorted(record.number for record in records)
        assert numbers == list(range(1, len(numbers) + 1))  # no gaps
        assert set(acknowledged) <= set(numbers)  # nothing acknowledged was lost
        assert all([entry.kind for entry in record.entries] == [EntryKind.REPORT] for record in records)
        # A number taken by a report that never committed is not reused or skipped.
        next_record, created = store.report({"vehicle_id": "C01"}, datetime(2026, 1, 5, 8, 0), "desk", None)
        assert created and next_record.number == len(numbers) + 1
        assert store.bookings() == []
