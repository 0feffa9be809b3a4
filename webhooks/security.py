"""Twilio request signatures: every Twilio-facing endpoint refuses unsigned requests."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator, compare


def signed_url() -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL (behind a proxy) or what this request says."""
    base = current_app.extensions["ivr"].settings.public_base_url
    if not base:
        return request.url
    query = request.query_string.decode()
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def is_signed(validator: RequestValidator, url: str, form: Any, signature: str) -> bool:
    """Check the URL as received first; only a mismatch pays for Twilio's port variants."""
    if not signature:
        return False
    if compare(validator.compute_signature(url, form), signature):
        return True
    return validator.validate(url, form, signature)


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        validator = RequestValidator(current_app.extensions["ivr"].settings.twilio_auth_token)
        signature = request.headers.get("X-Twilio-Signature", "")
        if not is_signed(validator, signed_url(), request.form, signature):
            abort(403)
        return view(*args, **kwargs)

    return checked
