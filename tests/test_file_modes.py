"""Everything Kasuwa writes is private to its user (invariant 12): the data directory 0700,
the control database (every password hash), the warehouses and their WAL, landing, the session
secret 0600 — checked with stat on the files a real ingest and sign-up leave, in a process
started with a permissive umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from warehouse.settings import PROJECT_ROOT

SCRIPT = r"""
import os
os.umask(0o022)  # a permissive parent: Kasuwa's own umask must win
from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse
from warehouse.ingest import ingest_file
from control import accounts
add_creator(Actor.operator(), "ng-ada", "NG", "Ada")
ingest_file(Actor.operator(), "ng-ada", "july.csv",
            b"order_id,date,product,quantity,amount,currency,buyer_country,status\n"
            b"S-1,2025-07-01,Template,1,1500.00,NGN,NG,paid\n")
con = warehouse("west-africa").connection()
con.execute("CREATE TABLE keep_wal AS SELECT 1 AS a")  # a WAL file exists while the process lives
from app.session import session_secret
session_secret()
import pathlib, sys
for p in sorted(pathlib.Path(os.environ["KASUWA_DATA_DIR"]).rglob("*")):
    print(oct(p.stat().st_mode & 0o777), p)
"""


def test_everything_kasuwa_writes_is_private_to_its_user(tmp_path, monkeypatch):
    data = tmp_path / "data"  # made by Kasuwa itself
    monkeypatch.setenv("KASUWA_DATA_DIR", str(data))
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=PROJECT_ROOT, capture_output=True, text=True,
                         check=True).stdout
    seen = {Path(line.split(" ", 1)[1]): int(line.split(" ", 1)[0], 8) for line in out.splitlines()}
    names = {p.name for p in seen}
    assert {"control.sqlite3", "west-africa.duckdb", "west-africa.duckdb.wal", "session-secret"} <= names
    assert any(p.parent.parent.name == "landing" for p in seen)  # the kept raw file
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    loose = {str(p): oct(mode) for p, mode in seen.items() if mode & 0o077}
    assert loose == {}


def test_files_made_before_are_tightened_when_opened(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    monkeypatch.setenv("KASUWA_DATA_DIR", str(data))
    run = [sys.executable, "-c", "from warehouse.db import init_all; init_all()"]
    subprocess.run(run, cwd=PROJECT_ROOT, check=True)
    for p in (data / "control.sqlite3", data / "warehouses" / "west-africa.duckdb"):
        os.chmod(p, 0o644)
    os.chmod(data, 0o755)
    subprocess.run(run, cwd=PROJECT_ROOT, check=True)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for p in (data / "control.sqlite3", data / "warehouses" / "west-africa.duckdb"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
