"""Builders for the sales/metrics/page tests: creators, uploads, sales and flagged rows written
with SQL through the warehouse API into real region warehouses, and AppTest helpers."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from app.session import ACTOR_KEY, LAST_SEEN_KEY
from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse

ROOT = Path(__file__).resolve().parent.parent
OP = Actor.operator()


def creator(creator_id: str, country: str, joined_at: datetime | None = None, name: str | None = None) -> str:
    """Register a creator; returns the region code."""
    return add_creator(OP, creator_id, country, name, joined_at=joined_at).region


def upload(region: str, upload_id: str, creator_id: str, received_at: datetime, loaded_at: datetime | None,
           status: str = "loaded", source: str = "generic", total: int = 0, loaded: int = 0,
           flagged: int = 0, skipped: int = 0) -> None:
    with warehouse(region).transaction() as cur:
        cur.execute(
            "INSERT INTO uploads (upload_id, creator_id, file_name, sha256, size_bytes, landing_path, profile,"
            " source, status, rows_total, rows_loaded, rows_flagged, rows_skipped, received_at, loaded_at)"
            " VALUES (?, ?, ?, ?, 1, '/dev/null', 'generic', ?, ?, ?, ?, ?, ?, ?, ?)",
            [upload_id, creator_id, f"{upload_id}.csv", upload_id, source, status, total, loaded, flagged,
             skipped, received_at, loaded_at],
        )


def sale(region: str, creator_id: str, n: int, sold_at: datetime, gross: str, currency: str,
         fees: str = "0", refunded: str = "0", product: str = "Ebook", buyer_country: str | None = "NG",
         upload_id: str = "up-1", source: str = "generic", channel: str | None = None,
         quantity: int = 1, order_id: str | None = None) -> None:
    """Insert one sale line (net = gross - fees)."""
    g, f = Decimal(gross), Decimal(fees)
    with warehouse(region).transaction() as cur:
        cur.execute(
            "INSERT INTO sales (sale_id, creator_id, source, order_id, product, quantity, sold_at, currency,"
            " gross, fees, net, refunded, buyer_country, channel, upload_id, row_number, loaded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [f"{upload_id}:{n}", creator_id, source, order_id or f"o-{creator_id}-{n}", product, quantity,
             sold_at, currency, g, f, g - f, Decimal(refunded), buyer_country, channel, upload_id, n],
        )


def flag(region: str, upload_id: str, creator_id: str, row: int, rules: list[str], status: str = "pending",
         created_at: datetime | None = None, reviewed_at: datetime | None = None,
         raw: dict[str, Any] | None = None) -> None:
    with warehouse(region).transaction() as cur:
        cur.execute(
            "INSERT INTO flagged_rows (flag_id, upload_id, creator_id, row_number, raw, reasons, rules, status,"
            " reviewed_by, reviewed_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " coalesce(?, current_timestamp))",
            [f"{upload_id}:{row}", upload_id, creator_id, row, json.dumps(raw or {"amount": "-1"}),
             [r.replace("_", " ") for r in rules], rules, status, "rev" if reviewed_at else None, reviewed_at,
             created_at],
        )


def rate(region: str, day: date, currency: str, usd_rate: str) -> None:
    with warehouse(region).transaction() as cur:
        cur.execute("INSERT OR REPLACE INTO fx_rates (rate_date, currency, usd_rate) VALUES (?, ?, ?)",
                    [day, currency, Decimal(usd_rate)])


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def page(path: str, actor: Actor | None, timeout: int = 120) -> AppTest:
    """A page script with ``actor`` signed in (server-side session only), not yet run."""
    at = AppTest.from_file(str(ROOT / path), default_timeout=timeout)
    if actor is not None:
        at.session_state[ACTOR_KEY] = actor
        at.session_state[LAST_SEEN_KEY] = time.time()
    return at


def shown_text(at: AppTest) -> str:
    """Every text a person reads on the page (Markdown escapes removed)."""
    parts = [e.value for kind in ("markdown", "text", "error", "success", "info", "warning", "caption",
                                  "title", "header", "subheader")
             for e in getattr(at, kind)]
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))


def markdown_sources(at: AppTest) -> list[str]:
    """The raw Markdown of every element Streamlit renders as Markdown (to check escaping)."""
    return [str(e.value) for kind in ("markdown", "error", "success", "info", "warning", "caption")
            for e in getattr(at, kind)]
