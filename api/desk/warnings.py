"""What no longer holds in an accepted plan: a coach it books has broken down since (a breakdown or
accident reported with that coach while the plan is open). The desk shows it on the plan's incident,
in both languages, so the dispatcher releases the plan and plans again; the plan itself is never
changed behind the dispatcher's back (issue 18 §3: accepted plans stay fixed until released)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from api.records.types import RecordStore
from api.records.usability import BROKEN_COACH_KINDS, OPEN_STATUSES

OPEN_LIMIT = 10_000
RESCUE_COACH_BROKE_DOWN = "rescue_coach_broke_down"


def broken_coaches(store: RecordStore, exclude_number: int | None = None) -> dict[str, int]:
    """Coach id → the open incident it broke down in (a breakdown or accident reported with it), the
    incident ``exclude_number`` left out."""
    broken: dict[str, int] = {}
    for head in store.incident_heads(set(OPEN_STATUSES), limit=OPEN_LIMIT):
        if head.number != exclude_number and head.report.get("kind") in BROKEN_COACH_KINDS:
            broken.setdefault(head.report["vehicle_id"], head.number)
    return broken


def plan_warnings(store: RecordStore) -> dict[int, list[dict[str, Any]]]:
    """Incident number → the warnings on its accepted plan (none for most)."""
    broken = broken_coaches(store)
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for booking in store.bookings():
        failed_in = broken.get(booking.vehicle_id or "")
        if failed_in is not None and failed_in != booking.incident_number:
            found[booking.incident_number].append(broken_coach_warning(booking.vehicle_id or "", failed_in))
    return dict(found)


def broken_coach_warning(vehicle_id: str, failed_in: int) -> dict[str, Any]:
    return {
        "code": RESCUE_COACH_BROKE_DOWN,
        "vehicle_id": vehicle_id,
        "incident": failed_in,
        "text": f"{vehicle_id}, booked in this plan, broke down (incident {failed_in}): the plan no longer "
        "holds; release it and plan again (once on scene, handle it in that incident)",
        "text_zh": f"本方案预订的 {vehicle_id} 已故障（事件 {failed_in}）：方案已不成立，请释放并重新规划"
        "（若已到达现场，请在该事件中处理）",
    }
