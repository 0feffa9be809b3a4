"""Secure capture on a live call (SPEC "Agent-assisted payments"), under /api/agent/v1.

The agent picks plan, amount and method for a payment, or plan and day for an AutoPay enrolment
(`"purpose": "autopay"`); the caller's leg is moved (Twilio's REST API) into the capture
sub-flow while the agent stays in the conference; the agent follows the fields, may ask for one
again or cancel. The agent never sees more than a card's brand and last 4 or a bank account's
type and last 4 (ivr.agents.capture).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from ivr.agents.agent_calls import CONNECTED
from ivr.agents.capture import ASKED_ONCE, AUTOPAY, FIELDS, FINAL, PAYMENT, PROCESSING, Capture
from ivr.channels.twilio_rest import TwilioUnavailable
from payments.domain.autopay import DAYS
from payments.domain.money import cents, is_whole_cents
from payments.domain.values import PlanStatus, PlanSummary
from webhooks.agent_auth import ApiError, json_errors, json_object, require_agent

bp = Blueprint("agent_captures", __name__, url_prefix="/api/agent/v1")
json_errors(bp)


def _ivr() -> Any:
    return current_app.extensions["ivr"]


@bp.post("/calls/<call_sid>/captures")
@require_agent
def start(call_sid: str) -> tuple[Response, int]:
    body = json_object()
    call = _ivr().directory.get(call_sid)
    if call is None:
        raise ApiError(404, "not_found", f"no call {call_sid} is with representatives")
    if _ivr().captures.active_for(call_sid) is not None:
        raise ApiError(409, "capture_in_progress", "this call already has a capture going on")
    if call.state != CONNECTED:
        raise ApiError(409, "not_connected", "the call is not connected to an agent")
    if not call.verified or not call.subscriber_id:
        raise ApiError(403, "not_verified", "verify the caller before taking a payment")
    if not _ivr().directory.claim(call_sid, g.agent):
        raise ApiError(409, "another_agent", "another representative has this call")
    choices = _choices(body, call.subscriber_id)
    capture = _ivr().captures.create(
        call_sid=call_sid, agent=g.agent, subscriber_id=call.subscriber_id, **choices
    )
    _move(capture, "start", cancel_on_failure=True)
    _ivr().directory.capturing(call_sid)
    _audit("agent.capture_start", capture, **_without_none(choices))
    return jsonify(capture_id=capture.id), 201


@bp.get("/captures/<capture_id>")
@require_agent
def show(capture_id: str) -> Response:
    return jsonify(_capture(capture_id).as_json())


@bp.post("/captures/<capture_id>/cancel")
@require_agent
def cancel(capture_id: str) -> Response:
    capture = _capture(capture_id)
    if capture.state in FINAL or capture.state == PROCESSING:
        raise ApiError(409, "too_late", f"the capture is {capture.state}: it can't be cancelled")
    _move(capture, "cancel")
    _audit("agent.capture_cancel", capture)
    return jsonify(_capture(capture_id).as_json())


@bp.post("/captures/<capture_id>/fields/<name>/again")
@require_agent
def again(capture_id: str, name: str) -> Response:
    capture = _capture(capture_id)
    if name not in FIELDS[capture.form] or name in ASKED_ONCE:
        raise ApiError(400, "unknown_field", f"{name} is not a field the caller keys", "name")
    if capture.state != "capturing":
        raise ApiError(409, "not_capturing", f"the capture is {capture.state}")
    _move(capture, "again", field=name)
    _audit("agent.capture_again", capture, field=name)
    return jsonify(_capture(capture_id).as_json())


def _choices(body: dict[str, Any], subscriber_id: str) -> dict[str, Any]:
    """The capture's purpose and the agent's choices for it, checked."""
    purpose = body.get("purpose", PAYMENT)
    if purpose == AUTOPAY:
        return _autopay_choices(body, subscriber_id)
    if purpose != PAYMENT:
        raise ApiError(400, "bad_purpose", "purpose must be payment or autopay", "purpose")
    plan_id, amount, method = _payment_choices(body, subscriber_id)
    return {"plan_id": plan_id, "amount": str(amount), "method": method}


def _payment_choices(body: dict[str, Any], subscriber_id: str) -> tuple[str, Decimal, str]:
    """The agent's plan, amount (at most the plan's balance) and method, checked."""
    method = body.get("method")
    settings = _ivr().settings
    if method not in ("card", "bank") or not getattr(settings, f"{method}_enabled"):
        raise ApiError(400, "bad_method", "method must be an enabled one: card or bank", "method")
    plan = _plan(body, subscriber_id)
    try:
        amount = Decimal(str(body.get("amount")))
    except InvalidOperation:
        raise ApiError(
            400, "bad_amount", 'amount must be dollars, like "45.00"', "amount"
        ) from None
    if not amount.is_finite() or not is_whole_cents(amount) or not 0 < amount <= plan.balance:
        message = f"amount must be more than 0.00 and at most the balance, {plan.balance}"
        raise ApiError(400, "bad_amount", message, "amount")
    return plan.plan_id, cents(amount), method


def _autopay_choices(body: dict[str, Any], subscriber_id: str) -> dict[str, Any]:
    """An AutoPay enrolment's plan (the member's, not ended) and day (15 or 23), from a bank
    account: the amount is each debit's balance due, so none is taken."""
    if not _ivr().settings.bank_enabled:
        message = "AutoPay debits a bank account, and bank payments are not enabled on this line"
        raise ApiError(400, "bank_disabled", message, "purpose")
    if body.get("method", "bank") != "bank":
        raise ApiError(400, "bad_method", "AutoPay debits a bank account: method is bank", "method")
    if body.get("amount") is not None:
        message = "AutoPay takes no amount: each debit is the balance due that day"
        raise ApiError(400, "bad_amount", message, "amount")
    day = body.get("day")
    if type(day) is not int or day not in DAYS:  # not a bool, a float or a string
        raise ApiError(400, "bad_day", "day must be 15 or 23 (the day of each month)", "day")
    plan = _plan(body, subscriber_id)
    if plan.status is PlanStatus.TERMINATED:
        message = "this plan's coverage has ended: AutoPay cannot be set up for it"
        raise ApiError(400, "plan_terminated", message, "plan_id")
    return {"plan_id": plan.plan_id, "amount": "", "method": "bank", "purpose": AUTOPAY, "day": day}


