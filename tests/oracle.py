"""The money oracle: what the processor charged, what the database recorded and what the caller
heard must agree. Used by the random-caller model test and the fault-injection tests.

It reads the processor's ledger (the sandbox's own table) and the payment line's tables
directly, never through the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine, String, cast, func, literal, select

from ivr.speech.words import say_characters
from payments.storage.tables import (
    ACH_ENTRIES,
    ALLOCATIONS,
    INVOICES,
    OUTBOX,
    PAYMENTS,
    PLANS,
    SANDBOX_CHARGES,
)
from tests.nacha_check import check_ach_file

CHARGED = ("approved", "settled")
KEPT_DEBITS = ("queued", "exported", "settled")
# What the line says about money, in both languages.
NOT_CHARGED_THIS = ("You have not been charged for this payment.", "No se le ha cobrado este pago.")
CANCELLED = (
    "This payment was cancelled and not charged.",
    "Este pago fue cancelado y no se cobró.",
)
NOTHING_CHARGED = ("Nothing has been charged.", "No se ha cobrado nada.")
WENT_THROUGH = ("in this call went through.", "en esta llamada se realizó.")
NOT_STARTED = ("The payment you just confirmed was not made.", "El pago que acaba de confirmar")
# The caller may be told a result is not known yet only in these words.
NOT_YET_KNOWN = (
    "is still being processed",
    "a representative or recent payments can tell you its result",
)
# A confirmation refused before anything reached the processor says so in one of these.
REFUSED = (
    "We could not accept those payment details.",
    "No pudimos aceptar esos datos de pago.",
    "so this payment was not made.",
    "así que no se hizo este pago.",
    "no more payment attempts can be made",
    "no se pueden hacer más intentos de pago",
    "the payment details you entered have been cleared",
    "borramos los datos de pago que ingresó",
)


@dataclass(frozen=True)
class Payment:
    key: str
    confirmation: str
    amount: Decimal
    status: str
    call_sid: str | None


class MoneyOracle:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def payments(self) -> dict[str, Payment]:
        query = select(
            PAYMENTS.c.idempotency_key,
            PAYMENTS.c.confirmation,
            PAYMENTS.c.amount,
            PAYMENTS.c.status,
            PAYMENTS.c.call_sid,
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {
            row.idempotency_key: Payment(
                row.idempotency_key, row.confirmation, row.amount, row.status, row.call_sid
            )
            for row in rows
        }

    def kept_charges(self) -> dict[str, int]:
        """Cents taken and kept, by idempotency key: the card processor's kept charges, and
        the bank debits the line originates (queued, sent or settled; not cancelled before
        sending, not returned by the bank)."""
        kept = SANDBOX_CHARGES.c.approved & ~SANDBOX_CHARGES.c.reversed
        cards = select(SANDBOX_CHARGES.c.idempotency_key, SANDBOX_CHARGES.c.amount_cents)
        debits = select(ACH_ENTRIES.c.idempotency_key, ACH_ENTRIES.c.amount_cents).where(
            ACH_ENTRIES.c.status.in_(KEPT_DEBITS)
        )
        with self.engine.connect() as conn:
            rows = [*conn.execute(cards.where(kept)), *conn.execute(debits)]
        return {row.idempotency_key: row.amount_cents for row in rows}

    def check_books(self) -> None:
        """The processor's charges are exactly the charged payments; no invoice is overpaid;
        nothing is left waiting for the processor."""
        payments = self.payments()
        charged = {p.key: int(p.amount * 100) for p in payments.values() if p.status in CHARGED}
        assert self.kept_charges() == charged, "processor and records disagree"
        assert not [p for p in payments.values() if p.status == "pending"], "left pending"
        self._check_no_invoice_overpaid()

    def _check_no_invoice_overpaid(self) -> None:
        credited = (
            select(ALLOCATIONS.c.invoice_id, func.sum(ALLOCATIONS.c.amount).label("credited"))
            .join(PAYMENTS, ALLOCATIONS.c.payment_id == PAYMENTS.c.id)
            .where(PAYMENTS.c.status.in_(CHARGED))
            .group_by(ALLOCATIONS.c.invoice_id)
            .subquery()
        )
        query = (
            select(INVOICES.c.id, INVOICES.c.amount, INVOICES.c.paid_external, credited.c.credited)
            .join(PLANS, INVOICES.c.plan_id == PLANS.c.id)
            .join(credited, credited.c.invoice_id == INVOICES.c.id)
        )
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                assert row.paid_external + row.credited <= row.amount, f"invoice {row.id} overpaid"

    def check_turn(
        self,
        call_sid: str,
        before: dict[str, Payment],
        said: str,
        confirmed: bool,
        lang: str,
        faults: bool = False,
    ) -> None:
        """One webhook of `call_sid` said `said`; `confirmed`: it answered '1' at a read-back.

        Without `faults`, every confirmation makes exactly one new payment or is refused
        out loud (a fault may leave a confirmation to be answered by a later webhook).
        """
        after = self.payments()
        new = [p for key, p in after.items() if key not in before and p.call_sid == call_sid]
        assert confirmed or not new, "a payment without a confirmation key"
        assert len(new) <= 1, "one confirmation made two payments"
        if confirmed and not faults and not new:
            assert any(text in said for text in REFUSED), "a confirmation made no payment"
        of_call = [p for p in after.values() if p.call_sid == call_sid]
        newly_charged = [
            p for p in of_call if p.status in CHARGED and before.get(p.key, p).status not in CHARGED
        ]
        for payment in newly_charged + new:
            heard = say_characters(payment.confirmation, lang) in said
            assert heard == (payment.status in CHARGED), f"{payment.status} told wrong"
        for payment in of_call:
            if say_characters(payment.confirmation, lang) in said:
                assert payment.status in CHARGED, "a number heard for money not taken"
        self._check_sentences(said, new, of_call)

    def _check_sentences(self, said: str, new: list[Payment], of_call: list[Payment]) -> None:
        charged = [p for p in of_call if p.status in CHARGED]
        if any(text in said for text in NOT_CHARGED_THIS):
            assert all(p.status not in CHARGED for p in new), "'not charged' after a charge"
        if any(text in said for text in CANCELLED + NOT_STARTED):
            assert not [p for p in new if p.status in CHARGED], "cancelled, yet charged"
        if any(text in said for text in NOTHING_CHARGED):
            assert not charged, "'nothing charged' in a call that charged"
        told = sum(said.count(text) for text in WENT_THROUGH)
        assert told in (0, len(charged)), "the recap left out or invented a payment"

    def check_call(self, call_sid: str, spoken: str, lang: str = "en") -> None:
        """A whole call's words against its payments' records (after reconciliation): every
        charged payment was told with its number, or the caller was told it was still being
        processed or where to learn its result; nothing not charged was given a number; and a
        payment said not to be made was not charged."""
        of_call = [p for p in self.payments().values() if p.call_sid == call_sid]
        for payment in of_call:
            heard = say_characters(payment.confirmation, lang) in spoken
            if payment.status in CHARGED:
                assert heard or any(text in spoken for text in NOT_YET_KNOWN), "charged, untold"
            else:
                assert not heard, f"a number heard for a {payment.status} payment"
        if any(text in spoken for text in NOT_STARTED + NOT_CHARGED_THIS):
            last = of_call[-1] if of_call else None
            assert last is None or last.status not in CHARGED, "said not charged, yet charged"


class BankOracle:
    """The bank side: the NACHA files written are the debits recorded, each in exactly one
    file; the returns read reversed exactly the debits they name, and nothing else; every
    returned debit was told to its member. Files are read with the independent validator."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def check(self, debit_files: list[str], returns_files: list[str]) -> None:
        sent: dict[str, int] = {}
        for text in debit_files:
            for entry in check_ach_file(text).entries:
                assert entry.trace not in sent, f"trace {entry.trace} in two files"
                sent[entry.trace] = entry.amount_cents
        entries = self._entries()
        recorded = {e.trace_number: e.amount_cents for e in entries if e.trace_number}
        assert sent == recorded, "the files and the recorded debits disagree"
        named = {
            entry.addenda[0][6:21]
            for text in returns_files
            for entry in check_ach_file(text, returns=True).entries
        }
        returned = {e.trace_number for e in entries if e.status == "returned"}
        assert returned == named & set(sent), "returns reversed other debits than they named"
        for entry in entries:
            assert int(entry.amount * 100) == entry.amount_cents, "a debit of another amount"
            expected = {"returned": "returned", "settled": "settled"}.get(entry.status)
            if expected:
                assert entry.payment_status == expected, f"{entry.trace_number}: payment status"
            if entry.status == "exported":
                assert entry.payment_status == "approved"
        self._check_told(returned)

    def _entries(self) -> list:
        query = select(
            ACH_ENTRIES.c.trace_number, ACH_ENTRIES.c.amount_cents, ACH_ENTRIES.c.status,
            ACH_ENTRIES.c.id, PAYMENTS.c.amount, PAYMENTS.c.status.label("payment_status"),
        ).join(PAYMENTS, PAYMENTS.c.id == ACH_ENTRIES.c.payment_id)  # fmt: skip
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def _check_told(self, returned: set[str]) -> None:
        """One "your bank returned" message per returned debit, with its amount."""
        key = literal("returned:") + cast(ACH_ENTRIES.c.id, String)
        query = (
            select(ACH_ENTRIES.c.id, ACH_ENTRIES.c.amount_cents, OUTBOX.c.body)
            .join(OUTBOX, OUTBOX.c.event_key == key)
            .where(ACH_ENTRIES.c.trace_number.in_(returned))
        )
        with self.engine.connect() as conn:
            told = list(conn.execute(query))
        assert len(told) == len(returned), "a returned debit was not told"
        for row in told:
            assert f"${row.amount_cents / 100:,.2f}" in row.body
