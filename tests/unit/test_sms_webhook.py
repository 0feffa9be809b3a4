"""The inbound SMS webhook through the Flask test client, posting signed Twilio-style form data:
the signature check, STOP and START recorded in sms_opt_outs, HELP answered, and an opted-out
number's queued SMS suppressed by the sender."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from app import create_app
from ivr.config import Settings
from ivr.engine.kvstores import MemoryKeyValue
from payments.messages import outbox
from payments.messages.sending import send_queued
from payments.messages.texts import sms as sms_text
from payments.storage.tables import OUTBOX, SMS_OPT_OUTS
from tests.doubles import FakeClock, migrated_sqlite

TOKEN = "sms-unit-token"
PATH = "/webhooks/sms"
MEMBER = "+16175550100"
LINE = "+18775550123"


@pytest.fixture()
def app(tmp_path, clock: FakeClock) -> Iterator[Flask]:
    engine, _ = migrated_sqlite(tmp_path)
    engine.dispose()
    url = f"sqlite:///{tmp_path / 'payments.db'}"
    built = create_app(
        Settings(twilio_auth_token=TOKEN, database_url=url), clock=clock, kv=MemoryKeyValue()
    )
    yield built
    built.extensions["ivr"].core.close()


def signed_post(app: Flask, params: dict[str, str], signature: str | None = None):
    """POST to the webhook as Twilio would, signed over the URL and form unless told otherwise."""
    if signature is None:
        signature = RequestValidator(TOKEN).compute_signature(f"http://localhost{PATH}", params)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    return app.test_client().post(PATH, data=params, headers=headers)


def reply(app: Flask, body: str, sender: str = "(617) 555-0100") -> list[str]:
    """Text `body` to the line; the messages of the TwiML answer."""
    answer = signed_post(app, {"From": sender, "To": LINE, "Body": body, "MessageSid": "SM1"})
    assert answer.status_code == 200
    assert answer.mimetype == "text/xml"
    root = ET.fromstring(answer.get_data(as_text=True))
    assert root.tag == "Response"
    return [message.text or "" for message in root.iter("Message")]


def opt_out_row(app: Flask) -> dict | None:
    with app.extensions["ivr"].core.uow.reader() as uow:
        row = uow.connection.execute(select(SMS_OPT_OUTS)).mappings().all()
    assert len(row) <= 1
    return dict(row[0]) if row else None


def opted_out(app: Flask, number: str = MEMBER) -> bool:
    with app.extensions["ivr"].core.uow.reader() as uow:
        return outbox.opted_out(uow.connection, number)


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"])
def test_an_unsigned_or_wrongly_signed_request_is_refused_and_records_nothing(
    app: Flask, signature: str
) -> None:
    answer = signed_post(app, {"From": MEMBER, "Body": "STOP"}, signature)

    assert answer.status_code == 403
    assert opt_out_row(app) is None


def test_a_signature_over_other_form_data_is_refused(app: Flask) -> None:
    other = RequestValidator(TOKEN).compute_signature(
        f"http://localhost{PATH}", {"From": MEMBER, "Body": "START"}
    )

    assert signed_post(app, {"From": MEMBER, "Body": "STOP"}, other).status_code == 403


def test_stop_records_the_number_opted_out_in_e164_and_answers_nothing(app: Flask) -> None:
    assert reply(app, "STOP") == []

    row = opt_out_row(app)
    assert row is not None
    assert (row["e164"], row["opted_out"], row["keyword"]) == (MEMBER, True, "STOP")
    assert opted_out(app)


def test_start_after_stop_opts_the_number_back_in_and_says_so(app: Flask) -> None:
    reply(app, "STOP")

    answered = reply(app, "  Start ")

    assert answered == [
        "You will get messages from the Health Connector payment line again. Reply STOP to stop."
    ]
    row = opt_out_row(app)
    assert row is not None
    assert (row["e164"], row["opted_out"], row["keyword"]) == (MEMBER, False, "START")
    assert not opted_out(app)


def test_each_change_is_stamped_by_the_line_s_clock(app: Flask, clock: FakeClock) -> None:
    reply(app, "STOP")
    clock.advance(minutes=5)
    reply(app, "START")

    row = opt_out_row(app)
    assert row is not None and row["changed_at"] == clock.now


@pytest.mark.parametrize("body", ["stop please", "Unsubscribe", "quit.", "OPTOUT", "stopall"])
def test_every_opt_out_word_counts_as_the_first_word_in_any_case(app: Flask, body: str) -> None:
    assert reply(app, body) == []

    assert opted_out(app)


def test_help_answers_the_help_text_and_records_nothing(app: Flask) -> None:
    answered = reply(app, "help")

    assert answered == [sms_text("help", "en", phone="1-877-623-6765")]
    assert "Reply STOP" in answered[0]
    assert opt_out_row(app) is None


@pytest.mark.parametrize("body", ["", "Thanks!", "I want to stop getting these"])
def test_any_other_text_gets_an_empty_answer_and_records_nothing(app: Flask, body: str) -> None:
    assert reply(app, body) == []

    assert opt_out_row(app) is None


def test_stop_from_a_sender_that_is_no_phone_number_is_not_recorded(app: Flask) -> None:
    assert reply(app, "STOP", sender="not-a-number") == []

    assert opt_out_row(app) is None


class RecordingSender:
    """An SmsSender that sends nothing and remembers what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> str:
        self.sent.append((to, body))
        return f"SM{len(self.sent):032d}"


def queue_sms(app: Flask, clock: FakeClock, event_key: str) -> None:
    with app.extensions["ivr"].core.uow() as uow:
        outbox.queue(
            uow.connection, event_key=event_key, kind="receipt", channel=outbox.SMS,
            subscriber_id="100000000001", language="en", body="Your payment was approved.",
            now=clock.now, to_number=MEMBER,
        )  # fmt: skip
        uow.commit()


def statuses(app: Flask) -> list[str]:
    with app.extensions["ivr"].core.uow.reader() as uow:
        return list(uow.connection.scalars(select(OUTBOX.c.status).order_by(OUTBOX.c.id)))


def test_a_queued_sms_to_a_number_that_replied_stop_is_suppressed_not_sent(
    app: Flask, clock: FakeClock
) -> None:
    queue_sms(app, clock, "receipt:1")
    reply(app, "STOP")
    sender = RecordingSender()

    report = send_queued(app.extensions["ivr"].core.uow, sender, clock)

    assert sender.sent == []
    assert (report.suppressed, report.sent) == (1, 0)
    assert statuses(app) == [outbox.SUPPRESSED]


def test_after_start_a_queued_sms_is_sent_again(app: Flask, clock: FakeClock) -> None:
    reply(app, "STOP")
    reply(app, "YES")
    queue_sms(app, clock, "receipt:2")
    sender = RecordingSender()

    report = send_queued(app.extensions["ivr"].core.uow, sender, clock)

    assert sender.sent == [(MEMBER, "Your payment was approved.")]
    assert report.sent == 1
    assert statuses(app) == [outbox.SENT]
