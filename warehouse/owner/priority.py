"""Pages before jobs, inside an owner: the statements of pages people are looking at run at the
process's normal priority; jobs (ingests, review checks, payout runs, rollups) and DuckDB's own
worker threads run at a lower one (``JOB_NICE``), so a busy region still answers its pages.

Linux schedules threads, and a thread's nice value is its own: each job runs in a thread of its
own that lowers itself and ends with the job (an unprivileged thread cannot raise its priority
back). A page's statement runs on the gRPC thread that serves its Flight SQL call, at normal
priority, helped by DuckDB's workers whenever they have nothing better to do; on an idle
machine the lower priority costs nothing (``bench/concurrency.py`` and ``bench/ingest.py
--owner`` measure both sides). Elsewhere only a job command's whole process is lowered, and
where the system allows none of it nothing changes.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from ..background import Background

_log = logging.getLogger("kasuwa.owner")

#: the nice value of jobs and of DuckDB's worker threads in an owner (pages run at 0)
JOB_NICE = 10


def lower(tid: int, nice: int = JOB_NICE) -> bool:
    """Lower thread ``tid`` of this process to ``nice`` (never raises it); False where the
    system does not allow it."""
    if not sys.platform.startswith("linux"):  # elsewhere a thread id is no ``setpriority`` target
        return False
    try:
        if os.getpriority(os.PRIO_PROCESS, tid) < nice:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
        return True
    except (OSError, AttributeError):
        return False


def _threads() -> list[int]:
    try:
        return [int(t) for t in os.listdir(Path("/proc/self/task"))]
    except OSError:
        return []


def lower_process() -> None:
    """Lower every thread of this process (threads started later inherit it): for a command
    that is itself a job (``kasuwa ingest``, ``watch``, ``payouts run``, ``fx load``, ``outbox
    send``), so that its start-up, landing and hashing yield to the processes serving pages."""
    if not sys.platform.startswith("linux"):
        with suppress(OSError, AttributeError):
            os.nice(JOB_NICE)  # one priority for the whole process there
        return
    for tid in _threads() or [threading.get_native_id()]:
        lower(tid)


def lower_engine_threads() -> int:
    """Lower every thread of this process that Python did not start: DuckDB's workers (open the
    warehouse first). Returns how many were lowered."""
    python = {t.native_id for t in threading.enumerate()}
    lowered = sum(1 for tid in _threads() if tid not in python and lower(tid))
    _log.debug("lowered %d engine thread(s) to nice %d", lowered, JOB_NICE)
    return lowered


#: how long a thread waiting for Python's interpreter lock waits before asking the holder to let
#: go (Python's default is 5 ms); see ``share_the_interpreter``
SWITCH_SECONDS = 0.0005


def share_the_interpreter() -> None:
    """A page's statement needs Python's interpreter lock a few times on its way through the
    owner (reading the call, starting the query, writing the Arrow answer), and a job's
    Python work (validation) holds that lock: with Python's default 5 ms switch interval each
    of those waits could last 5 ms, times ~20 statements a page. A shorter interval bounds
    them; the job pays a little in switches."""
    sys.setswitchinterval(SWITCH_SECONDS)


def run_as_job(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` in a thread of its own at ``JOB_NICE``; its result, or its
    exception raised here."""
    return Background(lambda: fn(*args, **kwargs), "owner-job",
                      first=lambda: lower(threading.get_native_id())).result()
