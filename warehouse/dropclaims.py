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
        others = [d for d in processing.iterdir() if d.is_dir() and d.name != me.id]
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
                    with contextlib.suppress(FileNotFoundError):
                        entry.unlink()
                    continue
                target = mine / entry.name
                if target.exists():
                    continue  # a claim of ours has this name; adopt it at a later scan
                mine.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(FileNotFoundError):  # another adopter won
                    os.rename(entry, target)
            with contextlib.suppress(OSError):
                other.rmdir()


def give_back(claimed: Path, folder: Path) -> None:
    """Return a claimed file to ``folder`` (where it was dropped), never over a file dropped
    meanwhile under the same name: then the claim stays, to be tried again."""
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
