"""A driver's task as the pieces it adds to the duty log, and the rules checked over all of them.

A rescue is not one continuous drive (docs/world-model.md §6–§7): the crew drives to the scene, is on
duty there while the passengers board and change coach (``other`` duty: it neither rests nor drives),
may rest there, and drives on, perhaps with a rest on the way. A drive of no length (a rescue from the node where the scene is) is a
piece like any other and adds nothing. :func:`task_findings` judges every piece against the log and
the pieces before it, so a continuous-driving stretch that runs from the drive to the scene through
the scene into the onward drive is seen whole, and a rest at the scene ends it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetplan.errors import InvalidValueError
from fleetplan.model import Activity, Driver, DrivingPolicy, DutyInterval, Vehicle, require
from fleetplan.rules.checks import DoubleBookingFinding, prepare_check
from fleetplan.rules.personal import personal_for_drive
from fleetplan.rules.timeline import Timeline, normalised_log, timeline_of, to_stamp
from fleetplan.rules.values import Finding, ProposedDrive


@dataclass(frozen=True)
class DutyPiece:
    """One piece of a task: ``activity`` from ``start`` to ``end`` (equal for a piece of no length)."""

    activity: Activity
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:  # the message only when it fails: a build makes thousands of pieces
            raise InvalidValueError("end", f"{self.end} is before start {self.start}")

    @property
    def duration_s(self) -> int:
        return int((self.end - self.start).total_seconds())


@dataclass(frozen=True)
class ProposedTask:
    """A task a driver might take: consecutive pieces, in order.

    ``distance_m`` and ``commuter`` describe the passenger trip, for the 02:00–05:00 exemptions (as in
    :class:`~fleetplan.rules.values.ProposedDrive`).
    """

    pieces: tuple[DutyPiece, ...]
    distance_m: float | None = None
    commuter: bool = False

    def __post_init__(self) -> None:
        require(bool(self.pieces), "pieces", "a task needs at least one piece")
        gaps = [(a.end, b.start) for a, b in zip(self.pieces, self.pieces[1:]) if a.end != b.start]
        require(not gaps, "pieces", f"pieces must follow each other without gap or overlap: {gaps}")

    @property
    def start(self) -> datetime:
        return self.pieces[0].start

    @property
    def end(self) -> datetime:
        return self.pieces[-1].end

    @property
    def driving_s(self) -> int:
        return sum(p.duration_s for p in self.pieces if p.activity == Activity.DRIVE)

    def log(self, driver_id: str) -> tuple[DutyInterval, ...]:
        """The task as duty-log intervals of ``driver_id`` (pieces of no length leave no entry)."""
        return tuple(
            DutyInterval(driver_id, piece.start, piece.end, piece.activity) for piece in self.pieces if piece.duration_s
        )


def rescue_task(
    depart_at: datetime,
    scene_arrival: datetime,
    boarding_at: datetime,
    transfer_s: int,
    rest_s: int,
    arrival: datetime,
    *,
    rest_on_way: tuple[datetime, int] | None = None,
    distance_m: float | None = None,
    commuter: bool = False,
) -> ProposedTask:
    """A rescue as its pieces: the drive to the scene, duty at the scene from the arrival until the
    passengers have changed coach (waiting for boarding, then ``transfer_s``), a rest of ``rest_s``
    (0: none), and the onward drive, which ends at ``arrival``. ``rest_on_way`` (when the rest place is
    reached, how long the rest lasts) splits the onward drive in two around a rest."""
    scene_done = boarding_at + timedelta(seconds=transfer_s)
    leave = scene_done + timedelta(seconds=rest_s)
    onward = [DutyPiece(Activity.DRIVE, leave, arrival)]
    if rest_on_way is not None:
        reached, rest_on_way_s = rest_on_way
        rested = reached + timedelta(seconds=rest_on_way_s)
        onward = [
            DutyPiece(Activity.DRIVE, leave, reached),
            DutyPiece(Activity.REST, reached, rested),
            DutyPiece(Activity.DRIVE, rested, arrival),
        ]
    return ProposedTask(
        (
            DutyPiece(Activity.DRIVE, depart_at, scene_arrival),
            DutyPiece(Activity.OTHER, scene_arrival, scene_done),
            DutyPiece(Activity.REST, scene_done, leave),
            *onward,
        ),
        distance_m,
        commuter,
    )


def route_task(
    depart_at: datetime,
    calls: Sequence[tuple[datetime, datetime, datetime]],
    *,
    distance_m: float | None = None,
    commuter: bool = False,
) -> ProposedTask:
    """A rescue route as its pieces (issue #18 §1): for each call ``(arrival, busy_until, leave)``, in
    order, the drive to it, duty there until ``busy_until`` (passengers board and change coach, or get
    off) and a rest until the coach leaves (none when equal). The last call is usually the final stop,
    where all three are the arrival."""
    pieces: list[DutyPiece] = []
    moment = depart_at
    for arrival, busy_until, leave in calls:
        pieces += [
            DutyPiece(Activity.DRIVE, moment, arrival),
            DutyPiece(Activity.OTHER, arrival, busy_until),
            DutyPiece(Activity.REST, busy_until, leave),
        ]
        moment = leave
    return ProposedTask(tuple(pieces), distance_m, commuter)


def cover_task(
    start: datetime,
    driving_s: int,
    added_s: int,
    policy: DrivingPolicy,
    *,
    distance_m: float | None = None,
) -> ProposedTask:
    """A trip cover as its pieces (world model §8): the empty run and the trip, ``driving_s`` as
    timetabled, one drive from ``start``. In snow or ice the trip runs ``added_s`` longer, and a drive
    that long is broken by a rest of ``min_rest`` after each ``day_continuous_max`` of driving: the
    rests it needs at the least, where a coach can take them on the expressway's service areas."""
    total_s = driving_s + max(0, added_s)
    if added_s <= 0:
        return ProposedTask((DutyPiece(Activity.DRIVE, start, start + timedelta(seconds=total_s)),), distance_m)
    pieces: list[DutyPiece] = []
    moment, left_s = start, total_s
    while left_s > 0:
        drive_s = min(left_s, policy.day_continuous_max_s)
        pieces.append(DutyPiece(Activity.DRIVE, moment, moment + timedelta(seconds=drive_s)))
        moment, left_s = moment + timedelta(seconds=drive_s), left_s - drive_s
        if left_s > 0:
            pieces.append(DutyPiece(Activity.REST, moment, moment + timedelta(seconds=policy.min_rest_s)))
            moment += timedelta(seconds=policy.min_rest_s)
    return ProposedTask(tuple(pieces), distance_m)


def task_findings(
    driver: Driver, duty_log: Iterable[DutyInterval], task: ProposedTask, vehicle: Vehicle, policy: DrivingPolicy
) -> list[Finding]:
    """Every rule the task breaks, as numbers: the personal rules on its first and last day, each drive
    against the log and the task's earlier pieces, and every other piece against the log (it may not
    overlap logged duty either). The same finding is reported once."""
    log = normalised_log(duty_log, driver.id)
    found: list[Finding] = list(
        personal_for_drive(driver, vehicle, to_stamp(task.start), to_stamp(task.end), policy, None)
    )
    earlier: list[DutyInterval] = []
    logged: Timeline | None = None  # the log alone, built once for every piece that is no drive
    for piece in task.pieces:
        if not piece.duration_s:
            continue
        if piece.activity == Activity.DRIVE:
            drive = ProposedDrive(piece.start, piece.duration_s, task.distance_m, task.commuter)
            found += prepare_check(driver, [*log, *earlier], drive, policy).findings(to_stamp(piece.start))
        else:
            logged = logged or timeline_of(log, driver.id, policy)
            found += _overlaps(logged, piece)
        earlier.append(DutyInterval(driver.id, piece.start, piece.end, piece.activity))
    return list(dict.fromkeys(found))


def _overlaps(timeline: Timeline, piece: DutyPiece) -> list[Finding]:
    start, end = to_stamp(piece.start), to_stamp(piece.end)
    hits = timeline.overlapping(start, end)
    if not hits:
        return []
    logged = tuple((timeline.log[k].activity, timeline.starts[k], timeline.ends[k]) for k in hits)
    return [DoubleBookingFinding(start, end, logged, what=str(piece.activity))]
