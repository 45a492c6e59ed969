"""Ingestion: ``ingest_file`` validates and loads one export; ``check_row`` re-validates one
corrected row with the same parsers and the same suite (the review queue uses it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..access import Actor
from ..db import owner_client, warehouse
from ..errors import InvalidInput
from ..i18n import N_
from . import mappings, profiles, readers, validate
from .entry import ingest_file
from .pipeline import build_plan, parse_rows, prepare, validate_rows
from .result import ExpectationOutcome, IngestResult
from .sale import BY_NAME, EDITABLE, MONEY, REQUIRED

__all__ = ["EDITABLE", "ExpectationOutcome", "IngestResult", "RowCheck", "check_row", "check_rows", "ingest_file",
           "save_profile_from_mapping"]


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
    """Parse canonical text values exactly as an upload would — the same plan, the same parse
    query, the same suite (``pipeline.build_plan``, ``parse_rows``, ``validate_rows``) — for many
    rows at once. Amounts are major units. The reviewer has decided the row is a sale, so no
    kind allow-list applies.

    Each ``RowCheck.sale`` holds typed values ready for the ``sales`` table (Decimal money,
    aware timestamp) when ``ok``.
    """
    if not rows:
        return []
    owner = owner_client(region)
    if owner is not None:  # the staging below reads Python objects: it runs where the file is
        return [RowCheck(**r) for r in owner.job("check_rows", region, source, rows)]
    cols = list(EDITABLE)
    prof = profiles.Profile(name="review", title="Reviewer correction", source=source, detect=(),
                            columns={c: (c,) for c in cols}, defaults={"product": ""}, number_style="auto")
    texts = [[None if v.get(c) in (None, "") else str(v[c]) for c in cols] for v in rows]
    i_sold = cols.index("sold_at")
    for t in texts:
        t[i_sold] = _iso_text(t[i_sold]) if t[i_sold] else None
    with warehouse(region).cursor() as cur:
        prepare(cur)
        stager = readers._Stager(cur, len(cols))
        for t in texts:
            stager.add(list(t))
        stager.flush()
        staged = readers.Staged("review", cols, len(texts), 0)
        plan = build_plan(cur, staged, prof, {c: i for i, c in enumerate(cols)}, region, [])
        parsed = parse_rows(cur, plan, len(cols))
        failures = validate_rows(cur, parsed, validate.Validator(region, None))
        names = [c for c in EDITABLE if BY_NAME[c].sql_type]
        select = ", ".join(f"{c}::DECIMAL(18,4)" if c in MONEY else c for c in names)
        parsed_rows = cur.execute(f"SELECT _row, {select} FROM {parsed.table} ORDER BY _row").fetchall()
    out = []
    for (row_no, *vals), t in zip(parsed_rows, texts, strict=True):
        reasons = [N_("%(column)s is required", column=BY_NAME[c].label) for c in (*REQUIRED, "gross")
                   if not t[cols.index(c)]]
        reasons += [r for r in dict.fromkeys(r for _, r in failures.by_row.get(row_no, [])) if r not in reasons]
        out.append(RowCheck(not reasons, reasons, dict(zip(names, vals, strict=True)) if not reasons else {}))
    return out


def check_row(region: str, creator_id: str, source: str, values: dict[str, str | None]) -> RowCheck:
    """One row through ``check_rows`` (the caller has checked access to ``creator_id``)."""
    _ = creator_id
    return check_rows(region, source, [values])[0]


def save_profile_from_mapping(actor: Actor, name: str, headers: list[str], mapping: dict[str, str],
                              creator_id: str | None = None,
                              constants: dict[str, str] | None = None) -> mappings.SavedMapping:
    """Save a person's column mapping for ``creator_id`` (a creator: themself) so their next file
    of this layout is read without asking. It belongs to that creator alone: see ``mappings``."""
    creator = creator_id or actor.creator_id
    if not creator:
        raise InvalidInput(N_("Choose the creator whose files these columns are for."))
    return mappings.save_mapping(actor, creator, name, headers, mapping, constants)
