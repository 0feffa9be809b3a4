"""The payments services where money is at stake when a step fails: a charge whose answer could
not be written, the retries that write it, and reconciliation. Written against surviving mutants
of `make mutation`: each test names the behaviour it protects."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from payments.domain.values import DeclineReason, PaymentStatus, PlanStatus
from payments.gateways.base import GatewayResponse
from payments.gateways.sandbox import SandboxGateway
from payments.operations.reconcile import ReconcileReport, reconcile_payments
from payments.services import service as service_module
from payments.services.charging import ChargeResult
from payments.services.service import PaymentService
from payments.services.submission import Reserver
from payments.storage.models import AuditEvent, Payment
from tests.doubles import DeadCharger, FlakyGateway
from tests.unit.test_payments_service import LUIS, MEI, pay

D = Decimal
LUIS_PLAN, MEI_PLAN = "H-100000000002", "H-100000000003"
APPROVED = ChargeResult(GatewayResponse(True, "txn_1"))
NO_FUNDS = ChargeResult(GatewayResponse(False, None, DeclineReason.INSUFFICIENT_FUNDS))


@pytest.fixture()
def sandbox(database):
    return SandboxGateway(database[0])


@pytest.fixture()
def services():
    """Services made by the test, closed (their charges finished) at its end."""
    made: list[PaymentService] = []
    yield made
    for service in made:
        service.close()


def audit_events(db) -> list[AuditEvent]:
    with db() as uow:
        events = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        uow.session.expunge_all()
        return list(events)


def stored(db, key: str) -> Payment:
    with db() as uow:
        payment = uow.session.scalars(select(Payment).where(Payment.idempotency_key == key)).one()
        uow.session.expunge(payment)
        return payment


# --- a charge whose answer cannot be written yet -------------------------------------------


def test_an_approval_not_yet_written_is_told_with_its_number_and_what_it_leaves(db, clock):
    reserver = Reserver(db, clock)
    reservation = reserver.reserve(pay(LUIS, LUIS_PLAN, "100.00", "k"))
    told = reserver.unrecorded_outcome(reservation, APPROVED)
    assert (told.status, told.confirmation, told.amount) == (
        PaymentStatus.APPROVED,
        reservation.payment["confirmation"],
        D("100.00"),
    )
    assert (told.remaining_balance, told.plan_status, told.paid_through) == (
        D("312.50"),
        PlanStatus.ACTIVE,
        date(2026, 11, 30),
    )
    assert stored(db, "k").status == PaymentStatus.PENDING.value  # nothing was written


def test_a_binder_approval_not_yet_written_is_told_when_coverage_starts(db, clock):
    reserver = Reserver(db, clock)
    reservation = reserver.reserve(pay(MEI, MEI_PLAN, "289.00", "k"))
    told = reserver.unrecorded_outcome(reservation, APPROVED)
    assert (told.charged, told.plan_status, told.coverage_start, told.remaining_balance) == (
        True,
        PlanStatus.ACTIVE,
        date(2026, 12, 1),
        D("0.00"),
    )


def test_a_decline_not_yet_written_is_told_not_charged_with_the_balance_unchanged(db, clock):
    reserver = Reserver(db, clock)
    reservation = reserver.reserve(pay(LUIS, LUIS_PLAN, "100.00", "k"))
    told = reserver.unrecorded_outcome(reservation, NO_FUNDS)
    assert (told.status, told.charged, told.confirmation, told.decline_reason) == (
        PaymentStatus.DECLINED,
        False,
        None,
        DeclineReason.INSUFFICIENT_FUNDS,
    )
    assert told.remaining_balance == D("412.50")


def test_an_answer_that_could_not_be_written_is_written_by_the_retries(
    db, sandbox, clock, services, monkeypatch
):
    real_record, failures = Reserver.record, []

    def fails_twice(self, payment_id, result, actor=None):
        if len(failures) < 2:
            failures.append(payment_id)
            raise OperationalError("UPDATE payments", {}, Exception("server closed"))
        return real_record(self, payment_id, result, actor)

    monkeypatch.setattr(Reserver, "record", fails_twice)
    monkeypatch.setattr(service_module, "RECORD_RETRY_DELAYS", (0, 0))
    service = PaymentService(db, FlakyGateway(sandbox), clock)
    told = service.submit_payment(pay(LUIS, LUIS_PLAN, "100.00", "k"))
    assert told.charged and told.remaining_balance == D("312.50")
    service.close()  # the retries run on the charger's threads: finished once it is closed
    assert len(failures) == 2
    payment = stored(db, "k")
    assert (payment.status, payment.confirmation) == ("approved", told.confirmation)


# --- reconciliation ------------------------------------------------------------------------


def pending_payments(db, sandbox, clock, services, count: int) -> list[str]:
    """`count` payments of Luis left PENDING by a server that died mid-charge (each in a call
    of its own, so the card-testing limit does not refuse them)."""
    dead = PaymentService(db, sandbox, clock, charger=DeadCharger())
    services.append(dead)
    keys = [f"pending-{i}" for i in range(count)]
    for i, key in enumerate(keys):
        dead.start_payment(replace(pay(LUIS, LUIS_PLAN, "1.00", key), call_sid=f"CA{i}"))
    return keys


def failed_unresolved(db, sandbox, clock, services, key: str, charged: bool) -> None:
    """A payment of Luis the caller was told was not charged, while the processor could not be
    asked; `charged`: the charge did land at the processor meanwhile."""
    script = (["lose_reply", "lose_reply"], ["down"]) if charged else (["drop"], [])
    service = PaymentService(db, FlakyGateway(sandbox, *script), clock)
    services.append(service)
    told = service.submit_payment(pay(LUIS, LUIS_PLAN, "1.00", key))
    assert (told.status, stored(db, key).unresolved) == (PaymentStatus.FAILED, True)


def test_reconciliation_goes_on_past_payments_the_processor_cannot_be_asked_about(
    db, sandbox, clock, services
):
    keys = pending_payments(db, sandbox, clock, services, 4)
    clock.advance(minutes=20)
    gateway = FlakyGateway(sandbox, lookups=["down", "down"])
    assert reconcile_payments(db, gateway, clock) == ReconcileReport(resolved=2, still_unknown=2)
    statuses = [stored(db, key).status for key in keys]
    assert statuses == ["pending", "pending", "failed", "failed"]  # never received: not charged


def test_reconciliation_counts_each_reversal_and_confirmation_and_goes_on_past_unknowns(
    db, sandbox, clock, services
):
    failed_unresolved(db, sandbox, clock, services, "unknown-1", charged=False)
    failed_unresolved(db, sandbox, clock, services, "unknown-2", charged=False)
    for key in ("late-1", "late-2"):
        failed_unresolved(db, sandbox, clock, services, key, charged=True)
    for key in ("never-1", "never-2"):
        failed_unresolved(db, sandbox, clock, services, key, charged=False)
    clock.advance(minutes=20)
    gateway = FlakyGateway(sandbox, lookups=["down", "down"])
    report = reconcile_payments(db, gateway, clock)
    assert report == ReconcileReport(reversed=2, confirmed=2, still_unknown=2)
    assert sandbox.charged_cents() == 0  # both late charges given back
    for key in ("late-1", "late-2"):
        payment = stored(db, key)
        assert (payment.status, payment.unresolved) == ("refunded", False)
        # the refund points at the processor's own record of the late charge
        late_charge = sandbox.lookup(key)
        assert late_charge is not None and payment.gateway_ref == late_charge.transaction_id
    assert [stored(db, key).unresolved for key in ("unknown-1", "unknown-2")] == [True, True]
    # the audit trail says what reconciliation did to each payment, by its confirmation number
    settled = {
        event.details["confirmation"]: event.action
        for event in audit_events(db)
        if event.actor == "system"
        and event.action in ("payment.reversed", "payment.confirmed_not_charged")
    }
    assert None not in settled and len(settled) == 4
    assert settled == {
        **{stored(db, key).confirmation: "payment.reversed" for key in ("late-1", "late-2")},
        **{
            stored(db, key).confirmation: "payment.confirmed_not_charged"
            for key in ("never-1", "never-2")
        },
    }


class AnotherRunMeanwhile(FlakyGateway):
    """While this reconciliation asks the processor, another run settles the same payment."""

    def __init__(self, inner, db, clock) -> None:
        super().__init__(inner)
        self.other_run = lambda: reconcile_payments(db, inner, clock)
        self.reports: list[ReconcileReport] = []

    def lookup(self, idempotency_key):
        if not self.reports:
            self.reports.append(self.other_run())
        return super().lookup(idempotency_key)


def test_a_payment_settled_by_another_run_meanwhile_is_not_counted_as_a_reversal(
    db, sandbox, clock, services
):
    failed_unresolved(db, sandbox, clock, services, "never", charged=False)
    clock.advance(minutes=20)
    gateway = AnotherRunMeanwhile(sandbox, db, clock)
    report = reconcile_payments(db, gateway, clock)
    assert gateway.reports == [ReconcileReport(confirmed=1)]
    assert report.reversed == 0 and sandbox.charged_cents() == 0
