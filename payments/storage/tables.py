"""The models' tables, for Core statements where building ORM objects would cost more than the
query (the per-call paths of the payments core)."""

from __future__ import annotations

from sqlalchemy import Table

from payments.storage.bank_models import (
    AchEntry,
    AchFile,
    AchReturnFile,
    AutopayEnrolment,
    AutopayNotice,
    OutboxMessage,
    RecurringAuthorization,
    SmsOptOut,
)
from payments.storage.models import (
    AuditEvent,
    BankAuthorization,
    Invoice,
    Member,
    MemberPhone,
    Payment,
    PaymentAllocation,
    Plan,
    SandboxCharge,
    UnknownIdAttempt,
    VerificationFailure,
)


def _table(model: type) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


MEMBERS = _table(Member)
PHONES = _table(MemberPhone)
PLANS = _table(Plan)
INVOICES = _table(Invoice)
PAYMENTS = _table(Payment)
ALLOCATIONS = _table(PaymentAllocation)
AUTHORIZATIONS = _table(BankAuthorization)
AUDIT_EVENTS = _table(AuditEvent)
FAILURES = _table(VerificationFailure)
UNKNOWN_IDS = _table(UnknownIdAttempt)
SANDBOX_CHARGES = _table(SandboxCharge)
ENROLMENTS = _table(AutopayEnrolment)
RECURRING_AUTHORIZATIONS = _table(RecurringAuthorization)
NOTICES = _table(AutopayNotice)
ACH_FILES = _table(AchFile)
ACH_ENTRIES = _table(AchEntry)
ACH_RETURN_FILES = _table(AchReturnFile)
OUTBOX = _table(OutboxMessage)
SMS_OPT_OUTS = _table(SmsOptOut)
