"""Reading the review queue: filtered, paged lists of flagged rows and one row in full.

Every function takes the acting Actor and checks :func:`warehouse.access.require_review`.
Decisions (approve, reject) live in :mod:`warehouse.review`.

A reviewer sees what a review needs and no more: the row as the file had it — except the values
of columns whose header says they hold a buyer's e-mail, phone number or postal address, which
are hidden (``PERSONAL_COLUMN``) — the reasons, the upload's file name, platform, counts and who
sent it, and the decision history. Never the file's hash or where it is stored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from . import access
from .access import Actor, require_review
from .db import warehouse
from .errors import InvalidInput, NotFound
from .i18n import N_, _
from .ingest.sale import BY_NAME, EDITABLE, MONEY
from .money import exponent, is_currency
from .questions import latest_exchange
from .regions import region_codes

#: The canonical columns of a sale a reviewer may fix (``check_row`` takes them as text).
CANONICAL_FIELDS = EDITABLE  # declared once, in warehouse/ingest/sale.py
STATUSES = ("pending", "asked", "answered", "approved", "rejected")
MAX_PAGE = 500


@dataclass(frozen=True)
class QueueFilter:
    """Which flagged rows to list. ``status=None`` lists every status; ``min_age_days`` keeps
    rows flagged at least that long ago (the old end of the backlog)."""

    status: str | None = "pending"
    creator_id: str | None = None
    rule: str | None = None
    upload_id: str | None = None
    min_age_days: float | None = None


@dataclass(frozen=True)
class QueueRow:
    flag_id: str
    creator_id: str
    upload_id: str
    file_name: str | None
    source: str | None
    row_number: int
    order_id: str | None
    product: str | None
    reasons: tuple[str, ...]
    rules: tuple[str, ...]
    status: str
    flagged_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    note: str | None
    creator_name: str | None = None
    gross: str | None = None
    currency: str | None = None

    @property
    def creator(self) -> str:
        """The creator as people know them (their name), their id only when no name is known."""
        return self.creator_name or self.creator_id


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue; ``total`` counts every row matching the filter."""

    rows: list[QueueRow]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class QueueFacets:
    """What the filters can offer: counts per creator, rule and upload for one status."""

    total: int
    oldest: datetime | None
    creators: list[tuple[str, int]] = field(default_factory=list)  # creator id, rows
    rules: list[tuple[str, int]] = field(default_factory=list)
    uploads: list[tuple[str, str, int]] = field(default_factory=list)  # upload_id, file name, rows


@dataclass(frozen=True)
class FlagDetail:
    """One flagged row in full: what the file said, what failed, where it came from, who did what."""

    flag_id: str
    region: str
    creator_id: str
    row_number: int
    raw: dict[str, Any]
    parsed: dict[str, Any]
    reasons: tuple[str, ...]
    rules: tuple[str, ...]
    status: str
    reviewed_by: str | None
    reviewed_at: datetime | None
    note: str | None
    flagged_at: datetime | None
    upload: dict[str, Any]
    history: list[dict[str, Any]]
    #: the latest question to the creator and its answer, in words (None: never asked)
    question: dict[str, Any] | None = None

    @property
    def fields(self) -> list[str]:
        """Columns a reviewer can fix: those the row was flagged for first (what the reviewer came
        to mend), then the other canonical ones, then any others the reader produced."""
        every = [*CANONICAL_FIELDS, *(k for k in self.parsed if k not in CANONICAL_FIELDS)]
        first = [f for f in flagged_fields(self.rules) if f in every]
        return [*first, *(f for f in every if f not in first)]

    @property
    def flagged(self) -> list[str]:
        """The fields the failed checks are about, in form order."""
        return [f for f in flagged_fields(self.rules) if f in self.fields]

    def suggestions(self) -> dict[str, tuple[str, str]]:
        """Fixes the row itself suggests: field → (value, why, in words to translate)."""
        return suggest_fixes(self.rules, self.parsed, self.raw)

    def value(self, name: str) -> str:
        """The value as the form shows it: money with its currency's own decimals (25000.00 NGN,
        not 25000.000000), when that loses nothing."""
        text = canonical_text(self.parsed.get(name))
        if name in MONEY and text:
            text = money_text(text, str(self.parsed.get("currency") or ""))
        return text


#: the sale fields a failed check is about (the column a suite checks -> the fields to mend)
RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "order_id": ("order_id",),
    "order_key_count": ("order_id", "line"),
    "product": ("product",),
    "sold_at_age_days": ("sold_at",),
    "sold_at_year": ("sold_at",),
    "gross_minor": ("gross",),
    "amounts_readable": ("fees", "net", "refunded"),
    "amounts_fit_currency": ("gross", "fees", "net", "refunded", "currency"),
    "net_minor": ("net", "gross", "fees"),
    "currency": ("currency",),
    "quantity": ("quantity",),
}


