"""The page Streamlit sends first gets our one script (the icon font waits for an icon); nothing
else changes: static files, compressed or non-HTML answers, HEAD requests."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from app.page_shell import LOCAL_TEXT_FONT, LazyIconFont

PAGE = (b'<html><head><link rel="preload" href="./static/media/SourceSansVF-Upright.ttf.X.woff2" as="font" '
        b'type="font/woff2" crossorigin />\n<script type="module" crossorigin src="./static/js/index.js"></script>'
        b'</head></html>')


def _app(body: bytes, content_type: bytes = b"text/html", extra: list | None = None):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                                *(extra or [])]})
        await send({"type": "http.response.body", "body": body[:10], "more_body": True})
        await send({"type": "http.response.body", "body": body[10:]})
    return app


def _get(app, path: str = "/", method: str = "GET") -> tuple[dict, bytes]:
    sent: list = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    # on a thread of its own: a browser or AppTest test before this one may leave an event loop
    # running on this thread, and asyncio.run refuses to nest
    scope = {"type": "http", "method": method, "path": path, "headers": []}
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(LazyIconFont(app)(scope, receive, send))).result()
    headers = dict(sent[0]["headers"])
    return headers, b"".join(m.get("body", b"") for m in sent[1:])


def test_the_page_gets_the_script_before_streamlits_own_with_its_length():
    headers, body = _get(_app(PAGE))
    ours = body.index(b"<script>(()=>{const f=document.fonts")
    assert ours < body.index(b'<script type="module"') and body.count(b"document.fonts") == 1
    assert b'rel="preload"' not in body  # the text font waits: its URL is fetched once a form is drawn
    assert b'const u="./static/media/SourceSansVF-Upright.ttf.X.woff2"' in body
    assert body.index(LOCAL_TEXT_FONT) < body.index(b"</head>")
    assert int(headers[b"content-length"]) == len(body)


def test_everything_else_passes_unchanged():
    for app, path, method in ((_app(PAGE), "/static/js/index.js", "GET"), (_app(PAGE), "/", "HEAD"),
                              (_app(PAGE, b"application/json"), "/", "GET"),
                              (_app(PAGE, extra=[(b"content-encoding", b"gzip")]), "/", "GET")):
        _headers, body = _get(app, path, method)
        assert body == PAGE, (path, method)
