"""Account import: validation messages, idempotency, and what a re-import keeps."""

from __future__ import annotations

import copy
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from payments.domain.instruments import CardDetails
from payments.domain.values import Channel, PaymentRequest, PlanStatus
from payments.operations.admin import account_as_json
from payments.operations.demo import demo_accounts, next_coverage_month
from payments.operations.import_merge import Counts
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
    assert import_accounts(db, demo()) == ImportReport(Counts(5, 0, 0), Counts(6, 0, 0))
    sizes = [count(db, m) for m in (Member, MemberPhone, Plan, Invoice)]
    assert import_accounts(db, demo()) == ImportReport(Counts(0, 0, 5), Counts(0, 0, 6))
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
        'subscribers[0].subscriber_id: "12345" must be 12 digits (0-9)',
        # personal fields (phones, date of birth) are named, never quoted
        "subscribers[0].phones[0]: must be an E.164 number like +16175550100",
        luis_at + "date_of_birth: is not a date (YYYY-MM-DD)",
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


def test_only_the_plan_activated_here_keeps_its_status_and_coverage_start(db):
    """Two pending plans; one is activated by a binder payment. A file still saying pending
    (with another coverage start) sends the other back, and an active plan this line did not
    activate too; a file saying terminated is obeyed."""
    data = demo()
    twin = copy.deepcopy(data["subscribers"][2])
    twin.update(subscriber_id="100000000077", phones=["+16175550177"])
    twin["plans"][0]["plan_id"] = "H-100000000077"
    data["subscribers"].append(twin)
    import_accounts(db, data)
    pay(db, "100000000003", "H-100000000003", "289.00")
    with db.reader() as uow:
        started = uow.session.scalar(
            select(Plan.coverage_start).where(Plan.plan_id == "H-100000000003")
        )
    for plan in (data["subscribers"][2]["plans"][0], twin["plans"][0]):
        plan["coverage_start"] = "2027-03-01"
    data["subscribers"][1]["plans"][0]["status"] = "pending"  # active, but not activated here
    import_accounts(db, data)
    with db.reader() as uow:
        query = select(Plan.plan_id, Plan.status, Plan.coverage_start)
        plans = {
            row.plan_id: (row.status, row.coverage_start) for row in uow.session.execute(query)
        }
    assert plans["H-100000000003"] == ("active", started)
    assert plans["H-100000000077"] == ("pending", date(2027, 3, 1))
    assert plans["H-100000000002"][0] == "pending"
    data["subscribers"][2]["plans"][0]["status"] = "terminated"
    import_accounts(db, data)
    assert account_as_json(db, "100000000003", NOW)["plans"][0]["status"] == "terminated"


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


# --- Hardening: what may never get in, and what a refusal may never show ---------------------

ANA = ("subscribers", 0)
PLAN = (*ANA, "plans", 0)
INVOICE = (*PLAN, "invoices", 0)
ANA_AT = "subscribers[0] (100000000001)."
PLAN_AT = ANA_AT + "plans[0]."
INVOICE_AT = PLAN_AT + "invoices[0]."


@pytest.fixture()
def loaded(db):
    """The demo accounts already imported, so a refusal can be seen to change nothing."""
    import_accounts(db, demo(), FakeClock(NOW))
    return db


def changed(path: tuple, value) -> dict:
    """The demo accounts with the field at `path` set to `value`."""
    data = demo()
    *parents, field = path
    target = data
    for key in parents:
        target = target[key]
    target[field] = value
    return data


SNAPSHOT = (
    select(Member.subscriber_id, Member.first_name, Member.last_name, Member.date_of_birth,
           Member.zip, Member.language).order_by(Member.id),
    select(MemberPhone.e164).order_by(MemberPhone.id),
    select(Plan.plan_id, Plan.name, Plan.carrier, Plan.coverage_start).order_by(Plan.id),
    select(Invoice.period, Invoice.amount, Invoice.due_date).order_by(Invoice.id),
)  # fmt: skip


def snapshot(db) -> list:
    """Every imported value, to show that a refused import wrote nothing."""
    with db() as uow:
        return [uow.session.execute(query).all() for query in SNAPSHOT]


def refusal(db, data: dict, clock: FakeClock | None = None) -> list[str]:
    """The problems found in `data`; also checks that nothing at all was written."""
    data["subscribers"][4]["last_name"] = "Renamed"  # a valid change that must not land either
    before = snapshot(db)
    with pytest.raises(InvalidImport) as invalid:
        import_accounts(db, data, clock or FakeClock(NOW))
    assert snapshot(db) == before
    assert str(invalid.value) == "invalid import:\n" + "\n".join(invalid.value.problems)
    return invalid.value.problems


def stored_names(db, subscriber_id: str = "100000000001") -> tuple[str, str]:
    with db() as uow:
        member = uow.session.scalar(select(Member).where(Member.subscriber_id == subscriber_id))
        return member.first_name, member.last_name


CONTROL = ["\x00", "\u0001", "\u001b", "\t", "\n", "\r", "\x7f", "\x85"]  # category Cc
FORMAT = ["\u00ad", "\u200b", "\u202e", "\ufeff"]  # category Cf
SEPARATORS = ["\u2028", "\u2029"]  # line and paragraph separators: line breaks too


