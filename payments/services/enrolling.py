"""Writing an enrolment, a change or a cancellation: the enrolment row, its new recurring
authorization (the one in force before is ended, kept two years) and the authorization's written
copy, in the caller's transaction. By phone and from the portal alike (the import): a portal
enrolment arrives with the written copy the portal sent, or gets a letter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from payments.bank.sealing import Sealer
from payments.domain import autopay as rules
from payments.domain.clock import eastern_date
from payments.domain.money import ZERO
from payments.domain.plans import PlanAccount
from payments.domain.values import Channel
from payments.messages import outbox, texts
from payments.services.autopay_values import Enrolled, EnrolRequest
from payments.services.voiding import Debit, void_queued_debits
from payments.storage import audit
from payments.storage.enrolments import (
    EnrolmentRow,
    cycle_month,
    end_authorizations,
    insert_authorization,
    insert_enrolment,
    update_enrolment,
)
from payments.storage.new_payment import AUTHORIZATION_YEARS, years_after

PORTAL = Channel.PORTAL.value  # the written copy's way when the portal sent it


@dataclass(frozen=True)
class Draft:
    """An enrolment or change about to be written."""

    request: EnrolRequest
    plan: PlanAccount
    enrolment: EnrolmentRow | None  # None: a new enrolment
    now: datetime

    @property
    def first_debit(self) -> date:
        return first_debit(self.request.day, self.enrolment, eastern_date(self.now))


def first_debit(day: int, enrolment: EnrolmentRow | None, today: date) -> date:
    """A new authorization's first debit: far enough off, and not in a month already debited."""
    last = enrolment.last_debit if enrolment else None
    return rules.first_debit_after(day, today, cycle_month(last[0]) if last else None)


def write(conn: Connection, draft: Draft, sealer: Sealer, phone: str) -> Enrolled:
    """Write `draft`; what the member is told."""
    first = draft.first_debit
    amount = _told_amount(draft, first)
    columns = _columns(draft, sealer, first, amount)
    enrolment_id, reference = _save(conn, draft, columns)
    authorization_id = insert_authorization(conn, _authorization(enrolment_id, draft, columns))
    words = _words(draft, columns, first, amount, reference, phone)
    channel = _written_copy(conn, draft, words, authorization_id)
    _audit(conn, draft, columns, reference, first, channel)
    return Enrolled(reference, first, amount, channel)


def cancel(
    conn: Connection, enrolment_id: int, now: datetime, actor: str
) -> tuple[list[Debit], list[Debit]]:
    """Cancel an enrolment: its debits not yet sent to the bank are stopped, those sent are not
    (stopped, on their way); its authorization ends (kept two years)."""
    stopped, on_the_way = void_queued_debits(conn, enrolment_id, now, actor)
    update_enrolment(conn, enrolment_id, cancelled=True, updated_at=now)
    retain = years_after(now, AUTHORIZATION_YEARS)
    end_authorizations(conn, enrolment_id, now, "cancelled", retain)
    return stopped, on_the_way


def _told_amount(draft: Draft, first: date) -> Decimal:
    """The first debit's amount as the member is told it; none (ZERO) for a portal enrolment:
    the line read no terms, and its first debit takes the balance due (rules.allowed_amount)."""
    if draft.request.consent.channel is Channel.PORTAL:
        return ZERO
    return rules.balance_due(draft.plan, first)


def _save(conn: Connection, draft: Draft, columns: dict[str, Any]) -> tuple[int, str]:
    if draft.enrolment is None:
        new = {**columns, "plan_id": draft.plan.ref, "created_at": draft.now}
        return insert_enrolment(conn, new)
    enrolment_id = draft.enrolment.id
    retain = years_after(draft.now, AUTHORIZATION_YEARS)
    end_authorizations(conn, enrolment_id, draft.now, "replaced", retain)
    update_enrolment(conn, enrolment_id, **columns)
    return enrolment_id, draft.enrolment["reference"]


