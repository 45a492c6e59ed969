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
- A decision on many rows is made in two steps, so it touches exactly the rows the reviewer
  was shown: :func:`plan_bulk` (or :func:`plan_upload_rejection` for every pending row of one
  upload) checks the choice and returns a :class:`BulkPlan` that says in words what will happen
  to which rows; :func:`confirm_bulk` carries it out only if those rows are all still pending
  (otherwise :class:`ChoiceChanged`, and nothing is decided). A rejection of many rows is one
  transaction: all of them or none.

Listing the queue and reading one row live in :mod:`warehouse.review_queue`.
"""

from __future__ import annotations

import hashlib
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
from .ingest.validate import rule_label
from .review_queue import (
    CANONICAL_FIELDS,
    FlagDetail,
    QueueFacets,
    QueueFilter,
    QueuePage,
    QueueRow,
    canonical_text,
    count_queue,
    field_label,
    flag_detail,
    list_queue,
    matching_flag_ids,
    queue_facets,
    reviewable_regions,
    rows_by_id,
)

__all__ = [
    "CANONICAL_FIELDS",
    "BulkPlan",
    "ChoiceChanged",
    "Decision",
    "FlagDetail",
    "QueueFacets",
    "QueueFilter",
    "QueuePage",
    "QueueRow",
    "approve",
    "bulk_approve",
    "bulk_reject",
    "confirm_bulk",
    "count_queue",
    "field_label",
    "flag_detail",
    "list_queue",
    "matching_flag_ids",
    "plan_bulk",
    "plan_upload_rejection",
    "queue_facets",
    "reject",
    "reviewable_regions",
    "rows_by_id",
    "rule_label",
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


# --- decisions on many rows, shown first and then confirmed ----------------------------------

DECISIONS = ("approve", "reject")


class ChoiceChanged(Conflict):
    """The rows chosen are no longer all pending: nothing was decided. ``flag_ids`` are the rows
    that someone else decided meanwhile (or that no longer exist)."""

    def __init__(self, message: str, flag_ids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.flag_ids = flag_ids


@dataclass(frozen=True)
class BulkPlan:
    """A decision on many rows as it is shown to the reviewer before they confirm it.

    ``flag_ids`` are exactly the rows it will touch (empty for a whole upload's rejection, which
    touches the ``count`` pending rows of ``upload_id``); ``shown`` are the rows to list (all of
    them, or the first :data:`SHOWN_OF_UPLOAD` of an upload). ``token`` binds the plan's
    contents: :func:`confirm_bulk` refuses a plan whose fields were changed after it was made.
    """

    region: str
    decision: str
    flag_ids: tuple[str, ...]
    count: int
    note: str
    shown: tuple[QueueRow, ...]
    upload_id: str | None
    file_name: str | None
    token: str

    def describe(self) -> str:
        """What confirming will do, in one sentence a reviewer reads."""
        verb = "Approve" if self.decision == "approve" else "Reject"
        rows = f"{self.count:,} row{'s' if self.count != 1 else ''}"
        if self.upload_id:
            what = f"{verb} every pending row of the upload {self.file_name or self.upload_id}: {rows}"
        else:
            files = sorted({r.file_name or r.upload_id for r in self.shown})
            where = f" of {', '.join(files)}" if len(files) <= 3 else f" from {len(files)} files"
            what = f"{verb} {rows}{where}"
        if self.decision == "approve":
            return what + (", each checked again before it loads" + (f', with the note "{self.note}"' if self.note
                                                                        else "") + ".")
        return what + f', with the note "{self.note}". They will not be loaded.'


SHOWN_OF_UPLOAD = 50


def _token(region: str, decision: str, ids: tuple[str, ...], count: int, note: str, upload_id: str | None) -> str:
    text = json.dumps([region, decision, list(ids), count, note, upload_id], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _check_decision(decision: str, note: str) -> str:
    if decision not in DECISIONS:
        raise InvalidInput(f"Unknown decision {decision!r}; use approve or reject.")
    note = (note or "").strip()
    if decision == "reject" and not note:
        raise InvalidInput("Say why the rows are rejected: a note is required.")
    return note


def _not_pending(wh: RegionWarehouse, ids: list[str]) -> list[tuple[str, str, str | None]]:
    """(flag id, status or 'missing', decided by) of the ``ids`` that are not pending."""
    rows = wh.rows(
        "SELECT flag_id, status, reviewed_by FROM flagged_rows WHERE flag_id IN (SELECT unnest(CAST(? AS VARCHAR[])))",
        [ids],
    )
    found = {str(r[0]): (str(r[1]), r[2]) for r in rows}
    out = []
    for fid in ids:
        status, who = found.get(fid, ("missing", None))
        if status != "pending":
            out.append((fid, status, who))
    return out


def _changed_message(gone: list[tuple[str, str, str | None]], total: int, when: str) -> str:
    def one(fid: str, status: str, who: str | None) -> str:
        if status == "missing":
            return f"{fid} (no longer exists)"
        return f"{fid} ({status} by {who or 'another reviewer'})"

    listed = ", ".join(one(*g) for g in gone[:10])
    more = f" and {len(gone) - 10} more" if len(gone) > 10 else ""
    return (
        f"Nothing was decided: {when} {len(gone)} of the {total} rows were already decided: "
        f"{listed}{more}. They were taken out of your choice; look at the list again and confirm."
    )


def plan_bulk(actor: Actor, region: str, flag_ids: Iterable[str], decision: str, note: str = "") -> BulkPlan:
    """Check a decision on the chosen rows and say what it will do, without doing it.

    Raises InvalidInput (no rows, too many, no note for a rejection) or :class:`ChoiceChanged`
    when some chosen rows are no longer pending (they are named; nothing is planned)."""
    require_review(actor, region)
    note = _check_decision(decision, note)
    ids = tuple(dict.fromkeys(str(i) for i in flag_ids))
    if not ids:
        raise InvalidInput("Choose the rows to decide first: tick them in the table.")
    if len(ids) > MAX_BULK:
        raise InvalidInput(
            f"You chose {len(ids):,} rows; one decision takes at most {MAX_BULK:,}. Narrow the filters, "
            "or reject the whole upload at once."
        )
    wh = warehouse(region)
    gone = _not_pending(wh, list(ids))
    if gone:
        raise ChoiceChanged(_changed_message(gone, len(ids), "of the rows you chose,"), tuple(g[0] for g in gone))
    shown = tuple(rows_by_id(actor, region, list(ids)))
    return BulkPlan(region, decision, ids, len(ids), note, shown, None, None,
                    _token(region, decision, ids, len(ids), note, None))


def plan_upload_rejection(actor: Actor, region: str, upload_id: str, note: str) -> BulkPlan:
    """Plan the rejection of every pending flagged row of one upload, however many (one decision)."""
    require_review(actor, region)
    note = _check_decision("reject", note)
    wh = warehouse(region)
    up = wh.one("SELECT file_name FROM uploads WHERE upload_id = ?", [upload_id])
    if not up:
        raise NotFound(f"No upload {upload_id} in this region. Pick one from the Upload filter.")
    count = int(wh.one("SELECT count(*) FROM flagged_rows WHERE upload_id = ? AND status = 'pending'",
                       [upload_id])[0])
    if not count:
        raise InvalidInput(f"The upload {up[0]} has no pending rows left; nothing to reject.")
    first = list_queue(actor, region, QueueFilter(status="pending", upload_id=upload_id), limit=SHOWN_OF_UPLOAD)
    return BulkPlan(region, "reject", (), count, note, tuple(first.rows), upload_id, str(up[0]),
                    _token(region, "reject", (), count, note, upload_id))


def _reject_all(wh: RegionWarehouse, actor: Actor, where: str, params: list[Any], note: str, expected: int,
                changed: Any) -> None:
    """In one transaction: an audit row for, and the rejection of, every pending row matching
    ``where`` — exactly ``expected`` of them, or nothing (``changed(n)`` is raised)."""
    prefix = f"{time.time_ns():020d}-{secrets.token_hex(4)}-"
    try:
        with _DECIDING, wh.transaction() as cur:
            cur.execute(
                "INSERT INTO review_audit (audit_id, flag_id, upload_id, creator_id, decision, decided_by,"
                " decided_at, note) SELECT ? || lpad(CAST(row_number() OVER (ORDER BY flag_id) AS VARCHAR), 9, '0'),"
                " flag_id, upload_id, creator_id, 'rejected', ?, current_timestamp, ?"
                f" FROM flagged_rows WHERE status = 'pending' AND {where}",
                [prefix, actor.user_id, note, *params],
            )
            updated = cur.execute(
                "UPDATE flagged_rows SET status = 'rejected', reviewed_by = ?, reviewed_at = current_timestamp,"
                f" note = ? WHERE status = 'pending' AND {where}",
                [actor.user_id, note, *params],
            ).fetchone()
            n = int(updated[0]) if updated else 0
            if n != expected:
                raise changed(n)  # leaves the transaction: rolled back, nothing decided
    except duckdb.TransactionException as exc:
        if "conflict" not in f"{exc} {exc.__context__ or ''}".lower():
            raise
        raise ChoiceChanged(
            "Nothing was decided: someone else decided some of these rows while you confirmed. "
            "Look at the list again and confirm."
        ) from exc


def confirm_bulk(actor: Actor, plan: BulkPlan) -> list[Decision]:
    """Carry out ``plan`` exactly: every row it names (or every pending row of its upload, as
    many as it counted) is decided, or — if any of them was decided meanwhile — none is, and
    :class:`ChoiceChanged` says which. Returns one Decision per row (for a whole upload, an
    empty list: the count is the plan's)."""
    require_review(actor, plan.region)
    if plan.token != _token(plan.region, plan.decision, plan.flag_ids, plan.count, plan.note, plan.upload_id):
        raise InvalidInput("This decision was changed after it was shown. Choose the rows again.")
    wh = warehouse(plan.region)
    if plan.upload_id:
        def upload_changed(n: int) -> ChoiceChanged:
            return ChoiceChanged(
                f"Nothing was decided: since you were shown it, the upload {plan.file_name} went from "
                f"{plan.count:,} to {n:,} pending rows (someone else decided some). Look again and confirm."
            )

        _reject_all(wh, actor, "upload_id = ?", [plan.upload_id], plan.note, plan.count, upload_changed)
        _refresh_rollups(plan.region)
        return []
    ids = list(plan.flag_ids)
    gone = _not_pending(wh, ids)
    if gone:
        raise ChoiceChanged(_changed_message(gone, len(ids), "since you were shown the list,"),
                            tuple(g[0] for g in gone))
    if plan.decision == "approve":
        return bulk_approve(actor, plan.region, ids, plan.note)

    def rows_changed(n: int) -> ChoiceChanged:
        now_gone = _not_pending(wh, ids)
        return ChoiceChanged(_changed_message(now_gone, len(ids), "while you confirmed,") if now_gone else
                             f"Nothing was decided: only {n} of the {len(ids)} rows could be rejected. Look again.",
                             tuple(g[0] for g in now_gone))

    _reject_all(wh, actor, "flag_id IN (SELECT unnest(CAST(? AS VARCHAR[])))", [ids], plan.note, len(ids),
                rows_changed)
    return [Decision(fid, "rejected") for fid in ids]
