"""The import's optional objects: a subscriber's mailing address, and a plan's AutoPay enrolment
made on the member portal (sealed, idempotent, changed, cancelled, refused)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from ivr.cli import main
from payments.bank.sealing import Sealer
from payments.domain.instruments import AccountType, BankDetails
from payments.domain.values import Channel
from payments.messages.letters import export_letters
from payments.operations.autopay_run import plan_run, run_chunk, totals
from payments.operations.demo import demo_accounts
from payments.operations.importer import InvalidImport, import_accounts
from payments.services.accounts import account_summary
from payments.services.autopay import AutopayService
from payments.services.autopay_values import EnrolRequest, RecurringConsent
from payments.storage.db import make_engine, make_uow_factory
from payments.storage.models import Member
from payments.storage.sqltypes import Base
from payments.storage.tables import ENROLMENTS, MEMBERS, OUTBOX, RECURRING_AUTHORIZATIONS
from tests.doubles import FakeClock, migrated_sqlite

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)  # 10:00 in Boston
LATER = datetime(2026, 11, 12, 15, 0, tzinfo=UTC)
ANA, HEALTH = "100000000001", "H-100000000001"
ACCOUNT = "000123456789"
ADDRESS = {"line1": "1 Federal Street", "line2": "Apt 4B", "city": "Boston", "state": "MA",
           "zip": "02110"}  # fmt: skip
AT = "subscribers[0] (100000000001)."
AUTOPAY_AT = AT + "plans[0].autopay."
NEWER = {
    "authorized_at": "2026-11-11T09:00:00-05:00",
    "written_copy_at": "2026-11-11T09:01:00-05:00",
}


@pytest.fixture()
def db(tmp_path):
    engine, uow_factory = migrated_sqlite(tmp_path)
    yield uow_factory
    engine.dispose()


@pytest.fixture()
def sealer():
    return Sealer.ephemeral()


def portal(**changes) -> dict:
    autopay = {
        "day": 23, "account_type": "checking", "routing": "011000015", "account": ACCOUNT,
        "authorized_at": "2026-10-02T14:03:00-04:00",
        "written_copy_at": "2026-10-02T14:05:00-04:00", "source": "portal",
    }  # fmt: skip
    autopay.update(changes)
    return {key: value for key, value in autopay.items() if value is not None}


def accounts(autopay: dict | None | str = "absent", address: dict | None | str = "absent") -> dict:
    """The demo accounts without their AutoPay; Ana's health plan with `autopay` if given."""
    data = copy.deepcopy(demo_accounts(NOW.date()))
    for subscriber in data["subscribers"]:
        for plan in subscriber["plans"]:
            plan.pop("autopay", None)
    ana = data["subscribers"][0]
    ana.pop("mailing_address")
    if address != "absent":
        ana["mailing_address"] = address
    if autopay != "absent":
        ana["plans"][0]["autopay"] = autopay
    return data


def load(db, sealer, data: dict, at: datetime = NOW) -> None:
    import_accounts(db, data, FakeClock(at), sealer=sealer)


def rows(db, table, *where) -> list:
    with db.reader() as uow:
        return uow.connection.execute(select(table).where(*where).order_by(table.c.id)).all()


def sizes(db) -> dict[str, int]:
    with db.reader() as uow:
        return {
            table.name: uow.connection.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }


def everything(db) -> str:
    """Every row of every table, as text."""
    with db.reader() as uow:
        conn = uow.connection
        return "\n".join(
            str(row) for table in Base.metadata.sorted_tables for row in conn.execute(select(table))
        )


def refused(db, sealer, data: dict) -> list[str]:
    before = everything(db)
    with pytest.raises(InvalidImport) as invalid:
        load(db, sealer, data)
    assert everything(db) == before
    return invalid.value.problems


def stored_address(db, subscriber_id: str = ANA) -> dict | None:
    with db.reader() as uow:
        query = select(MEMBERS.c.mailing_address).where(MEMBERS.c.subscriber_id == subscriber_id)
        return uow.connection.scalar(query)


