"""Whom the desk tells besides its drivers: the university's transport offices, the operator's duty
manager and the highway police (``contacts.csv``, optional: a dataset without it has none).

A university transport office serves one campus, named by the network node of its stop
(``node_id``); the duty manager and the police serve the whole corridor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from fleetplan.errors import require, require_id, require_phone


class ContactRole(StrEnum):
    UNIVERSITY_TRANSPORT_OFFICE = "university_transport_office"  # one per campus (学校交通服务办公室)
    DUTY_MANAGER = "duty_manager"  # the operator's 24-hour duty manager (值班经理)
    HIGHWAY_POLICE = "highway_police"  # 高速交警, 12122: called for an escorted entry through a closure


@dataclass(frozen=True)
class Contact:
    """Someone the desk sends messages to; ``node_id`` is the campus stop an office serves."""

    id: str
    role: ContactRole
    name: str
    name_zh: str
    phone: str
    node_id: str | None = None

    def __post_init__(self) -> None:
        require_id(self.id, "id")
        require(isinstance(self.role, ContactRole), "role", f"{self.role!r} is not one of {', '.join(ContactRole)}")
        require(bool(self.name.strip()), "name", "must not be empty")
        require_phone(self.phone, "phone")
        if self.role is ContactRole.UNIVERSITY_TRANSPORT_OFFICE:
            require(bool(self.node_id), "node_id", "a university transport office names the campus stop it serves")
        if self.node_id is not None:
            require_id(self.node_id, "node_id")


def with_role(contacts: Iterable[Contact], role: ContactRole) -> tuple[Contact, ...]:
    """The contacts of ``role``, in the order of the file."""
    return tuple(contact for contact in contacts if contact.role is role)
