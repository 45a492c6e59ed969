"""The signed-in user lives in Streamlit's server-side session state only, under one key.

Nothing the browser sends (widgets, query parameters, URLs) can set it: only ``sign_in``
after a successful password check. A login expires after ``KASUWA_SESSION_IDLE_MINUTES``
without a page run (checked on every run), and an account that was deactivated or changed
takes effect on the next run. Every page starts with ``require_page(__file__)``.

:func:`client_address` says where the browser connects from, for the login throttle: the TCP
peer, or behind a proxy listed in ``KASUWA_TRUSTED_PROXIES`` the address that proxy forwarded.

**A login survives a reload or a killed tab** through a cookie the browser cannot read:
``sign_in`` records the login in the control database (``control/sessions.py``, shared by every
app process on it) and hands the page a one-time token
(valid :data:`TOKEN_SECONDS`); the page posts it to ``/_kasuwa/session`` (``app/serve.py``),
which answers with the cookie ``kasuwa_session``: HttpOnly, SameSite=Strict, Secure over
HTTPS, expiring after :data:`COOKIE_HOURS`, and signed (HMAC-SHA256) with
``KASUWA_SESSION_SECRET`` (by default a random secret kept in ``KASUWA_DATA_DIR/session-secret``).
A new Streamlit session (reload, restored tab) reads it with ``st.context.cookies`` and takes
the login back if the signature holds, the cookie has not expired, the control database still knows
the login and it has not been idle for ``KASUWA_SESSION_IDLE_MINUTES``. Signing out, the
idle timeout and a deactivated account forget the login at once, on every replica (the cookie
is then worthless) and the page asks ``/_kasuwa/session/end`` to delete the cookie. Logins
survive a restart of the server, and a second replica on the same control database knows them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

import streamlit as st

from control import sessions, throttle
from warehouse.access import Actor
from warehouse.i18n import _
from warehouse.settings import settings

from .registry import spec

ACTOR_KEY = "kasuwa_actor"
LAST_SEEN_KEY = "kasuwa_last_seen"  # wall-clock seconds of the last page run while signed in
NOTICE_KEY = "kasuwa_notice"  # one message for the login page (why the user was signed out)
LOGIN_KEY = "kasuwa_login"  # the server-side login (cookie) this session belongs to
TOKEN_KEY = "kasuwa_cookie_token"  # noqa: S105 - the one-time token the page still has to exchange for the cookie
END_KEY = "kasuwa_cookie_end"  # the page still has to ask for the cookie to be deleted
DEAD_KEY = "kasuwa_cookie_dead"  # a cookie of this browser already found worthless

COOKIE = "kasuwa_session"
COOKIE_HOURS = 12  # a cookie's life at most; the idle timeout usually ends the login first
TOKEN_SECONDS = 120
SECRET_FILE = "session-secret"  # noqa: S105 - a file name
ROOT = Path(__file__).resolve().parent.parent


def client_address() -> str:
    """The throttle's key for where this session's browser connects from.

    Read from the WebSocket handshake; forwarding headers count only from a trusted proxy
    (``control.throttle.client_for``). Without a browser (AppTest) it is "localhost".
    """
    try:
        reported = st.context.ip_address
        headers = {h: st.context.headers.get_all(h) for h in throttle.PROXY_HEADERS}
    except Exception:  # no browser connection behind this run (AppTest, bare mode)
        reported, headers = None, {}
    return throttle.client_of_request(reported, headers)


def current_actor() -> Actor | None:
    """The signed-in Actor, or None (also when the login has been idle too long). A session
    without one takes back the login of the browser's cookie when it is still good."""
    actor = st.session_state.get(ACTOR_KEY)
    if not isinstance(actor, Actor):
        return _from_cookie()
    if _idle_expired():
        minutes = settings().session_idle_minutes
        sign_out(notice=_("You were signed out after %(minutes)s minutes without activity. Sign in again.",
                          minutes=minutes))
        return None
    return actor


def _idle_expired() -> bool:
    last = st.session_state.get(LAST_SEEN_KEY)
    if not isinstance(last, (int, float)):
        return True
    return time.time() - last > settings().session_idle_minutes * 60


