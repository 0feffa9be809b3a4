"""Account import: validation messages, idempotency, and what a re-import keeps."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from payments.domain.instruments import CardDetails
from payments.domain.values import Channel, PaymentRequest, PlanStatus
from payments.operations.admin import account_as_json, import_accounts_file
from payments.operations.demo import demo_accounts, next_coverage_month
from payments.operations.importer import ImportReport, InvalidImport, import_accounts
from payments.services.service import PaymentService
from payments.storage.models import Invoice, Member, MemberPhone, Plan
from tests.doubles import FakeClock, migrated_sqlite, standalone_sandbox

TODAY = date(2026, 11, 10)
NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


@pytest.fixture()
def db(tmp_path):
    engine, uow_factory = migrated_sqlite(tmp_path)
    yield uow_factory
    engine.dispose()


def demo() -> dict:
    return copy.deepcopy(demo_accounts(TODAY))


def problems_for(db, data) -> list[str]:
    with pytest.raises(InvalidImport) as invalid:
        import_accounts(db, data)
    return invalid.value.problems


def count(db, model) -> int:
    with db() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_import_creates_then_updates_idempotently(db):
    assert import_accounts(db, demo()) == ImportReport(created=5, updated=0)
    sizes = [count(db, m) for m in (Member, MemberPhone, Plan, Invoice)]
    assert import_accounts(db, demo()) == ImportReport(created=0, updated=5)
    assert [count(db, m) for m in (Member, MemberPhone, Plan, Invoice)] == sizes == [5, 5, 6, 12]


def test_error_names_the_record_and_field(db):
    data = demo()
    data["subscribers"][2]["plans"][0]["invoices"].append(
        {"period": "2027-01", "amount": "4x.00", "due_date": "2026-12-23", "paid": "0.00"}
    )
    assert problems_for(db, data) == [
        'subscribers[2] (100000000003).plans[0].invoices[1].amount: "4x.00" is not a decimal amount'
    ]


def test_every_problem_is_reported_and_nothing_is_loaded(db):
    data = demo()
    ana, luis = data["subscribers"][0], data["subscribers"][1]
    ana["subscriber_id"] = "12345"
    ana["phones"] = ["617-555-0100"]
    luis["date_of_birth"] = "1975-02-30"
    luis["plans"][0]["kind"] = "vision"
    luis["plans"][0]["subsidized"] = "no"
    luis["plans"][0]["invoices"][0]["period"] = "2026-13"
    luis["plans"][0]["invoices"][1]["paid"] = "999.00"
    del luis["language"]
    luis_at, plan_at = "subscribers[1] (100000000002).", "subscribers[1] (100000000002).plans[0]."
    assert problems_for(db, data) == [
        'subscribers[0].subscriber_id: "12345" must be 12 digits',
        'subscribers[0].phones[0]: "617-555-0100" must be an E.164 number like +16175550100',
        luis_at + 'date_of_birth: "1975-02-30" is not a date (YYYY-MM-DD)',
        luis_at + "language: is missing",
        plan_at + 'kind: "vision" must be one of health, dental',
        plan_at + 'subsidized: "no" must be true or false',
        plan_at + 'invoices[0].period: "2026-13" is not a month (YYYY-MM)',
        plan_at + 'invoices[1].paid: "999.00" is more than the amount "412.50"',
    ]
    assert count(db, Member) == 0


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([], "(top level): must be an object"),
        ({}, "subscribers: is missing"),
        ({"subscribers": {}}, "subscribers: must be a list"),
        ({"subscribers": ["x"]}, "subscribers[0]: must be an object"),
    ],
)
def test_shape_errors(db, data, problem):
    assert problem in problems_for(db, data)


def test_duplicates_are_refused(db):
    data = demo()
    data["subscribers"].append(copy.deepcopy(data["subscribers"][0]))
    invoices = data["subscribers"][1]["plans"][0]["invoices"]
    invoices[1]["period"] = invoices[0]["period"]
    problems = problems_for(db, data)
    assert "subscribers[5]: subscriber 100000000001 appears twice" in problems
    assert (
        "subscribers[1] (100000000002).plans[0].invoices: two invoices for the same period"
        in problems
    )


def test_a_plan_cannot_move_to_another_subscriber(db):
    import_accounts(db, demo())
    data = demo()
    data["subscribers"][1]["plans"][0]["plan_id"] = "H-100000000001"
    data["subscribers"][0]["plans"] = data["subscribers"][0]["plans"][1:]
    assert problems_for(db, data) == [
        'subscribers[1] (100000000002).plans[0].plan_id: "H-100000000001" '
        "belongs to subscriber 100000000001"
    ]


def test_reimport_updates_fields_and_phones(db):
    import_accounts(db, demo())
    data = demo()
    data["subscribers"][0]["phones"] = ["+16175550199", "+16175550100"]
    data["subscribers"][0]["plans"][0]["invoices"][1]["amount"] = "50.00"
    import_accounts(db, data)
    shown = account_as_json(db, "100000000001", NOW)
    assert shown["phones"] == ["+16175550100", "+16175550199"]
    assert shown["plans"][0]["balance"] == "50.00"


def pay(db, subscriber: str, plan_id: str, amount: str):
    service = PaymentService(db, standalone_sandbox(), FakeClock(NOW))
    instrument = CardDetails("4242424242424242", 12, 2030, "123", "02110")
    request = PaymentRequest(subscriber, plan_id, Decimal(amount), instrument, Channel.VOICE, "k")
    return service.submit_payment(request)


def test_reimport_keeps_this_lines_payments(db):
    import_accounts(db, demo())
    pay(db, "100000000002", "H-100000000002", "100.00")
    import_accounts(db, demo())
    shown = account_as_json(db, "100000000002", NOW)
    assert shown["plans"][0]["balance"] == "312.50" and len(shown["payments"]) == 1


def test_paid_elsewhere_counts_with_this_lines_payments_and_never_below_zero(db):
    import_accounts(db, demo())
    pay(db, "100000000002", "H-100000000002", "100.00")
    data = demo()
    data["subscribers"][1]["plans"][0]["invoices"][1]["paid"] = "400.00"  # mailed a cheque
    import_accounts(db, data)
    assert account_as_json(db, "100000000002", NOW)["plans"][0]["balance"] == "0.00"


def test_an_activation_here_is_not_undone_by_an_older_file(db):
    import_accounts(db, demo())
    outcome = pay(db, "100000000003", "H-100000000003", "289.00")
    assert outcome.plan_status is PlanStatus.ACTIVE
    import_accounts(db, demo())  # the billing system still says "pending"
    assert account_as_json(db, "100000000003", NOW)["plans"][0]["status"] == "active"


def test_import_file_and_bad_json(db, tmp_path):
    good, bad = tmp_path / "accounts.json", tmp_path / "bad.json"
    good.write_text(json.dumps(demo()))
    bad.write_text("{")
    assert import_accounts_file(db, good).created == 5
    with pytest.raises(InvalidImport, match="not valid JSON"):
        import_accounts_file(db, bad)


@pytest.mark.parametrize(
    ("today", "month"),
    [
        (date(2026, 11, 23), date(2026, 12, 1)),
        (date(2026, 11, 24), date(2027, 1, 1)),
        (date(2026, 12, 24), date(2027, 2, 1)),
        (date(2026, 12, 1), date(2027, 1, 1)),
    ],
)
def test_demo_dates_follow_today(today, month):
    assert next_coverage_month(today) == month
    ana = demo_accounts(today)["subscribers"][0]["plans"][0]["invoices"][-1]
    assert ana["period"] == month.strftime("%Y-%m") and ana["due_date"] >= today.isoformat()


def test_demo_imports_on_any_day(db):
    for day in (date(2026, 1, 1), date(2026, 2, 28), date(2026, 12, 31)):
        import_accounts(db, demo_accounts(day))