def _columns(draft: Draft, sealer: Sealer, first: date, amount: Decimal) -> dict[str, Any]:
    request = draft.request
    columns: dict[str, Any] = {
        "cancelled": False,
        "stopped": None,
        "day": request.day,
        "first_debit_on": first,
        "announced_amount": amount if amount > 0 else None,
        "sms_to": request.sms_to,
        "language": request.language,
        "source": request.consent.channel.value,
        "updated_at": draft.now,
    }
    account = request.account
    if account is not None:
        columns.update(
            account_type=account.account_type.value,
            routing=account.routing_number,
            account_sealed=sealer.seal(account.account_number),
            last4=account.last4,
        )
    else:
        assert draft.enrolment is not None, "a change of day keeps an enrolment's account"
        columns.update(account_type=draft.enrolment["account_type"], last4=draft.enrolment["last4"])
    return columns


def _authorization(enrolment_id: int, draft: Draft, columns: dict[str, Any]) -> dict[str, Any]:
    consent = draft.request.consent
    return {
        "enrolment_id": enrolment_id,
        "text": consent.text,
        "accepted_at": consent.accepted_at,
        "call_sid": consent.call_sid,
        "accepting_key": consent.accepting_key,
        "channel": consent.channel.value,
        "agent_id": consent.agent_id,
        "day": draft.request.day,
        "account_type": columns["account_type"],
        "last4": columns["last4"],
        "written_copy_at": consent.written_copy_at,
        "written_copy_via": None if consent.written_copy_at is None else PORTAL,
    }


def _words(
    draft: Draft, columns: dict[str, Any], first: date, amount: Decimal, reference: str, phone: str
) -> str:
    """The written copy as a text message: the terms, with no name or account beyond last 4."""
    lang = draft.request.language
    first_words = texts.day(first, lang)
    if amount > 0:
        first_words += f" ({texts.money(amount, lang)})"
    return texts.sms(
        "written_copy",
        lang,
        day_of_month=texts.day_of_month(draft.request.day, lang),
        account=texts.account(columns["account_type"], lang),
        last4=columns["last4"],
        kind=texts.kind(draft.plan.kind, lang),
        first=first_words,
        reference=reference,
        phone=phone,
    )


def _written_copy(conn: Connection, draft: Draft, sms_words: str, authorization_id: int) -> str:
    """An SMS to the number the member agreed to, unless it opted out; else a letter with the
    same written terms (the words as read are kept with the authorization); none when the
    portal sent it. The channel."""
    request = draft.request
    if request.consent.written_copy_at is not None:
        return PORTAL
    message: dict[str, Any] = {
        "event_key": f"written_copy:{authorization_id}",
        "kind": "autopay_written_copy",
        "subscriber_id": request.subscriber_id,
        "language": request.language,
        "now": draft.now,
        "authorization_id": authorization_id,
    }
    if request.sms_to and not outbox.opted_out(conn, request.sms_to):
        outbox.queue(conn, channel=outbox.SMS, to_number=request.sms_to, body=sms_words, **message)
        return outbox.SMS
    outbox.queue(conn, channel=outbox.LETTER, body=sms_words, **message)
    return outbox.LETTER


def _audit(
    conn: Connection,
    draft: Draft,
    columns: dict[str, Any],
    reference: str,
    first: date,
    channel: str,
) -> None:
    request, consent = draft.request, draft.request.consent
    by_portal = consent.channel is Channel.PORTAL
    audit.record(
        conn,
        draft.now,
        consent.agent_id or (audit.SYSTEM if by_portal else audit.CALLER),
        "autopay.changed" if draft.enrolment else "autopay.enrolled",
        request.subscriber_id,
        plan_id=request.plan_id,
        reference=reference,
        day=request.day,
        account_type=columns["account_type"],
        last4=columns["last4"],
        first_debit=first.isoformat(),
        channel=consent.channel.value,
        call_sid=consent.call_sid,
        written_copy=channel,
    )
