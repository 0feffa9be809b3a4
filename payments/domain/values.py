"""What the payments core offers its callers (the IVR flows, the agent console, the CLI).

Plain values only: callers never see ORM objects or sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from payments.domain.instruments import Instrument
from payments.domain.money import format_amount


class PlanStatus(StrEnum):
    PENDING = "pending"  # new enrolment waiting for its first (binder) payment
    ACTIVE = "active"  # covered and current
    GRACE = "grace"  # past due, inside the grace period
    TERMINATED = "terminated"  # coverage ended


class PaymentStatus(StrEnum):
    PENDING = "pending"  # reserved; the processor has not answered yet; its amount is held
    APPROVED = "approved"  # the processor accepted it; credited to invoices the same day
    DECLINED = "declined"  # the processor refused it; nothing charged
    FAILED = "failed"  # processor error; nothing charged
    SETTLED = "settled"  # bank debit settled (funds received)
    RETURNED = "returned"  # bank debit returned at settlement (R01, R02, ...); credit reversed
    REFUNDED = "refunded"  # money given back after approval

    @property
    def charged(self) -> bool:
        """Money was taken and kept: the caller is told "approved" with a confirmation."""
        return self in (PaymentStatus.APPROVED, PaymentStatus.SETTLED)

    @property
    def answered(self) -> bool:
        """The processor's answer is known (anything but PENDING)."""
        return self is not PaymentStatus.PENDING


class Channel(StrEnum):
    VOICE = "voice"
    RELAY = "relay"
    AGENT = "agent"
    AUTOPAY = "autopay"  # a debit of the AutoPay run (or its retry)
    PORTAL = "portal"  # an AutoPay enrolment made on the marketplace's portal (the import)


class DeclineReason(StrEnum):
    GENERIC = "generic"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED_CARD = "expired_card"
    INCORRECT_SECURITY_CODE = "incorrect_security_code"
    PROCESSING_ERROR = "processing_error"  # gateway failure: nothing charged
    INVALID_ACCOUNT = "invalid_account"


class VerifyResult(StrEnum):
    OK = "ok"
    MISMATCH = "mismatch"  # the Subscriber ID and the date do not match (or there is no such ID)
    LOCKED = "locked"  # this caller is refused for this ID (5 failures from them in 24 hours)
    SLOWED = "slowed"  # failures from many callers: this ID may be tried again at `locked_until`
    BLOCKED = "blocked"  # this caller used up their budget of guesses: a representative only


ANONYMOUS = "anonymous"  # the one budget of callers whose number is withheld or unparseable
ATTESTED = "TN-Validation-Passed-A"  # Twilio's StirVerstat for a fully attested caller ID


@dataclass(frozen=True)
class Caller:
    """Who is checking a Subscriber ID and date of birth, for the limits (SPEC "Limits").

    `number` is the caller ID in E.164, or None when withheld or unparseable; `attested` when
    Twilio reports it fully attested; `agent` is the username of a representative checking on a
    call instead. Failures count under `key`: an attested number has a key of its own, so
    strangers who spoof the number cannot lock out the phone's owner.
    """

    number: str | None = None
    attested: bool = False
    agent: str | None = None
    second_check: bool = False  # a representative's second check: counted apart from dates

    @property
    def key(self) -> str:
        if self.agent is not None:
            return f"agent:{self.agent}" + ("/second" if self.second_check else "")
        if self.number is None:
            return ANONYMOUS
        return f"{self.number}/A" if self.attested else self.number

    @property
    def withheld(self) -> bool:
        """A caller whose number is withheld or unparseable: every failure spends the one
        budget they share."""
        return self.agent is None and self.number is None

    @property
    def budget(self) -> str | None:
        """Whose budget of guesses a failure spends: the number, the anonymous one, or none
        for a representative."""
        if self.agent is not None:
            return None
        return self.number or ANONYMOUS


@dataclass(frozen=True)
class Verification:
    result: VerifyResult
    locked_until: datetime | None = None
    account: AccountSummary | None = None  # when OK and asked for along with the verification


@dataclass(frozen=True)
class BillDue:
    """An open bill as the caller hears it."""

    amount: Decimal  # still open
    due_date: date
    coverage_month: date  # first day of the month it pays for
    past_due: bool