@pytest.mark.parametrize("char", CONTROL + FORMAT + SEPARATORS, ids=lambda c: f"U+{ord(c):04X}")
def test_control_and_format_characters_in_a_name_are_refused(loaded, char):
    problems = refusal(loaded, changed((*ANA, "first_name"), f"Zora{char}Quill"))
    assert problems == [
        f"{ANA_AT}first_name: contains U+{ord(char):04X}; "
        "control and invisible characters are not allowed"
    ]


TEXT_FIELDS = [  # where in the file, how the message names it, personal?
    ((*ANA, "subscriber_id"), "subscribers[0].subscriber_id", False),
    ((*ANA, "first_name"), ANA_AT + "first_name", True),
    ((*ANA, "last_name"), ANA_AT + "last_name", True),
    ((*ANA, "zip"), ANA_AT + "zip", True),
    ((*PLAN, "plan_id"), PLAN_AT + "plan_id", False),
    ((*PLAN, "name"), PLAN_AT + "name", False),
    ((*PLAN, "carrier"), PLAN_AT + "carrier", False),
]


@pytest.mark.parametrize(("path", "where", "personal"), TEXT_FIELDS)
def test_every_text_field_refuses_control_characters(loaded, path, where, personal):
    (problem,) = refusal(loaded, changed(path, "0211\u202e0"))
    rule = "contains U+202E; control and invisible characters are not allowed"
    shown = "" if personal else '"0211\\u202e0" '  # escaped when quoted at all
    assert problem == f"{where}: {shown}{rule}"
    assert "\u202e" not in problem


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("José", "Peña"),
        ("Nguyễn", "Thị Minh"),
        ("Nguye\u0302\u0303n", "Zoë"),  # combining accents, as some exports decompose them
        ("D'Angelo", "Smith-Jones"),
        ("Mary Ann", "O’Brien"),
        ("محمد", "王"),
    ],
)
def test_accented_names_apostrophes_hyphens_and_inner_spaces_are_accepted(db, first, last):
    data = changed((*ANA, "first_name"), first)
    data["subscribers"][0]["last_name"] = last
    import_accounts(db, data, FakeClock(NOW))
    assert stored_names(db) == (first, last)


def test_surrounding_spaces_are_stripped_but_a_surrounding_line_break_is_refused(loaded):
    data = changed((*ANA, "first_name"), "  José ")
    data["subscribers"][0]["last_name"] = "\u00a0Peña\u3000"
    import_accounts(loaded, data, FakeClock(NOW))
    assert stored_names(loaded) == ("José", "Peña")
    problems = refusal(loaded, changed((*ANA, "last_name"), "Peña\n"))
    assert problems == [
        ANA_AT + "last_name: contains U+000A; control and invisible characters are not allowed"
    ]


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ((*ANA, "subscriber_id"), "١٠٠٠٠٠٠٠٠٠٠١",
         'subscribers[0].subscriber_id: "١٠٠٠٠٠٠٠٠٠٠١" must be 12 digits (0-9)'),
        ((*ANA, "subscriber_id"), "１０００００００００５５",
         'subscribers[0].subscriber_id: "１０００００００００５５" must be 12 digits (0-9)'),
        ((*ANA, "zip"), "٠٢١١٠", ANA_AT + "zip: must be a 5-digit ZIP code (0-9)"),
        ((*ANA, "zip"), "０２１１０", ANA_AT + "zip: must be a 5-digit ZIP code (0-9)"),
        ((*ANA, "phones"), ["+١٦١٧٥٥٥٠١٠٠"],
         ANA_AT + "phones[0]: must be an E.164 number like +16175550100"),
        ((*ANA, "date_of_birth"), "١٩٨٠-٠٤-١٧",
         ANA_AT + "date_of_birth: is not a date (YYYY-MM-DD)"),
        ((*INVOICE, "period"), "٢٠٢٦-١٠",
         INVOICE_AT + 'period: "٢٠٢٦-١٠" is not a month (YYYY-MM)'),
        ((*INVOICE, "due_date"), "2026-10-٢٣",
         INVOICE_AT + 'due_date: "2026-10-٢٣" is not a date (YYYY-MM-DD)'),
        ((*INVOICE, "amount"), "4٥.٠٠", INVOICE_AT + 'amount: "4٥.٠٠" is not a decimal amount'),
        ((*PLAN, "monthly_premium"), "1٥",
         PLAN_AT + 'monthly_premium: "1٥" is not a decimal amount'),
    ],
)  # fmt: skip
def test_only_ascii_digits_pass_for_digit_fields(loaded, path, value, problem):
    assert refusal(loaded, changed(path, value)) == [problem]


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ((*ANA, "date_of_birth"), "1800-04-17",
         ANA_AT + "date_of_birth: must be between 1900-01-01 and 2026-11-10"),
        ((*ANA, "date_of_birth"), "1899-12-31",
         ANA_AT + "date_of_birth: must be between 1900-01-01 and 2026-11-10"),
        ((*ANA, "date_of_birth"), "2090-04-17",
         ANA_AT + "date_of_birth: must be between 1900-01-01 and 2026-11-10"),
        ((*ANA, "date_of_birth"), "2026-11-11",
         ANA_AT + "date_of_birth: must be between 1900-01-01 and 2026-11-10"),
        ((*PLAN, "coverage_start"), "1999-12-31",
         PLAN_AT + 'coverage_start: "1999-12-31" must be between 2000-01-01 and 2100-12-31'),
        ((*PLAN, "coverage_start"), "2101-01-01",
         PLAN_AT + 'coverage_start: "2101-01-01" must be between 2000-01-01 and 2100-12-31'),
        ((*INVOICE, "due_date"), "1970-01-01",
         INVOICE_AT + 'due_date: "1970-01-01" must be between 2000-01-01 and 2100-12-31'),
        ((*INVOICE, "period"), "1999-12",
         INVOICE_AT + 'period: "1999-12" must be between 2000-01 and 2100-12'),
        ((*INVOICE, "period"), "2101-01",
         INVOICE_AT + 'period: "2101-01" must be between 2000-01 and 2100-12'),
    ],
)  # fmt: skip
def test_impossible_dates_are_refused(loaded, path, value, problem):
    assert refusal(loaded, changed(path, value)) == [problem]


