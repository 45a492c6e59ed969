"""The signed-in user lives in Streamlit's server-side session state only, under one key.

Nothing the browser sends (widgets, query parameters, URLs) can set it: only ``sign_in``
after a successful password check. A login expires after ``KASUWA_SESSION_IDLE_MINUTES``
without a page run (checked on every run), and an account that was deactivated or changed
takes effect on the next run. Every page starts with ``require_page(__file__)``.

:func:`client_address` says where the browser connects from, for the login throttle: the TCP
peer, or behind a proxy listed in ``KASUWA_TRUSTED_PROXIES`` the address that proxy forwarded.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from warehouse import throttle
from warehouse.access import Actor
from warehouse.settings import settings

from .registry import spec

ACTOR_KEY = "kasuwa_actor"
LAST_SEEN_KEY = "kasuwa_last_seen"  # wall-clock seconds of the last page run while signed in
NOTICE_KEY = "kasuwa_notice"  # one message for the login page (why the user was signed out)
ROOT = Path(__file__).resolve().parent.parent


def client_address() -> str:
    """The throttle's key for where this session's browser connects from.

    Read from the WebSocket handshake; forwarding headers count only from a trusted proxy
    (``warehouse.throttle.client_for``). Without a browser (AppTest) it is "localhost".
    """
    try:
        reported = st.context.ip_address
        headers = {h: st.context.headers.get_all(h) for h in throttle.PROXY_HEADERS}
    except Exception:  # no browser connection behind this run (AppTest, bare mode)
        reported, headers = None, {}
    return throttle.client_of_request(reported, headers)


def current_actor() -> Actor | None:
    """The signed-in Actor, or None (also when the login has been idle too long)."""
    actor = st.session_state.get(ACTOR_KEY)
    if not isinstance(actor, Actor):
        return None
    if _idle_expired():
        minutes = settings().session_idle_minutes
        sign_out(notice=f"You were signed out after {minutes} minutes without activity. Sign in again.")
        return None
    return actor


def _idle_expired() -> bool:
    last = st.session_state.get(LAST_SEEN_KEY)
    if not isinstance(last, (int, float)):
        return True
    return time.time() - last > settings().session_idle_minutes * 60


def touch() -> None:
    """Record activity now (the idle clock restarts)."""
    st.session_state[LAST_SEEN_KEY] = time.time()


def active_actor() -> Actor | None:
    """Once per run, in ``app/main.py``: expire idle logins, re-read the account (a deactivated
    account is signed out, a changed role applies at once) and restart the idle clock."""
    actor = current_actor()
    if actor is None:
        return None
    from warehouse.accounts import current_actor as account_now

    fresh = account_now(actor.user_id)
    if fresh is None:
        sign_out(notice="Your account is no longer active. Ask an administrator if this is a mistake.")
        return None
    if fresh != actor:
        st.session_state[ACTOR_KEY] = fresh
    touch()
    return fresh


def sign_in(actor: Actor) -> None:
    """Start a session for ``actor`` (only after a successful password check)."""
    for key in list(st.session_state.keys()):  # nothing from before the sign-in survives it
        del st.session_state[key]
    st.session_state[ACTOR_KEY] = actor
    touch()


def sign_out(notice: str | None = None) -> None:
    """End the session: every key goes; ``notice`` is shown once on the login page."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if notice:
        st.session_state[NOTICE_KEY] = notice


def take_notice() -> str | None:
    """The sign-out notice, once."""
    return st.session_state.pop(NOTICE_KEY, None)


def require_page(page_file: str) -> Actor:
    """Stop the page unless a signed-in user whose role may open it is asking."""
    rel = Path(page_file).resolve().relative_to(ROOT).as_posix()
    actor = current_actor()
    if actor is None:
        st.warning("Please sign in first.")
        st.stop()
    if actor.role not in spec(rel).roles:
        st.error("This page is not available to your account.")
        st.stop()
    return actor
