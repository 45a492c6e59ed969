"""The login throttle must not become a lock-out (issue 8 §2), on a real control database.

Time is simulated: every attempt passes ``now`` (a controllable clock), nothing sleeps. The
attack-pattern tests print their figures (run with ``-s`` to see them).
"""

from __future__ import annotations

import ipaddress
import time
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher, Type
from streamlit.testing.v1 import AppTest

from app.session import ACTOR_KEY, LAST_SEEN_KEY
from control import accounts, throttle
from control.throttle import LoginThrottled, client_for, parse_proxies
from warehouse.access import Actor
from warehouse.errors import ConfigError, InvalidInput, PermissionDenied

#: every test here runs on SQLite and on a real PostgreSQL server (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("control_backend")
ADMIN = Actor.operator()
OWNER, OWNER_PASSWORD = "owner@example.org", "the owner's passphrase"
MANAGER, MANAGER_PASSWORD = "manager@example.org", "manager passphrase"
T0 = datetime.fromisoformat("2025-03-03T08:00:00+00:00")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def tick(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def quick_hashes(monkeypatch):
    """Argon2id at its cheapest, for tests that check thousands of passwords.

    What these tests measure is the throttle; the hash strength is held to OWASP's minimum by
    tests/test_accounts.py. Without this one sign-in costs ~30 ms of Argon2 alone.
    """
    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID))
    accounts._dummy_hash.cache_clear()
    yield
    accounts._dummy_hash.cache_clear()


@pytest.fixture
def owner():
    return accounts.add_user(ADMIN, OWNER, OWNER_PASSWORD, "manager")


@pytest.fixture
def manager():
    return accounts.add_user(ADMIN, MANAGER, MANAGER_PASSWORD, "manager")


def sign_in(email: str, password: str, client: str, now: datetime) -> bool:
    """True when the sign-in got through; False when refused (wrong password or throttled)."""
    try:
        accounts.authenticate(email, password, client=client, now=now)
    except PermissionDenied:
        return False
    return True


def changing_address(i: int) -> str:
    """A different address for every probe: 198.18.0.0/15 holds 131,072 of them."""
    return str(ipaddress.IPv4Address("198.18.0.0") + i)


def probe_with_owner_signing_in(minutes: int, attacker_address, owner_client: str) -> dict[str, int]:
    """Probe OWNER once a second for ``minutes``; the owner signs in once a minute meanwhile."""
    clock = Clock()
    figures = {"probes": 0, "probes_checked": 0, "owner_tries": 0, "owner_in": 0}
    for second in range(minutes * 60):
        now = clock.tick(1)
        figures["probes"] += 1
        try:
            accounts.authenticate(OWNER, f"guess {second}", client=attacker_address(second), now=now)
        except LoginThrottled:
            pass  # refused before the password was even looked at
        except PermissionDenied:
            figures["probes_checked"] += 1
        if second % 60 == 59:
            figures["owner_tries"] += 1
            figures["owner_in"] += sign_in(OWNER, OWNER_PASSWORD, owner_client, now)
    return figures


# --- the attack pattern: probing an account from changing addresses ---------------------------


def test_probing_once_a_second_from_changing_addresses_never_keeps_the_owner_out(quick_hashes, owner):
    figures = probe_with_owner_signing_in(10, changing_address, owner_client="203.0.113.7")
    print(f"\nnew address every second, 10 min: {figures}")
    assert figures["owner_tries"] == 10
    assert figures["owner_in"] == figures["owner_tries"]  # every one of the owner's sign-ins
    later = T0 + timedelta(minutes=10, seconds=1)
    assert sign_in(OWNER, OWNER_PASSWORD, "192.0.2.200", later)  # and from a hotel, first visit


def test_probing_from_a_few_rotating_addresses_blocks_those_addresses_not_the_owner(quick_hashes, owner):
    pool = [f"198.51.100.{n}" for n in range(10)]
    figures = probe_with_owner_signing_in(30, lambda i: pool[i % len(pool)], owner_client="203.0.113.7")
    print(f"\n10 rotating addresses, 30 min: {figures}")
    assert figures["owner_in"] == figures["owner_tries"] == 30
    # each address: 5 free guesses, then pauses of 15 s, 30 s, … 5 min: 14 checked in 30 min
    assert figures["probes_checked"] <= len(pool) * 14


