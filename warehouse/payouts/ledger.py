"""The creator's ledger: per creator and currency, every movement of money and the balance.

The ledger is the ``ledger`` view of a region's warehouse (``region_003_payouts.sql``):

- from each ``sales`` row: ``sale`` (+gross), ``platform_fee`` (−fees the export recorded),
  ``adjustment`` (net − (gross − fees), when an export's net differs, e.g. taxes) and
  ``refund`` (−refunded); each carries its ``sale_id`` and ``upload_id``;
- from payout runs (``ledger_entries``): ``fx_out``/``fx_in`` (a currency converted into the
  payout currency at a dated rate), ``payout`` (−sent), ``rail_fee`` (−the rail's payout
  charge), and ``payout_return``/``rail_fee_return`` when a payout fails or is reversed; each
  carries its ``payout_id``, and ``payout_items`` names the sales a payout settled;
- from an upload undone after a payout settled its sales (``warehouse/undo.py``): ``undone_paid``
  (the settled sale's net, kept on the day it was sold) and ``undo_reversal`` (the same taken back
  on the day of the undo).

So a sale's entries add up to exactly ``net − refunded``, and the balance in a currency is
the exact sum of that currency's entries: nothing is rounded inside the ledger. A day is the
calendar day in the region's time zone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from warehouse.access import Actor, require_payouts
from warehouse.creators import get_creator
from warehouse.db import warehouse
from warehouse.regions import Region, get_region

from .rails import Rail, RailBook, rail_book

ZERO = Decimal(0)
LIVE = ("scheduled", "paid")
#: every kind of ledger entry, in the order a statement lists them within a day
KINDS = (
    "sale",
    "platform_fee",
    "adjustment",
    "refund",
    "undone_paid",
    "fx_out",
    "fx_in",
    "payout",
    "rail_fee",
    "payout_return",
    "rail_fee_return",
    "undo_reversal",
)  # payout statuses that took money out of the balance

_DAY = "coalesce(value_date, CAST(timezone(?, sold_at) AS DATE))"


@dataclass(frozen=True)
class Payee:
    """A creator as payouts see them: where they are, which rail pays them and in what."""

    creator_id: str
    name: str
    country: str
    region: Region
    rail: Rail | None
    rail_code: str | None
    local_currency: str | None

    @property
    def payout_currency(self) -> str:
        if self.rail is None:
            return self.local_currency or "USD"
        return self.rail.payout_currency(self.country, self.local_currency)

    @property
    def rail_serves_country(self) -> bool:
        return self.rail is not None and self.country in self.rail.countries


def make_payee(region: Region, row: tuple[Any, ...], book: RailBook) -> Payee:
    """A Payee from a ``(creator_id, name, country, rail)`` row of ``creators``."""
    creator_id, name, country, rail_code = row
    rail = book.rails.get(rail_code) if rail_code else None
    return Payee(creator_id, name, country, region, rail, rail_code, book.local(country))


def payee(actor: Actor, creator_id: str) -> Payee:
    """The creator ``creator_id`` if ``actor`` may see their payouts — the creator themself or an
    administrator; anyone else (reviewers, managers, other creators) gets PermissionDenied."""
    require_payouts(actor, creator_id)
    c = get_creator(actor, creator_id)
    return make_payee(get_region(c.region), (c.creator_id, c.name, c.country, c.rail), rail_book())


def balances_of(cur: Any, creator_id: str) -> dict[str, Decimal]:
    """Currency -> exact balance (sum of every ledger entry) through cursor ``cur``."""
    rows = cur.execute(
        "SELECT currency, sum(amount) FROM ledger WHERE creator_id = ? GROUP BY currency ORDER BY currency",
        [creator_id],
    ).fetchall()
    return {c: Decimal(a) for c, a in rows}


def balances(actor: Actor, creator_id: str) -> dict[str, Decimal]:
    """The creator's balance now, per currency (what the ledger says is theirs, paid or not)."""
    p = payee(actor, creator_id)
    with warehouse(p.region).cursor() as cur:
        return balances_of(cur, creator_id)


