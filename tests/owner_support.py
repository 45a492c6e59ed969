"""Region owners as real processes for tests: ``kasuwa serve REGION`` on the test's data
directory (the child inherits this process's environment), stopped with SIGTERM at the end."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from warehouse.db import close_all
from warehouse.owner import registry

KASUWA = str(Path(sys.executable).parent / "kasuwa")


def start_owner(region: str, *extra: str) -> subprocess.Popen[str]:
    """Start an owner and return once it answers (its first line says where)."""
    close_all()  # the owner must be the one process holding the file
    proc = subprocess.Popen([KASUWA, "serve", region, *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if f"serving {region}" not in line:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"the {region} owner did not start: {line}{err}")
    return proc


def stop_owner(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


@contextmanager
def owners(*regions: str) -> Iterator[dict[str, subprocess.Popen[str]]]:
    """One owner process per region for the block; each is stopped cleanly after it."""
    with ExitStack() as stack:
        procs = {}
        for region in regions:
            procs[region] = start_owner(region)
            stack.callback(stop_owner, procs[region])
        stack.callback(close_all)
        yield procs


def address(region: str) -> registry.OwnerAddress:
    found = registry.live_owner(region)
    assert found is not None, f"no live owner registered for {region}"
    return found
