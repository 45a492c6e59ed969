"""The page Streamlit sends first (its ``index.html``), changed so that the sign-in form comes
first on a slow line: the fonts wait until it is drawn.

Streamlit 1.67's page preloads its Source Sans text font (170 kB) and its start-up script asks
for its Material Symbols icon font at once (``document.fonts.load``, 375 kB with Brotli): on slow
3G (400 kbps, 400 ms) the two shared the line with the scripts that draw the sign-in form, which
uses neither (``app/login.py`` draws the password field's eye as a character), and the form was
usable after 18 s against a 15 s target (``python bench/network.py``). ``LazyIconFont``:

- drops the preload, and gives "Source Sans" a font the device has (``local()`` Roboto, Segoe UI,
  Helvetica Neue, Noto Sans, Liberation Sans, DejaVu Sans, Arial: the last ``@font-face`` with
  the same descriptors wins), so text never waits for a download;
- holds Streamlit's early load of the icon font until a form or the sidebar is drawn, then lets
  it and a fetch of Source Sans (for any letter the device's font lacks) run while the person
  types; a page that draws an icon sooner still gets the font then (``@font-face``).

Our script and style are constants (the font's URL is Streamlit's own), and only a page whose
body is plain, uncompressed HTML is changed.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: runs before Streamlit's module script (``%s``: the text font's URL, or nothing): the icon font
#: and the text font wait until a form's fields and button, or the sidebar, are drawn (20 s at most)
SCRIPT = (
    "<script>(()=>{const f=document.fonts,l=f.load.bind(f);let go;const ready=new Promise(r=>go=r);"
    "f.load=(font,text)=>/Material Symbols/.test(font)?ready.then(()=>l(font,text)):l(font,text);"
    "const q=s=>document.querySelector(s),seen=()=>(q('[data-testid=\"stForm\"] input')&&"
    "q('[data-testid=\"stFormSubmitButton\"]'))||q('[data-testid=\"stSidebar\"]');"
    "const o=new MutationObserver(()=>{if(seen()){o.disconnect();setTimeout(go,300)}});"
    "addEventListener('DOMContentLoaded',()=>o.observe(document.body,{childList:true,subtree:true}));"
    "setTimeout(go,20000);const u=%s;if(u)ready.then(()=>fetch(u).catch(()=>{}))})()</script>"
)
_MARK = b'<script type="module"'
#: Streamlit's preload of its Source Sans font (170 kB, requested before any script)
_FONT_PRELOAD = re.compile(rb'<link\s+rel="preload"\s+href="[^"]*SourceSans[^"]*"[^>]*>\s*')
_LOCAL = 'local("Roboto"),local("Segoe UI"),local("Helvetica Neue"),local("Noto Sans"),local("Liberation Sans"),' \
         'local("DejaVu Sans"),local("Arial")'
#: "Source Sans" drawn by a font the reader's device has (the last @font-face with the same
#: descriptors wins): no web font to download before the sign-in form, on any page
LOCAL_TEXT_FONT = ("<style>" + "".join(
    f'@font-face{{font-family:"Source Sans";font-weight:100 900;font-style:{style};src:{_LOCAL}}}'
    for style in ("normal", "italic")) + "</style>").encode()


def shell(page: bytes) -> bytes:
    """Streamlit's ``index.html`` as Kasuwa sends it (see the module's docstring)."""
    preload = _FONT_PRELOAD.search(page)
    href = re.search(rb'href="([^"]+)"', preload.group(0)) if preload else None
    url = json.dumps(href.group(1).decode("ascii", "replace") if href else "")
    page = _FONT_PRELOAD.sub(b"", page, count=1)
    page = page.replace(_MARK, (SCRIPT % url).encode() + _MARK, 1)
    return page.replace(b"</head>", LOCAL_TEXT_FONT + b"</head>", 1)


class LazyIconFont:
    """ASGI middleware: Streamlit's page (``text/html``, not compressed) with :data:`SCRIPT` before
    its first module script; every other response passes unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET" or scope["path"].startswith(
                ("/static/", "/_stcore/", "/media/", "/_kasuwa/", "/lite")):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body: list[bytes] = []

        async def held(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                if b"text/html" in headers.get(b"content-type", b"") and b"content-encoding" not in headers:
                    start = message  # hold it: the length changes
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = b"".join(body)
            if _MARK in page and b"<script>(()=>{const f=document.fonts" not in page:
                page = shell(page)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(page)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, held)
