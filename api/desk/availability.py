"""Who the desk may not send for a report, as of the report's time: coaches and drivers booked by
other incidents (or held by an accepted joint plan), and coaches broken down in other open incidents.

**A breakdown counts from its own time.** A report may be back-dated (entered late, within the
window): a coach whose breakdown is recorded for a later time was still running at the report's
moment. So a breakdown reported for a time at or before the earliest report planned leaves the coach
out (*broke down in incident N*); one reported for a later time leaves it out only while a plan for
those reports may still need the coach (:data:`~api.records.usability.PLAN_REACH` after the latest of
them: its tasks leave within the trip horizon and run on from there), and says so (*breaks down later,
at …, in incident N*); a breakdown further ahead does not concern the plan and the coach is offered.
The accept checks the same in its own transaction (:func:`api.records.usability.coaches_broken_elsewhere`).
A coach in the workshop stays out whatever the times: that is its recorded status, not a report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from api.desk.joint_views import shared_holds
from api.desk.warnings import OPEN_LIMIT
from api.records.lifecycle import BOOKED_STATUSES
from api.records.types import Booking, IncidentHead, RecordStore
from api.records.usability import BROKEN_COACH_KINDS, OPEN_STATUSES, breakdown_reason

# The earliest and the latest time of the reports planned together (one report: its time twice)
Span = tuple[datetime, datetime]


def unavailable_resources(
    store: RecordStore,
    exclude_number: int | None = None,
    bookings: Sequence[Booking] | None = None,
    during: Span | None = None,
) -> dict[str, str]:
    """Coach or driver id → why it cannot be sent for the reports of ``during`` (``None``: now, any open
    breakdown counts), the incident ``exclude_number`` left out; ``bookings`` default the store's."""
    held: dict[str, str] = {}
    for booking in store.bookings() if bookings is None else bookings:
        if booking.incident_number == exclude_number:
            continue
        for resource in booking.resources:
            held[resource] = f"booked by incident {booking.incident_number}"
    for vehicle_id, why in broken_down(store, exclude_number, during).items():
        held.setdefault(vehicle_id, why)
    # a crew accepted jointly is booked under one incident: the accepted plans say which others it holds
    booked = store.incidents(set(BOOKED_STATUSES), limit=OPEN_LIMIT)
    return {**shared_holds(r for r in booked if r.number != exclude_number), **held}


def broken_down(store: RecordStore, exclude_number: int | None, during: Span | None) -> dict[str, str]:
    """Coach id → why its breakdown (or accident) in an open incident other than ``exclude_number``
    leaves it out of a plan for ``during`` (see the module docstring); the earliest such breakdown."""
    heads = [
        head
        for head in store.incident_heads(set(OPEN_STATUSES), limit=OPEN_LIMIT)
        if head.number != exclude_number and head.report.get("kind") in BROKEN_COACH_KINDS
    ]
    found: dict[str, str] = {}
    for head in sorted(heads, key=_by_time):
        why = breakdown_reason(head.number, head.reported_at, during)
        if why is not None:
            found.setdefault(head.report["vehicle_id"], why)
    return found


def _by_time(head: IncidentHead) -> tuple[datetime, int]:
    return head.reported_at, head.number
