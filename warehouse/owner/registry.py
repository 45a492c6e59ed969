"""Where a region's owner can be found: ``KASUWA_DATA_DIR/run/<region>.json``.

The owner writes its URL, token and process id there (mode 0600, written to a temporary name
and renamed, so a reader never sees half a file) once it answers, and removes the file when it
stops cleanly. A file left by an owner that died is ignored: its process is gone, or nothing
answers at its URL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..files import write_atomically
from ..settings import settings

#: seconds a liveness check may take before the owner counts as not answering
PROBE_SECONDS = 2.0



class OwnerFailed(Exception):
    """The owner hit an unexpected error (a bug; its log has the details)."""


#: jobs this process has handed to an owner: they run on there even if this process stops
JOBS_HANDED_OVER: set[str] = set()

@dataclass(frozen=True)
class OwnerAddress:
    """How to reach a region's owner: ``url`` is a Flight location, ``grpc+tcp://host:port`` on
    loopback or ``grpc+tls://host:port``."""

    region: str
    url: str
    token: str
    pid: int | None = None

    @property
    def local(self) -> bool:
        """Registered on this data directory (so it shares our landing area)."""
        return self.pid is not None

    @property
    def host_port(self) -> tuple[str, int]:
        parts = urlsplit(self.url)
        return parts.hostname or "127.0.0.1", int(parts.port or 0)


def run_dir() -> Path:
    return settings().data_dir / "run"


def run_file(region: str) -> Path:
    return run_dir() / f"{region}.json"


def write(address: OwnerAddress) -> Path:
    """Publish ``address`` for other processes on this data directory (0600, atomic)."""
    d = run_dir()
    d.mkdir(parents=True, exist_ok=True)
    record = {"region": address.region, "url": address.url, "token": address.token, "pid": address.pid}
    write_atomically(run_file(address.region), json.dumps(record).encode("utf-8"), mode=0o600)
    return run_file(address.region)


def remove(region: str, pid: int) -> None:
    """Remove the run file of ``region`` if it is still ours (a newer owner may have replaced it)."""
    path = run_file(region)
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == pid:
            path.unlink()
    except (OSError, ValueError):
        pass


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def proof(token: str, nonce: str) -> str:
    """What only a holder of ``token`` can answer to ``nonce`` (HMAC-SHA256)."""
    return hmac.new(token.encode(), f"kasuwa-owner|{nonce}".encode(), hashlib.sha256).hexdigest()


def answers(address: OwnerAddress, timeout: float = PROBE_SECONDS) -> bool:
    """Whether the owner of this region answers at ``address`` and proves it holds the token
    (``flight_client.proves_token``: the token itself is not sent)."""
    from .flight_client import proves_token

    try:
        return proves_token(address, timeout)
    except Exception:  # nothing answers, or not the owner: every way of failing means "no"
        return False


def live_owner(region: str) -> OwnerAddress | None:
    """The owner of ``region`` registered on this data directory, if it is alive and answers."""
    try:
        data = json.loads(run_file(region).read_text(encoding="utf-8"))
        address = OwnerAddress(region, str(data["url"]), str(data["token"]), data.get("pid"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if address.pid is not None and not _pid_alive(int(address.pid)):
        return None
    return address if answers(address) else None
