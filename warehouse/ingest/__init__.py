"""Ingestion: ``ingest_file`` validates and loads one export; ``check_row`` re-validates one
corrected row with the same parsers and the same suite (the review queue uses it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..access import Actor, require_creator
from ..creators import creator_region
from ..db import warehouse
from . import parse, profiles, readers, sql, validate
from .pipeline import _load_countries, ingest_file
from .result import ExpectationOutcome, IngestResult

__all__ = ["ExpectationOutcome", "IngestResult", "RowCheck", "check_row", "check_rows", "ingest_file",
           "save_profile_from_mapping"]

#: the canonical columns a reviewer may correct, in form order
EDITABLE = ("order_id", "line", "sold_at", "product", "quantity", "currency", "gross", "fees", "net",
            "refunded", "buyer_country", "channel")


@dataclass
class RowCheck:
    ok: bool
    reasons: list[str] = field(default_factory=list)
    sale: dict[str, Any] = field(default_factory=dict)


def _iso_text(value: str) -> str:
    """Timestamps as stored in ``flagged_rows.parsed`` (``…+00``) become plain ISO 8601."""
    try:
        return datetime.fromisoformat(value.strip()).isoformat()
    except ValueError:
        return value


def check_rows(region: str, source: str, rows: list[dict[str, str | None]]) -> list[RowCheck]:
    """Parse canonical text values exactly as an upload would and run the region's suite, for
    many rows at once (one parse, one validation). Amounts are major units.

    Each ``RowCheck.sale`` holds typed values ready for the ``sales`` table (Decimal money,
    aware timestamp) when ``ok``.
    """
    if not rows:
        return []
    cols = list(EDITABLE)
    prof = profiles.Profile(name="review", title="Reviewer correction", source=source, detect=(),
                            columns={c: (c,) for c in cols}, defaults={})
    texts = [[None if v.get(c) in (None, "") else str(v[c]) for c in cols] for v in rows]
    for t in texts:
        i = cols.index("sold_at")
        t[i] = _iso_text(t[i]) if t[i] else None
    with warehouse(region).cursor() as cur:
        parse.define_macros(cur)
        _load_countries(cur)
        stager = readers._Stager(cur, len(cols))
        for t in texts:
            stager.add(list(t))
        stager.flush()
        plan = sql.ParsePlan(prof, {c: i for i, c in enumerate(cols)}, cols)
        for c in ("gross", "fees", "net", "refunded", "quantity"):
            values = [t[cols.index(c)] for t in texts if t[cols.index(c)]]
            plan.comma[c] = bool(values) and parse.number_style(values)[0] == "comma"
        dates = [t[cols.index("sold_at")] for t in texts if t[cols.index("sold_at")]]
        plan.dates = parse.date_formats(dates) if dates else None
        cur.execute(sql.parse_sql(plan, len(cols)), plan.params)
        frame = cur.execute(f"SELECT _row, {', '.join(validate.FRAME_COLUMNS)} FROM parsed").df().set_index("_row")
        failures = validate.Validator(region, None).validate(frame)
        parsed = cur.execute(
            "SELECT _row, order_id, line, product, quantity, sold_at, currency, gross::DECIMAL(18,4),"
            " fees::DECIMAL(18,4), net::DECIMAL(18,4), refunded::DECIMAL(18,4), buyer_country, channel"
            " FROM parsed ORDER BY _row"
        ).fetchall()
    names = ("order_id", "line", "product", "quantity", "sold_at", "currency", "gross", "fees", "net",
             "refunded", "buyer_country", "channel")
    out = []
    for (row_no, *vals), t in zip(parsed, texts, strict=True):
        reasons = [f"{c.replace('_', ' ')} is required" for c in ("order_id", "sold_at", "product", "gross",
                                                                  "currency") if not t[cols.index(c)]]
        reasons += [r for r in dict.fromkeys(r for _, r in failures.get(row_no, [])) if r not in reasons]
        out.append(RowCheck(not reasons, reasons, dict(zip(names, vals, strict=True)) if not reasons else {}))
    return out


def check_row(region: str, creator_id: str, source: str, values: dict[str, str | None]) -> RowCheck:
    """One row through ``check_rows`` (the caller has checked access to ``creator_id``)."""
    _ = creator_id
    return check_rows(region, source, [values])[0]


def save_profile_from_mapping(actor: Actor, name: str, headers: list[str], mapping: dict[str, str],
                              creator_id: str | None = None) -> Path:
    """Save a person's column mapping as a new profile so the next file is read without asking."""
    if creator_id:
        require_creator(actor, creator_id, creator_region(creator_id))
    elif actor.role not in ("admin", "reviewer"):
        require_creator(actor, actor.creator_id or "", "")
    return profiles.save_profile(name, f"Saved mapping: {name}", headers, mapping)
