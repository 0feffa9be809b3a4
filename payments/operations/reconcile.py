"""Reconciliation (an operator job): settle what a live call could not learn from the gateway.

- A payment left PENDING (its worker died mid-call) is looked up by idempotency key and given
  the gateway's answer; "never received" makes it FAILED.
- A payment recorded FAILED but `unresolved` (the caller was told "not charged" while the
  gateway could not be asked, see payments.services.charging) is looked up again; a charge
  found there is reversed, so that what the caller was told stays true.
Only payments older than `stale_after` are touched, so in-flight requests are left alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from payments.domain.clock import Clock, system_clock
from payments.domain.values import PaymentStatus
from payments.gateways.base import Gateway, GatewayUnavailable
from payments.services.charging import NOT_RECEIVED, ChargeResult
from payments.services.submission import Reserver
from payments.storage import audit
from payments.storage.models import Payment
from payments.storage.repository import lock_payment
from payments.storage.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=15)


@dataclass
class ReconcileReport:
    resolved: int = 0  # PENDING payments given their final status
    reversed: int = 0  # charges found after "not charged" was said, given back
    confirmed: int = 0  # "not charged" confirmed by the gateway
    still_unknown: int = 0  # gateway still unreachable: run again later


def reconcile_payments(
    uow_factory: UnitOfWorkFactory,
    gateway: Gateway,
    clock: Clock = system_clock,
    stale_after: timedelta = STALE_AFTER,
) -> ReconcileReport:
    report = ReconcileReport()
    cutoff = clock() - stale_after
    reserver = Reserver(uow_factory, clock, pending_wait=0)
    for payment_id, key in _stale(uow_factory, cutoff, PaymentStatus.PENDING, unresolved=False):
        try:
            answer = gateway.lookup(key)
        except GatewayUnavailable:
            report.still_unknown += 1
            continue
        reserver.record(payment_id, ChargeResult(answer or NOT_RECEIVED), actor=audit.SYSTEM)
        report.resolved += 1
    for payment_id, key in _stale(uow_factory, cutoff, PaymentStatus.FAILED, unresolved=True):
        try:
            _settle_unresolved(uow_factory, gateway, clock, payment_id, key, report)
        except GatewayUnavailable:
            report.still_unknown += 1
    return report


def _stale(
    uow_factory: UnitOfWorkFactory, cutoff: datetime, status: PaymentStatus, unresolved: bool
) -> list[tuple[int, str]]:
    query = select(Payment.id, Payment.idempotency_key).where(
        Payment.status == status.value,
        Payment.unresolved.is_(unresolved),
        Payment.updated_at < cutoff,
    )
    with uow_factory() as uow:
        return [
            (row.id, row.idempotency_key) for row in uow.session.execute(query.order_by(Payment.id))
        ]


def _settle_unresolved(
    uow_factory: UnitOfWorkFactory,
    gateway: Gateway,
    clock: Clock,
    payment_id: int,
    key: str,
    report: ReconcileReport,
) -> None:
    """Reverse a charge the caller was told did not happen, or confirm there is none."""
    answer = gateway.lookup(key)
    if answer is not None and answer.approved:
        gateway.reverse(key)
        log.warning("payment %s: late charge found and reversed", key)
    with uow_factory() as uow:
        payment = lock_payment(uow.session, payment_id)
        if payment.status != PaymentStatus.FAILED.value or not payment.unresolved:
            return  # settled meanwhile by another run
        payment.unresolved = False
        payment.updated_at = clock()
        action = "payment.confirmed_not_charged"
        if answer is not None and answer.approved:
            payment.status = PaymentStatus.REFUNDED.value
            payment.gateway_ref = answer.transaction_id
            action = "payment.reversed"
        audit.record(
            uow.connection,
            payment.updated_at,
            audit.SYSTEM,
            action,
            payment.plan.member.subscriber_id,
            confirmation=payment.confirmation,
        )
        uow.commit()
    if action == "payment.reversed":
        report.reversed += 1
    else:
        report.confirmed += 1
