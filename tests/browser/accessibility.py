"""Accessibility checks of a page in the browser, through Playwright (see test_console)."""

from __future__ import annotations

from typing import Any

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture says so: a skip, or a failure in CI
    Page, expect = Any, None  # type: ignore[assignment,misc]

CONTROLS = "input:not([type=hidden]), select, textarea, button"


def assert_accessible(page: Page) -> None:
    """Every control named, no positive tabindex, headings in order, live regions, and the Tab
    key visiting the controls in document order with a visible outline."""
    unnamed = page.locator(CONTROLS).evaluate_all(UNNAMED)
    assert unnamed == [], f"controls without an accessible name: {unnamed}"
    assert page.locator("[tabindex]").evaluate_all(POSITIVE_TABINDEX) == []
    levels = page.locator("h1, h2, h3, h4, h5, h6").evaluate_all(LEVELS)
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    for region in ("#calls-summary", "#capture-fields", "#capture-state"):
        expect(page.locator(region)).to_have_attribute("aria-live", "polite")
    expect(page.get_by_role("button", name="Ask again for the card number")).to_be_enabled()
    assert_tab_order(page)


def assert_fits(page: Page, width: int) -> None:
    """Nothing sticks out of a viewport `width` wide (a 1280 px screen at 200 % zoom is 640)."""
    before = page.viewport_size
    page.set_viewport_size({"width": width, "height": 1000})
    assert page.evaluate(OVERFLOW) == [], f"wider than a {width} px viewport"
    page.set_viewport_size(before)


def assert_tab_order(page: Page) -> None:
    """Tab visits every visible, enabled control in document order, each with a visible
    outline."""
    order = page.locator(CONTROLS + ", a[href]").evaluate_all(TABBABLE)
    assert len(order) >= 7, order  # logout, select, look up (2), 4 × ask again, cancel
    page.locator(f"[data-tab='{order[0]}']").focus()
    visited = [page.evaluate(FOCUSED)]
    for _ in order[1:]:
        page.keyboard.press("Tab")
        visited.append(page.evaluate(FOCUSED))
    assert [key for key, _ in visited] == order
    assert all(outlined for _, outlined in visited), visited


UNNAMED = """els => els.filter(e => {
  const labelled = [...(e.labels || [])].map(l => l.textContent).join("")
    || e.getAttribute("aria-label")
    || (e.getAttribute("aria-labelledby") || "").split(" ")
         .map(id => (document.getElementById(id) || {}).textContent || "").join("")
    || (e.tagName === "BUTTON" ? e.textContent : "");
  return !labelled.trim();
}).map(e => e.outerHTML)"""

POSITIVE_TABINDEX = "els => els.filter(e => e.tabIndex > 0).map(e => e.outerHTML)"

LEVELS = "els => els.map(e => Number(e.tagName[1]))"

TABBABLE = """els => els.filter(e => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length
    && getComputedStyle(e).visibility !== "hidden"
    && (e.type !== "radio" || e.checked))
  .map((e, i) => { e.dataset.tab = String(i); return String(i); })"""

FOCUSED = """() => {
  const e = document.activeElement, style = getComputedStyle(e);
  return [e.dataset.tab || e.outerHTML,
          style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2];
}"""

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = document.documentElement.scrollWidth > width ? ["document"] : [];
  return wide.concat([...document.querySelectorAll("body *")]
    .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > width + 1)
    .map(e => e.id || e.className || e.tagName));
}"""
