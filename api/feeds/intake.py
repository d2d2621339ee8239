"""Fixes in from any feed, checked one by one (issue 16 §1): each names its coach by id, plate or
terminal phone; a fix no terminal could have taken (coordinates, speed, heading, a time outside the
window or ahead of the clock) is rejected with the field named, and the others are stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fleetplan.corridor import Corridor
from fleetplan.errors import InvalidValueError, UnknownIdError
from fleetplan.positions import Position, PositionSource

from api import views
from api.desk.times import TimeRules
from api.positions_log import PositionLog
from api.records.fields import CHINA_STANDARD_TIME, local_naive


@dataclass(frozen=True)
class RawFix:
    """A fix as a feed sent it: the coach by id or plate, the time aware or China-local."""

    coach: str
    lat: float
    lon: float
    at: datetime | None  # None: the feed gave no time, or none a clock can hold
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


def accept_fixes(
    corridor: Corridor,
    rules: TimeRules,
    raw: Sequence[RawFix],
    source: PositionSource,
    now: datetime,
    indices: Sequence[int] | None = None,
) -> tuple[list[Position], list[Rejected]]:
    """The fixes to store and those rejected, each with the field and its index: in ``raw``, or the
    matching one of ``indices`` (where the fix stood in what the feed sent, e.g. a GTFS-RT entity)."""
    accepted, rejected = [], []
    for index, fix in zip(indices or range(len(raw)), raw, strict=True):
        try:
            accepted.append(to_position(corridor, rules, fix, source, now))
        except InvalidValueError as error:
            rejected.append(Rejected(index, error.field, error.problem))
    return accepted, rejected


def record_fixes(
    corridor: Corridor,
    rules: TimeRules,
    log: PositionLog,
    raw: Sequence[RawFix],
    source: PositionSource,
    actor: str,
    indices: Sequence[int] | None = None,
) -> tuple[int, list[Rejected]]:
    """Check ``raw`` against the service's clock (``rules.clock``) and store what passes; (stored, rejected)."""
    now = rules.clock()
    accepted, rejected = accept_fixes(corridor, rules, raw, source, now, indices)
    return log.record(accepted, actor, now), rejected


def to_position(corridor: Corridor, rules: TimeRules, fix: RawFix, source: PositionSource, now: datetime) -> Position:
    if not fix.coach.strip():
        raise InvalidValueError("vehicle_id", "the fix names no coach")
    if fix.at is None:
        raise InvalidValueError("at", "the fix has no time, or one no clock can hold")
    try:
        vehicle = views.find_vehicle(corridor.dataset, fix.coach.strip())
    except UnknownIdError:
        raise InvalidValueError("vehicle_id", f"no coach {fix.coach!r} (give a coach id or a plate)") from None
    at = local_naive("at", fix.at).replace(microsecond=0)
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


# --------------------------------------------------------------------------- GTFS-Realtime
MS_TO_KMH = 3.6


def gtfs_rt_fixes(body: bytes) -> tuple[list[RawFix], list[int], int]:
    """The VehiclePosition entities of a GTFS-Realtime ``FeedMessage`` as fixes, the index of each one's
    entity, and how many entities carried none (trip updates, alerts, a vehicle without a position).

    The coach is the vehicle descriptor's ``id`` (a coach id), else its ``label`` (a plate); speed is
    metres per second in GTFS-Realtime; a position without its own timestamp takes the feed header's.
    Raises :class:`InvalidValueError` naming ``body`` when the bytes are not a ``FeedMessage``."""
    from google.protobuf.message import DecodeError
    from google.transit import gtfs_realtime_pb2

    feed = gtfs_realtime_pb2.FeedMessage()
    try:
        feed.ParseFromString(body)
    except (DecodeError, RuntimeWarning, ValueError) as error:
        raise InvalidValueError("body", f"not a GTFS-Realtime FeedMessage ({error})") from None
    if not feed.IsInitialized():  # the header and its version are required fields
        raise InvalidValueError("body", "not a GTFS-Realtime FeedMessage (no header with its version)")
    fixes, indices, passed_over = [], [], 0
    for index, entity in enumerate(feed.entity):
        vehicle = entity.vehicle
        if not entity.HasField("vehicle") or not vehicle.HasField("position"):
            passed_over += 1
            continue
        stamp = vehicle.timestamp or feed.header.timestamp
        coach = vehicle.vehicle.id or vehicle.vehicle.label
        position = vehicle.position
        indices.append(index)
        fixes.append(
            RawFix(
                coach=coach,
                lat=position.latitude,
                lon=position.longitude,
                at=_posix_time(stamp),
                speed_kmh=round(position.speed * MS_TO_KMH, 1) if position.HasField("speed") else None,
                heading_deg=position.bearing % 360 if position.HasField("bearing") else None,
            )
        )
    return fixes, indices, passed_over


def _posix_time(stamp: int) -> datetime | None:
    """POSIX seconds (UTC) in China Standard Time; None for 0 (absent) or beyond what a datetime holds."""
    if not stamp:
        return None
    try:
        return datetime.fromtimestamp(stamp, CHINA_STANDARD_TIME)
    except (OverflowError, OSError, ValueError):
        return None
