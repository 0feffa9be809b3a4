"""What the payments core refuses, before anything is charged. Messages never quote card or
account numbers."""

from __future__ import annotations


class PaymentError(Exception):
    """A request the core refuses before anything is charged."""


class UnknownPlan(PaymentError):
    """The plan is not one of this subscriber's."""


class AmountNotAllowed(PaymentError):
    """Zero, negative, more than the plan's balance, or a plan that cannot be paid by phone."""


class AuthorizationRequired(PaymentError):
    """A bank debit without its TEL authorization."""


class InvalidInstrument(PaymentError):
    """Card or bank details that fail their checks (never quoting the numbers)."""


class IdempotencyConflict(PaymentError):
    """An idempotency key already used for a different plan or amount."""


class TooManyDeclines(PaymentError):
    """The card-testing limit: too many declined attempts in this call or for this subscriber
    today. Nothing more reaches the processor."""

    def __init__(self, scope: str) -> None:
        super().__init__(f"too many declined attempts ({scope})")
        self.scope = scope  # "call" | "subscriber"


class UnknownSubscriber(LookupError):
    """No member has this Subscriber ID."""


class PaymentInProgress(Exception):
    """The processor has not answered yet; the payment's outcome will be recorded when it does."""
