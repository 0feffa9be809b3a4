"""What every agent API blueprint shares: the session check and the JSON errors.

A view that needs a logged-in agent is wrapped in `require_agent`; inside it `flask.g.agent` is
the agent's username. The session is an `Authorization: Bearer TOKEN` header or, for the console
page (webhooks/agent_console), the same token in the `SESSION_COOKIE`; a cookie-authenticated
POST or DELETE must also carry the session's `csrf_token` in an `X-CSRF-Token` header.

Errors are `{"error": {"code", "message"}}` (SPEC "Fixed JSON API"): return `api_error(...)`, or
raise `ApiError` from anywhere in a view of a blueprint passed to `json_errors`, which also turns
Flask's own errors (400, 413, 415, ...) into that shape.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from payments.services.agents import AgentService

BEARER = "bearer"
SESSION_COOKIE = "__Host-agent_session"  # __Host-: Secure, Path=/, no Domain (set nowhere else)
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiError(Exception):
    """Raised in a view: answered as `api_error(status, code, message, field)`."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def api_error(status: int, code: str, message: str, field: str | None = None) -> Response:
    """The JSON error response `{"error": {"code", "message"}}` with HTTP `status`; `field`
    (added as `"field"`) names the request field at fault in a 400."""
    error = {"code": code, "message": message} | ({"field": field} if field else {})
    response = jsonify(error=error)
    response.status_code = status
    return response


def agents() -> AgentService:
    return current_app.extensions["ivr"].core.agents


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header, or None."""
    scheme, _, token = (header or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == BEARER and token and " " not in token else None


@lru_cache(maxsize=4)
def _csrf_key(secret: str) -> bytes:
    """A key of its own for CSRF tokens, derived from the app's secret (as ivr.engine.callstate)."""
    derive = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ivr-agent-csrf")
    return derive.derive(secret.encode())


def csrf_token(session: str, purpose: str = "session") -> str:
    """The CSRF token bound to `session` (a session token, or the login form's cookie nonce)."""
    key = _csrf_key(current_app.extensions["ivr"].settings.twilio_auth_token)
    return hmac.new(key, f"{purpose}:{session}".encode(), hashlib.sha256).hexdigest()


def csrf_matches(session: str, given: str | None, purpose: str = "session") -> bool:
    expected = csrf_token(session, purpose).encode()
    return bool(given) and hmac.compare_digest(expected, (given or "").encode())


def require_agent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run `view` for a live agent session, with `g.agent` set to the agent's username (the
    session's idle time starts again); otherwise answer 401 `unauthenticated`, or 403
    `csrf_failed` for a cookie-authenticated change without the session's CSRF token."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization")  # when sent, it alone counts
        token = request.cookies.get(SESSION_COOKIE) if header is None else bearer_token(header)
        if header is None and token and request.method not in SAFE_METHODS:
            if not csrf_matches(token, request.headers.get(CSRF_HEADER)):
                return api_error(403, "csrf_failed", "the request lacks the page's CSRF token")
        username = agents().authenticate(token) if token else None
        if username is None:
            response = api_error(401, "unauthenticated", "log in: no session, or it has ended")
            response.headers["WWW-Authenticate"] = 'Bearer realm="agent"'
            return response
        g.agent = username
        g.agent_token = token
        return view(*args, **kwargs)

    return checked


def json_errors(bp: Blueprint) -> None:
    """Answer `ApiError` and Flask's HTTP errors in `bp`'s views as JSON errors, and keep every
    answer out of caches (tokens and members' details)."""
    bp.register_error_handler(ApiError, _api_error)
    bp.register_error_handler(HTTPException, _http_error)
    bp.after_request(_no_store)


def json_object() -> dict[str, Any]:
    """The request's JSON object body: 415 when it is not JSON, 400 when not an object."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send JSON (Content-Type: application/json)")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "the body must be a JSON object")
    return body


def _api_error(error: ApiError) -> Response:
    return api_error(error.status, error.code, error.message, error.field)


def _http_error(error: HTTPException) -> Response:
    code = (error.name or "error").lower().replace(" ", "_")
    return api_error(error.code or 500, code, error.description or error.name)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
