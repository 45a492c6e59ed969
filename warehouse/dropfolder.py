"""The drop folder: files a programme hands over by SFTP or a shared drive are ingested by
themselves, exactly once, and put away with their result beside them.

Layout (``KASUWA_INBOX_DIR``, default ``KASUWA_DATA_DIR/inbox``)::

    inbox/<creator_id>/sales.csv                 a file dropped for that creator
    inbox/<creator_id>/.processing/<watcher>/    files a watcher has claimed and is working on
    inbox/<creator_id>/done/sales.csv            loaded (or a duplicate), with
    inbox/<creator_id>/done/sales.csv.result.json   the object ``kasuwa ingest --json`` prints
    inbox/<creator_id>/rejected/…                rejected files, the same way
    inbox/.watchers/<watcher>.lock               held (flock) by each running watcher

``inbox.toml`` in ``KASUWA_CONFIG_DIR`` may give a creator a folder elsewhere
(``[folders]`` ``ng-ada = "/srv/sftp/ada"``; relative paths are read from the file's folder).

How "exactly once" holds, even with a watcher killed at any instant or two watchers at once:

1. A file is taken only once it has gone unchanged for ``KASUWA_INBOX_SETTLE_SECONDS``; names
   starting with ``.`` or ending in ``.part``, ``.tmp``, ``.filepart``, ``.partial`` or
   ``.crdownload`` are files still being written and are left alone.
2. It is claimed by an atomic rename into this watcher's own ``.processing/<watcher>/``: of two
   watchers renaming the same file one wins, the other finds it gone.
3. It is ingested through ``warehouse.ingest.ingest_file``, the function ``kasuwa ingest``
   calls. The load is one transaction, and a file already loaded is recognised by its sha256
   and loads nothing, so redoing a claimed file after a crash never loads it twice.
4. The result is written beside the claimed file atomically (temporary name, then rename);
   then the file and its result are moved to ``done/`` or ``rejected/`` (never over a file of
   the same name there: ``sales (2).csv``).
5. A watcher holds an exclusive ``flock`` on its lock file while it lives; the kernel drops it
   when the process dies, however it dies. Claims of a watcher whose lock is free are adopted
   (renamed into the adopter's claim folder, again one winner) and finished: a result already
   written is only moved, a file without one is ingested again (and is a duplicate if the dead
   watcher had loaded it). The lock is a local ``flock``: watchers of one drop folder run on one
   host. (Locks, claims and moves live in ``warehouse/dropclaims.py``.)

When the warehouse or the control database is busy (open in another Kasuwa process) or a remote
region is down, the claim is undone (the file goes back where it was dropped) and tried again
at the next scan; the watcher run by ``main`` closes its databases after every scan, so other
processes get their turn.

``python -m warehouse.dropfolder [--region R] [--once] [--interval S]`` runs a watcher until
SIGTERM or Ctrl-C (exit 0 once the file in hand is finished); ``--region`` limits it to the
creators of one region, so one region's watcher never waits on another region's files.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import signal
import stat
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import dropclaims
from .access import Actor
from .errors import ConfigError, KasuwaError, NotFound, RegionUnavailable, WarehouseBusy
from .i18n import N_
from .settings import settings

log = logging.getLogger("kasuwa.dropfolder")

PROCESSING, DONE, REJECTED = ".processing", "done", "rejected"
RESULT_SUFFIX = ".result.json"
#: names of files still being written by common transfer tools (SFTP clients, browsers, rsync)
PARTIAL_SUFFIXES = (".part", ".tmp", ".filepart", ".partial", ".crdownload")

#: the folders a creator's inbox keeps for itself; anything else in it is a dropped file
_OWN = {PROCESSING, DONE, REJECTED}
_SCAN = threading.Lock()  # one scan at a time per process: claims are checked, then renamed
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _shown(text: str) -> str:
    """A file or folder name as the log may print it: control characters written out."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


# --- where the drop folders are -------------------------------------------------------------------


@dataclass(frozen=True)
class Inbox:
    """One creator's drop folder (``creator_id`` is the folder's name, or inbox.toml's key)."""

    creator_id: str
    folder: Path