# --- Mailing address -------------------------------------------------------------------------


def test_a_mailing_address_is_stored_with_the_keys_letters_print(db, sealer):
    load(db, sealer, accounts(address=ADDRESS))
    assert stored_address(db) == ADDRESS
    without_line2 = {key: value for key, value in ADDRESS.items() if key != "line2"}
    load(db, sealer, accounts(address={**without_line2, "line2": " "}))
    assert stored_address(db) == without_line2


@pytest.mark.parametrize("given", ["absent", None])
def test_a_file_without_an_address_leaves_none_on_file(db, sealer, given):
    load(db, sealer, accounts(address=ADDRESS))
    load(db, sealer, accounts(address=given))
    assert stored_address(db) is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"line1": None}, "line1: is missing"),
        ({"line1": "  "}, "line1: must be a non-empty string"),
        ({"city": None}, "city: is missing"),
        ({"state": "Mass"}, "state: must be a 2-letter state code like MA"),
        ({"state": "ma"}, "state: must be a 2-letter state code like MA"),
        ({"zip": "2110"}, "zip: must be a 5-digit ZIP code (0-9)"),
        ({"zip": None}, "zip: is missing"),
        ({"line1": "1 Federal\nStreet"},
         "line1: contains U+000A; control and invisible characters are not allowed"),
    ],
)  # fmt: skip
def test_a_bad_address_refuses_the_file_naming_the_field_not_the_value(db, sealer, change, problem):
    load(db, sealer, accounts(address=ADDRESS))
    address = {key: value for key, value in {**ADDRESS, **change}.items() if value is not None}
    assert refused(db, sealer, accounts(address=address)) == [AT + "mailing_address." + problem]


def test_an_address_that_is_not_an_object_is_refused(db, sealer):
    problems = refused(db, sealer, accounts(address="1 Federal Street, Boston"))
    assert problems == [AT + "mailing_address: must be an object"]


# --- AutoPay from the portal -----------------------------------------------------------------


def test_a_portal_enrolment_is_one_enrolment_and_one_authorization_sealed(db, sealer):
    load(db, sealer, accounts(portal()))
    (enrolment,) = rows(db, ENROLMENTS)
    assert (enrolment.day, enrolment.account_type, enrolment.routing, enrolment.last4) == (
        23, "checking", "011000015", "6789",
    )  # fmt: skip
    assert (enrolment.source, enrolment.cancelled, enrolment.stopped) == ("portal", False, None)
    assert enrolment.first_debit_on == date(2026, 11, 23)
    assert enrolment.announced_amount is None  # the line told no amount
    assert sealer.open(enrolment.account_sealed) == ACCOUNT
    (authorization,) = rows(db, RECURRING_AUTHORIZATIONS)
    assert authorization.text == "Authorized on the member portal at 2026-10-02T14:03:00-04:00"
    assert (authorization.channel, authorization.call_sid, authorization.accepting_key) == (
        "portal", None, None,
    )  # fmt: skip
    assert authorization.accepted_at == datetime(2026, 10, 2, 18, 3, tzinfo=UTC)
    assert authorization.written_copy_at == datetime(2026, 10, 2, 18, 5, tzinfo=UTC)
    assert authorization.written_copy_via == "portal"
    assert rows(db, OUTBOX) == []  # the portal sent the written copy
    assert ACCOUNT not in everything(db) and "123456789" not in everything(db)


def test_after_the_import_autopay_is_active_on_the_23rd_from_6789(db, sealer):
    load(db, sealer, accounts(portal()))
    service = AutopayService(db, sealer, FakeClock(NOW), "1-877-623-6765")
    view = service.view(ANA, HEALTH)
    assert (view.status, view.day, view.account_type, view.last4) == (
        "active", 23, "checking", "6789",
    )  # fmt: skip
    assert (view.next_debit_date, str(view.next_amount)) == (date(2026, 11, 23), "45.00")
    with db.reader() as uow:
        summary = account_summary(uow.connection, ANA, NOW.date())
    health = next(plan for plan in summary.plans if plan.plan_id == HEALTH)
    assert (health.autopay.status, health.autopay.day, health.autopay.last4) == (
        "active", 23, "6789",
    )  # fmt: skip


