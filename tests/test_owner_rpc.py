"""A region's owner process (``kasuwa serve REGION``) and the proxy cursor other processes
use through db.py: values stay bound parameters, money stays exact, a transaction spans calls
and is rolled back when its client dies, a stale run file is ignored, a wrong token is refused
in words. Real owner processes on the test's data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal

import duckdb
import pytest
from owner_support import address, owners, start_owner, stop_owner

from warehouse.db import close_all, init_all, warehouse
from warehouse.errors import ConfigError
from warehouse.owner import registry
from warehouse.owner.flight_client import OwnerClient, OwnerConnection

WA = "west-africa"
INJECTION = "x'); DROP TABLE sales; --"


@pytest.fixture
def wa_owner():
    init_all()
    with owners(WA) as procs:
        yield procs[WA]


def test_a_non_owner_reaches_the_region_through_its_owner_with_values_bound(wa_owner):
    wh = warehouse(WA)
    assert isinstance(wh.connection(), OwnerConnection)
    wh.execute("INSERT INTO fx_rates VALUES (?, ?, ?, ?)",
               [date(2025, 1, 2), "NGN", Decimal("0.0006512345"), INJECTION])
    row = wh.one("SELECT usd_rate, source, rate_date FROM fx_rates WHERE source = ?", [INJECTION])
    assert row == (Decimal("0.0006512345"), INJECTION, date(2025, 1, 2))  # data, exact, not float
    assert wh.one("SELECT count(*) FROM sales") == (0,)  # the table the string names is still there
    frame = wh.df("SELECT usd_rate FROM fx_rates")
    assert frame["usd_rate"][0] == Decimal("0.0006512345")
    named = wh.dicts("SELECT $c AS currency, sum(usd_rate) AS total FROM fx_rates WHERE currency = $c",
                     {"c": "NGN"})
    assert named == [{"currency": "NGN", "total": Decimal("0.0006512345")}]


def test_statement_errors_come_back_as_the_same_duckdb_errors(wa_owner):
    wh = warehouse(WA)
    wh.execute("INSERT INTO fx_rates VALUES ('2025-01-01', 'NGN', 0.0006, 'a')")
    with pytest.raises(duckdb.ConstraintException):
        wh.execute("INSERT INTO fx_rates VALUES ('2025-01-01', 'NGN', 0.0007, 'b')")
    with pytest.raises(duckdb.CatalogException):
        wh.rows("SELECT * FROM no_such_table")


def test_a_transaction_spans_calls_and_commits_or_rolls_back_as_one(wa_owner):
    wh = warehouse(WA)
    with wh.transaction() as cur:
        cur.execute("INSERT INTO fx_rates VALUES ('2025-01-01', 'NGN', 0.0006, 'kept')")
        assert cur.execute("SELECT count(*) FROM fx_rates").fetchone() == (1,)
        assert wh.one("SELECT count(*) FROM fx_rates") == (0,)  # not visible outside before COMMIT
    with pytest.raises(RuntimeError), wh.transaction() as cur:
        cur.execute("INSERT INTO fx_rates VALUES ('2025-01-02', 'NGN', 0.0006, 'dropped')")
        raise RuntimeError("the caller fails midway")
    assert wh.rows("SELECT source FROM fx_rates") == [("kept",)]


_DYING_CLIENT = """
import sys, time
from warehouse.db import warehouse
wh = warehouse("west-africa")
cur = wh.connection().cursor()
cur.execute("BEGIN TRANSACTION")
cur.execute("UPDATE fx_rates SET source = 'dying client' WHERE currency = 'NGN'")
print("updated", flush=True)
time.sleep(600)
"""


def test_a_transaction_is_rolled_back_when_its_client_dies(monkeypatch):
    # an owner of its own that forgets idle transactions after 2 s; the test waits for the
    # rollback as long as a loaded machine needs, so nothing here depends on timing
    monkeypatch.setenv("KASUWA_TRANSACTION_IDLE_SECONDS", "2")
    init_all()
    with owners(WA):
        wh = warehouse(WA)
        wh.execute("INSERT INTO fx_rates VALUES ('2025-01-01', 'NGN', 0.0006, 'committed')")
        client = subprocess.Popen([sys.executable, "-c", _DYING_CLIENT], stdout=subprocess.PIPE, text=True)
        try:
            assert client.stdout and client.stdout.readline().strip() == "updated"
            with pytest.raises(duckdb.TransactionException):  # the dying client's update holds the row
                wh.execute("UPDATE fx_rates SET source = 'other' WHERE currency = 'NGN'")
        finally:
            client.kill()
            client.communicate()
        deadline = time.monotonic() + 300
        while True:  # the owner finds the transaction idle and rolls it back; then the row is free
            try:
                wh.execute("UPDATE fx_rates SET source = 'after' WHERE currency = 'NGN'")
                break
            except duckdb.TransactionException:
                assert time.monotonic() < deadline, "the dead client's transaction was never rolled back"
                time.sleep(0.2)
        assert wh.rows("SELECT source FROM fx_rates") == [("after",)]


def test_a_wrong_token_is_refused_in_words(wa_owner):
    good = address(WA)
    forged = registry.OwnerAddress(WA, good.url, "not-the-token", good.pid)
    with pytest.raises(ConfigError, match="could not prove it holds this process's token"):
        OwnerClient(forged, "West Africa warehouse").job("refresh_rollups", WA)
    assert not registry.answers(forged)
    assert registry.answers(good)


def test_the_run_file_is_private_and_removed_when_the_owner_stops_cleanly():
    init_all()
    proc = start_owner(WA)
    path = registry.run_file(WA)
    try:
        assert path.stat().st_mode & 0o777 == 0o600
        assert json.loads(path.read_text())["pid"] == proc.pid
    finally:
        stop_owner(proc)
    assert proc.returncode == 0 and not path.exists()


def test_a_stale_run_file_is_ignored_and_the_file_opened_directly():
    init_all()
    close_all()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    registry.write(registry.OwnerAddress(WA, "grpc+tcp://127.0.0.1:9", "t", dead.pid))  # its process is gone
    assert registry.live_owner(WA) is None
    assert not isinstance(warehouse(WA).connection(), OwnerConnection)
    close_all()
    registry.write(registry.OwnerAddress(WA, "grpc+tcp://127.0.0.1:9", "t", os.getpid()))  # alive, not answering
    assert registry.live_owner(WA) is None
    assert warehouse(WA).owner() is None
    assert warehouse(WA).one("SELECT count(*) FROM sales") == (0,)


def test_an_owner_refuses_in_words_when_another_process_holds_the_file():
    init_all()
    warehouse(WA).connection()  # this process holds the file
    proc = subprocess.Popen([sys.executable, "-m", "warehouse.cli", "serve", WA],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "open in another Kasuwa process" in err and "Traceback" not in err


def test_job_values_cross_as_plain_values_of_the_same_types():
    from datetime import UTC, datetime, time, timedelta
    from uuid import uuid4

    from warehouse import plain
    from warehouse.access import Actor
    from warehouse.ingest.mappings import Constant, mapping_from_plain, mapping_plain

    values = [Decimal("1234567890.1234567890"), datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
              datetime(2025, 1, 2), date(2025, 1, 2), time(3, 4), timedelta(days=2, microseconds=5), b"\x00\xff",
              uuid4(), frozenset({"west-africa"}), {"a": [1, None, "x"]}, {1: "int key"}]
    back = plain.decode(json.loads(json.dumps(plain.encode(values))))
    assert back == values and [type(v) for v in back] == [type(v) for v in values]
    with pytest.raises(TypeError, match="not a plain value"):
        plain.encode(object())
    actor = Actor("rev@example.org", "reviewer", regions=frozenset({WA}))
    assert Actor.from_plain(plain.decode(json.loads(json.dumps(plain.encode(actor.plain()))))) == actor
    mapping = {"currency": Constant("NGN"), "amount": "Total"}
    again = mapping_from_plain(json.loads(json.dumps(mapping_plain(mapping))))
    assert again == mapping and type(again["currency"]) is Constant and type(again["amount"]) is str


def test_serve_all_starts_one_owner_per_region_and_stops_them_all():
    init_all()
    close_all()
    proc = subprocess.Popen([sys.executable, "-m", "warehouse.cli", "serve", "--all"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        waited = subprocess.run([sys.executable, "-m", "warehouse.cli", "owners", "--wait", "60"],
                                check=False, capture_output=True, text=True)
        assert waited.returncode == 0, waited.stdout + waited.stderr
        pids = {registry.live_owner(code).pid for code in ("west-africa", "east-africa", "south-asia")}
        assert len(pids) == 3 and proc.pid not in pids  # three processes: no region waits for another
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.count("serving ") == 3 and not list(registry.run_dir().iterdir())


def test_a_process_waits_for_a_restarted_owner_and_never_takes_the_file_meanwhile():
    from warehouse.errors import RegionUnavailable

    init_all()
    proc = start_owner(WA)
    try:
        warehouse(WA).execute("INSERT INTO fx_rates VALUES ('2025-01-01', 'NGN', 0.0006, 'before')")
    finally:
        stop_owner(proc)
    with pytest.raises(RegionUnavailable, match="owner process stopped"):
        warehouse(WA).rows("SELECT * FROM fx_rates")
    with pytest.raises(RegionUnavailable, match="owner process stopped"):  # still not opened here
        warehouse(WA).rows("SELECT * FROM fx_rates")
    proc = subprocess.Popen([sys.executable, "-m", "warehouse.cli", "serve", WA], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # not start_owner: this process keeps its state
    try:
        assert proc.stdout and "serving" in proc.stdout.readline()
        assert warehouse(WA).rows("SELECT source FROM fx_rates") == [("before",)]
    finally:
        stop_owner(proc)
