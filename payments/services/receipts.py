"""A receipt by SMS, when the caller asks for one during the call: the request (the caller's
consent, with the number and the CallSid) and the message are written in one transaction; a
worker sends it (payments.messages.sending)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select

from payments.domain.clock import Clock, eastern_date, require_aware
from payments.domain.values import PaymentStatus
from payments.messages import outbox, texts
from payments.storage import audit
from payments.storage.sqltypes import AnyRow
from payments.storage.tables import MEMBERS, PAYMENTS, PLANS
from payments.storage.unit_of_work import UnitOfWorkFactory

_PAYMENT = (
    select(
        PAYMENTS.c.id,
        PAYMENTS.c.amount,
        PAYMENTS.c.status,
        PAYMENTS.c.method,
        PAYMENTS.c.brand,
        PAYMENTS.c.last4,
        PAYMENTS.c.account_type,
        PAYMENTS.c.created_at,
        PLANS.c.kind,
    )
    .join(PLANS, PAYMENTS.c.plan_id == PLANS.c.id)
    .join(MEMBERS, PLANS.c.member_id == MEMBERS.c.id)
    .where(
        PAYMENTS.c.confirmation == bindparam("confirmation"),
        MEMBERS.c.subscriber_id == bindparam("subscriber_id"),
    )
)


class Receipts:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    def request(
        self,
        subscriber_id: str,
        confirmation: str,
        to: str,
        language: str,
        call_sid: str | None,
    ) -> bool:
        """Queue a receipt for a payment that took money; False when there is none to send
        (not this member's, not charged, or the number opted out)."""
        now = require_aware(self._clock())
        params = {"confirmation": confirmation, "subscriber_id": subscriber_id}
        with self._uow() as uow:
            conn = uow.connection
            payment = conn.execute(_PAYMENT, params).first()
            if payment is None or not PaymentStatus(payment.status).charged:
                return False
            if outbox.opted_out(conn, to):
                return False
            outbox.queue(
                conn, event_key=f"receipt:{payment.id}", kind="receipt", channel=outbox.SMS,
                subscriber_id=subscriber_id, language=language, to_number=to,
                body=_words(payment, confirmation, language, now), now=now,
                details={"confirmation": confirmation, "call_sid": call_sid, "asked": "in call"},
            )  # fmt: skip
            audit.record(
                conn, now, audit.CALLER, "message.receipt_requested", subscriber_id,
                confirmation=confirmation, to_last4=to[-4:], call_sid=call_sid,
            )  # fmt: skip
            uow.commit()
        return True


def _words(payment: AnyRow, confirmation: str, language: str, now: datetime) -> str:
    lang = texts.lang_of(language)
    values = {
        "amount": texts.money(payment.amount, lang),
        "kind": texts.kind(payment.kind, lang),
        "last4": payment.last4,
        "day": texts.day(eastern_date(payment.created_at), lang),
        "confirmation": confirmation,
    }
    if payment.method == "bank":
        account = texts.account(payment.account_type or "checking", lang)
        return texts.sms("receipt_bank", lang, account=account, **values)
    return texts.sms("receipt", lang, method=texts.method("card", lang), **values)
