"""The sales page's headline figures in the creator's own currency (issue 16): a creator in Dakar
thinks in F CFA, not in US dollars.

Each sale's amounts are converted exactly (``warehouse.payouts.fx``: the latest rate on or before
the sale's local day, rounded half-up to the local currency's minor unit per day and currency).
"Net after fees" subtracts the fees Kasuwa knows: the export's own, or — for a sale the export
gives no fee for (a statement without a fee column) — the published tariff of the rail its
source names in ``rails.toml`` (``[custody.<source>] rail``), counted as *estimated*. Sales of a
currency without a rate are counted in ``unconverted`` and left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ..access import Actor
from ..creators import get_creator
from ..db import warehouse
from .common import Period, bound, run
from .sales import _params, creator_scope

ZERO = Decimal(0)


@dataclass(frozen=True)
class LocalFigures:
    """A period's gross, fees, net after fees and refunds in ``currency`` (exact, at its minor unit)."""

    currency: str
    gross: Decimal = ZERO
    fees_known: Decimal = ZERO  # from the exports
    fees_estimated: Decimal = ZERO  # from the rails' published tariffs
    net: Decimal = ZERO  # after every known and estimated fee
    refunded: Decimal = ZERO
    estimated_sales: int = 0  # sales whose fee is an estimate
    unconverted: int = 0  # sales without a rate to the local currency


def local_currency(actor: Actor, creator_id: str) -> str:
    """The creator's own currency (``rails.toml [local_currency]`` of their country; USD when unknown)."""
    from ..payouts.rails import rail_book

    return rail_book().local(get_creator(actor, creator_id).country) or "USD"


def local_figures(actor: Actor, creator_id: str, period: Period) -> LocalFigures:
    """The creator's figures of ``period`` in their own currency (own data, a reviewer, an admin)."""
    from ..payouts.custody import custody_of
    from ..payouts.fees import choose_tariff, fee_for
    from ..payouts.fx import FxRateMissing, RateBook

    region = creator_scope(actor, creator_id)
    local = local_currency(actor, creator_id)
    country = get_creator(actor, creator_id).country
    params = _params(region, creator_id, period)
    sql = (
        "SELECT currency, coalesce(fee_currency, currency), CAST(timezone($tz, sold_at) AS DATE) AS day, source,"
        " buyer_country, channel, fees = 0 AS no_fee, sum(gross), sum(fees),"
        " sum(CASE WHEN net IS NULL THEN 0 ELSE net - gross + fees END), sum(refunded), count(*),"
        " CASE WHEN bool_and(fees = 0) THEN list(gross) END"
        " FROM sales WHERE creator_id = $cid AND sold_at >= $lo AND sold_at < $hi GROUP BY ALL"
    )

    def read(d: Any) -> tuple[list[tuple[Any, ...]], RateBook]:
        with d.cursor() as cur:
            rows = cur.execute(sql, bound(sql, params)).fetchall()
            return rows, RateBook.load(cur, {r[0] for r in rows} | {r[1] for r in rows} | {local})

    rows, rates = run(warehouse(region), read)
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    estimated = unconverted = 0
    for currency, fee_cur, day, source, buyer, channel, no_fee, gross, fees, adjust, refunded, n, grosses in rows:
        try:
            conv = _converter(rates, local, day)
            add = {"gross": conv(gross, currency), "fees_known": conv(fees, fee_cur),
                   "refunded": conv(refunded, currency)}
            # gross less fees, plus what an export's own net says beyond that (taxes): parts add up exactly
            add["net"] = add["gross"] - add["fees_known"] + conv(adjust, currency)
            guess = ZERO
            rail = custody_of(source).rail
            if no_fee and rail is not None and grosses:
                domestic = rail.is_domestic(buyer, country)
                tariff = choose_tariff(rail.sale_fee, currency, domestic, channel)
                if tariff is not None:
                    guess = sum((fee_for(tariff, Decimal(g), currency).total for g in grosses if Decimal(g) >= 0),
                                ZERO)
                    estimated += int(n) if guess else 0
            add["fees_estimated"] = conv(guess, currency)
            add["net"] -= add["fees_estimated"]
        except FxRateMissing:
            unconverted += int(n)
            continue
        for k, v in add.items():
            sums[k] += v
    return LocalFigures(local, sums["gross"], sums["fees_known"], sums["fees_estimated"], sums["net"],
                        sums["refunded"], estimated, unconverted)


def _converter(rates: Any, local: str, day: date) -> Any:
    def conv(amount: Any, currency: str) -> Decimal:
        value = Decimal(amount or 0)
        return rates.convert(value, currency, local, day).amount_to if value else ZERO

    return conv

