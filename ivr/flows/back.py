"""Where "go back" leads (a relay operator may say it at any prompt): the question asked before
this one, for the steps of identifying and of choosing and keying a payment. Never back across a
confirmation: once a payment is confirmed, "go back" is not a way to pay again."""

from __future__ import annotations

_PREVIOUS = {
    "birth_date": "subscriber_id",
    "enter_amount": "choose_amount",
    "choose_method": "choose_amount",
    "card_expiry": "card_number",
    "card_security_code": "card_expiry",
    "card_zip": "card_security_code",
    "confirm_payment": "card_zip",
    "bank_routing": "bank_account_type",
    "bank_account": "bank_routing",
    "bank_account_again": "bank_account",
    "bank_authorization": "bank_account",
    "choose_plan": "main_menu",
    "autopay_menu": "main_menu",
    "autopay_cancel": "autopay_menu",
    "autopay_day": "autopay_menu",
    "autopay_copy": "bank_account",
}


def back_from(ctx) -> str | None:
    """The step "go back" leads to from the call's step, or None where there is none."""
    step = ctx.step
    if step == "choose_amount":
        return _before_the_amount(ctx)
    purpose = ctx.state.get("purpose")
    if step == "bank_account_type" and purpose in ("autopay", "change_account"):
        return "autopay_day" if purpose == "autopay" else "autopay_menu"
    if step == "autopay_copy" and purpose == "change_day":
        return "autopay_day"
    if step == "autopay_authorization":
        return "autopay_day"
    if ctx.state.get("amount_offer") and step in ("choose_method", "enter_amount"):
        # No amount menu was asked: the method menu offered another amount.
        return "choose_method" if step == "enter_amount" else _before_the_amount(ctx)
    if step in ("card_number", "bank_account_type"):
        return "choose_method" if ctx.settings.both_methods else "choose_amount"
    return _PREVIOUS.get(step)


def _before_the_amount(ctx) -> str:
    """What came before the amount: the plan choice, or the menu when there was one plan."""
    return "choose_plan" if len(ctx.account.payable_plans) > 1 else "main_menu"
