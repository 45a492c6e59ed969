"""One real Streamlit server for the whole browser session, and Debian's Chromium to drive it.

``kasuwa_app`` makes a temporary KASUWA_DATA_DIR, seeds it through the warehouse API (accounts,
creators, an upload with flagged rows: ``browser_support.seed``), closes every connection (the
server process must own the DuckDB files), starts ``streamlit run app/main.py`` on a free
127.0.0.1 port with that data directory, waits until it answers and stops it at the end.
``web`` is a fresh browser context per test (a fresh Streamlit session, no shared login).
Playwright never downloads a browser here: it launches /usr/bin/chromium.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_support import Seeded, seed
from playwright.sync_api import Browser, Page, sync_playwright

from warehouse.db import close_all

ROOT = Path(__file__).resolve().parents[2]
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"streamlit did not answer within {timeout}s:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def kasuwa_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    base = tmp_path_factory.mktemp("browser")
    data_dir = base / "kasuwa-data"
    data_dir.mkdir()
    log = base / "streamlit.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KASUWA_DATA_DIR", str(data_dir))
        close_all()
        seeded = seed()
        close_all()  # the server process must own the DuckDB files
        with log.open("wb") as out:
            proc = subprocess.Popen(  # inherits the environment set above
                [
                    sys.executable,
                    "-m",
                    "streamlit",
                    "run",
                    "app/main.py",
                    "--server.headless",
                    "true",
                    "--server.port",
                    str(port),
                    "--server.address",
                    "127.0.0.1",
                    "--browser.gatherUsageStats",
                    "false",
                    "--server.fileWatcherType",
                    "none",
                ],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
    try:
        _wait_until_up(url, proc, log)
        yield App(url, seeded, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
