"""Browser-test support: the data the server runs on (made through the warehouse API, no SQL)
and small helpers that drive the app like a person would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from owner_support import free_port, streamlit_server  # noqa: F401 - the browser tests' server, shared
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from control import accounts
from warehouse import review
from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import close_all
from warehouse.ingest import ingest_file
from warehouse.review import QueueFilter, QueueRow

ROOT = Path(__file__).resolve().parents[2]


IMG = "<img src=x onerror=window.__xss=1>"
LINK = "[x](javascript:window.__xss=2)"
OP = Actor.operator()



@contextmanager
def served_demo(base: Path) -> Iterator[str]:
    """``kasuwa demo`` in a fresh data directory under ``base``, then ``streamlit run app/serve.py``
    on it (the first start may build the compressed static cache); yields the app's URL."""
    data_dir = base / "kasuwa-data"
    data_dir.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KASUWA_DATA_DIR", str(data_dir))
        close_all()
        built = subprocess.run([str(Path(sys.executable).parent / "kasuwa"), "demo"], cwd=ROOT, check=False,
                               capture_output=True, text=True, timeout=300)
        assert built.returncode == 0, built.stderr
        with streamlit_server("app/serve.py", base / "serve.log", timeout=240) as url:
            yield url

@dataclass(frozen=True)
class Seeded:
    users: dict[str, tuple[str, str]]  # role -> (email, password)
    fix_flag: str  # gh-kofi's flagged row to fix and approve (order K2, amount unreadable)
    xss_flag: str  # ng-ada's flagged row whose product is an HTML payload
    link_flag: str  # ng-ada's flagged row whose product is a Markdown javascript: link
    noted_flag: str  # ng-ada's flagged row rejected with a note holding both payloads
    queue_uploads: tuple[str, ...] = ()  # ke-queue's uploads: 250 and 150 pending rows in East Africa


def seed() -> Seeded:
    """Creators, one demo account per role, and uploads with flagged rows.

    ``ng-ada`` (the demo creator) has exactly two loaded sales in May 2024 (A1 1,500 NGN; A6
    700 NGN, its product an HTML payload) and these stay put all session: the browser tests
    only reject ng-ada's flagged rows. The approval test loads a row of ``gh-kofi``'s instead.
    """
    add_creator(OP, "ng-ada", "NG", "Ada")
    add_creator(OP, "gh-kofi", "GH", "Kofi")
    add_creator(OP, "gh-xss", "GH", IMG)
    users = {role: (email, password) for email, password, role in accounts.create_demo_users()}
    header = "order_id,date,product,quantity,amount,currency,buyer_country\n"
    ada = (
        header + "A1,2024-05-01,Beads,1,1500.00,NGN,NG\n"
        f"A3,2024-05-03,{IMG},1,oops,NGN,NG\n"
        f"A4,2024-05-04,{LINK},1,n/a,NGN,NG\n"
        "A5,2024-05-05,Soap,1,?,NGN,NG\n"
        f"A6,2024-05-06,{IMG},1,700.00,NGN,NG\n"
    )
    result = ingest_file(OP, "ng-ada", "ada.csv", ada.encode())
    assert (result.rows_loaded, result.rows_flagged) == (2, 3), result.message
    upload = result.upload_id
    noted = f"{upload}:4"
    review.reject(OP, "west-africa", noted, f"{IMG} {LINK}")
    kofi = header + "K1,2024-06-01,Kente,1,900.00,GHS,GH\nK2,2024-06-02,Indigo cloth,2,abc,GHS,GH\n"
    fix = ingest_file(OP, "gh-kofi", "kofi.csv", kofi.encode())
    assert fix.rows_flagged == 1, fix.message
    return Seeded(users, f"{fix.upload_id}:2", f"{upload}:2", f"{upload}:3", noted, _big_queue(header))


def _big_queue(header: str) -> tuple[str, ...]:
    """East Africa's queue for the review browser test: ke-queue's two files, every row flagged;
    on row ``i`` (1-based) odd rows have an unreadable amount, even rows too many decimals."""
    add_creator(OP, "ke-queue", "KE", "Queue")
    out = []
    for name, n in (("big-a.csv", 250), ("big-b.csv", 150)):
        body = "".join(f"Q{name[4]}{i},2024-05-01,Thing {i},1,{'abc' if i % 2 else '1.234'},KES,KE\n"
                       for i in range(1, n + 1))
        result = ingest_file(OP, "ke-queue", name, (header + body).encode())
        assert result.rows_flagged == n, result.message
        out.append(result.upload_id)
    return tuple(out)


def queue_as_stored(data_dir: Path, region: str, scratch: Path) -> list[QueueRow]:
    """Every flagged row of ``region`` (any status) as the running server's warehouse holds it,
    read through the warehouse API from a copy of its data directory (the server process owns
    the DuckDB files; a copy taken between two decisions holds every committed one)."""
    copy = scratch / "warehouse-copy"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(data_dir, copy)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KASUWA_DATA_DIR", str(copy))
        close_all()
        try:
            page = review.list_queue(OP, region, QueueFilter(status=None), limit=500)
        finally:
            close_all()
    assert len(page.rows) == page.total, "more flagged rows than one read takes"
    return page.rows


