"""Small file-system promises the engine keeps in several places (the outbox, the drop folder's
results, the owners' run files): a file is written whole or not at all."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """``data`` at ``path``, whole or not at all: written to a temporary name in the same folder,
    synced, then renamed over ``path``; the temporary file never stays behind. ``mode`` (e.g.
    0o600 for a file holding a token) is set before a byte is written."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def try_lock(fd: int) -> bool:
    """Take an exclusive ``flock`` on ``fd`` without waiting: True when it was free (held until
    the descriptor is closed), False when another process holds it. Local to one host."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def make_private(db_file: Path) -> None:
    """Tighten a database file Kasuwa opens, with its journals (``-wal``, ``-shm``, ``.wal``) and
    the data directory holding it, to this user alone (0600 / 0700): files made before the 077
    umask (``warehouse/__init__.py``) may still be readable by others. Files of another user are
    left as they are."""
    from .settings import settings

    data_dir = settings().data_dir
    for folder in {data_dir, db_file.parent}:
        with contextlib.suppress(OSError):
            if folder.stat().st_uid == os.getuid():
                os.chmod(folder, 0o700)
    for path in (db_file, Path(f"{db_file}.wal"), Path(f"{db_file}-wal"), Path(f"{db_file}-shm")):
        with contextlib.suppress(OSError):
            if path.stat().st_uid == os.getuid():
                os.chmod(path, 0o600)
