"""What no longer holds in an accepted plan: a coach it books has broken down since (a breakdown or
accident reported with that coach while the plan is open), or has been sent to the workshop since (a
booked coach cannot have been in it when it was booked: the accept refuses such a coach). The desk
shows it on the plan's incident,
in both languages, so the dispatcher releases the plan and plans again; the plan itself is never
changed behind the dispatcher's back (issue 18 §3: accepted plans stay fixed until released)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from fleetplan.model import VehicleStatus

from api.operations_log import StatusChange
from api.records.types import RecordStore
from api.records.usability import BROKEN_COACH_KINDS, OPEN_STATUSES, breakdown_reason

OPEN_LIMIT = 10_000
RESCUE_COACH_BROKE_DOWN = "rescue_coach_broke_down"
RESCUE_COACH_IN_WORKSHOP = "rescue_coach_in_workshop"


def plan_warnings(
    store: RecordStore, statuses: Mapping[str, StatusChange] | None = None
) -> dict[int, list[dict[str, Any]]]:
    """Incident number → the warnings on its accepted plan (none for most); ``statuses``: each coach's
    latest status change (the operations log's), for the coaches sent to the workshop. A breakdown
    counts for a plan as it does when one is made (:func:`api.records.usability.breakdown_reason`): one
    reported for a day or more after the plan's incident (a back-dated one) does not concern it."""
    heads = store.incident_heads(set(OPEN_STATUSES), limit=OPEN_LIMIT)
    reported_at = {head.number: head.reported_at for head in heads}
    breakdowns = sorted(
        (head for head in heads if head.report.get("kind") in BROKEN_COACH_KINDS),
        key=lambda head: (head.reported_at, head.number),
    )
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for booking in store.bookings():
        vehicle_id, number = booking.vehicle_id or "", booking.incident_number
        at = reported_at.get(number)
        during = None if at is None else (at, at)
        failed_in = next(
            (
                head.number
                for head in breakdowns
                if head.report.get("vehicle_id") == vehicle_id
                and head.number != number
                and breakdown_reason(head.number, head.reported_at, during) is not None
            ),
            None,
        )
        change = (statuses or {}).get(vehicle_id)
        if failed_in is not None:
            found[number].append(broken_coach_warning(vehicle_id, failed_in))
        elif change is not None and change.status == VehicleStatus.WORKSHOP:
            found[number].append(workshop_warning(change))
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


def workshop_warning(change: StatusChange) -> dict[str, Any]:
    vehicle_id, at = change.vehicle_id, f"{change.at:%m-%d %H:%M}"
    return {
        "code": RESCUE_COACH_IN_WORKSHOP,
        "vehicle_id": vehicle_id,
        "incident": None,
        "text": f"{vehicle_id}, booked in this plan, was sent to the workshop ({at}: {change.reason}): the plan "
        "no longer holds; release it and plan again",
        "text_zh": f"本方案预订的 {vehicle_id} 已送修（{at}：{change.reason}）：方案已不成立，请释放并重新规划",
    }
