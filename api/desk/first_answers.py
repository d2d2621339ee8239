"""The best plan first while other reports wait, the alternatives when the desk is free (issue 18 §5).

Under a burst of reports each alternative costs as much as the best plan again (another lexicographic
solve, another check by the oracle), and every report behind it waits for them. So a joint re-plan
that starts while other reports wait (:meth:`api.desk.joint.JointPlanner.plan_reported`), or during
whose solve a report comes to wait, stores the best plan alone marked :data:`MORE_OPTIONS_COMING`; the
dispatcher can act on it at once. When no report waits, the batch planner (:mod:`api.desk.batches`) takes these answers one at a
time, oldest first, and stores the full options, the same first plan kept among equal ones, unless
the record moved on meanwhile (accepted, voided, planned again): a later entry is never overwritten.
A lone report is answered with all its options at once, as before.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from api.desk.joint_views import Crews, crews_of
from api.records.types import EntryKind, IncidentRecord, IncidentStatus

MORE_OPTIONS_COMING = "more_options_coming"  # options payload key: the best plan now, the others later


@dataclass(frozen=True)
class FirstAnswer:
    """Options stored with the best plan only: each incident's options entry, who asked, and the
    joint dispatch's id (None for an incident planned alone)."""

    entries: tuple[tuple[int, int], ...]  # (incident number, options entry id)
    actor: str
    joint_id: str | None

    @property
    def numbers(self) -> list[int]:
        return [number for number, _ in self.entries]


class FirstAnswers:
    """The first answers whose alternatives are still to come, oldest first (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[FirstAnswer] = deque()

    def remember(self, stored: Iterable[tuple[int, int, dict[str, Any]]], actor: str, joint_id: str | None) -> None:
        """Remember the options just ``stored`` (incident, entry id, payload) when they say more are coming."""
        entries = tuple((number, entry_id) for number, entry_id, payload in stored if payload.get(MORE_OPTIONS_COMING))
        if entries:
            with self._lock:
                self._queue.append(FirstAnswer(entries, actor, joint_id))

    def pending(self) -> bool:
        with self._lock:
            return bool(self._queue)

    def take(self) -> FirstAnswer | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None


def mark_more_coming(payload: dict[str, Any], plans_wanted: int) -> None:
    """Mark options holding the best plan alone while ``plans_wanted`` were asked for."""
    if plans_wanted > 1 and payload.get("plans"):
        payload[MORE_OPTIONS_COMING] = True


def still_first(answer: FirstAnswer, records: Sequence[IncidentRecord]) -> list[IncidentRecord]:
    """Those of ``records`` whose latest entry is still the first answer (nothing came since)."""
    stored = dict(answer.entries)
    return [
        record
        for record in records
        if record.status == IncidentStatus.OPTIONS
        and record.entries
        and record.entries[-1].id == stored.get(record.number)
        and record.entries[-1].payload.get(MORE_OPTIONS_COMING)
    ]


def keep_joint_id(
    payloads: Mapping[int, dict[str, Any]],
    first_before: Mapping[int, Crews | None],
    answer: FirstAnswer,
    records: Sequence[IncidentRecord],
) -> None:
    """The full options of a joint first ``answer`` keep its joint id (and trigger) when they plan the
    same incidents with the same first crews, so a dispatcher who chose from the first answer accepts
    the plan seen; else they are a new joint plan, which the accept tells apart."""
    if answer.joint_id is None or sorted(answer.numbers) != sorted(payloads):
        return
    if not all(p["plans"] and crews_of(p["plans"][0]) == first_before[n] for n, p in payloads.items()):
        return
    entry = records[0].latest(EntryKind.OPTIONS)
    seen = (entry.payload.get("joint") if entry else None) or {}
    for payload in payloads.values():
        payload["joint"] = {**payload["joint"], "id": answer.joint_id}
        payload["joint"].update({k: seen[k] for k in ("trigger", "trigger_zh") if k in seen})
