"""Where an upload enters: ``ingest_file`` (any process) and ``ingest_received`` (a region's
owner, for a file another process landed or sent). Both end in ``pipeline``'s one-transaction
load; this module decides only *where* it runs (here, or in the region's owner).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from ..access import Actor, can_upload_for
from ..creators import creator_region
from ..db import owner_client
from ..errors import FileRejected, PermissionDenied, RegionUnavailable, WarehouseBusy
from ..i18n import N_
from ..settings import settings
from . import landing, validate
from .pipeline import Progress, _Clock, _ingest_landed, _land_within_limits, _mib, _now, _Refused
from .result import IngestResult


def ingest_file(
    actor: Actor, creator_id: str, file_name: str, data: bytes | Path, *, profile: str | None = None,
    mapping: dict[str, str] | None = None, progress: Progress | None = None, confirm: bool = False,
) -> IngestResult:
    """Validate and load one export for ``creator_id``; never raises for a bad file (the result
    says ``rejected`` with the reason), raises KasuwaError for who-may-do-what problems.

    When another process owns the region (``kasuwa serve``), the work runs there: this process
    only lands the file (in the shared landing area, or sends its bytes to a region on its own
    host), so it never imports Great Expectations. ``confirm``: a file read by the meaning of its
    columns (not a known layout) is not loaded until the creator confirms the reading (the app's
    step): the result is ``rejected`` with ``confirm`` set, Kasuwa's reading and the first rows."""
    region = creator_region(creator_id)
    if not can_upload_for(actor, creator_id, region):
        raise PermissionDenied(N_("You can only upload files for your own account."))
    received_at = _now()
    try:
        owner = owner_client(region)
    except (RegionUnavailable, WarehouseBusy):
        if _on_own_host(region):  # its host is down: the file waits centrally, in the outbox
            return _keep_for_later(actor, creator_id, region, file_name, data, received_at, profile, mapping,
                                   progress)
        owner = None  # the local path below lands the file and says why it cannot load now
    if owner is not None:
        return _ingest_in_owner(owner, actor, creator_id, file_name, data, received_at, profile, mapping, progress,
                                confirm)
    clock = _Clock(progress)
    gx_thread = validate.warm_up()
    try:
        landed = _land_within_limits(region, creator_id, data)
    except FileRejected as exc:  # refused before it was kept: no upload record, nothing landed
        return _refused(region, exc)
    clock.stage("landing", 0.05)
    return _ingest_landed(actor, creator_id, region, file_name, landed, received_at, profile, mapping, clock,
                          gx_thread, confirm=confirm)


def _refused(region: str, exc: FileRejected) -> IngestResult:
    refused = IngestResult("rejected", None, region, None, str(exc))
    refused.next_steps = [getattr(exc, "step", N_("Check the file and upload it again."))]
    return refused


def _ingest_in_owner(owner: Any, actor: Actor, creator_id: str, file_name: str, data: bytes | Path,
                     received_at: datetime, profile: str | None, mapping: dict[str, str] | None,
                     progress: Progress | None, confirm: bool = False) -> IngestResult:
    region = owner.address.region
    if owner.address.local:  # same data directory: land here, the owner reads the landed file
        try:
            landed = _land_within_limits(region, creator_id, data)
        except FileRejected as exc:
            return _refused(region, exc)
        if progress:
            progress("landing", 0.05)  # kept; the owner reads, validates and loads it now
        result: IngestResult = _followed(owner, progress, actor, creator_id, file_name, landed.sha256, landed.size,
                                         received_at, profile, mapping=mapping, region=region, confirm=confirm)
    else:  # a region on its own host keeps the raw file there: send the bytes
        from .mappings import saved_for_host

        raw = _within_limit(data)
        if isinstance(raw, FileRejected):
            return _refused(region, raw)
        try:
            result = _followed(owner, progress, actor, creator_id, file_name, None, None, received_at, profile,
                               mapping=mapping, region=region, data=raw, saved=saved_for_host(creator_id),
                               confirm=confirm)
        except RegionUnavailable:
            # the host stopped while the file was on its way: whether or not it loaded there, the
            # outbox sends it again and the host recognises a file it already loaded (sha256)
            return _keep_for_later(actor, creator_id, region, file_name, raw, received_at, profile, mapping,
                                   progress)
    if progress:
        progress("done", 1.0)
    return result