def _mapped_folders() -> dict[str, Path]:
    """``inbox.toml``'s ``[folders]`` table: creator id -> folder (unknown keys are errors)."""
    path = settings().inbox_map
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    unknown = set(doc) - {"folders"}
    if unknown:
        raise ConfigError(f"{path}: unknown table(s) {sorted(unknown)}; allowed: ['folders']")
    out: dict[str, Path] = {}
    for creator, folder in doc.get("folders", {}).items():
        if not isinstance(folder, str) or not folder.strip():
            raise ConfigError(f"{path}: folders.{creator} must be a folder path in quotes")
        p = Path(folder).expanduser()
        out[str(creator)] = p if p.is_absolute() else path.parent / p
    return out


def inboxes() -> list[Inbox]:
    """Every creator's drop folder: each sub-folder of the inbox root, then inbox.toml's."""
    root = settings().inbox_dir
    found: list[Inbox] = []
    with contextlib.suppress(FileNotFoundError):
        for entry in sorted(root.iterdir()):
            # a link is refused: a creator's folder is that folder itself, never somewhere else
            if entry.name.startswith(".") or not dropclaims.is_plain_dir(entry):
                continue
            found.append(Inbox(entry.name, entry))
    seen = {i.folder.resolve() for i in found}
    for creator, folder in sorted(_mapped_folders().items()):
        if dropclaims.is_plain_dir(folder) and folder.resolve() not in seen:
            found.append(Inbox(creator, folder))
    return found


