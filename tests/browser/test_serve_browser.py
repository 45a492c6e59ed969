"""The server ./scripts/demo starts (``streamlit run app/serve.py``): Streamlit's static files
leave compressed with a long cache, and the app still loads, talks over its WebSocket and signs
a creator in through it in Chromium. Not timed: bench/network.py measures the speed."""

from __future__ import annotations

import gzip
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import brotli
import pytest
from browser_support import WAIT_MS, seed, sign_in, streamlit_server
from playwright.sync_api import Browser

from app import static_cache
from warehouse.db import close_all

pytestmark = pytest.mark.browser

STATIC = static_cache.STATIC_DIR


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    """``streamlit run app/serve.py`` on its own seeded data directory."""
    base = tmp_path_factory.mktemp("serve")
    data_dir = base / "kasuwa-data"
    data_dir.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KASUWA_DATA_DIR", str(data_dir))
        close_all()
        users = seed().users
        close_all()  # the server process must own the DuckDB files
        # the first start may build the compressed cache
        with streamlit_server("app/serve.py", base / "serve.log", timeout=240) as url:
            yield url, users


def _get(url: str, accept: str) -> tuple[dict[str, str], bytes]:
    req = urllib.request.Request(url, headers={"Accept-Encoding": accept})
    with urllib.request.urlopen(req, timeout=30) as r:
        return {k.lower(): v for k, v in r.headers.items()}, r.read()


def test_static_files_leave_compressed_and_cacheable_for_a_year(served):
    url, _ = served
    _, page = _get(url + "/", "identity")
    script = re.search(rb'src="\./(static/js/index\.[^"]+\.js)"', page).group(1).decode()
    original = (STATIC / script).read_bytes()

    headers, body = _get(f"{url}/{script}", "gzip, deflate, br")
    assert headers["content-encoding"] == "br"
    assert "immutable" in headers["cache-control"] and "max-age=31536000" in headers["cache-control"]
    assert headers["vary"] == "Accept-Encoding"
    assert headers["content-type"].startswith("text/javascript")
    assert brotli.decompress(body) == original and len(body) < len(original) / 2

    headers, body = _get(f"{url}/{script}", "gzip")
    assert headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == original

    headers, body = _get(f"{url}/{script}", "identity")  # a client that takes no coding
    assert "content-encoding" not in headers
    assert body == original


def test_the_app_signs_a_creator_in_through_the_compressing_server(chromium: Browser, served):
    url, users = served
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    codings: dict[str, str] = {}
    page.on("response", lambda r: codings.__setitem__(r.url, r.headers.get("content-encoding", "")))
    try:
        email, password = users["creator"]
        sign_in(page, url, email, password)
        page.get_by_role("heading", name="My sales").wait_for(timeout=WAIT_MS)
        page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=WAIT_MS)
        # every script worth compressing came compressed (a 100-byte file keeps no copy: no gain)
        kept = json.loads((static_cache.cache_dir() / static_cache.MANIFEST).read_text())["files"]
        scripts = {u: c for u, c in codings.items() if "/static/js/" in u and urlsplit(u).path[1:] in kept}
        assert len(scripts) > 20, codings
        assert set(scripts.values()) == {"br"}, scripts
    finally:
        context.close()


def _post(url: str, **fields: str) -> tuple[int, str]:
    data = urllib.parse.urlencode(fields).encode()
    req = urllib.request.Request(url, data=data, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_lite_page_refuses_a_wrong_password_and_anyone_but_a_creator(served):
    url, users = served
    with urllib.request.urlopen(f"{url}/lite", timeout=30) as r:
        form = r.read().decode()
        assert r.headers["Cache-Control"] == "no-store"
    assert '<form method="post" action="/lite">' in form and "<script" not in form and len(form) < 3000
    email, _ = users["creator"]
    status, page = _post(f"{url}/lite", email=email, password="not-the-password")
    assert status == 403 and "Balance" not in page and "Sign in" in page
    status, page = _post(f"{url}/lite", email=email, password="")
    assert status == 400 and "Enter your email and your password" in page
    reviewer, password = users["reviewer"]
    status, page = _post(f"{url}/lite", email=reviewer, password=password)
    assert status == 403 and "open the full app" in page and "Balance" not in page


def test_lite_page_shows_a_creator_balance_payout_and_last_30_days_without_javascript(chromium: Browser, served):
    url, users = served
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 240, "height": 320})
    page = context.new_page()
    sizes: list[int] = []
    page.on("requestfinished", lambda r: sizes.append(r.sizes()["responseBodySize"]))
    try:
        email, password = users["creator"]
        page.goto(f"{url}/lite")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Last 30 days").wait_for(timeout=WAIT_MS)
        text = page.inner_text("body")
        assert f"Signed in as {email}" in text
        # ng-ada's sales came in a generic spreadsheet: the programme holds none of that money, so
        # there is no balance (issue 16)
        assert "Balance" in text and "Next payout" in text and "Net after fees (USD)" in text
        assert page.locator("script").count() == 0
        assert sum(sizes) < 10_000, sizes  # the form and the answer together, a few kB
        page.get_by_role("link", name="Sign out").click()  # nothing remembered: the form again
        page.get_by_role("button", name="Sign in").wait_for(timeout=WAIT_MS)
    finally:
        context.close()
