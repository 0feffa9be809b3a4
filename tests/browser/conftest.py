"""Browser tests: the real app served from a thread, driven by Playwright in Debian's Chromium.

They skip when Playwright or Chromium is missing, unless REQUIRE_SERVICES=1 (as in CI), in which
case they fail (tests/conftest.py `_unavailable`). Install: `apt-get install -y chromium` and
`pip install playwright` (Playwright's own browser download is not used).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import _unavailable
from tests.e2e.conftest import Line, demo_database, make_line  # noqa: F401 - fixtures used here
from tests.e2e.test_agent_capture_api import RecordingTwilio
from tests.e2e.test_agent_capture_calls import AGENT_DESK

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AGENT, PASSWORD = "dana", "correct horse battery"
TIMEOUT_MS = 10_000  # every wait for the page is bounded


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium under Playwright, shared by the session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _unavailable("Playwright", error)
    if not Path(CHROMIUM).exists():
        _unavailable("Chromium", FileNotFoundError(CHROMIUM))
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as error:  # noqa: BLE001 - any launch failure means "browser missing"
            _unavailable("Chromium", error)
        yield chromium
        chromium.close()


class Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        """Requests are not logged: the test says what happened."""


@pytest.fixture()
def served(make_line) -> Iterator[tuple[Line, str]]:  # noqa: F811 - the imported fixture
    """A line with an agent, whose Twilio REST calls are recorded, served on localhost (Chrome
    sends Secure cookies to http://localhost); with the base URL it is served at."""
    line = make_line(agent_number=AGENT_DESK)
    twilio = RecordingTwilio()
    line.app.extensions["ivr"].twilio = twilio
    line.app.extensions["ivr"].calls.twilio = twilio
    line.app.extensions["ivr"].core.agents.add_agent(AGENT, "Dana Reyes", PASSWORD)
    server = make_server("localhost", 0, line.app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield line, f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture()
def page(browser, served: tuple[Line, str]) -> Iterator[Any]:
    """A fresh browser context (no cookies) on the served line, at desktop width."""
    from playwright.sync_api import expect

    viewport = {"width": 1280, "height": 1000}
    context = browser.new_context(base_url=served[1], viewport=viewport, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    yield context.new_page()
    context.close()