# --- the shared proxy / localhost pattern ------------------------------------------------------


def test_twenty_failures_on_random_emails_from_the_users_own_address_do_not_lock_out_the_manager(manager):
    clock = Clock()
    shared = "localhost"  # or the office proxy's address: everyone behind it is one client
    assert sign_in(MANAGER, MANAGER_PASSWORD, shared, clock.now)  # yesterday, as every day
    clock.tick(86400)
    for n in range(throttle.CLIENT_FREE_FAILURES):
        assert not sign_in(f"random{n}@example.org", "password1", shared, clock.tick(1))
    with pytest.raises(LoginThrottled, match="Try again in"):  # the global back-off is on
        accounts.authenticate("random-next@example.org", "password1", client=shared, now=clock.tick(1))
    assert sign_in(MANAGER, MANAGER_PASSWORD, shared, clock.tick(1))  # ... yet the manager gets in
    assert sign_in(MANAGER, MANAGER_PASSWORD, "203.0.113.50", clock.now)  # and from anywhere else


def test_the_global_back_off_stays_on_the_sprayer_after_the_manager_signs_in(manager):
    clock = Clock()
    assert sign_in(MANAGER, MANAGER_PASSWORD, "localhost", clock.now)
    for n in range(throttle.CLIENT_FREE_FAILURES):
        sign_in(f"random{n}@example.org", "password1", "localhost", clock.tick(1))
    assert sign_in(MANAGER, MANAGER_PASSWORD, "localhost", clock.tick(1))
    with pytest.raises(LoginThrottled):  # the manager's success bought the sprayer nothing
        accounts.authenticate("random-more@example.org", "password1", client="localhost", now=clock.tick(1))


def test_a_first_sign_in_from_a_client_in_back_off_waits_at_most_the_cap_and_is_told_how_long(manager):
    # the one case the throttle cannot tell apart from the sprayer: never seen here, same address
    clock = Clock()
    for n in range(throttle.CLIENT_FREE_FAILURES):
        sign_in(f"random{n}@example.org", "password1", "10.9.9.9", clock.tick(1))
    with pytest.raises(LoginThrottled) as err:
        accounts.authenticate(MANAGER, MANAGER_PASSWORD, client="10.9.9.9", now=clock.tick(1))
    assert err.value.retry_after <= throttle.MAX_DELAY.total_seconds()
    assert "Try again in" in str(err.value)
    assert sign_in(MANAGER, MANAGER_PASSWORD, "10.9.9.9", clock.tick(err.value.retry_after))


# --- every refusal says when to try again ------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "1 second"), (15, "15 seconds"), (59, "59 seconds"), (60, "1 minute"), (61, "2 minutes"), (300, "5 minutes")],
)
def test_waits_are_said_in_plain_words(seconds, words):
    assert throttle.wait_words(seconds) == words
    assert throttle.try_again(seconds) == f"Too many attempts. Try again in {words}."


def test_each_refusal_of_a_sign_in_says_when_to_try_again(manager):
    clock = Clock()
    messages = []
    for _ in range(throttle.PAIR_FREE_FAILURES + 1):
        try:
            accounts.authenticate(MANAGER, "wrong password", client="192.0.2.1", now=clock.tick(1))
        except PermissionDenied as exc:
            messages.append(str(exc))
    assert messages[:4] == [accounts.LOGIN_FAILED] * 4
    assert "try again" in accounts.LOGIN_FAILED
    assert messages[4] == "The email or password is not right. Too many attempts. Try again in 15 seconds."
    assert messages[5].startswith("Too many attempts. Try again in 14 seconds.")
    clock.tick(15)
    with pytest.raises(PermissionDenied) as err:  # the pause is over: the next failure doubles it
        accounts.authenticate(MANAGER, "wrong password", client="192.0.2.1", now=clock.now)
    assert str(err.value).endswith("Try again in 30 seconds.")


def _login_script() -> None:
    from app.login import login_page

    login_page()


def test_the_sign_in_page_tells_how_long_to_wait(manager):
    at = AppTest.from_function(_login_script, default_timeout=60).run()
    for _ in range(throttle.PAIR_FREE_FAILURES + 1):
        at.text_input[0].input(MANAGER)
        at.text_input[1].input("wrong password")
        at.button[0].click().run()
    shown = " ".join(e.value for e in at.error)
    assert "Too many attempts" in shown and "Try again in" in shown
    assert not at.exception


