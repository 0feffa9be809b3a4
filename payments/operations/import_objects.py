"""The import's optional objects: a subscriber's `mailing_address` and a plan's `autopay` (an
enrolment the member made on the portal), read into records like the rest of the file.

Neither quotes a personal value in a message (import_rules.PERSONAL): the address lines, city,
state and ZIP, and the bank account number, which is never kept in clear either (only sealed,
with its last 4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from payments.domain.autopay import DAYS
from payments.domain.instruments import aba_routing_valid
from payments.operations.import_fields import Reader
from payments.operations.import_rules import (
    ACCOUNT_TYPES,
    ADDRESS_LENGTH,
    BANK_ACCOUNT,
    BILLING_WINDOW,
    MAX_LENGTH,
    ROUTING,
    STATE,
    ZIP,
)

PORTAL = "portal"
_UNREAD = datetime.min.replace(tzinfo=UTC)  # stands for a time already reported as unreadable


@dataclass(frozen=True)
class MailingAddress:
    line1: str
    line2: str | None
    city: str
    state: str
    zip: str

    def as_json(self) -> dict[str, str]:
        """As members.mailing_address keeps it: the keys the print queue reads (letters.py)."""
        address = {"line1": self.line1, "city": self.city, "state": self.state, "zip": self.zip}
        if self.line2 is not None:
            address["line2"] = self.line2
        return address


@dataclass(frozen=True)
class PortalAutopay:
    """A recurring authorization the member gave on the portal."""

    day: int
    account_type: str
    routing: str
    account: str = field(repr=False)
    authorized_at: datetime
    written_copy_at: datetime | None  # when the portal sent its written copy; None: not sent

    @property
    def last4(self) -> str:
        return self.account[-4:]


def mailing_address(reader: Reader) -> MailingAddress:
    return MailingAddress(
        line1=_line(reader, "line1") or "",
        line2=_line(reader, "line2", optional=True),
        city=_line(reader, "city") or "",
        state=reader.text("state", 20, STATE, "must be a 2-letter state code like MA") or "",
        zip=reader.text("zip", MAX_LENGTH["zip"], ZIP, "must be a 5-digit ZIP code (0-9)") or "",
    )


def portal_autopay(reader: Reader, today: date) -> PortalAutopay:
    """The `autopay` object; times from 2000 to `today` (in Massachusetts)."""
    window = (BILLING_WINDOW[0], today)
    day = reader.number_choice("day", DAYS)
    account_type = reader.choice("account_type", ACCOUNT_TYPES)
    routing = _routing(reader)
    account = reader.text("account", 40, BANK_ACCOUNT, "must be 4 to 17 digits (0-9)")
    authorized_at = reader.moment("authorized_at", window)
    written_copy_at = reader.moment("written_copy_at", window, optional=True)
    if authorized_at and written_copy_at and written_copy_at < authorized_at:
        reader.fail("written_copy_at", "is before authorized_at")
    _source(reader)
    return PortalAutopay(
        day=day or 0,
        account_type=account_type or "",
        routing=routing or "",
        account=account or "",
        authorized_at=authorized_at or _UNREAD,
        written_copy_at=written_copy_at,
    )


def _source(reader: Reader) -> None:
    if "source" not in reader.value:
        reader.fail("source", "is missing")
    elif reader.value["source"] != PORTAL:
        rule = 'must be "portal": the import brings only enrolments made on the portal'
        reader.refuse("source", reader.value["source"], rule)


def _line(reader: Reader, name: str, optional: bool = False) -> str | None:
    return reader.text(name, ADDRESS_LENGTH[name], optional=optional)


def _routing(reader: Reader) -> str | None:
    routing = reader.text("routing", 20, ROUTING, "must be 9 digits (0-9)")
    if routing is not None and not aba_routing_valid(routing):
        reader.refuse("routing", routing, "is not a routing number (its check digit is wrong)")
        return None
    return routing