def entries_of(cur: Any, p: Payee, start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
    """Ledger entries of ``p`` dated ``start``..``end`` (inclusive; None = open), oldest first."""
    sql = (
        f"SELECT * FROM (SELECT {_DAY} AS day, entry_id, kind, currency, amount, sale_id, upload_id,"
        " payout_id, note FROM ledger WHERE creator_id = ?) e"
        " WHERE (? IS NULL OR day >= ?) AND (? IS NULL OR day <= ?)"
        " ORDER BY day, payout_id NULLS FIRST, coalesce(sale_id, payout_id), list_position(?, kind), entry_id"
    )
    res = cur.execute(sql, [p.region.time_zone, p.creator_id, start, start, end, end, list(KINDS)])
    names = [d[0] for d in res.description]
    return [dict(zip(names, row, strict=True)) for row in res.fetchall()]


def entries(actor: Actor, creator_id: str, start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
    """The creator's ledger entries between two days (inclusive), each with its sale/upload/payout."""
    p = payee(actor, creator_id)
    with warehouse(p.region).cursor() as cur:
        return entries_of(cur, p, start, end)


def balances_before(cur: Any, p: Payee, day: date) -> dict[str, Decimal]:
    """Balance per currency from the entries dated before ``day``."""
    rows = cur.execute(
        f"SELECT currency, sum(amount) FROM (SELECT currency, amount, {_DAY} AS day FROM ledger"
        " WHERE creator_id = ?) e WHERE day < ? GROUP BY currency",
        [p.region.time_zone, p.creator_id, day],
    ).fetchall()
    return {c: Decimal(a) for c, a in rows}


def daily_sale_nets(cur: Any, p: Payee) -> list[tuple[str, date, Decimal]]:
    """(currency, sale day, Σ net − refunded) of the creator's sales: what each day adds."""
    rows = cur.execute(
        "SELECT currency, CAST(timezone(?, sold_at) AS DATE) AS day, sum(net - refunded)"
        " FROM programme_sales WHERE creator_id = ? GROUP BY ALL ORDER BY day, currency",
        [p.region.time_zone, p.creator_id],
    ).fetchall()
    return [(c, d, Decimal(a)) for c, d, a in rows]


@dataclass(frozen=True)
class Held:
    currency: str
    amount: Decimal
    release: date  # the payout day on which it can first be paid


def held_amounts(rail: Rail, nets: list[tuple[str, date, Decimal]], on: date) -> list[Held]:
    """Sale money not yet payable on ``on`` (hold not over or no payout day yet), by release day."""
    held: dict[tuple[str, date], Decimal] = defaultdict(lambda: ZERO)
    for currency, day, amount in nets:
        release = rail.paid_on(day, currency)
        if release > on:
            held[(currency, release)] += amount
    return [Held(c, a, d) for (c, d), a in sorted(held.items(), key=lambda kv: (kv[0][1], kv[0][0])) if a]


def eligible_amounts(cur: Any, p: Payee, rail: Rail, on: date) -> tuple[dict[str, Decimal], list[Held]]:
    """Per currency, what could be paid on ``on``: the balance minus sale money still held.

    Payout entries (even of later dates) are always subtracted, so money paid once can never
    be due again, whatever order runs happen in. Held money that is negative (a refund larger
    than its day's sales) is not added back: what is eligible never exceeds the balance, so a
    payout can never drive a balance below zero.
    """
    bal = balances_of(cur, p.creator_id)
    held = held_amounts(rail, daily_sale_nets(cur, p), on)
    eligible = dict(bal)
    for h in held:
        eligible[h.currency] = eligible.get(h.currency, ZERO) - max(h.amount, ZERO)
    return eligible, held


def unsettled_sales(cur: Any, p: Payee, rail: Rail, on: date) -> list[tuple[str, str, str, Decimal]]:
    """(sale_id, upload_id, currency, net − refunded) of payable sales no live payout settled yet."""
    rows = cur.execute(
        "SELECT s.sale_id, s.upload_id, s.currency, s.net - s.refunded, CAST(timezone(?, s.sold_at) AS DATE)"
        " FROM programme_sales s WHERE s.creator_id = ? AND NOT EXISTS ("
        "   SELECT 1 FROM payout_items i JOIN payouts o ON o.payout_id = i.payout_id"
        "   WHERE i.sale_id = s.sale_id AND list_contains(?, o.status))"
        " ORDER BY s.sold_at, s.sale_id",
        [p.region.time_zone, p.creator_id, list(LIVE)],
    ).fetchall()
    return [(sid, up, c, Decimal(a)) for sid, up, c, a, d in rows if rail.paid_on(d, c) <= on]
