"""The landing area: every uploaded file kept byte for byte, named by its sha256, per region.

Files are written to a temporary name and renamed into place, so a crash never leaves a
half-written file under a real name; the temporary file is removed in a ``finally``, so an
interrupted copy (Ctrl-C, or SIGTERM turned into an exception by the CLI) leaves nothing behind.
A copy stops reading one byte past ``limit``: a file over the size limit (even an endless pipe
or ``/dev/zero``) is refused before it is kept. Nothing here deletes a kept file; purging is an
admin's act.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import stat
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


def _copy_in_kernel(src: BinaryIO, out: BinaryIO, limit: int | None) -> int | None:
    """A regular file copied by the kernel (``copy_file_range``: no pass through Python, about
    twice as fast for a large file), reading at most ``limit + 1`` bytes; its size, or ``None``
    where the kernel cannot (nothing copied then: the caller copies in chunks)."""
    if not hasattr(os, "copy_file_range") or not stat.S_ISREG(os.fstat(src.fileno()).st_mode):
        return None
    size = 0
    while True:
        want = _CHUNK * 16 if limit is None else min(_CHUNK * 16, limit + 1 - size)
        try:
            n = os.copy_file_range(src.fileno(), out.fileno(), want)
        except OSError:
            if size:
                raise
            return None  # another file system, an old kernel: the chunked copy does it
        if n == 0:
            return size
        size += n
        if limit is not None and size > limit:
            raise TooLarge(limit, size)


def _hash_kept(path: str) -> str:
    """The sha256 of the copy as written: the kept file's name is the digest of what is kept,
    even if the source changed while it was copied."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


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
        copied: int | None = None
        with os.fdopen(fd, "wb") as out:
            if isinstance(data, bytes):
                digest.update(data)
                out.write(data)
                size = len(data)
            elif isinstance(data, Path):
                with open(data, "rb") as src:
                    copied = _copy_in_kernel(src, out, limit)
                    size = copied if copied is not None else _copy(src, out, digest, limit)
            else:
                size = _copy(data, out, digest, limit)
            out.flush()
            os.fsync(out.fileno())
        sha = _hash_kept(tmp_name) if copied is not None else digest.hexdigest()
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
    """A folder for temporary files of one ingest (transcoded text, staging), named after this
    process (``ingest-<pid>-…``); the caller removes it with ``remove_scratch`` in a ``finally``.
    Folders of processes that ended without removing theirs (SIGKILL) are removed on the way."""
    d = settings().data_dir / "tmp"
    d.mkdir(parents=True, exist_ok=True)
    remove_stale_scratch(d)
    return Path(tempfile.mkdtemp(dir=d, prefix=f"ingest-{os.getpid()}-"))


_SCRATCH = re.compile(r"^(?:ingest|drop)-(\d+)-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def remove_stale_scratch(tmp: Path | None = None) -> int:
    """Remove the scratch folders and drop-folder copies in ``tmp/`` left by processes that no
    longer run (a SIGKILL skips every ``finally``); returns how many were removed. Names
    without a process id (older versions) are removed when empty."""
    d = tmp or settings().data_dir / "tmp"
    removed = 0
    try:
        entries = list(d.iterdir())
    except FileNotFoundError:
        return 0
    for entry in entries:
        m = _SCRATCH.match(entry.name)
        if m is None:
            if entry.name.startswith("ingest-") and entry.is_dir() and not entry.is_symlink():
                with contextlib.suppress(OSError):
                    entry.rmdir()  # only when empty
                    removed += 1
            continue
        if int(m.group(1)) == os.getpid() or _alive(int(m.group(1))):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        removed += 1
    return removed


def remove_scratch(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
