"""``/lite`` and ``/_kasuwa/session`` never read a body whole (invariant 13): one that declares
more than the limit is refused before a byte is read, one sent without a length is dropped as
soon as it passes the limit. The real routes, driven as an ASGI application."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from app.lite import MAX_BODY
from app.lite import ROUTES as LITE_ROUTES

CHUNK = 64 * 1024


def post(path: str, chunks: Iterator[bytes], headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    """(status, bytes the server took from the body) of a POST whose body comes in ``chunks``."""
    from app.serve import SESSION_ROUTES

    app = Starlette(routes=[*LITE_ROUTES, *SESSION_ROUTES])
    taken = 0
    status = 0

    async def receive() -> dict:
        nonlocal taken
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        taken += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"localhost"), *headers], "client": ("127.0.0.1", 5000),
             "server": ("localhost", 80)}
    # on a thread of its own: a browser test earlier in the same process (Playwright's sync API)
    # may leave an event loop running on this one, and asyncio.run refuses to nest
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(app(scope, receive, send))).result()
    return status, taken


def endless() -> Iterator[bytes]:
    for _ in range(3000):  # 190 MB if it were all read
        yield b"x" * CHUNK


@pytest.mark.parametrize("path", ["/lite", "/_kasuwa/session"])
def test_a_declared_huge_body_is_refused_before_it_is_read(path):
    status, taken = post(path, endless(), [(b"content-length", str(3000 * CHUNK).encode())])
    assert status == 413 and taken == 0


@pytest.mark.parametrize("path", ["/lite", "/_kasuwa/session"])
def test_a_body_without_a_length_is_dropped_once_past_the_limit(path):
    status, taken = post(path, endless(), [(b"transfer-encoding", b"chunked")])
    assert status == 413 and taken <= MAX_BODY + CHUNK
