"""Memory bounded by design (invariant 13, warehouse/ingest/guard.py): the pathological files of
issue 17 are refused before Great Expectations sees them, and the process doing the work stays
far under 1.5 GB. The 4 MB file of 2M one-character lines runs in its own process whose peak
memory is read from the kernel (``wait4``)."""

from __future__ import annotations

import os
import subprocess
import sys

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.ingest import ingest_file
from warehouse.settings import PROJECT_ROOT

OP = Actor.operator()
HEADER = b"order_id,date,product,quantity,amount,currency,buyer_country,status\n"
LIMIT_KB = 1536 * 1024

INGEST = r"""
import json, sys
from pathlib import Path
from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.ingest import ingest_file
add_creator(Actor.operator(), "ng-ada", "NG", "Ada")
r = ingest_file(Actor.operator(), "ng-ada", "ones.csv", Path(sys.argv[1]))
print(json.dumps({"status": r.status, "message": r.message}))
"""


def test_a_4_mb_file_of_2m_one_character_lines_is_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "ones.csv"
    path.write_bytes(HEADER + b"a\n" * 2_000_000)
    proc = subprocess.Popen([sys.executable, "-c", INGEST, str(path)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    with proc.stdout:
        out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    assert os.waitstatus_to_exitcode(status) == 0
    assert '"status": "rejected"' in out and "too short to be sales" in out
    peak_mb = usage.ru_maxrss / 1024
    print(f"\npeak RSS for the 4 MB file of 2M one-character lines: {peak_mb:.0f} MB")
    assert usage.ru_maxrss < LIMIT_KB


def test_rows_that_surely_fail_are_counted_in_sql_before_validation():
    add_creator(OP, "ng-ada", "NG", "Ada")
    rows = b"".join(b"%d,2025-07-01,T,1,1500.00,XXX,NG,paid\n" % i for i in range(30_000))
    result = ingest_file(OP, "ng-ada", "bad-currency.csv", HEADER + rows)
    assert result.status == "rejected"
    assert "30,000 of its 30,000 rows would need a reviewer" in result.message
    assert "(30,000 rows)" in result.message


def test_a_good_file_passes_the_guard():
    add_creator(OP, "ng-ada", "NG", "Ada")
    rows = b"".join(b"G-%d,2025-07-01,Template,1,1500.00,NGN,NG,paid\n" % i for i in range(20))
    result = ingest_file(OP, "ng-ada", "good.csv", HEADER + rows)
    assert result.status == "loaded" and result.rows_loaded == 20
