"""Accounts on a real control database: hashing, sign-in, throttling, admin rules, the CLI."""

from __future__ import annotations

import io
import statistics
import time
import unicodedata
from datetime import timedelta

import pytest
from argon2 import Type, extract_parameters

from control import accounts, throttle
from control.db import control
from control.throttle import LoginThrottled
from warehouse.access import Actor
from warehouse.cli import main
from warehouse.creators import add_creator
from warehouse.errors import Conflict, InvalidInput, NotFound, PermissionDenied

#: every test here runs on SQLite and on a real PostgreSQL server (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("control_backend")
ADMIN = Actor.operator()
PASSWORD = "correct horse battery"


@pytest.fixture
def ada():
    return add_creator(ADMIN, "ng-ada", "NG", "Ada")


@pytest.fixture
def reviewer():
    return accounts.add_user(ADMIN, "rev@example.org", PASSWORD, "reviewer", regions=["west-africa"])


def stored_hash(email: str) -> str:
    row = control().one("SELECT password_hash FROM users WHERE email = ?", [email])
    assert row
    return row[0]


def test_password_is_hashed_with_argon2id_at_owasp_strength_or_more(reviewer):
    h = stored_hash("rev@example.org")
    params = extract_parameters(h)
    assert params.type is Type.ID
    assert params.memory_cost >= 19456 and params.time_cost >= 2 and params.parallelism >= 1
    assert PASSWORD not in h


def test_passwords_shorter_than_eight_characters_are_refused():
    with pytest.raises(InvalidInput, match="at least 8"):
        accounts.add_user(ADMIN, "a@example.org", "seven77", "admin")
    accounts.add_user(ADMIN, "a@example.org", "eight888", "admin")
    assert accounts.authenticate("a@example.org", "eight888").role == "admin"


def test_unicode_passwords_match_in_any_normal_form_and_long_ones_work():
    composed = unicodedata.normalize("NFC", "pässwörd — ọjà 市場 🔑")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    accounts.add_user(ADMIN, "u@example.org", decomposed, "admin")
    assert accounts.authenticate("u@example.org", composed).user_id == "u@example.org"
    long_one = "ẹ" * 1000
    accounts.reset_password(ADMIN, "u@example.org", long_one)
    assert accounts.authenticate("U@Example.org ", long_one).role == "admin"


def test_unknown_email_wrong_password_and_inactive_account_get_the_same_message(reviewer):
    messages = []
    for email, password in [("nobody@example.org", PASSWORD), ("rev@example.org", "wrong password")]:
        with pytest.raises(PermissionDenied) as err:
            accounts.authenticate(email, password, client="c1")
        messages.append(str(err.value))
    accounts.deactivate_user(ADMIN, "rev@example.org")
    with pytest.raises(PermissionDenied) as err:
        accounts.authenticate("rev@example.org", PASSWORD, client="c2")
    messages.append(str(err.value))
    assert len(set(messages)) == 1 and messages[0] == accounts.LOGIN_FAILED


def test_unknown_email_costs_the_same_hash_work_as_a_wrong_password(reviewer):
    def timed(email: str, i: int) -> float:
        start = time.perf_counter()
        with pytest.raises(PermissionDenied):
            accounts.authenticate(email, "wrong password", client=f"t{i}")
        return time.perf_counter() - start

    timed("nobody@example.org", 99)  # warm the dummy hash
    unknown = statistics.median(timed("nobody@example.org", i) for i in range(3))
    known = statistics.median(timed("rev@example.org", i) for i in range(3))
    assert unknown > 0.5 * known  # both run Argon2 (tens of ms), not a quick "no such user"


def test_guessing_from_one_place_is_slowed_but_the_real_user_elsewhere_signs_in(reviewer):
    t0 = throttle.utcnow()
    for i in range(throttle.PAIR_FREE_FAILURES):
        with pytest.raises(PermissionDenied) as err:
            accounts.authenticate("rev@example.org", "guess", client="attacker", now=t0 + timedelta(seconds=i))
        assert not isinstance(err.value, LoginThrottled)
    blocked_at = t0 + timedelta(seconds=throttle.PAIR_FREE_FAILURES)
    with pytest.raises(LoginThrottled) as err:  # even the right password waits
        accounts.authenticate("rev@example.org", PASSWORD, client="attacker", now=blocked_at)
    assert 0 < err.value.retry_after <= throttle.MAX_DELAY.total_seconds()
    # the real user, somewhere else, is not locked out
    assert accounts.authenticate("rev@example.org", PASSWORD, client="home", now=blocked_at).role == "reviewer"


