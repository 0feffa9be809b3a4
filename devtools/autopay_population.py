"""Many members on AutoPay at once, for the benchmark and the fault tests: members, a health
plan each with one bill, and an active enrolment with its authorization and written copy,
bulk-inserted (what is measured is the run and the export, not the enrolling).

Accounts are sealed with the core's own sealer, as enrolling by phone does; every tenth one is
the sandbox bank's insufficient-funds account, so returns have something to return.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, select

from payments.bank.sealing import Sealer
from payments.storage.tables import (
    ENROLMENTS,
    INVOICES,
    MEMBERS,
    PLANS,
    RECURRING_AUTHORIZATIONS,
)

BATCH = 5000
ROUTING = "011000015"
SETTLES, INSUFFICIENT = "000123456789", "000111111116"


def subscriber_id(n: int) -> str:
    return f"9{n:011d}"


def premium(n: int) -> Decimal:
    return Decimal(20 + n % 180) + Decimal(n % 100) / 100


def populate(
    engine: Engine, sealer: Sealer, count: int, debit_on: date, now: datetime, first: int = 0
) -> None:
    """`count` members (numbered from `first`) on AutoPay on `debit_on`'s day of the month,
    each owing one bill due that day, for the month after."""
    day = debit_on.day
    period = date(debit_on.year + debit_on.month // 12, debit_on.month % 12 + 1, 1)
    sealed = {account: sealer.seal(account) for account in (SETTLES, INSUFFICIENT)}
    for start in range(first, first + count, BATCH):
        numbers = range(start, min(first + count, start + BATCH))
        with engine.begin() as conn:
            members = _ids(conn, MEMBERS, [_member(n) for n in numbers], MEMBERS.c.subscriber_id)
            plans = _ids(
                conn, PLANS, [_plan(n, members[subscriber_id(n)]) for n in numbers],
                PLANS.c.plan_id,
            )  # fmt: skip
            conn.execute(
                insert(INVOICES),
                [_invoice(n, plans[f"H-{subscriber_id(n)}"], period, debit_on) for n in numbers],
            )
            enrolments = _ids(
                conn, ENROLMENTS,
                [_enrolment(n, plans[f"H-{subscriber_id(n)}"], day, sealed, now) for n in numbers],
                ENROLMENTS.c.reference,
            )  # fmt: skip
            conn.execute(
                insert(RECURRING_AUTHORIZATIONS),
                [_authorization(enrolment, day, now) for enrolment in enrolments.values()],
            )


def _ids(conn: Any, table: Any, rows: list[dict[str, Any]], key: Any) -> dict[str, int]:
    conn.execute(insert(table), rows)
    keys = [row[key.name] for row in rows]
    found = conn.execute(select(key, table.c.id).where(key.in_(keys)))
    return {row[0]: row[1] for row in found}


def _member(n: int) -> dict[str, Any]:
    return {
        "subscriber_id": subscriber_id(n),
        "first_name": "Member",
        "last_name": f"Number {n}",
        "date_of_birth": date(1980, 1, 1),
        "zip": "02110",
        "language": "en",
        "mailing_address": {"line1": f"{n} Main St", "city": "Boston", "state": "MA",
                            "zip": "02110"},
    }  # fmt: skip


def _plan(n: int, member_id: int) -> dict[str, Any]:
    return {
        "plan_id": f"H-{subscriber_id(n)}",
        "member_id": member_id,
        "kind": "health",
        "name": "ConnectorCare Plan Type 2A",
        "carrier": "Bay State Health",
        "monthly_premium": premium(n),
        "subsidized": True,
        "status": "active",
        "coverage_start": date(2026, 1, 1),
    }


def _invoice(n: int, plan_id: int, period: date, due: date) -> dict[str, Any]:
    return {
        "plan_id": plan_id,
        "period": period,
        "amount": premium(n),
        "due_date": due,
        "paid_external": Decimal("0.00"),
    }


def _enrolment(
    n: int, plan_id: int, day: int, sealed: dict[str, str], now: datetime
) -> dict[str, Any]:
    account = INSUFFICIENT if n % 10 == 9 else SETTLES
    return {
        "plan_id": plan_id,
        "reference": f"{n:08d}",
        "cancelled": False,
        "stopped": None,
        "day": day,
        "account_type": "checking",
        "routing": ROUTING,
        "account_sealed": sealed[account],
        "last4": account[-4:],
        "first_debit_on": now.date(),
        "announced_amount": None,
        "sms_to": None,
        "language": "en",
        "source": "portal",
        "created_at": now,
        "updated_at": now,
    }


def _authorization(enrolment_id: int, day: int, now: datetime) -> dict[str, Any]:
    return {
        "enrolment_id": enrolment_id,
        "text": "Authorized on the member portal.",
        "accepted_at": now,
        "call_sid": None,
        "accepting_key": None,
        "channel": "portal",
        "agent_id": None,
        "day": day,
        "account_type": "checking",
        "last4": "6789",
        "written_copy_at": now,
        "written_copy_via": "portal",
    }


def enrolment_ids(engine: Engine) -> Iterator[int]:
    with engine.connect() as conn:
        yield from conn.scalars(select(ENROLMENTS.c.id).order_by(ENROLMENTS.c.id))
