"""Slowing down password guessing without ever locking the real user out.

Every failed proof of a password — a sign-in, or the current password typed on the
password-change form — is counted per *key* in the control database (table ``login_throttle``,
``control/migrations/003_throttle.sql``), whether or not the account exists, so the throttle reveals
nothing about which accounts exist:

- ``pair:<email>|<client>`` — this account from this client: :data:`PAIR_FREE_FAILURES` free
  failures, then a back-off. Guessing from one place slows down that place only.
- ``client:<client>`` — this client, any account: :data:`CLIENT_FREE_FAILURES` free failures,
  then a back-off for the whole client (the global back-off, against password spraying). It
  falls on the guessing client only, and even there it spares a *known place*: an account that
  signed in successfully from this client in the last :data:`KNOWN_PLACE_FOR` (table
  ``login_places``). So a manager behind the office proxy, or on the same machine, keeps signing
  in while someone else there fails on twenty random e-mails; their own pair still counts.

There is deliberately **no per-account key**: probing an account once a second from ever-changing
addresses blocks each of those addresses, never the owner's. The right password from a client
that has not failed on this account recently therefore always gets in — unless that client is
in its global back-off and has never signed in to this account (a first sign-in from a place
someone is spraying from waits at most :data:`MAX_DELAY`, and is told how long).

After a key's free failures each further failure blocks it for an exponentially growing delay
(15 s, 30 s, 1 min, …) capped at :data:`MAX_DELAY`. Attempts made while a key is blocked are
refused without checking the password and do **not** extend the block. A success clears the
pair (never the client key: the proxy's other users get no free guesses from it); a key is
forgotten :data:`FORGET_AFTER` its last failure (its row is purged at the next success of
anyone). Every refusal says when to try again.

*The client* is the network address the request comes from, IPv6 addresses grouped by /64 (one
subscriber's allocation). Forwarding headers are believed only from proxies the operator lists
in ``KASUWA_TRUSTED_PROXIES`` (see :func:`client_for`).

Times are Unix seconds in plain numeric columns and the SQL is the same on SQLite and
PostgreSQL. A failure is counted by one atomic upsert per key (``failures = failures + 1`` under
the row's lock), so processes failing at the same instant never lose a count.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from warehouse.errors import ConfigError, PermissionDenied
from warehouse.i18n import N_, _, ngettext
from warehouse.settings import settings

from .db import control

PAIR_FREE_FAILURES = 5
CLIENT_FREE_FAILURES = 20
BASE_DELAY = timedelta(seconds=15)
MAX_DELAY = timedelta(minutes=5)
FORGET_AFTER = timedelta(hours=1)
KNOWN_PLACE_FOR = timedelta(days=90)
LOCALHOST = "localhost"  # the client key of every loopback address
#: Forwarding headers a trusted proxy may write (``KASUWA_PROXY_HEADER`` names the one it does).
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def wait_words(seconds: int) -> str:
    """A wait in plain words: "45 seconds", "1 minute", "5 minutes" (minutes rounded up)."""
    seconds = max(1, int(seconds))
    if seconds < 60:
        return ngettext("%(count)s second", "%(count)s seconds", seconds)
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)s minute", "%(count)s minutes", minutes)


def try_again(seconds: int) -> str:
    """The sentence every throttle refusal ends with."""
    return _("Too many attempts. Try again in %(wait)s.", wait=wait_words(seconds))


class LoginThrottled(PermissionDenied):
    """Too many failed attempts for this account here, or from this place; ``retry_after`` in s."""

    title = N_("Too many attempts")

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"{try_again(retry_after)} {_('If you forgot your password, ask an administrator to reset it.')}"
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class Key:
    name: str
    free_failures: int


@dataclass(frozen=True)
class Attempt:
    """The keys one attempt by ``email`` from ``client`` is counted against and checked by."""

    email: str
    client: str
    pair: Key
    client_key: Key

    @property
    def keys(self) -> list[Key]:
        return [self.pair, self.client_key]


def attempt(email: str, client: str) -> Attempt:
    """The throttling keys of an attempt for ``email`` (normalised) from ``client`` (a key)."""
    return Attempt(
        email,
        client,
        Key(f"pair:{email}|{client}", PAIR_FREE_FAILURES),
        Key(f"client:{client}", CLIENT_FREE_FAILURES),
    )


def delay_after(failures: int, free_failures: int) -> timedelta:
    """How long a key is blocked after its ``failures``-th consecutive failure."""
    over = failures - free_failures
    if over < 0:
        return timedelta(0)
    seconds = BASE_DELAY.total_seconds() * (2 ** min(over, 16))
    return min(timedelta(seconds=seconds), MAX_DELAY)


def _seconds(now: datetime) -> float:
    return now.timestamp()


_KNOWN_PLACE = "EXISTS (SELECT 1 FROM login_places WHERE email = ? AND client = ? AND last_success > ?)"


def _known_params(at: Attempt, now: datetime) -> list[object]:
    return [at.email, at.client, _seconds(now - KNOWN_PLACE_FOR)]


def is_known_place(email: str, client: str, now: datetime) -> bool:
    """Did ``email`` sign in successfully from ``client`` within :data:`KNOWN_PLACE_FOR`?"""
    at = attempt(email, client)
    return control().one(f"SELECT 1 WHERE {_KNOWN_PLACE}", _known_params(at, now)) is not None


def check(at: Attempt, now: datetime) -> None:
    """Raise :class:`LoginThrottled` if the attempt is blocked at ``now``.

    The pair always counts; the client's global back-off does not apply to a known place.
    """
    row = control().one(
        "SELECT max(blocked_until) FROM login_throttle WHERE blocked_until > ? AND"
        f" (throttle_key = ? OR (throttle_key = ? AND NOT {_KNOWN_PLACE}))",
        [_seconds(now), at.pair.name, at.client_key.name, *_known_params(at, now)],
    )
    if row and row[0] is not None:
        raise LoginThrottled(max(1, math.ceil(float(row[0]) - _seconds(now) - 0.001)))


def record_failure(at: Attempt, now: datetime) -> int:
    """Count one failed attempt against the pair and the client.

    Returns the seconds until this attempt may be made again (0 when at once), so that the
    refusal can say so: the pair's pause, or the client's unless this is a known place.
    Concurrent failures (two processes, two replicas) each count: the count is raised by the
    database under the key's row lock, and the pause follows from the count it returns.
    """
    t = _seconds(now)
    forget = FORGET_AFTER.total_seconds()
    waits = {}
    with control().transaction() as cur:
        known = cur.execute(f"SELECT 1 WHERE {_KNOWN_PLACE}", _known_params(at, now)).fetchone() is not None
        for key in at.keys:
            row = cur.execute(
                "INSERT INTO login_throttle (throttle_key, failures, last_failure, blocked_until)"
                " VALUES (?, 1, ?, NULL) ON CONFLICT (throttle_key) DO UPDATE SET"
                " failures = CASE WHEN excluded.last_failure - login_throttle.last_failure <= ?"
                "  THEN login_throttle.failures + 1 ELSE 1 END,"
                " last_failure = excluded.last_failure"
                " RETURNING failures",
                [key.name, t, forget],
            ).fetchone()
            failures = int(row[0]) if row else 1
            wait = delay_after(failures, key.free_failures).total_seconds()
            waits[key.name] = math.ceil(wait)
            cur.execute("UPDATE login_throttle SET blocked_until = ? WHERE throttle_key = ?",
                        [t + wait if wait else None, key.name])
    return waits[at.pair.name] if known else max(waits.values())


def record_success(at: Attempt, now: datetime) -> None:
    """The password was right: forget this pair's failures and remember the place as known."""
    t = _seconds(now)
    with control().transaction() as cur:
        cur.execute("DELETE FROM login_throttle WHERE throttle_key = ?", [at.pair.name])
        cur.execute(
            "INSERT INTO login_places (email, client, last_success) VALUES (?, ?, ?)"
            " ON CONFLICT (email, client) DO UPDATE SET last_success = excluded.last_success",
            [at.email, at.client, t],
        )
        cur.execute("DELETE FROM login_throttle WHERE last_failure < ?", [t - FORGET_AFTER.total_seconds()])


