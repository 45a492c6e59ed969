"""Accounts: who may sign in, with which role and scope, and how passwords are kept.

Users live in the control database (``users``, ``control/migrations/002_accounts.sql``). Passwords
are hashed with Argon2id at OWASP's minimum or more (m = 19 MiB, t = 2, p = 1), after Unicode
NFC normalisation so the same password typed on two keyboards matches. Passwords need at least
:data:`PASSWORD_MIN` characters; long passwords and any script are welcome.

:func:`authenticate` gives the same answer for an unknown email and a wrong password, and does
the same hashing work for both. Repeated failures — at sign-in and on the password-change
form alike — are slowed down by :mod:`control.throttle`, per account and client, never so that
the account's owner is locked out from a place that has not failed.
Managing users takes an acting :class:`~warehouse.access.Actor` who must be an admin.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from warehouse.access import ROLES, Actor, require_admin, require_language
from warehouse.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from warehouse.i18n import N_, _
from warehouse.regions import get_region

from . import sessions, throttle
from .db import DuplicateKey, control
from .directory import creator_region

PASSWORD_MIN = 8
PASSWORD_MAX = 4096  # characters; far beyond any passphrase, short of a denial of service
#: Argon2id parameters (OWASP password storage cheat sheet: m=19 MiB, t=2, p=1 at least).
HASH_MEMORY_KIB = 19456
HASH_TIME_COST = 2
HASH_PARALLELISM = 1
_NOT_RIGHT = N_("The email or password is not right.")
_CURRENT_NOT_RIGHT = N_("The current password is not right.")
#: Wrong-password refusals when the user may try again at once; when the failure began a pause
#: the second sentence says how long instead (``throttle.try_again``).
#: (in English; raised in the reader's language)
LOGIN_FAILED = N_("The email or password is not right. Check both and try again.")
CURRENT_PASSWORD_WRONG = N_("The current password is not right. Check it and try again.")

_HASHER = PasswordHasher(
    time_cost=HASH_TIME_COST,
    memory_cost=HASH_MEMORY_KIB,
    parallelism=HASH_PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)
_EMAIL = re.compile(r"^[^@\s|<>()\[\]\\,;:\"']{1,64}@[^@\s|<>()\[\]\\,;:\"']+\.[^@\s|<>()\[\]\\,;:\"']+$")
_COLUMNS = "email, role, creator_id, regions, active, created_at, last_login_at, language"

#: Demo accounts made by ``kasuwa demo`` (documented in the README; never use them in production).
DEMO_USERS: tuple[tuple[str, str, str, str | None, tuple[str, ...]], ...] = (
    ("creator@demo.kasuwa", "demo-creator-2024", "creator", "ng-ada", ()),
    ("reviewer@demo.kasuwa", "demo-reviewer-2024", "reviewer", None, ("west-africa", "east-africa")),
    ("manager@demo.kasuwa", "demo-manager-2024", "manager", None, ()),
    ("admin@demo.kasuwa", "demo-admin-2024", "admin", None, ()),
)
#: creators whose country writes numbers its own way (and who will read Kasuwa in French, Bengali
#: and Urdu): made by ``kasuwa demo`` once their creators exist
DEMO_LANGUAGE_USERS: tuple[tuple[str, str, str, str | None, tuple[str, ...]], ...] = (
    ("awa@demo.kasuwa", "demo-awa-2024", "creator", "sn-awa", ()),  # Senegal: fr_SN
    ("rahim@demo.kasuwa", "demo-rahim-2024", "creator", "bd-rahim", ()),  # Bangladesh: bn_BD
    ("sana@demo.kasuwa", "demo-sana-2024", "creator", "pk-sana", ()),  # Pakistan: ur_PK
)


@dataclass(frozen=True)
class User:
    """An account as admins see it (never the password hash)."""

    email: str
    role: str
    creator_id: str | None
    regions: tuple[str, ...]
    active: bool
    created_at: datetime | None = None
    last_login_at: datetime | None = None
    language: str | None = None  # the language chosen; None: the creator's country's (warehouse.locales)

    def actor(self) -> Actor:
        return Actor(self.email, self.role, self.creator_id, frozenset(self.regions), self.language)


def _ts(epoch: Any) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(float(epoch), UTC)


def _regions(text: Any) -> tuple[str, ...]:
    return tuple(str(r) for r in json.loads(text or "[]"))


def _user(row: tuple[Any, ...]) -> User:
    return User(row[0], row[1], row[2], _regions(row[3]), bool(row[4]), _ts(row[5]), _ts(row[6]), row[7])


def normalize_email(email: str) -> str:
    """The stored form of an email: NFC, trimmed, lower case. Raises InvalidInput if malformed."""
    value = unicodedata.normalize("NFC", email).strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidInput(_("%(email)s is not an email address like name@example.org.", email=repr(email)))
    return value


def normalize_password(password: str) -> str:
    """NFC form of ``password``; raises InvalidInput when shorter than 8 or absurdly long."""
    value = unicodedata.normalize("NFC", password)
    if len(value) < PASSWORD_MIN:
        raise InvalidInput(_("A password needs at least %(password_min)s characters.", password_min=PASSWORD_MIN))
    if len(value) > PASSWORD_MAX:
        raise InvalidInput(_("A password may have at most %(password_max)s characters.", password_max=PASSWORD_MAX))
    return value


def hash_password(password: str) -> str:
    """Argon2id PHC string of the (validated, NFC-normalised) password."""
    return _HASHER.hash(normalize_password(password))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash("not a real password, only here to spend the same time")


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, unicodedata.normalize("NFC", password))
    except (VerificationError, InvalidHashError):
        return False


def _check_scope(role: str, creator_id: str | None, regions: tuple[str, ...]) -> None:
    if role not in ROLES:
        raise InvalidInput(_("Unknown role %(role)s; choose one of %(items)s.",
                             role=repr(role), items=', '.join(ROLES)))
    for code in regions:
        get_region(code)  # NotFound names the known regions
    if role == "creator":
        if not creator_id:
            raise InvalidInput(
                _("A creator account must name the creator it belongs to (kasuwa user add … --creator ID).")
            )
        creator_region(creator_id)  # NotFound if the creator is not registered
        if regions:
            raise InvalidInput(_("A creator account has no regions: its creator's region applies."))
    elif creator_id:
        raise InvalidInput(_("Only creator accounts are linked to a creator, not a %(role)s.", role=role))
    if role == "reviewer" and not regions:
        raise InvalidInput(_("A reviewer needs at least one region to review (kasuwa user add … --region CODE)."))
    if role == "admin" and regions:
        raise InvalidInput(_("An administrator sees every region; do not list regions."))


def _get(email: str) -> User:
    row = control().one(f"SELECT {_COLUMNS} FROM users WHERE email = ?", [email])
    if not row:
        raise NotFound(_("No account for %(email)s.", email=email))
    return _user(row)


def add_user(
    actor: Actor,
    email: str,
    password: str,
    role: str,
    *,
    creator_id: str | None = None,
    regions: tuple[str, ...] | list[str] = (),
) -> User:
    """Create an account. Raises Conflict if the email is taken, InvalidInput for bad values."""
    require_admin(actor)
    address = normalize_email(email)
    scope = tuple(dict.fromkeys(regions))
    _check_scope(role, creator_id, scope)
    hashed = hash_password(password)
    try:
        control().execute(
            "INSERT INTO users (email, password_hash, role, creator_id, regions, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [address, hashed, role, creator_id, json.dumps(list(scope)), time.time()],
        )
    except DuplicateKey:
        raise Conflict(_("An account for %(address)s already exists; update it or reset its password.",
                         address=address)) from None
    return _get(address)


def update_user(
    actor: Actor,
    email: str,
    *,
    role: str | None = None,
    creator_id: str | None = None,
    regions: tuple[str, ...] | list[str] | None = None,
    active: bool | None = None,
) -> User:
    """Change role, scope or the active flag. Omitted arguments keep their value (but changing
    the role resets the creator link and regions to what is given)."""
    require_admin(actor)
    current = _get(normalize_email(email))
    new_role = role or current.role
    if role and role != current.role:
        new_creator, new_regions = creator_id, tuple(regions or ())
    else:
        new_creator = creator_id if creator_id is not None else current.creator_id
        new_regions = tuple(regions) if regions is not None else current.regions
    _check_scope(new_role, new_creator, tuple(dict.fromkeys(new_regions)))
    new_active = current.active if active is None else active
    if current.email == actor.user_id and (not new_active or new_role != "admin"):
        raise PermissionDenied(_("You cannot deactivate or demote your own account; ask another admin."))
    control().execute(
        "UPDATE users SET role = ?, creator_id = ?, regions = ?, active = ?, updated_at = ? WHERE email = ?",
        [new_role, new_creator, json.dumps(list(dict.fromkeys(new_regions))), new_active, time.time(), current.email],
    )
    return _get(current.email)


def deactivate_user(actor: Actor, email: str) -> User:
    """Stop an account from signing in (its sessions end on their next page run)."""
    return update_user(actor, email, active=False)


def reset_password(actor: Actor, email: str, new_password: str) -> User:
    """Set a new password for an account and clear its failed sign-ins."""
    require_admin(actor)
    user = _get(normalize_email(email))
    control().execute(
        "UPDATE users SET password_hash = ?, updated_at = ? WHERE email = ?",
        [hash_password(new_password), time.time(), user.email],
    )
    throttle.clear_account(user.email)
    sessions.forget_user(user.email)  # a copied cookie of the old password's sign-ins signs in no more
    return user


def _refused(at_once: str, not_right: str, wait: int) -> PermissionDenied:
    """A wrong-password refusal that says when to try again: now, or after the pause it began."""
    return PermissionDenied(f"{_(not_right)} {throttle.try_again(wait)}" if wait else _(at_once))


def change_own_password(
    actor: Actor,
    old_password: str,
    new_password: str,
    *,
    client: str = "unknown",
    now: datetime | None = None,
    keep_login: str | None = None,
) -> None:
    """A signed-in user replaces their own password, proving they know the current one; every
    other sign-in of theirs ends (``keep_login``: the one making the change stays).

    Throttled like :func:`authenticate` (same keys: a wrong current password is a failed
    proof of the password): raises :class:`~control.throttle.LoginThrottled` while blocked,
    PermissionDenied saying when to try again for a wrong current password, InvalidInput for a
    new password that breaks the rules (not counted as a failure).
    """
    now = now or throttle.utcnow()
    at = throttle.attempt(actor.user_id, client)
    throttle.check(at, now)
    row = control().one("SELECT password_hash FROM users WHERE email = ? AND active", [actor.user_id])
    if not row or len(old_password) > PASSWORD_MAX or not _verify(row[0], old_password):
        raise _refused(CURRENT_PASSWORD_WRONG, _CURRENT_NOT_RIGHT, throttle.record_failure(at, now))
    new_hash = hash_password(new_password)
    throttle.record_success(at, now)
    control().execute(
        "UPDATE users SET password_hash = ?, updated_at = ? WHERE email = ?",
        [new_hash, time.time(), actor.user_id],
    )
    sessions.forget_user(actor.user_id, keep=keep_login)


def set_language(actor: Actor, email: str, language: str | None) -> User:
    """Set the language ``email``'s account reads the app in (``en``, ``fr``, ``bn``, ``ur``;
    None or "" goes back to the default of the creator's country). A user changes their own,
    an administrator anyone's (``warehouse.access.require_language``)."""
    from warehouse.i18n import LANGUAGES, supported

    address = normalize_email(email)
    require_language(actor, address)
    chosen = supported(language) if language else None
    if language and chosen is None:
        raise InvalidInput(_("Choose one of these languages: %(languages)s.", languages=", ".join(LANGUAGES)))
    user = _get(address)
    control().execute("UPDATE users SET language = ?, updated_at = ? WHERE email = ?",
                      [chosen, time.time(), user.email])
    return _get(user.email)


