"""Bank debits, card-data hygiene, gateway failures and concurrency, on SQLite."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select, text

from payments.bank.originator import AchOriginator
from payments.bank.sealing import Sealer
from payments.domain.errors import (
    AmountNotAllowed,
    AuthorizationRequired,
    InvalidInstrument,
    PaymentInProgress,
)
from payments.domain.instruments import AccountType, BankDetails, CardDetails
from payments.domain.values import Channel, PaymentRequest, PaymentStatus, TelAuthorization
from payments.gateways.base import ChargeRequest
from payments.gateways.routing import ByMethod
from payments.gateways.sandbox import SandboxGateway
from payments.operations.reconcile import reconcile_payments
from payments.services.service import PaymentService
from payments.storage.models import BankAuthorization, Payment
from tests.doubles import DeadCharger, FlakyGateway

D = Decimal
NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
ANA, LUIS = "100000000001", "100000000002"
ACCOUNT = "000123456789"
VISA = "4242424242424242"


@pytest.fixture()
def sandbox(database):
    return FlakyGateway(SandboxGateway(database[0]))  # no faults: it counts the charges


def service_with(db, gateway, clock) -> PaymentService:
    """Cards through `gateway`, bank accounts through the line's own ACH originator."""
    bank = AchOriginator(db.engine, Sealer.ephemeral(), clock)
    return PaymentService(db, ByMethod(gateway, bank), clock)


def authorization(last4: str = ACCOUNT[-4:]) -> TelAuthorization:
    words = (
        f"You authorize Massachusetts Health Connector to make a single ACH debit of $412.50 "
        f"on or after November 10, 2026 from your checking account ending in {last4}. "
        "Questions: 1-877-623-6765, Monday to Friday, 8 am to 6 pm. Today is November 10, 2026."
    )
    return TelAuthorization(words, NOW, "CA-bank", "1")


def bank_request(key: str, account: str = ACCOUNT, auth: TelAuthorization | None = None):
    return PaymentRequest(
        subscriber_id=LUIS,
        plan_id="H-100000000002",
        amount=D("412.50"),
        instrument=BankDetails(AccountType.CHECKING, "011000015", account),
        channel=Channel.RELAY,
        idempotency_key=key,
        call_sid="CA-bank",
        authorization=auth,
    )


def card_request(key: str, amount: str = "45.00", number: str = VISA) -> PaymentRequest:
    return PaymentRequest(
        subscriber_id=ANA,
        plan_id="H-100000000001",
        amount=D(amount),
        instrument=CardDetails(number, 12, 2030, "123", "02110"),
        channel=Channel.VOICE,
        idempotency_key=key,
        call_sid="CA-card",
    )


def all_stored_text(engine) -> str:
    """Every value of every row of every table, as one string."""
    chunks = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                chunks.extend(str(value) for value in row)
    return "\n".join(chunks)


# --- bank debits and what is stored -----------------------------------------------------


def test_bank_debit_needs_an_authorization(db, sandbox, clock):
    with pytest.raises(AuthorizationRequired):
        service_with(db, sandbox, clock).submit_payment(bank_request("k"))
    assert sandbox.charge_calls == 0


def test_authorization_quoting_the_full_account_is_refused(db, sandbox, clock):
    with pytest.raises(InvalidInstrument) as refused:
        service_with(db, sandbox, clock).submit_payment(
            bank_request("k", auth=authorization(ACCOUNT))
        )
    assert ACCOUNT not in str(refused.value)


def test_bank_debit_stores_the_authorization_and_never_the_account(database, sandbox, clock):
    engine, db = database
    outcome = service_with(db, sandbox, clock).submit_payment(
        bank_request("k", auth=authorization())
    )
    assert outcome.status is PaymentStatus.APPROVED and outcome.remaining_balance == 0
    with db() as uow:
        record = uow.session.scalars(select(BankAuthorization)).one()
        payment = uow.session.scalars(select(Payment)).one()
        assert record.text == authorization().text and record.accepting_key == "1"
        assert (record.call_sid, record.accepted_at) == ("CA-bank", NOW)
        assert record.retain_until == datetime(2028, 11, 10, 15, 0, tzinfo=UTC)
        assert (payment.method, payment.last4, payment.account_type) == ("bank", "6789", "checking")
        assert payment.gateway_ref.startswith("ach_")
    assert ACCOUNT not in all_stored_text(engine)


