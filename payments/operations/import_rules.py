"""The account import's field rules: patterns, lengths, date windows and which fields are personal.

Patterns use `[0-9]`, never `\\d`: Python's `\\d` also matches Arabic-Indic, fullwidth and other
Unicode digits, which the payment line could neither key nor match.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from payments.domain.clock import eastern_date, system_clock
from payments.storage.models import Member, Plan
from payments.storage.sqltypes import Base

SUBSCRIBER_ID = re.compile(r"[0-9]{12}")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
ZIP = re.compile(r"[0-9]{5}(-[0-9]{4})?")
PLAN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
LANGUAGES = ("en", "es")
KINDS = ("health", "dental")
STATE = re.compile(r"[A-Z]{2}")
ACCOUNT_TYPES = ("checking", "savings")
ROUTING = re.compile(r"[0-9]{9}")
BANK_ACCOUNT = re.compile(r"[0-9]{4,17}")
# An ISO 8601 time with its UTC offset: the portal's authorization times.
MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})"
)
# Control, format (U+200B, U+202E...), surrogate, private-use and unassigned characters, and
# the Unicode line and paragraph separators: none can be spoken, and some make TwiML invalid XML.
UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

# Never quoted in a message: an import log is read by people who may not see member data.
PERSONAL = frozenset(
    {"first_name", "last_name", "date_of_birth", "zip", "phones", "line1", "line2", "city",
     "state", "account"}
)  # fmt: skip

EARLIEST_BIRTH = date(1900, 1, 1)
# Coverage, invoice periods and due dates: anything outside is a typo or a placeholder date.
BILLING_WINDOW = (date(2000, 1, 1), date(2100, 12, 31))


def column_length(model: type[Base], field: str) -> int:
    """The column's size: a longer value makes PostgreSQL refuse the row (SQLite keeps it)."""
    column_type: Any = model.__table__.c[field].type  # a String, whose length is known
    return int(column_type.length)


TEXT_COLUMNS = (
    (Member, ("subscriber_id", "first_name", "last_name", "zip")),
    (Plan, ("plan_id", "name", "carrier")),
)
MAX_LENGTH = {
    field: column_length(model, field) for model, fields in TEXT_COLUMNS for field in fields
}
# A mailing address is kept as JSON (members.mailing_address): these are what a printed line holds.
ADDRESS_LENGTH = {"line1": 100, "line2": 100, "city": 50}


def birth_window(today: date | None = None) -> tuple[date, date]:
    """Dates of birth accepted: from 1900 to today in Massachusetts (a newborn is covered)."""
    return EARLIEST_BIRTH, today or eastern_date(system_clock())


def text_problem(value: Any, max_length: int) -> str | None:
    """What is wrong with `value` as a text field, or None."""
    if not isinstance(value, str) or not value.strip():
        return "must be a non-empty string"
    # Checked before stripping: a trailing line break is a broken export, not padding. Printable
    # ASCII holds none of UNPRINTABLE's categories (the quick test most names pass).
    printable_ascii = value.isascii() and value.isprintable()
    hidden = (
        None
        if printable_ascii
        else next((c for c in value if unicodedata.category(c) in UNPRINTABLE), None)
    )
    if hidden is not None:
        return f"contains U+{ord(hidden):04X}; control and invisible characters are not allowed"
    if len(value.strip()) > max_length:
        return f"is longer than {max_length} characters"
    return None
