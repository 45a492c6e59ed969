"""Many Kasuwa processes on one control database at once (issue 9 §2), on SQLite and on a real
PostgreSQL server: commands succeed while another process (an app) holds a connection open,
parallel ``kasuwa user add`` / ``creator add`` all succeed, and processes counting failed
sign-ins at the same time lose no count. Real processes, no sleeps, no timed assertions."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sales_support import OP

from control import accounts, directory, throttle
from control.db import control
from warehouse.creators import add_creator
from warehouse.db import close_all

pytestmark = pytest.mark.usefixtures("control_backend")
PASSWORD = "a long enough passphrase"

#: a process that keeps a control connection open (as the running app does) until told to stop
HOLDER = """
import sys
from control import accounts, directory
from control.db import control
directory.all_creators(); accounts.current_actor("nobody@example.org")
with control().transaction() as cur:
    cur.execute("SELECT count(*) FROM users")
print("ready", flush=True)
sys.stdin.readline()
print(len(directory.all_creators()), flush=True)
"""

#: count ``n`` failed attempts for one account from one place, all processes starting together
FAILER = """
import sys
from datetime import datetime, UTC
from control import throttle
n, email = int(sys.argv[1]), sys.argv[2]
print("ready", flush=True)
sys.stdin.readline()
now = datetime.fromisoformat(sys.argv[3])
at = throttle.attempt(email, "203.0.113.9")
for _ in range(n):
    throttle.record_failure(at, now)
print("done", flush=True)
"""

#: sign in ``n`` times with the right password, all processes starting together
SIGNER = """
import sys
from control import accounts
print("ready", flush=True)
sys.stdin.readline()
for _ in range(int(sys.argv[1])):
    assert accounts.authenticate(sys.argv[2], sys.argv[3], client=sys.argv[4]).role == "admin"
print("done", flush=True)
"""


def kasuwa(*args: str, password: str | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(["kasuwa", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(procs: list[subprocess.Popen[str]], inputs: list[str | None] | None = None) -> list[tuple[int, str, str]]:
    out = []
    for i, p in enumerate(procs):
        stdout, stderr = p.communicate(input=(inputs or [None] * len(procs))[i], timeout=180)
        out.append((p.returncode, stdout, stderr))
    return out


def started_together(script: str, argvs: list[list[str]]) -> list[tuple[int, str, str]]:
    """Run ``script`` once per argv; each waits for a line on stdin after saying "ready", so
    they all begin their work at the same moment."""
    procs = [subprocess.Popen([sys.executable, "-c", script, *argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for argv in argvs]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready", p.stderr.read() if p.stderr else ""
    return finish(procs, ["go\n"] * len(procs))


def test_commands_succeed_while_another_process_holds_a_control_connection():
    add_creator(OP, "ng-ada", "NG", "Ada")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        [(code, out, err)] = finish([kasuwa("creator", "add", "ke-wanjiru", "--country", "KE")])
        assert code == 0, err
        [(code, out, err)] = finish([kasuwa("user", "add", "ada@example.org", "--role", "creator",
                                            "--creator", "ng-ada", "--password-stdin")], [PASSWORD + "\n"])
        assert (code, out.strip()) == (0, "user ada@example.org added as creator for creator ng-ada"), err
    finally:
        held_out, held_err = holder.communicate("stop\n", timeout=60)
    assert holder.returncode == 0, held_err
    assert held_out.strip() == "2"  # the holder sees the creator the other process added
    assert accounts.authenticate("ada@example.org", PASSWORD).creator_id == "ng-ada"


def test_parallel_user_and_creator_adds_all_succeed():
    add_creator(OP, "ng-ada", "NG", "Ada")
    close_all()  # this process lets go of west-africa's warehouse file (DuckDB: one writing process)
    users = [kasuwa("user", "add", f"user{i}@example.org", "--role", "creator" if i % 2 else "reviewer",
                    *(["--creator", "ng-ada"] if i % 2 else ["--region", "east-africa"]), "--password-stdin")
             for i in range(8)]
    # one creator per region: the regions' own warehouses are separate files, the directory is shared
    creators = [kasuwa("creator", "add", cid, "--country", cc) for cid, cc in
                (("gh-kofi", "GH"), ("ke-wanjiru", "KE"), ("bd-rahim", "BD"))]
    results = finish(users + creators, [PASSWORD + "\n"] * 8 + [None] * 3)
    assert [code for code, _o, _e in results] == [0] * 11, [e for _c, _o, e in results if e]
    listed = accounts.list_users(OP)
    assert sorted(u.email for u in listed) == sorted(f"user{i}@example.org" for i in range(8))
    assert directory.all_creators() == [("bd-rahim", "south-asia"), ("gh-kofi", "west-africa"),
                                        ("ke-wanjiru", "east-africa"), ("ng-ada", "west-africa")]


def test_processes_failing_at_once_lose_no_count():
    now = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    results = started_together(FAILER, [["15", "target@example.org", now.isoformat()]] * 4)
    assert [code for code, _o, _e in results] == [0] * 4, [e for _c, _o, e in results]
    counts = dict(control().rows("SELECT throttle_key, failures FROM login_throttle"))
    assert counts == {"pair:target@example.org|203.0.113.9": 60, "client:203.0.113.9": 60}
    with pytest.raises(throttle.LoginThrottled):  # and the pause follows from the whole count
        throttle.check(throttle.attempt("target@example.org", "203.0.113.9"), now)


def test_processes_signing_in_at_once_all_get_in():
    accounts.add_user(OP, "boss@example.org", PASSWORD, "admin")
    results = started_together(SIGNER, [["3", "boss@example.org", PASSWORD, f"198.51.100.{i}"] for i in range(4)])
    assert [code for code, _o, _e in results] == [0] * 4, [e for _c, _o, e in results]
    places = control().rows("SELECT client FROM login_places WHERE email = ? ORDER BY client", ["boss@example.org"])
    assert places == [(f"198.51.100.{i}",) for i in range(4)]
