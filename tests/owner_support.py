"""Region owners as real processes for tests: ``kasuwa serve REGION`` on the test's data
directory (the child inherits this process's environment), stopped with SIGTERM at the end."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

import pytest

from warehouse.db import close_all
from warehouse.owner import registry

KASUWA = str(Path(sys.executable).parent / "kasuwa")
ROOT = Path(__file__).resolve().parent.parent


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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def streamlit_server(script: str, log: Path, timeout: float = 90) -> Iterator[str]:
    """``streamlit run <script>`` on a free 127.0.0.1 port, with this process's environment
    (KASUWA_DATA_DIR set by the caller; with no owner running, every DuckDB connection closed
    first: the server must own the files); yields its URL once ``/_stcore/health`` answers,
    stops it at the end."""
    url = f"http://127.0.0.1:{free_port()}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
             "--server.port", url.rsplit(":", 1)[1], "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not health(url):
            if proc.poll() is not None:
                pytest.fail(f"{script} exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail(f"{script} did not answer within {timeout}s:\n{log.read_text(errors='replace')}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def app_server(log: Path, timeout: float = 90) -> AbstractContextManager[str]:
    """The app as ``./scripts/demo`` serves it (``app/serve.py``), as ``streamlit_server``."""
    return streamlit_server("app/serve.py", log, timeout)


def kill_during_ingest(server: subprocess.Popen[str], host_dir: Path, upload: Callable[[], object]) -> object:
    """Run ``upload()`` in a thread and SIGKILL ``server`` (a region's host on ``host_dir``)
    half a second after that host has started reading the file (its scratch folder appears);
    returns what ``upload()`` returned."""
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(upload()))
    worker.start()
    scratch = host_dir / "tmp"
    while worker.is_alive() and not (scratch.is_dir() and any(scratch.iterdir())):
        time.sleep(0.02)  # until the region's host is inside the ingest
    time.sleep(0.5)
    server.send_signal(signal.SIGKILL)
    server.communicate()
    worker.join()
    return outcome[0]


def health(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False
