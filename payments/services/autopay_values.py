"""What the AutoPay service takes and gives: plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from payments.domain.instruments import BankDetails
from payments.domain.values import Channel


class AutopayRefused(ValueError):
    """An enrolment or change the line cannot make (a terminated plan, a bad account)."""


@dataclass(frozen=True)
class RecurringConsent:
    """The recurring TEL authorization as the member accepted it."""

    text: str  # the exact words read
    accepted_at: datetime
    call_sid: str | None
    accepting_key: str | None
    channel: Channel
    agent_id: str | None = None
    # A portal enrolment's: when the portal sent the written copy (the line sends none then).
    written_copy_at: datetime | None = None


@dataclass(frozen=True)
class EnrolRequest:
    subscriber_id: str
    plan_id: str
    day: int
    account: BankDetails | None  # None: a change of day keeps the enrolment's account
    consent: RecurringConsent
    sms_to: str | None  # a number on file the member agreed to get texts on; None: letters
    language: str


@dataclass(frozen=True)
class Terms:
    """What a new authorization says about its first debit (said before it is accepted)."""

    first_debit: date
    first_amount: Decimal  # the balance due then, as things stand; ZERO: none yet


@dataclass(frozen=True)
class Enrolled:
    reference: str
    first_debit: date
    first_amount: Decimal
    written_copy: str  # "sms" | "letter" | "portal" (sent by the portal)


@dataclass(frozen=True)
class Cancelled:
    stopped: tuple[tuple[date, Decimal], ...]  # debits not yet sent: they will not be taken
    on_the_way: tuple[tuple[date, Decimal], ...]  # already sent to the bank: still taken
