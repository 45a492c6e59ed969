"""The file-system half of the drop folder (``warehouse/dropfolder.py``): which watchers are
alive, claims they hold, and moves that never replace a file.

* A watcher's **identity** is a lock file ``<inbox root>/.watchers/<id>.lock`` it holds an
  exclusive ``flock`` on while its process lives; the kernel drops the lock when the process
  dies, however it dies (SIGKILL included). ``flock`` is local: watchers of one drop folder run
  on one host.
* A watcher **claims** a file by renaming it into ``<creator folder>/.processing/<id>/``: of two
  renames of the same file one succeeds, the other finds it gone.
* Claims of a watcher whose lock is free are **adopted**: renamed into the adopter's own claim
  folder (again one winner per file) and finished by it.
* Files are put away by hard link then unlink, under the first free name of ``name``,
  ``stem (2).ext``, …: never over another file, and a crash in between leaves the same file
  under both names, which the next try recognises and finishes.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import socket
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .files import try_lock, write_atomically

WATCHERS = ".watchers"
_WATCHER_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


# --- who is watching ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """A live watcher: its id (host, process, random) and the descriptor holding its lock."""

    root: Path
    id: str
    lock_fd: int


def _lock_path(root: Path, watcher_id: str) -> Path:
    return root / WATCHERS / f"{watcher_id}.lock"


def hold_identity(root: Path) -> Identity:
    """A new watcher identity under inbox ``root``, its lock held until ``release_identity`` or
    the process ends. Lock files of watchers that have ended are removed on the way."""
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"
    wid = f"{host}-{os.getpid()}-{secrets.token_hex(3)}"
    path = _lock_path(root, wid)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        # an adopter may have removed the file between our open and our lock: lock the one in place
        try:
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    os.write(fd, f"{os.getpid()}\n".encode())
    for other in path.parent.glob("*.lock"):
        if other != path:
            with if_dead(root, other.stem):
                pass
    return Identity(root, wid, fd)


def release_identity(me: Identity) -> None:
    """End a watcher identity: its claims, if any are left, become adoptable at once."""
    with contextlib.suppress(FileNotFoundError):
        _lock_path(me.root, me.id).unlink()
    os.close(me.lock_fd)


@contextlib.contextmanager
def if_dead(root: Path, watcher_id: str) -> Iterator[bool]:
    """Yields True, holding the dead watcher's lock, when nobody holds ``watcher_id``'s lock (its
    process has ended); the lock file is removed afterwards. Yields False while it lives."""
    if not _WATCHER_ID.match(watcher_id):
        yield False
        return
    path = _lock_path(root, watcher_id)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:  # released, or already adopted by someone else
        yield True
        return
    try:
        if not try_lock(fd):
            yield False
            return
        yield True
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    finally:
        os.close(fd)


# --- claims ------------------------------------------------------------------------------------


def has_claims(processing: Path) -> bool:
    """Whether any watcher's claim folder under ``processing`` holds something (empty ones are
    removed on the way)."""
    found = False
    with contextlib.suppress(FileNotFoundError):
        for d in processing.iterdir():
            try:
                d.rmdir()  # empty: nothing claimed there
            except OSError:
                found = True
    return found


def adopt_dead_claims(root: Path, processing: Path, me: Identity, mine: Path) -> None:
    """Rename every claim of a watcher that has died into ``mine`` (one adopter wins each);
    half-written results (names starting with ``.``) are dropped: they are written again."""
    try:
        # a link here (to another creator's done/, say) is no watcher's claim folder: never followed
        others = [d for d in processing.iterdir() if is_plain_dir(d) and d.name != me.id]
    except FileNotFoundError:
        return
    for other in others:
        with if_dead(root, other.name) as dead:
            if not dead:
                continue
            try:
                entries = sorted(other.iterdir())
            except FileNotFoundError:  # emptied and removed by another adopter
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    with contextlib.suppress(OSError):  # a folder planted there stays; nothing reads it
                        entry.unlink()
                    continue
                target = mine / entry.name
                if os.path.lexists(target):
                    continue  # a claim of ours has this name; adopt it at a later scan
                mine.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(OSError):  # another adopter won (or it cannot move: left alone)
                    os.rename(entry, target)
            with contextlib.suppress(OSError):
                other.rmdir()


def give_back(claimed: Path, folder: Path) -> None:
    """Return a claimed file to ``folder`` (where it was dropped), never over a file dropped
    meanwhile under the same name: then the claim stays, to be tried again."""
    if not is_plain_dir(folder):
        return
    try:
        os.link(claimed, folder / claimed.name)
    except OSError:
        return
    claimed.unlink()


# --- moves that never replace a file -----------------------------------------------------------


def candidates(folder: Path, name: str) -> Iterator[Path]:
    """``name``, then ``stem (2).ext``, ``stem (3).ext``, … in ``folder``."""
    yield folder / name
    stem, dot, ext = name.rpartition(".")
    if not stem:  # no dot in the name
        stem, dot, ext = name, "", ""
    n = 2
    while True:
        yield folder / (f"{stem} ({n}){dot}{ext}")
        n += 1


def move_no_replace(src: Path, folder: Path, name: str) -> Path:
    """Move ``src`` into ``folder`` under ``name`` or the first free variant of it; never replaces
    a file. Hard link then unlink, so a crash in between leaves the same file under both names,
    which the next try recognises (same inode) and finishes."""
    folder.mkdir(parents=True, exist_ok=True)
    for target in candidates(folder, name):
        try:
            os.link(src, target)
        except FileExistsError:
            with contextlib.suppress(FileNotFoundError):
                if os.path.samefile(src, target):  # moved before a crash; finish it
                    src.unlink()
                    return target
            continue
        except OSError as exc:  # a file system without hard links: check, then rename
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            if target.exists():
                continue
            os.replace(src, target)
            return target
        src.unlink()
        return target
    raise AssertionError("unreachable")  # pragma: no cover - candidates never ends


def write_json_atomically(path: Path, obj: dict[str, Any]) -> None:
    """``obj`` as JSON at ``path``, whole or not at all (``files.write_atomically``)."""
    text = json.dumps(obj, default=str, ensure_ascii=False, indent=2) + "\n"
    write_atomically(path, text.encode("utf-8"))


# --- opening what a creator may have planted ---------------------------------------------------


class NotAFile(Exception):
    """A claimed entry is not a regular file (a link, a FIFO, a folder, a device): never read."""


class Changed(Exception):
    """A claimed file changed while it was read (still being written): nothing of it is used."""


def _signature(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def signature(st: os.stat_result) -> tuple[int, int, int, int]:
    """What must stay the same for a file to count as unchanged: inode, size, mtime, ctime."""
    return _signature(st)


def open_regular(path: Path) -> tuple[int, os.stat_result]:
    """``path`` opened for reading without following a link and without blocking (a FIFO), with
    its ``fstat``; raises ``NotAFile`` unless it is a regular file (the descriptor is then
    closed). Everything read from a creator's folder goes through here."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO, errno.EISDIR, errno.EACCES, errno.EPERM, errno.ENOTDIR):
            raise NotAFile(str(path)) from exc
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise NotAFile(str(path))
    os.set_blocking(fd, True)
    return fd, st


