"""The review queue in a real browser with 400 pending rows (East Africa, seeded by
``browser_support.seed``: ke-queue's big-a.csv with 250 flagged rows and big-b.csv with 150).

The scenario of issue 8 §3, as issue 20 reshaped the queue (rows named by creator, order,
product, amount and what is wrong — never an internal id; a row opens by a click on it): the
reviewer sets the "Failed check" and "Upload" filters, opens two rows and adds each to the
choice, decides another row on its own from the keyboard, and the filters keep their values (with
the new counts), the choice keeps its rows and the next row opens; "choose the page → reject"
rejects exactly those rows under the note shown in the confirmation; "choose all N matching these
filters" takes rows from every page. The warehouse then holds exactly those rows rejected, each
with its note, and every other row as it was.

Every wait is on something the page shows (Playwright's ``expect`` retries until it holds), never
a fixed sleep: the machine running these is small and shared.
"""

from __future__ import annotations

import re

import pytest
from browser_support import QUEUE_ROWS, WAIT_MS, choose, open_nav, queue_as_stored, settle, sign_in, tap_queue_row
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

#: the Failed check filter names the rule (amounts_fit_currency: too many decimals for KES) by its reason
RULE_LABEL = "an amount has more decimals than its currency has (ISO 4217) or is implausibly large"


def wait_grid(page: Page, first_orders: list[str], selected: str | None) -> None:
    """Wait until the queue table draws ``first_orders`` (the Order column) at its top and has
    ``selected`` (an order) as its one selected row, or none (the grid draws its rows, and their
    accessible table, once it is in view)."""
    grid = page.locator('[class*="st-key-rq_table_"] [data-testid="data-grid-canvas"]')
    grid.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_function(
        """([sel, first, selected]) => {
            const rows = [...document.querySelectorAll(sel)].map(tr => [
              [...tr.querySelectorAll('td')].map(td => td.innerText.trim()),
              tr.getAttribute('aria-selected') === 'true' || !!tr.querySelector('[aria-selected="true"]')]);
            if (rows.length < first.length) return false;
            if (first.some((order, i) => !rows[i][0].includes(order))) return false;
            const on = rows.filter(r => r[1]);
            return selected === null ? on.length === 0 : (on.length === 1 && on[0][0].includes(selected));
        }""",
        arg=[QUEUE_ROWS, first_orders, selected],
        timeout=WAIT_MS,
    )


def expect_filters(page: Page, upload: str, rule: str) -> None:
    """The Upload and Failed check selectboxes show these labels (with their current counts)."""
    expect(page.get_by_role("combobox", name="Upload", exact=True)).to_have_value(upload, timeout=WAIT_MS)
    expect(page.get_by_role("combobox", name="Failed check")).to_have_value(rule, timeout=WAIT_MS)


def matching_button(page: Page, n: int):
    return page.get_by_role("button", name=f"Choose all {n} rows matching these filters")


def fill_and_keep(page: Page, label: str, text: str) -> None:
    """Type into a field, leave it, and check the text is still there once the page is idle."""
    field = page.get_by_label(label)
    field.fill(text)
    field.press("Tab")
    settle(page)
    expect(field).to_have_value(text, timeout=WAIT_MS)


def success(page: Page, text: str) -> None:
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text=text)).to_be_visible(timeout=WAIT_MS)


def chosen_count(page: Page, text: str) -> None:
    expect(page.get_by_text(text, exact=True)).to_be_visible(timeout=WAIT_MS)


def decide_in_bulk(page: Page, note: str, count: int, describe: str) -> None:
    """Reject the chosen rows with ``note``: check the confirmation's sentence, confirm."""
    fill_and_keep(page, "Note (required to reject)", note)
    page.get_by_role("button", name="Reject chosen rows…").click()
    box = page.locator('[class*="st-key-rq_confirm_box"]')
    expect(box).to_contain_text(describe, timeout=WAIT_MS)
    page.get_by_role("button", name=f"Confirm: reject {count} rows").click()
    success(page, f"Done: {count} rejected.")


