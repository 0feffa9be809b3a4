"""Taking a payment: reserve under the plan's lock, charge outside it, record the answer.

1. Reserve (one short transaction): lock the plan and member rows, check the card-testing limits
   and the amount against the balance less payments still in flight, insert a PENDING payment
   under the request's idempotency key, commit. Two callers can never both reserve the same
   balance, and a key already reserved is never charged again.
2. Charge outside any lock and outside the webhook, with the same key (services.charger).
3. Record the answer in a second transaction (`record`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, update
from sqlalchemy.exc import IntegrityError

from payments.domain.clock import Clock, eastern_date
from payments.domain.errors import IdempotencyConflict, UnknownPlan
from payments.domain.limits import DECLINE_WINDOW, check_declines
from payments.domain.plans import PlanAccount, check_payable
from payments.domain.values import PaymentOutcome, PaymentRequest, PaymentStatus
from payments.gateways.base import ChargeRequest
from payments.services.charging import ChargeResult
from payments.services.recording import actor_of, answer_changes, outcome_of, write_changes
from payments.storage import audit
from payments.storage.ledger import plan_ledger, plan_ledger_and_key
from payments.storage.new_payment import charge_request, insert_pending_payment
from payments.storage.repository import (
    KeyedPayment,
    decline_counts,
    lock_members_plan,
    lock_plan_of_payment,
    payment_by_key,
    payment_row,
)
from payments.storage.tables import PAYMENTS
from payments.storage.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)

RESERVE_ATTEMPTS = 3

_MARK_UNRESOLVED = (
    update(PAYMENTS).where(PAYMENTS.c.id == bindparam("payment_pk")).values(unresolved=True)
)


@dataclass(frozen=True)
class Reservation:
    """A payment reserved under its idempotency key, and what charging it needs."""

    payment: dict[str, Any]  # the payment's columns as reserved, its id among them
    subject: str  # the member's Subscriber ID
    plan: PlanAccount | None  # the plan as it stood once this payment's amount was held
    charge: ChargeRequest | None  # None: a replay of a key already reserved, nothing to charge


class Reserver:
    """Steps 1 and 3; the service has step 2 run between them."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    def reserve(self, request: PaymentRequest) -> Reservation:
        """The new PENDING payment and its charge, or the payment already holding the key."""
        for _ in range(RESERVE_ATTEMPTS):
            try:
                return self._try_reserve(request)
            except IntegrityError:
                # The key or the confirmation number was taken meanwhile: look again.
                log.info("reservation of %s collided; retrying", request.idempotency_key)
        raise RuntimeError(f"could not reserve payment {request.idempotency_key}")

    def _try_reserve(self, request: PaymentRequest) -> Reservation:
        now, key = self._clock(), request.idempotency_key
        with self._uow() as uow:
            conn = uow.connection
            plan_ref = lock_members_plan(conn, request.subscriber_id, request.plan_id)
            # The key is looked up under the plan's lock: a replay racing its first request
            # waits for it here, then finds its payment, not a balance it already reserved.
            plan, key_taken = None, True
            if plan_ref is not None:
                plan, key_taken = plan_ledger_and_key(conn, plan_ref, key)
            existing = payment_by_key(conn, key) if key_taken else None
            if existing is not None:
                _check_same_request(existing, request)
                return Reservation(
                    dict(payment_row(conn, existing.id)), request.subscriber_id, plan, None
                )
            if plan is None:
                raise UnknownPlan(f"{request.plan_id} is not a plan of this subscriber")
            self._check_limits(conn, request, plan, now)
            payment = insert_pending_payment(conn, plan.ref, request, now)
            uow.commit()
        held = replace(plan, reserved=plan.reserved + request.amount)
        charge = charge_request(request, payment["confirmation"])
        return Reservation(payment, request.subscriber_id, held, charge)

    def _check_limits(
        self, conn: Connection, request: PaymentRequest, plan: PlanAccount, now: datetime
    ) -> None:
        since = now - DECLINE_WINDOW
        in_call, for_subscriber = decline_counts(
            conn, request.subscriber_id, request.call_sid, since
        )
        check_declines(in_call, for_subscriber)
        check_payable(plan, request.amount)

    def record(
        self, payment_id: int, result: ChargeResult, actor: str | None = None
    ) -> PaymentOutcome:
        """Record the processor's answer on a PENDING payment (any other status is left alone)."""
        now = self._clock()
        with self._uow() as uow:
            conn = uow.connection
            subject, locked = lock_plan_of_payment(conn, payment_id)
            payment: Mapping[Any, Any] = locked
            plan = plan_ledger(conn, payment["plan_id"])  # read under the plan's lock
            changes = None
            if payment["status"] == PaymentStatus.PENDING.value:
                who = actor or actor_of(payment)
                changes = answer_changes(payment, subject, plan, result, now, who)
            if changes is not None and write_changes(conn, payment_id, changes):
                payment, plan = {**payment, **changes.payment}, changes.plan
            else:
                payment = _already_answered(conn, payment_id, result)
            uow.commit()
        return outcome_of(payment, plan, eastern_date(now))

    def unrecorded_outcome(self, reservation: Reservation, result: ChargeResult) -> PaymentOutcome:
        """The truth about a charge whose answer could not be written yet, worked out from the
        plan as it stood when reserved. Recording catches up later (retries, reconciliation)."""
        payment, plan = reservation.payment, reservation.plan
        assert plan is not None, "only a new reservation is charged"
        now = self._clock()
        changes = answer_changes(payment, reservation.subject, plan, result, now, actor_of(payment))
        return outcome_of({**payment, **changes.payment}, changes.plan, eastern_date(now))

    def audit_refusal(self, request: PaymentRequest, error: Exception) -> None:
        """Audit a request refused before anything was charged."""
        with self._uow() as uow:
            audit.record(
                uow.connection,
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


def _already_answered(conn: Connection, payment_id: int, result: ChargeResult) -> RowMapping:
    """A payment no longer PENDING keeps its status; a late approval is flagged for reversal."""
    payment = payment_row(conn, payment_id)
    if result.response.approved and not PaymentStatus(payment["status"]).charged:
        # Resolved meanwhile (by reconciliation) as not charged: make that stay true.
        log.error("payment %s was charged after being closed", payment["confirmation"])
        conn.execute(_MARK_UNRESOLVED, {"payment_pk": payment_id})
    return payment


def _check_same_request(payment: KeyedPayment, request: PaymentRequest) -> None:
    same = payment.plan_id == request.plan_id and payment.amount == request.amount
    if not same or payment.subscriber_id != request.subscriber_id:
        raise IdempotencyConflict("this idempotency key was used for a different payment")
