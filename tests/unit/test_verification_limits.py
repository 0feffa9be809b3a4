"""Verification and its limits (SPEC "Limits that protect members"): no answer tells whether a
Subscriber ID exists, the caller who failed is refused while the account only slows, the
attested owner is never refused by strangers, withheld numbers share one budget, and a
representative's second check verifies and lifts a lockout."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from payments.domain import limits
from payments.domain.values import Caller, VerifyResult
from payments.services.service import PaymentService
from payments.storage.models import AuditEvent, UnknownIdAttempt, VerificationFailure
from tests.unit.test_payments_service import ANA, LUIS, card, pay

ANA_BORN, WRONG = date(1980, 4, 17), date(2000, 1, 1)
ANA_PHONE = "+16175550100"  # on file for Ana
UNKNOWN = "999999999999"
PHONE = Caller("+16175550142")


def stranger(i: int) -> Caller:
    return Caller(f"+1617555{i:04d}")


@pytest.fixture()
def service(db, gateway, clock):
    service = PaymentService(db, gateway, clock)
    yield service
    service.close()


@pytest.fixture()
def gateway(database):
    from payments.gateways.sandbox import SandboxGateway

    return SandboxGateway(database[0])


def results(service, subscriber_id: str, tries: list[tuple[date, Caller]]) -> list[str]:
    return [service.verify(subscriber_id, born, caller).result.value for born, caller in tries]


def actions(db, subject: str) -> list[str]:
    with db() as uow:
        query = select(AuditEvent.action).where(AuditEvent.subject == subject)
        return list(uow.session.scalars(query.order_by(AuditEvent.id)))


def test_a_right_date_verifies_and_a_wrong_one_does_not(service):
    assert service.verify(ANA, ANA_BORN, PHONE).result is VerifyResult.OK
    assert service.verify(ANA, date(1980, 4, 18), PHONE).result is VerifyResult.MISMATCH


def test_a_known_and_an_unknown_id_get_the_same_answers_and_the_same_records(service, db, clock):
    tries = [(WRONG, PHONE)] * 6
    known, unknown = results(service, ANA, tries), results(service, UNKNOWN, tries)
    assert known == unknown == ["mismatch"] * 4 + ["locked"] * 2
    shape = ["verify.failed"] * 5 + ["verify.refused_locked"]
    assert actions(db, ANA) == actions(db, UNKNOWN) == shape


def test_five_failures_refuse_that_caller_for_the_id_for_24_hours_from_the_fifth(service, clock):
    for _ in range(4):
        assert service.verify(ANA, WRONG, PHONE).result is VerifyResult.MISMATCH
        clock.advance(minutes=10)
    fifth = clock.now
    locked = service.verify(ANA, WRONG, PHONE)
    assert locked.result is VerifyResult.LOCKED
    assert locked.locked_until == fifth + timedelta(hours=24)
    clock.advance(hours=23, minutes=59)
    assert service.verify(ANA, ANA_BORN, PHONE).result is VerifyResult.LOCKED  # right, refused
    clock.advance(minutes=1)
    assert service.verify(ANA, ANA_BORN, PHONE).result is VerifyResult.OK


def test_a_refused_caller_leaves_other_callers_and_other_members_alone(service, clock):
    for _ in range(5):
        service.verify(ANA, WRONG, PHONE)
    assert service.verify(LUIS, date(1975, 9, 2), PHONE).result is VerifyResult.OK
    clock.advance(seconds=30)  # the account's wait after five failures
    assert service.verify(ANA, ANA_BORN, stranger(1)).result is VerifyResult.OK


def test_failures_spread_over_more_than_a_day_do_not_refuse(service, clock):
    for _ in range(6):
        assert service.verify(ANA, WRONG, PHONE).result is VerifyResult.MISMATCH
        clock.advance(hours=7)
    assert service.verify(ANA, ANA_BORN, PHONE).result is VerifyResult.OK


def test_failures_from_many_numbers_only_slow_the_account_with_waits_that_double(service, clock):
    for i in range(5):
        assert service.verify(ANA, WRONG, stranger(i)).result is VerifyResult.MISMATCH
    fifth = clock.now
    slowed = service.verify(ANA, ANA_BORN, stranger(9))
    assert slowed.result is VerifyResult.SLOWED and slowed.locked_until == fifth + limits.FIRST_WAIT
    clock.advance(seconds=30)
    assert service.verify(ANA, WRONG, stranger(5)).result is VerifyResult.MISMATCH  # the 6th
    sixth = clock.now
    assert service.verify(ANA, ANA_BORN, stranger(9)).locked_until == sixth + 2 * limits.FIRST_WAIT
    clock.advance(seconds=60)
    assert service.verify(ANA, ANA_BORN, stranger(9)).result is VerifyResult.OK


def test_the_longest_wait_is_an_hour(clock):
    failures = [clock.now - timedelta(minutes=1) + timedelta(seconds=i) for i in range(30)]
    assert limits.slowed_until(failures, clock.now) == failures[-1] + limits.LONGEST_WAIT
    assert limits.slowed_until(failures[:4], clock.now) is None


def test_strangers_spoofing_the_members_phone_never_refuse_the_attested_owner(service, clock):
    spoofed = Caller(ANA_PHONE)  # the member's number, not attested
    for _ in range(5):
        service.verify(ANA, WRONG, spoofed)
    for i in range(10):
        service.verify(ANA, WRONG, stranger(i))
    assert service.verify(ANA, ANA_BORN, spoofed).result is VerifyResult.LOCKED
    assert service.verify(ANA, ANA_BORN, stranger(20)).result is VerifyResult.SLOWED
    owner = Caller(ANA_PHONE, attested=True)
    assert service.verify(ANA, ANA_BORN, owner).result is VerifyResult.OK
    # An attested number that is not on file for the member waits like anyone else.
    attested_stranger = Caller("+16175550142", attested=True)
    assert service.verify(ANA, ANA_BORN, attested_stranger).result is VerifyResult.SLOWED


def test_the_members_number_unattested_waits_like_a_strangers(service) -> None:
    """Only the attested phone on file skips the account's wait: the same number without the
    attestation (anyone can put it in a caller ID) waits like any stranger."""
    for i in range(5):
        service.verify(ANA, WRONG, stranger(i))
    assert service.verify(ANA, ANA_BORN, Caller(ANA_PHONE)).result is VerifyResult.SLOWED
    owner = Caller(ANA_PHONE, attested=True)
    assert service.verify(ANA, ANA_BORN, owner).result is VerifyResult.OK


def test_ten_unknown_ids_from_a_number_leave_it_only_a_representative(service, db, clock):
    assert not service.caller_blocked(PHONE)
    for i in range(10):
        assert service.verify(f"9999999999{i:02d}", WRONG, PHONE).result is VerifyResult.MISMATCH
    assert service.caller_blocked(PHONE)
    assert service.verify(ANA, ANA_BORN, PHONE).result is VerifyResult.BLOCKED  # even the right one
    assert actions(db, ANA) == ["verify.refused_budget"]
    assert not service.caller_blocked(stranger(1))
    clock.advance(hours=24)
    assert not service.caller_blocked(PHONE)


def test_wrong_dates_for_a_real_id_do_not_spend_a_numbers_budget(service, db):
    for i in range(10):
        service.verify(LUIS if i % 2 else ANA, WRONG, PHONE)
    assert not service.caller_blocked(PHONE)
    with db() as uow:
        assert uow.session.scalar(select(func.count()).select_from(UnknownIdAttempt)) == 0


def test_withheld_numbers_share_one_budget_of_ten_an_hour(service, db, clock) -> None:
    for i in range(10):  # any failure counts, a real ID's wrong date too
        subscriber = ANA if i < 3 else f"9999999999{i:02d}"
        assert service.verify(subscriber, WRONG, Caller()).result is VerifyResult.MISMATCH
        clock.advance(minutes=1)
    assert service.caller_blocked(Caller())
    assert service.verify(LUIS, date(1975, 9, 2), Caller()).result is VerifyResult.BLOCKED
    assert not service.caller_blocked(PHONE)
    with db() as uow:
        refusals = select(func.count()).where(AuditEvent.action == "verify.refused_budget")
        assert uow.session.scalar(refusals) == 2  # each refusal is audited
    clock.advance(minutes=51)  # an hour after the first
    assert not service.caller_blocked(Caller())


def test_every_failure_is_recorded_with_who_tried(service, db):
    service.verify(ANA, WRONG, PHONE)
    service.verify(ANA, WRONG, Caller())
    service.verify(ANA, WRONG, Caller(ANA_PHONE, attested=True))
    service.verify(ANA, WRONG, Caller(agent="agent7"))
    with db() as uow:
        keys = uow.session.scalars(
            select(VerificationFailure.caller).order_by(VerificationFailure.id)
        )
        assert list(keys) == [PHONE.number, "anonymous", f"{ANA_PHONE}/A", "agent:agent7"]


def test_a_representative_is_not_slowed_by_strangers(service):
    for i in range(8):
        service.verify(ANA, WRONG, stranger(i))
    agent = Caller(agent="agent7")
    assert service.verify(ANA, ANA_BORN, stranger(30)).result is VerifyResult.SLOWED
    assert service.verify(ANA, ANA_BORN, agent).result is VerifyResult.OK


def test_a_second_check_verifies_a_locked_member_and_lifts_the_lock(service, db, clock):
    service.submit_payment(pay(ANA, "H-100000000001", "45.00", "k1", card()))
    for _ in range(5):
        service.verify(ANA, WRONG, PHONE)
    assert service.verify(ANA, ANA_BORN, PHONE).result is VerifyResult.LOCKED
    assert service.second_check(ANA, "02110", Decimal("45.00"), "agent7").result is VerifyResult.OK
    assert service.verify(ANA, ANA_BORN, PHONE).result is VerifyResult.OK  # the lock is lifted
    assert "verify.second_check" in actions(db, ANA)


@pytest.mark.parametrize(
    ("zip_code", "last"),
    [("02111", Decimal("45.00")), ("02110", Decimal("45.01")), ("02110", None)],
)
def test_a_wrong_second_check_counts_as_a_failure_of_the_agent(service, db, zip_code, last):
    service.submit_payment(pay(ANA, "H-100000000001", "45.00", "k1", card()))
    verdict = service.second_check(ANA, zip_code, last, "agent7")
    assert verdict.result is VerifyResult.MISMATCH
    with db() as uow:
        keys = list(uow.session.scalars(select(VerificationFailure.caller)))
    assert keys == ["agent:agent7/second"]  # counted apart from the agent's dates of birth


def test_a_second_check_for_a_member_who_never_paid_names_no_amount(service):
    assert service.second_check(LUIS, "01841", None, "agent7").result is VerifyResult.OK
    assert service.second_check(UNKNOWN, "01841", None, "agent7").result is VerifyResult.MISMATCH
