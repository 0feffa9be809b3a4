"""The capture sub-flow entered directly (as an agent-started capture will), with a fake core."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ivr.channels.render import Renderer
from ivr.config import Settings
from ivr.engine import engine
from ivr.engine.context import CallContext, FlowServices
from ivr.hours import BusinessHours
from ivr.prompts import Catalog
from payments.domain.values import (
    AccountSummary,
    Channel,
    PaymentOutcome,
    PaymentRequest,
    PaymentStatus,
    PlanStatus,
    PlanSummary,
)

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("America/New_York"))
PLAN = PlanSummary(
    "H-1",
    "health",
    "Plan",
    "Carrier",
    PlanStatus.ACTIVE,
    Decimal("45.00"),
    date(2026, 11, 23),
    date(2026, 12, 1),
    Decimal("0"),
    None,
    None,
)


class FakePayments:
    def __init__(self) -> None:
        self.requests: list[PaymentRequest] = []

    def account_summary(self, subscriber_id: str) -> AccountSummary:
        return AccountSummary(subscriber_id, "Ana", "en", (PLAN,))

    def start_payment(self, request: PaymentRequest) -> None:
        self.requests.append(request)

    def outcome(self, key: str, wait: float = 0.0) -> PaymentOutcome | None:
        if not any(request.idempotency_key == key for request in self.requests):
            return None
        return PaymentOutcome(
            status=PaymentStatus.APPROVED,
            confirmation="AC3D4F7H",
            amount=Decimal("45.00"),
            plan_kind="health",
            decline_reason=None,
            plan_status=PlanStatus.ACTIVE,
            remaining_balance=Decimal("0.00"),
            coverage_start=None,
            paid_through=date(2026, 12, 31),
        )


def capture_context(fake: FakePayments) -> CallContext:
    settings = Settings(twilio_auth_token="t")
    hours = BusinessHours()
    renderer = Renderer(Catalog.load(hours), settings)
    services = FlowServices(fake, settings, hours, lambda: NOW, renderer.speak)
    state = {
        "turn": 0,
        "step": "card_number",
        "lang": "en",
        "channel": Channel.AGENT.value,
        "sub": "100000000001",
        "verified": True,
        "plan": "H-1",
        "amount": "45.00",
        "agent": "agent-7",
    }
    return CallContext("CA" + "5" * 32, state, {}, services)


def test_capture_entered_directly_collects_card_and_pays_once_confirmed() -> None:
    fake = FakePayments()
    ctx = capture_context(fake)
    for keys in ("4242424242424242", "1228", "123", "02110"):
        engine.handle(ctx, engine.Event(keys=keys))
    assert ctx.step == "confirm_payment" and fake.requests == []
    assert "4242424242424242" not in str(ctx.state)  # the number is only in the sealed secrets
    engine.handle(ctx, engine.Event(keys="1"))
    (request,) = fake.requests
    assert (request.amount, request.agent_id, request.channel) == (
        Decimal("45.00"),
        "agent-7",
        Channel.AGENT,
    )
    assert request.instrument.last4 == "4242"
    assert ctx.step == "payment_result" and ctx.secrets == {}


def test_an_unexpected_input_at_a_step_that_takes_none_raises() -> None:
    ctx = capture_context(FakePayments())
    ctx.state["step"] = "identify"  # passes straight through; never waits for keys
    with pytest.raises(LookupError, match="takes no input"):
        engine.handle(ctx, engine.Event(keys="5"))
