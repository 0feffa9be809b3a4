"""A new payment: the PENDING payment, its TEL authorization and its audit event; its charge."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert

from payments.domain.confirmation import new_confirmation
from payments.domain.instruments import BankDetails, CardDetails
from payments.domain.money import format_amount, to_minor_units
from payments.domain.values import PaymentRequest, PaymentStatus, TelAuthorization
from payments.gateways.base import ChargeRequest
from payments.storage import audit
from payments.storage.tables import AUTHORIZATIONS, PAYMENTS

AUTHORIZATION_YEARS = 2  # NACHA: keep TEL authorizations two years
# How long a charging process answers for a PENDING payment without renewing its lease.
CHARGE_LEASE = timedelta(seconds=10)

_INSERT_PAYMENT = insert(PAYMENTS).returning(PAYMENTS.c.id)
_INSERT_AUTHORIZATION = insert(AUTHORIZATIONS).inline()  # no RETURNING of the id


def insert_pending_payment(
    conn: Connection, plan_pk: int, request: PaymentRequest, now: datetime
) -> dict[str, Any]:
    """Insert a PENDING payment, a bank debit's TEL authorization and the audit event "payment.
    submitted"; the payment's columns, with its id.

    A confirmation number already taken fails the insert on its unique constraint, like a taken
    idempotency key: the caller retries (payments.services.submission).
    """
    values = pending_payment_values(plan_pk, request, now)
    payment_id = conn.execute(_INSERT_PAYMENT, values).scalar_one()
    authorization = request.authorization
    if authorization is not None and isinstance(request.instrument, BankDetails):
        conn.execute(_INSERT_AUTHORIZATION, authorization_values(payment_id, authorization))
    audit.record_all(conn, [submitted_event(request, values["confirmation"], now)])
    return {**values, "id": payment_id}


def submitted_event(request: PaymentRequest, confirmation: str, now: datetime) -> audit.Event:
    return audit.event(
        now,
        request.agent_id or audit.CALLER,
        "payment.submitted",
        request.subscriber_id,
        confirmation=confirmation,
        plan_id=request.plan_id,
        amount=format_amount(request.amount),
        method=request.instrument.method,
        last4=request.instrument.last4,
        channel=request.channel.value,
        call_sid=request.call_sid,
    )


def pending_payment_values(plan_pk: int, request: PaymentRequest, now: datetime) -> dict[str, Any]:
    """A PENDING payment's columns: of the instrument only last 4, brand and account type."""
    instrument = request.instrument
    card = instrument if isinstance(instrument, CardDetails) else None
    bank = instrument if isinstance(instrument, BankDetails) else None
    return {
        "confirmation": new_confirmation(),
        "idempotency_key": request.idempotency_key,
        "plan_id": plan_pk,
        "amount": request.amount,
        "status": PaymentStatus.PENDING.value,
        "method": instrument.method,
        "brand": card.brand.value if card and card.brand else None,
        "last4": instrument.last4,
        "account_type": bank.account_type.value if bank else None,
        "channel": request.channel.value,
        "call_sid": request.call_sid,
        "agent_id": request.agent_id,
        "unresolved": False,
        "decline_reason": None,
        "gateway_ref": None,
        "activated_coverage_start": None,
        "lease_until": now + CHARGE_LEASE,
        "created_at": now,
        "updated_at": now,
    }


def authorization_values(payment_id: int, authorization: TelAuthorization) -> dict[str, Any]:
    return {
        "payment_id": payment_id,
        "text": authorization.text,
        "accepted_at": authorization.accepted_at,
        "call_sid": authorization.call_sid,
        "accepting_key": authorization.accepting_key,
        "retain_until": years_after(authorization.accepted_at, AUTHORIZATION_YEARS),
    }


def years_after(moment: datetime, years: int) -> datetime:
    """The same instant `years` later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def charge_request(request: PaymentRequest, confirmation: str) -> ChargeRequest:
    return ChargeRequest(
        idempotency_key=request.idempotency_key,
        amount_cents=to_minor_units(request.amount),
        instrument=request.instrument,
        description=f"Premium {request.plan_id} confirmation {confirmation}",
    )
