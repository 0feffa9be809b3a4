"""A capture's record against the payments ledger: once its payment has started, the ledger says
what the agent sees, whatever order the caller's hang-up and the payment's start arrive in."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ivr.agents.capture import (
    ABANDONED,
    APPROVED,
    AUTOPAY,
    CANCELLED,
    DECLINED,
    ENROLLED,
    FAILED,
    PROCESSING,
    Captures,
    field_states,
)
from ivr.engine.kvstores import MemoryKeyValue
from payments.domain.values import PaymentOutcome, PaymentStatus, PlanStatus


class Ledger:
    """The payments service as a capture reads it: outcome(key)."""

    def __init__(self) -> None:
        self.by_key: dict[str, PaymentOutcome] = {}

    def record(self, key: str, status: PaymentStatus) -> None:
        self.by_key[key] = PaymentOutcome(
            status=status,
            confirmation="12345678" if status.charged else None,
            amount=Decimal("45.00"),
            plan_kind="health",
            decline_reason=None,
            plan_status=PlanStatus.ACTIVE,
            remaining_balance=Decimal("0.00") if status.charged else Decimal("45.00"),
            coverage_start=None,
            paid_through=None,
        )

    def outcome(self, key: str) -> PaymentOutcome | None:
        return self.by_key.get(key)


@pytest.fixture()
def captures() -> Captures:
    return Captures(MemoryKeyValue())


def new(captures: Captures):
    return captures.create(
        call_sid="CA1", agent="dana", subscriber_id="1", plan_id="H", amount="45.00", method="card"
    )


def test_without_a_payment_the_record_is_all_there_is(captures: Captures) -> None:
    capture = new(captures)
    captures.update(capture.id, state=ABANDONED, message="the caller hung up")
    shown = captures.with_ledger(captures.get(capture.id), Ledger())
    assert (shown.state, shown.confirmation) == (ABANDONED, None)


def test_a_hang_up_recorded_before_the_payment_started_does_not_hide_the_charge(
    captures: Captures,
) -> None:
    capture = new(captures)
    stale = captures.get(capture.id)  # read by the hang-up before the payment was noted
    captures.note_payment(capture.id, "key-1")
    captures.update(stale.id, state=ABANDONED, message="the caller hung up")
    ledger = Ledger()
    assert captures.with_ledger(captures.get(capture.id), ledger).state == ABANDONED
    ledger.record("key-1", PaymentStatus.PENDING)
    assert captures.with_ledger(captures.get(capture.id), ledger).state == PROCESSING
    ledger.record("key-1", PaymentStatus.APPROVED)
    shown = captures.with_ledger(captures.get(capture.id), ledger)
    assert (shown.state, shown.confirmation) == (APPROVED, "12345678")
    assert shown.payment == {"status": "approved", "amount": "45.00", "remaining_balance": "0.00"}
    assert shown.message == "the caller hung up; the payment is approved"
    assert captures.get(capture.id).state == APPROVED  # kept: the next read needs no ledger


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (PaymentStatus.DECLINED, DECLINED),
        (PaymentStatus.FAILED, FAILED),
        (PaymentStatus.SETTLED, APPROVED),
    ],
)
def test_the_ledger_decides_a_processing_capture(
    captures: Captures, status: PaymentStatus, state: str
) -> None:
    capture = new(captures)
    captures.note_payment(capture.id, "key-2")
    captures.update(capture.id, state=PROCESSING)
    ledger = Ledger()
    ledger.record("key-2", status)
    shown = captures.with_ledger(captures.get(capture.id), ledger)
    assert shown.state == state
    assert (shown.confirmation is not None) == (state == APPROVED)


def test_an_answered_capture_is_not_read_again(captures: Captures) -> None:
    capture = new(captures)
    captures.note_payment(capture.id, "key-3")
    captures.update(capture.id, state=DECLINED)

    class Unreachable:
        def outcome(self, key: str) -> None:
            raise AssertionError("an answered capture needs no ledger")

    assert captures.with_ledger(captures.get(capture.id), Unreachable()).state == DECLINED


def test_an_ended_capture_keeps_its_end(captures: Captures) -> None:
    capture = new(captures)
    captures.update(capture.id, state=CANCELLED, message="cancelled by the agent")
    assert captures.update(capture.id, state=APPROVED).state == CANCELLED


def enrolment(captures: Captures):
    return captures.create(
        call_sid="CA1", agent="dana", subscriber_id="1", plan_id="H", amount="", method="bank",
        purpose=AUTOPAY, day=23,
    )  # fmt: skip


def test_an_autopay_capture_follows_the_bank_account_and_the_authorization(
    captures: Captures,
) -> None:
    capture = enrolment(captures)
    shown = captures.get(capture.id).as_json()
    assert (shown["purpose"], shown["day"], shown["reference"]) == (AUTOPAY, 23, None)
    assert [f["name"] for f in shown["fields"]] == [
        "account_type", "routing", "account", "account_again", "authorization",
    ]  # fmt: skip
    state = {"bank": {"type": "savings", "routing": "011000015", "last4": "6789"}}
    fields = field_states(capture.form, "autopay_authorization", state, {})
    assert [f["state"] for f in fields] == ["done"] * 4 + ["entering"]
    assert fields[2]["display"] == "savings ending 6789"


def test_a_field_asked_for_again_is_being_entered_not_done(captures: Captures) -> None:
    state = {"bank": {"type": "checking", "routing": "011000015"}}
    fields = field_states(AUTOPAY, "bank_routing", state, {})
    assert [f["state"] for f in fields][:3] == ["done", "entering", "waiting"]


def test_an_enrolment_made_is_not_hidden_by_a_hang_up_recorded_meanwhile(
    captures: Captures,
) -> None:
    capture = enrolment(captures)
    captures.update(capture.id, state=ABANDONED, message="the caller hung up")
    assert captures.update(capture.id, state=CANCELLED).state == ABANDONED
    made = captures.update(capture.id, made=True, state=ENROLLED, reference="AB12CD34")
    assert (made.state, made.reference) == (ENROLLED, "AB12CD34")
    assert captures.update(capture.id, made=True, state=CANCELLED).state == ENROLLED
