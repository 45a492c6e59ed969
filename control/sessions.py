"""Sign-ins that a browser's cookie may carry (table ``login_sessions``), shared by every app
process on this control database: a reload answered by another replica, or by the same server
after a restart, keeps the user signed in.

The app (``app/session.py``) signs the cookie and decides lifetimes; this module keeps the rows.
The one-time token that is exchanged for the cookie is stored as its SHA-256 only, so reading
the table gives nobody a sign-in. Times are Unix seconds passed in by the caller (``now``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from .db import control


@dataclass(frozen=True)
class Login:
    """A stored sign-in."""

    login_id: str
    email: str
    expires: float  # the cookie's own expiry
    last_seen: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def start(email: str, *, now: float, lifetime: float, token_lifetime: float, idle: float) -> tuple[str, str]:
    """A new sign-in for ``email``: (its id, the one-time token to exchange for the cookie).
    Sign-ins expired or idle longer than ``idle`` seconds are swept on the way."""
    login_id, token = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
    with control().transaction() as cur:
        cur.execute("DELETE FROM login_sessions WHERE expires < ? OR last_seen < ?", [now, now - idle])
        cur.execute(
            "INSERT INTO login_sessions (login_id, email, expires, last_seen, token_hash, token_until)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [login_id, email, now + lifetime, now, _digest(token), now + token_lifetime],
        )
    return login_id, token


def redeem(token: str, *, now: float, idle: float) -> Login | None:
    """The sign-in of a one-time token, once (the token is used up whatever the answer); None
    for an unknown, used or expired token, or a sign-in idle longer than ``idle`` seconds."""
    row = control().one(
        "UPDATE login_sessions SET token_hash = NULL WHERE token_hash = ?"
        " RETURNING login_id, email, expires, last_seen, token_until",
        [_digest(token)],
    )
    if row is None or float(row[4]) < now or now - float(row[3]) > idle:
        return None
    return Login(str(row[0]), str(row[1]), float(row[2]), float(row[3]))


def token_pending(token: str, *, now: float) -> bool:
    """True while ``token`` may still be exchanged for its cookie."""
    return control().one("SELECT 1 FROM login_sessions WHERE token_hash = ? AND token_until >= ?",
                         [_digest(token), now]) is not None


def read(login_id: str, *, now: float, idle: float, touch: bool = True) -> Login | None:
    """The sign-in ``login_id`` while it has not expired nor been idle longer than ``idle``
    seconds (a dead one is forgotten); ``touch`` restarts its idle clock."""
    row = control().one("SELECT login_id, email, expires, last_seen FROM login_sessions WHERE login_id = ?",
                        [login_id])
    if row is None:
        return None
    login = Login(str(row[0]), str(row[1]), float(row[2]), float(row[3]))
    if login.expires < now or now - login.last_seen > idle:
        forget(login_id)
        return None
    if touch:
        seen(login_id, now)
    return login


def seen(login_id: str, now: float) -> None:
    """Restart the idle clock of ``login_id`` at ``now`` (never moves it back)."""
    control().execute("UPDATE login_sessions SET last_seen = ? WHERE login_id = ? AND last_seen < ?",
                      [now, login_id, now])


def forget(login_id: str) -> None:
    """End the sign-in ``login_id`` (its cookie is worthless from now on, on every replica)."""
    control().execute("DELETE FROM login_sessions WHERE login_id = ?", [login_id])


def forget_user(email: str, *, keep: str | None = None) -> int:
    """End every sign-in of ``email`` but ``keep`` (the sign-in that changed its own password);
    returns how many there were. Each ended sign-in is refused on its next request, on every
    replica (``app/session.py`` checks the stored sign-in at every page run)."""
    if keep is None:
        return control().execute("DELETE FROM login_sessions WHERE email = ?", [email])
    return control().execute("DELETE FROM login_sessions WHERE email = ? AND login_id <> ?", [email, keep])


def alive(login_id: str) -> bool:
    """Whether the sign-in ``login_id`` is still stored (not signed out, not ended by a password
    change or reset, not swept)."""
    return control().one("SELECT 1 FROM login_sessions WHERE login_id = ?", [login_id]) is not None
