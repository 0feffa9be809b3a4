"""A billing feed at the Connector's size, for `make bench`'s import figures (issue 17).

Member n is the same in every feed made with the same `today`: one or two plans (a dental plan
for every third member), two invoices a plan (last month paid, the next coverage month open), one
or two phones (none for every twentieth), a mailing address for most, and for every fiftieth
member a portal AutoPay enrolment on the health plan. `changed` picks the members whose health
premium (and open invoice) differs from the base feed: the 1% re-import.

Written as the SPEC's document (`{"subscribers": [...]}`) or as JSON Lines, one member a line,
without holding the feed in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from payments.domain.billing import add_months, due_date_for
from payments.operations.demo import next_coverage_month

FIRST_SUBSCRIBER = 800_000_000_000
PORTAL_EVERY = 50  # one member in fifty enrolled on the portal
DENTAL_EVERY = 3
NO_PHONE_EVERY = 20
ROUTING = "011000015"


def subscriber(n: int, today: date, changed: bool = False) -> dict[str, Any]:
    """Member n of the feed; `changed`: the health premium is a dollar more."""
    month = next_coverage_month(today)
    sid = str(FIRST_SUBSCRIBER + n)
    premium = f"{45 + n % 200 + (1 if changed else 0)}.00"
    plans = [_plan(f"H-{sid}", "health", premium, month)]
    if n % DENTAL_EVERY == 0:
        plans.append(_plan(f"D-{sid}", "dental", f"{20 + n % 30}.00", month))
    if n % PORTAL_EVERY == 0:
        plans[0]["autopay"] = {
            "day": 23 if n % 2 else 15, "account_type": "checking", "routing": ROUTING,
            "account": f"{1000 + n:08d}", "authorized_at": "2026-10-02T14:03:00-04:00",
            "written_copy_at": "2026-10-02T14:05:00-04:00", "source": "portal",
        }  # fmt: skip
    phones = [] if n % NO_PHONE_EVERY == 0 else [f"+1617{2_000_000 + n:07d}"]
    if n % 7 == 0 and phones:
        phones.append(f"+1508{2_000_000 + n:07d}")
    member: dict[str, Any] = {
        "subscriber_id": sid,
        "first_name": f"Member{n}",
        "last_name": "Feed",
        "date_of_birth": date(1940 + n % 60, 1 + n % 12, 1 + n % 28).isoformat(),
        "zip": f"{1000 + n % 1500:05d}",
        "phones": phones,
        "language": "es" if n % 9 == 0 else "en",
        "plans": plans,
    }
    if n % 10:
        member["mailing_address"] = {
            "line1": f"{n % 900 + 1} Main Street", "city": "Boston", "state": "MA", "zip": "02110",
        }  # fmt: skip
    return member


def _plan(plan_id: str, kind: str, premium: str, month: date) -> dict[str, Any]:
    last = add_months(month, -1)
    return {
        "plan_id": plan_id, "kind": kind, "name": f"ConnectorCare {kind}",
        "carrier": "Bay State Health", "monthly_premium": premium, "subsidized": kind == "health",
        "status": "active", "coverage_start": "2026-01-01",
        "invoices": [_invoice(last, premium, premium), _invoice(month, premium, "0.00")],
    }  # fmt: skip


def _invoice(month: date, amount: str, paid: str) -> dict[str, str]:
    due = due_date_for(month).isoformat()
    return {"period": f"{month:%Y-%m}", "amount": amount, "due_date": due, "paid": paid}


def subscribers(count: int, today: date, changed_every: int = 0) -> Iterator[dict[str, Any]]:
    """The feed's members in order; `changed_every` N: every Nth member's premium changed."""
    for n in range(count):
        yield subscriber(n, today, changed=bool(changed_every) and n % changed_every == 0)


def write_feed(
    path: Path, count: int, today: date, changed_every: int = 0, lines: bool = False
) -> Path:
    """Write the feed to `path` as the SPEC's document, or JSON Lines when `lines`."""
    with path.open("w", encoding="utf-8") as out:
        if not lines:
            out.write('{"subscribers": [\n')
        for n, member in enumerate(subscribers(count, today, changed_every)):
            if n and not lines:
                out.write(",\n")
            out.write(json.dumps(member))
            if lines:
                out.write("\n")
        if not lines:
            out.write("\n]}\n")
    return path