def test_date_limits_are_inclusive(db):
    data = changed((*ANA, "date_of_birth"), "1900-01-01")
    data["subscribers"][1]["date_of_birth"] = TODAY.isoformat()  # a newborn
    data["subscribers"][0]["plans"][0]["coverage_start"] = "2000-01-01"
    data["subscribers"][0]["plans"][0]["invoices"][0]["due_date"] = "2100-12-31"
    assert import_accounts(db, data, FakeClock(NOW)).members.created == 5


def test_the_latest_birth_date_is_todays_date_in_massachusetts(loaded):
    late_evening = FakeClock(datetime(2026, 11, 11, 3, 0, tzinfo=UTC))  # Nov 10, 22:00 Eastern
    problems = refusal(loaded, changed((*ANA, "date_of_birth"), "2026-11-11"), late_evening)
    assert problems == [ANA_AT + "date_of_birth: must be between 1900-01-01 and 2026-11-10"]


@pytest.mark.parametrize(
    ("path", "where", "limit", "personal"),
    [
        ((*ANA, "subscriber_id"), "subscribers[0].subscriber_id", 12, False),
        ((*ANA, "first_name"), ANA_AT + "first_name", 100, True),
        ((*ANA, "last_name"), ANA_AT + "last_name", 100, True),
        ((*ANA, "zip"), ANA_AT + "zip", 10, True),
        ((*PLAN, "plan_id"), PLAN_AT + "plan_id", 40, False),
        ((*PLAN, "name"), PLAN_AT + "name", 200, False),
        ((*PLAN, "carrier"), PLAN_AT + "carrier", 200, False),
    ],
)
def test_a_field_longer_than_its_column_is_refused(loaded, path, where, limit, personal):
    value = "7" * (limit + 1)
    (problem,) = refusal(loaded, changed(path, value))
    assert problem.startswith(f"{where}: ")
    assert problem.endswith(f"is longer than {limit} characters")
    if personal:
        assert "777" not in problem
    else:
        assert problem.startswith(f'{where}: "777')  # quoted, shortened


def test_names_as_long_as_their_columns_are_accepted(db):
    data = changed((*ANA, "first_name"), "Z" * 100)
    data["subscribers"][0]["last_name"] = "Y" * 100
    data["subscribers"][0]["plans"][0]["name"] = "N" * 200
    import_accounts(db, data, FakeClock(NOW))
    assert stored_names(db) == ("Z" * 100, "Y" * 100)


def test_no_personal_value_is_quoted_whatever_is_wrong_with_it(loaded):
    data = demo()
    ana = data["subscribers"][0]
    ana.update(first_name="Xq" * 51, last_name="Wv\u0007", date_of_birth="1888-08-08",
               zip="9\u200b8765", phones=["+1617PRIVATE"])  # fmt: skip
    problems = refusal(loaded, data)
    assert [p.split(":")[0] for p in problems] == [
        ANA_AT + field for field in ("first_name", "last_name", "date_of_birth", "zip", "phones[0]")
    ]
    shown = "\n".join(problems)
    for secret in ("XqXq", "Wv", "1888", "8765", "PRIVATE", "\u0007", "\u200b"):
        assert secret not in shown


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first_name=st.text())
def test_any_first_name_is_refused_by_name_or_stored_printable(loaded, first_name):
    before = snapshot(loaded)
    try:
        import_accounts(loaded, changed((*ANA, "first_name"), first_name), FakeClock(NOW))
    except InvalidImport as invalid:
        assert invalid.problems
        assert all(p.startswith(ANA_AT + "first_name: ") for p in invalid.problems)
        assert snapshot(loaded) == before
        return
    stored, _ = stored_names(loaded)
    assert stored == first_name.strip() and len(stored) <= 100
    assert not [c for c in stored if unicodedata.category(c) in ("Cc", "Cf")]
