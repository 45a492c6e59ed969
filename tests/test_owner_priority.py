"""Pages before jobs inside a region's owner (``warehouse/owner/priority.py``): a job runs in a
thread of its own at the lower priority and hands back its result or its exception; the
caller's thread keeps its priority; DuckDB's worker threads in a real owner process run at the
lower priority while the threads that serve statements do not."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from owner_support import owners

from warehouse.db import init_all
from warehouse.errors import FileRejected
from warehouse.owner import priority

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="thread priorities are Linux's")


def _nice(pid: int, tid: int) -> int:
    """A thread's nice value as the kernel reports it (/proc/PID/task/TID/stat, field 19)."""
    stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[16])


def test_a_job_runs_at_the_lower_priority_and_the_caller_keeps_its_own():
    caller = threading.get_native_id()
    before = _nice(os.getpid(), caller)
    assert priority.run_as_job(threading.get_native_id) != caller  # a thread of its own …
    assert _nice(os.getpid(), caller) == before  # … so the caller's priority is untouched
    assert max(before, priority.JOB_NICE) == priority.run_as_job(
        lambda: _nice(os.getpid(), threading.get_native_id()))


def test_a_jobs_result_and_exception_reach_the_caller_unchanged():
    assert priority.run_as_job(lambda a, b=0: a + b, 2, b=3) == 5
    with pytest.raises(FileRejected, match="not a sales file"):
        priority.run_as_job(lambda: (_ for _ in ()).throw(FileRejected("not a sales file")))


def test_only_threads_python_did_not_start_are_lowered():
    # in a child process: lowering is for good, and this test process's threads must keep theirs
    code = (
        "import os, threading, duckdb\n"
        "from warehouse.owner import priority\n"
        "con = duckdb.connect(); con.execute('SET threads = 2')\n"
        "con.execute('SELECT count(*) FROM range(1000000)').fetchall()\n"
        "lowered = priority.lower_engine_threads()\n"
        "print(lowered, os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) >= 1  # DuckDB's worker (at least one with two threads)
    assert int(out[1]) == os.getpriority(os.PRIO_PROCESS, 0)  # Python's own thread keeps the priority it had


def test_a_running_owner_serves_statements_at_normal_priority_and_its_engine_lower():
    init_all()
    with owners("west-africa") as procs:
        pid = procs["west-africa"].pid
        nices = {int(t): _nice(pid, int(t)) for t in os.listdir(f"/proc/{pid}/task")}
        assert nices[pid] == 0  # the main thread (and the HTTP threads it starts) serve pages
        lowered = [tid for tid, n in nices.items() if n == priority.JOB_NICE]
        assert lowered, f"no thread of the owner runs at nice {priority.JOB_NICE}: {nices}"
        assert len(lowered) < len(nices)
