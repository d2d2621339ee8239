"""The stand-down message: the plan a recipient was sent no longer holds (it was released, or its
incident voided), so whoever was told to act must not, and waits for a new instruction."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from fleetplan.messages.notices import SMS_MAX_CHARS, clip
from fleetplan.messages.words import pick

REASON_ROOM = 80  # characters of the dispatcher's reason quoted in the message


class Withdrawal(StrEnum):
    RELEASED = "released"  # the dispatcher un-accepted the plan before anyone was on scene
    VOIDED = "voided"  # the incident was voided (a false report, a duplicate)


def stand_down_text(
    lang: str, incident_number: int, withdrawal: Withdrawal, reason: str, sent_at: datetime, passengers: bool = False
) -> str:
    """The stand-down text in ``lang`` for the instruction sent at ``sent_at`` of ``incident_number``;
    for the ``passengers`` an SMS that says the announced coach is not coming and they wait somewhere
    safe (they were told, not instructed), within the SMS length."""
    said = " ".join(reason.split())
    if passengers:
        return _passenger_text(lang, incident_number, withdrawal, said, sent_at)
    quoted = clip(said, REASON_ROOM)
    why = {
        Withdrawal.RELEASED: pick(
            lang, f"调度员已撤回该方案（{quoted}）", f"the dispatcher released the plan ({quoted})"
        ),
        Withdrawal.VOIDED: pick(lang, f"该事件已作废（{quoted}）", f"the incident was voided ({quoted})"),
    }[withdrawal]
    return pick(
        lang,
        f"【取消】事件 {incident_number}：{sent_at:%H:%M} 发给您的调度指令已取消：{why}。"
        "请勿执行；如需行动，调度员将另行通知。",
        f"CANCELLED, incident {incident_number}: the instruction sent to you at {sent_at:%H:%M} no longer "
        f"holds: {why}. Do not act on it; the dispatcher will tell you if you are needed.",
    )


def _passenger_text(lang: str, incident_number: int, withdrawal: Withdrawal, reason: str, sent_at: datetime) -> str:
    """The passengers' stand-down, the dispatcher's reason cut to what the SMS leaves room for."""
    if withdrawal == Withdrawal.VOIDED:  # a false or duplicate report: nothing more will come of it
        text = pick(
            lang,
            f"【取消】事件 {incident_number}：{sent_at:%H:%M} 通知的救援安排已取消（{{why}}）。",
            f"CANCELLED, incident {incident_number}: the rescue we told you of at {sent_at:%H:%M} is cancelled ({{why}}).",
        )
    else:
        text = pick(
            lang,
            f"【变更】事件 {incident_number}：{sent_at:%H:%M} 通知的救援车辆有变（{{why}}）。请在安全处等候，新安排将另行通知。",
            f"CHANGED, incident {incident_number}: the coach we told you of at {sent_at:%H:%M} is not coming "
            "({why}). Wait somewhere safe; we will tell you the new one.",
        )
    room = SMS_MAX_CHARS[lang] - len(text.replace("{why}", ""))
    return text.replace("{why}", clip(reason, max(room, 0)))
