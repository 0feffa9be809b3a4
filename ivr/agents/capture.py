"""Agent-started secure captures: the record the agent's screen follows, field by field.

An agent picks plan, amount and method (a payment), or plan and day (an AutoPay enrolment); the
caller's leg is moved into the capture sub-flow (ivr.flows.capture, then ivr.flows.autopay_enrol
for AutoPay) and keys the details privately. After every turn the record says, for each field,
waiting / entering / done, with at most a card's brand and last 4 or a bank account's type and
last 4: the agent never sees more. Kept in the call-state store beside the calls.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ivr.agents.agent_calls import DirectoryStore
from payments.domain.values import PaymentOutcome, PaymentStatus

WAITING, CAPTURING, PROCESSING = "waiting", "capturing", "processing"
APPROVED, DECLINED, FAILED, CANCELLED, ABANDONED = (
    "approved",
    "declined",
    "failed",
    "cancelled",
    "abandoned",
)
# An AutoPay capture ends enrolled (the enrolment's reference told) or refused (nothing changed).
ENROLLED, REFUSED = "enrolled", "refused"
FINAL = frozenset({APPROVED, DECLINED, FAILED, CANCELLED, ABANDONED, ENROLLED, REFUSED})
PAYMENT, AUTOPAY = "payment", "autopay"  # what a capture is for
HUNG_UP = "the caller hung up"
ANSWERED = frozenset({APPROVED, DECLINED, FAILED})  # the processor's answer: nothing changes it
ASKED_ONCE = frozenset({"confirm", "authorization"})  # the caller's yes: no field to take again
# Each field the caller keys, and the step that asks for it.
FIELDS = {
    "card": {
        "card_number": "card_number",
        "expiry": "card_expiry",
        "security_code": "card_security_code",
        "zip": "card_zip",
        "confirm": "confirm_payment",
    },
    "bank": {
        "account_type": "bank_account_type",
        "routing": "bank_routing",
        "account": "bank_account",
        "account_again": "bank_account_again",
        "authorization": "bank_authorization",
    },
    "autopay": {  # the bank account as for a payment, then the recurring authorization
        "account_type": "bank_account_type",
        "routing": "bank_routing",
        "account": "bank_account",
        "account_again": "bank_account_again",
        "authorization": "autopay_authorization",
    },
}


@dataclass
class Capture:
    id: str
    call_sid: str
    agent: str
    subscriber_id: str
    plan_id: str
    amount: str  # "" for AutoPay: each debit is the balance due that day
    method: str  # "card" | "bank"
    purpose: str = PAYMENT  # PAYMENT | AUTOPAY
    day: int | None = None  # AutoPay's day of the month: 15 or 23
    state: str = WAITING
    fields: list[dict[str, str]] = field(default_factory=list)
    confirmation: str | None = None
    payment: dict[str, Any] | None = None  # status, amount and the plan's balance after it
    message: str = ""  # why it ended, in a word: "cancelled by the agent", "caller hung up"
    reference: str | None = None  # the AutoPay enrolment's reference, once enrolled
    enrolment: dict[str, Any] | None = None  # first debit, its amount so far, the written copy
    # The payment's idempotency key, noted before the payment starts (in a record of its own,
    # Captures.note_payment): from then on the payments ledger, not this record, says whether
    # money was taken (Captures.with_ledger).
    payment_key: str | None = None

    @property
    def form(self) -> str:
        """Which fields the caller keys (a key of FIELDS)."""
        return AUTOPAY if self.purpose == AUTOPAY else self.method

    def as_json(self) -> dict[str, Any]:
        """The API's view (SPEC "Fixed JSON API", GET /captures/{id})."""
        return {
            "capture_id": self.id,
            "purpose": self.purpose,
            "method": self.method,
            "day": self.day,
            "state": self.state,
            "fields": self.fields,
            "confirmation": self.confirmation,
            "payment": self.payment,
            "reference": self.reference,
            "enrolment": self.enrolment,
            "message": self.message,
        }


def ended_by(outcome: PaymentOutcome) -> dict[str, Any]:
    """A capture's end from its payment's record: state, confirmation and what the agent sees."""
    if outcome.charged:
        state = APPROVED
    elif outcome.status is PaymentStatus.PENDING:
        state = PROCESSING
    else:
        state = DECLINED if outcome.status is PaymentStatus.DECLINED else FAILED
    return {
        "state": state,
        "message": outcome.status.value,
        "confirmation": outcome.confirmation,
        "payment": {
            "status": outcome.status.value,
            "amount": str(outcome.amount),
            "remaining_balance": str(outcome.remaining_balance),
        },
    }


