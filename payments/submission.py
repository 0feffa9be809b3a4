"""Taking a payment: reserve under the plan's lock, charge outside it, record the answer.

1. Reserve (one short transaction): lock the plan row, check the amount against the balance
   less payments still in flight, insert a PENDING payment under the request's idempotency
   key, commit. Two callers can never both reserve the same balance.
2. Charge outside any lock, with the same idempotency key (payments.charging).
3. Record the answer (payments.recording) in a second transaction.

A repeated idempotency key never reaches the gateway again: its stored outcome is returned,
after waiting for it if the first request is still in flight.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payments import audit
from payments.accounts import plan_summary
from payments.api import (
    AmountNotAllowed,
    IdempotencyConflict,
    PaymentInProgress,
    PaymentOutcome,
    PaymentRequest,
    PaymentStatus,
    PlanStatus,
    UnknownPlan,
)
from payments.charging import ChargeResult
from payments.clock import Clock, eastern_date
from payments.gateway import ChargeRequest
from payments.instruments import BankDetails
from payments.models import Payment, Plan
from payments.money import format_amount
from payments.new_payment import authorization_record, charge_request, pending_payment
from payments.recording import CHARGED, actor_of, outcome_of, record_answer
from payments.repository import lock_payment, lock_plan, members_plan, payment_by_key
from payments.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)

RESERVE_ATTEMPTS = 3
POLL_SECONDS = 0.05


class Reserver:
    """Steps 1 and 3; the service drives step 2 between them."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, pending_wait: float) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._pending_wait = pending_wait

    def reserve(self, request: PaymentRequest) -> PaymentOutcome | tuple[int, ChargeRequest]:
        """A replayed key's outcome, or the new PENDING payment's id and its charge."""
        for _ in range(RESERVE_ATTEMPTS):
            try:
                return self._try_reserve(request)
            except IntegrityError:
                # The key or the confirmation number was taken meanwhile: look again.
                log.info("reservation of %s collided; retrying", request.idempotency_key)
        raise RuntimeError(f"could not reserve payment {request.idempotency_key}")

    def _try_reserve(self, request: PaymentRequest) -> PaymentOutcome | tuple[int, ChargeRequest]:
        now = self._clock()
        with self._uow() as uow:
            session = uow.session
            existing = payment_by_key(session, request.idempotency_key)
            if existing is None:
                plan = members_plan(session, request.subscriber_id, request.plan_id, lock=True)
                if plan is None:
                    raise UnknownPlan(f"{request.plan_id} is not a plan of this subscriber")
                existing = payment_by_key(session, request.idempotency_key)  # under the lock
            if existing is None:
                payment = self._new_payment(session, plan, request, now)
                uow.commit()
                return payment.id, charge_request(request, payment)
            _check_same_request(existing, request)
            payment_id = existing.id
        return self.wait_for(payment_id)

    def _new_payment(
        self, session: Session, plan: Plan, request: PaymentRequest, now: datetime
    ) -> Payment:
        summary = plan_summary(session, plan, eastern_date(now))
        if summary.status is PlanStatus.TERMINATED:
            raise AmountNotAllowed("a terminated plan cannot be paid by phone")
        if request.amount > summary.balance:
            raise AmountNotAllowed(f"at most {format_amount(summary.balance)} can be paid now")
        payment = pending_payment(session, plan, request, now)
        session.add(payment)
        session.flush()
        if request.authorization is not None and isinstance(request.instrument, BankDetails):
            session.add(authorization_record(payment, request.authorization))
        audit.record(
            session,
            now,
            actor_of(payment),
            "payment.submitted",
            request.subscriber_id,
            confirmation=payment.confirmation,
            plan_id=plan.plan_id,
            amount=format_amount(payment.amount),
            method=payment.method,
            last4=payment.last4,
            channel=payment.channel,
            call_sid=payment.call_sid,
        )
        return payment

    def wait_for(self, payment_id: int) -> PaymentOutcome:
        """The payment's outcome once it is no longer PENDING."""
        deadline = time.monotonic() + self._pending_wait
        while True:
            with self._uow() as uow:
                payment = uow.session.get_one(Payment, payment_id)
                if payment.status != PaymentStatus.PENDING.value:
                    return outcome_of(uow.session, payment, eastern_date(self._clock()))
                confirmation = payment.confirmation
            if time.monotonic() >= deadline:
                raise PaymentInProgress(f"payment {confirmation} is still in progress")
            time.sleep(POLL_SECONDS)

    def record(
        self, payment_id: int, result: ChargeResult, actor: str | None = None
    ) -> PaymentOutcome:
        """Record the gateway's answer on a PENDING payment (any other status is left alone)."""
        now = self._clock()
        with self._uow() as uow:
            session = uow.session
            lock_plan(
                session, session.get_one(Payment, payment_id).plan_id
            )  # plan before payment, as when reserving
            payment = lock_payment(session, payment_id)
            if payment.status == PaymentStatus.PENDING.value:
                record_answer(session, payment, result, now, actor or actor_of(payment))
            elif result.response.approved and PaymentStatus(payment.status) not in CHARGED:
                # Resolved meanwhile (by reconciliation) as not charged: make that stay true.
                log.error("payment %s was charged after being closed", payment.confirmation)
                payment.unresolved = True
            outcome = outcome_of(session, payment, eastern_date(now))
            uow.commit()
        return outcome

    def audit_refusal(self, request: PaymentRequest, error: Exception) -> None:
        """Audit a request refused before anything was charged."""
        with self._uow() as uow:
            audit.record(
                uow.session,
                self._clock(),
                request.agent_id or audit.CALLER,
                "payment.refused",
                request.subscriber_id,
                plan_id=request.plan_id,
                reason=type(error).__name__,
                channel=request.channel.value,
                call_sid=request.call_sid,
            )
            uow.commit()


def _check_same_request(payment: Payment, request: PaymentRequest) -> None:
    same = payment.plan.plan_id == request.plan_id and payment.amount == request.amount
    if not same or payment.plan.member.subscriber_id != request.subscriber_id:
        raise IdempotencyConflict("this idempotency key was used for a different payment")
