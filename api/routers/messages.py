"""The ready messages of an incident's accepted plan (issue 17): the outbox, one message per
recipient and language, queued when the plan is accepted and sent by the service's gateway.

Reading needs the viewer role; acknowledging and resending the dispatcher's. An unknown incident or
message is 404 naming ``number`` or ``message_id``; a step the message's status does not allow is
409: only a *sent* message is acknowledged (once: a queued or failed one was never delivered), only
a *failed* one is sent again.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Path, status

from api import auth
from api.desk import run_blocking
from api.messaging.outbox import Outbox, OutboxMessage, UnknownMessage
from api.messaging.schemas import MessageOut
from api.records.types import RecordStore, User
from api.routers.deps import get_outbox, get_store
from api.routers.incidents import Number
from api.schemas import error_responses

router = APIRouter(prefix="/incidents", tags=["messages"], responses=error_responses(401, 403))

MessageId = Path(ge=1, le=2**31 - 1, description="the message's id (from the incident's messages)")


@router.get(
    "/{number}/messages",
    response_model=list[MessageOut],
    summary="The ready messages of the accepted plan, and stand-downs after a release or void (outbox)",
    responses=error_responses(404),
)
def messages(
    number: int = Number,
    outbox: Outbox = Depends(get_outbox),
    store: RecordStore = Depends(get_store),
    _user: User = Depends(auth.viewer),
) -> list[dict]:
    """Oldest first: each rescue crew's driver, crews running later trips, the failed coach's driver, the
    passengers (one SMS text), the campus transport office, the duty manager, and the highway police
    when the plan needs an escorted entry — each in zh and en. Empty until a plan is accepted."""
    store.incident(number)  # 404 for an unknown incident
    return [message.view() for message in outbox.for_incident(number)]


@router.post(
    "/{number}/messages/{message_id}/ack",
    response_model=MessageOut,
    summary="The recipient confirmed a sent message",
    responses=error_responses(404, 409),
)
async def acknowledge(
    number: int = Number,
    message_id: int = MessageId,
    outbox: Outbox = Depends(get_outbox),
    store: RecordStore = Depends(get_store),
    user: User = Depends(auth.dispatcher),
) -> dict:
    """409 unless the message is sent: a queued or failed one never reached its recipient, and an
    acknowledged one stays acknowledged by whoever recorded it first."""
    return (await _step(store, number, message_id, lambda: outbox.acknowledge(number, message_id, user.name))).view()


@router.post(
    "/{number}/messages/{message_id}/resend",
    response_model=MessageOut,
    status_code=status.HTTP_200_OK,
    summary="Queue a failed message again",
    responses=error_responses(404, 409),
)
async def resend(
    number: int = Number,
    message_id: int = MessageId,
    outbox: Outbox = Depends(get_outbox),
    store: RecordStore = Depends(get_store),
    _user: User = Depends(auth.dispatcher),
) -> dict:
    """409 unless the message failed (all its attempts); it is queued for a new round of attempts."""
    return (await _step(store, number, message_id, lambda: outbox.resend(number, message_id))).view()


async def _step(store: RecordStore, number: int, message_id: int, step) -> OutboxMessage:
    await run_blocking(store.incident, number)  # 404 naming the number for an unknown incident
    try:
        return await run_blocking(step)
    except UnknownMessage as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"message_id: {error}") from None
