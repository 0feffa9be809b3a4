"""Validating the account import (SPEC "Import format") into typed records, all errors at once.

Every message names the record and field, e.g.
`subscribers[2] (100000000003).plans[0].invoices[1].amount: "4x.00" is not a decimal amount`,
and never quotes a personal field (import_rules.PERSONAL): `...first_name: is longer than 100
characters`. The rules themselves are in payments.operations.import_rules; the optional objects
(a mailing address, an AutoPay enrolment made on the portal) are read in import_objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from payments.domain.values import PlanStatus
from payments.operations.import_fields import Reader
from payments.operations.import_objects import (
    MailingAddress,
    PortalAutopay,
    mailing_address,
    portal_autopay,
)
from payments.operations.import_rules import (
    BILLING_WINDOW,
    E164,
    KINDS,
    LANGUAGES,
    MAX_LENGTH,
    PERSONAL,
    PLAN_ID,
    SUBSCRIBER_ID,
    ZIP,
)

SHOWN_PROBLEMS = 50  # an operator reads the first fifty; the rest are counted


class InvalidImport(ValueError):
    """The import file is wrong; nothing was loaded. `problems` lists the first SHOWN_PROBLEMS
    errors found, `total` counts them all."""

    def __init__(self, problems: list[str], total: int | None = None) -> None:
        self.problems = problems[:SHOWN_PROBLEMS]
        self.total = max(total or 0, len(problems))
        more = self.total - len(self.problems)
        lines = [*self.problems, *([f"... and {more} more problems"] if more else [])]
        super().__init__("invalid import:\n" + "\n".join(lines))


@dataclass(frozen=True)
class InvoiceRecord:
    period: date
    amount: Decimal
    due_date: date
    paid: Decimal


@dataclass(frozen=True)
class PlanRecord:
    plan_id: str
    kind: str
    name: str
    carrier: str
    monthly_premium: Decimal
    subsidized: bool
    status: PlanStatus
    coverage_start: date | None
    invoices: tuple[InvoiceRecord, ...]
    autopay: PortalAutopay | None = None  # None: no change to the plan's AutoPay
    cancel_autopay: bool = False  # "autopay": null, the member cancelled on the portal


@dataclass(frozen=True)
class SubscriberRecord:
    subscriber_id: str
    first_name: str
    last_name: str
    date_of_birth: date
    zip: str
    phones: tuple[str, ...]
    language: str
    plans: tuple[PlanRecord, ...]
    mailing_address: MailingAddress | None = None  # None: no address on file


def read_subscriber(
    value: Any, where: str, births: tuple[date, date]
) -> tuple[SubscriberRecord | None, list[str]]:
    """One subscriber of the feed at `where` (e.g. `subscribers[4]`), and every problem in it;
    `births` (import_rules.birth_window) also ends at the latest date of an AutoPay
    authorization accepted. Whether it repeats another subscriber or plan of the file is
    checked once the whole file is read (payments.operations.import_merge)."""
    problems: list[str] = []
    record = _subscriber(Reader(value, where, problems, personal=PERSONAL), births)
    return record, problems


def _subscriber(reader: Reader, births: tuple[date, date]) -> SubscriberRecord | None:
    subscriber_id = _text(reader, "subscriber_id", SUBSCRIBER_ID, "must be 12 digits (0-9)")
    if subscriber_id is not None:
        reader.path += f" ({subscriber_id})"
    record = SubscriberRecord(
        subscriber_id=subscriber_id or "",
        first_name=_text(reader, "first_name") or "",
        last_name=_text(reader, "last_name") or "",
        date_of_birth=reader.date("date_of_birth", births) or date.min,
        zip=_text(reader, "zip", ZIP, "must be a 5-digit ZIP code (0-9)") or "",
        phones=tuple(reader.strings("phones", E164, "must be an E.164 number like +16175550100")),
        language=reader.choice("language", LANGUAGES) or "",
        mailing_address=reader.nested("mailing_address", mailing_address),
        plans=tuple(_plan(item, births[1]) for item in reader.items("plans")),
    )
    _check_unique_periods(reader, record)
    return None if reader.failed else record


def _plan(reader: Reader, today: date) -> PlanRecord:
    status = reader.choice("status", tuple(s.value for s in PlanStatus))
    return PlanRecord(
        plan_id=_text(reader, "plan_id", PLAN_ID, "must be letters, digits and dashes") or "",
        kind=reader.choice("kind", KINDS) or "",
        name=_text(reader, "name") or "",
        carrier=_text(reader, "carrier") or "",
        monthly_premium=reader.money("monthly_premium"),
        subsidized=reader.boolean("subsidized"),
        status=PlanStatus(status or PlanStatus.PENDING),
        coverage_start=reader.date("coverage_start", BILLING_WINDOW, optional=True),
        invoices=tuple(_invoice(item) for item in reader.items("invoices")),
        autopay=reader.nested("autopay", lambda item: portal_autopay(item, today)),
        cancel_autopay="autopay" in reader.value and reader.value["autopay"] is None,
    )


def _invoice(reader: Reader) -> InvoiceRecord:
    period = reader.month("period", BILLING_WINDOW)
    amount, paid = reader.money("amount"), reader.money("paid")
    due_date = reader.date("due_date", BILLING_WINDOW)
    if paid > amount and not reader.failed:
        reader.fail("paid", f'"{paid}" is more than the amount "{amount}"')
    return InvoiceRecord(period, amount, due_date or date.min, paid)


def _text(
    reader: Reader, field: str, pattern: re.Pattern[str] | None = None, rule: str = ""
) -> str | None:
    """A text field, no longer than its database column."""
    return reader.text(field, MAX_LENGTH[field], pattern, rule)


def _check_unique_periods(reader: Reader, record: SubscriberRecord) -> None:
    for index, plan in enumerate(record.plans):
        # date.min stands for a period already reported as unreadable
        periods = [invoice.period for invoice in plan.invoices if invoice.period != date.min]
        if len(periods) != len(set(periods)):
            reader.fail(f"plans[{index}].invoices", "two invoices for the same period")
