"""The landing area: every uploaded file kept byte for byte, named by its sha256, per region.

Files are written to a temporary name and renamed into place, so a crash never leaves a
half-written file under a real name. Nothing here deletes; purging is an admin's act.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..settings import settings

_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class Landed:
    sha256: str
    path: Path
    size: int


def _landing_dir(region: str) -> Path:
    d = settings().landing_dir / region
    d.mkdir(parents=True, exist_ok=True)
    return d


def land(region: str, data: bytes | Path) -> Landed:
    """Keep ``data`` (bytes, or a file copied in chunks so memory does not grow with it)."""
    target_dir = _landing_dir(region)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=target_dir, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(data, bytes):
                digest.update(data)
                out.write(data)
                size = len(data)
            else:
                with open(data, "rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        final = target_dir / sha
        if final.exists():
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, final)
        return Landed(sha, final, size)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise


def scratch_dir() -> Path:
    """A folder for temporary files of one ingest (transcoded text, staging)."""
    d = settings().data_dir / "tmp"
    d.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=d, prefix="ingest-"))


def remove_scratch(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
