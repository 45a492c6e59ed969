"""Currency conversion for payouts at dated rates from the region's ``fx_rates`` table.

``usd_rate`` is USD per one unit of the currency on ``rate_date``; a conversion on a day uses,
for each side, the latest rate dated on or before that day (USD is always 1). When there is
none, ``FxRateMissing`` says which currency and day — nothing is ever guessed.

Rule: ``amount`` of A in B = ``amount × usd_rate(A) / usd_rate(B)``, computed exactly and
rounded half-up once to B's minor unit. The amount taken from A is exactly ``amount``; the
amount added to B is the rounded figure; both rates and their dates are recorded with the
ledger entries, so every conversion can be recomputed by hand.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import Any

from warehouse.errors import KasuwaError
from warehouse.i18n import N_, _

from .fees import round_money

ONE = Decimal(1)


class FxRateMissing(KasuwaError):
    """No exchange rate on or before the day a conversion needs one."""

    title = N_("Exchange rate missing")

    def __init__(self, currency: str, on: date) -> None:
        super().__init__(
            _("No USD rate for %(currency)s on or before %(day)s, so %(currency)s cannot be converted for that day. "
              "Load rates first (kasuwa fx load FILE).", currency=currency, day=on.isoformat())
        )
        self.currency = currency
        self.on = on


@dataclass(frozen=True)
class Rate:
    currency: str
    usd_rate: Decimal  # USD per one unit
    rate_date: date | None  # None for USD itself


@dataclass(frozen=True)
class Conversion:
    amount_from: Decimal
    currency_from: str
    amount_to: Decimal
    currency_to: str
    rate_from: Rate
    rate_to: Rate


class RateBook:
    """Every rate of some currencies, read once from a cursor; lookups in memory."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._dates: dict[str, list[date]] = {}
        self._rates: dict[str, list[Decimal]] = {}
        for rate_date, currency, usd in sorted(rows, key=lambda r: (r[1], r[0])):
            self._dates.setdefault(currency, []).append(rate_date)
            self._rates.setdefault(currency, []).append(Decimal(usd))

    @classmethod
    def load(cls, cur: Any, currencies: set[str] | None = None) -> RateBook:
        """Read rates of ``currencies`` (all when None) through the DuckDB cursor ``cur``."""
        if currencies is not None:
            wanted = sorted(c for c in currencies if c != "USD")
            if not wanted:
                return cls([])
            rows = cur.execute(
                "SELECT rate_date, currency, usd_rate FROM fx_rates WHERE list_contains(?, currency)",
                [wanted],
            ).fetchall()
        else:
            rows = cur.execute("SELECT rate_date, currency, usd_rate FROM fx_rates").fetchall()
        return cls(rows)

    def rate(self, currency: str, on: date) -> Rate:
        """The rate of ``currency`` in force on ``on``; raises FxRateMissing when there is none."""
        if currency == "USD":
            return Rate("USD", ONE, None)
        dates = self._dates.get(currency, [])
        i = bisect.bisect_right(dates, on)
        if i == 0:
            raise FxRateMissing(currency, on)
        return Rate(currency, self._rates[currency][i - 1], dates[i - 1])

    def convert(self, amount: Decimal, src: str, dst: str, on: date) -> Conversion:
        """``amount`` of ``src`` in ``dst`` on ``on``, rounded half-up to ``dst``'s minor unit.

        The same currency needs no rate (the amount is returned as it is, with a nominal rate 1).
        """
        if src == dst:
            same = Rate(src, ONE, None)
            return Conversion(amount, src, amount, dst, same, same)
        r_src, r_dst = self.rate(src, on), self.rate(dst, on)
        with localcontext() as ctx:
            ctx.prec = 60
            exact = amount * r_src.usd_rate / r_dst.usd_rate
        return Conversion(amount, src, round_money(exact, dst), dst, r_src, r_dst)
