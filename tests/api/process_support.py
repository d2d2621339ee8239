"""Helpers of the tests that kill service processes: the process table (from ``/proc``, so Linux only) and
the check that no two runs of a what-if job overlapped."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def process_table() -> dict[int, tuple[int, int, str]]:
    """pid → (parent pid, start time in clock ticks, state) of every process, from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended while we looked
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (command) "
        table[int(entry.name)] = (int(fields[1]), int(fields[19]), fields[0])
    return table


def descendants(pid: int) -> dict[int, int]:
    """pid → start time of every live process below ``pid`` (children, grandchildren, …)."""
    table = process_table()
    found: dict[int, int] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, started, state) in table.items():
            if ppid == parent and child not in found and state != "Z":
                found[child] = started
                frontier.append(child)
    return found


def still_alive(processes: dict[int, int]) -> list[int]:
    """The processes still running (a reused pid has another start time; a zombie has ended)."""
    table = process_table()
    return [
        pid for pid, started in processes.items() if pid in table and table[pid][1] == started and table[pid][2] != "Z"
    ]


def assert_never_twice_at_once(runs: Sequence[Any]) -> None:
    """Rows of ``whatif_job_runs`` of one job: a run lasts from its start to its end or — if its process died
    without a word — to its last lease, and no two of them may overlap."""
    spans = sorted((run.started_epoch_s, run.ended_epoch_s or run.lease_until_epoch_s) for run in runs)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert end <= start, f"two runs of one job overlap: {spans}"
