"""The contract of the operator's records: what the HTTP layer may ask of the store.

Records are append-only: an incident's life is a sequence of entries (report, options, accept, on
scene, resolved, follow-up call, void); nothing is deleted or edited in place, a mistake is corrected
by a voiding entry. Every incident has a sequential ``number`` with no gaps, never reused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol


class Role(StrEnum):
    VIEWER = "viewer"
    DISPATCHER = "dispatcher"
    PLANNER = "planner"
    ADMIN = "admin"
    FEED = "feed"  # a positioning feed: may post positions, nothing else


class IncidentStatus(StrEnum):
    REPORTED = "reported"  # recorded, options being computed
    OPTIONS = "options"  # ranked plan options stored
    ACCEPTED = "accepted"  # a plan accepted, its coaches and drivers booked
    ON_SCENE = "on_scene"
    RESOLVED = "resolved"
    FOLLOWED_UP = "followed_up"  # the follow-up call (回访) is done
    VOIDED = "voided"


class EntryKind(StrEnum):
    REPORT = "report"
    OPTIONS = "options"
    ACCEPT = "accept"
    ON_SCENE = "on_scene"
    RESOLVED = "resolved"
    FOLLOW_UP = "follow_up"
    VOID = "void"


# Allowed lifecycle: the entry kinds that may follow each status.
NEXT_ENTRIES: dict[IncidentStatus, frozenset[EntryKind]] = {
    IncidentStatus.REPORTED: frozenset({EntryKind.OPTIONS, EntryKind.VOID}),
    # RESOLVED before anyone is on scene: a coach that failed with nobody aboard (the desk checks that)
    IncidentStatus.OPTIONS: frozenset({EntryKind.OPTIONS, EntryKind.ACCEPT, EntryKind.RESOLVED, EntryKind.VOID}),
    # REPORT after ACCEPTED is a release (issue 18 §3): the plan un-accepted before anyone is on scene,
    # its bookings freed, the incident back to "reported" until its new options (SqlRecordStore.release)
    IncidentStatus.ACCEPTED: frozenset({EntryKind.ON_SCENE, EntryKind.RESOLVED, EntryKind.VOID, EntryKind.REPORT}),
    IncidentStatus.ON_SCENE: frozenset({EntryKind.RESOLVED, EntryKind.VOID}),
    IncidentStatus.RESOLVED: frozenset({EntryKind.FOLLOW_UP, EntryKind.VOID}),
    IncidentStatus.FOLLOWED_UP: frozenset({EntryKind.VOID}),
    IncidentStatus.VOIDED: frozenset(),
}


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: Role


@dataclass(frozen=True)
class Entry:
    """One append-only entry of an incident's record."""

    id: int
    incident_number: int
    kind: EntryKind
    at: datetime  # when it was recorded (wall clock, naive China-local)
    actor: str  # user name
    payload: dict[str, Any]  # kind-specific: the report, the decision record, the accepted rank, a note


@dataclass(frozen=True)
class Booking:
    """A coach or driver committed to an incident until released (resolve or void)."""

    incident_number: int
    vehicle_id: str | None
    driver_id: str | None

    @property
    def resources(self) -> tuple[str, ...]:
        """The coach and the driver it holds (a booking holds one of them)."""
        return tuple(resource for resource in (self.vehicle_id, self.driver_id) if resource)


@dataclass(frozen=True)
class IncidentRecord:
    number: int  # sequential, no gaps, never reused
    idempotency_key: str | None
    reported_at: datetime  # the incident's time as reported (when it happened)
    report: dict[str, Any]  # vehicle_id, location, passengers, kind, conditions, trip_id, …
    status: IncidentStatus
    entries: tuple[Entry, ...] = field(default=())

    def latest(self, kind: EntryKind) -> Entry | None:
        return next((e for e in reversed(self.entries) if e.kind == kind), None)

    def accept_in_force(self) -> Entry | None:
        """The latest accept, unless a release followed it (its plan no longer stands: the incident
        was planned again)."""
        last = self._last_accept_or_release()
        return last if last is not None and last.kind == EntryKind.ACCEPT else None

    def release_in_force(self) -> Entry | None:
        """The release of the latest accept, if one followed it and no accept since."""
        last = self._last_accept_or_release()
        return last if last is not None and is_release(last) else None

    def _last_accept_or_release(self) -> Entry | None:
        """The latest entry that is an accept or a release (None: neither was recorded)."""
        return next((e for e in reversed(self.entries) if e.kind == EntryKind.ACCEPT or is_release(e)), None)