# --- the password-change form ------------------------------------------------------------------


def test_guessing_the_current_password_on_the_change_form_is_throttled_like_a_sign_in(manager):
    me = manager.actor()
    clock = Clock()
    for n in range(throttle.PAIR_FREE_FAILURES):
        with pytest.raises(PermissionDenied) as err:
            accounts.change_own_password(me, f"guess {n}", "new passphrase", client="192.0.2.9", now=clock.tick(1))
        assert not isinstance(err.value, LoginThrottled)
    assert str(err.value).endswith("Try again in 15 seconds.")
    with pytest.raises(LoginThrottled, match="Try again in"):  # even the right one waits now
        accounts.change_own_password(me, MANAGER_PASSWORD, "new passphrase", client="192.0.2.9", now=clock.tick(1))
    # the same pair as the sign-in: this place may not sign in to this account either …
    assert not sign_in(MANAGER, MANAGER_PASSWORD, "192.0.2.9", clock.now)
    # … while the owner elsewhere can, and here once the pause is over
    assert sign_in(MANAGER, MANAGER_PASSWORD, "203.0.113.1", clock.now)
    accounts.change_own_password(me, MANAGER_PASSWORD, "new passphrase", client="192.0.2.9", now=clock.tick(15))
    assert sign_in(MANAGER, "new passphrase", "192.0.2.9", clock.now)


def test_a_bad_new_password_is_not_counted_as_a_failure(manager):
    me = manager.actor()
    clock = Clock()
    for _ in range(3 * throttle.PAIR_FREE_FAILURES):
        with pytest.raises(InvalidInput, match="at least 8"):
            accounts.change_own_password(me, MANAGER_PASSWORD, "short", client="192.0.2.9", now=clock.tick(1))
    accounts.change_own_password(me, MANAGER_PASSWORD, "long enough now", client="192.0.2.9", now=clock.tick(1))


def _account_script() -> None:
    from app.login import account_page

    account_page()


def test_the_account_page_throttles_and_says_when_to_try_again(manager):
    at = AppTest.from_function(_account_script, default_timeout=60)
    at.session_state[ACTOR_KEY] = manager.actor()
    at.session_state[LAST_SEEN_KEY] = time.time()
    at.run()
    for n in range(throttle.PAIR_FREE_FAILURES + 1):
        at.text_input[0].input(f"guess number {n}")
        at.text_input[1].input("a new passphrase")
        at.text_input[2].input("a new passphrase")
        next(b for b in at.button if b.label == "Change password").click().run()
    shown = " ".join(e.value for e in at.error)
    assert "Too many attempts" in shown and "Try again in" in shown
    assert not at.success
    with pytest.raises(LoginThrottled):  # the page's client ("localhost" without a browser)
        accounts.authenticate(MANAGER, MANAGER_PASSWORD, client="localhost")


# --- client addresses: forwarding headers only from a declared proxy ---------------------------

PROXY = parse_proxies(["10.0.0.5"])


def test_a_forwarding_header_from_a_client_that_is_no_trusted_proxy_is_ignored():
    for name in throttle.PROXY_HEADERS:
        spoof = {name: ["for=6.6.6.6" if name == "Forwarded" else "6.6.6.6"]}
        assert client_for("203.0.113.9", spoof) == "203.0.113.9"
        assert client_for("203.0.113.9", spoof, PROXY, name) == "203.0.113.9"  # not from the proxy


def test_a_spoofed_header_on_localhost_stays_localhost_even_after_streamlits_server_rewrote_it():
    # Streamlit's server (uvicorn) trusts loopback and reports the header's address instead of
    # the peer; st.context.ip_address gives None for loopback itself
    assert client_for(None, {"X-Forwarded-For": ["6.6.6.6"]}) == "localhost"
    assert client_for("6.6.6.6", {"X-Forwarded-For": ["6.6.6.6"]}) == "localhost"
    assert client_for("6.6.6.6", {"X-Forwarded-For": ["1.1.1.1, 6.6.6.6:443"]}) == "localhost"
    assert client_for(None, {}) == "localhost"


