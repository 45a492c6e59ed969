"""Sessions end when they should, everywhere (issue 17, 2): a password change ends the user's
other sign-ins, an admin's reset ends them all, a copied cookie then signs in no more, and
signing out in one tab (or on one replica: they share the control database) ends every other
session of that sign-in on its next page run — checked against the stored sign-in, not only
the signed cookie."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.session import ACTOR_KEY, LOGIN_KEY, Logins
from control import accounts, sessions
from warehouse.access import Actor
from warehouse.creators import add_creator

ROOT = Path(__file__).resolve().parent.parent
MAIN = str(ROOT / "app" / "main.py")
OP = Actor.operator()
DEMO = {role: (email, password) for email, password, role, _, _ in accounts.DEMO_USERS}


@pytest.fixture
def users():
    add_creator(OP, "ng-ada", "NG", "Ada")
    add_creator(OP, "ke-wanjiru", "KE", "Wanjiru")
    accounts.create_demo_users()


def cookie_for(email: str) -> str:
    """A signed cookie of a new sign-in of ``email``, as the browser holds it."""
    logins = Logins()
    _login, token = logins.start(email)
    redeemed = logins.redeem(token)
    assert redeemed is not None
    return redeemed[0]


def test_an_admin_reset_ends_every_sign_in_and_a_copied_cookie_signs_in_no_more(users):
    email = DEMO["manager"][0]
    cookies = [cookie_for(email), cookie_for(email)]
    assert all(Logins().read(c) for c in cookies)
    accounts.reset_password(OP, email, "a brand new passphrase")
    assert [Logins().read(c) for c in cookies] == [None, None]


def test_changing_ones_password_ends_every_other_sign_in(users):
    email, password = DEMO["reviewer"]
    here, elsewhere = cookie_for(email), cookie_for(email)
    here_id = Logins().read(here)[0]  # type: ignore[index]
    accounts.change_own_password(accounts.current_actor(email), password, "another passphrase 1",
                                 keep_login=here_id)
    assert Logins().read(here) is not None
    assert Logins().read(elsewhere) is None


def signed_in_tab(role: str) -> AppTest:
    """A browser tab that signed in through the form (a stored sign-in behind it)."""
    at = AppTest.from_file(MAIN, default_timeout=60).run()
    email, password = DEMO[role]
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert ACTOR_KEY in at.session_state and isinstance(at.session_state[LOGIN_KEY], str)
    return at


def second_tab_of(first: AppTest) -> AppTest:
    """Another tab (or replica) carrying the same sign-in, as the cookie brings it."""
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state[ACTOR_KEY] = first.session_state[ACTOR_KEY]
    at.session_state[LOGIN_KEY] = first.session_state[LOGIN_KEY]
    at.session_state["kasuwa_last_seen"] = first.session_state["kasuwa_last_seen"]
    return at.run()


def test_signing_out_in_one_tab_ends_the_other_on_its_next_page_run(users):
    first = signed_in_tab("reviewer")
    other = second_tab_of(first)
    assert ACTOR_KEY in other.session_state
    next(b for b in first.sidebar.button if b.label == "Sign out").click().run()
    other.run()
    assert ACTOR_KEY not in other.session_state
    assert [t.label for t in other.text_input] == ["Email", "Password"]


def test_a_reset_ends_an_open_session_on_its_next_page_run(users):
    tab = signed_in_tab("manager")
    accounts.reset_password(OP, DEMO["manager"][0], "a brand new passphrase")
    tab.run()
    assert ACTOR_KEY not in tab.session_state
    assert not sessions.alive("no-such-login")


def test_signing_out_on_another_replica_ends_this_session_on_its_next_request(control_backend):
    """Another app process (a replica on the same control database, SQLite or PostgreSQL) ends
    the sign-in, as its sign-out route does (``LOGINS.forget_cookie``); this one notices at once."""
    import subprocess
    import sys

    add_creator(OP, "ng-ada", "NG", "Ada")
    add_creator(OP, "ke-wanjiru", "KE", "Wanjiru")
    accounts.create_demo_users()
    tab = signed_in_tab("reviewer")
    cookie = Logins()._sign(tab.session_state[LOGIN_KEY], int(sessions.read(
        tab.session_state[LOGIN_KEY], now=0, idle=1e12, touch=False).expires))  # type: ignore[union-attr]
    other = subprocess.run([sys.executable, "-c", "import sys; from app.session import LOGINS; "
                            "LOGINS.forget_cookie(sys.argv[1])", cookie], cwd=ROOT, capture_output=True, text=True,
                           check=False)
    assert other.returncode == 0, other.stderr
    tab.run()
    assert ACTOR_KEY not in tab.session_state
    assert [t.label for t in tab.text_input] == ["Email", "Password"]