def test_the_block_expires_and_attempts_during_it_do_not_extend_it(reviewer):
    t0 = throttle.utcnow()
    for i in range(throttle.PAIR_FREE_FAILURES):
        with pytest.raises(PermissionDenied):
            accounts.authenticate("rev@example.org", "guess", client="x", now=t0 + timedelta(seconds=i))
    last = t0 + timedelta(seconds=throttle.PAIR_FREE_FAILURES - 1)
    for s in (1, 5, 10):  # hammering while blocked changes nothing
        with pytest.raises(LoginThrottled):
            accounts.authenticate("rev@example.org", "guess", client="x", now=last + timedelta(seconds=s))
    after = last + throttle.BASE_DELAY + timedelta(seconds=1)
    assert accounts.authenticate("rev@example.org", PASSWORD, client="x", now=after).role == "reviewer"


def test_the_delay_grows_but_never_beyond_the_cap(reviewer):
    now = throttle.utcnow()
    waits: list[int] = []
    while len(waits) < 8:
        try:
            accounts.authenticate("rev@example.org", "guess", client="x", now=now)
        except LoginThrottled as exc:
            waits.append(exc.retry_after)
            now += timedelta(seconds=exc.retry_after)  # the next guess as soon as it is allowed
        except PermissionDenied:
            pass
    assert waits == sorted(waits)
    assert waits[:3] == [15, 30, 60]
    assert max(waits) == throttle.MAX_DELAY.total_seconds() == 300


def test_guessing_spread_over_many_places_never_blocks_the_owner(reviewer):
    # issue 8 §2: no account-wide lock-out (the long attack pattern is in tests/test_throttle.py)
    now = throttle.utcnow()
    for i in range(4 * throttle.CLIENT_FREE_FAILURES):
        with pytest.raises(PermissionDenied):
            accounts.authenticate("rev@example.org", "guess", client=f"bot{i}", now=now)
    assert accounts.authenticate("rev@example.org", PASSWORD, client="home", now=now).role == "reviewer"


def test_a_successful_sign_in_resets_the_count(reviewer):
    now = throttle.utcnow()
    for _ in range(2):
        for _ in range(throttle.PAIR_FREE_FAILURES - 1):
            with pytest.raises(PermissionDenied) as err:
                accounts.authenticate("rev@example.org", "typo", client="me", now=now)
            assert not isinstance(err.value, LoginThrottled)
        accounts.authenticate("rev@example.org", PASSWORD, client="me", now=now)


def test_throttling_unknown_emails_reveals_nothing():
    now = throttle.utcnow()
    for _ in range(throttle.PAIR_FREE_FAILURES):
        with pytest.raises(PermissionDenied):
            accounts.authenticate("ghost@example.org", "guess", client="x", now=now)
    with pytest.raises(LoginThrottled):
        accounts.authenticate("ghost@example.org", "guess", client="x", now=now)


def test_password_reset_clears_the_block_and_sets_the_new_password(reviewer):
    now = throttle.utcnow()
    for _ in range(throttle.PAIR_FREE_FAILURES):
        with pytest.raises(PermissionDenied):
            accounts.authenticate("rev@example.org", "guess", client="me", now=now)
    accounts.reset_password(ADMIN, "rev@example.org", "a brand new one")
    with pytest.raises(PermissionDenied):
        accounts.authenticate("rev@example.org", PASSWORD, client="me", now=now)
    assert accounts.authenticate("rev@example.org", "a brand new one", client="me", now=now)