def is_release(entry: Entry) -> bool:
    """A release is recorded as a report entry carrying ``release`` (the status goes back to reported)."""
    return entry.kind == EntryKind.REPORT and "release" in entry.payload


@dataclass(frozen=True)
class IncidentHead:
    """An incident without its entries: enough to know who is open, where and since when (a desk asks
    on every report; the entries hold every plan computed and are far larger)."""

    number: int
    reported_at: datetime
    report: dict[str, Any]
    status: IncidentStatus


@dataclass(frozen=True)
class IncidentQuery:
    """The filters of a history search (:mod:`api.records.filters` makes them SQL); ``None`` (or empty
    text) leaves a filter out.

    Attributes
    ----------
    statuses
        Only incidents whose latest entry leads to one of these statuses.
    reported_from, reported_to
        First and last day (inclusive) of the reported time, China local.
    vehicle_ids
        Only incidents of these coaches (ids as recorded).
    tiers, kinds
        Only these response-time tiers and incident kinds, as recorded with the report.
    text
        Case-insensitive substring of the coach id, the location as reported or as located, who
        recorded it, or a note of its entries; all digits (an optional ``#`` first) also match the number.
    text_vehicle_ids
        Coaches the text names otherwise (by plate, which the records do not hold): their incidents match too.
    before_number
        Only incidents numbered below this (a cursor: the last number of the previous page).
    """

    statuses: frozenset[IncidentStatus] | None = None
    reported_from: date | None = None
    reported_to: date | None = None
    vehicle_ids: frozenset[str] | None = None
    tiers: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    text: str | None = None
    text_vehicle_ids: frozenset[str] = frozenset()
    before_number: int | None = None


class RecordError(Exception):
    """Base of the store's errors; messages are written for the user."""


class NotFound(RecordError):
    pass


class InvalidTransition(RecordError):
    """The entry is not allowed in the incident's current status."""


class Superseded(InvalidTransition):
    """An entry meant to follow a given entry came after another: the record moved on meanwhile."""


class IdempotencyMismatch(RecordError):
    """The idempotency key is known, but it came with another request or from another user; ``number``
    is the incident recorded under it."""

    def __init__(self, message: str, number: int | None = None) -> None:
        super().__init__(message)
        self.number = number


class AlreadyReported(RecordError):
    """The coach is in an open incident reported close in time (within the joint window): the same
    breakdown reported twice, whose passengers a second incident would plan for again."""

    def __init__(self, vehicle_id: str, number: int, reported_at: datetime) -> None:
        self.vehicle_id, self.number = vehicle_id, number
        super().__init__(
            f"{vehicle_id} is already in open incident {number}, reported {reported_at:%Y-%m-%d %H:%M}: "
            "work on that one (or void it if it was reported in error, resolve it if the coach runs again)"
        )


class BookingConflict(RecordError):
    """Another accepted incident already holds some of these coaches or drivers."""

    def __init__(self, vehicle_ids: list[str], driver_ids: list[str]) -> None:
        self.vehicle_ids, self.driver_ids = vehicle_ids, driver_ids
        held = ", ".join(vehicle_ids + driver_ids)
        super().__init__(f"already booked by another incident: {held}")


class ResourceUnusable(BookingConflict):
    """Some of the plan's coaches or drivers can no longer be sent (workshop, broken down, no longer a
    legal crew); a booking conflict like any other, so it is answered the same way (409, fresh options).

    ``reasons`` maps each such coach or driver id to why, in the words of the dispatch path.
    """

    def __init__(self, reasons: dict[str, str], vehicle_ids: list[str], driver_ids: list[str]) -> None:
        self.reasons = dict(reasons)
        self.vehicle_ids, self.driver_ids = vehicle_ids, driver_ids
        RecordError.__init__(self, "no longer usable: " + "; ".join(self.reasons.values()))