@dataclass(frozen=True)
class AutopayView:
    """A plan's AutoPay as the member hears it and operators see it."""

    status: str  # payments.domain.autopay.AutopayStatus: active | paused | cancelled | none
    day: int | None = None
    account_type: str | None = None
    last4: str | None = None
    next_debit_date: date | None = None
    next_amount: Decimal | None = None  # what it will take then, as things stand
    reason: str | None = None  # why it is paused (payments.domain.autopay.PauseReason)
    reference: str | None = None

    def as_json(self) -> dict[str, object]:
        """The view as `ivr account show --json` gives it (and the call state keeps it)."""
        amount = self.next_amount
        return {
            "status": self.status,
            "day": self.day,
            "account_type": self.account_type,
            "last4": self.last4,
            "next_debit_date": self.next_debit_date.isoformat() if self.next_debit_date else None,
            "next_amount": format_amount(amount) if amount is not None else None,
            "reason": self.reason,
            "reference": self.reference,
        }


@dataclass(frozen=True)
class ReturnedDebit:
    """A bank debit the member's bank returned lately: told on their next call."""

    amount: Decimal
    taken_on: date  # the day the payment was made
    last4: str
    kind: str  # payments.domain.ach.ReturnKind
    retry_on: date | None  # presented again on or after this day


NO_AUTOPAY = AutopayView("none")


@dataclass(frozen=True)
class PlanSummary:
    plan_id: str
    kind: str  # "health" | "dental"
    name: str
    carrier: str
    status: PlanStatus
    balance: Decimal  # all open invoice amounts, less payments in flight: the most payable now
    due_date: date | None  # due date of the oldest open invoice
    coverage_month: date | None  # first day of the month the oldest open invoice pays for
    past_due: Decimal  # open amount of invoices whose due date has passed
    coverage_start: date | None  # pending plan: start date if paid in full today
    paid_through: date | None  # last day of the last month paid in full
    bills: tuple[BillDue, ...] = ()  # open bills, oldest (and so past due) first
    autopay: AutopayView = NO_AUTOPAY
    returned: tuple[ReturnedDebit, ...] = ()  # bank debits returned in the last 30 days
    processing: Decimal = Decimal("0.00")  # card payments waiting for the processor's answer


@dataclass(frozen=True)
class AccountSummary:
    subscriber_id: str
    first_name: str
    language: str
    plans: tuple[PlanSummary, ...]
    last_name: str = ""
    sms_phones: tuple[str, ...] = ()  # phones on file that have not opted out of texts
    paid_here: bool = False  # the line holds a payment of the member's that moved money

    def plan(self, plan_id: str) -> PlanSummary:
        return next(p for p in self.plans if p.plan_id == plan_id)

    @property
    def payable_plans(self) -> tuple[PlanSummary, ...]:
        return tuple(p for p in self.plans if p.balance > 0)


@dataclass(frozen=True)
class TelAuthorization:
    """A NACHA telephone (TEL) authorization exactly as read to the caller."""

    text: str
    accepted_at: datetime
    call_sid: str
    accepting_key: str


@dataclass(frozen=True)
class PaymentRequest:
    subscriber_id: str
    plan_id: str
    amount: Decimal
    instrument: Instrument
    channel: Channel
    idempotency_key: str
    call_sid: str | None = None
    agent_id: str | None = None
    authorization: TelAuthorization | None = None  # required for bank debits


@dataclass(frozen=True)
class PaymentOutcome:
    """A payment as its record stands: what the caller is told about it."""

    status: PaymentStatus
    confirmation: str | None  # only when money was taken: never one for a declined attempt
    amount: Decimal
    plan_kind: str
    decline_reason: DeclineReason | None
    plan_status: PlanStatus
    remaining_balance: Decimal
    coverage_start: date | None  # set when this payment activated a pending plan
    paid_through: date | None
    plan: PlanSummary | None = None  # the plan as it stands after this payment

    @property
    def charged(self) -> bool:
        return self.status.charged


@dataclass(frozen=True)
class CallPayment:
    """A payment confirmed during one call, newest last: what the call says about money."""

    idempotency_key: str
    confirmation: str
    plan_kind: str
    amount: Decimal
    status: PaymentStatus


@dataclass(frozen=True)
class PaymentView:
    confirmation: str
    plan_id: str
    kind: str
    amount: Decimal
    status: PaymentStatus
    method: str  # "card" | "bank"
    last4: str
    channel: Channel
    created_at: datetime
