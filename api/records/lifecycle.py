"""An incident's lifecycle as pure functions of its entry kinds: the status they lead to, whether a
new entry is allowed, and what is wrong with a recorded sequence.

The status is derived from the latest entry, never stored (see :mod:`api.records.sql`), so these
rules are the only place it comes from.
"""

from __future__ import annotations

from collections.abc import Sequence

from api.records.types import NEXT_ENTRIES, EntryKind, IncidentStatus, InvalidTransition

# The status an incident is in after an entry of each kind (NEXT_ENTRIES guarantees the order).
STATUS_AFTER: dict[EntryKind, IncidentStatus] = {
    EntryKind.REPORT: IncidentStatus.REPORTED,
    EntryKind.OPTIONS: IncidentStatus.OPTIONS,
    EntryKind.ACCEPT: IncidentStatus.ACCEPTED,
    EntryKind.ON_SCENE: IncidentStatus.ON_SCENE,
    EntryKind.RESOLVED: IncidentStatus.RESOLVED,
    EntryKind.FOLLOW_UP: IncidentStatus.FOLLOWED_UP,
    EntryKind.VOID: IncidentStatus.VOIDED,
}
KIND_FOR_STATUS: dict[IncidentStatus, EntryKind] = {status: kind for kind, status in STATUS_AFTER.items()}
RELEASING_KINDS = frozenset({EntryKind.RESOLVED, EntryKind.VOID})
BOOKED_STATUSES = frozenset({IncidentStatus.ACCEPTED, IncidentStatus.ON_SCENE})


def derive_status(kinds: Sequence[EntryKind]) -> IncidentStatus:
    """The status of an incident from its entry kinds in recorded order.

    Parameters
    ----------
    kinds
        The kinds of the incident's entries, oldest first; the first is REPORT.

    Returns
    -------
    IncidentStatus
        The status the latest entry leads to. Entries are only appended when
        :data:`NEXT_ENTRIES` allows them, so the latest entry alone decides.
    """
    if not kinds:
        raise ValueError("an incident without entries has no status")
    return STATUS_AFTER[EntryKind(kinds[-1])]


def lifecycle_problems(number: int, kinds: Sequence[EntryKind]) -> list[str]:
    """Replay an incident's entry kinds against :data:`NEXT_ENTRIES`; describe any illegal step."""
    if not kinds:
        return [f"incident {number} has no entries"]
    if kinds[0] != EntryKind.REPORT:
        return [f"incident {number}: the first entry is {kinds[0]}, not report"]
    problems = []
    status = IncidentStatus.REPORTED
    for position, kind in enumerate(kinds[1:], start=2):
        if kind not in NEXT_ENTRIES[status]:
            problems.append(f"incident {number}: entry {position} ({kind}) is not allowed after {status}")
        status = STATUS_AFTER[kind]
    return problems


def check_transition(number: int, status: IncidentStatus, kind: EntryKind) -> None:
    """Raise :class:`~api.records.types.InvalidTransition` unless ``kind`` may follow ``status``."""
    allowed = NEXT_ENTRIES[status]
    if kind not in allowed:
        options = ", ".join(sorted(_allowed_step(status, k) for k in allowed)) or "nothing (the record is closed)"
        raise InvalidTransition(
            f"incident {number} is {status}: cannot record {_step(status, kind)}; allowed: {options}"
        )


def _allowed_step(status: IncidentStatus, kind: EntryKind) -> str:
    """A step as an allowed one is listed: resolved before on scene only for a coach with nobody aboard
    (the desk refuses it while passengers wait for their rescue)."""
    if kind == EntryKind.RESOLVED and status in (IncidentStatus.OPTIONS, IncidentStatus.ACCEPTED):
        return "resolved (nobody aboard)"
    return _step(status, kind)


def _step(status: IncidentStatus, kind: EntryKind) -> str:
    """The entry kind as the desk names the step: a report after an accept is a release."""
    return "release" if status == IncidentStatus.ACCEPTED and kind == EntryKind.REPORT else str(kind)
