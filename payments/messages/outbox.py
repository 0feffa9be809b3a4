"""Writing messages to members into the outbox, in the caller's transaction.

A message is written with the event it tells of (a receipt with the caller's request for it, a
written copy with the enrolment, a notice with the return), so the two commit or roll back
together. Each has an event key: one message per event and channel, whatever retries or
concurrent runs do (a unique constraint). A worker sends SMS (payments.messages.sending);
letters wait in the print queue for `ivr letters export` (payments.messages.letters).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from payments.storage.conflicts import insert_new
from payments.storage.tables import OUTBOX, SMS_OPT_OUTS

SMS, LETTER = "sms", "letter"
QUEUED, SENDING, SENT, FAILED, UNKNOWN, SUPPRESSED, EXPORTED, HELD = (
    "queued",  # waiting for the worker (SMS) or the print export (letters)
    "sending",  # claimed by a worker: never sent twice, even if that worker dies
    "sent",  # Twilio accepted it
    "failed",  # Twilio refused it; not sent
    "unknown",  # the request went out but no answer came back: not sent again (at most once)
    "suppressed",  # the number opted out (STOP)
    "exported",  # a letter handed to the print vendor
    "held",  # a letter with no mailing address on file
)

_OPTED_OUT = select(SMS_OPT_OUTS.c.opted_out).where(SMS_OPT_OUTS.c.e164 == bindparam("e164"))


def opted_out(conn: Connection, e164: str) -> bool:
    return bool(conn.scalar(_OPTED_OUT, {"e164": e164}))


def queue(
    conn: Connection,
    *,
    event_key: str,
    kind: str,
    channel: str,
    subscriber_id: str,
    language: str,
    body: str,
    now: datetime,
    to_number: str | None = None,
    authorization_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> bool:
    """Write one message; False when this event already has one on this channel."""
    row = {
        "event_key": event_key,
        "kind": kind,
        "channel": channel,
        "subscriber_id": subscriber_id,
        "to_number": to_number,
        "language": language,
        "body": body,
        "status": QUEUED,
        "authorization_id": authorization_id,
        "details": details or {},
        "created_at": now,
    }
    return bool(insert_new(conn, OUTBOX, [row], OUTBOX.c.id))


def queue_sms_or_letter(conn: Connection, to_number: str | None, **message: Any) -> str:
    """An SMS to `to_number` unless there is none or it opted out; else a letter. The channel."""
    if to_number and not opted_out(conn, to_number):
        queue(conn, channel=SMS, to_number=to_number, **message)
        return SMS
    queue(conn, channel=LETTER, **message)
    return LETTER
