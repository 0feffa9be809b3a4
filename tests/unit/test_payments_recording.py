"""Recording a gateway answer, worked out without a database (payments.services.recording)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from payments.domain.billing import Bill
from payments.domain.plans import PlanAccount
from payments.domain.values import DeclineReason, PaymentStatus, PlanStatus
from payments.gateways.base import GatewayResponse
from payments.services.charging import ChargeResult
from payments.services.recording import answer_changes, outcome_of

D = Decimal
NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
DEC, JAN = date(2026, 12, 1), date(2027, 1, 1)


def ledger(status=PlanStatus.ACTIVE, reserved="45.00", paid=("0.00", "0.00")) -> PlanAccount:
    bills = (
        Bill(DEC, D("45.00"), date(2026, 11, 23), D(paid[0]), ref=1),
        Bill(JAN, D("45.00"), date(2026, 12, 23), D(paid[1]), ref=2),
    )
    return PlanAccount(7, "H-1", "health", "Plan", "Carrier", status, None, bills, D(reserved))


def payment(amount="45.00") -> dict:
    return {
        "id": 3,
        "confirmation": "ACDEFHJK",
        "amount": D(amount),
        "status": PaymentStatus.PENDING.value,
        "decline_reason": None,
        "gateway_ref": None,
        "unresolved": False,
        "activated_coverage_start": None,
        "channel": "voice",
        "call_sid": "CA1",
        "agent_id": None,
        "created_at": NOW,
    }


APPROVED = ChargeResult(GatewayResponse(True, "txn_1"))


def test_an_approved_payment_is_allocated_oldest_first_and_no_longer_held():
    changes = answer_changes(
        payment("60.00"), "S", ledger(reserved="60.00"), APPROVED, NOW, "caller"
    )
    assert changes.payment["status"] == "approved" and changes.payment["gateway_ref"] == "txn_1"
    assert changes.allocations == [
        {"payment_id": 3, "invoice_id": 1, "amount": D("45.00")},
        {"payment_id": 3, "invoice_id": 2, "amount": D("15.00")},
    ]
    assert [b.paid for b in changes.plan.bills] == [D("45.00"), D("15.00")]
    assert changes.plan.reserved == 0 and changes.plan_columns == {}
    assert [e["action"] for e in changes.events] == ["payment.approved"]


def test_a_binder_payment_activates_the_plan_and_audits_it():
    pending = ledger(PlanStatus.PENDING, reserved="90.00")
    changes = answer_changes(payment("90.00"), "S", pending, APPROVED, NOW, "agent7")
    assert changes.plan_columns == {"status": "active", "coverage_start": DEC}
    assert changes.payment["activated_coverage_start"] == DEC
    assert (changes.plan.status, changes.plan.coverage_start) == (PlanStatus.ACTIVE, DEC)
    assert [e["action"] for e in changes.events] == ["payment.approved", "plan.status_changed"]
    assert {e["actor"] for e in changes.events} == {"agent7"}
    outcome = outcome_of({**payment("90.00"), **changes.payment}, changes.plan, NOW.date())
    assert (outcome.plan_status, outcome.remaining_balance) == (PlanStatus.ACTIVE, 0)
    assert outcome.coverage_start == DEC and outcome.charged


def test_money_beyond_what_is_open_is_kept_as_an_audited_credit():
    paid_meanwhile = ledger(paid=("45.00", "40.00"))  # the billing feed marked invoices paid
    changes = answer_changes(payment(), "S", paid_meanwhile, APPROVED, NOW, "caller")
    assert changes.allocations == [{"payment_id": 3, "invoice_id": 2, "amount": D("5.00")}]
    unapplied = changes.events[1]
    assert unapplied["action"] == "payment.unapplied" and unapplied["details"]["amount"] == "40.00"


def test_a_decline_releases_the_reservation_and_credits_nothing():
    declined = ChargeResult(GatewayResponse(False, None, DeclineReason.EXPIRED_CARD))
    changes = answer_changes(payment(), "S", ledger(), declined, NOW, "caller")
    assert changes.payment["status"] == "declined"
    assert changes.payment["decline_reason"] == "expired_card"
    assert changes.allocations == [] and changes.plan.reserved == 0
    outcome = outcome_of({**payment(), **changes.payment}, changes.plan, NOW.date())
    assert not outcome.charged and outcome.remaining_balance == D("90.00")


def test_a_processing_error_is_failed_and_keeps_unresolved():
    failed = ChargeResult(GatewayResponse(False, None, DeclineReason.PROCESSING_ERROR), True)
    changes = answer_changes(payment(), "S", ledger(), failed, NOW, "caller")
    assert (changes.payment["status"], changes.payment["unresolved"]) == ("failed", True)
    assert changes.events[0]["details"]["unresolved"] is True
