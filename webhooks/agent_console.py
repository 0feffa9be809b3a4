"""The agent console page at /agent/ (SPEC "Agent-assisted payments"): a login form, then one
page whose script (ES modules in static/agent/, entry console.js) works the JSON API with the
session cookie.

The cookie holds the API's own session token (AgentService.log_in: its rate limits, audit and
30-minute idle expiry): HttpOnly, Secure, SameSite=Strict, Path=/. Every form carries a CSRF
token: the login form's is bound to a random nonce in a cookie of its own, the console's to the
session (webhooks.agent_auth.csrf_token); the page's fetch() calls send it as X-CSRF-Token.
"""

from __future__ import annotations

import math
import secrets

from flask import Blueprint, Response, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as AnyResponse  # a redirect's, or Flask's own

from payments.services.agents import IDLE_TIMEOUT, InvalidLogin, LoginLimited
from webhooks.agent_auth import SESSION_COOKIE, agents, csrf_matches, csrf_token

bp = Blueprint(
    "agent_console",
    __name__,
    url_prefix="/agent",
    template_folder="templates",
    static_folder="static/agent",
    static_url_path="/static",
)

LOGIN_COOKIE = "__Host-agent_login"  # the login form's CSRF nonce
ENDED = (
    "Your session has ended: 30 minutes without activity, or 12 hours since you logged in. "
    "Please log in again."
)
NOTICES = {"logout": "You have logged out.", "idle": ENDED}
STALE_FORM = "This form had expired or did not come from this page. Please log in again."
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@bp.after_request
def _secure_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


@bp.get("/")
def console() -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    agent = agents().authenticate(token) if token else None
    if agent is None:
        notice = ENDED if token else NOTICES.get(request.args.get("done", ""), "")
        response = login_page(notice=notice)
        if token:
            clear_cookie(response, SESSION_COOKIE)
        return response
    page = render_template(
        "agent/console.html",
        agent=agent,
        csrf=csrf_token(token),
        idle_seconds=int(IDLE_TIMEOUT.total_seconds()),
    )
    return make_response(page)


@bp.post("/login")
def log_in() -> AnyResponse:
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not csrf_matches(nonce, request.form.get("csrf_token"), "login"):
        return login_page(error=STALE_FORM, status=403)
    username, password = request.form.get("username", "").strip(), request.form.get("password", "")
    given = {"username": username, "password": password}
    if missing := {field: f"Enter your {field}." for field, value in given.items() if not value}:
        return login_page(username=username, errors=missing, status=400)
    try:
        token = agents().log_in(username, password, request.remote_addr or "")
    except LoginLimited as limited:
        return login_page(username=username, error=wait_words(limited.retry_after), status=429)
    except InvalidLogin:
        return login_page(username=username, error="Wrong username or password.", status=401)
    response = redirect(url_for(".console"), 303)
    set_cookie(response, SESSION_COOKIE, token)
    clear_cookie(response, LOGIN_COOKIE)  # spent: the next login form gets a new one
    return response


@bp.post("/logout")
def log_out() -> AnyResponse:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token or not csrf_matches(token, request.form.get("csrf_token")):
        page = render_template("agent/refused.html")
        return make_response(page, 403)
    agents().log_out(token)
    done = "idle" if request.form.get("reason") == "idle" else "logout"
    response = redirect(url_for(".console", done=done), 303)
    clear_cookie(response, SESSION_COOKIE)
    return response


def login_page(
    *,
    notice: str = "",
    error: str = "",
    username: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The login form, its CSRF token bound to the nonce in the login cookie (set if missing)."""
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    page = render_template(
        "agent/login.html",
        notice=notice,
        error=error,
        username=username,
        errors=errors or {},
        csrf=csrf_token(nonce, "login"),
    )
    response = make_response(page, status)
    set_cookie(response, LOGIN_COOKIE, nonce)
    return response


def wait_words(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return f"Too many failed logins. Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def set_cookie(response: AnyResponse, name: str, value: str) -> None:
    """A browser-session cookie sent back only by this site's own pages, and never to scripts."""
    response.set_cookie(name, value, path="/", secure=True, httponly=True, samesite="Strict")


def clear_cookie(response: AnyResponse, name: str) -> None:
    response.delete_cookie(name, path="/", secure=True, httponly=True, samesite="Strict")