def test_a_reviewer_decides_exactly_the_rows_chosen(web, kasuwa_app, tmp_path):
    big_a, big_b = kasuwa_app.data.queue_uploads
    email, password = kasuwa_app.data.users["reviewer"]
    sign_in(web, kasuwa_app.url, email, password)
    open_nav(web, "Review queue")
    choose(web, "Region", "East Africa")
    expect(web.get_by_text(re.compile(r"^400 rows match these filters; oldest first"))).to_be_visible(timeout=WAIT_MS)

    # the two filters: big-a.csv's rows with too many decimals, its even rows, oldest first
    choose(web, "Upload", "big-a.csv (250)")
    expect(matching_button(web, 250)).to_be_visible(timeout=WAIT_MS)
    choose(web, "Failed check", f"{RULE_LABEL} (200)")
    expect(matching_button(web, 125)).to_be_visible(timeout=WAIT_MS)
    expect(web.get_by_text(re.compile(r"^125 rows match these filters"))).to_be_visible(timeout=WAIT_MS)
    evens = list(range(2, 251, 2))  # 125 rows: order Qa<n>, flag <big_a>:<n>
    order = {n: f"Qa{n}" for n in evens}
    wait_grid(web, [order[n] for n in evens[:6]], None)
    assert big_a not in web.locator("body").inner_text()  # no internal id on the page

    # open two rows and add each to the choice, then decide a third (the first) from the keyboard
    for n in (6, 10):
        tap_queue_row(web, order[n])
        web.get_by_role("button", name="Add to the choice").click()
        expect(web.get_by_role("button", name="Take out of the choice")).to_be_visible(timeout=WAIT_MS)
        settle(web)
    chosen_count(web, "2 rows chosen")
    tap_queue_row(web, order[2])
    fill_and_keep(web, "Why (required)", "test order")
    web.get_by_label("Why (required)").press("Alt+X")
    success(web, "Rejected: order Qa2 of Queue.")
    # the filters show their new counts at once, the choice kept its rows, the next row is open
    expect_filters(web, "big-a.csv (249)", f"{RULE_LABEL} (199)")
    expect(matching_button(web, 124)).to_be_visible(timeout=WAIT_MS)
    wait_grid(web, [order[n] for n in evens[1:7]], order[4])
    chosen_count(web, "2 rows chosen")
    expect(web.get_by_label("Why (required)")).to_have_value("", timeout=WAIT_MS)  # no note carried over

    # the next click (it reruns the page and sends every widget's value back) changes none of it
    web.get_by_role("button", name=re.compile("Next row")).click()
    wait_grid(web, [order[n] for n in evens[1:7]], order[6])
    expect_filters(web, "big-a.csv (249)", f"{RULE_LABEL} (199)")
    chosen_count(web, "2 rows chosen")

    # choose the page, reject: exactly its 50 rows, under the note typed now
    page_rows = evens[1:51]
    web.get_by_role("button", name="Choose every row on this page").click()
    chosen_count(web, "50 rows chosen")
    decide_in_bulk(web, "rounding in the export", 50,
                   'Reject 50 rows of big-a.csv, with the note "rounding in the export". They will not be loaded.')
    expect_filters(web, "big-a.csv (199)", f"{RULE_LABEL} (149)")
    expect(matching_button(web, 74)).to_be_visible(timeout=WAIT_MS)

    # choose everything matching the filters: 74 rows, 24 of them on the next page
    rest = evens[51:]
    matching_button(web, 74).click()
    chosen_count(web, "74 rows chosen (24 of them not on this page)")
    decide_in_bulk(web, "wrong currency", 74,
                   'Reject 74 rows of big-a.csv, with the note "wrong currency". They will not be loaded.')
    expect_filters(web, "big-a.csv (125)", f"{RULE_LABEL} (75)")
    expect(web.get_by_text("Nothing to review with these filters.")).to_be_visible(timeout=WAIT_MS)

    # the warehouse: exactly the chosen rows rejected, each under its own note; every other row as seeded
    notes = {f"{big_a}:2": "test order", **{f"{big_a}:{n}": "rounding in the export" for n in page_rows},
             **{f"{big_a}:{n}": "wrong currency" for n in rest}}
    stored = queue_as_stored(kasuwa_app.log.parent / "kasuwa-data", "east-africa", tmp_path)
    assert len(stored) == 400
    assert {r.upload_id for r in stored} == {big_a, big_b}
    decided = {r.flag_id: (r.status, r.note, r.reviewed_by) for r in stored if r.status != "pending"}
    assert decided == {fid: ("rejected", note, email) for fid, note in notes.items()}
    untouched = [r for r in stored if r.flag_id not in notes]
    assert len(untouched) == 275  # big-a.csv's 125 odd rows and all 150 rows of big-b.csv
    assert all(r.status == "pending" and r.note is None and r.reviewed_by is None for r in untouched)
