"""AutoPay by phone: enrolling by voice, relay and in Spanish, changing the day, cancelling
(told whether the next debit is already on its way), and the messages a call asks for."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select

from payments.bank.export import export
from payments.messages.sending import send_queued
from payments.operations.autopay_run import plan_run, run_chunk
from payments.storage.tables import ENROLMENTS, OUTBOX, PAYMENTS, RECURRING_AUTHORIZATIONS
from tests.e2e.conftest import EASTERN, RELAY_NUMBER, Line
from tests.nacha_check import check_ach_file

ANA, ANA_DOB, ANA_PHONE = "100000000001", "04171980", "+16175550100"
LUIS, LUIS_DOB = "100000000002", "09021975"
ROUTING, ACCOUNT = "011000015", "000123456789"
KEY = Fernet.generate_key().decode()
SMS_FROM = "+18775550123"


class Texts:
    """A stand-in for Twilio's Messages API: what was sent, to whom."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> str:
        self.sent.append((to, body))
        return f"SM{len(self.sent):032d}"


def rows(line: Line, table) -> list[dict]:
    """The table's rows, less the demo's portal enrolment (Rosa's) and its authorization."""
    with line.app.extensions["ivr"].core.engine.connect() as conn:
        found = [dict(row) for row in conn.execute(select(table)).mappings()]
    return [row for row in found if "portal" not in (row.get("source"), row.get("channel"))]


def ana_enrolment(line: Line) -> int:
    [enrolment] = rows(line, ENROLMENTS)
    return enrolment["id"]


def ana_enrols(copy: list[str] | None = None) -> list[str]:
    """Main menu 4, her health plan, set up, the 23rd, checking, the account twice, (how the
    written copy goes,) and the authorization accepted."""
    keys = ["4", "1", "1", "2", "1", f"{ROUTING}#", f"{ACCOUNT}#", f"{ACCOUNT}#"]
    return keys + (copy or []) + ["1"]


def signed_in(subscriber: str = ANA, dob: str = ANA_DOB, lang: str = "1") -> list[str]:
    return [lang, f"{subscriber}#", f"{dob}#"]


def test_a_relay_caller_enrols_with_relay_wording(make_line) -> None:
    line = make_line(bank_data_key=KEY)
    heard = line.call(signed_in() + ana_enrols(), to=RELAY_NUMBER).spoken
    assert "Press 4 for AutoPay." in heard
    assert "Press 1 for the 15th of each month, or 2 for the 23rd." in heard
    assert "Press 1 to authorize AutoPay." in heard
    assert "AutoPay is set up for your health plan." in heard
    [enrolment] = rows(line, ENROLMENTS)
    assert (enrolment["day"], enrolment["source"], enrolment["last4"]) == (23, "relay", "6789")
    [authorization] = rows(line, RECURRING_AUTHORIZATIONS)
    assert authorization["channel"] == "relay" and authorization["accepting_key"] == "1"
    assert "each month on the twenty-third" in authorization["text"]


def test_luis_enrols_in_spanish(make_line) -> None:
    line = make_line(bank_data_key=KEY)
    keys = ["4", "1", "2", "1", f"{ROUTING}#", f"{ACCOUNT}#", f"{ACCOUNT}#", "1"]
    heard = line.call(signed_in(LUIS, LUIS_DOB, "2") + keys).spoken
    assert "Para el pago automático, oprima 4." in heard
    assert "cada mes el día veintitrés" in heard
    assert "El pago automático está activado para su plan de salud." in heard
    [authorization] = rows(line, RECURRING_AUTHORIZATIONS)
    assert "Por favor, escuche esta autorización." in authorization["text"]
    [letter] = [m for m in rows(line, OUTBOX) if m["kind"] == "autopay_written_copy"]
    assert letter["language"] == "es" and "Primer débito" in letter["body"]


def test_the_authorization_must_be_accepted_and_nothing_is_kept_otherwise(make_line) -> None:
    line = make_line(bank_data_key=KEY)
    keys = ana_enrols()[:-1] + ["3"]
    heard = line.call(signed_in() + keys).spoken
    assert "AutoPay was not set up." in heard
    assert rows(line, ENROLMENTS) == [] and rows(line, RECURRING_AUTHORIZATIONS) == []
    assert ACCOUNT not in str(rows(line, OUTBOX))


def test_changing_the_day_is_a_new_authorization_of_the_same_account(make_line) -> None:
    line = make_line(bank_data_key=KEY)
    line.call(signed_in() + ana_enrols())
    heard = line.call(signed_in() + ["4", "1", "1", "1", "1"]).spoken
    assert "To change the day, press 1." in heard
    assert "each month on the fifteenth" in heard
    assert "AutoPay for your health plan is changed." in heard
    [enrolment] = rows(line, ENROLMENTS)
    assert enrolment["day"] == 15 and enrolment["last4"] == "6789"
    first, second = sorted(rows(line, RECURRING_AUTHORIZATIONS), key=lambda a: a["id"])
    assert first["ended_at"] is not None and second["ended_at"] is None


