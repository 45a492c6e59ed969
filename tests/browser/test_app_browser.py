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
    caption = page.get_by_text(re.compile(r"rows? with this status in the region")).first
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
    choose(web, "Open row", flag)
    web.get_by_text(f"{flag} — line 2 of the file").wait_for(timeout=WAIT_MS)
    settle(web)
    web.get_by_label("Amount", exact=True).fill("2500.00")
    web.get_by_label("Note (optional)", exact=True).fill("amount from the invoice")
    web.get_by_role("button", name="Approve", exact=True).click()
    web.get_by_text(f"Row {flag} approved and loaded into the sales.").wait_for(timeout=WAIT_MS)
    settle(web)
    assert pending_count(web) == before - 1
    choose(web, "Status", "Approved")
    choose(web, "Open row", flag)
    web.get_by_text(f"{flag} — line 2 of the file, creator gh-kofi, status approved").wait_for(timeout=WAIT_MS)


def test_user_text_shaped_like_html_or_links_is_shown_as_text(web, kasuwa_app):
    data = kasuwa_app.data
    sign_in(web, kasuwa_app.url, *data.users["reviewer"])
    open_nav(web, "Review queue")
    for flag, product in ((data.xss_flag, IMG), (data.link_flag, LINK)):
        choose(web, "Open row", flag)
        web.get_by_text(f"{flag} — line").wait_for(timeout=WAIT_MS)
        settle(web)
        assert web.get_by_label("Product", exact=True).input_value() == product
        no_script_ran(web)
    # a rejection note with both payloads, then the row's history that shows it
    web.get_by_label("Why (required)", exact=True).fill(f"{IMG} {LINK}")
    web.get_by_role("button", name="Reject", exact=True).click()
    web.get_by_text(f"Row {data.link_flag} rejected.").wait_for(timeout=WAIT_MS)
    settle(web)
    choose(web, "Status", "Rejected")
    choose(web, "Open row", data.noted_flag)
    web.get_by_text(f"{data.noted_flag} — line").wait_for(timeout=WAIT_MS)
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
