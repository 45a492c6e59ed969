"""Two app replicas on the same data (issue 9): with one owner process per region running, two
``streamlit run app/serve.py`` servers on two ports serve every role at the same time, each
takes a creator's upload at the same moment with every row counted exactly once, and a sign-in
made on one replica is honoured by the other when the browser presents the same cookie (logins
live in the control database; both replicas sign cookies with the same KASUWA_SESSION_SECRET).
Real processes throughout: three owners, two app servers, Chromium."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from browser_support import WAIT_MS, open_nav, seed, settle, sign_in, streamlit_server
from owner_support import owners
from playwright.sync_api import Browser, BrowserContext, Page

from app.session import COOKIE
from warehouse.db import close_all, warehouse
from warehouse.regions import all_regions

pytestmark = pytest.mark.browser

HEADER = "order_id,date,product,quantity,amount,currency,buyer_country\n"
#: (role, page it keeps open, page it visits meanwhile)
STAFF = (("reviewer", "Review queue", "My account"), ("manager", "Regions", "Payouts by region"))
ROWS = {"replica-a.csv": ("RA", 2000), "replica-b.csv": ("RB", 1500)}  # two files, distinct orders


def _export(prefix: str, n: int) -> bytes:
    return (HEADER + "".join(f"{prefix}-{i},2025-07-{1 + i % 28:02d},Beads,1,{200 + i}.25,NGN,NG\n"
                             for i in range(n))).encode()


def _ada() -> tuple[int, int, int]:
    """ng-ada's sales: rows, distinct orders, distinct uploads (the demo creator's region)."""
    found = warehouse("west-africa").one(
        "SELECT count(*), count(DISTINCT order_id), count(DISTINCT upload_id) FROM sales WHERE creator_id = ?",
        ["ng-ada"])
    assert found is not None
    return int(found[0]), int(found[1]), int(found[2])


@contextmanager
def _contexts(chromium: Browser, n: int) -> Iterator[list[BrowserContext]]:
    with ExitStack() as stack:
        made = []
        for _ in range(n):
            context = chromium.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(30_000)
            stack.callback(context.close)
            made.append(context)
        yield made


def _session_cookie(context: BrowserContext, url: str) -> dict:
    """The login cookie the page got from its replica (set by ``/_kasuwa/session`` once the
    sign-in's one-time token is exchanged, a moment after the page is drawn)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        found = [c for c in context.cookies(url) if c["name"] == COOKIE]
        if found:
            return dict(found[0])
        assert time.monotonic() < deadline, "the replica never set the login cookie"
        time.sleep(0.2)


def _no_failure(page: Page) -> None:
    settle(page)
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_text("not answering").count() == 0


def test_two_replicas_serve_every_role_and_take_uploads_at_once_and_honour_each_others_logins(
        chromium, data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("KASUWA_SESSION_SECRET", "two-replicas-one-secret-for-the-test")
    users = seed().users
    before = _ada()
    close_all()  # the owners must be the processes holding the files
    with owners(*(r.code for r in all_regions() if not r.is_remote)), \
            streamlit_server("app/serve.py", tmp_path / "replica-a.log") as url_a, \
            streamlit_server("app/serve.py", tmp_path / "replica-b.log") as url_b, \
            _contexts(chromium, 7) as (creator_a, creator_b, *staff, returning):
        replicas = {"replica-a.csv": (url_a, creator_a.new_page()), "replica-b.csv": (url_b, creator_b.new_page())}
        for url, page in replicas.values():
            sign_in(page, url, *users["creator"])
            open_nav(page, "Upload", "Upload sales exports")
            page.get_by_test_id("stFileUploader").wait_for(timeout=WAIT_MS)
        # a reviewer and a manager on each replica, their pages open while the uploads run
        desks = []
        for context, url, (role, first, second) in zip(staff, (url_a, url_a, url_b, url_b), STAFF * 2, strict=True):
            page = context.new_page()
            sign_in(page, url, *users[role])
            open_nav(page, first)
            desks.append((page, first, second))
        # both files go in before waiting for either replica: the two ingests overlap
        for name, (_, page) in replicas.items():
            prefix, n = ROWS[name]
            page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(
                files=[{"name": name, "mimeType": "text/csv", "buffer": _export(prefix, n)}])
        for page, first, second in desks:  # the staff move between pages meanwhile
            open_nav(page, second)
            open_nav(page, first)
            _no_failure(page)
        for name, (_, page) in replicas.items():
            page.get_by_text("Loaded with the").wait_for(timeout=WAIT_MS * 2)
            page.get_by_text(f"{name} — done").wait_for(timeout=WAIT_MS)
            _no_failure(page)

        # every row once: the counts are the warehouse's own, read through the owners
        after = _ada()
        added = sum(n for _, n in ROWS.values())
        assert after == (before[0] + added, before[1] + added, before[2] + 2)
        records = warehouse("west-africa").rows(
            "SELECT file_name, status, rows_total, rows_loaded FROM uploads WHERE creator_id = ? AND file_name IN"
            " (?, ?) ORDER BY file_name", ["ng-ada", *ROWS])
        assert records == [(name, "loaded", n, n) for name, (_, n) in sorted(ROWS.items())]

        # a sign-in on replica A, its cookie presented to replica B by a browser that never signed in there
        page = returning.new_page()
        email, password = users["manager"]
        sign_in(page, url_a, email, password)
        cookie = _session_cookie(returning, url_a)
        page.close()
        with _contexts(chromium, 1) as (elsewhere,):
            elsewhere.add_cookies([{"name": COOKIE, "value": cookie["value"], "url": url_b, "httpOnly": True,
                                    "sameSite": "Strict"}])
            page_b = elsewhere.new_page()
            page_b.goto(url_b)
            # the caption keeps the address from turning into a link with a word joiner after "@"
            page_b.get_by_text(re.compile(rf"Signed in as {re.escape(email.split('@')[0])}@")).wait_for(
                timeout=WAIT_MS)
            assert "Programme manager" in page_b.get_by_text("Signed in as").inner_text()
            open_nav(page_b, "Regions")
            _no_failure(page_b)
            assert page_b.get_by_role("button", name="Sign in").count() == 0
