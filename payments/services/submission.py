"""Taking a payment: reserve under the plan's lock, charge outside it, record the answer.

1. Reserve (one short transaction): lock the plan row, check the amount against the balance
   less payments still in flight, insert a PENDING payment under the request's idempotency
   key, commit. Two callers can never both reserve the same balance.
2. Charge outside any lock, with the same idempotency key (payments.services.charging).
3. Record the answer (payments.services.recording) in a second transaction.

A repeated idempotency key never reaches the gateway again: its stored outcome is returned,
after waiting for it if the first request is still in flight.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy import Connection, RowMapping, bindparam, update
from sqlalchemy.exc import IntegrityError

from payments.domain.clock import Clock, eastern_date
from payments.domain.money import format_amount
from payments.domain.values import (
    AmountNotAllowed,
    IdempotencyConflict,
    PaymentInProgress,
    PaymentOutcome,
    PaymentRequest,
    PaymentStatus,
    PlanStatus,
    UnknownPlan,
)
from payments.gateways.base import ChargeRequest
from payments.services.accounts import CHARGED, outcome_of, plan_summary
from payments.services.charging import ChargeResult
from payments.services.recording import actor_of, answer_changes, write_changes
from payments.storage import audit
from payments.storage.ledger import PlanLedger, plan_ledger, plan_ledger_and_key
from payments.storage.new_payment import charge_request, insert_pending_payment
from payments.storage.repository import (
    KeyedPayment,
    lock_members_plan,
    lock_plan_of_payment,
    payment_by_key,
    payment_row,
)
from payments.storage.tables import PAYMENTS
from payments.storage.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)

RESERVE_ATTEMPTS = 3
POLL_SECONDS = 0.05

_MARK_UNRESOLVED = (
    update(PAYMENTS).where(PAYMENTS.c.id == bindparam("payment_pk")).values(unresolved=True)
)


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
        now, key = self._clock(), request.idempotency_key
        with self._uow() as uow:
            conn = uow.connection
            plan_pk = lock_members_plan(conn, request.subscriber_id, request.plan_id)
            # The key is looked up under the plan's lock: a replay racing its first request
            # waits for it here, then finds its payment, not a balance it already reserved.
            ledger, key_taken = None, True
            if plan_pk is not None:
                ledger, key_taken = plan_ledger_and_key(conn, plan_pk, key)
            existing = payment_by_key(conn, key) if key_taken else None
            if existing is None:
                if ledger is None:
                    raise UnknownPlan(f"{request.plan_id} is not a plan of this subscriber")
                payment_id, confirmation = self._new_payment(conn, ledger, request, now)
                uow.commit()
                return payment_id, charge_request(request, confirmation)
            _check_same_request(existing, request)
        return self.wait_for(existing.id)

    def _new_payment(
        self, conn: Connection, ledger: PlanLedger, request: PaymentRequest, now: datetime
    ) -> tuple[int, str]:
        summary = plan_summary(ledger, eastern_date(now))
        if summary.status is PlanStatus.TERMINATED:
            raise AmountNotAllowed("a terminated plan cannot be paid by phone")
        if request.amount > summary.balance:
            raise AmountNotAllowed(f"at most {format_amount(summary.balance)} can be paid now")
        return insert_pending_payment(conn, ledger.pk, request, now)

    def wait_for(self, payment_id: int) -> PaymentOutcome:
        """The payment's outcome once it is no longer PENDING."""
        deadline = time.monotonic() + self._pending_wait
        while True:
            with self._uow.reader() as uow:
                payment = payment_row(uow.connection, payment_id)
                if payment["status"] != PaymentStatus.PENDING.value:
                    ledger = plan_ledger(uow.connection, payment["plan_id"])
                    return outcome_of(payment, ledger, eastern_date(self._clock()))
            if time.monotonic() >= deadline:
                raise PaymentInProgress(f"payment {payment['confirmation']} is still in progress")
            time.sleep(POLL_SECONDS)

    def record(
        self, payment_id: int, result: ChargeResult, actor: str | None = None
    ) -> PaymentOutcome:
        """Record the gateway's answer on a PENDING payment (any other status is left alone)."""
        now = self._clock()
        with self._uow() as uow:
            conn = uow.connection
            subject, payment = lock_plan_of_payment(conn, payment_id)
            ledger = plan_ledger(conn, payment["plan_id"])  # read under the plan's lock
            changes = None
            if payment["status"] == PaymentStatus.PENDING.value:
                who = actor or actor_of(payment)
                changes = answer_changes(payment, subject, ledger, result, now, who)
            if changes is not None and write_changes(conn, payment_id, changes):
                payment, ledger = {**payment, **changes.payment}, changes.ledger
            else:
                payment = _already_answered(conn, payment_id, result)
            uow.commit()
        return outcome_of(payment, ledger, eastern_date(now))

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
    payment = payment_row(conn, payment_id, lock=True)
    if result.response.approved and PaymentStatus(payment["status"]) not in CHARGED:
        # Resolved meanwhile (by reconciliation) as not charged: make that stay true.
        log.error("payment %s was charged after being closed", payment["confirmation"])
        conn.execute(_MARK_UNRESOLVED, {"payment_pk": payment_id})
    return payment


def _check_same_request(payment: KeyedPayment, request: PaymentRequest) -> None:
    same = payment.plan_id == request.plan_id and payment.amount == request.amount
    if not same or payment.subscriber_id != request.subscriber_id:
        raise IdempotencyConflict("this idempotency key was used for a different payment")
