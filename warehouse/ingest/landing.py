"""The landing area: every uploaded file kept byte for byte, named by its sha256, per region.

Files are written to a temporary name and renamed into place, so a crash never leaves a
half-written file under a real name; the temporary file is removed in a ``finally``, so an
interrupted copy (Ctrl-C, or SIGTERM turned into an exception by the CLI) leaves nothing behind.
A copy stops reading one byte past ``limit``: a file over the size limit (even an endless pipe
or ``/dev/zero``) is refused before it is kept. Nothing here deletes a kept file; purging is an
admin's act.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..settings import settings

_CHUNK = 4 * 1024 * 1024
#: a kept file's name: its sha256 in lowercase hex
SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Landed:
    sha256: str
    path: Path
    size: int


class TooLarge(Exception):
    """The data holds more than ``limit`` bytes; nothing was kept. ``read`` is how many bytes were
    read before stopping (``limit + 1`` at most for a stream, the exact size for bytes)."""

    def __init__(self, limit: int, read: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit, self.read = limit, read


#: called with (sha256, size) once the whole file is read, before it is kept; raises to refuse it
Admit = Callable[[str, int], None]


def _landing_dir(region: str) -> Path:
    d = settings().landing_dir / region
    d.mkdir(parents=True, exist_ok=True)
    return d


def _copy(src: BinaryIO, out: BinaryIO, digest: hashlib._Hash, limit: int | None) -> int:
    size = 0
    while True:
        want = _CHUNK if limit is None else min(_CHUNK, limit + 1 - size)
        chunk = src.read(want)
        if not chunk:
            return size
        size += len(chunk)
        if limit is not None and size > limit:
            raise TooLarge(limit, size)
        digest.update(chunk)
        out.write(chunk)


def land(region: str, data: bytes | Path | BinaryIO, *, limit: int | None = None,
         admit: Admit | None = None) -> Landed:
    """Keep ``data`` (bytes, or a file or stream copied in chunks so memory does not grow with it).

    Raises ``TooLarge`` (nothing kept, nothing left behind) when it holds more than ``limit``
    bytes; ``admit(sha256, size)`` may raise to refuse the file once its digest is known (the
    per-creator quota), and then nothing is kept either.
    """
    if isinstance(data, bytes) and limit is not None and len(data) > limit:
        raise TooLarge(limit, len(data))  # refused before a byte is written
    target_dir = _landing_dir(region)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target_dir, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(data, bytes):
                digest.update(data)
                out.write(data)
                size = len(data)
            elif isinstance(data, Path):
                with open(data, "rb") as src:
                    size = _copy(src, out, digest, limit)
            else:
                size = _copy(data, out, digest, limit)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        if admit is not None:
            admit(sha, size)
        final = target_dir / sha
        if not final.exists():
            os.replace(tmp_name, final)
        return Landed(sha, final, size)
    finally:
        # whatever happened (refused, interrupted, kept under its real name), no temp file stays
        if os.path.lexists(tmp_name):
            os.unlink(tmp_name)


def is_landed(region: str, sha256: str) -> bool:
    """Whether a file with this digest is kept in ``region``'s landing area."""
    return (settings().landing_dir / region / sha256).is_file()


def scratch_dir() -> Path:
    """A folder for temporary files of one ingest (transcoded text, staging); the caller removes
    it with ``remove_scratch`` in a ``finally``."""
    d = settings().data_dir / "tmp"
    d.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=d, prefix="ingest-"))


def remove_scratch(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
