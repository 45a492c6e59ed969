"""Ingestion: ``ingest_file`` validates and loads one export; ``check_row`` re-validates one
corrected row with the same parsers and the same suite (the review queue uses it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..access import Actor, require_creator
from ..creators import creator_region
from ..db import warehouse
from . import parse, profiles, readers, sql, validate
from .pipeline import _load_countries, ingest_file
from .result import ExpectationOutcome, IngestResult

__all__ = ["ExpectationOutcome", "IngestResult", "RowCheck", "check_row", "ingest_file",
           "save_profile_from_mapping"]

#: the canonical columns a reviewer may correct, in form order
EDITABLE = ("order_id", "line", "sold_at", "product", "quantity", "currency", "gross", "fees", "net",
            "refunded", "buyer_country", "channel")


@dataclass
class RowCheck:
    ok: bool
    reasons: list[str] = field(default_factory=list)
    sale: dict[str, Any] = field(default_factory=dict)


def check_row(region: str, creator_id: str, source: str, values: dict[str, str | None]) -> RowCheck:
    """Parse canonical text ``values`` exactly as an upload would and run the region's suite.

    ``sale`` holds typed values ready for the ``sales`` table (Decimal money, aware timestamp)
    when ``ok``. Amounts are read in major units with a decimal point or comma.
    """
    cols = [c for c in EDITABLE if values.get(c) not in (None, "")]
    prof = profiles.Profile(name="review", title="Reviewer correction", source=source, detect=(),
                            columns={c: (c,) for c in cols}, defaults={})
    with warehouse(region).cursor() as cur:
        parse.define_macros(cur)
        _load_countries(cur)
        stager = readers._Stager(cur, max(1, len(cols)))
        stager.add([str(values[c]) for c in cols] or [None])
        stager.flush()
        plan = sql.ParsePlan(prof, {c: i for i, c in enumerate(cols)}, cols)
        for c in ("gross", "fees", "net", "refunded", "quantity"):
            if c in plan.columns:
                plan.comma[c] = parse.number_style([str(values[c])])[0] == "comma"
        if "sold_at" in plan.columns:
            plan.dates = parse.date_formats([str(values["sold_at"])])
        cur.execute(sql.parse_sql(plan, max(1, len(cols))), plan.params)
        frame = cur.execute(f"SELECT _row, {', '.join(validate.FRAME_COLUMNS)} FROM parsed").df().set_index("_row")
        reasons: list[str] = []
        missing = [c for c in ("order_id", "sold_at", "product", "gross", "currency") if c not in cols]
        reasons += [f"{c.replace('_', ' ')} is required" for c in missing]
        failures = validate.Validator(region, None).validate(frame)
        reasons += list(dict.fromkeys(r for _, r in failures.get(1, [])))
        row = cur.execute(
            "SELECT order_id, line, product, quantity, sold_at, currency, gross::DECIMAL(18,4),"
            " fees::DECIMAL(18,4), net::DECIMAL(18,4), refunded::DECIMAL(18,4), buyer_country, channel"
            " FROM parsed"
        ).fetchone()
    names = ("order_id", "line", "product", "quantity", "sold_at", "currency", "gross", "fees", "net",
             "refunded", "buyer_country", "channel")
    sale = dict(zip(names, row, strict=True)) if row and not reasons else {}
    _ = creator_id  # the caller has checked access to this creator
    return RowCheck(not reasons, reasons, sale)


def save_profile_from_mapping(actor: Actor, name: str, headers: list[str], mapping: dict[str, str],
                              creator_id: str | None = None) -> Path:
    """Save a person's column mapping as a new profile so the next file is read without asking."""
    if creator_id:
        require_creator(actor, creator_id, creator_region(creator_id))
    elif actor.role not in ("admin", "reviewer"):
        require_creator(actor, actor.creator_id or "", "")
    return profiles.save_profile(name, f"Saved mapping: {name}", headers, mapping)
