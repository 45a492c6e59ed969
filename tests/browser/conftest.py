"""One real Streamlit server for the whole browser session, and Debian's Chromium to drive it.

``kasuwa_app`` makes a temporary KASUWA_DATA_DIR, seeds it through the warehouse API (accounts,
creators, an upload with flagged rows: ``browser_support.seed``), closes every connection (the
server process must own the DuckDB files), starts ``streamlit run app/main.py`` on a free
127.0.0.1 port with that data directory, waits until it answers and stops it at the end.
``web`` is a fresh browser context per test (a fresh Streamlit session, no shared login).
Playwright never downloads a browser here: it launches /usr/bin/chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_support import Seeded, seed, streamlit_server
from playwright.sync_api import Browser, Page, sync_playwright

from warehouse.db import close_all

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class App:
    url: str
    data: Seeded
    log: Path


@pytest.fixture(scope="session")
def kasuwa_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    base = tmp_path_factory.mktemp("browser")
    data_dir = base / "kasuwa-data"
    data_dir.mkdir()
    log = base / "streamlit.log"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KASUWA_DATA_DIR", str(data_dir))
        close_all()
        seeded = seed()
        close_all()  # the server process must own the DuckDB files
        with streamlit_server("app/main.py", log) as url:  # inherits the environment set above
            yield App(url, seeded, log)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def web(chromium: Browser, kasuwa_app: App) -> Iterator[Page]:
    """A page in a fresh browser context: a new Streamlit session, nobody signed in."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()
