"""Generated members in the import format of payments/demo.py, and the calls that pay them.

Each member is shaped like Ana Silva's health plan alone: an active ConnectorCare plan with last
month paid and one open invoice for the next coverage month. One payable plan means the caller
is never asked to choose a plan. Each member has a phone number of their own on file, so a call
from it is offered that member's account ("To use this account, press 1").

The scripts follow what the line asks now: a value of fixed length (date of birth, Subscriber
ID, expiration date, security code, ZIP) is complete without '#' (the Gather's numDigits); the
card number, whose length varies, ends with '#' as its prompt says. A '#' after a complete
value is a key too many (the phone drops it; a real caller's could reach the next question), and
a missing one waits out the Gather's timeout: `bench.load` refuses a call with dropped keys or a
Gather that timed out, so a script that no longer fits the line stops the bench (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from payments.domain.billing import add_months, due_date_for
from payments.operations.demo import next_coverage_month

FIRST_SUBSCRIBER = 700_000_000_000
PHONE_PREFIX = "+1617556"  # then four digits: member n calls from +1617556nnnn
MAX_MEMBERS = 10_000
FIRST_BIRTHDAY = date(1940, 1, 1)
PREMIUM = "45.00"
CARD = "4242424242424242"
APPROVED = "Approved. Your confirmation number is"


@dataclass(frozen=True)
class Member:
    subscriber_id: str
    born: date
    phone: str  # E.164, on file for this member alone


def members(count: int) -> list[Member]:
    """`count` members with distinct 12-digit Subscriber IDs, dates of birth and phones."""
    if not 0 <= count <= MAX_MEMBERS:
        raise ValueError(f"at most {MAX_MEMBERS} members have a phone of their own, not {count}")
    return [
        Member(
            str(FIRST_SUBSCRIBER + n), FIRST_BIRTHDAY + timedelta(days=n), f"{PHONE_PREFIX}{n:04d}"
        )
        for n in range(count)
    ]


def import_data(people: list[Member], today: date) -> dict[str, Any]:
    """The billing export for `people`, dated relative to `today` like the demo accounts."""
    month = next_coverage_month(today)
    return {"subscribers": [_subscriber(member, month) for member in people]}


def card_payment_script(member: Member, today: date, card: str = CARD) -> list[str]:
    """Keys for a full card payment from a number not on file: the caller keys the Subscriber
    ID. The same on the voice and the relay number."""
    return ["1", member.subscriber_id, *_verify_and_pay(member, today, card)]  # English, the ID


def returning_member_script(member: Member, today: date) -> list[str]:
    """Keys for a full card payment by a member calling from their phone on file: the line
    offers the account it found, in the language on file, and the caller takes it. The same on
    voice and relay."""
    return ["1", *_verify_and_pay(member, today)]  # use this account


def _verify_and_pay(member: Member, today: date, card: str = CARD) -> list[str]:
    expiry = f"12{(today.year + 2) % 100:02d}"  # December, two years ahead: never expired
    return [
        member.born.strftime("%m%d%Y"),
        "1",  # main menu: make a payment (one payable plan: no plan choice)
        "1",  # by card (its bill just heard: the full balance, no amount menu)
        f"{card}#",
        expiry,
        "123",  # the security code of a Visa card: 3 digits
        "02110",
        "1",  # confirm the charge
        "hangup",  # the confirmation number heard: the caller hangs up
    ]


def _subscriber(member: Member, month: date) -> dict[str, Any]:
    return {
        "subscriber_id": member.subscriber_id,
        "first_name": "Ana",
        "last_name": "Silva",
        "date_of_birth": member.born.isoformat(),
        "zip": "02110",
        "phones": [member.phone],
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
