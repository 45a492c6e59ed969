"""The outbox: uploads for a region on its own host (``regions.toml`` location ``kasuwa://``)
that its host could not take when they were made — it was down, or stopped while the file was
being sent. The raw bytes are kept centrally until the region's host has answered with what
became of them; then they are removed (the host keeps its own copy, as for any upload).

Layout, per region: ``KASUWA_DATA_DIR/outbox/<region>/<key>.data`` (the file's bytes) and
``<key>.json`` (creator, file name, who uploaded it, when, profile and column choices), where
``key`` is the sha256 of the creator id and the file's sha256 (the same file for the same
creator is one entry; for two creators it is two). Both are written to a temporary name and
renamed, bytes first, so an entry whose ``.json`` exists is whole.

Delivery (``send``): at most one sender per entry at a time — a sender holds an exclusive
``flock`` on ``<key>.lock`` while it sends (the kernel drops it when the sender dies, so the
next pass takes the entry over). The entry is removed only after the host answered; a host
that stops mid-send leaves the entry, and the next pass sends it again. Exactly once: the host
recognises a file it already loaded by its sha256 and loads nothing the second time. The
``flock`` is local: run the senders of one data directory on one host (the app, ``kasuwa
watch`` and ``kasuwa outbox send`` of the central side).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from . import plain
from .access import Actor
from .errors import ConfigError, KasuwaError, RegionUnavailable, WarehouseBusy
from .files import try_lock, write_atomically
from .i18n import N_
from .ingest.result import IngestResult
from .owner.registry import OwnerFailed
from .regions import all_regions, get_region
from .settings import settings

log = logging.getLogger("kasuwa.outbox")


@dataclass(frozen=True)
class Waiting:
    """One upload in the outbox, as people are shown it."""

    region: str
    creator_id: str
    file_name: str
    sha256: str
    size: int
    received_at: datetime
    uploaded_by: str | None


def outbox_dir(region: str | None = None) -> Path:
    base = settings().data_dir / "outbox"
    return base / region if region else base


def _key(creator_id: str, sha256: str) -> str:
    return hashlib.sha256(f"{creator_id}\0{sha256}".encode()).hexdigest()


def waits_for_host(region: str) -> bool:
    """Whether uploads for ``region`` wait in the outbox when its host cannot be reached (a
    region on its own host, ``kasuwa://``)."""
    return bool(get_region(region).owner_url)


def _region_name(region: str) -> str:
    try:
        return get_region(region).name
    except KasuwaError:
        return region


def waiting_message(region: str, again: bool = False) -> str:
    """What a person is told about a file kept for a region whose host is down, in words."""
    if again:
        return N_("This file is already waiting: it loads by itself as soon as the region is back, and shows under "
                  "your uploads as waiting until then. Nothing needs to be uploaded again. Other regions are "
                  "unaffected.")
    return N_("Region %(name)s cannot be reached right now, so this file was kept: it loads by itself as soon as the "
              "region is back, and shows under your uploads as waiting until then. Nothing needs to be uploaded "
              "again. Other regions are unaffected.", name=_region_name(region))


def keep(actor: Actor, creator_id: str, region: str, file_name: str, raw: bytes, received_at: datetime,
         profile: str | None = None, mapping: dict[str, str] | None = None) -> IngestResult:
    """Keep an upload for ``region`` until its host is back; the result says ``waiting``. The
    same file for the same creator already waiting is recognised by its sha256 and kept once."""
    from .ingest.mappings import mapping_plain

    sha = hashlib.sha256(raw).hexdigest()
    d = outbox_dir(region)
    d.mkdir(parents=True, exist_ok=True)
    key = _key(creator_id, sha)
    meta = d / f"{key}.json"
    again = meta.exists()
    if not again:
        over = _over_quota(creator_id, len(raw))
        if over is not None:
            return over
        write_atomically(d / f"{key}.data", raw)
        record = {"creator_id": creator_id, "file_name": file_name, "sha256": sha, "size": len(raw),
                  "received_at": plain.encode(received_at), "actor": actor.plain(),
                  "profile": profile, "mapping": mapping_plain(mapping) or {}}
        write_atomically(meta, json.dumps(record).encode())
        log.info("region %s cannot be reached: an upload for %s is kept in the outbox", region, creator_id)
    res = IngestResult("waiting", None, region, None, waiting_message(region, again), sha256=sha)
    res.next_steps = [N_("Nothing to do: the file loads by itself when the region is back.")]
    return res


def _size(n: int) -> str:
    """A size as the landing's quota refusal words it (MB, or KB under one)."""
    return f"{round(n / 1048576, 2):g} MB" if n >= 1048576 else f"{max(1, round(n / 1024))} KB"


def _over_quota(creator_id: str, size: int) -> IngestResult | None:
    """The refusal of a file that would take ``creator_id``'s uploads waiting in the outbox past
    their storage quota (the region's own count cannot be asked while it is down), else None."""
    quota = settings().creator_quota_bytes
    used = sum(w.size for w in waiting(creator_id))
    if used + size <= quota:
        return None
    res = IngestResult("rejected", None, None, None, N_(
        "Your storage is full: your kept files take %(used)s of the %(quota)s you may use, and this file "
        "(%(size)s) does not fit; nothing was kept.", used=_size(used), quota=_size(quota), size=_size(size)))
    res.next_steps = [N_("Ask an administrator to purge old uploads or raise your quota, then upload it again.")]
    return res


def _read(meta: Path) -> dict[str, Any] | None:
    try:
        return json.loads(meta.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


def waiting(creator_id: str | None = None, region: str | None = None) -> list[Waiting]:
    """The uploads in the outbox (of one creator and/or region), oldest first."""
    base = outbox_dir()
    regions = [region] if region else sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
    out = []
    for code in regions:
        d = outbox_dir(code)
        if not d.is_dir():
            continue
        for meta in d.glob("*.json"):
            rec = _read(meta)
            if rec is None or (creator_id is not None and rec.get("creator_id") != creator_id):
                continue
            try:
                actor = _actor(rec.get("actor"))
                out.append(Waiting(code, str(rec["creator_id"]), str(rec["file_name"]), str(rec["sha256"]),
                                   int(rec.get("size") or 0), plain.decode(rec["received_at"]),
                                   getattr(actor, "user_id", None)))
            except (KeyError, TypeError, ValueError) as exc:  # a hand-edited record: the operator's log says so
                log.warning("outbox: %s cannot be read: %s", meta.name, exc)
    return sorted(out, key=lambda w: w.received_at)


@contextlib.contextmanager
def _claimed(d: Path, key: str) -> Iterator[bool]:
    """Hold this entry's lock for the block; yields whether it was free (another sender holds it
    otherwise, and the entry is left to that one)."""
    fd = os.open(d / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        yield try_lock(fd)
    finally:
        os.close(fd)  # drops the lock


def _remove(d: Path, key: str) -> None:
    """Remove an answered entry: bytes first, then the record (a record without bytes is an
    entry already answered), then the lock file."""
    for suffix in (".data", ".json", ".lock"):
        with contextlib.suppress(FileNotFoundError):
            (d / f"{key}{suffix}").unlink()


def _deliver(region: str, d: Path, key: str) -> dict[str, Any] | None:
    """Send one entry to the region's host and remove it once the host answered; the result
    object, or ``None`` when another sender had answered it already. Raises RegionUnavailable
    (the entry stays) when the host cannot be reached or stopped answering."""
    from .db import owner_client

    meta, data = d / f"{key}.json", d / f"{key}.data"
    rec = _read(meta)
    if rec is None:  # answered and removed by another sender meanwhile
        _remove(d, key)  # the lock file this sender opened again
        return None
    if not data.is_file():  # the bytes were removed once answered, then the sender stopped
        _remove(d, key)
        return None
    owner = owner_client(region)  # RegionUnavailable while the host is down
    if owner is None:
        raise RegionUnavailable(f"Region {_region_name(region)} is not served from its own host.")
    from .ingest.mappings import saved_for_host

    actor = _actor(rec["actor"])
    try:
        result = IngestResult.from_plain(owner.job(
            "ingest", actor.plain() if actor else None, rec["creator_id"], rec["file_name"], None, None,
            plain.decode(rec["received_at"]), rec.get("profile"), _mapping(rec.get("mapping")), region=region,
            data=data.read_bytes(), saved=saved_for_host(rec["creator_id"])))  # the creator's mappings as they are now
        summary = {"file": rec["file_name"], **result.summary()}
    except (RegionUnavailable, WarehouseBusy, ConfigError):
        raise  # not answered (or answered "not now"): the entry stays for the next pass
    except KasuwaError as exc:  # the host answered with a refusal in words: that is its result
        summary = {"file": rec["file_name"], "upload_id": None, "region": region, "profile": None,
                   "status": "rejected", "rows_total": 0, "rows_loaded": 0, "rows_flagged": 0,
                   "rows_skipped": 0, "rows_known": 0, "message": str(exc), "sha256": rec["sha256"],
                   "assumptions": [], "missing": []}
    _remove(d, key)
    return summary


def _actor(recorded: Any) -> Actor | None:
    """The actor of an outbox record (plain values; an older record's tagged form reads too)."""
    values = plain.decode(recorded)
    return Actor.from_plain(values) if isinstance(values, dict) else None


def _mapping(recorded: Any) -> dict[str, str] | None:
    """The mapping of an outbox record (``mapping_plain``; an older record's tagged constants too)."""
    from .ingest.mappings import mapping_from_plain

    values = plain.decode(recorded)
    return mapping_from_plain(values) if isinstance(values, dict) else None


def _answers(region: str) -> bool:
    """Whether the region's host answers now: asked here, outside the warehouse door's lock, so
    a background pass over a host that is down never holds up a page opening another region."""
    from .owner.registry import OwnerAddress, answers

    url = get_region(region).owner_url
    if not url:
        return False
    from .db import owner_location

    return answers(OwnerAddress(region, owner_location(url), settings().quack_token))


def _age(meta: Path) -> float:
    try:
        return meta.stat().st_mtime
    except FileNotFoundError:  # answered by another sender meanwhile
        return 0.0


def send(region: str | None = None, on_result: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """One pass over the outbox (of ``region``, or of every region on its own host): each entry
    whose lock is free is sent to its host and removed once the host answered. A region whose
    host cannot be reached keeps its entries for the next pass; the others are not held up.
    Returns each delivered file's result object (as ``kasuwa ingest --json`` prints it)."""
    codes = [region] if region else [r.code for r in all_regions() if r.owner_url]
    results: list[dict[str, Any]] = []
    for code in codes:
        d = outbox_dir(code)
        if not d.is_dir() or not any(d.glob("*.json")) or not _answers(code):
            continue
        entries = sorted(d.glob("*.json"), key=_age)  # the oldest upload first
        for meta in entries:
            key = meta.name.removesuffix(".json")
            with _claimed(d, key) as mine:
                if not mine:
                    continue
                try:
                    summary = _deliver(code, d, key)
                except (RegionUnavailable, WarehouseBusy, ConfigError) as exc:
                    log.info("outbox: region %s cannot take its waiting uploads yet: %s", code, exc)
                    break  # the next pass tries this region again
                except (OwnerFailed, KeyError, TypeError, ValueError):  # a bug there, or a record edited by hand
                    log.exception("outbox: %s for region %s is left waiting", meta.name, code)
                    continue  # the other uploads are not held up by this one
            if summary is not None:
                results.append(summary)
                if on_result is not None:
                    on_result(summary)
    return results


def start_sender(interval: float | None = None) -> threading.Event:
    """Start a background thread that sends the outbox every ``interval`` seconds
    (``KASUWA_OUTBOX_RETRY_SECONDS``) until the returned event is set. It never holds up the
    caller: a region that cannot be reached only waits for the next pass, and a failure is
    logged, never raised."""
    every = settings().outbox_retry_seconds if interval is None else interval
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                send()
            except KasuwaError as exc:
                log.warning("outbox: %s", exc)
            except Exception:  # a bug must not stop the retries; logged in full for the operator
                log.exception("outbox: unexpected error")

    threading.Thread(target=loop, name="kasuwa-outbox", daemon=True).start()
    return stop