def test_card_numbers_are_stored_nowhere(database, sandbox, clock):
    engine, db = database
    service = service_with(db, sandbox, clock)
    service.submit_payment(card_request("a", "5.00"))
    service.submit_payment(card_request("b", "5.00", "4000000000000002"))
    stored = all_stored_text(engine)
    assert VISA not in stored and "4000000000000002" not in stored
    assert "4242" in stored  # the last 4 are kept: the scan does see payment rows


# --- the gateway cannot be reached: the caller is still told the truth -------------------


@pytest.mark.parametrize(
    ("charges", "lookups", "status", "charged"),
    [
        (["lose_reply"], [], PaymentStatus.APPROVED, True),  # lookup finds the charge
        (["drop"], [], PaymentStatus.FAILED, False),  # lookup: never received
        (["crash"], [], PaymentStatus.FAILED, False),  # adapter bug, never sent
        (["drop"], ["down"], PaymentStatus.APPROVED, True),  # retried with the same key
        (["lose_reply", "ok"], ["down"], PaymentStatus.APPROVED, True),  # retry: same answer
        (["drop", "drop"], ["down"], PaymentStatus.FAILED, False),  # nothing works
    ],
)
def test_gateway_trouble_never_leaves_the_outcome_unknown(
    db, sandbox, clock, charges, lookups, status, charged
):
    gateway = FlakyGateway(sandbox, charges, lookups)
    outcome = service_with(db, gateway, clock).submit_payment(card_request("k"))
    assert (outcome.status, outcome.charged) == (status, charged)
    assert sandbox.charged_cents() == (4500 if charged else 0)
    assert sandbox.charges() <= 1


def test_a_charge_that_lands_after_we_said_not_charged_is_reversed(db, sandbox, clock):
    gateway = FlakyGateway(sandbox, ["lose_reply", "lose_reply"], ["down"])
    outcome = service_with(db, gateway, clock).submit_payment(card_request("k"))
    assert (outcome.status, outcome.charged) == (PaymentStatus.FAILED, False)
    assert sandbox.charged_cents() == 4500  # the gateway did take it
    assert reconcile_payments(db, sandbox, clock).reversed == 0  # too recent: maybe in flight
    clock.advance(minutes=20)
    report = reconcile_payments(db, sandbox, clock)
    assert (report.reversed, sandbox.charged_cents()) == (1, 0)
    with db() as uow:
        payment = uow.session.scalars(select(Payment)).one()
        assert (payment.status, payment.unresolved) == ("refunded", False)
    assert reconcile_payments(db, sandbox, clock).reversed == 0


def test_reconcile_confirms_not_charged(db, sandbox, clock):
    service_with(db, FlakyGateway(sandbox, ["drop"]), clock).submit_payment(card_request("k"))
    clock.advance(minutes=20)
    assert reconcile_payments(db, sandbox, clock).confirmed == 1
    with db() as uow:
        assert uow.session.scalars(select(Payment.unresolved)).one() is False


def test_reconcile_finishes_a_payment_whose_server_died_mid_charge(db, sandbox, clock):
    request = card_request("k")
    dead = PaymentService(db, sandbox, clock, charger=DeadCharger())
    with pytest.raises(PaymentInProgress):
        dead.submit_payment(request, wait=0)
    sandbox.charge(ChargeRequest("k", 4500, request.instrument, "sent before the crash"))
    restarted = service_with(db, sandbox, clock)
    assert restarted.account_summary(ANA).plan("H-100000000001").balance == 0  # still held
    assert reconcile_payments(db, sandbox, clock).resolved == 0  # too recent: maybe in flight
    clock.advance(minutes=20)
    assert reconcile_payments(db, sandbox, clock).resolved == 1
    assert restarted.recent_payments(ANA)[0].status is PaymentStatus.APPROVED
    plan = restarted.account_summary(ANA).plan("H-100000000001")
    assert (plan.balance, plan.paid_through) == (0, date(2026, 12, 31))