def test_only_admins_manage_accounts(reviewer):
    rev = reviewer.actor()
    for call in (
        lambda: accounts.add_user(rev, "x@example.org", PASSWORD, "admin"),
        lambda: accounts.update_user(rev, "rev@example.org", role="admin"),
        lambda: accounts.deactivate_user(rev, "rev@example.org"),
        lambda: accounts.reset_password(rev, "rev@example.org", "new password"),
        lambda: accounts.list_users(rev),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_scope_rules_for_each_role(ada):
    with pytest.raises(InvalidInput):
        accounts.add_user(ADMIN, "c@example.org", PASSWORD, "creator")
    with pytest.raises(NotFound):
        accounts.add_user(ADMIN, "c@example.org", PASSWORD, "creator", creator_id="nobody")
    with pytest.raises(InvalidInput):
        accounts.add_user(ADMIN, "r@example.org", PASSWORD, "reviewer")
    with pytest.raises(NotFound):
        accounts.add_user(ADMIN, "r@example.org", PASSWORD, "reviewer", regions=["atlantis"])
    with pytest.raises(InvalidInput):
        accounts.add_user(ADMIN, "m@example.org", PASSWORD, "superuser")
    with pytest.raises(InvalidInput):
        accounts.add_user(ADMIN, "not an email", PASSWORD, "admin")
    creator = accounts.add_user(ADMIN, "c@example.org", PASSWORD, "creator", creator_id="ng-ada")
    assert creator.actor() == Actor("c@example.org", "creator", "ng-ada", frozenset())
    with pytest.raises(Conflict):
        accounts.add_user(ADMIN, "C@example.org", PASSWORD, "admin")


def test_deactivated_and_changed_accounts_apply_on_the_next_page_run(reviewer):
    assert accounts.current_actor("rev@example.org") == reviewer.actor()
    accounts.update_user(ADMIN, "rev@example.org", regions=["west-africa", "east-africa"])
    now = accounts.current_actor("rev@example.org")
    assert now is not None and now.regions == {"west-africa", "east-africa"}
    accounts.deactivate_user(ADMIN, "rev@example.org")
    assert accounts.current_actor("rev@example.org") is None


def test_an_admin_cannot_lock_themselves_out():
    me = accounts.add_user(ADMIN, "boss@example.org", PASSWORD, "admin").actor()
    with pytest.raises(PermissionDenied):
        accounts.deactivate_user(me, "boss@example.org")
    with pytest.raises(PermissionDenied):
        accounts.update_user(me, "boss@example.org", role="manager")


def test_demo_users_one_per_role_sign_in_and_can_be_recreated(ada):
    made = accounts.create_demo_users()
    assert sorted(role for _, _, role in made) == sorted(["creator", "reviewer", "manager", "admin"])
    for email, password, role in made:
        assert accounts.authenticate(email, password).role == role
    reviewer = accounts.authenticate("reviewer@demo.kasuwa", "demo-reviewer-2024")
    assert reviewer.regions == {"west-africa", "east-africa"}
    assert accounts.authenticate("creator@demo.kasuwa", "demo-creator-2024").creator_id == "ng-ada"
    accounts.reset_password(ADMIN, "admin@demo.kasuwa", "changed password")
    assert accounts.create_demo_users() == made  # idempotent, restores the documented passwords
    assert accounts.authenticate("admin@demo.kasuwa", "demo-admin-2024").role == "admin"


def test_cli_user_add_reads_the_password_from_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret password\n"))
    code = main(
        [
            "user",
            "add",
            "Rev@Example.org",
            "--role",
            "reviewer",
            "--region",
            "west-africa",
            "--region",
            "east-africa",
            "--password-stdin",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "rev@example.org added as reviewer" in capsys.readouterr().out
    actor = accounts.authenticate("rev@example.org", "s3cret password")
    assert actor.regions == {"west-africa", "east-africa"}


def test_cli_user_add_without_a_terminal_or_stdin_flag_refuses_with_exit_2(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["user", "add", "x@example.org", "--role", "admin"]) == 2
    assert "--password-stdin" in capsys.readouterr().err
    assert control().one("SELECT count(*) FROM users") == (0,)


def test_cli_user_add_reports_bad_input_in_one_line(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "add", "x@example.org", "--role", "admin", "--password-stdin"]) == 1
    err = capsys.readouterr().err
    assert "at least 8" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exit_:
        main(["user", "add", "x@example.org", "--role", "emperor"])
    assert exit_.value.code == 2
