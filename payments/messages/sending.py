"""Sending the outbox's SMS, at most once each: a job of the job engine (`ivr worker`).

A batch of queued messages is claimed ("sending") and committed before any is sent, so two
workers never send the same message, and a worker that dies mid-batch leaves its messages
"sending": never sent twice, listed for an operator. Each answer is recorded in its own
transaction: sent; refused (Twilio said no: not sent); or unknown (the request went out and no
answer came back: it may have been delivered, so it is not sent again). A message that surely
never left (the connection was refused) goes back to the queue.

A written copy of an AutoPay authorization counts once Twilio has taken the SMS. When it cannot
go by SMS (refused, unknown, opted out), a letter is queued instead: no written copy, no debit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection, bindparam, select, update

from payments.domain.clock import Clock, system_clock
from payments.messages import outbox
from payments.storage.conflicts import insert_new
from payments.storage.enrolments import record_written_copy
from payments.storage.tables import OUTBOX, SMS_OPT_OUTS
from payments.storage.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)

BATCH = 50
OPTED_OUT_CODES = frozenset({21610})  # Twilio: the recipient has replied STOP


class SmsRefused(Exception):
    """The provider answered no: the message was not sent (`code`: the provider's error code)."""

    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(message)
        self.code = code


class SmsNotSent(Exception):
    """The request never reached the provider (connection refused): safe to send again."""


class SmsUncertain(Exception):
    """The request went out but no answer came back: it may have been sent."""


class SmsSender(Protocol):
    def send(self, to: str, body: str) -> str:
        """Send one SMS; the provider's id for it. Raises SmsRefused, SmsNotSent, SmsUncertain."""
        ...


@dataclass
class SendReport:
    sent: int = 0
    refused: int = 0
    unknown: int = 0
    suppressed: int = 0
    retry: int = 0  # back in the queue


_QUEUED = (
    select(OUTBOX.c.id)
    .where(OUTBOX.c.status == outbox.QUEUED, OUTBOX.c.channel == outbox.SMS)
    .order_by(OUTBOX.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_CLAIM = (
    update(OUTBOX)
    .where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)), OUTBOX.c.status == outbox.QUEUED)
    .values(status=outbox.SENDING, claimed_at=bindparam("now"))
    .returning(OUTBOX.c.id, OUTBOX.c.to_number, OUTBOX.c.body)
)
_SET = update(OUTBOX).where(OUTBOX.c.id == bindparam("message_id"))
_MESSAGE = select(OUTBOX).where(OUTBOX.c.id == bindparam("message_id"))


def send_queued(
    uow_factory: UnitOfWorkFactory, sender: SmsSender, clock: Clock = system_clock
) -> SendReport:
    """Send every queued SMS, a batch at a time. When the provider cannot be reached, the
    sweep stops: what is left waits for the next one (the worker's, every minute)."""
    report = SendReport()
    while batch := _claim(uow_factory, clock()):
        for number, (message_id, to_number, body) in enumerate(batch):
            _send_one(uow_factory, sender, clock, message_id, to_number, body, report)
            if report.retry:
                _unclaim(uow_factory, [message_id for message_id, _, _ in batch[number + 1 :]])
                return report
    return report


def _unclaim(uow_factory: UnitOfWorkFactory, ids: list[int]) -> None:
    if ids:
        with uow_factory() as uow:
            uow.connection.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_(ids), OUTBOX.c.status == outbox.SENDING)
                .values(status=outbox.QUEUED, claimed_at=None)
            )
            uow.commit()


def _claim(uow_factory: UnitOfWorkFactory, now: datetime) -> list[tuple[int, str, str]]:
    with uow_factory() as uow:
        conn = uow.connection
        ids = list(conn.scalars(_QUEUED, {"limit": BATCH}))
        claimed = conn.execute(_CLAIM, {"ids": ids, "now": now}).all() if ids else []
        uow.commit()
    return [(row.id, row.to_number, row.body) for row in claimed]


