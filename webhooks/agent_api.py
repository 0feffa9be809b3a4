"""The agent console's JSON API (SPEC "Fixed JSON API"), except captures (webhooks/agent_captures):
sessions, the calls with representatives, verifying a caller, and a verified member's account."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request

from ivr.agents.agent_calls import CallDirectory, CallInfo
from payments.domain.clock import eastern_iso
from payments.domain.values import VerifyResult
from payments.services.agents import InvalidLogin, LoginLimited, NotVerified
from webhooks.agent_auth import ApiError, agents, api_error, json_errors, json_object, require_agent

bp = Blueprint("agent_api", __name__, url_prefix="/api/agent/v1")
json_errors(bp)

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
SUBSCRIBER_ID = re.compile(r"[0-9]{12}")
ZIP = re.compile(r"[0-9]{5}")
AMOUNT = re.compile(r"[0-9]{1,7}\.[0-9]{2}")


@bp.post("/sessions")
def log_in():
    body = json_object()
    username, password = text(body, "username"), text(body, "password")
    try:
        token = agents().log_in(username, password, request.remote_addr or "")
    except LoginLimited as limited:
        response = api_error(429, "rate_limited", "too many failed logins: try again later")
        response.headers["Retry-After"] = str(limited.retry_after)
        return response
    except InvalidLogin:
        return api_error(401, "invalid_credentials", "wrong username or password")
    return jsonify(token=token), 201


@bp.delete("/sessions")
@require_agent
def log_out():
    agents().log_out(g.agent_token)
    return "", 204


@bp.get("/calls")
@require_agent
def calls():
    """The calls with representatives; `capture_id` names this agent's capture under way on a
    call (a reloaded console picks it up again), else null."""
    active = current_app.extensions["ivr"].captures.active_by_call()
    listed = []
    for info in directory().list():
        capture = active.get(info.call_sid)
        mine = capture.id if capture is not None and capture.agent == g.agent else None
        listed.append({**info.as_json(), "capture_id": mine})
    return jsonify(calls=listed)


@bp.post("/calls/<call_sid>/verification")
@require_agent
def verify(call_sid: str):
    """The caller's date of birth, or a second check (ZIP and the amount of the last payment)
    for a member the date cannot verify now; only the call's agent, and only as one member."""
    call = directory().get(call_sid)
    if call is None:
        raise ApiError(404, "not_found", "no such call with representatives")
    body = json_object()
    subscriber_id = subscriber(text(body, "subscriber_id"), "subscriber_id")
    if call.verified and call.subscriber_id != subscriber_id:
        agents().record(g.agent, "agent.verify_refused", call_sid, reason="already_verified")
        raise ApiError(409, "already_verified", "this call is verified as another member")
    if not directory().claim(call_sid, g.agent):
        agents().record(g.agent, "agent.verify_refused", call_sid, reason="another_agent")
        raise ApiError(409, "another_agent", "another representative has this call")
    if "date_of_birth" in body or "zip" not in body:
        born = iso_date(body, "date_of_birth")
        verdict = agents().verify_member(g.agent, call_sid, subscriber_id, born)
    else:
        zip_code, last = zip_of(body), last_payment(body)
        verdict = agents().second_check(g.agent, call_sid, subscriber_id, zip_code, last)
    if verdict.result is VerifyResult.OK:
        directory().verified(call_sid, subscriber_id)
    locked = verdict.locked_until
    return jsonify(
        result=verdict.result.value, locked_until=eastern_iso(locked) if locked else None
    )


@bp.get("/members/<subscriber_id>")
@require_agent
def member(subscriber_id: str):
    subscriber(subscriber_id, "subscriber_id")
    call = verified_call(subscriber_id)
    try:
        return jsonify(agents().look_up(g.agent, subscriber_id, call.call_sid if call else None))
    except NotVerified:
        message = "verify the caller on their call first"  # also for an unknown subscriber
        raise ApiError(403, "not_verified", message) from None
    except LookupError:
        raise ApiError(404, "not_found", "no member with this Subscriber ID") from None


def directory() -> CallDirectory:
    return current_app.extensions["ivr"].directory


def verified_call(subscriber_id: str) -> CallInfo | None:
    """A current call on which this subscriber passed verification (by phone or by an agent)."""
    calls = directory().list()
    return next((c for c in calls if c.verified and c.subscriber_id == subscriber_id), None)


def text(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, "invalid_request", f"{field}: a non-empty string is required", field)
    return value


def subscriber(value: str, field: str) -> str:
    if not SUBSCRIBER_ID.fullmatch(value):
        raise ApiError(400, "invalid_request", f"{field}: a Subscriber ID is 12 digits", field)
    return value


def zip_of(body: dict[str, Any]) -> str:
    value = body.get("zip")
    if not isinstance(value, str) or not ZIP.fullmatch(value):
        raise ApiError(400, "invalid_request", "zip: 5 digits are required", "zip")
    return value


def last_payment(body: dict[str, Any]) -> Decimal | None:
    """The amount of the member's last payment as they tell it ("45.00"), null for none."""
    field = "last_payment_amount"
    if field not in body:
        raise ApiError(400, "invalid_request", f"{field}: dollars and cents, or null", field)
    value = body[field]
    if value is None:
        return None
    if isinstance(value, str) and AMOUNT.fullmatch(value):
        return Decimal(value)
    raise ApiError(400, "invalid_request", f"{field}: dollars and cents, or null", field)


def iso_date(body: dict[str, Any], field: str) -> date:
    value = body.get(field)
    try:
        if isinstance(value, str) and ISO_DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ApiError(400, "invalid_request", f"{field}: a date as YYYY-MM-DD is required", field)
