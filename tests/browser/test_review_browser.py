"""The review queue in a real browser with 400 pending rows (East Africa, seeded by
``browser_support.seed``: ke-queue's big-a.csv with 250 flagged rows and big-b.csv with 150).

The scenario of issue 8 §3: the reviewer sets the "Failed check" and "Upload" filters, ticks two
rows, decides another row on its own, clicks again — the filters keep their values (with the new
counts) and the ticks stay on the rows ticked, not on their old positions; "choose the page →
reject" rejects exactly those rows under the note shown in the confirmation; "choose all N
matching these filters" takes rows from every page and the confirmation lists them. The
warehouse then holds exactly those rows rejected, each with its note, and every other row as it
was.

Every wait is on something the page shows (Playwright's ``expect`` retries until it holds), never
a fixed sleep: the machine running these is small and shared.
"""

from __future__ import annotations

import re

import pytest
from browser_support import WAIT_MS, choose, open_nav, queue_as_stored, settle, sign_in
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

HEADER_PX, ROW_PX = 35, 35  # Streamlit's data grid: header and row heights
#: the Failed check filter names the rule (amounts_fit_currency: too many decimals for KES) by its reason
RULE_LABEL = "an amount has more decimals than its currency has (ISO 4217) or is implausibly large"


def queue_grid(page: Page):
    return page.locator('[class*="st-key-rq_table_"] [data-testid="data-grid-canvas"]')


def wait_grid(page: Page, first_rows: list[str], ticked: list[str]) -> None:
    """Wait until the queue table draws ``first_rows`` at its top and ticks exactly ``ticked``
    among the rows it draws (read from the grid's accessible table)."""
    page.wait_for_function(
        """([first, ticked]) => {
            const rows = [...document.querySelectorAll('[class*="st-key-rq_table_"] table[role=grid] tbody tr')]
              .map(tr => [tr.querySelector('td[aria-colindex="1"]')?.innerText ?? '',
                          tr.getAttribute('aria-selected') === 'true'
                          || !!tr.querySelector('[aria-selected="true"]')]);
            if (rows.length < first.length) return false;
            const ids = rows.map(r => r[0]);
            if (first.some((id, i) => ids[i] !== id)) return false;
            const on = rows.filter(r => r[1]).map(r => r[0]);
            const want = ticked.filter(id => ids.includes(id));
            return on.length === want.length && want.every(id => on.includes(id));
        }""",
        arg=[first_rows, ticked],
        timeout=WAIT_MS,
    )


def tick(page: Page, position: int, first_rows: list[str], chosen_after: list[str]) -> None:
    """Tick the table's row at ``position`` (0 = the first row drawn), then wait until the page
    has taken it: the choice lists ``chosen_after``, the table ticks them, the run is over."""
    settle(page)  # the table stays where it is drawn (the choice panel above it can grow)
    grid = queue_grid(page)
    grid.evaluate("e => e.scrollIntoView({block: 'center'})")  # the whole table in view, rows clickable
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + HEADER_PX + ROW_PX * position + ROW_PX / 2)
    expect_chosen(page, chosen_after)
    wait_grid(page, first_rows, chosen_after)
    settle(page)


def expect_chosen(page: Page, ids: list[str]) -> None:
    """The choice panel lists exactly ``ids``, in this order."""
    expect(page.get_by_text(re.compile(r"^Chosen: "))).to_have_text("Chosen: " + ", ".join(ids), timeout=WAIT_MS)


def listed(text: str, prefix: str) -> list[str]:
    return text.strip().removeprefix(prefix).split(", ")


def expect_filters(page: Page, upload: str, rule: str) -> None:
    """The Upload and Failed check selectboxes show these labels (with their current counts)."""
    expect(page.get_by_role("combobox", name="Upload")).to_have_value(upload, timeout=WAIT_MS)
    expect(page.get_by_role("combobox", name="Failed check")).to_have_value(rule, timeout=WAIT_MS)


def matching_button(page: Page, n: int):
    return page.get_by_role("button", name=f"Choose all {n} rows matching these filters")


def open_row(page: Page, flag_id: str, line: int) -> None:
    """Open ``flag_id`` in the row detail and wait until its detail (and reject form) is drawn and
    the run is over: text typed into a form that a late rerun redraws is lost."""
    choose(page, "Open row", flag_id)
    expect(page.get_by_text(f"{flag_id} — line {line} of the file")).to_be_visible(timeout=WAIT_MS)
    settle(page)


def fill_and_keep(page: Page, label: str, text: str) -> None:
    """Type into a field, leave it (a field outside a form sends its value then, and the page runs
    again), and check the text is still there once the page is idle."""
    field = page.get_by_label(label)
    field.fill(text)
    field.press("Tab")
    settle(page)
    expect(field).to_have_value(text, timeout=WAIT_MS)


def success(page: Page, text: str) -> None:
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text=text)).to_be_visible(timeout=WAIT_MS)


