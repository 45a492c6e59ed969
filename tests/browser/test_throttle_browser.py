"""End to end: a real Streamlit server and a real browser sending a forged X-Forwarded-For.
Streamlit's server itself believes that header from a loopback peer; the throttle must not."""

from __future__ import annotations

import pytest
from browser_support import ROOT, WAIT_MS, streamlit_server
from playwright.sync_api import Browser

from warehouse.db import close_all

CLIENT_PROBE = """
import sys
sys.path.insert(0, {root!r})
import streamlit as st
from app.session import client_address
st.text(f"server says {{st.context.ip_address}}; throttle uses {{client_address()}}")
"""


@pytest.mark.browser
def test_a_header_forged_by_a_browser_on_the_same_machine_does_not_change_its_client(chromium: Browser, tmp_path):
    script = tmp_path / "client_probe.py"
    script.write_text(CLIENT_PROBE.format(root=str(ROOT)), encoding="utf-8")
    close_all()
    seen = []
    with streamlit_server(str(script), tmp_path / "probe.log") as url:
        for forged in ("6.6.6.6", "100.64.7.1"):
            context = chromium.new_context(extra_http_headers={"X-Forwarded-For": forged})
            page = context.new_page()
            page.goto(f"{url}/")
            seen.append(page.get_by_text("throttle uses").inner_text(timeout=WAIT_MS))
            context.close()
    print("\n" + "\n".join(seen))
    # the server took each forged address as the peer (what the old code used) …
    assert seen[0].startswith("server says 6.6.6.6;") and seen[1].startswith("server says 100.64.7.1;")
    # … the throttle sees one and the same client: this machine
    assert all(line.endswith("throttle uses localhost") for line in seen)
