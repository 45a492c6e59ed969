"""The app in a real browser: who sees which page, a reviewer's fix-and-approve, and user text
that tries to be HTML or a javascript: link staying text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import (
    IMG,
    LINK,
    WAIT_MS,
    choose,
    dismiss_dialog,
    nav_titles,
    navigate_in_session,
    open_nav,
    settle,
    sign_in,
    tap_queue_row,
    wait_active_page,
)
from playwright.sync_api import Page

from app.registry import PAGES, pages_for
from warehouse.access import ROLES

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ON_DISK = [p for p in PAGES if (ROOT / p.path).exists()]


def expected_nav(role: str) -> list[str]:
    return [p.title for p in pages_for(role) if (ROOT / p.path).exists()] + ["My account"]


def url_path(page_path: str) -> str:
    return Path(page_path).stem  # st.Page("../pages/review.py") is served at /review


def no_script_ran(page: Page) -> None:
    """Nothing the data said was turned into markup or ran."""
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator('a[href^="javascript:"]').count() == 0


def pending_count(page: Page) -> int:
    caption = page.get_by_text(re.compile(r"rows? match(es)? these filters")).first
    caption.wait_for(timeout=WAIT_MS)
    return int(re.search(r"(\d+) rows?", caption.inner_text()).group(1))


def test_anonymous_visitors_get_the_sign_in_page_whatever_url_they_open(web, kasuwa_app):
    for spec in ON_DISK:
        web.goto(f"{kasuwa_app.url}/{url_path(spec.path)}")
        web.get_by_role("button", name="Sign in").wait_for(timeout=WAIT_MS)
        web.get_by_role("dialog").filter(has_text="Page not found").wait_for(timeout=WAIT_MS)
        dismiss_dialog(web)
        assert web.get_by_test_id("stSidebarNavLink").count() == 0
        assert web.get_by_role("heading", name=spec.title, exact=True).count() == 0


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_its_pages_and_cannot_reach_others(web, kasuwa_app, role):
    email, password = kasuwa_app.data.users[role]
    sign_in(web, kasuwa_app.url, email, password)
    allowed = expected_nav(role)
    assert nav_titles(web) == allowed
    for spec in ON_DISK:
        if role in spec.roles:
            continue
        open_nav(web, "My account")
        navigate_in_session(web, url_path(spec.path))  # typing the URL of a refused page
        wait_active_page(web, allowed[0])
        assert web.get_by_role("heading", name=spec.title, exact=True).count() == 0
        assert nav_titles(web) == allowed
    for title, heading in (("Review queue", "Review queue"), ("Administration", "Administration")):
        if title in allowed:
            open_nav(web, title, heading)
    no_script_ran(web)


def test_a_reviewer_fixes_and_approves_a_flagged_row(web, kasuwa_app):
    flag = kasuwa_app.data.fix_flag
    sign_in(web, kasuwa_app.url, *kasuwa_app.data.users["reviewer"])
    open_nav(web, "Review queue")
    before = pending_count(web)
    tap_queue_row(web, "K2")  # Kofi's order K2: its amount is not a number
    box = web.locator('[class*="st-key-rq_row_box"]')
    assert box.get_by_label("Amount", exact=True).is_visible()
    assert flag not in web.locator("body").inner_text()  # no internal id anywhere on the page
    web.get_by_label("Amount", exact=True).fill("2500.00")
    web.get_by_label("Note (optional)", exact=True).fill("amount from the invoice")
    web.keyboard.press("Alt+A")  # approve without the mouse
    web.get_by_text("Approved and loaded into the sales: order K2 of Kofi.").wait_for(timeout=WAIT_MS)
    settle(web)
    assert pending_count(web) == before - 1
    choose(web, "Status", "Approved")
    tap_queue_row(web, "K2")
    web.get_by_text(re.compile(r"^order K2 of Kofi · line 2 of kofi\.csv · .* · Approved$")).wait_for(timeout=WAIT_MS)


def test_user_text_shaped_like_html_or_links_is_shown_as_text(web, kasuwa_app):
    data = kasuwa_app.data
    sign_in(web, kasuwa_app.url, *data.users["reviewer"])
    open_nav(web, "Review queue")
    for order, product in (("A3", IMG), ("A4", LINK)):
        tap_queue_row(web, order)
        assert web.get_by_label("Product", exact=True).input_value() == product
        no_script_ran(web)
    # a rejection note with both payloads, then the row's history that shows it
    web.get_by_label("Why (required)", exact=True).fill(f"{IMG} {LINK}")
    web.get_by_test_id("stForm").filter(has_text="the row will not be loaded").get_by_role("button").click()
    web.get_by_text("Rejected: order A4 of Ada.").wait_for(timeout=WAIT_MS)
    settle(web)
    choose(web, "Status", "Rejected")
    tap_queue_row(web, "A5")  # the row rejected with a note holding both payloads
    web.get_by_text("Decisions", exact=True).wait_for(timeout=WAIT_MS)
    no_script_ran(web)

    # an admin: a creator named like an image tag, and an error message quoting user input
    admin = web.context.browser.new_context()
    page = admin.new_page()
    try:
        sign_in(page, kasuwa_app.url, *data.users["admin"])
        open_nav(page, "Administration")
        form = page.get_by_test_id("stForm").filter(has_text="Add a user")
        form.get_by_label("Email", exact=True).fill(LINK)
        form.get_by_label(re.compile("^Password \\(at least")).fill("long enough pw")
        form.get_by_label("Password again", exact=True).fill("long enough pw")
        form.get_by_role("button", name="Add user").click()
        alert = page.get_by_test_id("stAlert").filter(has_text="is not an email address")
        alert.wait_for(timeout=WAIT_MS)
        assert LINK in alert.inner_text()
        no_script_ran(page)
        page.get_by_role("tab", name="Creators").click()
        page.get_by_role("button", name="Register creator").wait_for(timeout=WAIT_MS)
        no_script_ran(page)
    finally:
        admin.close()
