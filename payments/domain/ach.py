"""ACH rules the line follows as an originator of consumer debits: when a debit counts as
settled, what a return code means for AutoPay, and when a returned debit may be presented again.
Pure: no database, no clock.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from payments.domain.banking import (
    add_banking_days,
    banking_days_between,
    next_banking_day,
    on_or_after,
)
from payments.domain.billing import month_end

SETTLE_AFTER_BANKING_DAYS = 2  # no return by then: the debit is settled (funds received)
UNAUTHORIZED_RETURN_DAYS = 60  # R10 and its kind may still come this long after settlement
MAX_RETRIES = 2  # a debit returned for funds is presented again at most twice...
RETRY_WINDOW = timedelta(days=30)  # ...within 30 days of the first presentment
RETRY_AFTER_BANKING_DAYS = 2  # a retry waits this long for the funds to arrive
RETRY_DESCRIPTION = "RETRY PYMT"  # NACHA: the company entry description of a reinitiated entry

CHECKING_DEBIT, SAVINGS_DEBIT = 27, 37


class ReturnKind(StrEnum):
    FUNDS = "funds"  # R01, R09: may be presented again
    ACCOUNT = "account"  # the account cannot be used: AutoPay stops until a new account
    AUTHORIZATION = "authorization"  # not authorized: AutoPay stops until a new authorization
    OTHER = "other"  # returned; AutoPay goes on


RETURN_KINDS = {
    **dict.fromkeys(("R01", "R09"), ReturnKind.FUNDS),
    **dict.fromkeys(("R02", "R03", "R04", "R12", "R13", "R16", "R20"), ReturnKind.ACCOUNT),
    **dict.fromkeys(("R05", "R07", "R08", "R10", "R11", "R29", "R51"), ReturnKind.AUTHORIZATION),
}
RETURN_WORDS = {
    "R01": "insufficient funds",
    "R02": "account closed",
    "R03": "no account or unable to locate the account",
    "R04": "invalid account number",
    "R05": "unauthorized debit to a consumer account",
    "R07": "authorization revoked by the customer",
    "R08": "payment stopped",
    "R09": "uncollected funds",
    "R10": "customer advises not authorized",
    "R16": "account frozen",
    "R20": "non-transaction account",
    "R29": "corporate customer advises not authorized",
}


def kind_of(return_code: str) -> ReturnKind:
    return RETURN_KINDS.get(return_code.upper(), ReturnKind.OTHER)


def transaction_code(account_type: str) -> int:
    """Debit to a checking (27) or savings (37) account."""
    return {"checking": CHECKING_DEBIT, "savings": SAVINGS_DEBIT}[account_type]


def effective_date(requested: date, file_date: date) -> date:
    """The Effective Entry Date a debit is sent with: the day asked for, but never before the
    banking day after the file is sent (next-day ACH)."""
    return max(on_or_after(requested), next_banking_day(file_date))


def settled_by(effective: date, today: date) -> bool:
    """No return SETTLE_AFTER_BANKING_DAYS banking days after its effective date: settled."""
    return banking_days_between(effective, today) >= SETTLE_AFTER_BANKING_DAYS


def retry_date(returned_on: date) -> date:
    """When a debit returned for funds is presented again."""
    return add_banking_days(returned_on, RETRY_AFTER_BANKING_DAYS)


def coverage_deadline(oldest_period: date) -> date:
    """The last day a retry can still pay for the coverage month it was for."""
    return month_end(oldest_period)


def may_retry(
    kind: ReturnKind, retries: int, first_presented: date, retry_on: date, deadline: date
) -> bool:
    """A debit returned for funds is presented again at most MAX_RETRIES times, within
    RETRY_WINDOW of its first presentment, and never past the coverage deadline."""
    return (
        kind is ReturnKind.FUNDS
        and retries < MAX_RETRIES
        and retry_on <= first_presented + RETRY_WINDOW
        and retry_on <= deadline
    )
