"""Slowing down password guessing without letting an attacker lock a real user out for long.

Failed sign-ins are counted per *key* in the control database (table ``login_failures``),
whether or not the account exists, so the throttle reveals nothing about accounts:

- ``pair:<email>|<client>`` — this account from this place: 5 free failures. Someone guessing
  from one place slows down only themselves; the real user signing in elsewhere is unaffected.
- ``account:<email>`` — this account from anywhere: 20 free failures, against guessing spread
  over many addresses.
- ``client:<client>`` — this place, any account: 20 free failures, against password spraying
  (generous because an office or a phone carrier puts many people behind one address).

After a key's free failures each further failure blocks it for an exponentially growing delay
(15 s, 30 s, 1 min, …) capped at :data:`MAX_DELAY` (5 minutes). Attempts made while a key is
blocked are refused without checking the password and do **not** extend the block, so the
longest anyone can keep a real user out is the cap after their last *checked* guess. A
successful sign-in clears the account's keys; a key is forgotten an hour after its last failure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from .db import control
from .errors import PermissionDenied

PAIR_FREE_FAILURES = 5
ACCOUNT_FREE_FAILURES = 20
CLIENT_FREE_FAILURES = 20
BASE_DELAY = timedelta(seconds=15)
MAX_DELAY = timedelta(minutes=5)
FORGET_AFTER = timedelta(hours=1)


class LoginThrottled(PermissionDenied):
    """Too many failed sign-ins for this account or from this place; ``retry_after`` in seconds."""

    title = "Too many attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many failed sign-ins. Wait {retry_after} seconds, then try again. "
            "If you forgot your password, ask an administrator to reset it."
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class Key:
    name: str
    free_failures: int


def keys_for(email: str, client: str) -> list[Key]:
    """The throttling keys of a sign-in attempt for ``email`` from ``client``."""
    return [
        Key(f"pair:{email}|{client}", PAIR_FREE_FAILURES),
        Key(f"account:{email}", ACCOUNT_FREE_FAILURES),
        Key(f"client:{client}", CLIENT_FREE_FAILURES),
    ]


def account_keys(email: str, client: str | None = None) -> list[str]:
    """Names of the keys a successful sign-in (or a password reset) clears."""
    names = [f"account:{email}"]
    if client is not None:
        names.append(f"pair:{email}|{client}")
    return names


def delay_after(failures: int, free_failures: int) -> timedelta:
    """How long a key is blocked after its ``failures``-th consecutive failure."""
    over = failures - free_failures
    if over < 0:
        return timedelta(0)
    seconds = BASE_DELAY.total_seconds() * (2 ** min(over, 16))
    return min(timedelta(seconds=seconds), MAX_DELAY)


def check(keys: list[Key], now: datetime) -> None:
    """Raise :class:`LoginThrottled` if any of ``keys`` is blocked at ``now``."""
    names = [k.name for k in keys]
    row = control().one(
        "SELECT epoch(max(blocked_until)) FROM login_failures"
        " WHERE throttle_key IN (SELECT unnest(?::VARCHAR[])) AND blocked_until > ?",
        [names, now],
    )
    if row and row[0] is not None:
        wait = float(row[0]) - now.timestamp()
        raise LoginThrottled(max(1, math.ceil(wait - 0.001)))  # epoch() is a float: round, then up


def record_failure(keys: list[Key], now: datetime) -> None:
    """Count one failed sign-in against every key, blocking those past their free failures."""
    for key in keys:
        for attempt in range(3):  # two sign-ins failing at the same instant: retry the loser
            try:
                _record(key, now)
                break
            except duckdb.TransactionException:
                if attempt == 2:
                    raise


def _record(key: Key, now: datetime) -> None:
    with control().transaction() as cur:
        row = cur.execute(
            "SELECT failures, epoch(last_failure_at) FROM login_failures WHERE throttle_key = ?",
            [key.name],
        ).fetchone()
        failures = 1
        if row and now.timestamp() - float(row[1]) <= FORGET_AFTER.total_seconds():
            failures = int(row[0]) + 1
        wait = delay_after(failures, key.free_failures)
        blocked = now + wait if wait else None
        cur.execute(
            "INSERT INTO login_failures (throttle_key, failures, last_failure_at, blocked_until)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (throttle_key) DO UPDATE SET"
            " failures = excluded.failures, last_failure_at = excluded.last_failure_at,"
            " blocked_until = excluded.blocked_until",
            [key.name, failures, now, blocked],
        )


def clear_account(email: str, client: str | None = None) -> None:
    """Forget the account's failures: every place after a reset, this place after a sign-in."""
    if client is None:
        control().execute(
            "DELETE FROM login_failures WHERE throttle_key = ? OR starts_with(throttle_key, ?)",
            [f"account:{email}", f"pair:{email}|"],
        )
    else:
        control().execute(
            "DELETE FROM login_failures WHERE throttle_key IN (SELECT unnest(?::VARCHAR[]))",
            [account_keys(email, client)],
        )


def utcnow() -> datetime:
    return datetime.now(UTC)
