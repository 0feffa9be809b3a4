"""What a step sees of one call during one webhook: its state, its secrets and the services."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

from ivr.config import Settings
from ivr.engine import snapshot
from ivr.hours import BusinessHours
from payments.domain.values import AccountSummary, Caller, Channel


@dataclass(frozen=True)
class FlowServices:
    payments: Any  # payments.services.service.PaymentService
    settings: Settings
    hours: BusinessHours
    clock: Callable[[], datetime]
    speak: Callable[..., str]  # the exact words a tuple of Lines is spoken as (for records)
    captures: Any = None  # ivr.agents.capture.Captures: agent-started captures
    autopay: Any = None  # payments.services.autopay.AutopayService
    receipts: Any = None  # payments.services.receipts.Receipts
    kick_messages: Callable[[], None] = lambda: None  # the outbox has new messages to send


ANSWER_MARGIN = 1.0  # seconds a webhook keeps for rendering and saving after waiting


class CallContext:
    """One call's mutable state for the length of a webhook."""

    def __init__(
        self,
        call_sid: str,
        state: dict[str, Any],
        secrets: dict[str, str],
        services: FlowServices,
        deadline: float | None = None,
    ) -> None:
        self.call_sid = call_sid
        self.state = state
        self.secrets = secrets
        self.services = services
        self.deadline = deadline  # time.monotonic() by which the webhook must answer
        self.summary_said = False  # this turn read the account summary: the menu need not offer it

    def processor_wait(self) -> float:
        """How long this webhook may still wait for the processor before a hold."""
        wait = self.settings.processor_wait
        if self.deadline is not None:
            wait = min(wait, self.deadline - time.monotonic() - ANSWER_MARGIN)
        return max(0.0, wait)

    @property
    def payments(self) -> Any:
        return self.services.payments

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def now(self) -> datetime:
        return self.services.clock()

    def today(self) -> date:
        """Today on the Massachusetts calendar."""
        return self.services.hours.local(self.now()).date()

    @property
    def step(self) -> str:
        return self.state["step"]

    @property
    def lang(self) -> str:
        return self.state.get("lang", "en")

    @property
    def channel(self) -> Channel:
        return Channel(self.state.get("channel", Channel.VOICE))

    @property
    def relay(self) -> bool:
        return self.channel is Channel.RELAY

    @property
    def caller(self) -> Caller:
        """The caller, as the limits on verification count them."""
        return Caller(self.state.get("caller"), bool(self.state.get("attested")))

    @cached_property
    def account(self) -> AccountSummary:
        """The verified member's account: read once, then spoken from the call's snapshot."""
        if not self.state.get("verified"):
            raise PermissionError("account details before verification")
        cached = self.state.get("account")
        if cached is not None:
            return snapshot.load(cached)
        summary = self.payments.account_summary(self.state["sub"])
        self._keep(summary)
        return summary

    def remember_account(self, summary: AccountSummary | None) -> None:
        """Keep an account summary read alongside another answer (saves a database trip)."""
        if summary is not None:
            self._keep(summary)
            self.__dict__["account"] = summary

    def _keep(self, summary: AccountSummary) -> None:
        self.state["account"] = snapshot.dump(summary)
        self.state["sms_phones"] = list(summary.sms_phones)

    @property
    def sms_phones(self) -> tuple[str, ...]:
        """The member's phones that take texts, as read with the account: kept when the account
        is read again after a payment, which changes no phone (a text's sending checks the
        number has not opted out since)."""
        kept = self.state.get("sms_phones")
        return tuple(kept) if kept is not None else self.account.sms_phones

    def refresh_account(self) -> None:
        """Read the account again (after a payment, or when the caller asks for the balance)."""
        self.__dict__.pop("account", None)
        self.state.pop("account", None)

    def erase_secrets(self) -> None:
        self.secrets.clear()
