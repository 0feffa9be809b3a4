"""Guessing from outside, call by call from distinct numbers (SPEC "Limits that protect members"):
no answer says whether a Subscriber ID exists, withheld numbers share one budget, and strangers
cannot refuse the member calling from their own attested phone."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from payments.storage.models import AuditEvent
from tests.e2e.conftest import Line

ANA, ANA_DOB, ANA_PHONE = "100000000001", "04171980", "+16175550100"
WRONG_DOB = "01011990"
AGENT_ONLY = "a representative will need to help you with your account"
MISMATCH = "Those details do not match our records."


def guesses(*subscriber_ids: str, dob: str = WRONG_DOB) -> list[str]:
    script = ["1"]
    for subscriber_id in subscriber_ids:
        script += [f"{subscriber_id}#", f"{dob}#"]
    return script


def count(line: Line, action: str) -> int:
    engine = line.app.extensions["ivr"].db_engine
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).where(AuditEvent.action == action)) or 0


def test_a_known_and_an_unknown_id_hear_the_very_same_words(line: Line) -> None:
    known = line.call(guesses(ANA) + ["hangup"], caller="+16175550201")
    unknown = line.call(guesses("999999999999") + ["hangup"], caller="+16175550202")
    assert known.spoken == unknown.spoken
    assert MISMATCH in known.spoken and "Enter your date of birth" in known.spoken


def test_three_failed_checks_in_a_call_end_with_a_representative(line: Line) -> None:
    log = line.call(guesses("999999999991", ANA, "999999999993") + ["hangup"])
    assert log.spoken.count(MISMATCH) == 3
    assert AGENT_ONLY in log.spoken
    assert log.transfers  # business hours: connected, not asked for a fourth ID


def test_a_number_that_tried_ten_unknown_ids_today_gets_only_a_representative(line) -> None:
    caller = "+16175550123"
    for call in range(3):  # 9 unknown IDs over three calls
        line.call(guesses(*(f"99999999990{call * 3 + i}" for i in range(3))), caller=caller)
    line.call(guesses("999999999910") + ["hangup"], caller=caller)  # the tenth
    log = line.call(["1", f"{ANA}#", "hangup"], caller=caller)  # now even a real ID
    assert AGENT_ONLY in log.spoken and "date of birth" not in log.spoken
    other = line.call(["1", f"{ANA}#", "hangup"], caller="+16175550124")  # another number
    assert "Enter your date of birth" in other.spoken


@pytest.mark.parametrize("withheld", ["Anonymous", "Restricted", "+266696687", ""])
def test_withheld_and_unparseable_numbers_share_one_budget(line: Line, withheld: str) -> None:
    callers = ["Anonymous", "Restricted", "+266696687", ""]
    ids = [f"9999999999{i:02d}" for i in range(10)]
    for i in range(0, 10, 2):  # 10 guesses over 5 calls from the four kinds of withheld caller
        line.call(guesses(*ids[i : i + 2]) + ["hangup"], caller=callers[i // 2 % 4])
    assert count(line, "verify.failed") == 10  # every guess counted and audited
    log = line.call(guesses(ANA, dob=ANA_DOB) + ["hangup"], caller=withheld)
    assert AGENT_ONLY in log.spoken and "Thank you, Ana." not in log.spoken
    assert count(line, "verify.refused_budget") == 1
    signed = line.call(guesses(ANA, dob=ANA_DOB) + ["hangup"], caller="+16175550125")
    assert "Thank you, Ana." in signed.spoken  # a caller with a number is not held back


def test_strangers_failing_from_many_numbers_only_slow_the_account(line: Line) -> None:
    for i in range(5):
        line.call(guesses(ANA) + ["hangup"], caller=f"+1617555030{i}")
    slowed = line.call(guesses(ANA, dob=ANA_DOB) + ["hangup"], caller="+16175550310")
    assert "checks for this account are paused" in slowed.spoken
    assert "Thank you, Ana." not in slowed.spoken
    owner = line.call(["1", f"{ANA_DOB}#", "hangup"], caller=ANA_PHONE, attested=True)
    assert "Thank you, Ana." in owner.spoken  # never refused: attested, and the phone on file


def test_strangers_spoofing_the_members_number_cannot_lock_out_the_attested_owner(line) -> None:
    for _ in range(2):  # five wrong dates with Ana's number as the (unattested) caller ID
        line.call(guesses(ANA, ANA, ANA)[: 1 + 2 * 3], caller=ANA_PHONE)
    spoofed = line.call(guesses(ANA, dob=ANA_DOB) + ["hangup"], caller=ANA_PHONE)
    assert "self-service for this account is locked" in spoofed.spoken
    owner = line.call(["1", f"{ANA_DOB}#", "hangup"], caller=ANA_PHONE, attested=True)
    assert "Thank you, Ana." in owner.spoken