def test_reconcile_fails_a_payment_the_processor_never_received(db, sandbox, clock):
    dead = PaymentService(db, sandbox, clock, charger=DeadCharger())
    with pytest.raises(PaymentInProgress):
        dead.submit_payment(card_request("k"), wait=0)
    clock.advance(minutes=20)
    assert reconcile_payments(db, sandbox, clock).resolved == 1
    restarted = service_with(db, sandbox, clock)
    assert restarted.outcome("k").status is PaymentStatus.FAILED
    assert restarted.account_summary(ANA).plan("H-100000000001").balance == D("45.00")
    assert sandbox.charged_cents() == 0


# --- concurrency ------------------------------------------------------------------------


class SlowGateway(FlakyGateway):
    """Holds each charge a moment, so concurrent requests overlap."""

    def charge(self, request):
        threading.Event().wait(0.05)
        return super().charge(request)


def test_concurrent_full_payments_approve_exactly_one(database, db, clock):
    gateway = SlowGateway(SandboxGateway(database[0]))
    service = service_with(db, gateway, clock)

    def attempt(i: int):
        try:
            return service.submit_payment(card_request(f"key-{i}")).status
        except AmountNotAllowed:
            return "refused"

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(attempt, range(8)))
    assert results.count(PaymentStatus.APPROVED) == 1 and results.count("refused") == 7
    assert gateway.charged_cents() == 4500


def test_concurrent_replays_of_one_key_charge_once(database, db, clock):
    gateway = SlowGateway(SandboxGateway(database[0]))
    service = service_with(db, gateway, clock)
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _: service.submit_payment(card_request("same")), range(4)))
    assert len({o.confirmation for o in outcomes}) == 1 and outcomes[0].charged
    assert gateway.charges() == 1 and gateway.charge_calls == 1
    with db() as uow:
        assert len(uow.session.scalars(select(Payment)).all()) == 1


class Held(FlakyGateway):
    """Keeps each charge at the processor until the test releases it."""

    def __init__(self, inner) -> None:
        super().__init__(inner)
        self.started, self.release = threading.Event(), threading.Event()

    def charge(self, request):
        self.started.set()
        self.release.wait(5)
        return super().charge(request)


def test_reservation_counts_pending_payments(database, db, clock):
    gateway = Held(SandboxGateway(database[0]))
    started, release = gateway.started, gateway.release
    service = service_with(db, gateway, clock)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(service.submit_payment, card_request("a", "40.00"))
        assert started.wait(5)
        assert service.account_summary(ANA).plan("H-100000000001").balance == D("5.00")
        with pytest.raises(AmountNotAllowed):
            service.submit_payment(card_request("b", "5.01"))
        release.set()
        assert first.result().remaining_balance == D("5.00")


def test_a_replay_while_the_first_is_at_the_processor_waits_and_never_charges_again(
    database, db, clock
):
    gateway = Held(SandboxGateway(database[0]))
    service = service_with(db, gateway, clock)
    service.start_payment(card_request("k"))
    assert gateway.started.wait(5)
    with pytest.raises(PaymentInProgress):
        service.submit_payment(card_request("k"), wait=0.1)
    assert service.outcome("k").status is PaymentStatus.PENDING
    gateway.release.set()
    assert service.outcome("k", wait=5).charged
    assert service.submit_payment(card_request("k")).charged and gateway.charge_calls == 1


def test_binder_recorded_late_by_reconciliation_keeps_the_day_it_was_paid(db, sandbox, clock):
    clock.now = datetime(2026, 11, 24, 4, 50, tzinfo=UTC)  # 23:50 on the 23rd in Boston
    mei = PaymentRequest(
        "100000000003",
        "H-100000000003",
        D("289.00"),
        card_request("x").instrument,
        Channel.VOICE,
        "binder",
    )
    dead = PaymentService(db, sandbox, clock, charger=DeadCharger())
    with pytest.raises(PaymentInProgress):
        dead.submit_payment(mei, wait=0)
    sandbox.charge(ChargeRequest("binder", 28900, mei.instrument, "sent before the crash"))
    clock.advance(minutes=20)  # now the 24th
    assert reconcile_payments(db, sandbox, clock).resolved == 1
    outcome = service_with(db, sandbox, clock).submit_payment(mei)  # replay: the stored outcome
    assert outcome.coverage_start == date(2026, 12, 1) and outcome.charged
