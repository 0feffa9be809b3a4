"""The agent console in a real browser: an agent logs in, finds a verified caller, looks up the
member and takes a card payment while the caller keys it (signed webhooks posted by the test);
the page shows each field's progress, never the card number, and the confirmation number. The
same page is checked for accessibility: names, focus order, visible focus, 640 px width."""

from __future__ import annotations

import os
import re
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.accessibility import assert_accessible, assert_fits
from tests.browser.conftest import AGENT, PASSWORD
from tests.e2e.test_agent_capture_api import connected, follow_the_move
from tests.e2e.test_agent_capture_calls import SID, Caller, conference_event
from tests.e2e.test_card_and_bank_calls import ANA, VISA
from webhooks.agent_console import ENDED

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture says so: a skip, or a failure in CI
    Page, expect = Any, None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "agent-console.png"
CALLER = "+1 617-555-9999"  # tests.e2e.test_agent_capture_calls.CALL's From
AUTOPAY_ACCOUNT = "000123456789"


def log_in(page: Page) -> None:
    page.goto("/agent/")
    page.get_by_label("Username").fill(AGENT)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Calls")).to_be_visible()


def field(page: Page, name: str):
    return page.locator(f"#field-{name}-state"), page.locator(f"#field-{name}-display")


def test_an_agent_takes_a_card_payment_the_caller_keys(page: Page, served, tmp_path) -> None:
    line, _ = served
    caller = connected(line)  # verified as Ana on the phone, in the conference with an agent leg
    log_in(page)
    assert_session_cookie_is_strict(page)
    calls = page.locator("#calls")
    expect(calls).to_contain_text(CALLER)
    expect(calls).to_contain_text("Verified: subscriber 100000000001")
    expect(calls).to_contain_text("Connected")
    page.get_by_role("button", name=f"Select the call from {CALLER}").click()
    expect(page.locator("#lookup-id")).to_have_value(ANA)
    page.get_by_role("button", name="Look up").click()
    expect(page.locator("#member-name")).to_have_text("Ana Silva, subscriber 100000000001")
    expect(page.locator("#plans")).to_contain_text("$45.00")
    expect(page.locator("#no-payments")).to_be_visible()

    page.get_by_label("Plan", exact=True).select_option("H-100000000001")
    expect(page.get_by_label("Amount in dollars")).to_have_value("45.00")
    page.get_by_label("Card", exact=True).check()
    page.get_by_role("button", name="Start secure capture").click()
    expect(page.locator("#capture-state")).to_have_text(re.compile(r"^Waiting"))
    follow_the_move(line, caller)  # Twilio fetches the capture URL the caller was moved to
    expect(page.locator("#capture-state")).to_have_text("The caller is entering their details.")
    state, display = field(page, "card_number")
    expect(state).to_have_text("Being entered")
    caller.press(VISA)
    expect(state).to_have_text("Done")
    expect(display).to_have_text("visa ending 4242")
    caller.press("1228")
    expect(field(page, "expiry")[0]).to_have_text("Done")
    expect(field(page, "security_code")[0]).to_have_text("Being entered")
    assert VISA not in page.content()
    save_screenshot(page, tmp_path)
    assert_accessible(page)
    assert_fits(page, width=640)

    caller.press("123", "02110")
    expect(field(page, "zip")[0]).to_have_text("Done")
    page.reload()  # a reloaded console finds its capture again on the call
    page.get_by_role("button", name=f"Select the call from {CALLER}").click()
    expect(field(page, "zip")[0]).to_have_text("Done")
    page.get_by_role("button", name="Look up").click()
    expect(page.locator("#member-name")).to_have_text("Ana Silva, subscriber 100000000001")
    expect(field(page, "confirm")[0]).to_have_text("Being entered")
    caller.press("1")
    result = page.locator("#capture-state")
    expect(result).to_have_text(re.compile(r"^Approved\. Confirmation number [0-9A-Z]{8}\."))
    (payment,) = line.payments.recent_payments(ANA)
    expect(result).to_contain_text(f"Confirmation number {payment.confirmation}.")
    expect(result).to_contain_text("$45.00 paid; the plan's balance is now $0.00.")
    expect(field(page, "confirm")[0]).to_have_text("Done")
    expect(page.locator("#payments")).to_contain_text(payment.confirmation)
    expect(page.locator("#payments tbody tr").first).to_contain_text("Agent")
    expect(calls).to_contain_text("Waiting to be connected")  # the caller's leg on its way back
    conference_event(line, "participant-join", SID)
    expect(calls).to_contain_text("Connected")  # the caller is back with the agent
    expect(page.get_by_role("button", name="Start secure capture")).to_be_visible()
    expect(page.get_by_label("Plan", exact=True)).to_have_value("D-100000000001")  # what is due
    expect(page.get_by_label("Amount in dollars")).to_have_value("32.00")
    assert VISA not in page.content() and "424242" not in page.content()
    assert_fits(page, width=640)  # with the payments table too