def test_the_run_debits_a_portal_enrolment_whose_copy_the_portal_sent(db, sealer):
    load(db, sealer, accounts(portal()))
    on = date(2026, 11, 23)
    clock = FakeClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    report = totals([run_chunk(db, on, chunk, clock) for chunk in plan_run(db, on)])
    assert (report.debited, str(report.total)) == (1, "45.00")


def test_importing_the_same_file_again_changes_nothing(db, sealer):
    load(db, sealer, accounts(portal(written_copy_at=None)))
    before = sizes(db)
    enrolment, authorization = rows(db, ENROLMENTS), rows(db, RECURRING_AUTHORIZATIONS)
    load(db, sealer, accounts(portal(written_copy_at=None)), at=LATER)
    after = sizes(db)
    assert after.pop("audit_events") == before.pop("audit_events") + 1  # "import.accounts"
    assert after == before and before["autopay_enrolments"] == 1
    assert rows(db, ENROLMENTS) == enrolment
    assert rows(db, RECURRING_AUTHORIZATIONS) == authorization
    assert len(rows(db, OUTBOX)) == 1  # one letter, not two


def test_a_changed_day_replaces_the_authorization_as_a_change_by_phone_does(db, sealer):
    load(db, sealer, accounts(portal()))
    (first,) = rows(db, ENROLMENTS)
    load(db, sealer, accounts(portal(day=15)), at=LATER)
    (changed,) = rows(db, ENROLMENTS)
    assert (changed.id, changed.reference, changed.day) == (first.id, first.reference, 15)
    # 3 banking days from November 12 first: not November 16 (the 15th is a Sunday)
    assert changed.first_debit_on == date(2026, 12, 15)
    old, new = rows(db, RECURRING_AUTHORIZATIONS)
    assert (old.ended_why, old.ended_at, old.retain_until.year) == ("replaced", LATER, 2028)
    assert (new.ended_at, new.day, new.channel) == (None, 15, "portal")


def test_a_changed_account_is_sealed_and_replaces_the_authorization(db, sealer):
    load(db, sealer, accounts(portal()))
    newer = portal(account="987654321", **NEWER)
    load(db, sealer, accounts(newer), at=LATER)
    (enrolment,) = rows(db, ENROLMENTS)
    assert (enrolment.last4, sealer.open(enrolment.account_sealed)) == ("4321", "987654321")
    old, new = rows(db, RECURRING_AUTHORIZATIONS)
    assert (old.ended_why, new.last4, new.ended_at) == ("replaced", "4321", None)
    assert "987654321" not in everything(db)


def test_an_explicit_null_cancels_a_portal_enrolment_and_absent_keeps_it(db, sealer):
    load(db, sealer, accounts(portal()))
    load(db, sealer, accounts(), at=LATER)  # no "autopay" key: no change
    assert rows(db, ENROLMENTS)[0].cancelled is False
    load(db, sealer, accounts(None), at=LATER)
    (enrolment,) = rows(db, ENROLMENTS)
    (authorization,) = rows(db, RECURRING_AUTHORIZATIONS)
    assert enrolment.cancelled and authorization.ended_why == "cancelled"
    load(db, sealer, accounts(None), at=LATER)
    assert len(rows(db, RECURRING_AUTHORIZATIONS)) == 1
    load(db, sealer, accounts(portal()), at=LATER)  # an older file does not enrol it again
    assert rows(db, ENROLMENTS)[0].cancelled


def phone_enrolment(db, sealer, at: datetime) -> None:
    consent = RecurringConsent("the words as read", at, "CA1", "1", Channel.VOICE)
    bank = BankDetails(AccountType.SAVINGS, "011000015", "55554444")
    request = EnrolRequest(ANA, HEALTH, 15, bank, consent, None, "en")
    AutopayService(db, sealer, FakeClock(at), "1-877-623-6765").enrol(request)