def flagged_fields(rules: tuple[str, ...] | list[str]) -> list[str]:
    """The fields the failed ``rules`` (``type:column``) are about, first rule first, no repeats."""
    out: list[str] = []
    for rule in rules:
        column = rule.rsplit(":", 1)[-1]
        for name in RULE_FIELDS.get(column, (column,) if column in CANONICAL_FIELDS else ()):
            if name not in out:
                out.append(name)
    return out


_CODE = re.compile(r"[A-Za-z]{3}")


def suggest_fixes(
    rules: tuple[str, ...] | list[str], parsed: dict[str, Any], raw: dict[str, Any]
) -> dict[str, tuple[str, str]]:
    """Values the row itself suggests for the fields it was flagged for, each with why:

    - a currency written in lower case or with spaces (" ngn") → its ISO code ("NGN");
      a missing currency when exactly one other cell of the row is an ISO 4217 code → that code;
    - an amount with more decimals than its currency has → rounded to the currency's decimals
      (the reviewer sees both and decides);
    - a quantity written as a whole number with decimals ("2.0") → "2".
    """
    columns = {r.rsplit(":", 1)[-1] for r in rules}
    out: dict[str, tuple[str, str]] = {}
    currency = str(parsed.get("currency") or "").strip()
    if "currency" in columns:
        if currency and _CODE.fullmatch(currency) and is_currency(currency.upper()) and currency != currency.upper():
            out["currency"] = (currency.upper(), N_("the currency's ISO code in capitals"))
        elif not currency:
            codes = {str(v).strip().upper() for v in raw.values() if v is not None and _CODE.fullmatch(str(v).strip())}
            codes = {c for c in codes if is_currency(c)}
            if len(codes) == 1:
                out["currency"] = (codes.pop(), N_("the only currency code in the row"))
    if "amounts_fit_currency" in columns and is_currency(currency.upper()):
        places = exponent(currency.upper())
        for name in MONEY:
            try:
                amount = Decimal(str(parsed.get(name)))
            except (InvalidOperation, ValueError):
                continue
            if not amount.is_finite():
                continue
            rounded = amount.quantize(Decimal(1).scaleb(-places))
            if rounded != amount:
                out[name] = (str(rounded), N_("rounded to the currency's decimals"))
    if "quantity" in columns:
        try:
            q = Decimal(str(parsed.get("quantity")))
            if q.is_finite() and q == q.to_integral_value() and q >= 1 and str(parsed.get("quantity")) != str(int(q)):
                out["quantity"] = (str(int(q)), N_("the same whole number"))
        except (InvalidOperation, ValueError):
            pass
    return out


#: headers of columns holding a buyer's contact details, which no review needs
PERSONAL_COLUMN = re.compile(
    r"e-?mail|phone|mobile|msisdn|tel\b|telephone|address|street|postcode|postal|zip\b|\bzip",
    re.IGNORECASE,
)
HIDDEN = "(hidden: personal data)"