def read_small(path: Path, limit: int = 1 << 20) -> bytes | None:
    """A small regular file's bytes (a result object), or None when it is missing, not a regular
    file (a link, a FIFO: never followed, never waited on) or larger than ``limit``."""
    try:
        fd, st = open_regular(path)
    except (NotAFile, FileNotFoundError):
        return None
    try:
        if st.st_size > limit:
            return None
        with os.fdopen(os.dup(fd), "rb") as fh:
            return fh.read(limit + 1)[:limit]
    finally:
        os.close(fd)


def snapshot(fd: int, before: os.stat_result, dest_dir: Path) -> Path:
    """A private copy (0600, in ``dest_dir``) of the open regular file ``fd``, made from the
    descriptor (never the name, which the creator may have swapped meanwhile); raises
    ``Changed`` (and keeps no copy) when the file's size or times moved while it was read."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    out_fd, name = tempfile.mkstemp(dir=dest_dir, prefix=f"drop-{os.getpid()}-")  # see landing.remove_stale_scratch
    kept = False
    try:
        os.fchmod(out_fd, 0o600)
        with os.fdopen(out_fd, "wb") as out:
            offset = 0
            while True:
                chunk = os.pread(fd, 1 << 20, offset)
                if not chunk:
                    break
                out.write(chunk)
                offset += len(chunk)
        if _signature(os.fstat(fd)) != _signature(before) or offset != before.st_size:
            raise Changed(name)
        kept = True
        return Path(name)
    finally:
        if not kept:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)


def is_plain_dir(path: Path) -> bool:
    """Whether ``path`` is a folder itself, not a link to one (``lstat``)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def own_dir(parent: Path, name: str) -> Path:
    """``parent/name`` as a real folder (made when missing); raises ``NotAFile`` when something
    else — a link above all — stands there, so nothing is ever moved through it."""
    path = parent / name
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    if not is_plain_dir(path):
        raise NotAFile(str(path))
    return path


def set_aside(entry: Path, folder: Path) -> Path | None:
    """Move ``entry`` (a link, a FIFO, a folder: whatever it is, renamed, never opened or
    followed) into ``folder`` under a free name; None when it is gone or cannot be moved."""
    for target in candidates(folder, entry.name):
        if os.path.lexists(target):
            continue
        try:
            os.rename(entry, target)
        except FileNotFoundError:
            return None
        except OSError:
            return None
        return target
    return None  # pragma: no cover - candidates never ends
