"""Where a creator's money is: received, on its way, owed by the programme (issue 16).

Every loaded sale is money somewhere; its source's custody (``custody.py``) says where:

- **received**: in the creator's own account (``own_account`` sources: PayPal, M-Pesa, Stripe …), or
  paid on by a platform — a ``platform`` sale whose expected payout day has passed *and* is
  covered by a later export from that platform (the export that would hold the payout line);
- **on its way**: a ``platform`` sale not yet received, with the day the platform's published
  hold and schedule say it pays (``expected``);
- **owed by the programme**: the ledger's balance (``programme`` sales less what payouts took;
  ``outlook.py`` says when and how it is paid); uploads the guard rails held wait for a reviewer
  (``held``);
- **elsewhere**: sources whose custody Kasuwa does not know (``generic`` …): never owed by the
  programme, and the page says Kasuwa cannot tell where the money is.

Amounts are ``net − refunded`` in each sale's own currency (gross − refunded when the export
stated its fee in another currency), exact; each pot also in the creator's local currency and in
USD at the latest rate known (None when there is no rate).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from warehouse.access import Actor
from warehouse.db import warehouse

from .custody import PROGRAMME_SOURCE, UNKNOWN, custody_of
from .fx import FxRateMissing, RateBook
from .ledger import balances_of, payee
from .outlook import today_in

ZERO = Decimal(0)


@dataclass(frozen=True)
class Pot:
    """Money of one source in one currency (and, when on its way, one expected day)."""

    source: str
    name: str  # the source's name as rails.toml gives it (translate where shown)
    currency: str
    amount: Decimal
    sales: int
    local: Decimal | None = None  # in the creator's local currency, at the latest rate
    usd: Decimal | None = None  # in USD, at the latest rate
    expected: date | None = None  # on its way: the platform's payout day


@dataclass
class Whereabouts:
    creator_id: str
    local_currency: str
    today: date
    received: list[Pot] = field(default_factory=list)
    on_its_way: list[Pot] = field(default_factory=list)
    owed: list[Pot] = field(default_factory=list)  # the ledger's balance: what the programme holds for them
    held: list[Pot] = field(default_factory=list)  # programme-held, waiting for a reviewer
    elsewhere: list[Pot] = field(default_factory=list)  # custody unknown

    def total(self, kind: str, in_usd: bool = False) -> Decimal | None:
        """Sum of a kind's pots in the local currency (or USD); None when a rate is missing."""
        values = [p.usd if in_usd else p.local for p in getattr(self, kind)]
        if any(v is None for v in values):
            return None
        return sum((v for v in values if v is not None), ZERO)


def where_is_my_money(actor: Actor, creator_id: str, today: date | None = None) -> Whereabouts:
    """The creator's loaded sales by where their money is (own data, or an administrator)."""
    p = payee(actor, creator_id)
    day = today or today_in(p.region.time_zone)
    local = p.local_currency or p.payout_currency
    with warehouse(p.region).cursor() as cur:
        rows = cur.execute(
            "SELECT s.source, s.currency, CAST(timezone(?, s.sold_at) AS DATE) AS day,"
            " sum(coalesce(s.net, s.gross) - s.refunded), count(*),"
            " coalesce(h.status = 'held', false) AS held"
            " FROM sales s LEFT JOIN payout_holds h ON h.upload_id = s.upload_id"
            " WHERE s.creator_id = ? GROUP BY s.source, s.currency, day, held ORDER BY day",
            [p.region.time_zone, creator_id],
        ).fetchall()
        latest = dict(cur.execute(
            "SELECT source, max(CAST(timezone(?, sold_at) AS DATE)) FROM sales WHERE creator_id = ? GROUP BY source",
            [p.region.time_zone, creator_id],
        ).fetchall())
        balances = balances_of(cur, creator_id)
        rates = RateBook.load(cur, {c for _s, c, *_rest in rows} | set(balances) | {local})
    sums: dict[tuple[str, str, str, date | None], list[Decimal | int]] = defaultdict(lambda: [ZERO, 0])
    for source, currency, sold_on, amount, n, held in rows:
        c = custody_of(source)
        if c.holds == "programme":
            if not held:
                continue  # in the ledger: owed until a payout takes it (the balance below)
            kind, expected = "held", None
        elif c.holds == "own_account":
            kind, expected = "received", None
        elif c.holds == "platform":
            expected = c.expected_on(sold_on, currency)
            covered = expected <= day and latest.get(source) is not None and latest[source] >= expected
            kind, expected = ("received", None) if covered else ("on_its_way", expected)
        else:
            kind, expected = "elsewhere", None
        acc = sums[(kind, source, currency, expected)]
        acc[0] = Decimal(acc[0]) + Decimal(amount)
        acc[1] = int(acc[1]) + int(n)
    out = Whereabouts(creator_id, local, day)
    for (kind, source, currency, expected), (amount, n) in sorted(
        sums.items(), key=lambda kv: (kv[0][0], kv[0][3] or date.min, kv[0][1], kv[0][2])
    ):
        c = custody_of(source)
        getattr(out, kind).append(Pot(source, c.name if c.holds != UNKNOWN else source, currency, Decimal(amount),
                                      int(n), _convert(rates, Decimal(amount), currency, local, day),
                                      _convert(rates, Decimal(amount), currency, "USD", day), expected))
    programme = custody_of(PROGRAMME_SOURCE)
    for currency, amount in sorted(balances.items()):
        if amount:
            out.owed.append(Pot(PROGRAMME_SOURCE, programme.name, currency, amount, 0,
                                _convert(rates, amount, currency, local, day),
                                _convert(rates, amount, currency, "USD", day)))
    return out


def _convert(rates: RateBook, amount: Decimal, src: str, dst: str, on: date) -> Decimal | None:
    try:
        return rates.convert(amount, src, dst, on).amount_to
    except FxRateMissing:
        return None
