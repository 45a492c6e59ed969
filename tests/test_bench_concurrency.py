"""bench/concurrency.py runs end to end on a tiny data set with real owner processes: every
upload of both phases (two rounds at once) loads, each exactly once (its timings are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys

from warehouse.settings import PROJECT_ROOT


def test_concurrency_bench_runs_with_owners_and_loads_every_upload_once(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the bench works in a temporary folder of its own
    done = subprocess.run([sys.executable, "bench/concurrency.py", "--files", "2", "--rounds", "2", "--rows", "1500",
                           "--base-rows", "20000", "--idle-runs", "2"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    out = done.stdout
    for phase in ("parallel", "sequential"):
        line = next(x for x in out.splitlines() if x.strip().startswith(f"{phase}:") and "rows loaded" in x)
        assert "0 failed, 6,000 rows loaded" in line, line  # 2 rounds of 2 files, and as many one by one
    assert "targets: no failure: met" in out
    assert "received→queryable p50" in out and "× idle" in out
    assert not list((tmp_path).glob("kasuwa-bench-conc-*")), "the bench left its folder behind"