def without_personal_data(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with the values of e-mail, phone and address columns replaced by :data:`HIDDEN`."""
    return {k: (HIDDEN if PERSONAL_COLUMN.search(str(k)) and v not in (None, "") else v) for k, v in raw.items()}


_SHORT_OFFSET = re.compile(r"^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)([+-]\d\d)$")


def canonical_text(value: Any) -> str:
    """A parsed value as text ``check_row`` reads back: ``None`` → "", a timestamp's short UTC
    offset (``+00``, how DuckDB prints TIMESTAMPTZ) → ``+00:00``."""
    if value is None:
        return ""
    text = str(value)
    m = _SHORT_OFFSET.match(text)
    return f"{m.group(1)}{m.group(2)}:00" if m else text


def _ts(epoch: Any) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(float(epoch), UTC)


def _json(text: Any) -> dict[str, Any]:
    if text is None:
        return {}
    value = json.loads(text) if isinstance(text, str) else text
    return value if isinstance(value, dict) else {"value": value}


def reviewable_regions(actor: Actor) -> list[str]:
    """The regions whose queue ``actor`` may work, in catalogue order."""
    return access.reviewable_regions(actor, region_codes())


_ROW_SELECT = (
    "SELECT f.flag_id, f.creator_id, f.upload_id, u.file_name, u.source, f.row_number,"
    " json_extract_string(f.parsed, '$.order_id'), json_extract_string(f.parsed, '$.product'),"
    " f.reasons, f.rules, f.status, epoch(f.created_at), f.reviewed_by, epoch(f.reviewed_at), f.note,"
    " c.name, json_extract_string(f.parsed, '$.gross'), json_extract_string(f.parsed, '$.currency')"
    " FROM flagged_rows f LEFT JOIN uploads u USING (upload_id) LEFT JOIN creators c ON c.creator_id = f.creator_id"
)
_ORDER = "f.created_at, f.upload_id, f.row_number"


def _queue_row(r: Any) -> QueueRow:
    return QueueRow(
        r[0], r[1], r[2], r[3], r[4], int(r[5]), r[6], r[7], tuple(r[8] or ()), tuple(r[9] or ()),
        r[10], _ts(r[11]), r[12], _ts(r[13]), r[14], r[15], r[16], r[17],
    )


def _where(flt: QueueFilter, now: datetime) -> tuple[str, list[Any]]:
    clauses: list[str] = ["TRUE"]
    params: list[Any] = []
    if flt.status is not None:
        if flt.status not in STATUSES:
            raise InvalidInput(_("Unknown status %(status)s; use one of %(items)s.",
                                 status=repr(flt.status), items=', '.join(STATUSES)))
        if flt.status == "pending":  # rows the creator answered wait for a reviewer as pending ones do
            clauses.append("f.status IN ('pending', 'answered')")
        else:
            clauses.append("f.status = ?")
            params.append(flt.status)
    if flt.creator_id:
        clauses.append("f.creator_id = ?")
        params.append(flt.creator_id)
    if flt.rule:
        clauses.append("list_contains(f.rules, ?)")
        params.append(flt.rule)
    if flt.upload_id:
        clauses.append("f.upload_id = ?")
        params.append(flt.upload_id)
    if flt.min_age_days:
        clauses.append("f.created_at <= ?")
        params.append(now - timedelta(days=float(flt.min_age_days)))
    return " AND ".join(clauses), params


def list_queue(
    actor: Actor,
    region: str,
    flt: QueueFilter | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> QueuePage:
    """Flagged rows of ``region`` matching ``flt``, oldest first, ``limit`` at a time."""
    require_review(actor, region)
    flt = flt or QueueFilter()
    limit = max(1, min(int(limit), MAX_PAGE))
    offset = max(0, int(offset))
    where, params = _where(flt, now or datetime.now(UTC))
    wh = warehouse(region)
    total_row = wh.one(f"SELECT count(*) FROM flagged_rows f WHERE {where}", params)
    rows = wh.rows(
        f"{_ROW_SELECT} WHERE {where} ORDER BY {_ORDER} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return QueuePage([_queue_row(r) for r in rows], int(total_row[0]) if total_row else 0, limit, offset)


def count_queue(actor: Actor, region: str, flt: QueueFilter | None = None, *, now: datetime | None = None) -> int:
    """How many flagged rows of ``region`` match ``flt`` (every page of them)."""
    require_review(actor, region)
    where, params = _where(flt or QueueFilter(), now or datetime.now(UTC))
    row = warehouse(region).one(f"SELECT count(*) FROM flagged_rows f WHERE {where}", params)
    return int(row[0]) if row else 0


def queue_span(
    actor: Actor, region: str, flt: QueueFilter | None = None, *, now: datetime | None = None
) -> tuple[int, datetime | None]:
    """How many flagged rows of ``region`` match ``flt`` and when the oldest of them was flagged."""
    require_review(actor, region)
    where, params = _where(flt or QueueFilter(), now or datetime.now(UTC))
    row = warehouse(region).one(f"SELECT count(*), epoch(min(f.created_at)) FROM flagged_rows f WHERE {where}", params)
    return (int(row[0]), _ts(row[1])) if row else (0, None)


def creator_names(actor: Actor, region: str, creator_ids: list[str]) -> dict[str, str]:
    """The names of these creators of ``region`` (ids without a name are left out)."""
    require_review(actor, region)
    ids = list(dict.fromkeys(creator_ids))
    if not ids:
        return {}
    rows = warehouse(region).rows(
        "SELECT creator_id, name FROM creators WHERE creator_id IN (SELECT unnest(CAST(? AS VARCHAR[])))", [ids]
    )
    return {str(c): str(n) for c, n in rows if n}


def matching_flag_ids(
    actor: Actor, region: str, flt: QueueFilter | None = None, *, limit: int = 1000, now: datetime | None = None
) -> list[str]:
    """The ids of every row matching ``flt`` across all pages, in queue order, at most ``limit``
    (ask for one more than you accept to know whether there were more)."""
    require_review(actor, region)
    where, params = _where(flt or QueueFilter(), now or datetime.now(UTC))
    rows = warehouse(region).rows(
        f"SELECT f.flag_id FROM flagged_rows f WHERE {where} ORDER BY {_ORDER} LIMIT ?", [*params, max(0, int(limit))]
    )
    return [str(r[0]) for r in rows]


def rows_by_id(actor: Actor, region: str, flag_ids: list[str]) -> list[QueueRow]:
    """The queue rows with these ids (in the order given; ids not in the region are left out)."""
    require_review(actor, region)
    ids = list(dict.fromkeys(str(i) for i in flag_ids))
    if not ids:
        return []
    rows = warehouse(region).rows(
        f"{_ROW_SELECT} WHERE f.flag_id IN (SELECT unnest(CAST(? AS VARCHAR[])))", [ids]
    )
    by_id = {str(r[0]): _queue_row(r) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def money_text(text: str, currency: str) -> str:
    """``text`` (a decimal) at ``currency``'s ISO 4217 decimals when that is exact, else as it is."""
    try:
        amount = Decimal(text)
        places = exponent(currency) if is_currency(currency) else 2
    except (InvalidOperation, ValueError):
        return text
    shown = amount.quantize(Decimal(1).scaleb(-places))
    return str(shown) if shown == amount else str(amount.normalize())


def field_label(name: str) -> str:
    """A sale field's name as a reviewer reads it ("Sold at", not ``sold_at``)."""
    f = BY_NAME.get(name)
    return f.label if f else name.replace("_", " ").capitalize()


def queue_facets(actor: Actor, region: str, status: str | None = "pending") -> QueueFacets:
    """Counts per creator, failed rule and upload (for filter choices), the total and the oldest."""
    require_review(actor, region)
    where, params = _where(QueueFilter(status=status), datetime.now(UTC))
    wh = warehouse(region)
    head = wh.one(f"SELECT count(*), epoch(min(f.created_at)) FROM flagged_rows f WHERE {where}", params)
    creators = wh.rows(f"SELECT f.creator_id, count(*) FROM flagged_rows f WHERE {where} GROUP BY 1 ORDER BY 1", params)
    rules = wh.rows(
        f"SELECT rule, count(*) FROM (SELECT unnest(f.rules) AS rule FROM flagged_rows f WHERE {where})"
        " GROUP BY 1 ORDER BY 2 DESC, 1",
        params,
    )
    uploads = wh.rows(
        "SELECT f.upload_id, coalesce(any_value(u.file_name), f.upload_id), count(*)"
        f" FROM flagged_rows f LEFT JOIN uploads u USING (upload_id) WHERE {where}"
        " GROUP BY f.upload_id ORDER BY min(f.created_at), f.upload_id",
        params,
    )
    return QueueFacets(
        total=int(head[0]) if head else 0,
        oldest=_ts(head[1]) if head else None,
        creators=[(c, int(n)) for c, n in creators],
        rules=[(r, int(n)) for r, n in rules],
        uploads=[(u, str(name), int(n)) for u, name, n in uploads],
    )


def flag_detail(actor: Actor, region: str, flag_id: str) -> FlagDetail:
    """One flagged row: raw values, parsed values, reasons, its upload and its decision history."""
    require_review(actor, region)
    wh = warehouse(region)
    row = wh.one(
        "SELECT flag_id, creator_id, upload_id, row_number, raw, parsed, reasons, rules, status,"
        " reviewed_by, epoch(reviewed_at), note, epoch(created_at) FROM flagged_rows WHERE flag_id = ?",
        [flag_id],
    )
    if not row:
        raise NotFound(_("No flagged row %(flag_id)s in %(region)s.", flag_id=flag_id, region=region))
    upload = wh.dicts(
        "SELECT upload_id, file_name, profile, source, status, rows_total, rows_loaded, rows_flagged,"
        " rows_skipped, rows_known, received_at,"
        " uploaded_by FROM uploads WHERE upload_id = ?",
        [row[2]],
    )
    question = latest_exchange(region, flag_id)
    history = wh.dicts(
        "SELECT audit_id, decided_at, decided_by,"
        " decision, note, fixes, sale_id FROM review_audit WHERE flag_id = ? ORDER BY audit_id",
        [flag_id],
    )
    return FlagDetail(
        flag_id=row[0],
        region=region,
        creator_id=row[1],
        row_number=int(row[3]),
        raw=without_personal_data(_json(row[4])),
        # what the creator's answer corrected comes first in the fix form (approving uses it)
        parsed={**_json(row[5]), **(question["corrected"] if question else {})},
        reasons=tuple(row[6] or ()),
        rules=tuple(row[7] or ()),
        status=row[8],
        reviewed_by=row[9],
        reviewed_at=_ts(row[10]),
        note=row[11],
        flagged_at=_ts(row[12]),
        upload=upload[0] if upload else {"upload_id": row[2]},
        history=history,
        question=question,
    )