def touch() -> None:
    """Record activity now (the idle clock restarts), here and for the login's cookie."""
    now = time.time()
    st.session_state[LAST_SEEN_KEY] = now
    login = st.session_state.get(LOGIN_KEY)
    if isinstance(login, str):
        LOGINS.seen(login, now)


def current_login() -> str | None:
    """The id of the stored sign-in this session belongs to (None without one)."""
    login = st.session_state.get(LOGIN_KEY)
    return login if isinstance(login, str) else None


def active_actor() -> Actor | None:
    """Once per run, in ``app/main.py``: expire idle logins, check the stored sign-in still
    exists (signed out in another tab or on another replica, ended by a password change or
    reset: this session ends too, on this request), re-read the account (a deactivated account
    is signed out, a changed role applies at once) and restart the idle clock."""
    actor = current_actor()
    if actor is None:
        return None
    login = current_login()
    if login is not None and not sessions.alive(login):
        sign_out(notice=_("You were signed out: this sign-in was ended (signed out elsewhere, or the password "
                          "was changed). Sign in again."))
        return None
    from control.accounts import current_actor as account_now

    fresh = account_now(actor.user_id)
    if fresh is None:
        sign_out(notice=_("Your account is no longer active. Ask an administrator if this is a mistake."))
        return None
    if fresh != actor:
        st.session_state[ACTOR_KEY] = fresh
    touch()
    return fresh


def update_actor(actor: Actor) -> None:
    """The signed-in user's account changed (their language): this session holds it from now on."""
    if isinstance(st.session_state.get(ACTOR_KEY), Actor):
        st.session_state[ACTOR_KEY] = actor


def sign_in(actor: Actor) -> None:
    """Start a session for ``actor`` (only after a successful password check), and a login
    the browser's cookie will carry (the page exchanges the token: :func:`cookie_script`)."""
    _forget_login()
    for key in list(st.session_state.keys()):  # nothing from before the sign-in survives it
        del st.session_state[key]
    st.session_state[ACTOR_KEY] = actor
    login, token = LOGINS.start(actor.user_id)
    st.session_state[LOGIN_KEY] = login
    st.session_state[TOKEN_KEY] = token
    touch()


def sign_out(notice: str | None = None) -> None:
    """End the session: every key goes, the login is forgotten (its cookie is worthless from
    now on) and the page deletes the cookie; ``notice`` is shown once on the login page."""
    _forget_login()
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[END_KEY] = True
    if notice:
        st.session_state[NOTICE_KEY] = notice


def _forget_login() -> None:
    login = st.session_state.get(LOGIN_KEY)
    if isinstance(login, str):
        LOGINS.forget(login)
    cookie = _browser_cookie()
    if cookie:  # the login this browser's cookie carried, even if this session did not start it
        found = LOGINS.read(cookie, touch=False)
        if found:
            LOGINS.forget(found[0])


def _browser_cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no browser connection behind this run (AppTest, bare mode)
        return None
    return value if isinstance(value, str) and value else None


def _from_cookie() -> Actor | None:
    """The Actor of the browser's cookie, signed in to this session; None when there is no
    cookie or it is worthless (then the page is asked to delete it, once)."""
    cookie = _browser_cookie()
    if not cookie or st.session_state.get(DEAD_KEY) == cookie:
        return None
    found = LOGINS.read(cookie)
    actor = None
    if found:
        from control.accounts import current_actor as account_now

        actor = account_now(found[1])
        if actor is None:
            LOGINS.forget(found[0])
    if actor is None:
        st.session_state[DEAD_KEY] = cookie
        st.session_state[END_KEY] = True
        return None
    st.session_state[ACTOR_KEY] = actor
    st.session_state[LOGIN_KEY] = found[0]  # type: ignore[index]
    touch()
    return actor


