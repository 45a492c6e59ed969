"""A real PostgreSQL server for the control database's tests, from Debian's ``postgresql``
package (``scripts/setup`` installs it): ``initdb`` and ``pg_ctl`` in a temporary folder, run as
the ``postgres`` user when the tests run as root (PostgreSQL refuses to run as root), listening
on 127.0.0.1 on a free port, stopped and removed at the end of the session.

Without the binaries the PostgreSQL tests fail under CI (``CI=true``) and are skipped elsewhere.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from owner_support import free_port

MISSING = ("PostgreSQL's server programs (initdb, pg_ctl) are needed for the control database's "
           "PostgreSQL tests: apt-get install postgresql (scripts/setup does it as root)")


def bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: Debian keeps them off PATH, in /usr/lib/postgresql/<v>/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path else None


def missing() -> None:
    """Fail under CI, skip on a developer's machine."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:  # noqa: TID251 - CI's own variable
        pytest.fail(MISSING)
    pytest.skip(MISSING)


@contextmanager
def postgres() -> Iterator[str]:
    """Start a throw-away PostgreSQL server; yields the URL of its ``postgres`` database."""
    bindir = bin_dir()
    if bindir is None:
        missing()
    assert bindir is not None
    base = Path(tempfile.mkdtemp(prefix="kasuwa-pg-"))
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(base, "postgres", "postgres")
    data, log, port = base / "data", base / "server.log", free_port()

    def run(*args: str) -> None:
        proc = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {proc.stdout}{proc.stderr}{text}")

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C", "--no-sync")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start")
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(base, ignore_errors=True)
