"""Fixes in from any feed, checked one by one (issue 16 §1): each names its coach by id, plate or
terminal phone; a fix no terminal could have taken (coordinates, speed, heading, a time outside the
window or ahead of the clock) is rejected with the field named, and the others are stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from fleetplan.corridor import Corridor
from fleetplan.errors import InvalidValueError, UnknownIdError
from fleetplan.positions import Position, PositionSource

from api import views
from api.desk.times import TimeRules

CHINA = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class RawFix:
    """A fix as a feed sent it: the coach by id or plate, the time aware or China-local."""

    coach: str
    lat: float
    lon: float
    at: datetime
    speed_kmh: float | None = None
    heading_deg: float | None = None
    emergency: bool = False


@dataclass(frozen=True)
class Rejected:
    index: int
    field: str
    problem: str

    @property
    def detail(self) -> str:
        return f"[{self.index}].{self.field}: {self.problem}"


def china_local(moment: datetime) -> datetime:
    """An aware time in China Standard Time, naive (as every time of the records); a naive one as given."""
    return moment if moment.tzinfo is None else moment.astimezone(CHINA).replace(tzinfo=None)


def accept_fixes(
    corridor: Corridor, rules: TimeRules, raw: Iterable[RawFix], source: PositionSource, now: datetime
) -> tuple[list[Position], list[Rejected]]:
    """The fixes to store and those rejected (with their index in ``raw`` and the field)."""
    accepted, rejected = [], []
    for index, fix in enumerate(raw):
        try:
            accepted.append(to_position(corridor, rules, fix, source, now))
        except InvalidValueError as error:
            rejected.append(Rejected(index, error.field, error.problem))
    return accepted, rejected


def to_position(corridor: Corridor, rules: TimeRules, fix: RawFix, source: PositionSource, now: datetime) -> Position:
    try:
        vehicle = views.find_vehicle(corridor.dataset, fix.coach.strip())
    except UnknownIdError:
        raise InvalidValueError("vehicle_id", f"no coach {fix.coach!r} (give a coach id or a plate)") from None
    at = china_local(fix.at).replace(microsecond=0)
    check_observed(rules, at, now)
    return Position(vehicle.id, fix.lat, fix.lon, at, fix.speed_kmh, fix.heading_deg, source, fix.emergency)


def check_observed(rules: TimeRules, at: datetime, now: datetime) -> None:
    """A fix was observed: never ahead of the clock beyond its skew, nor older than the window. Unlike a
    report, the timetable's days do not widen it — a replay of them (the feed simulator) runs on today."""
    if not now - rules.window <= at <= now + rules.skew:
        earliest, latest = (
            (now - rules.window).isoformat(timespec="seconds"),
            (now + rules.skew).isoformat(timespec="seconds"),
        )
        raise InvalidValueError(
            "at",
            f"{at.isoformat(timespec='seconds')} is not between {earliest} and {latest} (the clock, its skew and FLEETPLAN_TIME_WINDOW_DAYS)",
        )