def _plan(body: dict[str, Any], subscriber_id: str) -> PlanSummary:
    summary = _ivr().payments.account_summary(subscriber_id)
    plan = next((p for p in summary.plans if p.plan_id == body.get("plan_id")), None)
    if plan is None:
        raise ApiError(400, "unknown_plan", "plan_id is not one of this member's plans", "plan_id")
    return plan


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, "")}


def _capture(capture_id: str) -> Capture:
    """The capture, if it is this agent's: another agent's session neither sees nor stops it."""
    capture = _ivr().captures.get(capture_id)
    if capture is None:
        raise ApiError(404, "not_found", f"no capture {capture_id}")
    if capture.agent != g.agent:
        raise ApiError(403, "not_yours", "this capture was started by another agent")
    return _ivr().captures.with_ledger(capture, _ivr().payments)


def _move(capture: Capture, action: str, field: str = "", cancel_on_failure: bool = False) -> None:
    """Move the caller's leg to the capture URL (Twilio's REST API)."""
    base = _webhook_base(capture.call_sid)
    url = f"{base}/webhooks/voice/capture?capture={capture.id}&action={action}"
    try:
        _ivr().twilio.redirect(capture.call_sid, url + (f"&field={field}" if field else ""))
    except TwilioUnavailable as error:
        if cancel_on_failure:
            moved = "the call could not be moved"
            _ivr().captures.update(capture.id, state="cancelled", message=moved)
        raise ApiError(502, "twilio_unavailable", str(error)) from None


def _webhook_base(call_sid: str) -> str:
    """Where Twilio reaches this service: PUBLIC_BASE_URL, or the base URL of the call's own
    webhooks (the agent's browser may have reached the console on another name)."""
    call = _ivr().directory.get(call_sid)
    known = call.webhook_base if call is not None else ""
    return _ivr().settings.public_base_url or known or request.url_root.rstrip("/")


def _audit(action: str, capture: Capture, **details: Any) -> None:
    """Every capture action, with the agent's username (never a card or account number)."""
    where = {"call_sid": capture.call_sid, "capture_id": capture.id}
    _ivr().core.agents.record(g.agent, action, capture.subscriber_id, **where, **details)
