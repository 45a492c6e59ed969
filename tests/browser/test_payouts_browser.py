"""The payouts pages in a real browser: a creator's balance, reasons and monthly statement
downloads (CSV and PDF), and the administrators' payouts overview.

Runs on the shared server of ``conftest.kasuwa_app`` (creator ``ng-ada``: two loaded sales in
May 2024 from a generic spreadsheet — money the programme does not hold —, no payout rail
chosen); fuller payout states are covered by tests/test_payouts_pages.py.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from browser_support import WAIT_MS, open_nav, sign_in
from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def download(page: Page, button: str) -> bytes:
    with page.expect_download(timeout=WAIT_MS) as info:
        page.get_by_role("button", name=button).click()
    return Path(info.value.path()).read_bytes()


def test_creator_sees_balance_and_downloads_monthly_statements(web: Page, kasuwa_app) -> None:
    email, password = kasuwa_app.data.users["creator"]
    sign_in(web, kasuwa_app.url, email, password)
    open_nav(web, "My payouts")
    # ng-ada's two sales came in a generic spreadsheet: Kasuwa cannot tell who holds that money, so
    # the programme owes none of it (issue 16) and the page says so
    web.get_by_text("Where your money is").wait_for(timeout=WAIT_MS)
    web.get_by_text("Not placed: ₦2,200.00").wait_for(timeout=WAIT_MS)
    web.get_by_text("No payout rail is set for you yet").wait_for(timeout=WAIT_MS)
    web.get_by_role("heading", name="Monthly statements").wait_for(timeout=WAIT_MS)

    data = download(web, "Statement (CSV)")
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Date", "Currency", "Entry"]  # headers and entry kinds in words
    assert not [r for r in rows if r[2:3] == ["Sale"]]  # nothing in the programme's ledger
    part = rows.index(["Not held by the programme", "Currency", "Where the money is", "Source", "Amount", "Sales"])
    # 1,500 + 700 NGN loaded; the flagged rows are not money yet
    assert rows[part + 1] == ["2024-05", "NGN", "Not placed: Kasuwa cannot tell who holds it", "Other files",
                              "2200.00", "2"]

    pdf = download(web, "Statement (PDF)")
    assert pdf.startswith(b"%PDF")
    assert web.evaluate("typeof window.__xss") == "undefined"
    assert web.locator('img[src="x"]').count() == 0


def test_admin_opens_payouts_by_region(web: Page, kasuwa_app) -> None:
    email, password = kasuwa_app.data.users["admin"]
    sign_in(web, kasuwa_app.url, email, password)
    open_nav(web, "Payouts by region")
    web.get_by_role("heading", name="Payouts per region and month").wait_for(timeout=WAIT_MS)
    web.get_by_role("heading", name="Record a payout's outcome").wait_for(timeout=WAIT_MS)
    web.get_by_text("No scheduled or paid payouts to update in this region.").wait_for(timeout=WAIT_MS)
