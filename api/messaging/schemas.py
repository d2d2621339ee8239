"""The HTTP contract of the outbox's messages (``/incidents/{number}/messages``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

RecipientRoleOut = Literal[
    "rescue_driver",
    "cover_driver",
    "failed_driver",
    "passengers",
    "university_transport_office",
    "duty_manager",
    "highway_police",
]


class MessageOut(BaseModel):
    """One ready message of an accepted plan, for one recipient in one language."""

    id: int
    recipient_role: RecipientRoleOut
    recipient_id: str = Field(
        description="the driver or contact id; for the passengers 'trip:<trip id>' (or 'vehicle:<coach id>' off a "
        "trip): their numbers stay with the operator's SMS platform"
    )
    recipient_name: str
    phone: str | None = Field(description="the number the data hold; none for the passengers or a driver without one")
    lang: Literal["zh", "en"]
    text: str
    status: Literal["queued", "sent", "failed", "acknowledged", "withdrawn"] = Field(
        description="queued (also between attempts), sent (the gateway took it), failed (after the last attempt: "
        "resend queues it again), acknowledged (a dispatcher recorded the recipient's confirmation), withdrawn "
        "(its plan was released or its incident voided before it went out: never sent)"
    )
    attempts: int = Field(description="sends tried, every round included")
    error: str | None = Field(description="why the latest attempt failed")
    queued_at: str
    sent_at: str | None
    acknowledged_at: str | None
    acknowledged_by: str | None