def test_rotating_a_spoofed_header_does_not_get_around_the_block(manager):
    clock = Clock()
    refused_by_throttle = 0
    for n in range(50):
        fake = f"100.64.{n}.1"
        client = client_for(fake, {"X-Forwarded-For": [fake]})  # as uvicorn reports it
        try:
            accounts.authenticate(MANAGER, "guess", client=client, now=clock.tick(1))
        except LoginThrottled:
            refused_by_throttle += 1
        except PermissionDenied:
            pass
    assert refused_by_throttle >= 40


def test_behind_a_declared_proxy_the_rightmost_untrusted_hop_is_the_client():
    xff = {"X-Forwarded-For": ["6.6.6.6, 198.51.100.7"]}  # the client sent 6.6.6.6 itself
    assert client_for("10.0.0.5", xff, PROXY) == "198.51.100.7"
    chain = parse_proxies(["10.0.0.0/24", "192.168.1.1"])
    xff = {"X-Forwarded-For": ["6.6.6.6, 198.51.100.7", "192.168.1.1, 10.0.0.3"]}  # two headers
    assert client_for("10.0.0.5", xff, chain) == "198.51.100.7"
    assert client_for("10.0.0.5", {"X-Forwarded-For": ["10.0.0.1, 10.0.0.3"]}, chain) == "10.0.0.1"
    assert client_for("10.0.0.5", {}, PROXY) == "10.0.0.5"  # a proxy that forwards nothing
    assert client_for("10.0.0.5", {"X-Forwarded-For": ["unknown"]}, PROXY) == "10.0.0.5"
    local = parse_proxies(["127.0.0.1"])
    assert client_for("198.51.100.7", {"X-Forwarded-For": ["198.51.100.7"]}, local) == "198.51.100.7"


def test_forwarded_and_x_real_ip_when_the_proxy_writes_those():
    fwd = {"Forwarded": ['for=6.6.6.6, for=192.0.2.60;proto=https;by=10.0.0.5']}
    assert client_for("10.0.0.5", fwd, PROXY, "Forwarded") == "192.0.2.60"
    fwd6 = {"Forwarded": ['for="[2001:db8:cafe::17]:4711"']}
    assert client_for("10.0.0.5", fwd6, PROXY, "Forwarded") == "2001:db8:cafe::/64"
    assert client_for("10.0.0.5", {"X-Real-IP": ["192.0.2.61"]}, PROXY, "X-Real-IP") == "192.0.2.61"
    # the header the proxy does not write is the client's own: ignored
    assert client_for("10.0.0.5", {"X-Real-IP": ["6.6.6.6"]}, PROXY, "X-Forwarded-For") == "10.0.0.5"


def test_ipv6_clients_are_one_place_per_64_and_mapped_ipv4_is_ipv4():
    assert client_for("2001:db8:1:2::1", {}) == client_for("2001:db8:1:2:ffff::9", {}) == "2001:db8:1:2::/64"
    assert client_for("2001:db8:1:3::1", {}) != client_for("2001:db8:1:2::1", {})
    assert client_for("::ffff:198.51.100.7", {}) == "198.51.100.7"
    assert client_for("::1", {}) == "localhost"


def test_the_trusted_proxies_setting_is_read_and_checked(monkeypatch):
    monkeypatch.setenv("KASUWA_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16")
    xff = {"X-Forwarded-For": ["198.51.100.7"]}
    assert throttle.client_of_request("10.1.2.3", xff) == "198.51.100.7"
    assert throttle.client_of_request("10.2.0.1", xff) == "10.2.0.1"
    monkeypatch.delenv("KASUWA_TRUSTED_PROXIES")  # the default: no proxy, headers ignored
    assert throttle.client_of_request("10.1.2.3", xff) == "10.1.2.3"
    monkeypatch.setenv("KASUWA_TRUSTED_PROXIES", "10.0.0.5, my-proxy")
    with pytest.raises(ConfigError, match=r"'my-proxy'.*not an address"):
        throttle.client_of_request("10.1.2.3", xff)
    monkeypatch.setenv("KASUWA_TRUSTED_PROXIES", "10.0.0.5")
    monkeypatch.setenv("KASUWA_PROXY_HEADER", "X-Client")
    with pytest.raises(ConfigError, match="KASUWA_PROXY_HEADER"):
        throttle.client_of_request("10.0.0.5", xff)
    monkeypatch.setenv("KASUWA_PROXY_HEADER", "x-real-ip")
    assert throttle.client_of_request("10.0.0.5", {"X-Real-IP": ["192.0.2.5"]}) == "192.0.2.5"