def test_cancelling_stops_a_debit_not_yet_sent(make_line, tmp_path: Path) -> None:
    line = make_line(bank_data_key=KEY)
    line.call(signed_in() + ana_enrols())
    _written_copies_sent(line)
    core = line.app.extensions["ivr"].core
    for chunk in plan_run(core.uow, date(2026, 11, 23)):
        run_chunk(core.uow, date(2026, 11, 23), chunk, line.clock)
    heard = line.call(signed_in() + ["4", "1", "3", "1"]).spoken
    assert "AutoPay is cancelled." in heard
    assert (
        "The debit of forty-five dollars on Monday, November twenty-third will not be made."
        in heard
    )
    [debit] = [p for p in rows(line, PAYMENTS) if p["channel"] == "autopay"]
    assert debit["status"] == "refunded"
    assert rows(line, ENROLMENTS)[0]["cancelled"] is True


def test_cancelling_after_the_file_went_says_the_debit_will_still_be_made(
    make_line, tmp_path: Path
) -> None:
    line = make_line(bank_data_key=KEY)
    line.call(signed_in() + ana_enrols())
    _written_copies_sent(line)
    core = line.app.extensions["ivr"].core
    line.clock.now = datetime(2026, 11, 20, 16, tzinfo=EASTERN)
    for chunk in plan_run(core.uow, date(2026, 11, 23)):
        run_chunk(core.uow, date(2026, 11, 23), chunk, line.clock)
    settings = line.app.extensions["ivr"].settings
    export(core.uow, core.sealer, settings.ach_originator, date(2026, 11, 20),
           tmp_path / "f.ach", line.clock)  # fmt: skip
    check_ach_file((tmp_path / "f.ach").read_text("ascii"))  # every file the tests write
    heard = line.call(signed_in() + ["4", "1", "3", "1"]).spoken
    assert (
        "The debit of forty-five dollars on Monday, November twenty-third was already sent to "
        "your bank, so it will still be made." in heard
    )
    [debit] = [p for p in rows(line, PAYMENTS) if p["channel"] == "autopay"]
    assert debit["status"] == "approved"


def test_the_written_copy_by_text_lets_the_first_debit_go(make_line) -> None:
    line = make_line(bank_data_key=KEY, sms_from=SMS_FROM)
    heard = line.call(signed_in() + ana_enrols(copy=["1"]), caller=ANA_PHONE).spoken
    assert "To get it by text message to the number ending in zero, one, zero, zero" in heard
    assert "will be texted to the number ending in zero, one, zero, zero" in heard
    core = line.app.extensions["ivr"].core
    assert run_chunk(core.uow, date(2026, 11, 23), [ana_enrolment(line)], line.clock).debited == 0
    texts = Texts()
    assert send_queued(core.uow, texts, line.clock).sent == 1
    [(to, body)] = texts.sent
    assert to == ANA_PHONE and "each month on the 23rd" in body and "6789" in body
    assert ACCOUNT not in body and "Silva" not in body
    assert rows(line, RECURRING_AUTHORIZATIONS)[0]["written_copy_via"] == "sms"
    assert run_chunk(core.uow, date(2026, 11, 23), [ana_enrolment(line)], line.clock).debited == 1
    assert send_queued(core.uow, texts, line.clock).sent == 0  # at most once per event


def test_a_text_receipt_is_sent_when_the_caller_asks(make_line) -> None:
    line = make_line(bank_data_key=KEY, sms_from=SMS_FROM)
    card = ["1", "4242424242424242#", "1228#", "123#", "02110#"]
    log = line.call(signed_in() + ["1", "1", *card, "1", "4", "3"], caller=ANA_PHONE)
    assert "For a text message receipt, press 4." in log.spoken
    assert "A receipt will be texted to the number ending in zero, one, zero, zero." in log.spoken
    [receipt] = [m for m in rows(line, OUTBOX) if m["kind"] == "receipt"]
    assert receipt["details"].get("call_sid")  # the consent: asked for in this call
    texts = Texts()
    send_queued(line.app.extensions["ivr"].core.uow, texts, line.clock)
    [(to, body)] = texts.sent
    assert to == ANA_PHONE and "$45.00" in body and "4242" in body
    assert "4242424242424242" not in body and "Silva" not in body


def _written_copies_sent(line: Line) -> None:
    """The print vendor took the letters (each member on file has an address)."""
    from payments.messages.letters import export_letters

    core = line.app.extensions["ivr"].core
    report = export_letters(core.uow, Path(line.database).with_suffix(".letters.csv"), line.clock)
    assert report.held == 0 and report.exported >= 1


def test_changing_the_account_keeps_the_day_and_seals_the_new_one(make_line) -> None:
    line = make_line(bank_data_key=KEY)
    line.call(signed_in() + ana_enrols())
    new = "000555666777"
    keys = ["4", "1", "2", "1", f"{ROUTING}#", f"{new}#", f"{new}#", "1"]
    heard = line.call(signed_in() + keys).spoken
    assert "To change the bank account, press 2." in heard
    assert (
        "checking account ending in six, seven, seven, seven each month on the twenty-third"
        in heard
    )
    assert "AutoPay for your health plan is changed." in heard
    [enrolment] = rows(line, ENROLMENTS)
    assert (enrolment["day"], enrolment["last4"]) == (23, "6777")
    assert new not in str(enrolment)
    assert len(rows(line, RECURRING_AUTHORIZATIONS)) == 2