def _ready_files(folder: Path, settle: float, seen: dict[Path, tuple[tuple[int, ...], float]] | None = None
                 ) -> list[Path]:
    """Dropped files in ``folder`` that are complete: not hidden, not named as partial, and
    unchanged (content and metadata: ``ctime`` moves on every write) for ``settle`` seconds —
    by their own times and, when ``seen`` (path -> (size/times signature, first seen on this
    process's clock)) is given, by this watcher's clock too: a file is taken only once it has
    shown the same size and times at scans ``settle`` seconds apart (times set back, a clock
    of another host, cannot make a file still being written look settled)."""
    now = time.time()
    mono = time.monotonic()
    out = []
    try:
        entries = sorted(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    present = set()
    for p in entries:
        name = p.name
        if name.startswith(".") or name in _OWN or name.lower().endswith(PARTIAL_SUFFIXES):
            continue
        try:
            st = p.lstat()
        except FileNotFoundError:  # taken by another watcher meanwhile
            continue
        # regular files only: a symbolic link could point anywhere on this machine
        if not stat.S_ISREG(st.st_mode):
            continue
        if seen is not None:
            present.add(p)
            sig = dropclaims.signature(st)
            before = seen.get(p)
            if before is None or before[0] != sig:
                seen[p] = (sig, mono)
                if settle > 0:
                    continue
            elif mono - before[1] < settle:
                continue
        if now - max(st.st_mtime, st.st_ctime) >= settle:
            out.append(p)
    if seen is not None:
        for p in [p for p in seen if p.parent == folder and p not in present]:
            del seen[p]
    return out


# --- this process's watcher --------------------------------------------------------------------


@dataclass
class _Watcher:
    """This process's watcher of one inbox root: its identity (lock held) and what it learnt."""

    identity: dropclaims.Identity
    regions: dict[str, str] = field(default_factory=dict)  # creator -> region, once known
    waiting: set[str] = field(default_factory=set)  # creators whose files wait (said once in the log)
    seen: dict[Path, tuple[tuple[int, ...], float]] = field(default_factory=dict)  # dropped file -> (signature, since)
    refused: set[Path] = field(default_factory=set)  # folders refused (a link where a folder belongs), said once


_WATCHERS: dict[Path, _Watcher] = {}


def _me() -> _Watcher:
    """This process's watcher for the current inbox root, made (and its lock taken) once."""
    root = settings().inbox_dir
    if root not in _WATCHERS:
        _WATCHERS[root] = _Watcher(dropclaims.hold_identity(root))
    return _WATCHERS[root]


def _forget_me() -> None:
    """End this process's watcher (its claims, if any are left, become adoptable)."""
    me = _WATCHERS.pop(settings().inbox_dir, None)
    if me is not None:
        dropclaims.release_identity(me.identity)


# --- one file ----------------------------------------------------------------------------------


def refused(name: str, message: str) -> dict[str, Any]:
    """The JSON object of a file refused before it reached landing (as ``kasuwa ingest --json``
    prints it: no upload id, nothing counted)."""
    from .ingest.result import IngestResult

    return {"file": name, **IngestResult("rejected", None, None, None, message).summary()}


def _unknown_creator(inbox: Inbox) -> str:
    name = _shown(inbox.creator_id)
    return (f"The folder '{name}' is named after no registered creator, so the file was not loaded. Put files "
            f"in the folder named after the creator's id, or register the creator (kasuwa creator add {name} "
            "--country CC), then drop the file again.")


#: set when a second SIGTERM or Ctrl-C asks ``main`` to stop at once: an ingest it cut short must
#: not be put away as rejected; the claim is left for the next watcher
_FORCED = threading.Event()


class _Later(Exception):
    """The file cannot be worked on now (a database in use, a region down): try at the next scan."""


def _region_of(me: _Watcher, creator_id: str) -> str | None:
    """The creator's region, or None for a folder named after no registered creator. Raises
    ``_Later`` when the control database cannot be asked now."""
    if creator_id in me.regions:
        return me.regions[creator_id]
    from .creators import creator_region

    try:
        region = creator_region(creator_id)
    except NotFound:
        return None
    except (WarehouseBusy, RegionUnavailable) as exc:
        raise _Later(str(exc)) from exc
    me.regions[creator_id] = region
    return region


def _reachable(region: str) -> None:
    """Raise ``_Later`` unless the region's warehouse can be opened now: asked before a file is
    claimed, so a warehouse held by another process costs no copy into landing at every scan."""
    from .db import warehouse

    try:
        warehouse(region).connection()
    except (WarehouseBusy, RegionUnavailable) as exc:
        raise _Later(str(exc)) from exc


def _ingest(inbox: Inbox, name: str, claimed: Path, known: bool) -> dict[str, Any]:
    """The result object for one claimed file ``name`` (ingesting ``claimed``, its private copy,
    through the CLI's own entry point)."""
    if not known:
        return refused(name, _unknown_creator(inbox))
    from .ingest import ingest_file

    try:
        result = ingest_file(Actor.operator(), inbox.creator_id, name, claimed)
    except (WarehouseBusy, RegionUnavailable) as exc:
        raise _Later(str(exc)) from exc
    except KasuwaError as exc:  # the creator vanished meanwhile, …: refused, in its own words
        if _FORCED.is_set():
            raise KeyboardInterrupt from exc
        return refused(name, str(exc))
    except Exception as exc:  # a bug: the file is put away with words, the log keeps the details
        if _FORCED.is_set():  # the stop surfaced as a query error
            raise KeyboardInterrupt from exc
        log.exception("%s: unexpected error while ingesting %s", _shown(inbox.creator_id), _shown(name))
        return refused(name, "This file could not be processed because of an unexpected error in Kasuwa; nothing "
                             "was loaded. The operator's log has the details; drop the file again later.")
    if _FORCED.is_set():
        raise KeyboardInterrupt
    return {"file": name, **result.summary()}


def _put_away(inbox: Inbox, claimed: Path, result: dict[str, Any]) -> Path:
    """Move a claimed file and its result (already written beside it) to done/ or rejected/."""
    folder = dropclaims.own_dir(inbox.folder, REJECTED if result.get("status") == "rejected" else DONE)
    beside = claimed.with_name(claimed.name + RESULT_SUFFIX)
    final = dropclaims.move_no_replace(claimed, folder, claimed.name)
    os.replace(beside, folder / (final.name + RESULT_SUFFIX))
    return final


def _put_away_orphan_result(inbox: Inbox, beside: Path) -> None:
    """A result whose file was already moved when its watcher died: put it beside that file (the
    first of ``name``, ``name (2)``, … that has no result yet)."""
    raw = dropclaims.read_small(beside)
    try:
        result = json.loads(raw) if raw is not None else {}
    except ValueError:
        result = {}
    if not isinstance(result, dict):
        result = {}
    folder = dropclaims.own_dir(inbox.folder, REJECTED if result.get("status") == "rejected" else DONE)
    name = beside.name[: -len(RESULT_SUFFIX)]
    for target in dropclaims.candidates(folder, name):
        if not os.path.lexists(folder / (target.name + RESULT_SUFFIX)):
            os.replace(beside, folder / (target.name + RESULT_SUFFIX))
            return


def _not_a_file(inbox: Inbox, claimed: Path) -> dict[str, Any]:
    """A claimed entry that is no regular file (a link, a FIFO, a folder): never opened or
    followed, only renamed into rejected/ with a result saying why."""
    result = refused(claimed.name, N_("This is not a plain file (a link, a folder or a pipe), so Kasuwa did not "
                                      "read it and nothing was loaded. Drop the export file itself."))
    rejected = dropclaims.own_dir(inbox.folder, REJECTED)
    final = dropclaims.set_aside(claimed, rejected)
    if final is not None:
        dropclaims.write_json_atomically(rejected / (final.name + RESULT_SUFFIX), result)
    log.warning("%s: %s is not a plain file: set aside in %s, never read", _shown(inbox.creator_id),
                _shown(claimed.name), REJECTED)
    return result


def _finish(inbox: Inbox, claimed: Path, known: bool) -> dict[str, Any] | None:
    """Ingest a claimed file unless its result is already written, then put both away. The file
    is opened without following a link and read from that descriptor into a private copy, which
    is what gets ingested; a file that changed while it was read goes back where it was dropped
    (None: nothing loaded, it is taken again once it has settled)."""
    beside = claimed.with_name(claimed.name + RESULT_SUFFIX)
    try:
        fd, before = dropclaims.open_regular(claimed)
    except dropclaims.NotAFile:
        return _not_a_file(inbox, claimed)
    try:
        raw = dropclaims.read_small(beside)
        if raw is not None:  # its watcher died after writing the result: only the move is left
            try:
                result = json.loads(raw)
            except ValueError:  # cannot happen with the atomic write; redo rather than guess
                result = None
            if isinstance(result, dict):
                _put_away(inbox, claimed, result)
                return result
        try:
            copy = dropclaims.snapshot(fd, before, settings().data_dir / "tmp")
        except dropclaims.Changed:
            log.warning("%s: %s changed while it was read (still being written?): nothing loaded; it is taken "
                        "again once it has settled", _shown(inbox.creator_id), _shown(claimed.name))
            dropclaims.give_back(claimed, inbox.folder)
            return None
    finally:
        os.close(fd)
    try:
        result = _ingest(inbox, claimed.name, copy, known)
    finally:
        copy.unlink(missing_ok=True)
    dropclaims.write_json_atomically(beside, result)
    final = _put_away(inbox, claimed, result)
    rows = (f"{result.get('rows_loaded', 0)} rows loaded, {result.get('rows_flagged', 0)} for review"
            if result.get("status") == "loaded" else result.get("message", ""))
    log.info("%s: %s %s (%s) -> %s", _shown(inbox.creator_id), _shown(claimed.name), result.get("status"),
             _shown(str(rows)), _shown(str(final.relative_to(inbox.folder))))
    return result


# --- scanning ----------------------------------------------------------------------------------


def _scan_inbox(inbox: Inbox, me: _Watcher, region: str | None, stop: threading.Event | None,
                settle: float) -> list[dict[str, Any]]:
    processing = inbox.folder / PROCESSING
    mine = processing / me.identity.id
    unsafe = [n for n in (PROCESSING, DONE, REJECTED)
              if os.path.lexists(inbox.folder / n) and not dropclaims.is_plain_dir(inbox.folder / n)]
    if unsafe:  # a link where Kasuwa's own folder belongs: nothing is read or moved through it
        if inbox.folder not in me.refused:
            me.refused.add(inbox.folder)
            log.warning("%s: %s is not a plain folder (a link?): this drop folder is left alone until it is "
                        "removed", _shown(inbox.creator_id), ", ".join(unsafe))
        return []
    me.refused.discard(inbox.folder)
    has_claims = dropclaims.has_claims(processing)
    ready = _ready_files(inbox.folder, settle, me.seen)
    if not ready and not has_claims:
        return []  # nothing to do: the databases are not touched
    owner = _region_of(me, inbox.creator_id)
    if region is not None and owner is not None and owner != region:
        return []  # another region's watcher takes these (unknown creators: any watcher rejects)
    known = owner is not None
    if owner is not None:
        _reachable(owner)
    results: list[dict[str, Any]] = []
    if has_claims:
        for junk in _not_claim_folders(processing, me):  # links, pipes, files: no watcher's claims
            _not_a_file(inbox, junk)
        dropclaims.adopt_dead_claims(settings().inbox_dir, processing, me.identity, mine)
    if dropclaims.is_plain_dir(mine):
        entries = sorted(mine.iterdir())
        names = {e.name for e in entries}
        for entry in entries:
            if stop is not None and stop.is_set():
                return results
            try:
                if entry.name.startswith("."):
                    if dropclaims.is_plain_dir(entry):
                        _not_a_file(inbox, entry)
                    else:
                        entry.unlink(missing_ok=True)
                elif entry.name.endswith(RESULT_SUFFIX):
                    if entry.name[: -len(RESULT_SUFFIX)] not in names:
                        _put_away_orphan_result(inbox, entry)
                else:
                    try:
                        done = _finish(inbox, entry, known)
                    except _Later:
                        dropclaims.give_back(entry, inbox.folder)
                        raise
                    if done is not None:
                        results.append(done)
            except (_Later, KeyboardInterrupt):
                raise
            except Exception:  # one entry never stops the others (nor another creator's folder)
                log.exception("%s: %s could not be handled; left for the next scan", _shown(inbox.creator_id),
                              _shown(entry.name))
    for path in ready:
        if stop is not None and stop.is_set():
            break
        claimed = mine / path.name
        if os.path.lexists(claimed):
            continue  # one of ours still waits under this name; this one comes after it
        dropclaims.own_dir(dropclaims.own_dir(inbox.folder, PROCESSING), me.identity.id)
        try:
            os.rename(path, claimed)
        except FileNotFoundError:  # another watcher claimed it first
            continue
        me.seen.pop(path, None)
        try:
            done = _finish(inbox, claimed, known)
        except _Later:
            dropclaims.give_back(claimed, inbox.folder)
            raise
        except KeyboardInterrupt:
            raise
        except Exception:  # one file never stops the others; its claim is finished at a later scan
            log.exception("%s: %s could not be handled; left for the next scan", _shown(inbox.creator_id),
                          _shown(path.name))
            continue
        if done is not None:
            results.append(done)
    with contextlib.suppress(OSError):
        mine.rmdir()  # only when empty
    return results


def _not_claim_folders(processing: Path, me: _Watcher) -> list[Path]:
    """Entries of ``.processing/`` that are not a real folder (a link, a FIFO, a file)."""
    try:
        return [d for d in sorted(processing.iterdir()) if not dropclaims.is_plain_dir(d)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def scan_once(region: str | None = None, *, stop: threading.Event | None = None) -> list[dict[str, Any]]:
    """Take every complete file in the drop folders (of ``region``'s creators only, when given,
    plus folders named after no registered creator), ingest it, and put it away in ``done/`` or
    ``rejected/`` with its result; finish first what a dead watcher left in ``.processing/``.

    Returns the result objects (as ``kasuwa ingest --json`` prints them) of the files put away
    now. A folder whose warehouse is busy or unreachable is left for the next scan (its files go
    back where they were dropped); ``stop``, once set, ends the scan after the file in hand.
    """
    if region is not None:
        from .regions import get_region

        get_region(region)  # an unknown region is an error in words, not a watcher that does nothing
    s = settings()
    s.inbox_dir.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    with _SCAN:
        me = _me()
        for inbox in inboxes():
            if stop is not None and stop.is_set():
                break
            try:
                results += _scan_inbox(inbox, me, region, stop, s.inbox_settle_seconds)
            except _Later as exc:
                if inbox.creator_id not in me.waiting:  # once, not at every scan
                    log.info("%s: files wait: %s", _shown(inbox.creator_id), exc)
                    me.waiting.add(inbox.creator_id)
                continue
            except (KasuwaError, KeyboardInterrupt):
                raise
            except Exception:  # one creator's folder never stops the scan of the others
                log.exception("%s: this drop folder could not be scanned; tried again at the next scan",
                              _shown(inbox.creator_id))
                continue
            else:
                me.waiting.discard(inbox.creator_id)
    return results


def _look_first(stop: threading.Event) -> None:
    """For a single scan (``--once``): note every dropped file's size and times, then wait the
    settle period, so the scan can tell which files have stayed unchanged by this watcher's own
    clock (a watcher that keeps running learns it from one scan to the next)."""
    settle = settings().inbox_settle_seconds
    if settle <= 0:
        return
    with _SCAN:
        me = _me()
        for inbox in inboxes():
            _ready_files(inbox.folder, settle, me.seen)
    stop.wait(settle)


def watch(stop: threading.Event, interval: float = 1.0, region: str | None = None, *,
          on_result: Callable[[dict[str, Any]], None] | None = None, release: bool = False) -> None:
    """Scan every ``interval`` seconds until ``stop`` is set. ``on_result`` is called with each
    file's result object. ``release=True`` closes this process's databases after each scan, so
    other Kasuwa processes can open them in between (a watcher running on its own does this;
    one running inside a process that serves the databases must not)."""
    from .db import close_all

    next_outbox = 0.0
    while not stop.is_set():
        try:
            for result in scan_once(region, stop=stop):
                if on_result is not None:
                    on_result(result)
            if time.monotonic() >= next_outbox:  # uploads kept for a region on its own host that was down
                next_outbox = time.monotonic() + settings().outbox_retry_seconds
                _send_outbox(region, on_result)
        except KasuwaError as exc:  # inbox.toml wrong, …: said in words, tried again
            log.warning("drop folder: %s", exc)
        except Exception:  # a bug must not stop the watcher; the claim is finished at the next scan
            log.exception("drop folder: unexpected error")
        finally:
            if release:
                close_all()
        stop.wait(interval)


def _send_outbox(region: str | None, on_result: Callable[[dict[str, Any]], None] | None) -> None:
    """One pass over the outbox (``warehouse/outbox.py``): of ``region`` alone when this watcher
    serves one region (and only if that region is on its own host), else of every region."""
    from . import outbox

    if region is not None and not outbox.waits_for_host(region):
        return
    outbox.send(region, on_result=on_result)


# --- the command -------------------------------------------------------------------------------


def _print_result(result: dict[str, Any]) -> None:
    print(json.dumps(result, default=str), flush=True)


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The options of the watcher command (``kasuwa watch`` registers them on its sub-parser)."""
    ap.add_argument("--region", metavar="R", help="only the creators of this region (and unknown folders)")
    ap.add_argument("--once", action="store_true", help="scan once, then exit")
    ap.add_argument("--interval", type=float, default=1.0, metavar="SECONDS", help="seconds between scans")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m warehouse.dropfolder``: see :func:`run`."""
    ap = argparse.ArgumentParser(prog="kasuwa watch", description="Ingest the files dropped in the drop folders.")
    add_arguments(ap)
    return run(ap.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Watch the drop folders until SIGTERM or Ctrl-C (exit 0, after the file in hand), printing
    one JSON object per file put away on stdout and a line in words on stderr; ``--once`` scans
    once and exits. A second SIGTERM or Ctrl-C stops at once (exit 130; the file in hand is
    finished by the next watcher). Exit 2 for an unknown region. Its own SIGTERM and SIGINT
    handlers are in force while it runs (the previous ones are restored after)."""
    # our own lines only: the libraries' loggers (Great Expectations is chatty) stay at warnings
    if not log.handlers:  # main may run more than once in a process (tests)
        log_handler = logging.StreamHandler(sys.stderr)
        log_handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(log_handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    from .db import close_all

    if args.region is not None:
        from .regions import get_region

        try:
            get_region(args.region)
        except KasuwaError as exc:
            print(f"kasuwa: {exc}", file=sys.stderr)
            return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        if stop.is_set():  # asked twice: stop now
            _FORCED.set()
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if args.once:
            _look_first(stop)
            for result in scan_once(args.region, stop=stop):
                _print_result(result)
        else:
            print(f"kasuwa: watching {settings().inbox_dir}" + (f" for {args.region}" if args.region else ""),
                  file=sys.stderr, flush=True)
            watch(stop, args.interval, args.region, on_result=_print_result, release=True)
        return 0
    except KasuwaError as exc:
        print(f"kasuwa: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kasuwa: stopped; a file in hand is finished by the next watcher", file=sys.stderr)
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        close_all()
        _forget_me()


if __name__ == "__main__":
    raise SystemExit(main())
