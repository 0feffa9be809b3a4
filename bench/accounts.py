"""Generated members in the import format of payments/demo.py, and the calls that pay them.

Each member is shaped like Ana Silva's health plan alone: an active ConnectorCare plan with last
month paid and one open invoice for the next coverage month. One payable plan means the caller
is never asked to choose a plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from payments.domain.billing import add_months, due_date_for
from payments.operations.demo import next_coverage_month

FIRST_SUBSCRIBER = 700_000_000_000
FIRST_BIRTHDAY = date(1940, 1, 1)
PREMIUM = "45.00"
CARD = "4242424242424242"
APPROVED = "Your payment was approved"


@dataclass(frozen=True)
class Member:
    subscriber_id: str
    born: date


def members(count: int) -> list[Member]:
    """`count` members with distinct 12-digit Subscriber IDs and dates of birth."""
    return [
        Member(str(FIRST_SUBSCRIBER + n), FIRST_BIRTHDAY + timedelta(days=n)) for n in range(count)
    ]


def import_data(people: list[Member], today: date) -> dict[str, Any]:
    """The billing export for `people`, dated relative to `today` like the demo accounts."""
    month = next_coverage_month(today)
    return {"subscribers": [_subscriber(member, month) for member in people]}


def card_payment_script(member: Member, today: date) -> list[str]:
    """Keys for a full card payment: the same on the voice and the relay number."""
    expiry = f"12{(today.year + 2) % 100:02d}"  # December, two years ahead: never expired
    return [
        "1",  # English
        f"{member.subscriber_id}#",
        f"{member.born.strftime('%m%d%Y')}#",
        "1",  # main menu: make a payment (one payable plan: no plan choice)
        "1",  # the full balance
        "1",  # by card
        f"{CARD}#",
        f"{expiry}#",
        "123#",
        "02110#",
        "1",  # confirm the charge
        "3",  # end the call
    ]


def _subscriber(member: Member, month: date) -> dict[str, Any]:
    return {
        "subscriber_id": member.subscriber_id,
        "first_name": "Ana",
        "last_name": "Silva",
        "date_of_birth": member.born.isoformat(),
        "zip": "02110",
        "phones": [],
        "language": "en",
        "plans": [_health_plan(member, month)],
    }


def _health_plan(member: Member, month: date) -> dict[str, Any]:
    return {
        "plan_id": f"H-{member.subscriber_id}",
        "kind": "health",
        "name": "ConnectorCare Plan Type 2A",
        "carrier": "Bay State Health",
        "monthly_premium": PREMIUM,
        "subsidized": True,
        "status": "active",
        "coverage_start": add_months(month, -6).isoformat(),
        "invoices": [_invoice(add_months(month, -1), paid=True), _invoice(month, paid=False)],
    }


def _invoice(period: date, paid: bool) -> dict[str, str]:
    return {
        "period": period.strftime("%Y-%m"),
        "amount": PREMIUM,
        "due_date": due_date_for(period).isoformat(),
        "paid": PREMIUM if paid else "0.00",
    }
