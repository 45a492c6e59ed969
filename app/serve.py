"""Kasuwa's web server: ``streamlit run app/serve.py`` (what ./scripts/demo starts).

The Streamlit app (``app/main.py``) as an ASGI application, ``st.App``, which ``streamlit run``
finds below and serves under uvicorn with Streamlit's own settings (port, address, WebSocket
limits, ``.streamlit/config.toml``). In front of it ``PrecompressedStatic``
(``app/static_cache.py``) sends Streamlit's static files as Brotli or gzip copies built once per
Streamlit version, with a year-long cache: a creator's first visit drops from 9.4 MB to about
2.5 MB (``python bench/network.py``). Beside it, ``/lite`` (``app/lite.py``) is a page of plain
HTML for 2G and feature phones, and ``/_kasuwa/session`` sets the login cookie that keeps a user
signed in across a reload (``app/session.py``): it takes the one-time token the page got at
sign-in and answers with the signed HttpOnly cookie; ``/_kasuwa/session/end`` forgets the
login and deletes the cookie. Logins are kept in the control database, so every replica of the
app on it honours the same cookies. Everything else, the WebSocket included, is Streamlit's.

The server also sends, in a background thread, the uploads kept for a region on its own host
while it could not be reached (``warehouse/outbox.py``), every ``KASUWA_OUTBOX_RETRY_SECONDS``:
they load once the region is back without anyone uploading them again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.bodies import bounded_body
from app.lite import ROUTES as LITE_ROUTES
from app.page_shell import LazyIconFont
from app.session import COOKIE, LOGINS
from app.static_cache import PrecompressedStatic
from warehouse.outbox import start_sender

NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
MAX_TOKEN = 256


def _same_origin(request: Request) -> bool:
    """Only the app's own page may ask (a form on another site could otherwise sign a user out)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in {"same-origin", "none"}:
        return False
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host", "")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"


async def start_session(request: Request) -> Response:
    """POST the one-time token of a sign-in; 204 with the cookie, or 403."""
    if not _same_origin(request):
        return Response(status_code=403, headers=NO_STORE)
    body = await bounded_body(request, MAX_TOKEN)  # never read whole: invariant 13
    if body is None:
        return Response(status_code=413, headers=NO_STORE)
    # the control database is asked off the event loop (on PostgreSQL it is a network round trip)
    issued = await run_in_threadpool(LOGINS.redeem, body.decode("ascii", errors="replace").strip())
    if issued is None:
        return Response(status_code=403, headers=NO_STORE)
    value, max_age = issued
    response = Response(status_code=204, headers=NO_STORE)
    response.set_cookie(COOKIE, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=_secure(request))
    return response


async def end_session(request: Request) -> Response:
    """POST: forget the login of the request's cookie and delete the cookie; 204."""
    if not _same_origin(request):
        return Response(status_code=403, headers=NO_STORE)
    await run_in_threadpool(LOGINS.forget_cookie, request.cookies.get(COOKIE))
    response = Response(status_code=204, headers=NO_STORE)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


SESSION_ROUTES = [
    Route("/_kasuwa/session", start_session, methods=["POST"]),
    Route("/_kasuwa/session/end", end_session, methods=["POST"]),
]

@asynccontextmanager
async def _outbox_sender(_app: st.App) -> AsyncIterator[None]:
    """While the server runs, a background thread sends the outbox (pages never wait for it)."""
    stop = start_sender()
    try:
        yield
    finally:
        stop.set()


# the page script, resolved relative to this file
app = st.App("main.py", routes=[*LITE_ROUTES, *SESSION_ROUTES],
             middleware=[Middleware(PrecompressedStatic), Middleware(LazyIconFont)],
             lifespan=_outbox_sender)
