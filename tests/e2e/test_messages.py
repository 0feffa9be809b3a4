"""The outbox's sending, at most once per event, whatever the provider answers: a text whose
answer was lost is never sent again, one that surely never left is, a refused written copy
becomes a letter (no written copy, no debit), and a STOP the provider reports is honoured."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from payments.messages import outbox
from payments.messages.sending import SmsNotSent, SmsRefused, SmsUncertain, send_queued
from payments.operations.autopay_run import run_chunk
from payments.storage.tables import ENROLMENTS, OUTBOX
from tests.e2e.test_autopay_calls import ANA_PHONE, KEY, SMS_FROM, ana_enrols, signed_in


class Provider:
    """Twilio's Messages API answering with `failure` (an exception) for the first `times`
    sends, then accepting."""

    def __init__(self, failure: Exception | None = None, times: int = 1) -> None:
        self.failure, self.times, self.attempts = failure, times, 0

    def send(self, to: str, body: str) -> str:
        self.attempts += 1
        if self.failure is not None and self.attempts <= self.times:
            raise self.failure
        return f"SM{self.attempts:032d}"


@pytest.fixture()
def enrolled(make_line):
    """Ana enrolled from her phone, the written copy to go by text."""
    line = make_line(bank_data_key=KEY, sms_from=SMS_FROM)
    line.call(signed_in() + ana_enrols(copy=["1"]), caller=ANA_PHONE)
    return line


def messages(line) -> list[dict]:
    with line.app.extensions["ivr"].core.engine.connect() as conn:
        query = select(OUTBOX).order_by(OUTBOX.c.id)
        return [dict(row) for row in conn.execute(query).mappings()]


def send(line, provider: Provider):
    core = line.app.extensions["ivr"].core
    return send_queued(core.uow, provider, line.clock)


def debit_once(line) -> int:
    core = line.app.extensions["ivr"].core
    with core.engine.connect() as conn:
        ana = conn.scalar(select(ENROLMENTS.c.id).where(ENROLMENTS.c.source == "voice"))
    return run_chunk(core.uow, date(2026, 11, 23), [ana], line.clock).debited


def test_a_text_whose_answer_was_lost_is_never_sent_again(enrolled) -> None:
    provider = Provider(SmsUncertain("read timeout"))
    assert send(enrolled, provider).unknown == 1
    assert send(enrolled, provider).sent == 0 and provider.attempts == 1
    [text] = [m for m in messages(enrolled) if m["channel"] == outbox.SMS]
    assert text["status"] == outbox.UNKNOWN
    # It may not have arrived: the written copy goes by letter as well, and only that counts.
    assert [m["channel"] for m in messages(enrolled)] == [outbox.SMS, outbox.LETTER]
    assert debit_once(enrolled) == 0


def test_a_text_that_never_left_is_sent_on_the_next_sweep(enrolled) -> None:
    provider = Provider(SmsNotSent("connection refused"))
    assert send(enrolled, provider).retry == 1
    assert send(enrolled, provider).sent == 1 and provider.attempts == 2
    assert debit_once(enrolled) == 1  # the written copy went: the first debit may


def test_a_refused_written_copy_becomes_a_letter_and_holds_the_debit(enrolled) -> None:
    assert send(enrolled, Provider(SmsRefused(21211, "invalid 'To' number"))).refused == 1
    sms, letter = messages(enrolled)
    assert (sms["status"], letter["channel"], letter["status"]) == (
        outbox.FAILED,
        outbox.LETTER,
        outbox.QUEUED,
    )
    assert "each month on the 23rd" in letter["body"]
    assert debit_once(enrolled) == 0  # no written copy yet


def test_a_stop_the_provider_reports_is_honoured(enrolled) -> None:
    send(enrolled, Provider(SmsRefused(21610, "the recipient replied STOP")))
    with enrolled.app.extensions["ivr"].core.engine.connect() as conn:
        assert outbox.opted_out(conn, ANA_PHONE)


def test_a_provider_out_of_reach_ends_the_sweep_not_loops_on_it(enrolled) -> None:
    provider = Provider(SmsNotSent("connection refused"), times=1000)
    report = send(enrolled, provider)
    assert (report.retry, report.sent, provider.attempts) == (1, 0, 1)
    [text] = [m for m in messages(enrolled) if m["channel"] == outbox.SMS]
    assert text["status"] == outbox.QUEUED  # waits for the next sweep
