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


@contextmanager
def app_server(log: Path, timeout: float = 90) -> Iterator[str]:
    """``streamlit run app/serve.py`` on a free loopback port; yields its URL once
    ``/_stcore/health`` answers, stops it at the end."""
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    url = f"http://127.0.0.1:{port}"
    root = Path(__file__).resolve().parent.parent
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app/serve.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=root, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not health(url):
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, f"the app did not answer:\n{log.read_text(errors='replace')}"
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def health(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False
