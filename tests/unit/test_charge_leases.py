"""A charge outlives the process that started it: its lease is renewed while it runs, and a
lapsed lease is taken over by exactly one other process through the processor's key lookup."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from payments.domain.values import PaymentStatus
from payments.gateways.sandbox import SLOW_CARD, SandboxGateway
from payments.services.service import PaymentService
from payments.storage.models import Payment
from tests.doubles import FakeClock
from tests.unit.test_payments_service import ANA, card, pay


class HungGateway:
    """A processor that never answers this process (a worker killed mid-charge); `reached`
    says whether the charge got there first."""

    def __init__(self, inner: SandboxGateway, reached: bool) -> None:
        self.inner, self.reached, self.release = inner, reached, threading.Event()

    def charge(self, request):
        if self.reached:
            self.inner.charge(request)
        self.release.wait(10)
        raise RuntimeError("the worker is gone")

    def lookup(self, key):
        return self.inner.lookup(key)


@pytest.fixture()
def two_workers(database, clock):
    """A worker whose charges hang (it dies) and a live one on the same database."""
    engine, uow = database
    hung = HungGateway(SandboxGateway(engine, slow_seconds=0), reached=True)
    dead = PaymentService(uow, hung, clock)
    later = FakeClock(clock.now)
    alive = PaymentService(uow, SandboxGateway(engine, slow_seconds=0), later)
    yield dead, alive, hung, later, uow
    hung.release.set()
    dead.close()
    alive.close()


def status(uow, key: str) -> tuple[str, bool]:
    with uow.reader() as work:
        payment = work.session.scalars(select(Payment).where(Payment.idempotency_key == key)).one()
        return payment.status, payment.unresolved


def test_a_lapsed_lease_is_taken_over_and_the_processors_answer_recorded(two_workers) -> None:
    dead, alive, _, later, uow = two_workers
    dead.start_payment(pay(ANA, "H-100000000001", "45.00", "k1", card()))
    assert alive.outcome("k1").status is PaymentStatus.PENDING  # still answered for
    later.advance(seconds=11)  # the dead worker's lease lapsed
    alive.outcome("k1")  # the next poll takes it over
    found = alive.outcome("k1", wait=5)
    assert found.status is PaymentStatus.APPROVED and found.confirmation
    assert status(uow, "k1") == ("approved", False)


def test_a_charge_that_never_reached_the_processor_is_recorded_not_charged(two_workers) -> None:
    dead, alive, hung, later, uow = two_workers
    hung.reached = False
    dead.start_payment(pay(ANA, "H-100000000001", "45.00", "k2", card()))
    later.advance(seconds=11)
    alive.outcome("k2")
    found = alive.outcome("k2", wait=5)
    assert found.status is PaymentStatus.FAILED  # told "not charged"
    assert status(uow, "k2") == ("failed", True)  # reconciliation reverses a late charge


def test_only_one_process_takes_a_lapsed_charge_over(two_workers, database) -> None:
    dead, alive, _, later, uow = two_workers
    third = PaymentService(uow, SandboxGateway(database[0], slow_seconds=0), later)
    try:
        dead.start_payment(pay(ANA, "H-100000000001", "45.00", "k3", card()))
        later.advance(seconds=11)
        claims = [alive._leases.claim("k3"), third._leases.claim("k3")]
        assert sorted(claim is not None for claim in claims) == [False, True]
    finally:
        third.close()


def test_a_live_slow_charge_keeps_its_lease(database, clock) -> None:
    engine, uow = database
    release = threading.Event()
    slow = SandboxGateway(engine, slow_seconds=1, sleep=lambda _: release.wait(10))
    charging = PaymentService(uow, slow, clock)
    other = PaymentService(uow, SandboxGateway(engine), clock)
    try:
        charging.start_payment(pay(ANA, "H-100000000001", "45.00", "k4", card(SLOW_CARD)))
        clock.advance(seconds=8)
        charging._leases.renew()  # what its renewing thread does every few seconds
        clock.advance(seconds=8)  # 16 s after the start: past the first lease, not the renewed
        assert other.outcome("k4").status is PaymentStatus.PENDING
        assert other._leases.claim("k4") is None
        release.set()
        assert charging.outcome("k4", wait=5).status is PaymentStatus.APPROVED
    finally:
        release.set()
        charging.close()
        other.close()


def test_leases_are_renewed_only_for_charges_in_flight(database, clock) -> None:
    engine, uow = database
    service = PaymentService(uow, SandboxGateway(engine), clock)
    try:
        service.submit_payment(pay(ANA, "H-100000000001", "45.00", "k5", card()))
        with uow.reader() as work:
            lease = work.session.scalars(select(Payment.lease_until)).one()
        clock.advance(minutes=1)
        service._leases.renew()
        with uow.reader() as work:
            assert work.session.scalars(select(Payment.lease_until)).one() == lease
        assert lease == clock.now - timedelta(minutes=1) + timedelta(seconds=10)
    finally:
        service.close()
