"""The line's own originator of bank debits: a debit is an ACH entry queued under the payment's
idempotency key, its account number sealed; once per key; cancelled before it is sent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from payments.bank.originator import CANCELLED, QUEUED, AchOriginator
from payments.bank.sealing import SealedDataError, Sealer, new_key
from payments.domain.instruments import AccountType, BankDetails
from payments.domain.values import Channel, DeclineReason, PaymentRequest, TelAuthorization
from payments.gateways.base import ChargeRequest
from payments.services.service import PaymentService
from payments.storage.tables import ACH_ENTRIES
from tests.doubles import DeadCharger

LUIS, PLAN = "100000000002", "H-100000000002"
ACCOUNT = "000123456789"


@pytest.fixture()
def sealer():
    return Sealer.ephemeral()


@pytest.fixture()
def originator(db, sealer, clock):
    return AchOriginator(db.engine, sealer, clock)


def reserve(db, clock, key: str = "CA1-k") -> ChargeRequest:
    """A bank payment reserved (PENDING) by a server that then stopped: its charge request."""
    bank = BankDetails(AccountType.SAVINGS, "011000015", ACCOUNT)
    consent = TelAuthorization("the words", clock(), "CA1", "1")
    request = PaymentRequest(
        LUIS, PLAN, Decimal("412.50"), bank, Channel.VOICE, key, "CA1", None, consent
    )
    PaymentService(db, None, clock, charger=DeadCharger()).start_payment(request)  # type: ignore[arg-type]
    return ChargeRequest(key, 41250, bank, "premium")


def entries(db) -> list:
    with db.reader() as uow:
        return uow.connection.execute(select(ACH_ENTRIES)).all()


def test_a_debit_is_an_entry_queued_with_the_account_sealed(db, originator, sealer, clock):
    answer = originator.charge(reserve(db, clock))
    (entry,) = entries(db)
    assert answer.approved and answer.transaction_id == f"ach_{entry.id}"
    assert (entry.status, entry.amount_cents, entry.transaction_code) == (QUEUED, 41250, 37)
    assert (entry.individual_id, entry.individual_name) == (LUIS, "Luis Ortega")
    assert (entry.payment_type, entry.last4, entry.routing) == ("S", "6789", "011000015")
    assert ACCOUNT not in entry.account_sealed and sealer.open(entry.account_sealed) == ACCOUNT
    assert entry.effective_date == clock().date()


def test_the_same_key_queues_one_entry(db, originator, clock):
    request = reserve(db, clock)
    first = originator.charge(request)
    assert originator.charge(request) == first and len(entries(db)) == 1
    assert originator.lookup("CA1-k") == first and originator.lookup("CA1-other") is None


def test_bad_bank_details_are_declined_and_queue_nothing(db, originator, clock):
    request = reserve(db, clock)
    bad = ChargeRequest(
        "CA1-k", 41250, BankDetails(AccountType.CHECKING, "011000016", ACCOUNT), "x"
    )
    answer = originator.charge(bad)
    assert (answer.approved, answer.decline_reason) == (False, DeclineReason.INVALID_ACCOUNT)
    assert entries(db) == [] and request.idempotency_key == "CA1-k"


def test_reverse_cancels_a_queued_entry_and_erases_its_account(db, originator, clock):
    originator.charge(reserve(db, clock))
    originator.reverse("CA1-k")
    (entry,) = entries(db)
    assert (entry.status, entry.account_sealed) == (CANCELLED, None)


def test_an_account_sealed_under_another_key_does_not_open(sealer):
    token = Sealer.ephemeral().seal(ACCOUNT)
    with pytest.raises(SealedDataError):
        sealer.open(token)


def test_a_rotated_key_still_opens_what_the_old_one_sealed():
    old_key, new_key_ = new_key(), new_key()
    token = Sealer(old_key).seal(ACCOUNT)
    rotated = Sealer(f"{new_key_},{old_key}")
    assert rotated.open(token) == ACCOUNT
    assert Sealer(new_key_).open(rotated.reseal(token)) == ACCOUNT
