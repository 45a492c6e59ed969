"""The control database (control/): sign-in sessions, the creator directory, saved columns,
languages and migrations, on SQLite and on a real PostgreSQL server (every test here runs on
both, see ``control_backend`` in tests/conftest.py); and the SQLite file's own promises (WAL,
a busy writer said in words)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import pytest
from sales_support import OP

from app import session
from control import accounts, directory, sessions
from control import db as control_db
from control import mappings as stored
from control.db import ControlBusy, control
from warehouse.access import Actor
from warehouse.creators import add_creator, get_creator, list_creators
from warehouse.errors import InvalidInput, NotFound, PermissionDenied
from warehouse.ingest import mappings
from warehouse.settings import settings

pytestmark = pytest.mark.usefixtures("control_backend")
PASSWORD = "a long enough passphrase"
HOUR = 3600.0


def test_a_fresh_database_is_migrated_once_and_migrating_again_changes_nothing(control_backend):
    versions = [v for v, _n, _p in control_db.migrations()]
    assert control_db.init() == versions  # every migration, in order, the first time
    assert control_db.init() == []
    control_db.close_all()
    assert control_db.init() == []  # and in a new connection (another process) too
    assert control().rows("SELECT version FROM schema_version ORDER BY version") == [(v,) for v in versions]
    assert control().dialect == control_backend
    if control_backend == "sqlite":  # readers never wait for a writer; the file is where the README says
        assert control().one("PRAGMA journal_mode") == ("wal",)
        assert settings().control_path.name == "control.sqlite3" and settings().control_path.exists()


def test_processes_starting_at_once_apply_each_migration_exactly_once():
    script = "import json; from control.db import init; print(json.dumps(sorted(init())))"
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(6)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [e for _o, e in outs]
    applied = [v for out, _e in outs for v in json.loads(out)]
    versions = [v for v, _n, _p in control_db.migrations()]
    assert sorted(applied) == versions  # each once, whichever process got there first
    assert control().one("SELECT count(*) FROM schema_version") == (len(versions),)


def test_the_creator_directory_keeps_each_creator_in_its_region():
    add_creator(OP, "ng-ada", "NG", "Ada")
    add_creator(OP, "bd-rahim", "bd", "Rahim")
    assert directory.creator_region("ng-ada") == "west-africa"
    assert directory.creator_country("bd-rahim") == "BD"
    assert directory.all_creators() == [("bd-rahim", "south-asia"), ("ng-ada", "west-africa")]
    add_creator(OP, "ng-ada", "GH", "Ada Okafor")  # same region: country and name change
    assert directory.creator_country("ng-ada") == "GH"
    assert get_creator(OP, "ng-ada").name == "Ada Okafor"
    with pytest.raises(InvalidInput, match="already belongs to west-africa"):
        add_creator(OP, "ng-ada", "KE")
    with pytest.raises(NotFound, match="kasuwa creator add nobody --country CC"):
        directory.creator_region("nobody")
    directory.register_many([("ke-1", "east-africa", "KE"), ("ng-ada", "east-africa", "KE")])
    assert directory.creator_region("ng-ada") == "west-africa"  # a registered creator is left as it is
    assert [c.creator_id for c in list_creators(OP, "west-africa")] == ["ng-ada"]


def test_an_account_keeps_its_scope_language_and_times():
    add_creator(OP, "sn-awa", "SN", "Awa")
    user = accounts.add_user(OP, "Awa@Example.org", PASSWORD, "creator", creator_id="sn-awa")
    assert (user.email, user.regions, user.active, user.language) == ("awa@example.org", (), True, None)
    assert user.created_at is not None and user.last_login_at is None
    rev = accounts.add_user(OP, "rev@example.org", PASSWORD, "reviewer", regions=["west-africa", "east-africa"])
    assert rev.regions == ("west-africa", "east-africa")
    assert accounts.authenticate("awa@example.org", PASSWORD).creator_id == "sn-awa"
    assert accounts.get_user(OP, "awa@example.org").last_login_at is not None
    awa = user.actor()
    assert accounts.set_language(awa, "awa@example.org", "FR").language == "fr"  # one's own
    assert accounts.set_language(OP, "awa@example.org", None).language is None  # an admin, anyone's
    with pytest.raises(PermissionDenied):
        accounts.set_language(awa, "rev@example.org", "fr")
    with pytest.raises(InvalidInput, match="Choose one of these languages"):
        accounts.set_language(awa, "awa@example.org", "xx")
    with pytest.raises(NotFound):
        accounts.set_language(OP, "nobody@example.org", "fr")


def test_two_adds_of_one_email_give_one_account_and_a_conflict_in_words():
    accounts.add_user(OP, "a@example.org", PASSWORD, "admin")
    with pytest.raises(accounts.Conflict, match="already exists"):
        accounts.add_user(OP, "A@example.org", PASSWORD, "admin")
    assert control().one("SELECT count(*) FROM users") == (1,)


def test_a_sign_in_is_shared_by_every_process_and_ends_everywhere():
    now = time.time()
    login_id, token = sessions.start("a@example.org", now=now, lifetime=12 * HOUR, token_lifetime=120, idle=HOUR)
    assert sessions.token_pending(token, now=now)
    got = sessions.redeem(token, now=now + 1, idle=HOUR)
    assert got and (got.login_id, got.email) == (login_id, "a@example.org")
    assert sessions.redeem(token, now=now + 2, idle=HOUR) is None  # once
    assert not sessions.token_pending(token, now=now + 2)
    assert control().one("SELECT count(*) FROM login_sessions WHERE token_hash IS NOT NULL") == (0,)
    # another replica (another process) reads the same sign-in
    script = ("import sys; from control import sessions;"
              "l = sessions.read(sys.argv[1], now=float(sys.argv[2]), idle=3600.0); print(l.email if l else '-')")
    out = subprocess.run([sys.executable, "-c", script, login_id, str(now + 60)], capture_output=True, text=True,
                         timeout=60, check=True).stdout.strip()
    assert out == "a@example.org"
    assert sessions.read(login_id, now=now + 60 + HOUR - 1, idle=HOUR) is not None  # the read above touched it
    assert sessions.read(login_id, now=now + 3 * HOUR, idle=HOUR) is None  # idle: forgotten for good
    assert sessions.read(login_id, now=now + 61, idle=HOUR) is None
    second, _ = sessions.start("a@example.org", now=now, lifetime=12 * HOUR, token_lifetime=120, idle=HOUR)
    sessions.forget(second)
    assert sessions.read(second, now=now, idle=HOUR) is None
    third, _ = sessions.start("a@example.org", now=now, lifetime=60, token_lifetime=120, idle=HOUR)
    assert sessions.read(third, now=now + 61, idle=HOUR) is None  # past the cookie's expiry
    assert sessions.forget_user("a@example.org") == 0


def test_the_signed_cookie_of_one_replica_works_on_another(monkeypatch):
    monkeypatch.setenv("KASUWA_SESSION_SECRET", "one secret for both replicas")
    replica_a, replica_b = session.Logins(), session.Logins()
    login, token = replica_a.start("creator@demo.kasuwa")
    value, max_age = replica_b.redeem(token)
    assert 0 < max_age <= session.COOKIE_HOURS * 3600
    assert replica_a.read(value) == (login, "creator@demo.kasuwa")
    replica_b.forget_cookie(value)  # signed out on B
    assert replica_a.read(value) is None


def test_saved_columns_are_stored_per_creator():
    add_creator(OP, "ng-ada", "NG", "Ada")
    ada = Actor("ada@example.org", "creator", creator_id="ng-ada")
    m = mappings.save_mapping(ada, "ng-ada", "my-shop", ["Ref", "Total", "When"],
                              {"order_id": "Ref", "gross": "Total", "sold_at": "When"}, {"currency": "NGN"})
    assert m.name == "my-shop"
    [back] = mappings.list_mappings(ada, "ng-ada")
    assert (back.layout, back.columns, back.constants, back.saved_by) == (
        ("Ref", "Total", "When"), {"order_id": "Ref", "gross": "Total", "sold_at": "When"}, {"currency": "NGN"},
        "ada@example.org")
    assert back.saved_at is not None
    with pytest.raises(InvalidInput, match="taken"):
        stored.insert("ng-ada", "my-shop", "generic", "[]", "{}", "{}", None)
    assert stored.names("ng-ada") == {"my-shop"}
    stored.mark_shared("ng-ada", "my-shop", "shop-layout")
    assert [r.shared_as for r in stored.stored("ng-ada", "my-shop")] == ["shop-layout"]
    assert stored.stored("someone-else") == []


def test_a_placeholder_inside_quotes_stays_text():
    assert control().one("SELECT '?', ?, '50%'", ["x"]) == ("?", "x", "50%")
    assert control().one("SELECT '50%'") == ("50%",)


def test_a_writer_held_up_too_long_is_told_in_words(control_backend, monkeypatch):
    control_db.init()
    monkeypatch.setattr(control_db, "BUSY_SECONDS", 1)
    control_db.close_all()
    if control_backend == "sqlite":
        holder = sqlite3.connect(settings().control_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    else:
        import psycopg

        holder = psycopg.connect(settings().control_url, autocommit=True)
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
    try:
        with pytest.raises(ControlBusy) as err:
            accounts.add_user(OP, "late@example.org", PASSWORD, "admin")
        assert str(err.value).startswith("Accounts and creators are being changed by another Kasuwa process")
        assert "sqlite" not in str(err.value).lower() and "lock" not in str(err.value).lower()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    accounts.add_user(OP, "late@example.org", PASSWORD, "admin")  # once it is free


def test_a_pooled_connection_the_server_dropped_is_replaced(control_backend, monkeypatch):
    if control_backend != "postgresql":
        pytest.skip("only a server drops connections (SQLite has none to drop)")
    import psycopg

    accounts.add_user(OP, "a@example.org", PASSWORD, "admin")  # leaves a connection in the pool
    with psycopg.connect(settings().control_url, autocommit=True) as admin:  # e.g. a server restart
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                      " WHERE datname = current_database() AND pid <> pg_backend_pid()")
    monkeypatch.setattr(control_db, "PING_AFTER", -1.0)
    assert [u.email for u in accounts.list_users(OP)] == ["a@example.org"]
