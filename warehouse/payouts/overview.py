"""Payouts across regions for programme managers — aggregates only, never a creator's rows —
and the payout list administrators mark paid.

Each region is asked separately; a region that cannot be reached is reported in
``unavailable`` and the others still answer. USD equivalents use the latest rate on or before
the last day of the month (rounded half-up to cents); without one the USD figure is None.
:func:`export_rows` gives the same rows for a download: region names, amounts at their
currency's minor unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from warehouse.access import Actor, manager_regions, require_admin
from warehouse.db import warehouse
from warehouse.errors import KasuwaError, RegionUnavailable, WarehouseBusy
from warehouse.money import quantum
from warehouse.regions import get_region, region_codes

from .fx import FxRateMissing, RateBook
from .statements import month_bounds


@dataclass
class Overview:
    by_month: list[dict[str, Any]] = field(default_factory=list)  # region, month, currency, payouts, ...
    fees_by_rail: list[dict[str, Any]] = field(default_factory=list)
    waiting: list[dict[str, Any]] = field(default_factory=list)  # creators waiting on a minimum
    #: per region and currency, where the creators' money is (DESIGN.md invariant 10): in their own
    #: accounts, held by platforms, owed by the programme (the ledger's balance), waiting for a
    #: reviewer, not placed (custody unknown) — only "owed" is the programme's to pay
    by_custody: list[dict[str, Any]] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)


def _usd(rates: RateBook, amount: Decimal, currency: str, on: date) -> Decimal | None:
    try:
        return rates.convert(Decimal(amount), currency, "USD", on).amount_to
    except FxRateMissing:
        return None


def _region_overview(code: str, out: Overview) -> None:
    wh = warehouse(code)
    with wh.cursor() as cur:
        rates = RateBook.load(cur)
        months = cur.execute(
            "SELECT strftime(as_of, '%Y-%m') AS month, currency, count(*) AS payouts,"
            " count(*) FILTER (WHERE status = 'paid') AS paid,"
            " count(*) FILTER (WHERE status = 'scheduled') AS scheduled,"
            " count(*) FILTER (WHERE status IN ('failed', 'reversed')) AS failed_or_reversed,"
            " count(DISTINCT creator_id) AS creators,"
            " sum(amount) FILTER (WHERE status IN ('scheduled', 'paid')) AS amount,"
            " sum(rail_fee) FILTER (WHERE status IN ('scheduled', 'paid')) AS rail_fees"
            " FROM payouts GROUP BY ALL ORDER BY month, currency"
        ).fetchall()
        fees = cur.execute(
            "WITH p AS (SELECT rail, currency, count(*) AS n, sum(rail_fee) AS rail_fees, sum(amount) AS amount"
            "   FROM payouts WHERE status IN ('scheduled', 'paid') GROUP BY ALL),"
            " s AS (SELECT c.rail, s.currency, count(*) AS sales, sum(s.fees) AS sale_fees"
            "   FROM programme_sales s JOIN creators c ON c.creator_id = s.creator_id"
            "   WHERE c.rail IS NOT NULL GROUP BY ALL)"
            " SELECT coalesce(p.rail, s.rail) AS rail, coalesce(p.currency, s.currency) AS currency,"
            " coalesce(p.n, 0), p.rail_fees, p.amount, coalesce(s.sales, 0), s.sale_fees"
            " FROM p FULL OUTER JOIN s ON p.rail = s.rail AND p.currency = s.currency ORDER BY 1, 2"
        ).fetchall()
        waiting = cur.execute(
            "SELECT rail, currency, count(*) AS creators, sum(amount) AS waiting, max(minimum) AS minimum,"
            " max(as_of) AS as_of FROM ("
            "  SELECT d.*, r.as_of, row_number() OVER (PARTITION BY d.creator_id"
            "   ORDER BY r.as_of DESC, d.decided_at DESC) AS rn"
            "  FROM payout_decisions d JOIN payout_runs r USING (run_id)) last"
            " WHERE rn = 1 AND decision = 'below_minimum' GROUP BY ALL ORDER BY rail, currency"
        ).fetchall()
        custody = cur.execute(
            "SELECT s.currency,"
            " sum(coalesce(s.net, s.gross) - s.refunded) FILTER (WHERE c.holds = 'own_account'),"
            " sum(coalesce(s.net, s.gross) - s.refunded) FILTER (WHERE c.holds = 'platform'),"
            " sum(coalesce(s.net, s.gross) - s.refunded) FILTER (WHERE c.holds = 'programme' AND h.status = 'held'),"
            " sum(coalesce(s.net, s.gross) - s.refunded) FILTER (WHERE c.holds IS NULL),"
            " count(DISTINCT s.creator_id)"
            " FROM sales s LEFT JOIN source_custody c ON c.source = s.source"
            " LEFT JOIN payout_holds h ON h.upload_id = s.upload_id GROUP BY ALL ORDER BY 1"
        ).fetchall()
        owed = dict(cur.execute("SELECT currency, sum(amount) FROM ledger GROUP BY ALL").fetchall())
    kinds = ("own_account", "platform", "held", "unknown")
    seen = set()
    for currency, *amounts, creators in custody:
        seen.add(currency)
        row: dict[str, Any] = {"region": code, "currency": currency, "creators": creators}
        row.update({k: Decimal(a or 0) for k, a in zip(kinds, amounts, strict=True)})
        row["owed"] = Decimal(owed.get(currency) or 0)
        out.by_custody.append(row)
    for currency in sorted(set(owed) - seen):
        out.by_custody.append({"region": code, "currency": currency, "creators": 0, "own_account": Decimal(0),
                               "platform": Decimal(0), "held": Decimal(0), "unknown": Decimal(0),
                               "owed": Decimal(owed[currency] or 0)})
    for month, currency, n, paid, scheduled, bad, creators, raw_amount, rail_fees in months:
        amount = Decimal(raw_amount or 0)
        year, mon = (int(x) for x in month.split("-"))
        out.by_month.append(
            {
                "region": code,
                "month": month,
                "currency": currency,
                "payouts": n,
                "paid": paid,
                "scheduled": scheduled,
                "failed_or_reversed": bad,
                "creators": creators,
                "amount": amount,
                "rail_fees": Decimal(rail_fees or 0),
                "amount_usd": _usd(rates, amount, currency, month_bounds(year, mon)[1]),
            }
        )
    for rail, currency, n, rail_fees, amount, sales, sale_fees in fees:
        out.fees_by_rail.append(
            {
                "region": code,
                "rail": rail,
                "currency": currency,
                "sales": sales,
                "sale_fees": Decimal(sale_fees or 0),
                "payouts": n,
                "rail_fees": Decimal(rail_fees or 0),
                "amount": Decimal(amount or 0),
            }
        )
    for rail, currency, creators, amount, minimum, as_of in waiting:
        out.waiting.append(
            {
                "region": code,
                "rail": rail,
                "currency": currency,
                "creators": creators,
                "waiting": Decimal(amount or 0),
                "minimum": minimum,
                "last_run": as_of,
            }
        )


def payouts_overview(actor: Actor, regions: list[str] | None = None) -> Overview:
    """Payouts per region and month; per rail, the fees the exports recorded on the sales of
    creators paid by it and the rail's own payout fees; and creators whose latest run left them
    below their rail's minimum — for the regions ``actor`` may read (managers and admins).
    """
    allowed = manager_regions(actor, region_codes())
    out = Overview()
    for code in allowed if regions is None else [c for c in regions if c in allowed]:
        try:
            _region_overview(code, out)
        except (RegionUnavailable, WarehouseBusy) as exc:
            out.unavailable[code] = str(exc)
    return out


#: the money columns of each part of an Overview (amounts in the row's ``currency``)
MONEY_COLUMNS = {
    "by_month": ("amount", "rail_fees"),
    "fees_by_rail": ("sale_fees", "rail_fees", "amount"),
    "waiting": ("waiting", "minimum"),
    "by_custody": ("own_account", "platform", "owed", "held", "unknown"),
}


def _region_name(code: str) -> str:
    try:
        return get_region(code).name
    except KasuwaError:
        return code


def export_rows(ov: Overview, part: str) -> list[dict[str, Any]]:
    """The rows of ``part`` (``by_month``, ``fees_by_rail``, ``waiting`` or ``by_custody``) as a download holds
    them: the region's name, amounts rounded half-up to their currency's minor unit, USD to
    the cent; the keys stay those of the Overview (the page gives them their words)."""
    out = []
    for row in getattr(ov, part):
        r = dict(row, region=_region_name(row["region"]))
        for col in MONEY_COLUMNS[part]:
            if r.get(col) is not None:
                r[col] = Decimal(r[col]).quantize(quantum(r["currency"]), ROUND_HALF_UP)
        if r.get("amount_usd") is not None:
            r["amount_usd"] = Decimal(r["amount_usd"]).quantize(Decimal("0.01"), ROUND_HALF_UP)
        out.append(r)
    return out


def admin_payouts(actor: Actor, region: str, status: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Payouts of ``region`` (newest first), optionally of one status — administrators only."""
    require_admin(actor)
    reg = get_region(region)
    return warehouse(reg).dicts(
        "SELECT p.payout_id, p.creator_id, c.name AS creator_name, p.rail, p.currency, p.amount, p.rail_fee,"
        " p.as_of, p.status, p.reference"
        " FROM payouts p LEFT JOIN creators c ON c.creator_id = p.creator_id"
        " WHERE (? IS NULL OR p.status = ?) ORDER BY p.as_of DESC, p.payout_id LIMIT ?",
        [status, status, int(limit)],
    )
