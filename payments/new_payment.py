"""Building the rows of a new payment: the PENDING payment, its TEL authorization, its charge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from payments.api import PaymentRequest, PaymentStatus, TelAuthorization
from payments.confirmation import new_confirmation
from payments.gateway import ChargeRequest
from payments.instruments import BankDetails, CardDetails
from payments.models import BankAuthorization, Payment, Plan
from payments.money import to_minor_units
from payments.repository import confirmation_taken

AUTHORIZATION_YEARS = 2  # NACHA: keep TEL authorizations two years
CONFIRMATION_ATTEMPTS = 10


def pending_payment(
    session: Session, plan: Plan, request: PaymentRequest, now: datetime
) -> Payment:
    """A PENDING payment keeping only last 4, brand and account type of the instrument."""
    instrument = request.instrument
    card = instrument if isinstance(instrument, CardDetails) else None
    bank = instrument if isinstance(instrument, BankDetails) else None
    return Payment(
        confirmation=unused_confirmation(session),
        idempotency_key=request.idempotency_key,
        plan=plan,
        amount=request.amount,
        status=PaymentStatus.PENDING.value,
        method=instrument.method,
        brand=card.brand.value if card and card.brand else None,
        last4=instrument.last4,
        account_type=bank.account_type.value if bank else None,
        channel=request.channel.value,
        call_sid=request.call_sid,
        agent_id=request.agent_id,
        unresolved=False,
        created_at=now,
        updated_at=now,
    )


def unused_confirmation(session: Session) -> str:
    for _ in range(CONFIRMATION_ATTEMPTS):
        candidate = new_confirmation()
        if not confirmation_taken(session, candidate):
            return candidate
    raise RuntimeError("no unused confirmation number found")


def authorization_record(payment: Payment, authorization: TelAuthorization) -> BankAuthorization:
    return BankAuthorization(
        payment_id=payment.id,
        text=authorization.text,
        accepted_at=authorization.accepted_at,
        call_sid=authorization.call_sid,
        accepting_key=authorization.accepting_key,
        retain_until=years_after(authorization.accepted_at, AUTHORIZATION_YEARS),
    )


def years_after(moment: datetime, years: int) -> datetime:
    """The same instant `years` later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def charge_request(request: PaymentRequest, payment: Payment) -> ChargeRequest:
    return ChargeRequest(
        idempotency_key=request.idempotency_key,
        amount_cents=to_minor_units(request.amount),
        instrument=request.instrument,
        description=f"Premium {request.plan_id} confirmation {payment.confirmation}",
    )
