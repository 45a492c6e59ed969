"""A payout run killed midway is never recorded as finished; the next run says so (issue 8).

The run is a real ``kasuwa payouts run`` process on a real warehouse, stopped by a real signal.
To stop it at a known point, the child wraps ``runs._record`` (called once per creator, inside
that creator's transaction) so that it prints a line and, at the third creator, waits there: the
signal then lands with two creators settled and the third one's transaction open.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import date

import pytest
from payouts_support import creator, sale

from warehouse.db import close_all, warehouse

AS_OF = "2026-03-13"
N = 6

CHILD = """
import sys, time
import warehouse.payouts.runs as runs
from warehouse.cli import main
real, seen = runs._record, [0]
def record(cur, run_id, d):
    real(cur, run_id, d)
    seen[0] += 1
    print("decided", d.creator_id, flush=True)
    if seen[0] == 3:
        time.sleep(120)
runs._record = record
sys.exit(main(["payouts", "run", "--region", sys.argv[1], "--as-of", sys.argv[2]]))
"""


@pytest.fixture
def region() -> str:
    r = ""
    for i in range(N):
        r = creator(f"c{i}", "NG", "paystack")
        sale(r, f"c{i}", f"s{i}", date(2026, 3, 11), "5000.00", "NGN", fees="175.00")
    return r


def stop_after_three(region: str, sig: signal.Signals) -> subprocess.CompletedProcess[str]:
    close_all()  # one writing process per DuckDB file
    with subprocess.Popen([sys.executable, "-c", CHILD, region, AS_OF], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout and proc.stderr
        lines = [proc.stdout.readline() for _ in range(3)]
        assert all(line.startswith("decided") for line in lines), lines
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "".join(lines) + out, err)


def runs(region: str) -> list[tuple]:
    return warehouse(region).rows(
        "SELECT run_id, status, payouts_made, noticed_by FROM payout_runs ORDER BY started_at")


def run_again(region: str) -> subprocess.CompletedProcess[str]:
    close_all()
    return subprocess.run(["kasuwa", "payouts", "run", "--region", region, "--as-of", AS_OF, "--json"],
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_run_killed_midway_is_not_finished_and_the_next_run_says_so(region):
    stop_after_three(region, signal.SIGKILL)
    first = f"{region}:{AS_OF}:1"
    assert runs(region) == [(first, "running", 0, None)]  # not recorded as finished
    assert warehouse(region).one("SELECT count(*) FROM payouts") == (2,)  # the third never committed

    proc = run_again(region)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    [earlier] = summary["interrupted_runs"]
    assert (earlier["run_id"], earlier["decided"], earlier["payouts_made"]) == (first, 2, 2)
    assert "was interrupted after deciding for 2 creator(s)" in earlier["message"]
    assert summary["payouts"] == N - 2  # the rest, nothing twice
    second = f"{region}:{AS_OF}:2"
    assert runs(region) == [(first, "interrupted", 2, second), (second, "finished", N - 2, None)]
    assert warehouse(region).one("SELECT count(DISTINCT creator_id), count(*) FROM payouts") == (N, N)

    # said once: the run after that has nothing to report
    third = run_again(region)
    assert json.loads(third.stdout.splitlines()[-1])["interrupted_runs"] == []


def test_sigterm_marks_the_run_interrupted_at_once(region):
    proc = stop_after_three(region, signal.SIGTERM)
    assert proc.returncode == 143, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    first = f"{region}:{AS_OF}:1"
    assert runs(region) == [(first, "interrupted", 2, None)]
    close_all()
    text = subprocess.run(["kasuwa", "payouts", "run", "--region", region, "--as-of", AS_OF],
                          capture_output=True, text=True, timeout=120, check=False)
    assert text.returncode == 0, text.stderr
    note = text.stdout.splitlines()[0]
    assert note.startswith(f"note: Run {first} (as of {AS_OF}, started ")
    assert "its 2 payout(s) stand and nothing is paid twice" in note
    assert warehouse(region).one("SELECT count(*) FROM payouts") == (N,)


def test_a_finished_run_is_recorded_as_finished(region):
    from warehouse.access import Actor
    from warehouse.payouts.runs import run_payouts

    result = run_payouts(Actor.operator(), region, date.fromisoformat(AS_OF))
    assert result.interrupted == [] and len(result.payouts) == N
    assert runs(region) == [(f"{region}:{AS_OF}:1", "finished", N, None)]
