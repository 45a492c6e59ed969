"""The page Streamlit sends first (its ``index.html``), with one line of ours: the icon font loads
when an icon is drawn, not before the sign-in form; and without the preload of Source Sans, a font
the theme no longer uses (the reader's own system font: ``.streamlit/config.toml``).

Streamlit 1.67's start-up script asks for its Material Symbols font at once
(``document.fonts.load('1em "Material Symbols Rounded"')``): 375 kB with Brotli, over a third of
the sign-in page's bytes, downloaded beside the scripts that draw the form although that form
shows no icon (``app/login.py`` draws the password field's eye as a character). On slow 3G
(400 kbps, 400 ms) that was the difference between a usable form in 18 s and the 15 s target
(``python bench/network.py``). ``LazyIconFont`` puts a small script before Streamlit's own that
answers that one request with "nothing to load"; the browser still fetches the font the moment
a page draws an icon (``@font-face`` in Streamlit's stylesheet), i.e. after sign-in. Our script
is a constant (no user text), and only a page whose body is plain, uncompressed HTML is changed.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: runs before Streamlit's module script: an early load of the icon font is answered at once
SCRIPT = (b"<script>(()=>{const f=document.fonts,l=f.load.bind(f);"
          b"f.load=(font,text)=>/Material Symbols/.test(font)?Promise.resolve([]):l(font,text)})()</script>")
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
            if _MARK in page and SCRIPT not in page:
                page = _FONT_PRELOAD.sub(b"", page.replace(_MARK, SCRIPT + _MARK, 1), count=1)
                page = page.replace(b"</head>", LOCAL_TEXT_FONT + b"</head>", 1)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(page)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, held)
