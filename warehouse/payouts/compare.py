"""The rail comparison: on a creator's own sales of the last 90 days, what each rail available
in their country would have cost — on each sale and on each payout — and how many days each
sale would have waited until paid.

Every figure comes from ``rails.toml`` and the creator's ``sales`` rows. A sale in a currency
the rail has no tariff for is priced in the rail's fallback currency at the sale day's rate.
Money is shown in the creator's local currency: each fee is computed and rounded half-up in
its tariff currency, then converted at the sale day's rate (rounded half-up once). A sale that
cannot be priced (no tariff, no rate) is counted in ``unpriced`` with the reason, never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from warehouse.access import Actor
from warehouse.db import warehouse

from .fees import ZERO, choose_tariff, fee_for
from .fx import FxRateMissing, RateBook
from .ledger import Payee, payee
from .outlook import today_in
from .rails import Rail, rail_book
from .runs import payout_fee


@dataclass
class RailCost:
    rail: str
    name: str
    custodial: bool
    current: bool  # the creator's own rail
    currency: str  # the currency every money figure is in
    sales: int = 0  # sales priced
    gross: Decimal = ZERO
    sale_fees: Decimal = ZERO
    payout_fees: Decimal = ZERO
    payouts: int = 0
    days_total: int = 0  # Σ days until paid over priced sales
    max_days: int = 0
    unpriced: int = 0
    unpriced_reasons: set[str] = field(default_factory=set)
    minimum: str | None = None

    @property
    def total_cost(self) -> Decimal:
        return self.sale_fees + self.payout_fees

    @property
    def cost_share(self) -> Decimal | None:
        """Total cost as a percentage of gross, to two places (None without priced sales)."""
        if not self.gross:
            return None
        return (self.total_cost * 100 / self.gross).quantize(Decimal("0.01"))

    @property
    def mean_days(self) -> Decimal | None:
        """Average days from sale to payout over the priced sales, to one place."""
        if not self.sales:
            return None
        return (Decimal(self.days_total) / self.sales).quantize(Decimal("0.1"))

    def as_row(self) -> dict[str, Any]:
        return {
            "rail": self.name,
            "code": self.rail,
            "custodial": self.custodial,
            "yours": self.current,
            "currency": self.currency,
            "sales": self.sales,
            "gross": self.gross,
            "sale_fees": self.sale_fees,
            "payout_fees": self.payout_fees,
            "total_cost": self.total_cost,
            "cost_share_pct": self.cost_share,
            "payouts": self.payouts,
            "mean_days_to_paid": self.mean_days,
            "max_days_to_paid": self.max_days,
            "unpriced": self.unpriced,
            "note": "; ".join(sorted(self.unpriced_reasons)),
            "minimum": self.minimum or "",
        }


def _sales(cur: Any, p: Payee, start: date, end: date) -> list[tuple[Any, ...]]:
    return cur.execute(
        "SELECT * FROM (SELECT CAST(timezone(?, sold_at) AS DATE) AS day, currency, gross, buyer_country,"
        " channel FROM sales WHERE creator_id = ?) s WHERE day BETWEEN ? AND ? ORDER BY day",
        [p.region.time_zone, p.creator_id, start, end],
    ).fetchall()


def cost_on_rail(
    rail: Rail, p: Payee, sales: list[tuple[Any, ...]], rates: RateBook, *, show_in: str, current: bool
) -> RailCost:
    """Price ``sales`` (day, currency, gross, buyer_country, channel) on ``rail`` in ``show_in``."""
    rc = RailCost(rail.code, rail.name, rail.custodial, current, show_in)
    if rail.minimum:
        rc.minimum = f"{rail.minimum.amount} {rail.minimum.currency}"
    local = p.local_currency or "USD"
    by_payday: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for day, currency, raw_gross, buyer, channel in sales:
        gross = Decimal(raw_gross)
        domestic = rail.is_domestic(buyer, p.country)
        try:
            tariff = choose_tariff(rail.sale_fee, currency, domestic, channel)
            amount, priced_in = gross, currency
            if tariff is None:
                fallback = local if rail.fallback_currency == "local" else rail.fallback_currency
                tariff = choose_tariff(rail.sale_fee, fallback, domestic, channel)
                if tariff is None:
                    rc.unpriced += 1
                    rc.unpriced_reasons.add(f"{rail.name} has no price for {currency} sales")
                    continue
                amount, priced_in = rates.convert(gross, currency, fallback, day).amount_to, fallback
            fee = fee_for(tariff, amount, priced_in).total
            fee_shown = rates.convert(fee, priced_in, show_in, day).amount_to
            gross_shown = rates.convert(gross, currency, show_in, day).amount_to
        except FxRateMissing as exc:
            rc.unpriced += 1
            rc.unpriced_reasons.add(f"no {exc.currency} rate on or before {exc.on}")
            continue
        rc.sales += 1
        rc.gross += gross_shown
        rc.sale_fees += fee_shown
        paid = rail.paid_on(day, currency)
        days = (paid - day).days
        rc.days_total += days
        rc.max_days = max(rc.max_days, days)
        by_payday[paid] += gross_shown - fee_shown
    target = rail.payout_currency(p.country, p.local_currency)
    for paid, net in sorted(by_payday.items()):
        if net <= 0:
            continue
        rc.payouts += 1
        try:
            net_there = rates.convert(net, show_in, target, paid).amount_to
            fee = payout_fee(rail, net_there, target, rates, paid).total
            rc.payout_fees += rates.convert(fee, target, show_in, paid).amount_to
        except FxRateMissing as exc:
            rc.unpriced_reasons.add(f"payout fee not priced: no {exc.currency} rate on or before {exc.on}")
    return rc


def compare_rails(actor: Actor, creator_id: str, today: date | None = None, days: int = 90) -> list[RailCost]:
    """Each rail that can pay into the creator's country, priced on their last ``days`` days of
    sales (own data or admin), cheapest first; the creator's own rail is flagged ``current``.
    """
    p = payee(actor, creator_id)
    end = today or today_in(p.region.time_zone)
    start = end - timedelta(days=days - 1)
    book = rail_book()
    show_in = p.local_currency or "USD"
    with warehouse(p.region).cursor() as cur:
        sales = _sales(cur, p, start, end)
        rates = RateBook.load(cur)
    # Payout days may fall after ``end``: rates are looked up "on or before", so the latest serve.
    out = [
        cost_on_rail(r, p, sales, rates, show_in=show_in, current=r.code == p.rail_code)
        for r in book.for_country(p.country)
    ]
    return sorted(out, key=lambda rc: (rc.sales == 0, rc.total_cost, rc.name))
