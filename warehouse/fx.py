"""Dated exchange rates to US dollars, kept per region in ``fx_rates``.

A rate says how many US dollars one unit of a currency bought on a date. A sale is converted
with the latest rate on or before its sale date (the date in the region's time zone); a sale
with no such rate has no USD value (``None`` / SQL NULL) rather than a guessed one. USD
itself is always 1. Conversions are exact DECIMAL arithmetic; results are rounded to cents
only when shown.

Rates arrive three ways: ``seed_demo_rates`` (fixed, believable rates for the demo), a CSV of
``date,currency,usd_rate`` through ``load_rates_csv`` (or ``kasuwa fx load FILE``), or SQL by
an analyst.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .access import Actor, require_admin
from .db import warehouse
from .errors import InvalidInput, RegionUnavailable, WarehouseBusy
from .i18n import _
from .money import is_currency
from .regions import get_region, region_codes

#: Stored precision of a rate (DECIMAL(18,10)).
RATE_PLACES = Decimal("0.0000000001")

#: USD per unit, late-2024 magnitudes. Fixed: the demo needs believable, repeatable figures.
DEMO_RATES: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "NGN": Decimal("0.00065"),  # ~1,540 NGN per USD
    "GHS": Decimal("0.065"),  # ~15.4 GHS
    "XOF": Decimal("0.00165"),  # ~606 XOF (pegged to EUR)
    "XAF": Decimal("0.00165"),
    "KES": Decimal("0.00775"),  # ~129 KES
    "UGX": Decimal("0.00027"),  # ~3,700 UGX
    "TZS": Decimal("0.00037"),  # ~2,700 TZS
    "RWF": Decimal("0.00074"),  # ~1,350 RWF
    "PKR": Decimal("0.0036"),  # ~278 PKR
    "BDT": Decimal("0.0083"),  # ~120 BDT
    "INR": Decimal("0.0119"),  # ~84 INR
    "EUR": Decimal("1.08"),
    "GBP": Decimal("1.27"),
}

#: SQL: the USD rate of sales row alias ``s`` — used by the query modules (identifiers fixed).
#: Join with ``ASOF LEFT JOIN fx_rates r ON r.currency = s.currency AND r.rate_date <= <day>``.
USD_RATE_EXPR = "CASE WHEN s.currency = 'USD' THEN CAST(1 AS DECIMAL(18,10)) ELSE r.usd_rate END"


def _any_actor(actor: Actor) -> None:
    if not isinstance(actor, Actor):
        raise InvalidInput(_("A signed-in user is required."))


def seed_demo_rates(region: str, start: date, end: date, actor: Actor | None = None) -> int:
    """Insert one row per day from ``start`` to ``end`` (inclusive) for every currency in
    ``DEMO_RATES`` into ``region``'s warehouse, keeping any rate already there.

    Returns the number of rows inserted. ``actor`` defaults to the machine operator (the demo
    builder runs as the operator); anyone else must be an admin.
    """
    require_admin(actor or Actor.operator())
    if end < start:
        raise InvalidInput(_("Rates from %(start)s to %(end)s: the end is before the start.", start=start, end=end))
    codes = list(DEMO_RATES)
    rates = [str(DEMO_RATES[c]) for c in codes]
    with warehouse(region).transaction() as cur:
        before = cur.execute("SELECT count(*) FROM fx_rates").fetchone()
        cur.execute(
            # no ON CONFLICT: a region served over Quack does not support it
            "INSERT INTO fx_rates (rate_date, currency, usd_rate, source)"
            " SELECT CAST(d AS DATE), c.currency, CAST(c.rate AS DECIMAL(18,10)), 'demo'"
            " FROM generate_series(CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), INTERVAL 1 DAY) t(d),"
            " (SELECT unnest(CAST(? AS VARCHAR[])) AS currency, unnest(CAST(? AS VARCHAR[])) AS rate) c"
            " WHERE NOT EXISTS (SELECT 1 FROM fx_rates f WHERE f.rate_date = CAST(d AS DATE)"
            " AND f.currency = c.currency)",
            [start, end, codes, rates],
        )
        after = cur.execute("SELECT count(*) FROM fx_rates").fetchone()
    return int(after[0] if after else 0) - int(before[0] if before else 0)


@dataclass
class RatesLoad:
    """What ``load_rates_csv`` did: rows read, and per region the rows written or why not."""

    rows: int
    loaded: dict[str, int] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


def parse_rates_csv(data: bytes | str) -> list[tuple[date, str, Decimal]]:
    """Parse ``date,currency,usd_rate`` (header required, ISO dates, USD per unit, > 0).

    Raises InvalidInput naming the line of the first bad row; nothing is half-read.
    """
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if header != ["date", "currency", "usd_rate"]:
        raise InvalidInput(_("A rates file starts with the header: date,currency,usd_rate"))
    out: list[tuple[date, str, Decimal]] = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 3:
            raise InvalidInput(_("Rates file line %(line)s: expected 3 values, found %(count)s.",
                                 line=line, count=len(row)))
        raw_date, raw_cur, raw_rate = (cell.strip() for cell in row)
        try:
            day = date.fromisoformat(raw_date)
        except ValueError as exc:
            raise InvalidInput(_("Rates file line %(line)s: %(raw_date)s is not a YYYY-MM-DD date.",
                                 line=line, raw_date=repr(raw_date))) from exc
        cur = raw_cur.upper()
        if not is_currency(cur):
            raise InvalidInput(_("Rates file line %(line)s: %(raw_cur)s is not an ISO 4217 currency code.",
                                 line=line, raw_cur=repr(raw_cur)))
        try:
            rate = Decimal(raw_rate)
        except InvalidOperation as exc:
            raise InvalidInput(_("Rates file line %(line)s: %(raw_rate)s is not a number.",
                                 line=line, raw_rate=repr(raw_rate))) from exc
        if not rate.is_finite() or rate <= 0 or rate >= Decimal("1e8"):
            raise InvalidInput(_("Rates file line %(line)s: the rate must be above 0 (USD per one %(cur)s).",
                                 line=line, cur=cur))
        out.append((day, cur, rate.quantize(RATE_PLACES)))
    return out


def load_rates_csv(
    actor: Actor, data: bytes | str | Path, region: str | None = None, source: str = "csv"
) -> RatesLoad:
    """Load a rates CSV (see ``parse_rates_csv``) into ``region``, or into every region.

    Rates are stored to 10 decimal places; a rate already present for a date and currency is
    replaced. Admin only. A region that is unavailable is reported in ``unavailable`` and does
    not stop the others.
    """
    require_admin(actor)
    if isinstance(data, Path):
        data = data.read_bytes()
    rows = parse_rates_csv(data)
    result = RatesLoad(rows=len(rows))
    targets = [get_region(region).code] if region else region_codes()
    if not rows:
        return result
    days = [r[0] for r in rows]
    curs = [r[1] for r in rows]
    rates = [str(r[2]) for r in rows]
    for code in targets:
        try:
            with warehouse(code).transaction() as cur:
                # replace, not upsert: a region served over Quack does not support ON CONFLICT
                cur.execute(
                    "DELETE FROM fx_rates WHERE (rate_date, currency) IN"
                    " (SELECT (unnest(CAST(? AS DATE[])), unnest(CAST(? AS VARCHAR[]))))",
                    [days, curs],
                )
                cur.execute(
                    "INSERT INTO fx_rates (rate_date, currency, usd_rate, source)"
                    " SELECT unnest(CAST(? AS DATE[])), unnest(CAST(? AS VARCHAR[])),"
                    " CAST(unnest(CAST(? AS VARCHAR[])) AS DECIMAL(18,10)), ?",
                    [days, curs, rates, source],
                )
            result.loaded[code] = len(rows)
        except (RegionUnavailable, WarehouseBusy) as exc:
            result.unavailable[code] = str(exc)
    return result


def usd_rate(actor: Actor, region: str, currency: str, on: date) -> Decimal | None:
    """USD per one ``currency`` on ``on``: the latest rate dated on or before it, else None."""
    _any_actor(actor)
    cur = currency.upper()
    if cur == "USD":
        return Decimal(1)
    row = warehouse(region).one(
        "SELECT usd_rate FROM fx_rates WHERE currency = ? AND rate_date <= ?"
        " ORDER BY rate_date DESC LIMIT 1",
        [cur, on],
    )
    return Decimal(row[0]) if row else None


def to_usd(actor: Actor, region: str, amount: Decimal, currency: str, on: date) -> Decimal | None:
    """``amount`` of ``currency`` in USD at the rate of ``on`` (exact; not rounded), or None."""
    rate = usd_rate(actor, region, currency, on)
    return None if rate is None else amount * rate


def rates_table(actor: Actor, region: str, limit: int = 500) -> list[dict[str, Any]]:
    """The newest rates of ``region`` (date, currency, usd_rate, source), newest first."""
    _any_actor(actor)
    return warehouse(region).dicts(
        "SELECT rate_date, currency, usd_rate, source FROM fx_rates"
        " ORDER BY rate_date DESC, currency LIMIT ?",
        [int(limit)],
    )
