"""When a time the desk is given is believable (issue 15 §3, §7); each rule raises
:class:`~fleetplan.errors.InvalidValueError` naming the field (a 400).

**The window.** A report or lifecycle time lies at most ``FLEETPLAN_TIME_WINDOW_DAYS`` before the
clock (records entered late) and at most the clock skew after it, or within that many days of the
data's timetable days: the bundled demo week lies ahead of most clocks, and tests, drills and demos
replay it on any date. Years 0001, 1970 or 9999 lie in neither; the records are append-only, so such
a time would stay for good (one on-scene at 9999-12-31 made the mean response two billion minutes).

**The clock.** A lifecycle time may not lie ahead of the clock beyond its skew — unless the incident
itself was reported ahead of the clock: that is an exercise on the timetable's days, which runs on
its own calendar, so only the window bounds it.

**The order of a rescue.** On scene not before the accepted plan's first arrival at the scene (its
departure plus the shortest legal drive, as the dispatch path computed and the evaluator checked it)
less a tolerance, unless the dispatcher gives a reason for the earlier time (recorded with it);
resolved not before on scene; neither before the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from fleetplan.errors import InvalidValueError
from fleetplan.model import Dataset
from fleetplan.units import china_now

from api.clock import Clock
from api.records.types import EntryKind, IncidentRecord
from api.settings import Settings


@dataclass(frozen=True)
class TimeRules:
    """The policy values of the rules above, and the timetable's span they refer to."""

    window: timedelta
    skew: timedelta
    on_scene_tolerance: timedelta
    timetable: tuple[datetime, datetime] | None  # from the first timetable day's start to the last one's end
    clock: Clock = china_now  # the service's clock (a drill's, when it runs one)

    @classmethod
    def from_settings(cls, settings: Settings, dataset: Dataset, clock: Clock = china_now) -> TimeRules:
        return cls(
            window=timedelta(days=settings.time_window_days),
            skew=timedelta(minutes=settings.clock_skew_min),
            on_scene_tolerance=timedelta(minutes=settings.on_scene_tolerance_min),
            timetable=timetable_span(dataset),
            clock=clock,
        )


def timetable_span(dataset: Dataset) -> tuple[datetime, datetime] | None:
    """From the start of the timetable's first day to the end of its last (None without trips)."""
    days = [trip.departure.date() for trip in dataset.trips]
    if not days:
        return None
    return datetime.combine(min(days), time()), datetime.combine(max(days) + timedelta(days=1), time())


def check_window(rules: TimeRules, at: datetime, now: datetime, field: str) -> None:
    """Raise unless ``at`` lies in the window of the clock or of the timetable."""
    if now - rules.window <= at <= now + rules.skew:
        return
    span = rules.timetable
    if span is not None and span[0] - rules.window <= at <= span[1] + rules.window:
        return
    accepted = f"{_minute(now - rules.window)} to {_minute(now + rules.skew)} (the clock)"
    if span is not None:
        accepted += f", or {_minute(span[0] - rules.window)} to {_minute(span[1] + rules.window)} (the timetable)"
    raise InvalidValueError(
        field, f"{_minute(at)} is outside the times accepted: {accepted}; FLEETPLAN_TIME_WINDOW_DAYS sets the window"
    )


def check_lifecycle_time(rules: TimeRules, record: IncidentRecord, at: datetime, now: datetime) -> None:
    """The rules every lifecycle time ``at`` obeys: after the report, in the window, not ahead of the clock."""
    check_not_before(at, record.reported_at, "the report time")
    check_window(rules, at, now, "at")
    if not reported_ahead_of_clock(rules, record) and at > now + rules.skew:
        raise InvalidValueError(
            "at",
            f"{_minute(at)} lies in the future: it is {_minute(now)} now "
            f"({rules.skew // timedelta(minutes=1)} min allowed for a clock running ahead)",
        )


def check_on_scene(rules: TimeRules, record: IncidentRecord, at: datetime, override_reason: str | None) -> None:
    """Raise when ``at`` precedes the accepted plan's first arrival less the tolerance and no reason is given."""
    earliest = earliest_on_scene(record)
    if earliest is None or override_reason or at >= earliest - rules.on_scene_tolerance:
        return
    raise InvalidValueError(
        "at",
        f"{_minute(at)} is before any rescuer can be there: the accepted plan's first coach reaches the scene "
        f"at {_minute(earliest)} (its departure plus the shortest legal drive; "
        f"{rules.on_scene_tolerance // timedelta(minutes=1)} min tolerance); "
        "give override_reason to record an earlier time",
    )


def check_resolved(record: IncidentRecord, at: datetime) -> None:
    """Raise when ``at`` precedes the recorded on-scene time."""
    on_scene = record.latest(EntryKind.ON_SCENE)
    if on_scene is not None and on_scene.payload.get("at"):
        check_not_before(at, datetime.fromisoformat(on_scene.payload["at"]), "the on-scene time")


def check_not_before(at: datetime, earlier: datetime, what: str) -> None:
    if at < earlier:
        raise InvalidValueError("at", f"{_minute(at)} is before {what} {_minute(earlier)}")


def earliest_on_scene(record: IncidentRecord) -> datetime | None:
    """When the accepted plan's first coach reaches the scene (None: no plan accepted, or it sends none)."""
    etas = [a["scene_eta_min"] for a in accepted_assignments(record) if a.get("scene_eta_min") is not None]
    return record.reported_at + timedelta(minutes=min(etas)) if etas else None


def accepted_assignments(record: IncidentRecord) -> list[dict[str, Any]]:
    """The rescues of the accepted plan (none before an accept, or after its release)."""
    accepted = record.accept_in_force()
    return list((accepted.payload.get("plan") or {}).get("assignments") or []) if accepted else []


def reported_ahead_of_clock(rules: TimeRules, record: IncidentRecord) -> bool:
    """Whether the incident was reported for a time ahead of the clock that recorded it (an exercise)."""
    recorded_at = record.entries[0].at if record.entries else record.reported_at
    return record.reported_at > recorded_at + rules.skew


def _minute(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


# The builder and the solver look days around the report (shifts, rests, deadlines): a time nearer than
# this to year 1 or 9999 cannot be planned, and would fail in date arithmetic instead of naming the field
CALENDAR_MARGIN = timedelta(days=7)


def plannable_time(at: datetime) -> None:
    """Raise InvalidValueError naming ``time`` when ``at`` lies within :data:`CALENDAR_MARGIN` of year 1 or 9999."""
    try:
        at - CALENDAR_MARGIN, at + CALENDAR_MARGIN
    except OverflowError:
        raise unplannable(at) from None


def unplannable(at: datetime) -> InvalidValueError:
    moment = at.isoformat(timespec="minutes")
    return InvalidValueError(
        "time", f"{moment} is at the edge of the calendar (year 1 or 9999): no rescue can be planned"
    )