def cookie_script() -> str | None:
    """The JavaScript this run's page must run for the cookie, or None: post the one-time
    token to ``/_kasuwa/session`` after a sign-in (until the server has set the cookie), or
    ask ``/_kasuwa/session/end`` to delete the cookie after a sign-out. Rendered by
    ``app/main.py``; paths are relative, so they follow the app's base URL."""
    token = st.session_state.get(TOKEN_KEY)
    if isinstance(token, str):
        if not LOGINS.token_pending(token):
            del st.session_state[TOKEN_KEY]
        else:
            return ("fetch('_kasuwa/session', {method: 'POST', credentials: 'same-origin', "
                    f"headers: {{'Content-Type': 'text/plain'}}, body: {json.dumps(token)}}});")
    if st.session_state.pop(END_KEY, False):
        return "fetch('_kasuwa/session/end', {method: 'POST', credentials: 'same-origin'});"
    return None


def session_secret() -> bytes:
    """The key the cookie is signed with: ``KASUWA_SESSION_SECRET``, or else a random one made
    once and kept (readable by this user only) in ``KASUWA_DATA_DIR/session-secret``."""
    given = settings().session_secret
    if given:
        return given.encode()
    path = settings().data_dir / SECRET_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(32))
    return path.read_bytes().strip()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Logins:
    """The sign-ins a cookie may carry, kept in the control database (``control/sessions.py``)
    so every app process on it — a second replica, this one after a restart — knows them; this
    class signs and checks the cookie. Thread-safe (each call is its own short transaction)."""

    def start(self, user_id: str) -> tuple[str, str]:
        """A new login for ``user_id``: (its id, the one-time token for the cookie)."""
        return sessions.start(user_id, now=time.time(), lifetime=COOKIE_HOURS * 3600,
                              token_lifetime=TOKEN_SECONDS, idle=self._idle_seconds())

    def redeem(self, token: str) -> tuple[str, int] | None:
        """The signed cookie value and its max-age in seconds for a one-time token, once;
        None for an unknown, used or expired token."""
        now = time.time()
        login = sessions.redeem(token, now=now, idle=self._idle_seconds())
        if login is None:
            return None
        return self._sign(login.login_id, int(login.expires)), int(login.expires - now)

    def token_pending(self, token: str) -> bool:
        """True while ``token`` may still be exchanged for its cookie."""
        return sessions.token_pending(token, now=time.time())

    def read(self, cookie: str, touch: bool = True) -> tuple[str, str] | None:
        """(login id, user id) of a cookie whose signature holds, that has not expired, whose
        login is known and that has not been idle too long; else None."""
        try:
            login_id, expires_text, _mac = cookie.split(".")
            expires = int(expires_text)
        except ValueError:
            return None
        if not hmac.compare_digest(self._sign(login_id, expires), cookie):
            return None
        login = sessions.read(login_id, now=time.time(), idle=self._idle_seconds(), touch=touch)
        if login is None:
            return None
        if int(login.expires) != expires:
            sessions.forget(login_id)
            return None
        return login.login_id, login.email

    def seen(self, login_id: str, now: float) -> None:
        sessions.seen(login_id, now)

    def forget(self, login_id: str) -> None:
        sessions.forget(login_id)

    def forget_cookie(self, cookie: str | None) -> None:
        """Forget the login a (correctly signed) cookie carries."""
        if cookie:
            found = self.read(cookie, touch=False)
            if found:
                self.forget(found[0])

    @staticmethod
    def _idle_seconds() -> float:
        return settings().session_idle_minutes * 60

    @staticmethod
    def _sign(login_id: str, expires: int) -> str:
        payload = f"{login_id}.{expires}"
        mac = hmac.new(session_secret(), f"{COOKIE}|{payload}".encode(), hashlib.sha256).digest()
        return f"{payload}.{_b64(mac)}"


LOGINS = Logins()


def take_notice() -> str | None:
    """The sign-out notice, once."""
    return st.session_state.pop(NOTICE_KEY, None)


def require_page(page_file: str) -> Actor:
    """Stop the page unless a signed-in user whose role may open it is asking."""
    rel = Path(page_file).resolve().relative_to(ROOT).as_posix()
    actor = current_actor()
    if actor is None:
        st.warning(_("Please sign in first."))
        st.stop()
    if actor.role not in spec(rel).roles:
        st.error(_("This page is not available to your account."))
        st.stop()
    return actor