def clear_account(email: str) -> None:
    """Forget the account's failures from every place (an administrator reset its password)."""
    prefix = f"pair:{email}|"  # compared as text, not a LIKE pattern: an e-mail may hold _ or %
    control().execute("DELETE FROM login_throttle WHERE substr(throttle_key, 1, ?) = ?", [len(prefix), prefix])


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- Where an attempt comes from ---------------------------------------------------------------

_LOOPBACK = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))


def parse_proxies(entries: Iterable[str]) -> tuple[Network, ...]:
    """``KASUWA_TRUSTED_PROXIES`` entries (addresses or CIDR networks) as networks."""
    nets = []
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            nets.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ConfigError(
                f"KASUWA_TRUSTED_PROXIES holds {text!r}, which is not an address or network like "
                "10.0.0.5 or 10.0.0.0/24. Correct it and restart Kasuwa."
            ) from None
    return tuple(nets)


def _address(hop: str) -> Address | None:
    """One hop as written in a forwarding header (port, brackets and quotes allowed), or None."""
    text = hop.strip().strip('"').strip()
    if not text or len(text) > 64:
        return None
    if text.startswith("["):  # [2001:db8::1]:4711
        text = text[1 : text.find("]")] if "]" in text else text
    elif text.count(":") == 1:  # 192.0.2.1:8080
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def client_key(ip: Address) -> str:
    """The throttle's name for an address: loopback is one place, IPv6 goes by its /64."""
    if ip.is_loopback:
        return LOCALHOST
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _hops(headers: Mapping[str, Sequence[str]], header: str) -> list[str]:
    """The addresses ``header`` lists, the nearest hop last."""
    values = [v for name, vs in headers.items() if name.lower() == header.lower() for v in vs]
    if header.lower() == "x-real-ip":
        return values[-1:]
    if header.lower() == "forwarded":  # RFC 7239: for=192.0.2.60;proto=http, for="[2001:db8::17]"
        hops = []
        for element in ",".join(values).split(","):
            for pair in element.split(";"):
                name, _, value = pair.partition("=")
                if name.strip().lower() == "for":
                    hops.append(value)
        return hops
    return [h for h in ",".join(values).split(",") if h.strip()]


