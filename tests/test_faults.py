"""Invariant 3 under SIGKILL: a ``kasuwa ingest`` child process is killed at random moments
spread over the whole ingest; every time, a fresh process opens the warehouse cleanly and finds
all of that upload or none of it, and running the same ingest again finishes the job exactly
once (then a third run says duplicate)."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import close_all

ROWS = 300_000
KILLS = 12
CREATOR = "ng-fault"
REGION = "west-africa"

#: run in a fresh process after each kill: open the warehouse through the one door, report
CHECK = """
import hashlib, json, sys
from pathlib import Path
from warehouse.db import warehouse
from warehouse.settings import settings
sha = sys.argv[1]
wh = warehouse("west-africa")
landed = settings().landing_dir / "west-africa" / sha
print(json.dumps({
    "uploads": wh.rows("SELECT upload_id, status, rows_loaded, rows_flagged, rows_skipped FROM uploads"
                       " WHERE sha256 = ? ORDER BY received_at", [sha]),
    "sales": wh.rows("SELECT upload_id, count(*) FROM sales GROUP BY 1"),
    "flagged": wh.one("SELECT count(*) FROM flagged_rows")[0],
    "skipped": wh.one("SELECT count(*) FROM skipped_rows")[0],
    "twice": wh.one("SELECT count(*) FROM (SELECT creator_id, source, order_id, line FROM sales"
                    " GROUP BY ALL HAVING count(*) > 1)")[0],
    "landed_ok": (not landed.exists()) or hashlib.sha256(landed.read_bytes()).hexdigest() == sha,
}))
"""


def write_big_csv(path: Path, rows: int) -> None:
    """A generic export with a few failing rows (negative amounts) and non-sales (failed)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("order_id,date,product,quantity,amount,currency,buyer_country,status\n")
        f.writelines(
            f"K-{i},2025-{1 + i % 12:02d}-{1 + i % 28:02d},Product {i % 50},{1 + i % 3},"
            f"{'-5.00' if i % 97 == 0 else f'{1 + i % 5000}.{i % 100:02d}'},NGN,NG,"
            f"{'failed' if i % 89 == 0 else 'paid'}\n"
            for i in range(rows)
        )


def ingest_cmd(path: Path) -> list[str]:
    return ["kasuwa", "ingest", str(path), "--creator", CREATOR, "--json"]


def run_ingest(path: Path) -> dict:
    proc = subprocess.run(ingest_cmd(path), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def check(sha: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHECK, sha], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"the warehouse did not open cleanly: {proc.stderr}"
    return json.loads(proc.stdout)


def assert_all_or_nothing(state: dict, full: dict, context: str) -> bool:
    """True when the upload is fully in, False when nothing of it is; fails on anything else."""
    loaded = [u for u in state["uploads"] if u[1] == "loaded"]
    assert len(loaded) <= 1, f"{context}: the file was loaded twice: {state['uploads']}"
    assert state["landed_ok"], f"{context}: a half-written file sits under the landing name"
    assert state["twice"] == 0, f"{context}: an order was loaded twice"
    if not loaded:
        assert (state["sales"], state["flagged"], state["skipped"]) == ([], 0, 0), (
            f"{context}: rows without their upload record: {state}"
        )
        return False
    upload_id, _status, n_loaded, n_flagged, n_skipped = loaded[0]
    assert (n_loaded, n_flagged, n_skipped) == (full["rows_loaded"], full["rows_flagged"], full["rows_skipped"])
    assert state["sales"] == [[upload_id, full["rows_loaded"]]], f"{context}: {state['sales']}"
    assert (state["flagged"], state["skipped"]) == (full["rows_flagged"], full["rows_skipped"]), context
    return True


@pytest.mark.slow
def test_sigkill_at_any_moment_leaves_all_or_nothing_and_a_rerun_finishes(tmp_path, data_dir, monkeypatch):
    add_creator(Actor.operator(), CREATOR, "NG", "Fault")
    close_all()
    template = tmp_path / "template"
    shutil.copytree(data_dir, template)
    big = tmp_path / "big.csv"
    write_big_csv(big, ROWS)
    sha = hashlib.sha256(big.read_bytes()).hexdigest()

    # one undisturbed run: the expected outcome and how long an ingest takes here
    t0 = time.perf_counter()
    full = run_ingest(big)
    duration = time.perf_counter() - t0
    assert full["status"] == "loaded" and full["rows_total"] == ROWS
    assert full["rows_flagged"] > 0 and full["rows_skipped"] > 0
    assert assert_all_or_nothing(check(sha), full, "undisturbed run")

    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    # stratified: one kill in each slice of [0, 1.05 x duration], at a random point of the slice
    moments = [duration * 1.05 * (i + rng.random()) / KILLS for i in range(KILLS)]
    outcomes = []
    for n, moment in enumerate(moments):
        run_dir = tmp_path / f"run-{n}"
        shutil.copytree(template, run_dir)
        monkeypatch.setenv("KASUWA_DATA_DIR", str(run_dir))  # inherited by the children
        context = f"kill #{n} at {moment:.2f}s of {duration:.2f}s (seed {seed})"

        child = subprocess.Popen(ingest_cmd(big), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            child.wait(timeout=moment)
            finished_first = True
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            child.wait()
            finished_first = False

        was_in = assert_all_or_nothing(check(sha), full, context)
        outcomes.append("all" if was_in else "none")
        again = run_ingest(big)
        assert again["status"] == ("duplicate" if was_in else "loaded"), context
        if not was_in:
            assert (again["rows_loaded"], again["rows_flagged"], again["rows_skipped"]) == (
                full["rows_loaded"],
                full["rows_flagged"],
                full["rows_skipped"],
            ), context
            assert run_ingest(big)["status"] == "duplicate", context
        assert assert_all_or_nothing(check(sha), full, context + ", after re-running"), context
        assert not (finished_first and not was_in), f"{context}: a finished run left nothing"
        shutil.rmtree(run_dir)

    # the kills really did land both before and after the commit
    assert "none" in outcomes, outcomes
