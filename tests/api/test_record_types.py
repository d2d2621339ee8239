"""IncidentRecord's readings of its entries: the accept in force and the release in force."""

from __future__ import annotations

from datetime import datetime

import pytest

from api.records.types import Entry, EntryKind, IncidentRecord, IncidentStatus

AT = datetime(2026, 12, 7, 8, 0)


def record(*kinds: str) -> IncidentRecord:
    """An incident whose entries are ``kinds`` in order; ``release`` is a report entry carrying one."""
    entries = tuple(
        Entry(
            i,
            1,
            EntryKind.REPORT if kind == "release" else EntryKind(kind),
            AT,
            "wang",
            {"release": {"reason": "x"}} if kind == "release" else {"n": i},
        )
        for i, kind in enumerate(kinds)
    )
    return IncidentRecord(1, None, AT, {}, IncidentStatus.REPORTED, entries)


@pytest.mark.parametrize(
    ("kinds", "accept", "release"),
    [
        ((), None, None),
        (("report", "options"), None, None),
        (("report", "options", "accept"), 2, None),
        (("report", "options", "accept", "on_scene", "resolved"), 2, None),
        (("report", "options", "accept", "release"), None, 3),
        (("report", "options", "accept", "release", "options"), None, 3),
        (("report", "options", "accept", "release", "options", "accept"), 5, None),
        (("report", "options", "accept", "release", "options", "accept", "release"), None, 6),
    ],
)
def test_the_latest_accept_or_release_decides_which_is_in_force(kinds, accept, release):
    incident = record(*kinds)
    assert (entry.id if (entry := incident.accept_in_force()) else None) == accept
    assert (entry.id if (entry := incident.release_in_force()) else None) == release
