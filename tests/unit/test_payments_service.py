"""PaymentService on a migrated SQLite file: verification, summaries, payments."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from payments.domain.confirmation import is_confirmation
from payments.domain.errors import (
    AmountNotAllowed,
    IdempotencyConflict,
    InvalidInstrument,
    UnknownPlan,
    UnknownSubscriber,
)
from payments.domain.instruments import CardDetails
from payments.domain.values import (
    Channel,
    DeclineReason,
    PaymentRequest,
    PaymentStatus,
    PlanStatus,
    VerifyResult,
)
from payments.gateways.sandbox import SandboxGateway
from payments.services.service import PaymentService
from payments.storage import new_payment
from payments.storage.models import AuditEvent, Payment, PaymentAllocation, Plan
from tests.doubles import FlakyGateway

D = Decimal
NOV_10 = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)  # 10:00 in Boston; M = December 2026
ANA, LUIS, MEI, JAMES, ROSA = (f"10000000000{i}" for i in range(1, 6))
VISA = "4242424242424242"


@pytest.fixture()
def gateway(database):
    return FlakyGateway(SandboxGateway(database[0]))  # no faults: it counts the charges


@pytest.fixture()
def service(db, gateway, clock):
    service = PaymentService(db, gateway, clock)
    yield service
    service.close()


def card(number: str = VISA, code: str = "123") -> CardDetails:
    return CardDetails(number, 12, 2030, code, "02110")


def pay(subscriber: str, plan: str, amount: str, key: str, instrument=None) -> PaymentRequest:
    return PaymentRequest(
        subscriber_id=subscriber,
        plan_id=plan,
        amount=D(amount),
        instrument=instrument or card(),
        channel=Channel.VOICE,
        idempotency_key=key,
        call_sid="CA123",
    )


def test_member_lookups(service):
    assert service.member_exists(ANA)
    assert not service.member_exists("999999999999")
    assert service.subscribers_for_phone("+16175550101") == [(LUIS, "es")]
    assert service.subscribers_for_phone("+16175559999") == []
    with pytest.raises(UnknownSubscriber):
        service.account_summary("999999999999")


def test_summary_of_two_plans(service):
    summary = service.account_summary(ANA)
    assert [p.plan_id for p in summary.plans] == ["H-100000000001", "D-100000000001"]
    health = summary.plan("H-100000000001")
    assert (health.balance, health.due_date, health.coverage_month) == (
        D("45.00"),
        date(2026, 11, 23),
        date(2026, 12, 1),
    )
    assert health.past_due == 0 and health.paid_through == date(2026, 11, 30)
    assert summary.plan("D-100000000001").balance == D("32.00")
    assert len(summary.payable_plans) == 2


def test_summary_of_grace_plan_shows_past_due(service):
    plan = service.account_summary(JAMES).plans[0]
    assert plan.status is PlanStatus.GRACE
    assert (plan.balance, plan.past_due, plan.due_date) == (
        D("136.00"),
        D("68.00"),
        date(2026, 10, 23),
    )


def test_summary_of_paid_up_plan(service):
    plan = service.account_summary(ROSA).plans[0]
    assert (plan.balance, plan.due_date, plan.paid_through) == (D("0.00"), None, date(2026, 12, 31))


@pytest.mark.parametrize(
    ("now", "start"),
    [
        (NOV_10, date(2026, 12, 1)),
        (datetime(2026, 11, 24, 4, 30, tzinfo=UTC), date(2026, 12, 1)),  # 23:30 on the 23rd, Boston
        (datetime(2026, 11, 24, 5, 30, tzinfo=UTC), date(2027, 1, 1)),  # 00:30 on the 24th
    ],
)
def test_pending_plan_summary_gives_start_if_paid_now(service, clock, now, start):
    clock.now = now
    plan = service.account_summary(MEI).plans[0]
    assert (plan.status, plan.coverage_start, plan.balance) == (
        PlanStatus.PENDING,
        start,
        D("289.00"),
    )


# --- payments ---------------------------------------------------------------------------


def test_card_payment_approved_in_full(service, db, gateway):
    outcome = service.submit_payment(pay(ANA, "H-100000000001", "45.00", "k1"))
    assert outcome.status is PaymentStatus.APPROVED and outcome.charged
    assert is_confirmation(outcome.confirmation)
    assert (outcome.remaining_balance, outcome.paid_through) == (D("0.00"), date(2026, 12, 31))
    assert gateway.charged_cents() == 4500
    with db() as uow:
        payment = uow.session.scalars(select(Payment)).one()
        assert (payment.brand, payment.last4, payment.channel) == ("visa", "4242", "voice")
        allocations = uow.session.scalars(select(PaymentAllocation)).all()
        assert [a.amount for a in allocations] == [D("45.00")]
    assert service.account_summary(ANA).plan("D-100000000001").balance == D("32.00")


def test_recent_payments_newest_first(service, clock):
    service.submit_payment(pay(LUIS, "H-100000000002", "100.00", "a"))
    clock.advance(minutes=1)
    service.submit_payment(pay(LUIS, "H-100000000002", "12.50", "b"))
    service.submit_payment(pay(LUIS, "H-100000000002", "1.00", "c", card("4000000000000002")))
    views = service.recent_payments(LUIS)
    assert [v.amount for v in views] == [D("12.50"), D("100.00")]  # the decline is left out
    assert views[0].plan_id == "H-100000000002" and views[0].last4 == "4242"


def test_partial_payment_leaves_the_rest_due(service):
    outcome = service.submit_payment(pay(LUIS, "H-100000000002", "100.00", "k"))
    assert outcome.remaining_balance == D("312.50")
    assert outcome.plan_status is PlanStatus.ACTIVE and outcome.paid_through == date(2026, 11, 30)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("4000000000000002", DeclineReason.GENERIC),
        ("4000000000009995", DeclineReason.INSUFFICIENT_FUNDS),
        ("4000000000000069", DeclineReason.EXPIRED_CARD),
        ("4000000000000127", DeclineReason.INCORRECT_SECURITY_CODE),
    ],
)
def test_declined_card(service, gateway, number, reason):
    outcome = service.submit_payment(pay(ANA, "H-100000000001", "45.00", "k", card(number)))
    assert (outcome.status, outcome.charged, outcome.decline_reason) == (
        PaymentStatus.DECLINED,
        False,
        reason,
    )
    assert outcome.confirmation is None and outcome.remaining_balance == D("45.00")
    assert gateway.charged_cents() == 0


def test_processing_error_is_failed_not_charged(service):
    outcome = service.submit_payment(
        pay(ANA, "H-100000000001", "45.00", "k", card("4000000000000119"))
    )
    assert (outcome.status, outcome.charged) == (PaymentStatus.FAILED, False)
    assert service.account_summary(ANA).plan("H-100000000001").balance == D("45.00")


def test_replayed_key_returns_the_same_outcome_without_a_second_charge(service, db, gateway):
    first = service.submit_payment(pay(ANA, "H-100000000001", "45.00", "same"))
    again = service.submit_payment(pay(ANA, "H-100000000001", "45.00", "same"))
    assert again == first
    assert gateway.charge_calls == 1
    with db() as uow:
        assert len(uow.session.scalars(select(Payment)).all()) == 1


def test_replayed_key_with_another_amount_is_refused(service):
    service.submit_payment(pay(LUIS, "H-100000000002", "10.00", "same"))
    with pytest.raises(IdempotencyConflict):
        service.submit_payment(pay(LUIS, "H-100000000002", "20.00", "same"))


@pytest.mark.parametrize("amount", ["45.01", "0.00", "-5.00", "10.005"])
def test_amount_outside_the_balance_is_refused(service, gateway, amount):
    with pytest.raises(AmountNotAllowed):
        service.submit_payment(pay(ANA, "H-100000000001", amount, "k"))
    assert gateway.charge_calls == 0


def test_balance_shrinks_after_a_partial_payment(service):
    service.submit_payment(pay(LUIS, "H-100000000002", "400.00", "a"))
    with pytest.raises(AmountNotAllowed):
        service.submit_payment(pay(LUIS, "H-100000000002", "12.51", "b"))
    assert service.submit_payment(pay(LUIS, "H-100000000002", "12.50", "c")).remaining_balance == 0


def test_someone_elses_plan_is_unknown_and_refusal_audited(service, db):
    with pytest.raises(UnknownPlan):
        service.submit_payment(pay(ANA, "H-100000000002", "1.00", "k"))
    with db() as uow:
        event = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "payment.refused")
        ).one()
        assert event.details["reason"] == "UnknownPlan" and event.actor == "caller"


def test_terminated_plan_cannot_be_paid_by_phone(service, db):
    with db() as uow:
        plan = uow.session.scalars(select(Plan).where(Plan.plan_id == "H-100000000002")).one()
        plan.status = PlanStatus.TERMINATED.value
        uow.commit()
    assert service.account_summary(LUIS).plans[0].balance == 0
    with pytest.raises(AmountNotAllowed):
        service.submit_payment(pay(LUIS, "H-100000000002", "1.00", "k"))


@pytest.mark.parametrize(
    "instrument",
    [card("4242424242424241"), card(code="12"), CardDetails(VISA, 10, 2026, "123", "02110")],
)
def test_invalid_card_is_refused_before_the_gateway(service, gateway, instrument):
    with pytest.raises(InvalidInstrument) as refused:
        service.submit_payment(pay(ANA, "H-100000000001", "45.00", "k", instrument))
    assert VISA not in str(refused.value) and gateway.charge_calls == 0


@pytest.mark.parametrize(
    ("now", "start"),
    [
        (datetime(2026, 11, 23, 16, 0, tzinfo=UTC), date(2026, 12, 1)),  # on the 23rd
        (datetime(2026, 11, 24, 16, 0, tzinfo=UTC), date(2027, 1, 1)),  # a day late
    ],
)
def test_binder_payment_activates_pending_plan(service, clock, now, start):
    clock.now = now
    outcome = service.submit_payment(pay(MEI, "H-100000000003", "289.00", "k"))
    assert (outcome.plan_status, outcome.coverage_start) == (PlanStatus.ACTIVE, start)
    assert outcome.paid_through == start.replace(day=31)
    assert service.account_summary(MEI).plans[0].status is PlanStatus.ACTIVE


def test_partial_binder_keeps_plan_pending(service):
    outcome = service.submit_payment(pay(MEI, "H-100000000003", "200.00", "k"))
    assert (outcome.plan_status, outcome.coverage_start) == (PlanStatus.PENDING, None)


def test_paying_the_past_due_invoice_ends_grace(service):
    outcome = service.submit_payment(pay(JAMES, "H-100000000004", "68.00", "k"))
    assert outcome.plan_status is PlanStatus.ACTIVE and outcome.remaining_balance == D("68.00")


def test_partly_paying_the_past_due_invoice_keeps_grace(service):
    outcome = service.submit_payment(pay(JAMES, "H-100000000004", "67.99", "k"))
    assert outcome.plan_status is PlanStatus.GRACE


def test_agent_payment_is_audited_with_the_agent(service, db):
    request = pay(ANA, "H-100000000001", "45.00", "k")
    agent_request = PaymentRequest(
        **{**request.__dict__, "channel": Channel.AGENT, "agent_id": "agent7"}
    )
    service.submit_payment(agent_request)
    with db() as uow:
        events = uow.session.scalars(select(AuditEvent).where(AuditEvent.actor == "agent7")).all()
        assert {e.action for e in events} == {"payment.submitted", "payment.approved"}
        assert all(e.details["channel"] == "agent" for e in events)


def test_clock_must_be_aware(db, gateway):
    service = PaymentService(db, gateway, lambda: datetime(2026, 11, 10))
    with pytest.raises(ValueError):
        service.account_summary(ANA)


def test_verify_refuses_a_malformed_subscriber_id(service):
    with pytest.raises(ValueError):
        service.verify("12345", date(1980, 4, 17))


def test_recent_payments_of_an_unknown_subscriber(service):
    assert service.recent_payments(ROSA) == []
    with pytest.raises(UnknownSubscriber):
        service.recent_payments("999999999999")


def test_a_taken_confirmation_number_is_drawn_again(service, monkeypatch):
    first = service.submit_payment(pay(LUIS, "H-100000000002", "1.00", "a"))
    drawn = iter([first.confirmation, "WXYWXYWX"])
    monkeypatch.setattr(new_payment, "new_confirmation", lambda: next(drawn))
    second = service.submit_payment(pay(LUIS, "H-100000000002", "1.00", "b"))
    assert second.charged and second.confirmation == "WXYWXYWX"


def test_verify_can_bring_the_account_along(service, db):
    verified = service.verify(ANA, date(1980, 4, 17), with_account=True)
    assert verified.result is VerifyResult.OK and verified.account == service.account_summary(ANA)
    assert service.verify(ANA, date(1980, 4, 17)).account is None
    mismatch = service.verify(ANA, date(2000, 1, 1), with_account=True)
    assert mismatch.result is VerifyResult.MISMATCH and mismatch.account is None
    with db() as uow:
        actions = uow.session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject == ANA).order_by(AuditEvent.id)
        )
        assert list(actions) == ["verify.ok", "verify.ok", "verify.failed"]
