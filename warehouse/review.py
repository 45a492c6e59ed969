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
from .i18n import N_, _, ngettext
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
    creator_names,
    field_label,
    flag_detail,
    list_queue,
    matching_flag_ids,
    queue_facets,
    queue_span,
    reviewable_regions,
    rows_by_id,
    suggest_fixes,
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
    "creator_names",
    "field_label",
    "flag_detail",
    "list_queue",
    "matching_flag_ids",
    "plan_bulk",
    "plan_upload_rejection",
    "queue_facets",
    "queue_span",
    "reject",
    "reviewable_regions",
    "rows_by_id",
    "rule_label",
    "suggest_fixes",
]

MAX_BULK = 1000
#: a sale cannot be loaded without these (checked before the full re-validation)
#: (a product is not: a file may name none, DESIGN invariant 11; its rows carry '' — "not named")
REQUIRED_FIELDS = ("order_id", "sold_at", "gross", "currency")
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
        " f.reviewed_by, epoch(f.reviewed_at) AS reviewed_at, u.source, u.file_name"
        " FROM flagged_rows f LEFT JOIN uploads u USING (upload_id) WHERE f.flag_id = ?",
        [flag_id],
    )
    if not rows:
        raise NotFound(_("This flagged row is no longer in this region's queue."))
    flag = rows[0]
    if flag["status"] not in OPEN:
        raise Conflict(_decided_message(flag))
    return flag


def _decided_message(flag: dict[str, Any]) -> str:
    who = flag.get("reviewed_by") or _("another reviewer")
    status = _(STATUS_WORDS[flag["status"]]) if flag["status"] in STATUS_WORDS else flag["status"]
    if flag.get("reviewed_at") is not None:
        when = datetime.fromtimestamp(float(flag["reviewed_at"]), UTC).strftime("%H:%M:%S UTC")
        return _("The row on line %(line)s of %(file)s was already %(status)s by %(who)s at %(time)s. Your "
                 "decision was not recorded; refresh the queue to see its current state.",
                 line=flag["row_number"], file=flag.get("file_name") or "?", status=status, who=who, time=when)
    return _("The row on line %(line)s of %(file)s was already %(status)s by %(who)s. Your decision was not "
             "recorded; refresh the queue to see its current state.", line=flag["row_number"],
             file=flag.get("file_name") or "?", status=status, who=who)


#: a flagged row's status as a past participle inside a sentence ("was already approved")
STATUS_WORDS = {"approved": N_("approved"), "rejected": N_("rejected"), "pending": N_("pending")}
#: statuses a reviewer can still decide: waiting, asked of the creator, answered by them
OPEN = ("pending", "asked", "answered")


def _with_answers(wh: RegionWarehouse, flag_id: str, fixes: dict[str, str] | None) -> dict[str, str] | None:
    """``fixes`` on top of what the creator's answer corrected (a currency, say), if anything."""
    from .questions import creator_corrections

    with wh.cursor() as cur:
        corrected = creator_corrections(cur, flag_id)
    return {**corrected, **(fixes or {})} if corrected else fixes


def _values(flag: dict[str, Any], fixes: dict[str, str] | None) -> dict[str, str | None]:
    parsed = json.loads(flag["parsed"]) if flag.get("parsed") else {}
    values: dict[str, str | None] = {k: canonical_text(v) for k, v in (parsed or {}).items()}
    for key, value in (fixes or {}).items():
        if key not in CANONICAL_FIELDS and key not in values:
            raise InvalidInput(_("%(column)s is not a column of a sale; fixable columns: %(columns)s.",
                                 column=repr(key), columns=", ".join(CANONICAL_FIELDS)))
        values[key] = str(value).strip()
    return values