def _followed(owner: Any, progress: Progress | None, actor: Actor, *args: Any, mapping: dict[str, str] | None,
              **kwargs: Any) -> IngestResult:
    """The ``ingest`` job in the owner, given plain values; with ``progress``, the owner's stages
    (reading, checking, loading), streamed back with the job's answer, are relayed to it from
    this thread (the app's progress bar belongs to the page's script thread)."""
    from .mappings import mapping_plain

    return IngestResult.from_plain(owner.job("ingest", actor.plain(), *args, mapping=mapping_plain(mapping),
                                             progress=_relay(progress), **kwargs))


def _relay(progress: Progress | None) -> Any:
    """``progress`` without the final "done" (the caller says that once the result is here)."""
    if progress is None:
        return None

    def relay(stage: str, fraction: float) -> None:
        if fraction < 1.0:
            progress(stage, fraction)

    return relay


def _on_own_host(region: str) -> bool:
    from ..outbox import waits_for_host

    return waits_for_host(region)


def _keep_for_later(actor: Actor, creator_id: str, region: str, file_name: str, data: bytes | Path,
                    received_at: datetime, profile: str | None, mapping: dict[str, str] | None,
                    progress: Progress | None) -> IngestResult:
    """Keep an upload for a region on its own host that cannot be reached now (``outbox``);
    the result says ``waiting``. Over the size limit it is refused as any upload is."""
    from ..outbox import keep

    raw = _within_limit(data)
    if isinstance(raw, FileRejected):
        return _refused(region, raw)
    if progress:
        progress("landing", 0.5)
    result = keep(actor, creator_id, region, file_name, raw, received_at, profile, mapping)
    if progress:
        progress("done", 1.0)
    return result


def _within_limit(data: bytes | Path) -> bytes | FileRejected:
    """The file's bytes, or the refusal to give when it is over ``KASUWA_MAX_UPLOAD_MB``
    (reading stops there)."""
    limit = settings().max_upload_bytes
    raw = data if isinstance(data, bytes) else _read_limited(data, limit)
    if raw is None or len(raw) > limit:
        problem = (N_("The file is %(size)s; the limit is %(limit)s and nothing was kept.", size=_mib(len(raw)),
                      limit=_mib(limit)) if raw is not None else
                   N_("The file is larger than the limit (reading stopped there); the limit is %(limit)s and "
                      "nothing was kept.", limit=_mib(limit)))
        return _Refused(problem, N_("Export a shorter date range and upload the parts."))
    return raw


def _read_limited(path: Path, limit: int) -> bytes | None:
    """The file's bytes, or ``None`` when it holds more than ``limit`` (reading stops there)."""
    with open(path, "rb") as fh:
        raw = fh.read(limit + 1)
    return None if len(raw) > limit else raw


def ingest_received(actor: Actor, creator_id: str, file_name: str, received_at: datetime, *,
                    sha256: str | None = None, size: int | None = None, data: bytes | None = None,
                    profile: str | None = None, mapping: dict[str, str] | None = None,
                    region: str | None = None, saved: list[dict[str, Any]] | None = None,
                    progress: Progress | None = None, confirm: bool = False) -> IngestResult:
    """The owner's half of ``ingest_file``: a file another process landed (``sha256``) or sent
    (``data``), loaded exactly as an in-process ingest would. ``region``: the caller looked it
    up in the creator directory, and ``saved`` are the creator's saved column mappings (a
    region on its own host has no copy of the control database). ``progress``: called with
    each stage, as ``ingest_file``'s is."""
    region = region or creator_region(creator_id)
    if not can_upload_for(actor, creator_id, region):
        raise PermissionDenied(N_("You can only upload files for your own account."))
    clock = _Clock(progress)
    gx_thread = validate.warm_up()
    if data is not None:
        try:
            landed = _land_within_limits(region, creator_id, data)
        except FileRejected as exc:
            return _refused(region, exc)
    else:
        path = settings().landing_dir / region / str(sha256)
        if not (sha256 and landing.SHA256.fullmatch(sha256) and path.is_file()):
            raise FileRejected(N_("The uploaded file was not found where the region keeps files; upload it again."))
        landed = landing.Landed(sha256, path, int(size if size is not None else path.stat().st_size))
    clock.stage("landing", 0.05)
    return _ingest_landed(actor, creator_id, region, file_name, landed, received_at, profile, mapping, clock,
                          gx_thread, saved, confirm=confirm)