@dataclass(frozen=True)
class JointAccept:
    """One incident's part of a joint accept: its ACCEPT payload, what it books, its ready messages."""

    number: int
    payload: dict[str, Any]
    vehicle_ids: list[str]
    driver_ids: list[str]
    messages: Sequence[dict[str, Any]] = ()


class RecordStore(Protocol):
    """What the service needs from persistence (SQLite by default, PostgreSQL by URL)."""

    def report(
        self,
        report: dict[str, Any],
        reported_at: datetime,
        actor: str,
        idempotency_key: str | None,
        request: dict[str, Any] | None = None,
        same_breakdown_within: timedelta | None = None,
    ) -> tuple[IncidentRecord, bool]:
        """Record a new incident (next number) or, for a known key sent with the same request by the
        same user, return the existing one (else IdempotencyMismatch). With ``same_breakdown_within``,
        AlreadyReported when the coach is in an open incident reported that close in time.
        The bool is True when the incident was created by this call."""

    def append(
        self, number: int, kind: EntryKind, actor: str, payload: dict[str, Any], after: int | None = None
    ) -> IncidentRecord:
        """Append a lifecycle entry (not ACCEPT); raises InvalidTransition or NotFound. VOID releases bookings;
        RESOLVED releases bookings. With ``after``, only while entry ``after`` is still the incident's latest
        (else Superseded)."""

    def append_entry(
        self, number: int, kind: EntryKind, actor: str, payload: dict[str, Any], after: int | None = None
    ) -> int:
        """As :meth:`append`, the new entry's id instead of the record (nothing read back)."""

    def accept(
        self,
        number: int,
        actor: str,
        payload: dict[str, Any],
        vehicle_ids: list[str],
        driver_ids: list[str],
        messages: Sequence[dict[str, Any]] = (),
    ) -> IncidentRecord:
        """Append the ACCEPT entry and book the coaches and drivers atomically: all or none; raises
        BookingConflict if any is held by another incident, ResourceUnusable if a coach is in the
        workshop or broke down in another open incident (checked in the same transaction). The
        plan's ready ``messages`` are queued in the outbox in that transaction too."""

    def accept_jointly(self, accepts: Sequence[JointAccept], actor: str) -> list[IncidentRecord]:
        """Accept one joint plan for several incidents in one transaction, all or none (as :meth:`accept`
        for each; a coach or driver the plan shares is listed under one incident only)."""

    def release(self, numbers: Sequence[int], actor: str, payload: dict[str, Any]) -> list[IncidentRecord]:
        """Un-accept accepted incidents (none on scene yet) in one transaction: a REPORT entry with
        ``payload`` each, their bookings released; raises InvalidTransition for any other status."""

    def incident(self, number: int) -> IncidentRecord: ...

    def incidents(
        self,
        statuses: set[IncidentStatus] | None = None,
        limit: int = 200,
        *,
        query: IncidentQuery | None = None,
        offset: int = 0,
    ) -> list[IncidentRecord]:
        """Newest first, filtered in the database by ``statuses`` and ``query``, ``offset`` newest skipped."""

    def incident_heads(self, statuses: set[IncidentStatus], limit: int = 200) -> list[IncidentHead]:
        """The incidents in ``statuses`` without their entries, newest first."""

    def count_incidents(self, query: IncidentQuery | None = None) -> int:
        """How many incidents ``query`` finds."""

    def bookings(self) -> list[Booking]:
        """Active bookings."""

    def add_user(self, name: str, role: Role) -> str:
        """Create a user and return its new bearer token (stored hashed only)."""

    def user_for_token(self, token: str) -> User | None: ...

    def has_users(self) -> bool: ...

    def integrity_problems(self) -> list[str]:
        """Database integrity check plus record invariants (numbers without gaps, entries consistent)."""

    def close(self) -> None: ...
