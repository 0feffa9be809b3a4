"""Reconciliation (an operator job, run on a schedule): settle what a call could not learn.

- A payment left PENDING (its process died mid-charge, or its answer could not be recorded) is
  looked up at the processor by idempotency key and given the processor's answer; "never
  received" makes it FAILED.
- A payment recorded FAILED but `unresolved` (the caller was told "not charged" while the
  processor could not be asked, see services.charging) is looked up again; a charge found there
  is reversed, so that what the caller was told stays true.

Only payments untouched for `stale_after` are looked at. That is longer than any charge can stay
in flight (the gateway's timeout, then the recording retries), so a charge still running in a
server is never settled from here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, select, update

from payments.domain.clock import Clock, system_clock
from payments.domain.values import PaymentStatus
from payments.gateways.base import Gateway, GatewayResponse, GatewayUnavailable
from payments.services.charging import NOT_RECEIVED, ChargeResult
from payments.services.submission import Reserver
from payments.storage import audit
from payments.storage.repository import lock_plan_of_payment
from payments.storage.sqltypes import UTCDateTime
from payments.storage.tables import PAYMENTS
from payments.storage.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=5)

_STALE = (
    select(PAYMENTS.c.id, PAYMENTS.c.idempotency_key)
    .where(
        PAYMENTS.c.status == bindparam("status"),
        PAYMENTS.c.unresolved == bindparam("unresolved"),
        PAYMENTS.c.updated_at < bindparam("cutoff", type_=UTCDateTime()),
    )
    .order_by(PAYMENTS.c.id)
)
_CLOSE_UNRESOLVED = (
    update(PAYMENTS)
    .where(PAYMENTS.c.id == bindparam("payment_pk"), PAYMENTS.c.unresolved)
    .values(unresolved=False)
)


@dataclass
class ReconcileReport:
    resolved: int = 0  # PENDING payments given their final status
    reversed: int = 0  # charges found after "not charged" was said, given back
    confirmed: int = 0  # "not charged" confirmed by the processor
    still_unknown: int = 0  # processor still unreachable: run again later


def reconcile_payments(
    uow_factory: UnitOfWorkFactory,
    gateway: Gateway,
    clock: Clock = system_clock,
    stale_after: timedelta = STALE_AFTER,
) -> ReconcileReport:
    report = ReconcileReport()
    cutoff = clock() - stale_after
    reserver = Reserver(uow_factory, clock)
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
            reversed_it = _settle_unresolved(uow_factory, gateway, clock, payment_id, key)
        except GatewayUnavailable:
            report.still_unknown += 1
            continue
        if reversed_it:
            report.reversed += 1
        else:
            report.confirmed += 1
    return report


def reconcile_every(seconds: float, run: Callable[[], object], rounds: int | None = None) -> None:
    """Run `run()` every `seconds` (forever, or `rounds` times), logging failures and going on."""
    done = 0
    while rounds is None or done < rounds:
        started = time.monotonic()
        try:
            run()
        except Exception:  # noqa: BLE001 - a scheduled job keeps its schedule
            log.exception("reconciliation failed; trying again next round")
        done += 1
        if rounds is None or done < rounds:
            time.sleep(max(0.0, seconds - (time.monotonic() - started)))


def _stale(
    uow_factory: UnitOfWorkFactory, cutoff: datetime, status: PaymentStatus, unresolved: bool
) -> list[tuple[int, str]]:
    params = {"status": status.value, "unresolved": unresolved, "cutoff": cutoff}
    with uow_factory.reader() as uow:
        return [(row.id, row.idempotency_key) for row in uow.connection.execute(_STALE, params)]


def _settle_unresolved(
    uow_factory: UnitOfWorkFactory, gateway: Gateway, clock: Clock, payment_id: int, key: str
) -> bool:
    """Reverse a charge the caller was told did not happen, or confirm there is none. True when
    a charge was found and reversed."""
    answer = gateway.lookup(key)
    charged = answer is not None and answer.approved
    if charged:
        gateway.reverse(key)
        log.warning("payment %s: late charge found and reversed", key)
    now = clock()
    with uow_factory() as uow:
        conn = uow.connection
        subject, payment = lock_plan_of_payment(conn, payment_id)
        if not conn.execute(_CLOSE_UNRESOLVED, {"payment_pk": payment_id}).rowcount:
            return False  # settled meanwhile by another run
        action = "payment.confirmed_not_charged"
        if charged:
            _mark_refunded(conn, payment_id, answer, now)
            action = "payment.reversed"
        audit.record(conn, now, audit.SYSTEM, action, subject, confirmation=payment["confirmation"])
        uow.commit()
    return charged


def _mark_refunded(
    conn: Connection, payment_id: int, answer: GatewayResponse | None, now: datetime
) -> None:
    values: dict[str, object] = {"status": PaymentStatus.REFUNDED.value, "updated_at": now}
    if answer is not None:
        values["gateway_ref"] = answer.transaction_id
    conn.execute(update(PAYMENTS).where(PAYMENTS.c.id == payment_id).values(**values))
