"""The agent console page (/agent/) through the Flask test client: the login form and its CSRF
token, the session cookie and its flags, logout, idle expiry, and the API's cookie path."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from ivr.agents.agent_calls import WAITING, CallInfo
from ivr.config import Settings
from ivr.engine.kvstores import MemoryKeyValue
from payments.operations.demo import demo_accounts
from payments.operations.importer import import_accounts
from payments.storage.db import make_engine, make_session_factory, upgrade_database
from payments.storage.unit_of_work import uow_factory_for
from tests.doubles import FakeClock
from webhooks.agent_auth import SESSION_COOKIE
from webhooks.agent_console import LOGIN_COOKIE, wait_words

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
ANA = "100000000001"
CALL = "CA" + "1" * 32


@pytest.fixture(scope="module")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("console") / "ivr.sqlite3"
    upgrade_database(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    import_accounts(uow_factory_for(make_session_factory(engine)), demo_accounts(NOW.date()))
    engine.dispose()
    return path


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture()
def app(template_database: Path, tmp_path: Path, clock: FakeClock):
    database = tmp_path / "ivr.sqlite3"
    shutil.copy(template_database, database)
    settings = Settings(twilio_auth_token="unit-token", database_url=f"sqlite:///{database}")
    app = create_app(settings, clock=clock, kv=MemoryKeyValue())
    app.extensions["ivr"].core.agents.add_agent("dana", "Dana Reyes", PASSWORD)
    yield app
    app.extensions["ivr"].core.close()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Forms(HTMLParser):
    """The page's forms (their inputs by name), labels, labelled controls, and scripts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.labels: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.meta: dict[str, str] = {}
        self.scripts: list[dict[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.forms.append({})
        elif tag == "label":
            self.labels.add(found.get("for") or "")
        elif tag == "meta" and found.get("name"):
            self.meta[found["name"] or ""] = found.get("content") or ""
        elif tag == "script":
            self.scripts.append(found)
        if tag in ("input", "select", "textarea") and self.forms:
            self.forms[-1][found.get("name") or ""] = found.get("value") or ""
        if tag in ("input", "select", "textarea") and found.get("type") != "hidden":
            self.controls.append(found)


def login_token(client: FlaskClient) -> str:
    """The CSRF token of the login form the client was just given."""
    return Forms(client.get("/agent/").get_data(as_text=True)).forms[0]["csrf_token"]


def log_in(client: FlaskClient, password: str = PASSWORD, csrf: str | None = None):
    csrf = login_token(client) if csrf is None else csrf
    form = {"username": "dana", "password": password, "csrf_token": csrf}
    return client.post("/agent/login", data=form)


def console_csrf(client: FlaskClient) -> str:
    return Forms(client.get("/agent/").get_data(as_text=True)).meta["csrf-token"]


def set_cookie_header(response, name: str) -> str:
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    return header


def assert_strict_cookie(header: str) -> None:
    flags = {part.strip().lower() for part in header.split(";")[1:]}
    assert {"httponly", "secure", "samesite=strict", "path=/"} <= flags, header
    assert not any(flag.startswith("domain") for flag in flags)


def test_the_login_form_is_labelled_and_carries_a_cookie_bound_csrf_token(client) -> None:
    page = client.get("/agent/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    forms = Forms(page.get_data(as_text=True))
    (form,) = forms.forms
    assert {"username", "password", "csrf_token"} == set(form) and len(form["csrf_token"]) == 64
    assert {str(control["id"]) for control in forms.controls} == {"username", "password"}
    assert {"username", "password"} <= forms.labels
    assert_strict_cookie(set_cookie_header(page, LOGIN_COOKIE))
    assert login_token(client) == form["csrf_token"]  # the same nonce, the same token


def test_logging_in_sets_a_strict_session_cookie_and_shows_the_console(app, client) -> None:
    answer = log_in(client)
    assert answer.status_code == 303 and answer.headers["Location"] == "/agent/"
    header = set_cookie_header(answer, SESSION_COOKIE)
    assert_strict_cookie(header)
    assert "expires" not in header.lower()  # gone with the browser; idle expiry is the service's
    token = client.get_cookie(SESSION_COOKIE).value
    assert app.extensions["ivr"].core.agents.authenticate(token) == "dana"
    assert client.get_cookie(LOGIN_COOKIE) is None  # the login nonce is spent
    page = client.get("/agent/").get_data(as_text=True)
    assert 'Logged in as <strong id="agent-name">dana</strong>' in page
    assert token not in page  # the page's script never sees the session token


@pytest.mark.parametrize("csrf", ["", "0" * 64, "not-a-token"])
def test_a_login_without_its_csrf_token_is_refused(client, csrf) -> None:
    answer = log_in(client, csrf=csrf)
    assert answer.status_code == 403
    assert "did not come from this page" in answer.get_data(as_text=True)
    assert client.get_cookie(SESSION_COOKIE) is None


def test_a_login_token_from_another_browser_is_refused(app) -> None:
    theirs, ours = app.test_client(), app.test_client()
    answer = log_in(ours, csrf=login_token(theirs))  # our own nonce cookie, their token
    assert answer.status_code == 403 and ours.get_cookie(SESSION_COOKIE) is None
    no_cookie = app.test_client().post("/agent/login", data={"csrf_token": login_token(theirs)})
    assert no_cookie.status_code == 403


def test_login_errors_are_said_in_words(client) -> None:
    wrong = log_in(client, password="not the password")
    assert wrong.status_code == 401
    assert "Wrong username or password." in wrong.get_data(as_text=True)
    assert 'value="dana"' in wrong.get_data(as_text=True)  # the username is kept
    empty = log_in(client, password="")
    assert empty.status_code == 400
    assert 'aria-describedby="password-error"' in empty.get_data(as_text=True)
    assert "Enter your password." in empty.get_data(as_text=True)


def test_failed_logins_are_rate_limited_with_the_wait_in_words(client) -> None:
    for _ in range(5):
        assert log_in(client, password="not the password").status_code == 401
    limited = log_in(client)
    assert limited.status_code == 429
    assert "Too many failed logins. Try again in 15 minutes." in limited.get_data(as_text=True)


@pytest.mark.parametrize(
    ("seconds", "words"), [(900, "in 15 minutes."), (60, "in 1 minute."), (61, "in 2 minutes.")]
)
def test_the_wait_is_said_in_whole_minutes(seconds, words) -> None:
    assert wait_words(seconds).endswith(words)


def test_logging_out_ends_the_session_and_clears_the_cookie(app, client) -> None:
    log_in(client)
    token = client.get_cookie(SESSION_COOKIE).value
    answer = client.post("/agent/logout", data={"csrf_token": console_csrf(client)})
    assert answer.status_code == 303 and answer.headers["Location"] == "/agent/?done=logout"
    assert "Max-Age=0" in set_cookie_header(answer, SESSION_COOKIE)
    assert app.extensions["ivr"].core.agents.authenticate(token) is None
    assert "You have logged out." in client.get("/agent/?done=logout").get_data(as_text=True)


@pytest.mark.parametrize("form", [{}, {"csrf_token": "0" * 64}])
def test_a_logout_without_the_csrf_token_is_refused(app, client, form) -> None:
    log_in(client)
    answer = client.post("/agent/logout", data=form)
    assert answer.status_code == 403 and "was not carried out" in answer.get_data(as_text=True)
    token = client.get_cookie(SESSION_COOKIE).value
    assert app.extensions["ivr"].core.agents.authenticate(token) == "dana"


def test_an_idle_session_brings_the_login_form_back_saying_so(client, clock) -> None:
    log_in(client)
    clock.advance(minutes=29)
    assert "csrf-token" in client.get("/agent/").get_data(as_text=True)
    clock.advance(minutes=31)
    page = client.get("/agent/")
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)
    assert "Your session has ended: 30 minutes without activity" in page.get_data(as_text=True)
    assert client.get_cookie(SESSION_COOKIE) is None


def test_every_console_form_carries_the_sessions_csrf_token(client) -> None:
    log_in(client)
    forms = Forms(client.get("/agent/").get_data(as_text=True))
    assert len(forms.forms) == 4  # logout, verification, member lookup, capture
    assert {form["csrf_token"] for form in forms.forms} == {forms.meta["csrf-token"]}
    unlabelled = [c["id"] for c in forms.controls if c.get("id") not in forms.labels]
    assert unlabelled == []


# An ES module's `import ... from "./x.js"` or `export ... from "./x.js"`, at the start of a line.
IMPORT = re.compile(r"""^(?:import|export)\s+(?:[\w$*{},\s]+?\s+from\s+)?["']([^"']+)["']""", re.M)


def served_modules(client: FlaskClient, entry: str) -> dict[str, str]:
    """The entry module and every module it imports, however deep, by URL: each must be served
    as JavaScript (a browser refuses a module of any other type, and the page then stops)."""
    sources: dict[str, str] = {}
    waiting = [entry]
    while waiting:
        url = waiting.pop()
        if url in sources:
            continue
        with client.get(url) as script:
            assert script.status_code == 200, url
            assert "javascript" in script.content_type, (url, script.content_type)
            sources[url] = script.get_data(as_text=True)
        specifiers = IMPORT.findall(sources[url])
        assert all(spec.startswith(("./", "../", "/")) for spec in specifiers), (url, specifiers)
        waiting += [urljoin(url, spec) for spec in specifiers]
    return sources


def test_the_console_script_and_styles_are_served(client) -> None:
    log_in(client)
    (script,) = Forms(client.get("/agent/").get_data(as_text=True)).scripts
    assert script == {"type": "module", "src": "/agent/static/console.js"}
    sources = served_modules(client, "/agent/static/console.js")
    assert len(sources) > 1  # the entry imports the modules beside it
    assert all(source.startswith("//") for source in sources.values())  # each says what it is for
    assert any("X-CSRF-Token" in source for source in sources.values())
    with client.get("/agent/static/console.css") as styles:
        assert styles.status_code == 200 and styles.content_type.startswith("text/css")


# The JSON API with the console's cookie (webhooks.agent_auth.require_agent).

API = "/api/agent/v1"


def enter_call(app: Flask) -> None:
    info = CallInfo(CALL, "+16175550100", "en", "voice", WAITING, False, None, NOW.isoformat())
    app.extensions["ivr"].directory.enter(info)


def verify(client: FlaskClient, headers: dict[str, str]):
    body = {"subscriber_id": ANA, "date_of_birth": date(1980, 4, 17).isoformat()}
    return client.post(f"{API}/calls/{CALL}/verification", json=body, headers=headers)


def test_the_api_takes_the_cookie_for_reading(app, client) -> None:
    assert client.get(f"{API}/calls").status_code == 401
    log_in(client)
    enter_call(app)
    assert client.get(f"{API}/calls").get_json()["calls"][0]["call_sid"] == CALL


@pytest.mark.parametrize("headers", [{}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": "é"}])
def test_a_cookie_change_without_the_pages_csrf_token_is_403(app, client, headers) -> None:
    log_in(client)
    enter_call(app)
    answer = verify(client, headers)
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "csrf_failed"
    assert not app.extensions["ivr"].directory.get(CALL).verified
    assert client.delete(f"{API}/sessions", headers=headers).status_code == 403


def test_a_cookie_change_with_the_pages_csrf_token_is_done(app, client) -> None:
    log_in(client)
    enter_call(app)
    csrf = {"X-CSRF-Token": console_csrf(client)}
    assert verify(client, csrf).get_json() == {"result": "ok", "locked_until": None}
    assert client.delete(f"{API}/sessions", headers=csrf).status_code == 204
    assert client.get(f"{API}/calls").status_code == 401


def test_another_sessions_csrf_token_does_not_fit(app) -> None:
    ours, theirs = app.test_client(), app.test_client()
    log_in(ours)
    log_in(theirs)
    enter_call(app)
    assert verify(ours, {"X-CSRF-Token": console_csrf(theirs)}).status_code == 403


def test_an_authorization_header_alone_counts_when_sent(client) -> None:
    log_in(client)
    bad = client.get(f"{API}/calls", headers={"Authorization": "Bearer not-a-session"})
    assert bad.status_code == 401  # the cookie does not rescue a wrong bearer token