def _server_peer(reported: str | None, headers: Mapping[str, Sequence[str]]) -> Address:
    """The TCP peer, undoing the trust Streamlit's server puts in X-Forwarded-For.

    Streamlit 1.67 serves through uvicorn, which (with ``FORWARDED_ALLOW_IPS`` unset, as
    Kasuwa runs it) replaces a loopback peer's address by the rightmost non-loopback entry of
    any X-Forwarded-For header — which anyone on the machine can send. When the reported
    address is exactly what that rewriting would give, the peer was loopback. (A remote client
    that names its own address gains nothing: it is then "localhost", one place, not many.)
    """
    ip = _address(reported) if reported else None
    xff = _hops(headers, "X-Forwarded-For")
    if xff:
        uvicorn_pick = next((h for h in reversed(xff) if _address(h) not in _LOOPBACK), xff[0])
        if reported is None or _address(uvicorn_pick) == ip:
            return _LOOPBACK[0]
    return ip if ip is not None else _LOOPBACK[0]


def client_for(
    reported: str | None,
    headers: Mapping[str, Sequence[str]],
    trusted: Sequence[Network] = (),
    header: str = "X-Forwarded-For",
) -> str:
    """The client key of a request: its TCP peer, or — when the peer is a trusted proxy — the
    rightmost hop of ``header`` that is not a trusted proxy itself.

    ``reported`` is the address the web server reports (None for loopback, as Streamlit does),
    ``headers`` maps header names to all their values. A forwarding header from a peer that is
    not in ``trusted`` is ignored, so a client cannot choose its own address.
    """
    current = _server_peer(reported, headers)

    def is_trusted(ip: Address) -> bool:
        return any(ip.version == net.version and ip in net for net in trusted)

    if is_trusted(current):
        for hop in reversed(_hops(headers, header)):
            ip = _address(hop)
            if ip is None:  # "unknown" or garbage: keep the proxy that wrote it as the client
                break
            current = ip
            if not is_trusted(current):
                break
    return client_key(current)


def client_of_request(reported: str | None, headers: Mapping[str, Sequence[str]]) -> str:
    """:func:`client_for` with the proxies and header the operator declared in the settings."""
    s = settings()
    header = next((h for h in PROXY_HEADERS if h.lower() == s.proxy_header.lower()), None)
    if header is None:
        raise ConfigError(
            f"KASUWA_PROXY_HEADER is {s.proxy_header!r}; set it to one of {', '.join(PROXY_HEADERS)} "
            "(the header your proxy writes) and restart Kasuwa."
        )
    return client_for(reported, headers, parse_proxies(s.trusted_proxies), header)
