"""What the messages are made from (an accepted dispatch, as plain facts) and what they are.

The facts are what an accepted plan says, with clock times resolved to dates: the interfaces keep
plans as the desk showed them (``api.views.plan_view``) and turn them into these once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fleetplan.contacts import ContactRole
from fleetplan.errors import require, require_id, require_phone
from fleetplan.model import IncidentKind

LANGS = ("zh", "en")


class RecipientRole(StrEnum):
    RESCUE_DRIVER = "rescue_driver"  # drives a coach of the plan to the scene
    COVER_DRIVER = "cover_driver"  # runs a later trip the failure left without its coach or driver
    FAILED_DRIVER = "failed_driver"  # the driver of the failed coach, with the passengers
    PASSENGERS = "passengers"  # the failed trip's passengers: one SMS text for the operator's SMS platform
    UNIVERSITY = ContactRole.UNIVERSITY_TRANSPORT_OFFICE.value
    DUTY_MANAGER = ContactRole.DUTY_MANAGER.value
    HIGHWAY_POLICE = ContactRole.HIGHWAY_POLICE.value


@dataclass(frozen=True)
class Message:
    """One ready text for one recipient in one language.

    ``phone`` is None when the data hold no number: a driver without one, or the passengers, whose
    numbers stay with the booking system (``recipient_id`` ``trip:<id>`` tells the SMS platform whom).
    """

    recipient_role: RecipientRole
    recipient_id: str
    recipient_name: str
    phone: str | None
    lang: str
    text: str

    def __post_init__(self) -> None:
        require_id(self.recipient_id, "recipient_id")
        require(self.lang in LANGS, "lang", f"{self.lang!r} is not one of {', '.join(LANGS)}")
        require(bool(self.text.strip()), "text", "must not be empty")
        if self.phone is not None:
            require_phone(self.phone, "phone")


@dataclass(frozen=True)
class RestStop:
    """A rest the plan gives a rescue driver on the way to the delivery stop."""

    node_id: str
    at: datetime
    rest_min: int


@dataclass(frozen=True)
class RescueOrder:
    """One coach of the accepted plan sent to the stranded passengers."""

    vehicle_id: str
    driver_id: str
    origin: str  # network node it leaves from
    depart_at: datetime
    scene_arrival: datetime
    passengers: int
    destination: str  # network node it sets them down at
    destination_arrival: datetime
    late_min: int = 0  # started minutes after the deadline
    rest_at_scene_min: int = 0
    rest_on_way: RestStop | None = None
    passing: bool = False  # a coach on a trip of its own whose route passes the scene
    # On a route through several scenes (issue #18 §1): the scenes it collects other groups at first,
    # in order, each by its name in (en, zh). Empty when the coach comes straight to this scene.
    calls_before: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        require(self.passengers >= 0, "passengers", "must not be negative")
        require(self.scene_arrival >= self.depart_at, "scene_arrival", "is before departure")


@dataclass(frozen=True)
class CoverOrder:
    """A later trip run by another crew (``departure_shift_min`` later than timetabled)."""

    trip_id: str
    vehicle_id: str
    driver_id: str
    departure_shift_min: int = 0


@dataclass(frozen=True)
class AcceptedDispatch:
    """An accepted plan with the incident it answers: everything the messages say.

    ``scene`` is the location as the network reads it (``G1 K78 toward Changchun``, a node id or
    ``lat,lon``); ``destination`` the stop the stranded group is taken to; ``escorted_entry`` whether
    the plan needs the police to escort a coach in through a closure (``closed_entrances`` then says
    which entrances are shut, ``"*"`` for all).
    """

    incident_number: int
    kind: IncidentKind
    failed_vehicle_id: str
    trip_id: str | None
    scene: str
    reported_at: datetime
    passengers: int
    destination: str
    deadline: datetime | None
    rescues: tuple[RescueOrder, ...]
    covers: tuple[CoverOrder, ...] = ()
    uncovered_trip_ids: tuple[str, ...] = ()
    escorted_entry: bool = False
    closed_entrances: tuple[str, ...] = ()
    accepted_by: str = ""
    accepted_at: datetime | None = None

    def __post_init__(self) -> None:
        require(self.incident_number >= 1, "incident_number", "must be 1 or more")
        # the desk accepts no plan that sends nobody (api.desk.live.sends_nobody)
        require(bool(self.rescues), "rescues", "an accepted plan sends at least one coach")
        require(self.passengers >= 0, "passengers", "must not be negative")
