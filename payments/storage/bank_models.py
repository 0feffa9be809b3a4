"""Tables of AutoPay, ACH origination and messages to members.

Bank account numbers are kept only as Fernet tokens (`*_sealed`, payments.bank.sealing): an
AutoPay enrolment's for every month's debit, a debit's until it has settled (a retry of a
returned debit needs it). Everything else keeps the last 4.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from payments.storage.sqltypes import Base, UTCDateTime, money_column_type


class AutopayEnrolment(Base):
    """A plan's AutoPay: one row per plan, changed in place; its authorizations keep history."""

    __tablename__ = "autopay_enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), unique=True)
    reference: Mapped[str] = mapped_column(String(8), unique=True)  # told to the member
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why debits stopped until the member acts: "account" (a new account is needed) or
    # "authorization" (a new authorization is needed); None while debits may run.
    stopped: Mapped[str | None] = mapped_column(String(16))
    day: Mapped[int] = mapped_column(Integer)  # 15 or 23
    account_type: Mapped[str] = mapped_column(String(8))
    routing: Mapped[str] = mapped_column(String(9))
    account_sealed: Mapped[str] = mapped_column(Text)
    last4: Mapped[str] = mapped_column(String(4))
    first_debit_on: Mapped[date] = mapped_column(Date)  # no debit before (the authorization's)
    announced_amount: Mapped[Decimal | None] = mapped_column(money_column_type())
    sms_to: Mapped[str | None] = mapped_column(String(16))  # consented number for notices
    language: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(8))  # voice | relay | agent | portal
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecurringAuthorization(Base):
    """A NACHA recurring TEL (or portal) authorization exactly as given; kept two years after
    it ends (revoked, replaced or cancelled)."""

    __tablename__ = "recurring_authorizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("autopay_enrolments.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    call_sid: Mapped[str | None] = mapped_column(String(64))
    accepting_key: Mapped[str | None] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(8))  # voice | relay | agent | portal
    agent_id: Mapped[str | None] = mapped_column(String(64))
    day: Mapped[int] = mapped_column(Integer)
    account_type: Mapped[str] = mapped_column(String(8))
    last4: Mapped[str] = mapped_column(String(4))
    written_copy_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    written_copy_via: Mapped[str | None] = mapped_column(String(8))  # sms | letter | portal
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_why: Mapped[str | None] = mapped_column(String(32))
    retain_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AutopayNotice(Base):
    """A debit amount told to the member ahead of the debit (Regulation E: at least 10 days
    before, when it differs from the last debit)."""

    __tablename__ = "autopay_notices"
    __table_args__ = (UniqueConstraint("enrolment_id", "debit_date", "amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("autopay_enrolments.id"))
    debit_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(money_column_type())
    noticed_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AchFile(Base):
    """A NACHA file of debits. Entries are assigned to it first (status "building"); the file is
    then written, validated and renamed into place ("written"). A file left "building" by a
    crash is written again, identically, by the next export."""

    __tablename__ = "ach_files"
    __table_args__ = (UniqueConstraint("file_date", "modifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_date: Mapped[date] = mapped_column(Date)
    modifier: Mapped[str] = mapped_column(String(1))
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    total_debit_cents: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))


class AchEntry(Base):
    """One bank debit to originate: queued, exported in exactly one file, then settled or
    returned (or cancelled before export)."""

    __tablename__ = "ach_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    payment_type: Mapped[str] = mapped_column(String(1))  # S single | R recurring
    reinitiated: Mapped[bool] = mapped_column(Boolean, default=False)  # a retry of a return
    transaction_code: Mapped[int] = mapped_column(Integer)  # 27 checking, 37 savings
    routing: Mapped[str] = mapped_column(String(9))
    account_sealed: Mapped[str | None] = mapped_column(Text)  # erased once settled
    last4: Mapped[str] = mapped_column(String(4))
    amount_cents: Mapped[int] = mapped_column(Integer)
    individual_id: Mapped[str] = mapped_column(String(15))
    individual_name: Mapped[str] = mapped_column(String(22))
    effective_date: Mapped[date] = mapped_column(Date)  # requested: on or after this day
    status: Mapped[str] = mapped_column(String(10), index=True)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("ach_files.id"), index=True)
    trace_number: Mapped[str | None] = mapped_column(String(15), unique=True)
    sent_effective_date: Mapped[date | None] = mapped_column(Date)  # as written in the file
    return_code: Mapped[str | None] = mapped_column(String(3))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AchReturnFile(Base):
    """A returns file read from the bank (by content): reading it again changes nothing."""

    __tablename__ = "ach_return_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())
    returned: Mapped[int] = mapped_column(Integer)
    unmatched: Mapped[int] = mapped_column(Integer)


class OutboxMessage(Base):
    """A message to a member, written in the same transaction as the event it tells of, then
    sent by a worker at most once: an SMS through Twilio, or a letter in the print queue."""

    __tablename__ = "outbox_messages"
    __table_args__ = (UniqueConstraint("event_key", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(100))  # one message per event and channel
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))  # sms | letter
    subscriber_id: Mapped[str] = mapped_column(String(12), index=True)
    to_number: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    # queued -> sending -> sent | failed | unknown; suppressed (opted out); letters: exported
    status: Mapped[str] = mapped_column(String(10), index=True)
    authorization_id: Mapped[int | None] = mapped_column(ForeignKey("recurring_authorizations.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_sid: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(200))


class SmsOptOut(Base):
    """A number that answered STOP (or another opt-out word): no SMS goes to it until START."""

    __tablename__ = "sms_opt_outs"

    e164: Mapped[str] = mapped_column(String(16), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(Boolean)
    keyword: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
