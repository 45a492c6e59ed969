"""The jobs a region's owner runs for other processes, by name (the Flight action ``kasuwa.job``):
the same Python functions the embedded mode calls directly. Arguments and results are plain values
(``warehouse.plain``: standard types only); each job below rebuilds the domain values it needs
(``Actor.from_plain``, ``mapping_from_plain``) and answers in plain values (``IngestResult.plain``,
``RunResult.plain``), which the caller turns back with ``from_plain`` (STYLE 17: the protocol
never learns a domain type).

Each public function that has a job here asks ``db.owner_client(region)`` first and, when
another process owns the region, calls the job instead of doing the work itself; inside the
owner (and with no owner running) the work is done in-process as before. A region on its own
host has no copy of the central creator directory, so there only ingest (given the region
and the creator's saved column mappings) and review checks run as jobs; payout runs and
rollup refreshes run in the caller, every statement going through the owner.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..access import Actor
from ..errors import PermissionDenied
from ..i18n import N_

#: progress key -> (stage, fraction) of the ingests running here: the server streams it back to
#: the process that asked for the job, as the action's results
_PROGRESS: dict[str, tuple[str, float]] = {}
_PROGRESS_LOCK = threading.Lock()


def progress_of(key: str) -> tuple[str, float] | None:
    """Where the ingest with progress key ``key`` is (None: not started, or finished)."""
    with _PROGRESS_LOCK:
        return _PROGRESS.get(key)


def _reporter(key: str | None) -> Callable[[str, float], None] | None:
    if not key:
        return None

    def report(stage: str, fraction: float) -> None:
        with _PROGRESS_LOCK:
            _PROGRESS[key] = (stage, float(fraction))

    return report


def acting(actor: Actor) -> Actor:
    """The Actor a job runs as: rebuilt from the account in the control database (its role,
    creator and regions now), never the role or scope the request's body claims; the operator
    (the token's holder: whoever can read the data directory) stays the operator. An account
    gone or deactivated is refused in words. (Which user the caller acts for is still the
    caller's word: the token authenticates processes, not people; see README.)"""
    if actor == Actor.operator():
        return actor
    from control.accounts import current_actor

    fresh = current_actor(actor.user_id)
    if fresh is None:
        raise PermissionDenied(N_("This account cannot do this any more (it is gone or no longer active)."))
    return fresh


def _ingest(actor: dict[str, Any], creator_id: str, file_name: str, sha256: str | None, size: int | None,
            received_at: datetime, profile: str | None = None, mapping: dict[str, Any] | None = None,
            region: str | None = None, data: bytes | None = None, saved: list[dict[str, Any]] | None = None,
            progress_key: str | None = None, confirm: bool = False) -> dict[str, Any]:
    """A file another process landed in our shared landing area (``sha256``), or its bytes
    (``data``) from a process on another host: the raw file is kept here, by the region.
    ``saved``: the creator's saved column mappings, sent by a central side on another host.
    ``progress_key``: set by the server, which streams the stages back (``progress_of``)."""
    from ..ingest.entry import ingest_received
    from ..ingest.mappings import mapping_from_plain

    who = Actor.from_plain(actor)
    if data is None:  # a caller sharing our data directory shares the accounts too
        who = acting(who)
    try:
        result = ingest_received(who, creator_id, file_name, received_at, sha256=sha256, size=size, data=data,
                                 profile=profile, mapping=mapping_from_plain(mapping), region=region, saved=saved,
                                 progress=_reporter(progress_key), confirm=confirm)
        return result.plain()
    finally:
        if progress_key:
            with _PROGRESS_LOCK:
                _PROGRESS.pop(progress_key, None)


def _check_rows(region: str, source: str, rows: list[dict[str, str | None]]) -> list[dict[str, Any]]:
    from dataclasses import asdict

    from ..ingest import check_rows

    return [asdict(r) for r in check_rows(region, source, rows)]


def _payouts_run(actor: dict[str, Any], region: str, as_of: Any) -> dict[str, Any]:
    from ..payouts.runs import run_payouts

    return run_payouts(acting(Actor.from_plain(actor)), region, as_of).plain()


def _refresh_rollups(region: str, full: bool = False) -> int:
    from ..queries.rollups import refresh_rollups

    return refresh_rollups(region, full)


def _undo_upload(actor: dict[str, Any], region: str, upload_id: str, reason: str = "",
                 reverse_paid: bool = False) -> dict[str, Any]:
    from ..undo import undo_job

    return undo_job(acting(Actor.from_plain(actor)), region, upload_id, reason, reverse_paid)


def _kept_sizes(region: str, creator_id: str) -> dict[str, int]:
    from ..ingest.pipeline import kept_sizes

    return kept_sizes(region, creator_id)


#: job name -> the function the owner runs (an allow-list: nothing else can be called)
JOBS: dict[str, Callable[..., Any]] = {
    "ingest": _ingest,
    "check_rows": _check_rows,
    "payouts_run": _payouts_run,
    "refresh_rollups": _refresh_rollups,
    "undo_upload": _undo_upload,
    "kept_sizes": _kept_sizes,
}

#: jobs that report their stages (the server gives them a progress key and streams them back)
REPORTS_PROGRESS = frozenset({"ingest"})
