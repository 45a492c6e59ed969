"""Builders for payout tests: creators, sales rows and FX rates in a real region warehouse."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse

OP = Actor.operator()


def creator(creator_id: str, country: str, rail: str | None, name: str | None = None) -> str:
    """Register a creator with a payout rail; returns their region code."""
    return add_creator(OP, creator_id, country, name, rail=rail).region


def sale(
    region: str,
    creator_id: str,
    sale_id: str,
    day: date,
    gross: str,
    currency: str,
    fees: str = "0",
    net: str | None = None,
    refunded: str = "0",
    buyer_country: str | None = None,
    channel: str | None = None,
    upload_id: str = "up-1",
    product: str = "Ebook",
    hour: int = 12,
    source: str = "programme-store",
) -> None:
    """Insert one sales row sold at ``hour``:00 local time on ``day`` (region time zone), from
    ``source`` (by default the programme's own store: money the programme holds and pays)."""
    wh = warehouse(region)
    tz = ZoneInfo(wh.region.time_zone)
    sold_at = datetime.combine(day, time(hour), tzinfo=tz)
    g, f = Decimal(gross), Decimal(fees)
    n = Decimal(net) if net is not None else g - f
    with wh.transaction() as cur:
        cur.execute(
            "INSERT INTO sales (sale_id, creator_id, source, order_id, product, quantity, sold_at, currency,"
            " gross, fees, net, refunded, buyer_country, channel, upload_id, row_number, loaded_at)"
            " VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, current_timestamp)",
            [
                sale_id,
                creator_id,
                source,
                sale_id,
                product,
                sold_at,
                currency,
                g,
                f,
                n,
                Decimal(refunded),
                buyer_country,
                channel,
                upload_id,
            ],
        )


def rate(region: str, day: date, currency: str, usd_rate: str) -> None:
    warehouse(region).execute(
        "INSERT INTO fx_rates (rate_date, currency, usd_rate) VALUES (?, ?, ?)",
        [day, currency, Decimal(usd_rate)],
    )


def last_friday(before: date) -> date:
    """The latest Friday strictly before ``before``."""
    from datetime import timedelta

    day = before - timedelta(days=1)
    while day.weekday() != 4:
        day -= timedelta(days=1)
    return day


def scenario(today: date | None = None) -> str:
    """Creator ``ada`` (NG, Gumroad) with NGN and USD sales over the last 100 days, daily rates,
    payout runs on the last two Fridays but one (the first payout marked paid), creator ``bob``
    (NG, Paystack) and creator ``cy`` waiting on a minimum. Returns the region."""
    from datetime import timedelta

    today = today or date.today()

    from warehouse.payouts.runs import run_payouts
    from warehouse.payouts.status import mark_payout

    region = creator("ada", "NG", "gumroad", "Ada <b>Stores</b>")
    creator("bob", "NG", "paystack")
    creator("cy", "NG", "gumroad")  # one small sale: waits on Gumroad's $10 minimum
    start = today - timedelta(days=100)
    for i in range(101):
        rate(region, start + timedelta(days=i), "NGN", "0.00065")
    for i in range(0, 95, 5):
        day = start + timedelta(days=i)
        sale(
            region,
            "ada",
            f"a{i}",
            day,
            "25.00",
            "USD",
            fees="3.00",
            buyer_country="US",
            channel="card",
            product='=HYPERLINK("x")' if i == 0 else "Ebook",
        )
        sale(region, "ada", f"n{i}", day, "15000.00", "NGN", fees="300.00", buyer_country="NG")
        sale(region, "bob", f"b{i}", day, "8000.00", "NGN", fees="0", buyer_country="NG", channel="card")
    sale(region, "cy", "c1", start, "2000.00", "NGN")
    second_run = last_friday(today)
    first = run_payouts(OP, region, second_run - timedelta(days=14))
    paid = [d.payout_id for d in first.decisions if d.payout_id]
    for pid in paid:
        if pid.endswith("-ada"):
            mark_payout(OP, pid, "paid", "GUM-REF-1")
    run_payouts(OP, region, second_run)
    return region


def page(path: str, actor: Actor | None, timeout: int = 120):
    """An AppTest of a page script with ``actor`` signed in (server-side session only), not yet run."""
    import time as _time

    from streamlit.testing.v1 import AppTest

    from app.session import ACTOR_KEY, LAST_SEEN_KEY
    from warehouse.settings import PROJECT_ROOT

    at = AppTest.from_file(str(PROJECT_ROOT / path), default_timeout=timeout)
    if actor is not None:
        at.session_state[ACTOR_KEY] = actor
        at.session_state[LAST_SEEN_KEY] = _time.time()
    return at


def shown_text(at) -> str:
    """Every text a person reads on the page, Markdown escapes removed."""
    import re

    kinds = ("markdown", "text", "error", "success", "info", "warning", "caption", "title", "header", "subheader")
    parts = [str(e.value) for kind in kinds for e in getattr(at, kind)]
    return re.sub(r"\\(.)", r"\1", "\n".join(parts))


def store_export(tmp_path, rows: list[tuple[str, date, str]]) -> Path:
    """The programme store's orders export (Shopify's layout): (order, day, naira amount)."""
    lines = ["Name,Financial Status,Paid at,Created at,Currency,Lineitem quantity,Lineitem name,Lineitem price"]
    for order, day, amount in rows:
        stamp = f"{day.isoformat()} 10:00:00 +0100"
        lines.append(f"#{order},paid,{stamp},{stamp},NGN,1,Brand Kit,{amount}")
    path = tmp_path / "store.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
