"""The sandbox bank (embedded default): it answers a debit file the way a real bank would for
its test accounts, with a NACHA returns file, so the whole cycle runs on one machine.

Account 000111111116 is returned for insufficient funds (R01), 000111111113 as closed (R02);
every other account settles (no return).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime

from payments.bank import nacha

RETURNED_ACCOUNTS = {"000111111116": "R01", "000111111113": "R02"}
BANK_ROUTING = "011000015"  # the sandbox bank's own routing number
BANK_NAME = "SANDBOX BANK"


def returns_for(
    debit_file: Iterable[str], originator: nacha.Originator, created: datetime
) -> tuple[str, int]:
    """The returns file answering `debit_file` (its lines), and how many entries it returns."""
    entries = nacha.read_entries(debit_file)
    returned = [
        (entry, RETURNED_ACCOUNTS[entry.account_number])
        for entry in entries
        if entry.account_number in RETURNED_ACCOUNTS
    ]
    out = io.StringIO()
    nacha.write_returns_file(out, BANK_ROUTING, BANK_NAME, originator, created, returned)
    return out.getvalue(), len(returned)