def test_an_agent_enrols_the_caller_in_autopay_on_the_23rd(page: Page, served) -> None:
    line, _ = served
    caller = connected(line)
    log_in(page)
    page.get_by_role("button", name=f"Select the call from {CALLER}").click()
    page.get_by_role("button", name="Look up").click()
    expect(page.locator("#member-name")).to_have_text("Ana Silva, subscriber 100000000001")

    page.get_by_label("Enrol in AutoPay").check()
    expect(page.get_by_label("Amount in dollars")).to_be_hidden()
    page.get_by_label("Plan", exact=True).select_option("H-100000000001")
    page.get_by_role("button", name="Start secure capture").click()
    expect(page.locator("#capture-day-error")).to_have_text("Choose the 15th or the 23rd.")
    expect(page.get_by_label("The 15th")).to_be_focused()
    assert line.app.extensions["ivr"].twilio.moves == []  # nothing started without a day
    page.get_by_label("The 23rd").check()
    page.get_by_role("button", name="Start secure capture").click()
    state = page.locator("#capture-state")
    expect(state).to_have_text(re.compile(r"^Waiting"))
    follow_the_move(line, caller)
    expect(state).to_have_text("The caller is entering their bank account for AutoPay on the 23rd.")
    expect(field(page, "account_type")[0]).to_have_text("Being entered")
    expect(page.locator("#capture-fields")).to_contain_text("Caller's AutoPay authorization")
    caller.press("1", "011000015", AUTOPAY_ACCOUNT, AUTOPAY_ACCOUNT)
    expect(field(page, "account")[1]).to_have_text("checking ending 6789")
    expect(field(page, "authorization")[0]).to_have_text("Being entered")
    caller.press("1")  # accepts the authorization, heard in full
    expect(state).to_have_text(re.compile(r"^AutoPay set up, reference [0-9A-Z]{8}\. "))
    (reference,) = enrolment_references(line)
    expect(state).to_contain_text(f"reference {reference}.")
    expect(state).to_contain_text("Debits on the 23rd of each month")
    expect(field(page, "authorization")[0]).to_have_text("Done")
    expect(page.get_by_role("button", name="Cancel capture")).to_be_hidden()
    conference_event(line, "participant-join", SID)  # the caller is back with the agent
    expect(page.get_by_role("button", name="Start secure capture")).to_be_visible()
    plan = page.get_by_label("Plan", exact=True)
    expect(plan.locator("option").first).to_have_text(
        "Health plan: AutoPay active on the 23rd (replace it)"
    )
    assert AUTOPAY_ACCOUNT not in page.content()
    assert_fits(page, width=640)


def enrolment_references(line) -> list[str]:
    """The references of enrolments made on the line (not the demo's portal one, Rosa's)."""
    from sqlalchemy import select

    from payments.storage.tables import ENROLMENTS

    query = select(ENROLMENTS.c.reference).where(ENROLMENTS.c.source != "portal")
    with line.app.extensions["ivr"].core.engine.connect() as conn:
        return list(conn.scalars(query))


