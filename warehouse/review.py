"""The reviewers' queue: flagged rows of a region, fixed and approved, or rejected with a note.

Every function takes the acting :class:`~warehouse.access.Actor` and a region, and asks
:func:`warehouse.access.require_review` first: reviewers decide rows of their own regions only.

- An approval re-validates the row — the values as read, with the reviewer's fixes on top —
  through :func:`warehouse.ingest.check_row`, the same checks as ingestion. A row that passes
  goes into ``sales`` (``sale_id`` = ``flag_id``) in the *same transaction* that marks it
  approved; one that fails stays pending and the reasons come back. An order already in
  ``sales`` (creator + source + order id + line) is never loaded twice.
- A rejection needs a note.
- Each decision is a conditional ``UPDATE … WHERE status = 'pending'``: of two reviewers
  deciding one row at once exactly one wins; the other gets :class:`~warehouse.errors.Conflict`.
- Every decision appends a row to ``review_audit``; nothing ever updates or deletes it.

Listing the queue and reading one row live in :mod:`warehouse.review_queue`.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from .access import Actor, require_review
from .db import RegionWarehouse, warehouse
from .errors import Conflict, InvalidInput, KasuwaError, NotFound
from .review_queue import (
    CANONICAL_FIELDS,
    FlagDetail,
    QueueFacets,
    QueueFilter,
    QueuePage,
    QueueRow,
    canonical_text,
    flag_detail,
    list_queue,
    queue_facets,
    reviewable_regions,
)

__all__ = [
    "CANONICAL_FIELDS",
    "Decision",
    "FlagDetail",
    "QueueFacets",
    "QueueFilter",
    "QueuePage",
    "QueueRow",
    "approve",
    "bulk_approve",
    "bulk_reject",
    "flag_detail",
    "list_queue",
    "queue_facets",
    "reject",
    "reviewable_regions",
]

MAX_BULK = 1000
#: a sale cannot be loaded without these (checked before the full re-validation)
REQUIRED_FIELDS = ("order_id", "sold_at", "product", "gross", "currency")
#: sales columns the loader fills itself, never taken from a checked row
_OWN_COLUMNS = {"sale_id", "creator_id", "source", "upload_id", "row_number", "loaded_at"}
# One decision at a time per process: the duplicate-order check and the insert must not
# interleave with another approval of the same order. Across processes (app replicas on a
# remote region) the conditional UPDATE still lets exactly one reviewer win each row.
_DECIDING = threading.Lock()


@dataclass(frozen=True)
class Decision:
    """What happened to one row: ``outcome`` is approved | rejected | invalid | conflict | missing.

    ``invalid`` means the (fixed) row failed re-validation and is still pending; ``reasons``
    says why, in words.
    """

    flag_id: str
    outcome: str
    reasons: tuple[str, ...] = ()
    sale_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("approved", "rejected")


class _Lost(Exception):
    """The conditional UPDATE changed nothing: someone decided the row first."""


class _Known(Exception):
    def __init__(self, sale_id: str) -> None:
        self.sale_id = sale_id


def _pending_flag(wh: RegionWarehouse, flag_id: str) -> dict[str, Any]:
    rows = wh.dicts(
        "SELECT f.flag_id, f.upload_id, f.creator_id, f.row_number, f.parsed, f.status,"
        " f.reviewed_by, epoch(f.reviewed_at) AS reviewed_at, u.source"
        " FROM flagged_rows f LEFT JOIN uploads u USING (upload_id) WHERE f.flag_id = ?",
        [flag_id],
    )
    if not rows:
        raise NotFound(f"No flagged row {flag_id} in this region.")
    flag = rows[0]
    if flag["status"] != "pending":
        raise Conflict(_decided_message(flag))
    return flag


def _decided_message(flag: dict[str, Any]) -> str:
    when = ""
    if flag.get("reviewed_at") is not None:
        when = " at " + datetime.fromtimestamp(float(flag["reviewed_at"]), UTC).strftime("%H:%M:%S UTC")
    who = flag.get("reviewed_by") or "another reviewer"
    return (
        f"Row {flag['flag_id']} was already {flag['status']} by {who}{when}. "
        "Your decision was not recorded; refresh the queue to see its current state."
    )


def _values(flag: dict[str, Any], fixes: dict[str, str] | None) -> dict[str, str | None]:
    parsed = json.loads(flag["parsed"]) if flag.get("parsed") else {}
    values: dict[str, str | None] = {k: canonical_text(v) for k, v in (parsed or {}).items()}
    for key, value in (fixes or {}).items():
        if key not in CANONICAL_FIELDS and key not in values:
            raise InvalidInput(f"{key!r} is not a column of a sale; fixable columns: {', '.join(CANONICAL_FIELDS)}.")
        values[key] = str(value).strip()
    return values


def _update_status(cur: duckdb.DuckDBPyConnection, actor: Actor, flag_id: str, status: str, note: str) -> None:
    changed = cur.execute(
        "UPDATE flagged_rows SET status = ?, reviewed_by = ?, reviewed_at = current_timestamp, note = ?"
        " WHERE flag_id = ? AND status = 'pending'",
        [status, actor.user_id, note, flag_id],
    ).fetchone()
    if not changed or changed[0] != 1:
        raise _Lost()


def _audit(
    cur: duckdb.DuckDBPyConnection,
    actor: Actor,
    flag: dict[str, Any],
    decision: str,
    note: str,
    *,
    fixes: dict[str, str] | None = None,
    sale_id: str | None = None,
) -> None:
    cur.execute(
        "INSERT INTO review_audit (audit_id, flag_id, upload_id, creator_id, decision, decided_by, decided_at,"
        " note, fixes, sale_id) VALUES (?, ?, ?, ?, ?, ?, current_timestamp, ?, ?, ?)",
        [
            f"{time.time_ns():020d}-{secrets.token_hex(4)}",
            flag["flag_id"],
            flag["upload_id"],
            flag["creator_id"],
            decision,
            actor.user_id,
            note,
            json.dumps(fixes, ensure_ascii=False) if fixes else None,
            sale_id,
        ],
    )


def _insert_sale(cur: duckdb.DuckDBPyConnection, flag: dict[str, Any], sale: dict[str, Any]) -> str:
    known = cur.execute(
        "SELECT sale_id FROM sales WHERE creator_id = ? AND source = ? AND order_id = ? AND line = ? LIMIT 1",
        [flag["creator_id"], flag["source"], str(sale["order_id"]), int(sale.get("line") or 1)],
    ).fetchone()
    if known:
        raise _Known(str(known[0]))
    columns = {
        r[0]
        for r in cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'sales'"
            " AND table_schema = current_schema()"
        ).fetchall()
    }
    fields = [k for k in sale if k in columns and k not in _OWN_COLUMNS]
    names = ["sale_id", "creator_id", "source", "upload_id", "row_number", *fields]
    values = [flag["flag_id"], flag["creator_id"], flag["source"], flag["upload_id"], flag["row_number"]]
    values += [sale[k] for k in fields]
    # loaded_at: the rows become queryable when this transaction commits
    cur.execute(
        f"INSERT INTO sales ({', '.join(names)}, loaded_at) VALUES ({', '.join('?' * len(names))}, current_timestamp)",
        values,
    )
    return str(flag["flag_id"])


def _decide(wh: RegionWarehouse, flag: dict[str, Any], work: Any) -> Any:
    """Run ``work(cur)`` in one transaction, turning a lost race into Conflict."""
    try:
        with _DECIDING, wh.transaction() as cur:
            return work(cur)
    except _Lost:
        current = wh.dicts(
            "SELECT flag_id, status, reviewed_by, epoch(reviewed_at) AS reviewed_at"
            " FROM flagged_rows WHERE flag_id = ?",
            [flag["flag_id"]],
        )
        raise Conflict(_decided_message(current[0] if current else flag)) from None
    except duckdb.TransactionException as exc:  # another transaction wrote the row meanwhile
        if "conflict" not in f"{exc} {exc.__context__ or ''}".lower():
            raise
        raise Conflict(
            f"Row {flag['flag_id']} was changed by someone else while you decided it. "
            "Your decision was not recorded; refresh the queue to see its current state."
        ) from exc


def _refresh_rollups(region: str) -> None:
    """Keep the managers' rollups in step with the sales just approved; the approval is
    committed already and metrics re-check the rollups, so a failure here only delays them."""
    from .queries.rollups import refresh_rollups

    with suppress(KasuwaError, duckdb.Error):
        refresh_rollups(region)


def approve(
    actor: Actor,
    region: str,
    flag_id: str,
    fixes: dict[str, str] | None = None,
    note: str = "",
    *,
    refresh: bool = True,
    precheck: Any = None,
) -> Decision:
    """Approve one flagged row, loading it into ``sales`` if the (fixed) values pass validation.

    Returns ``Decision(outcome="approved", sale_id=…)`` or ``Decision(outcome="invalid",
    reasons=…)`` (row still pending). Raises Conflict if the row is no longer pending,
    NotFound if it does not exist, PermissionDenied outside the reviewer's regions.
    """
    from .ingest import check_row

    require_review(actor, region)
    wh = warehouse(region)
    flag = _pending_flag(wh, flag_id)
    if not flag.get("source"):
        raise NotFound(f"The upload of row {flag_id} is missing, so its source is unknown.")
    values = _values(flag, fixes)
    missing = [c for c in REQUIRED_FIELDS if not values.get(c)]
    if missing:
        return Decision(flag_id, "invalid", tuple(f"{c.replace('_', ' ')} is required" for c in missing))
    # bulk approval validates all rows in one pass and hands each its result (``precheck``)
    check = precheck or check_row(region, flag["creator_id"], flag["source"], values)
    if not check.ok:
        return Decision(flag_id, "invalid", tuple(check.reasons))
    note = (note or "").strip()

    def work(cur: duckdb.DuckDBPyConnection) -> str:
        _update_status(cur, actor, flag_id, "approved", note)
        sale_id = _insert_sale(cur, flag, check.sale)
        _audit(cur, actor, flag, "approved", note, fixes=fixes, sale_id=sale_id)
        return sale_id

    try:
        sale_id = _decide(wh, flag, work)
    except _Known as known:
        order = check.sale.get("order_id")
        return Decision(
            flag_id,
            "invalid",
            (
                f"Order {order} (line {check.sale.get('line') or 1}) is already in the sales as "
                f"{known.sale_id}; approving would count it twice. Reject this row as a duplicate.",
            ),
        )
    if refresh:
        _refresh_rollups(region)
    return Decision(flag_id, "approved", sale_id=sale_id)


def reject(actor: Actor, region: str, flag_id: str, note: str) -> Decision:
    """Reject one flagged row; ``note`` (why) is required. Raises Conflict if already decided."""
    require_review(actor, region)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Say why the row is rejected: a note is required.")
    wh = warehouse(region)
    flag = _pending_flag(wh, flag_id)

    def work(cur: duckdb.DuckDBPyConnection) -> None:
        _update_status(cur, actor, flag_id, "rejected", note)
        _audit(cur, actor, flag, "rejected", note)

    _decide(wh, flag, work)
    return Decision(flag_id, "rejected")


def _bulk(ids: Iterable[str], one: Any) -> list[Decision]:
    flag_ids = list(dict.fromkeys(ids))
    if len(flag_ids) > MAX_BULK:
        raise InvalidInput(f"Decide at most {MAX_BULK} rows at once ({len(flag_ids)} selected).")
    out = []
    for flag_id in flag_ids:
        try:
            out.append(one(flag_id))
        except Conflict as exc:
            out.append(Decision(flag_id, "conflict", (str(exc),)))
        except NotFound as exc:
            out.append(Decision(flag_id, "missing", (str(exc),)))
    return out


def bulk_approve(actor: Actor, region: str, flag_ids: Iterable[str], note: str = "") -> list[Decision]:
    """Approve many rows as they are (no fixes); each is re-validated and decided on its own.

    One Decision per distinct flag id, in order: rows that fail validation stay pending
    (``invalid``), rows someone else decided come back as ``conflict``.
    """
    from .ingest import check_rows

    require_review(actor, region)
    ids = list(dict.fromkeys(flag_ids))
    if len(ids) > MAX_BULK:
        raise InvalidInput(f"Decide at most {MAX_BULK} rows at once ({len(ids)} selected).")
    wh = warehouse(region)
    # one parse and one validation for the whole selection (a row at a time takes ~0.4 s each)
    checks: dict[str, Any] = {}
    by_source: dict[str, list[tuple[str, dict[str, str | None]]]] = {}
    for fid in ids:
        with suppress(Conflict, NotFound):
            flag = _pending_flag(wh, fid)
            values = _values(flag, None)
            if flag.get("source") and all(values.get(c) for c in REQUIRED_FIELDS):
                by_source.setdefault(str(flag["source"]), []).append((fid, values))
    for source, items in by_source.items():
        results = check_rows(region, source, [v for _, v in items])
        checks.update({fid: result for (fid, _), result in zip(items, results, strict=True)})
    try:
        return _bulk(ids, lambda fid: approve(actor, region, fid, None, note, refresh=False,
                                              precheck=checks.get(fid)))
    finally:
        _refresh_rollups(region)


def bulk_reject(actor: Actor, region: str, flag_ids: Iterable[str], note: str) -> list[Decision]:
    """Reject many rows with one note (required); one Decision per distinct flag id."""
    require_review(actor, region)
    if not (note or "").strip():
        raise InvalidInput("Say why the rows are rejected: a note is required.")
    return _bulk(flag_ids, lambda fid: reject(actor, region, fid, note))
