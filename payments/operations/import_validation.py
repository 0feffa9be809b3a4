"""Validating the account import (SPEC "Import format") into typed records, all errors at once.

Every message names the record and field, e.g.
`subscribers[2] (100000000003).plans[0].invoices[1].amount: "4x.00" is not a decimal amount`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from payments.domain.values import PlanStatus
from payments.operations.import_fields import Reader

SUBSCRIBER_ID = re.compile(r"\d{12}")
E164 = re.compile(r"\+[1-9]\d{6,14}")
ZIP = re.compile(r"\d{5}(-\d{4})?")
PLAN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
LANGUAGES = ("en", "es")
KINDS = ("health", "dental")


class InvalidImport(ValueError):
    """The import file is wrong; nothing was loaded. `problems` lists every error found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid import:\n" + "\n".join(problems))


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


def parse_import(data: Any) -> list[SubscriberRecord]:
    """Typed records for `data`, or InvalidImport listing every problem."""
    root = Reader(data, "", [])
    records = [_subscriber(item) for item in root.items("subscribers")]
    _check_unique(root, records)
    if root.problems:
        raise InvalidImport(root.problems)
    return [record for record in records if record is not None]


def _subscriber(reader: Reader) -> SubscriberRecord | None:
    subscriber_id = reader.text("subscriber_id", SUBSCRIBER_ID, "must be 12 digits")
    if subscriber_id is not None:
        reader.path += f" ({subscriber_id})"
    record = SubscriberRecord(
        subscriber_id=subscriber_id or "",
        first_name=reader.text("first_name") or "",
        last_name=reader.text("last_name") or "",
        date_of_birth=reader.date("date_of_birth") or date.min,
        zip=reader.text("zip", ZIP, "must be a 5-digit ZIP code") or "",
        phones=tuple(reader.strings("phones", E164, "must be an E.164 number like +16175550100")),
        language=reader.choice("language", LANGUAGES) or "",
        plans=tuple(_plan(item) for item in reader.items("plans")),
    )
    _check_unique_periods(reader, record)
    return None if reader.failed else record


def _plan(reader: Reader) -> PlanRecord:
    status = reader.choice("status", tuple(s.value for s in PlanStatus))
    return PlanRecord(
        plan_id=reader.text("plan_id", PLAN_ID, "must be letters, digits and dashes") or "",
        kind=reader.choice("kind", KINDS) or "",
        name=reader.text("name") or "",
        carrier=reader.text("carrier") or "",
        monthly_premium=reader.money("monthly_premium"),
        subsidized=reader.boolean("subsidized"),
        status=PlanStatus(status or PlanStatus.PENDING),
        coverage_start=reader.date("coverage_start", optional=True),
        invoices=tuple(_invoice(item) for item in reader.items("invoices")),
    )


def _invoice(reader: Reader) -> InvoiceRecord:
    period = reader.month("period")
    amount, due_date, paid = reader.money("amount"), reader.date("due_date"), reader.money("paid")
    if paid > amount and not reader.failed:
        reader.fail("paid", f'"{paid}" is more than the amount "{amount}"')
    return InvoiceRecord(period, amount, due_date or date.min, paid)


def _check_unique_periods(reader: Reader, record: SubscriberRecord) -> None:
    for index, plan in enumerate(record.plans):
        periods = [invoice.period for invoice in plan.invoices]
        if len(periods) != len(set(periods)):
            reader.fail(f"plans[{index}].invoices", "two invoices for the same period")


def _check_unique(root: Reader, records: list[SubscriberRecord | None]) -> None:
    seen_subscribers: set[str] = set()
    seen_plans: set[str] = set()
    for index, record in enumerate(records):
        if record is None:
            continue
        if record.subscriber_id in seen_subscribers:
            root.fail(f"subscribers[{index}]", f"subscriber {record.subscriber_id} appears twice")
        seen_subscribers.add(record.subscriber_id)
        for plan_index, plan in enumerate(record.plans):
            if plan.plan_id in seen_plans:
                where = f"subscribers[{index}] ({record.subscriber_id}).plans[{plan_index}]"
                root.fail(where, f"plan {plan.plan_id} appears twice")
            seen_plans.add(plan.plan_id)
