"""Service KPIs (issue 4 §5); definitions in :mod:`api.kpis`."""

from __future__ import annotations

from datetime import date
from functools import partial

from fastapi import APIRouter, Depends, Query

from fleetplan.errors import InvalidValueError

from api import auth, kpis
from api.desk import ALL_INCIDENTS_LIMIT, Desk
from api.desk.times import reported_ahead_of_clock
from api.records.types import IncidentQuery, User
from api.routers.deps import get_desk
from api.schemas import CALENDAR_DAY, KpisOut, error_responses

router = APIRouter(tags=["kpis"], responses=error_responses(401, 403))

DAY = CALENDAR_DAY  # days that exist: the schema says exactly what calendar_day takes


@router.get(
    "/kpis",
    response_model=KpisOut,
    responses=error_responses(400, checked=("from",)),  # from after to
    summary="Response-time compliance, response times, follow-up rate, incidents per 10,000 km; per day and tier",
)
def service_kpis(
    period_from: str | None = Query(None, alias="from", pattern=DAY, description="first day, YYYY-MM-DD"),
    period_to: str | None = Query(None, alias="to", pattern=DAY, description="last day, YYYY-MM-DD"),
    desk: Desk = Depends(get_desk),
    _user: User = Depends(auth.viewer),
) -> dict:
    """Voided incidents and exercises (reported ahead of the clock: listed under ``exercises``) are left
    out; on-scene times no rescue could have had are set aside (listed with
    why). Kilometres: the road-network route length of the trips the timetable's calendar runs on the
    period's days; an open side of the period is the first or last incident's day. 400 naming ``from``
    when it is after ``to``."""
    start, end = calendar_day(period_from, "from"), calendar_day(period_to, "to")
    if start is not None and end is not None and start > end:  # as the history says it
        raise InvalidValueError("from", f"{start.isoformat()} is after to ({end.isoformat()})")
    period = IncidentQuery(reported_from=start, reported_to=end)  # the period is read in SQL
    records = desk.store.incidents(None, limit=ALL_INCIDENTS_LIMIT, query=period)
    limits = {tier.name: tier.limit_s // 60 for tier in desk.corridor.dataset.tier_policy.tiers}
    exercise = partial(reported_ahead_of_clock, desk.times)  # the desk's clock rule: ahead of the clock
    return kpis.kpis(records, desk.trip_km, start, end, desk.times.on_scene_tolerance, limits, exercise)


def calendar_day(text: str | None, field: str) -> date | None:
    """A ``YYYY-MM-DD`` query value as a date; 400 naming ``field`` when there is no such day."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValueError(field, f"{text!r} is not a calendar day") from None