def _update_status(cur: duckdb.DuckDBPyConnection, actor: Actor, flag_id: str, status: str, note: str) -> None:
    changed = cur.execute(
        "UPDATE flagged_rows SET status = ?, reviewed_by = ?, reviewed_at = current_timestamp, note = ?"
        " WHERE flag_id = ? AND status IN ('pending', 'asked', 'answered')",
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
        raise Conflict(_decided_message({**flag, **current[0]} if current else flag)) from None
    except duckdb.TransactionException as exc:  # another transaction wrote the row meanwhile
        if "conflict" not in f"{exc} {exc.__context__ or ''}".lower():
            raise
        raise Conflict(
            _("The row on line %(line)s of %(file)s was changed by someone else while you decided it. Your "
              "decision was not recorded; refresh the queue to see its current state.", line=flag["row_number"],
              file=flag.get("file_name") or "?")
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
        raise NotFound(_("The upload of row %(row)s is missing, so its source is unknown.", row=flag_id))
    fixes = _with_answers(wh, flag_id, fixes)
    values = _values(flag, fixes)
    missing = [c for c in REQUIRED_FIELDS if not values.get(c)]
    if missing:
        return Decision(flag_id, "invalid", tuple(_("%(column)s is required", column=_(field_label(c)))
                                                  for c in missing))
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
                _("Order %(order)s (line %(line)s) is already in the sales as %(sale)s; approving would count it "
                  "twice. Reject this row as a duplicate.", order=order, line=check.sale.get("line") or 1,
                  sale=known.sale_id),
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
        raise InvalidInput(_("Say why the row is rejected: a note is required."))
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
        raise InvalidInput(_("Decide at most %(limit)s rows at once (%(count)s selected).", limit=MAX_BULK,
                             count=len(flag_ids)))
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
        raise InvalidInput(_("Decide at most %(limit)s rows at once (%(count)s selected).", limit=MAX_BULK,
                             count=len(ids)))
    wh = warehouse(region)
    # one parse and one validation for the whole selection (a row at a time takes ~0.4 s each)
    checks: dict[str, Any] = {}
    by_source: dict[str, list[tuple[str, dict[str, str | None]]]] = {}
    for fid in ids:
        with suppress(Conflict, NotFound):
            flag = _pending_flag(wh, fid)
            values = _values(flag, _with_answers(wh, fid, None))
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
        raise InvalidInput(_("Say why the rows are rejected: a note is required."))
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
        n, count, approve = self.count, f"{self.count:,}", self.decision == "approve"
        if self.upload_id:
            file = self.file_name or self.upload_id
            what = (ngettext("Approve every pending row of the upload %(file)s: %(count)s row",
                             "Approve every pending row of the upload %(file)s: %(count)s rows", n, file=file,
                             count=count) if approve else
                    ngettext("Reject every pending row of the upload %(file)s: %(count)s row",
                             "Reject every pending row of the upload %(file)s: %(count)s rows", n, file=file,
                             count=count))
        else:
            files = sorted({r.file_name or r.upload_id for r in self.shown})
            if len(files) <= 3:
                names = ", ".join(files)
                what = (ngettext("Approve %(count)s row of %(files)s", "Approve %(count)s rows of %(files)s", n,
                                 count=count, files=names) if approve else
                        ngettext("Reject %(count)s row of %(files)s", "Reject %(count)s rows of %(files)s", n,
                                 count=count, files=names))
            else:
                what = (ngettext("Approve %(count)s row from %(files)s files",
                                 "Approve %(count)s rows from %(files)s files", n, count=count, files=len(files))
                        if approve else
                        ngettext("Reject %(count)s row from %(files)s files",
                                 "Reject %(count)s rows from %(files)s files", n, count=count, files=len(files)))
        if approve and self.note:
            return _('%(what)s, each checked again before it loads, with the note "%(note)s".', what=what,
                     note=self.note)
        if approve:
            return _("%(what)s, each checked again before it loads.", what=what)
        return _('%(what)s, with the note "%(note)s". They will not be loaded.', what=what, note=self.note)


SHOWN_OF_UPLOAD = 50


def _token(region: str, decision: str, ids: tuple[str, ...], count: int, note: str, upload_id: str | None) -> str:
    text = json.dumps([region, decision, list(ids), count, note, upload_id], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _check_decision(decision: str, note: str) -> str:
    if decision not in DECISIONS:
        raise InvalidInput(_("Unknown decision %(decision)s; use approve or reject.", decision=repr(decision)))
    note = (note or "").strip()
    if decision == "reject" and not note:
        raise InvalidInput(_("Say why the rows are rejected: a note is required."))
    return note


def _not_pending(wh: RegionWarehouse, ids: list[str]) -> list[tuple[str, str, str | None, str]]:
    """(flag id, status or 'missing', decided by, the row in words) of the ``ids`` not pending."""
    rows = wh.rows(
        "SELECT f.flag_id, f.status, f.reviewed_by, f.row_number, u.file_name FROM flagged_rows f"
        " LEFT JOIN uploads u USING (upload_id) WHERE f.flag_id IN (SELECT unnest(CAST(? AS VARCHAR[])))",
        [ids],
    )
    found = {str(r[0]): (str(r[1]), r[2], _("line %(line)s of %(file)s", line=r[3], file=r[4] or "?"))
             for r in rows}
    out = []
    for fid in ids:
        status, who, words = found.get(fid, ("missing", None, ""))
        if status not in OPEN:
            out.append((fid, status, who, words))
    return out


def _changed_message(gone: list[tuple[str, str, str | None, str]], total: int, when: str) -> str:
    """``when``: "chosen", "shown" or "confirming" — which moment the rows changed after."""
    def one(fid: str, status: str, who: str | None, row: str) -> str:
        if status == "missing":
            return _("a row that no longer exists")
        words = _(STATUS_WORDS[status]) if status in STATUS_WORDS else status
        return _("%(row)s (%(status)s by %(who)s)", row=row, status=words, who=who or _("another reviewer"))

    listed = ", ".join(one(*g) for g in gone[:10])
    if len(gone) > 10:
        listed = _("%(rows)s and %(count)s more", rows=listed, count=len(gone) - 10)
    values = {"count": len(gone), "total": total, "rows": listed}
    if when == "chosen":
        return _("Nothing was decided: of the rows you chose, %(count)s of the %(total)s were already decided: "
                 "%(rows)s. They were taken out of your choice; look at the list again and confirm.", **values)
    if when == "shown":
        return _("Nothing was decided: since you were shown the list, %(count)s of the %(total)s rows were "
                 "decided: %(rows)s. They were taken out of your choice; look at the list again and confirm.",
                 **values)
    return _("Nothing was decided: while you confirmed, %(count)s of the %(total)s rows were decided: %(rows)s. "
             "They were taken out of your choice; look at the list again and confirm.", **values)


def plan_bulk(actor: Actor, region: str, flag_ids: Iterable[str], decision: str, note: str = "") -> BulkPlan:
    """Check a decision on the chosen rows and say what it will do, without doing it.

    Raises InvalidInput (no rows, too many, no note for a rejection) or :class:`ChoiceChanged`
    when some chosen rows are no longer pending (they are named; nothing is planned)."""
    require_review(actor, region)
    note = _check_decision(decision, note)
    ids = tuple(dict.fromkeys(str(i) for i in flag_ids))
    if not ids:
        raise InvalidInput(_("Choose the rows to decide first."))
    if len(ids) > MAX_BULK:
        raise InvalidInput(
            _("You chose %(count)s rows; one decision takes at most %(limit)s. Narrow the filters, or reject the "
              "whole upload at once.", count=format(len(ids), ","), limit=format(MAX_BULK, ","))
        )
    wh = warehouse(region)
    gone = _not_pending(wh, list(ids))
    if gone:
        raise ChoiceChanged(_changed_message(gone, len(ids), "chosen"), tuple(g[0] for g in gone))
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
        raise NotFound(_("No upload %(upload)s in this region. Pick one from the Upload filter.", upload=upload_id))
    count = int(wh.one("SELECT count(*) FROM flagged_rows WHERE upload_id = ? AND status IN ('pending', 'asked',"
                       " 'answered')",
                       [upload_id])[0])
    if not count:
        raise InvalidInput(_("The upload %(file)s has no pending rows left; nothing to reject.", file=up[0]))
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
                f" FROM flagged_rows WHERE status IN ('pending', 'asked', 'answered') AND {where}",
                [prefix, actor.user_id, note, *params],
            )
            updated = cur.execute(
                "UPDATE flagged_rows SET status = 'rejected', reviewed_by = ?, reviewed_at = current_timestamp,"
                f" note = ? WHERE status IN ('pending', 'asked', 'answered') AND {where}",
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
        raise InvalidInput(_("This decision was changed after it was shown. Choose the rows again."))
    wh = warehouse(plan.region)
    if plan.upload_id:
        def upload_changed(n: int) -> ChoiceChanged:
            return ChoiceChanged(
                _("Nothing was decided: since you were shown it, the upload %(file)s went from %(before)s to "
                  "%(now)s pending rows (someone else decided some). Look again and confirm.", file=plan.file_name,
                  before=format(plan.count, ","), now=format(n, ","))
            )

        _reject_all(wh, actor, "upload_id = ?", [plan.upload_id], plan.note, plan.count, upload_changed)
        _refresh_rollups(plan.region)
        return []
    ids = list(plan.flag_ids)
    gone = _not_pending(wh, ids)
    if gone:
        raise ChoiceChanged(_changed_message(gone, len(ids), "shown"),
                            tuple(g[0] for g in gone))
    if plan.decision == "approve":
        return bulk_approve(actor, plan.region, ids, plan.note)

    def rows_changed(n: int) -> ChoiceChanged:
        now_gone = _not_pending(wh, ids)
        return ChoiceChanged(_changed_message(now_gone, len(ids), "confirming") if now_gone else
                             _("Nothing was decided: only %(count)s of the %(total)s rows could be rejected. Look "
                               "again.", count=n, total=len(ids)),
                             tuple(g[0] for g in now_gone))

    _reject_all(wh, actor, "flag_id IN (SELECT unnest(CAST(? AS VARCHAR[])))", [ids], plan.note, len(ids),
                rows_changed)
    return [Decision(fid, "rejected") for fid in ids]