def decide_in_bulk(page: Page, note: str, ids: list[str], describe: str) -> None:
    """Reject the chosen rows with ``note``: check the confirmation (sentence, count, every id), confirm."""
    fill_and_keep(page, "Note (required to reject)", note)
    page.get_by_role("button", name="Reject chosen rows…").click()
    box = page.locator('[class*="st-key-rq_confirm_box"]')
    expect(box).to_contain_text(describe, timeout=WAIT_MS)
    assert listed(box.get_by_text(re.compile("^Rows: ")).inner_text(), "Rows: ") == ids
    page.get_by_role("button", name=f"Confirm: reject {len(ids)} rows").click()
    success(page, f"Done: {len(ids)} rejected.")


def test_a_reviewer_decides_exactly_the_rows_chosen(web, kasuwa_app, tmp_path):
    big_a, big_b = kasuwa_app.data.queue_uploads
    email, password = kasuwa_app.data.users["reviewer"]
    sign_in(web, kasuwa_app.url, email, password)
    open_nav(web, "Review queue")
    choose(web, "Region", "East Africa")
    expect(web.get_by_text(re.compile(r"^400 rows with this status"))).to_be_visible(timeout=WAIT_MS)

    # the two filters: big-a.csv's rows with too many decimals, its even lines, in file order
    choose(web, "Upload", "big-a.csv (250)")
    expect(matching_button(web, 250)).to_be_visible(timeout=WAIT_MS)
    choose(web, "Failed check", f"{RULE_LABEL} (200)")
    expect(matching_button(web, 125)).to_be_visible(timeout=WAIT_MS)
    expected = [f"{big_a}:{n}" for n in range(2, 251, 2)]  # 125 rows: line 2p+2 at position p
    wait_grid(web, expected[:8], [])

    # tick two rows, then decide a third (the first) on its own
    tick(web, 2, expected[:8], [expected[2]])
    tick(web, 4, expected[:8], [expected[2], expected[4]])
    open_row(web, expected[0], 2)
    fill_and_keep(web, "Why (required)", "test order")
    web.get_by_role("button", name="Reject", exact=True).click()
    success(web, f"Row {expected[0]} rejected.")
    # the filters show their new counts at once (not a stale "(250)"), the ticks moved with their rows
    expect_filters(web, "big-a.csv (249)", f"{RULE_LABEL} (199)")
    expect(matching_button(web, 124)).to_be_visible(timeout=WAIT_MS)
    wait_grid(web, expected[1:9], [expected[2], expected[4]])
    expect_chosen(web, [expected[2], expected[4]])

    # the next click (it reruns the page and sends every widget's value back) changes none of it
    open_row(web, expected[1], 4)
    expect_filters(web, "big-a.csv (249)", f"{RULE_LABEL} (199)")
    expect(matching_button(web, 124)).to_be_visible(timeout=WAIT_MS)
    expect_chosen(web, [expected[2], expected[4]])
    wait_grid(web, expected[1:9], [expected[2], expected[4]])

    # choose the page, reject: exactly its 50 rows (the two ticked first), under the note typed now
    page_ids = expected[1:51]
    web.get_by_role("button", name="Choose every row on this page").click()
    chosen_page = [expected[2], expected[4], *(i for i in page_ids if i not in (expected[2], expected[4]))]
    expect_chosen(web, chosen_page)
    expect(web.get_by_text("50 rows chosen", exact=True)).to_be_visible(timeout=WAIT_MS)
    wait_grid(web, expected[1:9], page_ids)
    decide_in_bulk(web, "rounding in the export", chosen_page,
                   'Reject 50 rows of big-a.csv, with the note "rounding in the export". They will not be loaded.')
    expect_filters(web, "big-a.csv (199)", f"{RULE_LABEL} (149)")
    expect(matching_button(web, 74)).to_be_visible(timeout=WAIT_MS)
    wait_grid(web, expected[51:59], [])

    # choose everything matching the filters: 74 rows, 24 of them on the next page
    rest = expected[51:]
    matching_button(web, 74).click()
    expect(web.get_by_text("74 rows chosen (24 of them not on this page)", exact=True)).to_be_visible(timeout=WAIT_MS)
    expect_chosen(web, rest)
    decide_in_bulk(web, "wrong currency", rest,
                   'Reject 74 rows of big-a.csv, with the note "wrong currency". They will not be loaded.')
    expect_filters(web, "big-a.csv (125)", f"{RULE_LABEL} (75)")
    expect(web.get_by_text("Nothing to review with these filters.")).to_be_visible(timeout=WAIT_MS)

    # the warehouse: exactly the chosen rows rejected, each under its own note; every other row as seeded
    notes = {expected[0]: "test order", **dict.fromkeys(page_ids, "rounding in the export"),
             **dict.fromkeys(rest, "wrong currency")}
    stored = queue_as_stored(kasuwa_app.log.parent / "kasuwa-data", "east-africa", tmp_path)
    assert len(stored) == 400
    assert {r.upload_id for r in stored} == {big_a, big_b}
    decided = {r.flag_id: (r.status, r.note, r.reviewed_by) for r in stored if r.status != "pending"}
    assert decided == {fid: ("rejected", note, email) for fid, note in notes.items()}
    untouched = [r for r in stored if r.flag_id not in notes]
    assert len(untouched) == 275  # big-a.csv's 125 odd lines and all 150 rows of big-b.csv
    assert all(r.status == "pending" and r.note is None and r.reviewed_by is None for r in untouched)
