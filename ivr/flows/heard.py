"""Read spoken (relay) input back before it is used for anything that costs money."""

from __future__ import annotations

from ivr import flows
from ivr.flows.base import Ask, Digits, Go, Input, Outcome, Step, line
from payments.domain.instruments import luhn_valid


def _readback(ctx) -> Ask:
    heard = ctx.secrets.get("heard", "")
    target = flows.STEPS[ctx.state.get("heard_for", "")]
    sensitive = target.ask is not None and target.ask(ctx).sensitive
    sensitive = sensitive or could_be_card(heard)
    if sensitive and len(heard) <= 4:  # a security code: its last four would be all of it
        return Ask((line("heard.readback_code", count=len(heard)),), Input.MENU)
    if sensitive:
        return Ask((line("heard.readback_last4", value=Digits(heard[-4:])),), Input.MENU)
    return Ask((line("heard.readback", value=Digits(heard)),), Input.MENU)


def could_be_card(keys: str) -> bool:
    """Keys shaped like a card number: never read back in full, whatever the step."""
    return keys.isdigit() and 13 <= len(keys) <= 19 and luhn_valid(keys)


def _confirmed(ctx, keys: str) -> Outcome:
    target = ctx.state.pop("heard_for", "")
    heard = ctx.secrets.pop("heard", "")
    ctx.state["step"] = target
    handle = flows.STEPS[target].handle
    if keys == "1" and heard and handle is not None:
        return handle(ctx, heard)
    return Go(target, (line("heard.again"),))


STEPS = (Step("confirm_heard", ask=_readback, handle=_confirmed),)
