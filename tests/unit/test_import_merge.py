"""The set-based import (issue 17): what a re-import writes (nothing, or only what changed),
what the report says, JSON Lines, the cap on problems shown, and the AutoPay notice a changed
premium starts. On SQLite here; tests/integration/test_import_postgres.py repeats the heart of
it on PostgreSQL and kills an import midway."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from payments.bank.sealing import Sealer
from payments.domain.instruments import AccountType, BankDetails
from payments.domain.values import Channel
from payments.operations.demo import demo_accounts
from payments.operations.import_merge import Counts, PremiumChange
from payments.operations.importer import ImportReport, InvalidImport, import_accounts
from payments.services.autopay import AutopayService
from payments.services.autopay_values import EnrolRequest, RecurringConsent
from payments.storage.enrolments import insert_enrolment
from payments.storage.tables import ENROLMENTS, INVOICES, MEMBERS, NOTICES, OUTBOX, PHONES, PLANS
from tests.doubles import FakeClock, migrated_sqlite

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
WATCHED = ("members", "member_phones", "plans", "invoices", "autopay_enrolments",
           "recurring_authorizations", "outbox_messages")  # fmt: skip
DEMO = Counts(created=0, changed=0, unchanged=5), Counts(created=0, changed=0, unchanged=6)


@pytest.fixture()
def db(tmp_path):
    engine, uow_factory = migrated_sqlite(tmp_path)
    with engine.begin() as conn:  # every write to the watched tables, logged
        conn.execute(text("CREATE TABLE write_log (tbl TEXT, op TEXT)"))
        for table in WATCHED:
            for op in ("INSERT", "UPDATE", "DELETE"):
                conn.execute(text(
                    f"CREATE TRIGGER log_{table}_{op} AFTER {op} ON {table} "
                    f"BEGIN INSERT INTO write_log VALUES ('{table}', '{op}'); END"
                ))  # fmt: skip
    yield uow_factory
    engine.dispose()


@pytest.fixture()
def sealer():
    return Sealer.ephemeral()


def demo() -> dict:
    return copy.deepcopy(demo_accounts(NOW.date()))


def load(db, data, sealer, at: datetime = NOW) -> ImportReport:
    return import_accounts(db, data, FakeClock(at), sealer=sealer)


def writes(db) -> list[tuple[str, str]]:
    """The writes logged since the last call (and the log emptied)."""
    with db() as uow:
        logged = uow.connection.execute(text("SELECT tbl, op FROM write_log")).all()
        uow.connection.execute(text("DELETE FROM write_log"))
        uow.commit()
    return sorted((row.tbl, row.op) for row in logged)


def test_a_second_import_of_the_same_file_writes_nothing(db, sealer):
    first = load(db, demo(), sealer)  # Rosa's plan carries a portal enrolment
    assert (first.members, first.plans) == (Counts(5, 0, 0), Counts(6, 0, 0))
    assert ("autopay_enrolments", "INSERT") in writes(db)
    again = load(db, demo(), sealer)
    assert (again.members, again.plans) == DEMO
    assert again.premium_changes == () and again.notices == 0
    assert writes(db) == []


def test_only_what_changed_is_written_and_each_change_is_counted(db, sealer):
    load(db, demo(), sealer)
    writes(db)
    data = demo()
    ana, luis, mei, james, rosa = data["subscribers"]
    luis["phones"] = ["+16175550199"]  # replaced: one removed, one added
    ana["plans"][1]["invoices"][1]["amount"] = "33.00"  # one invoice of the dental plan
    mei["plans"][0]["monthly_premium"] = "301.00"
    james["mailing_address"] = {"line1": "9 Elm St", "city": "Salem", "state": "MA", "zip": "01970"}
    report = load(db, data, sealer)
    assert report.members == Counts(created=0, changed=2, unchanged=3)  # Luis, James
    assert report.plans == Counts(created=0, changed=2, unchanged=4)  # Ana's dental, Mei's
    assert report.premium_changes == (
        PremiumChange("100000000003", "H-100000000003", Decimal("289.00"), Decimal("301.00")),
    )
    assert writes(db) == [
        ("invoices", "UPDATE"), ("member_phones", "DELETE"), ("member_phones", "INSERT"),
        ("members", "UPDATE"), ("plans", "UPDATE"),
    ]  # fmt: skip
    with db.reader() as uow:
        conn = uow.connection
        phones = conn.execute(select(MEMBERS.c.subscriber_id, PHONES.c.e164).join(PHONES)).all()
        invoice = conn.scalar(
            select(INVOICES.c.amount).join(PLANS).where(
                PLANS.c.plan_id == "D-100000000001", INVOICES.c.period == date(2026, 12, 1)
            )
        )  # fmt: skip
        address = conn.scalar(
            select(MEMBERS.c.mailing_address).where(MEMBERS.c.first_name == "James")
        )
    assert sorted(phones)[1] == ("100000000002", "+16175550199")
    assert len(phones) == 5 and invoice == Decimal("33.00") and address["city"] == "Salem"
    assert (load(db, data, sealer).members, load(db, data, sealer).plans) == DEMO


def test_a_member_or_plan_new_to_the_file_is_created_beside_the_others(db, sealer):
    load(db, demo(), sealer)
    data = demo()
    newcomer = copy.deepcopy(data["subscribers"][1])
    newcomer.update(subscriber_id="100000000099", phones=["+16175550177"])
    newcomer["plans"][0]["plan_id"] = "H-100000000099"
    data["subscribers"].append(newcomer)
    report = load(db, data, sealer)
    assert report.members == Counts(created=1, changed=0, unchanged=5)
    assert report.plans == Counts(created=1, changed=0, unchanged=6)


def test_json_lines_and_the_document_load_alike(db, sealer, tmp_path):
    data = demo()
    lines = tmp_path / "feed.jsonl"
    lines.write_text("".join(json.dumps(member) + "\n" for member in data["subscribers"]))
    document = tmp_path / "feed.json"
    document.write_text(json.dumps(data, indent=2))  # many lines: still the document
    first = load(db, lines, sealer)
    assert (first.members, first.plans) == (Counts(5, 0, 0), Counts(6, 0, 0))
    assert (load(db, document, sealer).members, load(db, lines, sealer).plans) == DEMO


def test_a_json_lines_problem_is_named_by_its_line(db, sealer, tmp_path):
    members = demo()["subscribers"]
    members[1]["zip"] = "2110"
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(members[0]) + "\n\n" + json.dumps(members[1]) + "\n{not json\n")
    with pytest.raises(InvalidImport) as invalid:
        load(db, feed, sealer)
    assert invalid.value.problems == ["line 4: not valid JSON (or not UTF-8)"]
    feed.write_text(json.dumps(members[0]) + "\n\n" + json.dumps(members[1]) + "\n")
    with pytest.raises(InvalidImport) as invalid:
        load(db, feed, sealer)
    assert invalid.value.problems == ["line 3 (100000000002).zip: must be a 5-digit ZIP code (0-9)"]


def test_a_broken_document_is_refused_by_place_without_quoting_it(db, sealer, tmp_path):
    members = demo()["subscribers"]
    feed = tmp_path / "feed.json"
    feed.write_text('{"subscribers": [' + json.dumps(members[0]) + ', {"first_name": "Zed"')
    with pytest.raises(InvalidImport) as invalid:
        load(db, feed, sealer)
    assert invalid.value.problems == ["(file): not valid JSON (or not UTF-8) after subscribers[0]"]
    assert "Zed" not in str(invalid.value)
    for body, problem in [
        ("[]", "(top level): must be an object"),
        ('{"members": []}', "subscribers: is missing"),
        ('{"subscribers": {"a": 1}}', "subscribers: must be a list"),
    ]:
        feed.write_text(body)
        with pytest.raises(InvalidImport) as invalid:
            load(db, feed, sealer)
        assert invalid.value.problems == [problem]
    feed.write_text('{"subscribers": []}')
    assert load(db, feed, sealer).members == Counts(0, 0, 0)


def test_the_first_fifty_problems_are_shown_and_the_rest_counted(db, sealer):
    data = demo()
    template = data["subscribers"][0]
    data["subscribers"] = [dict(copy.deepcopy(template), zip="x") for _ in range(60)]
    with pytest.raises(InvalidImport) as invalid:
        load(db, data, sealer)
    assert len(invalid.value.problems) == 50 and invalid.value.total == 60
    assert invalid.value.problems[49].startswith("subscribers[49] (100000000001).zip:")
    assert str(invalid.value).endswith("\n... and 10 more problems")
    assert writes(db) == []


def test_a_plan_twice_and_a_subscriber_twice_are_named_in_file_order(db, sealer):
    data = demo()
    twin = copy.deepcopy(data["subscribers"][2])
    twin["subscriber_id"] = "100000000077"
    data["subscribers"].insert(1, twin)  # Mei's plan, first under another subscriber
    data["subscribers"].append(copy.deepcopy(data["subscribers"][0]))
    with pytest.raises(InvalidImport) as invalid:
        load(db, data, sealer)
    assert invalid.value.problems == [
        "subscribers[3] (100000000003).plans[0]: plan H-100000000003 appears twice",
        "subscribers[6]: subscriber 100000000001 appears twice",
        "subscribers[6] (100000000001).plans[0]: plan H-100000000001 appears twice",
        "subscribers[6] (100000000001).plans[1]: plan D-100000000001 appears twice",
    ]


def phone_enrolment(db, sealer) -> None:
    """Ana's health plan on AutoPay by phone, debited on the 15th: told $45.00 when she
    enrolled."""
    consent = RecurringConsent("the words as read", NOW, "CA1", "1", Channel.VOICE)
    bank = BankDetails(AccountType.SAVINGS, "011000015", "55554444")
    request = EnrolRequest("100000000001", "H-100000000001", 15, bank, consent, None, "en")
    AutopayService(db, sealer, FakeClock(NOW), "1-877-623-6765").enrol(request)


def test_a_new_premium_on_autopay_is_told_ten_days_ahead(db, sealer):
    load(db, demo(), sealer)
    phone_enrolment(db, sealer)
    data = demo()
    health = data["subscribers"][0]["plans"][0]
    health["monthly_premium"] = health["invoices"][1]["amount"] = "52.00"
    # November 25: the debit of December 15 is 20 days away, far enough to be told.
    report = load(db, data, sealer, at=datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    assert report.notices == 1 and len(report.premium_changes) == 1
    with db.reader() as uow:
        notice = uow.connection.execute(select(NOTICES)).one()
        message = uow.connection.execute(select(OUTBOX)).all()[-1]
    assert (notice.debit_date, notice.amount) == (date(2026, 12, 15), Decimal("52.00"))
    assert message.kind == "autopay_amount_change" and "52" in message.body
    again = load(db, data, sealer, at=datetime(2026, 11, 26, 15, 0, tzinfo=UTC))
    assert again.notices == 0  # unchanged: nothing checked again (the daily job would see it)


def test_an_enrolment_reference_already_taken_is_drawn_again(db, sealer, monkeypatch):
    """Ten thousand portal enrolments in one feed make a repeat among 100 million references
    likely (the birthday problem): the one taken is drawn again, not the import refused."""
    draws = iter(["11111111", "11111111", "22222222"])
    monkeypatch.setattr("payments.storage.enrolments.new_confirmation", lambda: next(draws))
    data = demo()
    for plan in data["subscribers"][0]["plans"]:  # both of Ana's plans, on the portal
        plan["autopay"] = copy.deepcopy(data["subscribers"][4]["plans"][0]["autopay"])
    del data["subscribers"][4]["plans"][0]["autopay"]
    load(db, data, sealer)
    with db.reader() as uow:
        references = uow.connection.execute(select(ENROLMENTS.c.reference)).scalars().all()
    assert sorted(references) == ["11111111", "22222222"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "(file): not valid JSON (or not UTF-8)"),
        (b"  \n", "(file): not valid JSON (or not UTF-8)"),
        (b'"subscribers"', "(top level): must be an object"),
        (b'{"x": {"subscribers": []}}', "subscribers: is missing"),  # only at the top level
        (b'{"x": 1, "subscribers": "all"}', "subscribers: must be a list"),
        (b'{"x": 1, "subscribers": [], "y": [', "(file): not valid JSON (or not UTF-8)"),
    ],
)
def test_a_file_with_no_subscriber_says_why(db, sealer, tmp_path, body, problem):
    feed = tmp_path / "feed.json"
    feed.write_bytes(body)
    with pytest.raises(InvalidImport) as invalid:
        load(db, feed, sealer)
    assert invalid.value.problems == [problem]


def test_an_empty_list_after_other_keys_is_an_empty_feed(db, sealer, tmp_path):
    feed = tmp_path / "feed.json"
    feed.write_bytes(b'{"exported_at": "2026-12-01", "subscribers": []}')
    assert load(db, feed, sealer).members == Counts(0, 0, 0)


def test_a_second_enrolment_of_a_plan_is_refused_not_drawn_again(db, sealer, monkeypatch):
    """Only a taken reference is drawn again: a plan's second enrolment row still fails on its
    own constraint, at the first draw."""
    load(db, demo(), sealer)  # Rosa's health plan is enrolled on the portal
    draws: list[str] = []
    monkeypatch.setattr(
        "payments.storage.enrolments.new_confirmation", lambda: draws.append("x") or "99999999"
    )
    with db() as uow:
        row = dict(uow.connection.execute(select(ENROLMENTS)).one()._mapping)
        del row["id"], row["reference"]
        with pytest.raises(IntegrityError):
            insert_enrolment(uow.connection, row)
    assert draws == ["x"]


def test_premium_changes_are_listed_in_the_files_order(db, sealer):
    load(db, demo(), sealer)
    data = demo()
    ana, luis = data["subscribers"][0], data["subscribers"][1]
    ana["plans"][1]["monthly_premium"] = "33.00"  # her second plan (dental)
    ana["plans"][0]["monthly_premium"] = "46.00"
    luis["plans"][0]["monthly_premium"] = "420.00"
    changes = [change.plan_id for change in load(db, data, sealer).premium_changes]
    assert changes == ["H-100000000001", "D-100000000001", "H-100000000002"]  # Ana's, in turn
