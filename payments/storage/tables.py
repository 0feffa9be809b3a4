"""The models' tables, for Core statements where building ORM objects would cost more than the
query (the per-call paths of the payments core)."""

from __future__ import annotations

from sqlalchemy import Table

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
