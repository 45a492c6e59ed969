"""A hung PostgreSQL (issue 17, 6): with the control database's server stopped (SIGSTOP on
the postmaster and every backend), a sign-in ends with one message in words instead of waiting
as long as the client would; once the server runs again the next sign-in works, without
restarting anything. Real PostgreSQL (tests/pg_server.py), real signals."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from pg_server import postgres

from control import accounts
from control.db import ControlUnavailable
from control.db import close_all as close_control
from warehouse.access import Actor

OP = Actor.operator()


def server_processes(port: int) -> list[int]:
    """The postmaster listening on ``port`` and all its children."""
    procs: dict[int, tuple[int, str]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        procs[int(d.name)] = (ppid, cmd)
    main = [pid for pid, (_pp, cmd) in procs.items() if "postgres" in cmd and f"-p {port}" in cmd]
    assert len(main) == 1, f"no single postmaster on port {port}"
    return main + [pid for pid, (pp, _cmd) in procs.items() if pp == main[0]]


@contextmanager
def stopped(port: int) -> Iterator[None]:
    pids = server_processes(port)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


@pytest.fixture
def pg_control(monkeypatch, data_dir):
    with postgres() as url:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("CREATE DATABASE kasuwa_hung")
        monkeypatch.setenv("KASUWA_CONTROL_URL", url.rsplit("/", 1)[0] + "/kasuwa_hung")
        try:
            yield int(url.rsplit(":", 1)[1].split("/")[0])
        finally:
            close_control()


def sign_in_outcome(email: str, password: str, bound: float = 120.0) -> tuple[object, float]:
    """What a sign-in returned or raised, and the seconds it took (in a thread: a hang fails the
    test at ``bound`` instead of holding it)."""
    out: list[object] = []

    def attempt() -> None:
        try:
            out.append(accounts.authenticate(email, password))
        except Exception as exc:
            out.append(exc)

    start = time.monotonic()
    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(bound)
    assert not t.is_alive(), f"the sign-in still waits after {bound} s"
    return out[0], time.monotonic() - start


def test_a_stopped_server_costs_one_message_and_recovery_needs_no_restart(pg_control, capsys):
    accounts.add_user(OP, "ada@example.org", "a long passphrase", "admin")
    ok, _ = sign_in_outcome("ada@example.org", "a long passphrase")
    assert isinstance(ok, Actor)  # a pooled connection is kept: the hang hits it first
    with stopped(pg_control):
        failed, seconds = sign_in_outcome("ada@example.org", "a long passphrase")
        assert isinstance(failed, ControlUnavailable)
        assert "cannot be read right now" in str(failed)
        again, seconds_again = sign_in_outcome("ada@example.org", "a long passphrase")  # a fresh connection
        assert isinstance(again, ControlUnavailable)
    with capsys.disabled():
        print(f"\nhung PostgreSQL: message after {seconds:.1f} s (pooled connection), "
              f"{seconds_again:.1f} s (new connection)")
    back, _ = sign_in_outcome("ada@example.org", "a long passphrase")
    assert isinstance(back, Actor)  # the same process, nothing restarted
