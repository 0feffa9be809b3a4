"""The call flow, declared once: every step by name."""

from __future__ import annotations

from ivr.flows import account, autopay, autopay_enrol, capture, heard, member, payment
from ivr.flows.base import Step

STEPS: dict[str, Step] = {
    step.name: step
    for step in member.STEPS
    + account.STEPS
    + payment.STEPS
    + capture.STEPS
    + autopay.STEPS
    + autopay_enrol.STEPS
    + heard.STEPS
}