def list_users(actor: Actor) -> list[User]:
    """Every account, by email (admins only)."""
    require_admin(actor)
    return [_user(r) for r in control().rows(f"SELECT {_COLUMNS} FROM users ORDER BY email")]


def get_user(actor: Actor, email: str) -> User:
    require_admin(actor)
    return _get(normalize_email(email))


def authenticate(email: str, password: str, *, client: str = "unknown", now: datetime | None = None) -> Actor:
    """The Actor for a right email + password of an active account.

    Raises PermissionDenied with :data:`LOGIN_FAILED` for an unknown email, a wrong password or
    a deactivated account alike (after the same Argon2 work; when this failure began a pause,
    the message says how long instead of "try again"), and :class:`~control.throttle.LoginThrottled` while too many
    recent failures of this account from this client, or of this client on any account, block
    the attempt. ``client`` is where the attempt comes from: a key made by
    :func:`control.throttle.client_for` (an address, "localhost", an IPv6 /64).
    """
    now = now or throttle.utcnow()
    try:
        address = normalize_email(email)
    except InvalidInput:
        address = unicodedata.normalize("NFC", email).strip().lower()[:254]
    at = throttle.attempt(address, client)
    throttle.check(at, now)
    row = control().one(f"SELECT password_hash, {_COLUMNS} FROM users WHERE email = ? AND active", [address])
    if row is None or len(password) > PASSWORD_MAX:
        _verify(_dummy_hash(), password[:PASSWORD_MAX])  # the same work as checking a real account
        ok = False
    else:
        ok = _verify(row[0], password)
    if row is None or not ok:
        raise _refused(LOGIN_FAILED, _NOT_RIGHT, throttle.record_failure(at, now))
    throttle.record_success(at, now)
    new_hash = hash_password(password) if _HASHER.check_needs_rehash(row[0]) else row[0]
    control().execute("UPDATE users SET last_login_at = ?, password_hash = ? WHERE email = ?", [now, new_hash, address])
    return _user(row[1:]).actor()


def current_actor(user_id: str) -> Actor | None:
    """The Actor ``user_id`` is now (role or scope may have changed), or None when the account
    is gone or deactivated. Pages call this on every run so changes apply at once."""
    row = control().one(f"SELECT {_COLUMNS} FROM users WHERE email = ? AND active", [user_id])
    return _user(row).actor() if row else None


def create_demo_users(with_languages: bool = False) -> list[tuple[str, str, str]]:
    """Create (or reset) one demo account per role; returns [(email, password, role)].

    The creator account belongs to creator ``ng-ada`` (west-africa), which ``kasuwa demo``
    registers first; ``with_languages`` adds the Senegalese, Bangladeshi and Pakistani creators'
    accounts (``DEMO_LANGUAGE_USERS``). Re-running restores the documented passwords and scopes.
    """
    operator = Actor.operator()
    made = []
    for email, password, role, creator_id, regions in DEMO_USERS + (DEMO_LANGUAGE_USERS if with_languages else ()):
        try:
            add_user(operator, email, password, role, creator_id=creator_id, regions=regions)
        except Conflict:
            update_user(operator, email, role=role, creator_id=creator_id, regions=regions, active=True)
            reset_password(operator, email, password)
        made.append((email, password, role))
    return made
