"""The review queue in a real browser with 400 pending rows (East Africa, seeded by
``browser_support.seed``): after a decision the filters keep their values and the ticks stay on
the rows the reviewer ticked; "select the page → reject" rejects exactly those rows, under the
note shown in the confirmation, and nothing else changes."""

from __future__ import annotations

import re

import pytest
from browser_support import WAIT_MS, choose, open_nav, settle, sign_in
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

HEADER_PX, ROW_PX = 35, 35  # Streamlit's data grid: header and row heights


def caption_count(page: Page) -> int:
    text = page.get_by_text(re.compile(r"rows? with this status in the region")).first.inner_text()
    return int(re.search(r"([\d,]+) rows?", text).group(1).replace(",", ""))


def queue_grid(page: Page):
    return page.locator('[class*="st-key-rq_table_"] [data-testid="data-grid-canvas"]')


def grid_rows(page: Page) -> list[tuple[str, bool]]:
    """(Row id, ticked) of the rows the grid draws, read from its accessible table."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[class*="st-key-rq_table_"] table[role=grid] tbody tr')]
              .map(tr => [tr.querySelector('td[aria-colindex="1"]')?.innerText ?? '',
                          tr.getAttribute('aria-selected') === 'true'
                          || !!tr.querySelector('[aria-selected="true"]')])"""
    )


def click_tick(page: Page, position: int | None) -> None:
    """Click the checkbox of row ``position`` (None: the header's, which ticks the whole page)."""
    box = queue_grid(page).bounding_box()
    y = box["y"] + (HEADER_PX / 2 if position is None else HEADER_PX + ROW_PX * position + ROW_PX / 2)
    page.mouse.click(box["x"] + 15, y)
    page.wait_for_timeout(300)
    settle(page)


def chosen_text(page: Page) -> list[str]:
    text = page.get_by_text(re.compile(r"^Chosen: ")).first.inner_text()
    return text.removeprefix("Chosen: ").split(", ")


def success(page: Page):
    return page.get_by_test_id("stAlertContentSuccess")


def selected_label(page: Page, label: str) -> str:
    """What the selectbox labelled ``label`` shows as chosen."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label)
    inputs = box.locator("input")
    shown = [inputs.nth(i).input_value() for i in range(inputs.count())]
    return " ".join([box.inner_text(), *shown, box.evaluate("e => e.textContent")])


def test_a_decision_keeps_filters_and_ticks_and_page_reject_rejects_exactly_the_page(web, kasuwa_app):
    big_a, big_b = kasuwa_app.data.queue_uploads
    email, password = kasuwa_app.data.users["reviewer"]
    sign_in(web, kasuwa_app.url, email, password)
    open_nav(web, "Review queue")
    choose(web, "Region", "East Africa")
    web.get_by_text(re.compile(r"^400 rows with this status")).wait_for(timeout=WAIT_MS)
    settle(web)
    choose(web, "Upload", f"big-a.csv · {big_a} (250)")
    rule = "expect_column_values_to_be_in_set:amounts_fit_currency"
    choose(web, "Failed check", f"{rule} (200)")
    # big-a.csv's even lines (too many decimals), in file order: line 2p+2 at position p
    expected = [f"{big_a}:{2 * p + 2}" for p in range(50)]
    settle(web)
    web.wait_for_function("() => document.querySelectorAll('[class*=\"st-key-rq_table_\"] tbody tr').length > 5")
    rows = grid_rows(web)
    assert [r for r, _ in rows] == expected[: len(rows)]
    click_tick(web, 2)
    click_tick(web, 4)
    assert chosen_text(web) == [expected[2], expected[4]]
    assert [r for r, t in grid_rows(web) if t] == [expected[2], expected[4]]
    # decide another row (the first) on its own
    choose(web, "Open row", expected[0])
    web.get_by_label("Why (required)").fill("test order")
    web.get_by_role("button", name="Reject", exact=True).click()
    success(web).filter(has_text="rejected").wait_for(timeout=WAIT_MS)
    settle(web)
    web.get_by_label("Older than (days)").click()  # the next click
    settle(web)
    assert f"big-a.csv · {big_a}" in selected_label(web, "Upload")
    assert rule in selected_label(web, "Failed check")
    web.get_by_role("button", name="Choose all 124 rows matching these filters").wait_for(timeout=WAIT_MS)
    assert chosen_text(web) == [expected[2], expected[4]]
    rows = grid_rows(web)
    assert [r for r, _ in rows] == expected[1: len(rows) + 1]
    assert [r for r, t in rows if t] == [expected[2], expected[4]]
    # select the page, reject: exactly this page's 50 rows, under the note typed now
    pending_before = caption_count(web)
    click_tick(web, None)
    page_ids = [*expected[1:], f"{big_a}:102"]
    assert sorted(chosen_text(web)) == sorted(page_ids)
    web.get_by_label("Note (required to reject)").fill("rounding in the export")
    web.get_by_role("button", name="Reject chosen rows…").click()
    box = web.locator('[class*="st-key-rq_confirm_box"]')
    box.wait_for(timeout=WAIT_MS)
    assert 'Reject 50 rows of big-a.csv, with the note "rounding in the export"' in box.inner_text()
    assert box.get_by_text(re.compile("^Rows: ")).inner_text().removeprefix("Rows: ").split(", ") == page_ids
    web.get_by_role("button", name="Confirm: reject 50 rows").click()
    success(web).filter(has_text="Done: 50 rejected.").wait_for(timeout=WAIT_MS)
    settle(web)
    assert caption_count(web) == pending_before - 50
    assert f"big-a.csv · {big_a}" in selected_label(web, "Upload")
    assert rule in selected_label(web, "Failed check")
    web.get_by_role("button", name="Choose all 74 rows matching these filters").wait_for(timeout=WAIT_MS)
    assert [r for r, _ in grid_rows(web)][:3] == [f"{big_a}:{2 * p + 2}" for p in range(51, 54)]
    # nothing else changed: the other file and the other check keep every row
    choose(web, "Upload", "(all)")
    choose(web, "Failed check", "(all)")
    assert caption_count(web) == 400 - 51
    choose(web, "Upload", f"big-b.csv · {big_b} (150)")  # still all there
    assert caption_count(web) == 400 - 51
