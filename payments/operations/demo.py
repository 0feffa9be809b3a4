"""Demo accounts in the import format, dated relative to `today` so they never go stale.

M is the next coverage month still payable on time: next month, or the month after that when
today is past the 23rd. M's invoice is due on the coming 23rd.

| Subscriber   | Name         | DOB        | Phone        | Lang | Plans: what is owed             |
|--------------|--------------|------------|--------------|------|---------------------------------|
| 100000000001 | Ana Silva    | 1980-04-17 | +16175550100 | en   | ConnectorCare health, active:   |
|              |              |            |              |      | 45.00 for M; dental, active:    |
|              |              |            |              |      | 32.00 for M                     |
| 100000000002 | Luis Ortega  | 1975-09-02 | +16175550101 | es   | health, active: 412.50 for M    |
| 100000000003 | Mei Chen     | 1990-01-15 | +16175550102 | en   | health, pending: 289.00 for M   |
| 100000000004 | James Okafor | 1968-12-30 | +16175550103 | en   | ConnectorCare health, grace:    |
|              |              |            |              |      | 68.00 past due (M-1) + 68.00 (M)|
| 100000000005 | Rosa Diaz    | 1985-06-09 | +16175550104 | en   | health, active: nothing due     |

Active and grace plans also carry earlier months paid in full, so "paid through" has a value.
Every member has a mailing address (letters). Rosa's health plan has AutoPay on the 23rd from
checking ending in 6789, set up on the portal on the 2nd of the month two before M (the portal
sent the written copy), so her call offers to change or cancel it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from payments.domain.billing import add_months, due_date_for
from payments.domain.clock import EASTERN

MEMBERS = (  # subscriber_id, first, last, date of birth, zip, phone, language
    ("100000000001", "Ana", "Silva", "1980-04-17", "02110", "+16175550100", "en"),
    ("100000000002", "Luis", "Ortega", "1975-09-02", "01841", "+16175550101", "es"),
    ("100000000003", "Mei", "Chen", "1990-01-15", "02139", "+16175550102", "en"),
    ("100000000004", "James", "Okafor", "1968-12-30", "02121", "+16175550103", "en"),
    ("100000000005", "Rosa", "Diaz", "1985-06-09", "01602", "+16175550104", "en"),
)
PLANS = (  # plan_id, kind, name, carrier, premium, subsidized, status
    ("H-100000000001", "health", "ConnectorCare Plan Type 2A", "Bay State Health", "45.00", True,
     "active"),
    ("D-100000000001", "dental", "Dental Basic", "Commonwealth Dental", "32.00", False, "active"),
    ("H-100000000002", "health", "Silver Standard", "Pioneer Valley Health", "412.50", False,
     "active"),
    ("H-100000000003", "health", "Gold Standard", "Bay State Health", "289.00", False, "pending"),
    ("H-100000000004", "health", "ConnectorCare Plan Type 3A", "Harbor Health Plan", "68.00", True,
     "grace"),
    ("H-100000000005", "health", "Bronze Standard", "Pioneer Valley Health", "356.00", False,
     "active"),
)  # fmt: skip
ADDRESSES = {  # line1, line2, city (state MA; the ZIP is the member's)
    "100000000001": ("1 Federal Street", "Apt 4B", "Boston"),
    "100000000002": ("27 Essex Street", None, "Lawrence"),
    "100000000003": ("12 Inman Street", None, "Cambridge"),
    "100000000004": ("480 Geneva Avenue", "Unit 2", "Dorchester"),
    "100000000005": ("9 Elm Street", None, "Worcester"),
}
PORTAL_AUTOPAY = {  # plan_id: day, account type, routing, account (a sandbox test account)
    "H-100000000005": (23, "checking", "011000015", "000123456789"),
}
# Invoices per plan: (months before M, paid) — every invoice is for the plan's premium.
INVOICES = {
    "H-100000000001": ((1, True), (0, False)),
    "D-100000000001": ((1, True), (0, False)),
    "H-100000000002": ((1, True), (0, False)),
    "H-100000000003": ((0, False),),
    "H-100000000004": ((2, True), (1, False), (0, False)),
    "H-100000000005": ((1, True), (0, True)),
}


def next_coverage_month(today: date) -> date:
    """The first coverage month whose premium is not yet due (its due date is today or later)."""
    return add_months(today, 1 if today.day <= 23 else 2)


def demo_accounts(today: date) -> dict[str, Any]:
    """The demo subscribers of the table above, as of `today`."""
    m = next_coverage_month(today)
    return {"subscribers": [_member(row, m) for row in MEMBERS]}


def _member(row: tuple[str, ...], m: date) -> dict[str, Any]:
    subscriber_id, first, last, dob, zip_code, phone, language = row
    return {
        "subscriber_id": subscriber_id,
        "first_name": first,
        "last_name": last,
        "date_of_birth": dob,
        "zip": zip_code,
        "phones": [phone],
        "language": language,
        "mailing_address": _address(subscriber_id, zip_code),
        "plans": [_plan(plan, m) for plan in PLANS if plan[0].endswith(subscriber_id)],
    }


def _address(subscriber_id: str, zip_code: str) -> dict[str, str]:
    line1, line2, city = ADDRESSES[subscriber_id]
    address = {"line1": line1, "city": city, "state": "MA", "zip": zip_code}
    return address if line2 is None else {**address, "line2": line2}


def _plan(row: tuple[Any, ...], m: date) -> dict[str, Any]:
    plan_id, kind, name, carrier, premium, subsidized, status = row
    starts = m if status == "pending" else add_months(m, -6)
    plan = {
        "plan_id": plan_id,
        "kind": kind,
        "name": name,
        "carrier": carrier,
        "monthly_premium": premium,
        "subsidized": subsidized,
        "status": status,
        "coverage_start": starts.isoformat(),
        "invoices": [
            _invoice(add_months(m, -ago), premium, paid) for ago, paid in INVOICES[plan_id]
        ],
    }
    if plan_id in PORTAL_AUTOPAY:
        plan["autopay"] = _portal_autopay(PORTAL_AUTOPAY[plan_id], m)
    return plan


def _portal_autopay(terms: tuple[Any, ...], m: date) -> dict[str, Any]:
    """Enrolled on the portal on the 2nd of the month two before M, at 14:03 in Boston: always
    in the past, and the same all month, so loading the demo again changes nothing."""
    day, account_type, routing, account = terms
    month = add_months(m, -2)
    authorized = datetime(month.year, month.month, 2, 14, 3, tzinfo=EASTERN)
    return {
        "day": day,
        "account_type": account_type,
        "routing": routing,
        "account": account,
        "authorized_at": authorized.isoformat(),
        "written_copy_at": (authorized + timedelta(minutes=2)).isoformat(),
        "source": "portal",
    }


def _invoice(period: date, amount: str, paid: bool) -> dict[str, str]:
    return {
        "period": period.strftime("%Y-%m"),
        "amount": amount,
        "due_date": due_date_for(period).isoformat(),
        "paid": amount if paid else "0.00",
    }