def test_an_enrolment_made_by_phone_is_kept_unless_the_portal_says_something_newer(db, sealer):
    load(db, sealer, accounts())
    phone_enrolment(db, sealer, NOW)
    load(db, sealer, accounts(), at=LATER)
    load(db, sealer, accounts(None), at=LATER)  # null cancels only what the portal made
    load(db, sealer, accounts(portal()), at=LATER)  # authorized before the call
    (enrolment,) = rows(db, ENROLMENTS)
    assert (enrolment.source, enrolment.day, enrolment.last4, enrolment.cancelled) == (
        "voice", 15, "4444", False,
    )  # fmt: skip
    load(db, sealer, accounts(portal(**NEWER)), at=LATER)
    (enrolment,) = rows(db, ENROLMENTS)
    assert (enrolment.source, enrolment.day, enrolment.last4) == ("portal", 23, "6789")
    phone, web = rows(db, RECURRING_AUTHORIZATIONS)
    assert (phone.channel, phone.ended_why, web.channel, web.ended_at) == (
        "voice", "replaced", "portal", None,
    )  # fmt: skip


def test_without_the_portals_written_copy_a_letter_is_queued_and_exported(db, sealer, tmp_path):
    load(db, sealer, accounts(portal(written_copy_at=None), address=ADDRESS))
    (letter,) = rows(db, OUTBOX)
    (authorization,) = rows(db, RECURRING_AUTHORIZATIONS)
    assert (letter.channel, letter.kind, letter.status, letter.to_number) == (
        "letter", "autopay_written_copy", "queued", None,
    )  # fmt: skip
    assert letter.authorization_id == authorization.id and authorization.written_copy_at is None
    assert "on the 23rd from your checking account ending in 6789" in letter.body
    assert "call 1-877-623-6765" in letter.body and ACCOUNT not in letter.body
    assert export_letters(db, tmp_path / "letters.csv", FakeClock(LATER)).exported == 1
    assert "1 Federal Street,Apt 4B,Boston,MA,02110" in (tmp_path / "letters.csv").read_text()
    (authorization,) = rows(db, RECURRING_AUTHORIZATIONS)
    assert (authorization.written_copy_at, authorization.written_copy_via) == (LATER, "letter")


def test_a_written_copy_the_portal_sends_later_is_recorded(db, sealer):
    load(db, sealer, accounts(portal(written_copy_at=None)))
    load(db, sealer, accounts(portal()), at=LATER)
    (authorization,) = rows(db, RECURRING_AUTHORIZATIONS)
    assert authorization.written_copy_at == datetime(2026, 10, 2, 18, 5, tzinfo=UTC)
    assert authorization.written_copy_via == "portal"