def test_an_agent_verifies_a_caller_until_the_session_ends(page: Page, served) -> None:
    line, _ = served
    Caller(line).press("1", "0")  # straight to a representative: not verified
    log_in(page)
    calls = page.locator("#calls")
    expect(calls).to_contain_text("Not verified")
    expect(calls).to_contain_text("Waiting to be connected")
    page.get_by_role("button", name=f"Select the call from {CALLER}").click()
    page.locator("#lookup-id").fill(ANA)
    page.get_by_role("button", name="Look up").click()
    expect(page.locator("#lookup-id-error")).to_have_text("Verify the caller on their call first.")
    expect(page.locator("#lookup-id")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#member")).to_be_hidden()

    page.get_by_role("button", name=f"Selected the call from {CALLER}").focus()
    for key in ("Tab", *ANA, "Tab", *"04181980", "Enter"):  # the keyboard only, in tab order
        page.keyboard.press(key)
    expect(page.locator("#verify-result")).to_have_text(re.compile(r"^Does not match: "))
    page.get_by_label("Date of birth").fill("1980-04-17")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#verify-result")).to_have_text(
        "Verified: the caller is subscriber 100000000001."
    )
    expect(page.locator("#member-name")).to_have_text("Ana Silva, subscriber 100000000001")
    expect(calls).to_contain_text("Verified: subscriber 100000000001")
    expect(page.locator("#capture-hint")).to_have_text("Waiting for your line to join the call.")

    line.clock.now += timedelta(minutes=31)  # the service's idle expiry: the next poll is 401
    expect(page.locator("#login-notice")).to_have_text(ENDED)
    expect(page.get_by_label("Password")).to_be_visible()


def test_a_locked_member_is_verified_by_a_second_check(page: Page, served) -> None:
    from datetime import date

    from payments.domain.values import Caller as Checker

    line, _ = served
    for day in range(1, 6):  # this agent's own five failures lock them out for Ana
        line.payments.verify(ANA, date(1999, 1, day), Checker(agent=AGENT))
    Caller(line).press("1", "0")
    log_in(page)
    page.get_by_role("button", name=f"Select the call from {CALLER}").click()
    page.locator("#verify-subscriber").fill(ANA)
    page.get_by_label("Date of birth").fill("1980-04-17")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#verify-result")).to_contain_text("A second check can verify the caller.")
    page.get_by_label("Date of birth").fill("")
    assert page.locator("#verify-dob").input_value() == ""
    page.get_by_text("Second check, for a member").click()
    page.get_by_label("ZIP code").fill("02110")
    paid = line.payments.recent_payments(ANA, 1)
    page.get_by_label("Amount of the last payment").fill(str(paid[0].amount) if paid else "")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#verify-result")).to_have_text(
        "Verified: the caller is subscriber 100000000001."
    )
    expect(page.locator("#member-name")).to_have_text("Ana Silva, subscriber 100000000001")


def test_a_console_left_alone_logs_itself_out(page: Page, served) -> None:
    line, _ = served
    page.clock.install()
    log_in(page)
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "__Host-agent_session"]
    page.clock.fast_forward("31:00")  # polling keeps the session alive; the page counts use
    expect(page.locator("#login-notice")).to_have_text(ENDED)
    assert line.app.extensions["ivr"].core.agents.authenticate(cookie["value"]) is None


def assert_session_cookie_is_strict(page: Page) -> None:
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "__Host-agent_session"]
    assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (True, True, "Strict")
    assert cookie["path"] == "/" and page.evaluate("document.cookie") == ""


def save_screenshot(page: Page, tmp_path: Path) -> None:
    """The console mid-capture; kept in docs/ when UPDATE_SCREENSHOTS=1."""
    shot = tmp_path / SCREENSHOT.name
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copy(shot, SCREENSHOT)
