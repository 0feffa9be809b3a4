"""Database models. Card numbers, security codes and full bank account numbers have no column."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payments.storage.sqltypes import Base, UTCDateTime, money_column_type

Money = money_column_type


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[str] = mapped_column(String(12), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    zip: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(8), default="en")
    # Where letters go (AutoPay's written copy when no SMS): line1, line2, city, state, zip.
    mailing_address: Mapped[dict[str, str] | None] = mapped_column(JSON)

    phones: Mapped[list[MemberPhone]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="MemberPhone.id"
    )
    plans: Mapped[list[Plan]] = relationship(back_populates="member", order_by="Plan.plan_id")


class MemberPhone(Base):
    __tablename__ = "member_phones"
    __table_args__ = (UniqueConstraint("member_id", "e164"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    e164: Mapped[str] = mapped_column(String(16), index=True)

    member: Mapped[Member] = relationship(back_populates="phones")


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(40), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # health | dental
    name: Mapped[str] = mapped_column(String(200))
    carrier: Mapped[str] = mapped_column(String(200))
    monthly_premium: Mapped[Decimal] = mapped_column(Money())
    subsidized: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(12))  # a PlanStatus value
    coverage_start: Mapped[date | None] = mapped_column(Date)

    member: Mapped[Member] = relationship(back_populates="plans")
    invoices: Mapped[list[Invoice]] = relationship(back_populates="plan", order_by="Invoice.period")


class Invoice(Base):
    """One month's premium as billed by the marketplace's billing system."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("plan_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    period: Mapped[date] = mapped_column(Date)  # first day of the coverage month
    amount: Mapped[Decimal] = mapped_column(Money())
    due_date: Mapped[date] = mapped_column(Date)
    # Paid through other channels, as the billing system reports it; this line's own payments
    # are the allocations on top (see payments.operations.importer).
    paid_external: Mapped[Decimal] = mapped_column(Money())

    plan: Mapped[Plan] = relationship(back_populates="invoices")


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    confirmation: Mapped[str] = mapped_column(String(8), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(10), index=True)  # a PaymentStatus value
    method: Mapped[str] = mapped_column(String(4))  # card | bank
    brand: Mapped[str | None] = mapped_column(String(12))
    last4: Mapped[str] = mapped_column(String(4))
    account_type: Mapped[str | None] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(8))
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(64))
    gateway_ref: Mapped[str | None] = mapped_column(String(100))
    decline_reason: Mapped[str | None] = mapped_column(String(32))
    # Set when the gateway's answer could not be learned: the caller was told "not charged",
    # so reconciliation must reverse any charge that surfaces later (payments.operations.reconcile).
    unresolved: Mapped[bool] = mapped_column(Boolean, default=False)
    activated_coverage_start: Mapped[date | None] = mapped_column(Date)
    # An AutoPay debit's enrolment; a retry of a returned debit points at the payment it retries.
    enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("autopay_enrolments.id"), index=True
    )
    retry_of: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    # While PENDING: until when the process charging it answers for it (it renews the lease
    # while the charge runs); past it, another process takes the charge over.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    plan: Mapped[Plan] = relationship()
    allocations: Mapped[list[PaymentAllocation]] = relationship(back_populates="payment")


class PaymentAllocation(Base):
    """The part of a payment credited to one invoice, so a returned debit can be reversed."""

    __tablename__ = "payment_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    invoice: Mapped[Invoice] = relationship()


class BankAuthorization(Base):
    """A NACHA TEL authorization exactly as read to the caller, kept two years."""

    __tablename__ = "bank_authorizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    call_sid: Mapped[str] = mapped_column(String(64))
    accepting_key: Mapped[str] = mapped_column(String(8))
    retain_until: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class VerificationFailure(Base):
    """A failed check of a Subscriber ID and date of birth (or an agent's second check), by
    who tried: the key of payments.domain.values.Caller."""

    __tablename__ = "verification_failures"
    __table_args__ = (
        Index("ix_verification_failures_subscriber_id_caller", "subscriber_id", "caller"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[str] = mapped_column(String(12), index=True)
    caller: Mapped[str] = mapped_column(String(80), server_default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class UnknownIdAttempt(Base):
    """A guess against a caller's budget (SPEC "Limits"): a check of an unknown Subscriber ID
    by a caller number, or any failed check by a caller whose number is withheld or unparseable
    (`caller` "anonymous")."""

    __tablename__ = "unknown_id_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    caller: Mapped[str] = mapped_column(String(16), index=True)  # E.164
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class SandboxCharge(Base):
    """The sandbox processor's own ledger, standing in for an external processor's records.

    Not the payment line's data: only the sandbox gateway writes it, so every process (server
    workers, `ivr reconcile`, a restarted server) sees the same charges. Never a card number.
    """

    __tablename__ = "sandbox_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    amount_cents: Mapped[int] = mapped_column()
    method: Mapped[str] = mapped_column(String(4))
    last4: Mapped[str] = mapped_column(String(4))
    approved: Mapped[bool] = mapped_column(Boolean)
    transaction_id: Mapped[str | None] = mapped_column(String(100))
    decline_reason: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(String(200))
    reversed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Agent(Base):
    """A customer-service agent's console login: a password hash (argon2id), never a password."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgentSession(Base):
    """A console session. Only the SHA-256 of its bearer token is kept; it ends when idle."""

    __tablename__ = "agent_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(ForeignKey("agents.username"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())


class AgentLoginFailure(Base):
    """A failed console login (or one whose password is still being checked), counted per
    username tried and per client address to limit guessing."""

    __tablename__ = "agent_login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)  # as tried: maybe no agent's
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


# The bank side's tables share this metadata (migrations compare against all of it).
from payments.storage import bank_models as _bank_models  # noqa: E402, F401