def field_states(form: str, step: str, state: dict[str, Any], keyed: dict[str, str]) -> list:
    """Each field of `form` (card, bank, autopay) as the agent may see it, from the call's
    state after a turn."""
    done = _done_card(state, keyed) if form == "card" else _done_bank(state, keyed)
    now = state.get("heard_for") or step  # a relay read-back is still entering its field
    views = []
    for name, asking_step in FIELDS[form].items():
        # A field asked for again is being entered, whatever it was before.
        status = "entering" if asking_step == now else ("done" if name in done else "waiting")
        views.append({"name": name, "state": status, "display": done.get(name, "")})
    return views


def all_done(fields: list[dict[str, str]]) -> list[dict[str, str]]:
    """Every field done (what was shown kept): the caller confirmed and the payment started."""
    return [{**view, "state": "done"} for view in fields]


def _done_card(state: dict[str, Any], keyed: dict[str, str]) -> dict[str, str]:
    card = state.get("card") or {}
    done: dict[str, str] = {}
    if card.get("last4"):
        done["card_number"] = f"{card.get('brand', '')} ending {card['last4']}".strip()
    if "exp_month" in card:
        done["expiry"] = ""
    if keyed.get("security_code"):
        done["security_code"] = ""
    if "zip" in card:
        done["zip"] = ""
    return done


def _done_bank(state: dict[str, Any], keyed: dict[str, str]) -> dict[str, str]:
    bank = state.get("bank") or {}
    done: dict[str, str] = {}
    if bank.get("type"):
        done["account_type"] = bank["type"]
    if bank.get("routing"):
        done["routing"] = ""
    if keyed.get("account_first") or bank.get("last4"):
        done["account"] = (
            f"{bank.get('type', '')} ending {bank['last4']}" if bank.get("last4") else ""
        )
    if bank.get("last4"):
        done["account_again"] = ""
    return done


class Captures:
    KIND = "capture"
    PAYMENT = "capture-payment"
    TTL = 4 * 3600

    def __init__(self, store: DirectoryStore) -> None:
        self._store = store

    def create(self, **values: Any) -> Capture:
        capture = Capture(id=f"CP{secrets.token_hex(16)}", **values)
        capture.fields = field_states(capture.form, "", {}, {})
        self.save(capture)
        return capture

    def get(self, capture_id: str) -> Capture | None:
        raw = self._store.get_record(self.KIND, capture_id)
        if raw is None:
            return None
        capture = Capture(**json.loads(raw))
        key = self._store.get_record(self.PAYMENT, capture_id)
        capture.payment_key = key.decode() if key is not None else None
        return capture

    def active_for(self, call_sid: str) -> Capture | None:
        return self.active_by_call().get(call_sid)

    def active_by_call(self) -> dict[str, Capture]:
        """The captures not yet ended, by the call they are on (one per call at most)."""
        captures = (Capture(**json.loads(raw)) for raw in self._store.list_records(self.KIND))
        return {c.call_sid: c for c in captures if c.state not in FINAL}

    def note_payment(self, capture_id: str, key: str) -> None:
        """The capture's payment starts under `key`. Kept apart from the capture's record, so
        that no concurrent update of that record (the caller hanging up) can lose it."""
        self._store.put_record(self.PAYMENT, capture_id, key.encode(), self.TTL)

    def with_ledger(self, capture: Capture, payments: Any) -> Capture:
        """`capture` as the payments ledger has it: once its payment has started, the payment's
        record decides (a caller who hung up while it was processing may still have paid)."""
        if capture.payment_key is None or capture.state in ANSWERED:
            return capture
        outcome = payments.outcome(capture.payment_key)
        if outcome is None:  # refused before it reached the processor: nothing was charged
            return capture
        # A payment on record means the caller confirmed: every field was entered.
        settled = replace(capture, **ended_by(outcome), fields=all_done(capture.fields))
        if capture.state == ABANDONED or capture.message.startswith(HUNG_UP):
            settled.message = f"{HUNG_UP}; the payment is {outcome.status.value}"
        if settled != capture:
            self.save(settled)
        return settled

    def save(self, capture: Capture) -> None:
        self._store.put_record(
            self.KIND, capture.id, json.dumps(asdict(capture)).encode(), self.TTL
        )

    def update(self, capture_id: str, made: bool = False, **changes: Any) -> Capture | None:
        """Change a capture unless it already ended (an ended capture keeps its end). `made`:
        what the change records was done (an enrolment written), which a hang-up recorded
        meanwhile does not hide."""
        capture = self.get(capture_id)
        if capture is None or capture.state in FINAL - ({ABANDONED} if made else set()):
            return capture
        changed = replace(capture, **changes)
        self.save(changed)
        return changed