def _send_one(
    uow_factory: UnitOfWorkFactory,
    sender: SmsSender,
    clock: Clock,
    message_id: int,
    to_number: str,
    body: str,
    report: SendReport,
) -> None:
    if _opted_out(uow_factory, to_number):
        _finish(uow_factory, clock(), message_id, outbox.SUPPRESSED, "the number opted out")
        report.suppressed += 1
        return
    try:
        sid = sender.send(to_number, body)
    except SmsNotSent:
        _set(uow_factory, message_id, status=outbox.QUEUED, claimed_at=None)
        report.retry += 1
        return
    except SmsRefused as refused:
        _refused(uow_factory, clock(), message_id, to_number, refused)
        report.refused += 1
        return
    except SmsUncertain as lost:
        log.warning("message %s: no answer from the provider; not sent again", message_id)
        _finish(uow_factory, clock(), message_id, outbox.UNKNOWN, str(lost)[:200])
        report.unknown += 1
        return
    _finish(uow_factory, clock(), message_id, outbox.SENT, None, provider_sid=sid)
    report.sent += 1


def _refused(
    uow_factory: UnitOfWorkFactory, now: datetime, message_id: int, to: str, error: SmsRefused
) -> None:
    log.warning("message %s refused by the provider (code %s)", message_id, error.code)
    _finish(uow_factory, now, message_id, outbox.FAILED, f"refused: {error.code}")
    if error.code in OPTED_OUT_CODES:
        with uow_factory() as uow:
            mark_opted_out(uow.connection, to, True, "provider", now)
            uow.commit()


def _finish(
    uow_factory: UnitOfWorkFactory,
    now: datetime,
    message_id: int,
    status: str,
    error: str | None,
    provider_sid: str | None = None,
) -> None:
    """Record how a message ended, and what that means for an authorization's written copy."""
    with uow_factory() as uow:
        conn = uow.connection
        values: dict[str, object] = {"status": status, "error": error, "provider_sid": provider_sid}
        if status == outbox.SENT:
            values["sent_at"] = now
        conn.execute(_SET, {"message_id": message_id, **values})
        message = conn.execute(_MESSAGE, {"message_id": message_id}).one()
        if message.authorization_id is not None:
            _written_copy(conn, message, status, now)
        uow.commit()


def _written_copy(conn: Connection, message: object, status: str, now: datetime) -> None:
    authorization_id = message.authorization_id  # type: ignore[attr-defined]
    if status == outbox.SENT:
        record_written_copy(conn, authorization_id, now, outbox.SMS)
        return
    outbox.queue(
        conn,
        event_key=message.event_key,  # type: ignore[attr-defined]
        kind=message.kind,  # type: ignore[attr-defined]
        channel=outbox.LETTER,
        subscriber_id=message.subscriber_id,  # type: ignore[attr-defined]
        language=message.language,  # type: ignore[attr-defined]
        body=message.body,  # type: ignore[attr-defined]
        now=now,
        authorization_id=authorization_id,
    )


def _set(uow_factory: UnitOfWorkFactory, message_id: int, **values: object) -> None:
    with uow_factory() as uow:
        uow.connection.execute(_SET, {"message_id": message_id, **values})
        uow.commit()


def _opted_out(uow_factory: UnitOfWorkFactory, to_number: str) -> bool:
    with uow_factory.reader() as uow:
        return outbox.opted_out(uow.connection, to_number)


def mark_opted_out(
    conn: Connection, e164: str, opted_out: bool, keyword: str, now: datetime
) -> None:
    """Record STOP (True) or START (False) for a number; the caller commits.

    Inserted first, skipping a row the number already has, then updated: two replies at once
    never both insert (the second would fail on the primary key); the later one wins.
    """
    values = {"opted_out": opted_out, "keyword": keyword[:16], "changed_at": now}
    if not insert_new(conn, SMS_OPT_OUTS, [{"e164": e164, **values}], SMS_OPT_OUTS.c.e164):
        conn.execute(update(SMS_OPT_OUTS).where(SMS_OPT_OUTS.c.e164 == e164).values(**values))