# --- driving the app ---------------------------------------------------------------------------

WAIT_MS = 60_000  # a page reruns in about a second; the CI machine (2 cores) can be far slower under load


def sign_in(page: Page, url: str, email: str, password: str) -> None:
    """Open the app and sign in; returns once the signed-in sidebar is drawn."""
    page.goto(url)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for(timeout=WAIT_MS)
    settle(page)


def settle(page: Page) -> None:
    """Wait until the current script run is over: no running indicator, no stale elements left
    from the previous run. Call it after waiting for something the new run draws."""
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidgetRunningIcon"],'
            + '[data-testid="stStatusWidgetRunningManIcon"]')
            && !document.querySelector('[data-testid="stElementContainer"][data-stale="true"]')""",
        timeout=WAIT_MS,
    )


def _title(link_text: str) -> str:
    return link_text.strip().splitlines()[-1].strip()  # the icon's ligature name comes first


def nav_titles(page: Page) -> list[str]:
    """The page titles in the sidebar navigation (icons stripped), once it is drawn."""
    links = page.get_by_test_id("stSidebarNavLink")
    links.first.wait_for(timeout=WAIT_MS)
    return [_title(t) for t in links.all_inner_texts()]


def wait_active_page(page: Page, title: str) -> None:
    """Wait until the navigation marks ``title`` as the current page."""
    current = page.locator('[data-testid="stSidebarNavLink"][aria-current="page"]')
    expect(current).to_contain_text(title, timeout=WAIT_MS)


def navigate_in_session(page: Page, path: str) -> None:
    """Go to ``/path`` the way the app's own links do (same tab, same Streamlit session)."""
    page.evaluate(
        "p => { window.history.pushState({}, '', p); window.dispatchEvent(new PopStateEvent('popstate')); }",
        f"/{path}",
    )


def open_nav(page: Page, title: str, heading: str | None = None) -> None:
    """Click a sidebar link and wait for the page's heading."""
    dismiss_dialog(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    # the first heading of that name: the page's title (a section may share its words, "All 3 regions together")
    page.get_by_role("heading", name=heading or title).first.wait_for(timeout=WAIT_MS)
    settle(page)


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` (reopening it if a rerun closed it)."""
    # the label exactly: "Upload" must not also find "Upload to undo"
    named = page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True)
    box = page.get_by_test_id("stSelectbox").filter(has=named)
    wanted = page.get_by_role("option", name=option, exact=True)
    for attempt in range(3):
        box.click()
        try:
            wanted.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    wanted.click()
    settle(page)


def dismiss_dialog(page: Page) -> bool:
    """Close a modal dialog (Streamlit's "Page not found") if one is open; True if it was."""
    dialog = page.get_by_role("dialog")
    if not dialog.count():
        return False
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden", timeout=WAIT_MS)
    return True


QUEUE_ROWS = '[class*="st-key-rq_table_"] table[role=grid] tbody tr'


def queue_rows(page: Page) -> list[dict]:
    """The queue table's drawn rows, read from the grid's accessible table: each row's cells'
    text and whether it is selected."""
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].map(tr => ({
              cells: [...tr.querySelectorAll('td')].map(td => td.innerText.trim()),
              selected: tr.getAttribute('aria-selected') === 'true'
                || !!tr.querySelector('[aria-selected="true"]')}))""",
        QUEUE_ROWS,
    )


def tap_queue_row(page: Page, cell: str) -> None:
    """Open the queue row that has a cell reading ``cell`` with a click on the row (as a reviewer
    taps it), then wait until the open row is drawn and the run is over."""
    settle(page)
    grid = page.locator('[class*="st-key-rq_table_"] [data-testid="data-grid-canvas"]')
    grid.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_function(
        """([sel, cell]) => [...document.querySelectorAll(sel)].some(tr =>
              [...tr.querySelectorAll('td')].some(td => td.innerText.trim() === cell))""",
        arg=[QUEUE_ROWS, cell],
        timeout=WAIT_MS,
    )
    rows = queue_rows(page)
    position = next(i for i, r in enumerate(rows) if cell in r["cells"])
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 35 * position + 17)
    page.wait_for_function(
        """([sel, cell]) => [...document.querySelectorAll(sel)].some(tr =>
              [...tr.querySelectorAll('td')].some(td => td.innerText.trim() === cell)
              && (tr.getAttribute('aria-selected') === 'true' || !!tr.querySelector('[aria-selected="true"]')))""",
        arg=[QUEUE_ROWS, cell],
        timeout=WAIT_MS,
    )
    page.locator('[class*="st-key-rq_row_box"]').filter(has_text=cell).wait_for(timeout=WAIT_MS)
    settle(page)