def test_an_account_sealed_under_a_lost_key_is_sealed_again_not_re_authorized(db, sealer):
    load(db, sealer, accounts(portal()))
    replacement = Sealer.ephemeral()
    load(db, replacement, accounts(portal()), at=LATER)
    (enrolment,) = rows(db, ENROLMENTS)
    assert replacement.open(enrolment.account_sealed) == ACCOUNT
    assert len(rows(db, RECURRING_AUTHORIZATIONS)) == 1


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"day": 5}, "day: 5 must be one of 15, 23"),
        ({"day": "23"}, 'day: "23" must be one of 15, 23'),
        ({"day": 23.0}, "day: 23.0 must be one of 15, 23"),
        ({"day": True}, "day: True must be one of 15, 23"),
        ({"account_type": "brokerage"},
         'account_type: "brokerage" must be one of checking, savings'),
        ({"routing": "011000016"},
         'routing: "011000016" is not a routing number (its check digit is wrong)'),
        ({"routing": "01100001"}, 'routing: "01100001" must be 9 digits (0-9)'),
        ({"routing": "٠١١٠٠٠٠١٥"}, 'routing: "٠١١٠٠٠٠١٥" must be 9 digits (0-9)'),
        ({"account": "123"}, "account: must be 4 to 17 digits (0-9)"),
        ({"account": "123456789012345678"}, "account: must be 4 to 17 digits (0-9)"),
        ({"account": "1234-5678"}, "account: must be 4 to 17 digits (0-9)"),
        ({"account": 123456789}, "account: must be a non-empty string"),
        ({"authorized_at": "2026-10-02T14:03:00"},
         'authorized_at: "2026-10-02T14:03:00" is not a time with its UTC offset '
         "(like 2026-10-02T14:03:00-04:00)"),
        ({"authorized_at": "2026-11-11T09:00:00-05:00"},
         'authorized_at: "2026-11-11T09:00:00-05:00" must be between 2000-01-01 and 2026-11-10'),
        ({"written_copy_at": "2026-10-01T14:05:00-04:00"},
         "written_copy_at: is before authorized_at"),
        ({"source": "phone"},
         'source: "phone" must be "portal": the import brings only enrolments made on the portal'),
    ],
)  # fmt: skip
def test_a_bad_portal_enrolment_refuses_the_file_and_writes_nothing(db, sealer, change, problem):
    load(db, sealer, accounts())
    assert refused(db, sealer, accounts(portal(**change))) == [AUTOPAY_AT + problem]
    assert rows(db, ENROLMENTS) == []


def test_a_missing_field_is_named(db, sealer):
    autopay = portal()
    del autopay["routing"], autopay["source"]
    problems = refused(db, sealer, accounts(autopay))
    assert problems == [AUTOPAY_AT + "routing: is missing", AUTOPAY_AT + "source: is missing"]


def test_a_refusal_never_shows_the_account_number(db, sealer):
    problems = refused(db, sealer, accounts(portal(account="12345678901234567890", day=7)))
    assert "1234567890" not in "\n".join(problems) and len(problems) == 2


# --- The demo and the command ----------------------------------------------------------------


def test_the_demo_members_have_addresses_and_rosa_has_portal_autopay(db, sealer):
    import_accounts(db, demo_accounts(NOW.date()), FakeClock(NOW), sealer=sealer)
    with db.reader() as uow:
        addresses = uow.session.scalars(select(Member.mailing_address)).all()
    assert len(addresses) == 5 and all(a["state"] == "MA" and a["line1"] for a in addresses)
    (enrolment,) = rows(db, ENROLMENTS)
    service = AutopayService(db, sealer, FakeClock(NOW), "1-877-623-6765")
    view = service.view("100000000005", "H-100000000005")
    assert (view.status, view.day, view.last4) == ("active", 23, "6789")
    assert sealer.open(enrolment.account_sealed) == ACCOUNT
    assert service.view(ANA, HEALTH).status == "none"
    before = sizes(db)
    import_accounts(db, demo_accounts(NOW.date()), FakeClock(LATER), sealer=sealer)
    assert {**sizes(db), "audit_events": 0} == {**before, "audit_events": 0}


def test_the_command_seals_with_the_lines_bank_data_key(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.delenv("BANK_DATA_KEY", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    file = tmp_path / "accounts.json"
    file.write_text(json.dumps(accounts(portal(), address=ADDRESS)), encoding="utf-8")
    result = runner.invoke(main, ["import-accounts", str(file)])
    assert result.exit_code == 0, result.output
    shown = json.loads(runner.invoke(main, ["account", "show", ANA, "--json"]).output)
    health = next(plan for plan in shown["plans"] if plan["plan_id"] == HEALTH)
    assert (health["autopay"]["status"], health["autopay"]["last4"]) == ("active", "6789")
    engine = make_engine(f"sqlite:///{tmp_path}/cli.sqlite3")
    (enrolment,) = rows(make_uow_factory(engine), ENROLMENTS)
    engine.dispose()
    key = (tmp_path / "bank-data.key").read_text()
    assert Sealer(key).open(enrolment.account_sealed) == ACCOUNT
