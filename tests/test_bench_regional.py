"""bench/regional.py runs end to end on a tiny data set and both layouts answer every query the
same (its timings are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys

from warehouse.settings import PROJECT_ROOT


def test_regional_bench_runs_and_both_layouts_give_the_same_answers(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the bench builds in a temporary folder of its own
    done = subprocess.run([sys.executable, "bench/regional.py", "--rows", "3000", "--creators", "6", "--repeat", "1"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for label in ("creator: sales summary", "creator: daily series", "creator: top products",
                  "reviewer: pending queue", "manager: regional metrics", "total"):
        assert label in out
    assert "same answers on both layouts: yes, every query" in out
    assert "central/regional" in out
