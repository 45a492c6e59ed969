"""Kasuwa in the creator's language, in Chromium, on the demo programme (``kasuwa demo``) served as
``./scripts/demo`` serves it: the Urdu creator's sales page is laid out right to left with its
figures kept left to right; the French creator reads "Mes ventes" and amounts written
``1 250 000 F CFA`` (narrow no-break spaces); the sign-in page follows the browser's
``Accept-Language``. Screenshots are kept in ``tests/browser/artifacts/`` (git-ignored)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import WAIT_MS, served_demo, settle
from playwright.sync_api import Browser, Page

from warehouse.i18n import _, use_language

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SANA = ("sana@demo.kasuwa", "demo-sana-2024")  # Pakistan: Urdu by default
AWA = ("awa@demo.kasuwa", "demo-awa-2024")  # Senegal: French by default
#: an amount in XOF as Senegal writes it: groups of three after narrow no-break spaces, no
#: decimals, a no-break space before "F CFA"
XOF_AMOUNT = re.compile("\\d{1,3}(?:\u202f\\d{3})+\u00a0F\u202fCFA")


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``kasuwa demo`` in a fresh data directory, then ``streamlit run app/serve.py`` on it."""
    with served_demo(tmp_path_factory.mktemp("i18n")) as url:
        yield url


def _open(chromium: Browser, locale: str = "en-US") -> Page:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale=locale)
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def _sign_in(page: Page, url: str, email: str, password: str) -> None:
    """Sign in on the (English) sign-in page; returns once the signed-in page is drawn, whatever
    its language (the sign-out button's key does not change with it)."""
    page.goto(url)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator(".st-key-kasuwa_sign_out").wait_for(timeout=WAIT_MS)
    settle(page)


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_the_urdu_creators_sales_page_reads_right_to_left_with_figures_left_to_right(
        chromium: Browser, demo_app: str) -> None:
    page = _open(chromium)
    try:
        _sign_in(page, demo_app, *SANA)
        with use_language("ur"):
            title = _("My sales")
        page.get_by_role("heading", name=title).wait_for(timeout=WAIT_MS)
        page.get_by_test_id("stMetricValue").first.wait_for(timeout=WAIT_MS)
        settle(page)
        main = page.get_by_test_id("stMainBlockContainer")
        assert main.evaluate("e => getComputedStyle(e).direction") == "rtl"
        assert main.evaluate("e => getComputedStyle(e).textAlign") in ("right", "start")
        figure = page.get_by_test_id("stMetricValue").first
        assert figure.evaluate("e => getComputedStyle(e).direction") == "ltr"
        assert figure.evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate"
        assert re.search(r"\d", figure.inner_text())  # a number, readable as written
        assert page.evaluate("document.documentElement.lang") == "ur"
        _shot(page, "urdu-sales.png")
    finally:
        page.context.close()


def test_the_french_creator_reads_mes_ventes_and_amounts_the_senegalese_way(
        chromium: Browser, demo_app: str) -> None:
    page = _open(chromium)
    try:
        _sign_in(page, demo_app, *AWA)
        page.get_by_role("heading", name="Mes ventes").wait_for(timeout=WAIT_MS)
        page.get_by_test_id("stMetricValue").first.wait_for(timeout=WAIT_MS)
        settle(page)
        main = page.get_by_test_id("stMainBlockContainer")
        assert main.evaluate("e => getComputedStyle(e).direction") == "ltr"
        # the per-currency table: a grid on wide screens, and the same rows as cards for phones
        cards = " ".join(page.locator(".kasuwa-card").all_text_contents())
        assert XOF_AMOUNT.search(cards), cards[:400]
        assert "F CFA1" not in cards
        assert page.evaluate("document.documentElement.lang") == "fr"
        _shot(page, "french-sales.png")
        with use_language("fr"):
            payouts = _("My payouts")
        page.get_by_test_id("stSidebarNavLink").filter(has_text=payouts).click()
        page.get_by_role("heading", name=payouts).wait_for(timeout=WAIT_MS)
        page.get_by_test_id("stMetricValue").first.wait_for(timeout=WAIT_MS)
        settle(page)
        balance = page.get_by_test_id("stMetricValue").first.inner_text()
        assert balance.endswith("\u00a0F\u202fCFA") and not re.search(r"[.,]\d", balance), balance  # no decimals
    finally:
        page.context.close()


def test_the_sign_in_page_follows_the_browsers_language(chromium: Browser, demo_app: str) -> None:
    for locale, lang in (("fr-SN", "fr"), ("ur-PK", "ur"), ("en-US", "en")):
        page = _open(chromium, locale)
        try:
            page.goto(demo_app)
            with use_language(lang):
                button, email = _("Sign in"), _("Email")
            page.get_by_role("button", name=button).wait_for(timeout=WAIT_MS)
            page.get_by_label(email, exact=True).wait_for(timeout=WAIT_MS)
            direction = page.get_by_test_id("stMainBlockContainer").evaluate("e => getComputedStyle(e).direction")
            assert direction == ("rtl" if lang == "ur" else "ltr")
        finally:
            page.context.close()
