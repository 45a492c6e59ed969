"""The pieces of the creator's sales page: KPIs with deltas, charts, tables and the download.

Everything comes from ``warehouse.queries.sales`` through the cache (``app.query_cache``), for
the signed-in actor; user text (products, channels, file names, raw values) is only drawn by
``st.dataframe``, escaped Plotly labels or the escaped HTML cards of ``app.style.table`` (what
phones show instead of a grid).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from warehouse.access import Actor
from warehouse.money import quantum
from warehouse.queries import Period
from warehouse.queries import sales as q

from . import charts, style
from . import format as fmt
from .export import to_csv_bytes
from .query_cache import query


def _delta(change: Decimal | None, locale: str) -> str | None:
    if change is None:
        return None
    text = fmt.percent(change, locale)
    return text if text.startswith(("-", "−")) else "+" + text


def kpi_row(kpis: q.Kpis, locale: str) -> None:
    """Gross, net, refunds in USD, orders and units, each with its change against the previous
    period of the same length."""
    now, before, prev = kpis.current, kpis.previous, kpis.previous_period
    items: list[tuple[str, str, str, str, str]] = [
        ("Gross sales (USD)", fmt.money(now.gross_usd, "USD", locale), "gross_usd",
         fmt.money(before.gross_usd, "USD", locale), "normal"),
        ("Net after fees (USD)", fmt.money(now.net_usd, "USD", locale), "net_usd",
         fmt.money(before.net_usd, "USD", locale), "normal"),
        ("Refunded (USD)", fmt.money(now.refunded_usd, "USD", locale), "refunded_usd",
         fmt.money(before.refunded_usd, "USD", locale), "inverse"),
        ("Orders", fmt.number(now.orders, locale), "orders", fmt.number(before.orders, locale), "normal"),
        ("Units", fmt.number(now.units, locale), "units", fmt.number(before.units, locale), "normal"),
    ]
    span = f"{fmt.day(prev.start, locale)} – {fmt.day(prev.end, locale)}"
    # three to a row: money figures need the width (five in a row cut "US$1,097.53" to "US$1,0…");
    # two to a row on a phone, where stacked cards took a screen and a half before the first chart
    group = style.kpi_group("sales")
    for label, value, name, earlier, colour in items:
        group.metric(
            label, value, delta=_delta(kpis.change(name), locale), delta_color=colour,  # type: ignore[arg-type]
            help=f"Previous period ({span}): {earlier}", border=True,
        )
    if now.unconverted:
        st.info(
            f"{fmt.number(now.unconverted, locale)} sales have no USD rate for their date and are left "
            "out of the USD figures; their amounts as sold are in the table below.",
            icon=":material/currency_exchange:",
        )


def _money_text(df: pd.DataFrame, columns: list[str], currency_col: str | None, locale: str,
                currency: str = "USD") -> pd.DataFrame:
    """Money columns shown as locale text (exact Decimals in, strings out), for tables only."""
    out = df.copy()
    for col in columns:
        out[col] = [
            fmt.money(v, row_cur if currency_col else currency, locale) if v is not None else ""
            for v, row_cur in zip(out[col], out[currency_col] if currency_col else [currency] * len(out),
                                  strict=True)
        ]
    return out


def charts_block(actor: Actor, creator_id: str, region: str, period: Period, grain: str, locale: str) -> None:
    """Sales over time, top products, buyer countries and channels."""
    series = query(q.series, actor, [region], creator_id, period, grain)
    st.plotly_chart(
        charts.over_time(series, "period", ["gross_usd", "net_usd"], ["Gross (USD)", "Net (USD)"],
                         title="Sales over time", y_title="USD"),
        key="sales_over_time", config=style.CHART_CONFIG,
    )
    left, right = st.columns(2)
    with left:
        products = query(q.top_products, actor, [region], creator_id, period, 10)
        if len(products):
            st.plotly_chart(charts.ranked_bars(products, "product", "gross_usd", "Top products",
                                               "Gross (USD)"), key="top_products", config=style.CHART_CONFIG)
        else:
            st.caption("No products sold in this period.")
    with right:
        countries = query(q.buyer_countries, actor, [region], creator_id, period)
        if len(countries):
            named = countries.assign(country=[charts.country_name(c) for c in countries["buyer_country"]])
            st.plotly_chart(charts.ranked_bars(named, "country", "gross_usd", "Buyer countries",
                                               "Gross (USD)"), key="buyer_countries", config=style.CHART_CONFIG)
        else:
            st.caption("No buyer countries in this period.")
    chans = query(q.channels, actor, [region], creator_id, period)
    if len(chans):
        chans = chans.assign(label=[f"{s} · {c}" for s, c in zip(chans["source"], chans["channel"], strict=True)])
        st.plotly_chart(charts.ranked_bars(chans, "label", "gross_usd", "Sources and channels", "Gross (USD)"),
                        key="channels", config=style.CHART_CONFIG)


def currency_table(actor: Actor, creator_id: str, region: str, period: Period, locale: str) -> None:
    """Amounts as sold, per currency, beside their USD value."""
    cur = query(q.by_currency, actor, [region], creator_id, period)
    if not len(cur):
        return
    shown = _money_text(cur, ["gross", "fees", "net", "refunded"], "currency", locale)
    shown = _money_text(shown, ["gross_usd", "net_usd"], None, locale)
    labels = {
        "currency": "Currency", "sales": "Sales", "gross": "Gross (as sold)", "fees": "Fees",
        "net": "Net", "refunded": "Refunded", "gross_usd": "Gross (USD)", "net_usd": "Net (USD)",
        "unconverted": "Without a USD rate",
    }
    style.table(shown, "currencies", labels, title="currency",
                column_config={"unconverted": st.column_config.NumberColumn("Without a USD rate")})


def _in_minor_units(df: pd.DataFrame) -> pd.DataFrame:
    """Amounts as sold shown with their currency's ISO 4217 decimals (``1500.50``, not
    ``1500.5000``); exact, because the warehouse holds no finer amounts than that."""
    out = df.copy()
    for col in ("gross", "fees", "net", "refunded"):
        values = []
        for value, currency in zip(out[col], out["currency"], strict=True):
            try:
                exact = value.quantize(quantum(currency))
                values.append(exact if exact == value else value)
            except (AttributeError, ValueError, ArithmeticError):
                values.append(value)
        out[col] = values
    return out


#: the sales CSV's headers, in words (its columns in this order; the upload's internal id is left out)
CSV_HEADERS = {
    "sold_at": "Sold at (your local time)", "source": "Platform", "order_id": "Order or receipt", "line": "Line",
    "product": "Product", "quantity": "Quantity", "currency": "Currency", "gross": "Amount", "fees": "Fees",
    "net": "Net", "refunded": "Refunded", "usd_rate": "US dollars per unit", "gross_usd": "Amount in US dollars",
    "buyer_country": "Buyer country", "channel": "Channel",
}


def sales_csv(df: pd.DataFrame) -> bytes:
    """The sale lines as a CSV for people: readable headers, amounts at their currency's decimals."""
    shown = _in_minor_units(df)
    shown = shown[[c for c in CSV_HEADERS if c in shown.columns]].rename(columns=CSV_HEADERS)
    return to_csv_bytes(shown)


def download(actor: Actor, creator_id: str, period: Period) -> None:
    """A CSV of the period's sale lines, guarded against formula injection, built on click."""

    def build() -> bytes:
        return sales_csv(q.sales_rows(actor, creator_id, period))

    st.download_button(
        "Download these sales (CSV)", data=build, mime="text/csv", icon=":material/download:",
        file_name=f"kasuwa-sales-{period.start.isoformat()}-{period.end.isoformat()}.csv",
        on_click="ignore",
    )


def waiting_uploads(actor: Actor, creator_id: str, locale: str) -> None:
    """The creator's uploads waiting for their region to be reachable again (shown even while
    it is not: they are kept centrally)."""
    waiting = q.waiting_uploads(actor, creator_id)
    if not waiting:
        return
    st.subheader("Waiting to load")
    st.info(f"{fmt.number(len(waiting), locale)} of your uploads could not reach your region yet. They are kept "
            "and load by themselves as soon as it is back; nothing needs to be uploaded again.",
            icon=":material/schedule:")
    st.dataframe(pd.DataFrame([{"File": w["file_name"], "Received": w["received_at"], "Status": "Waiting to load"}
                               for w in waiting]), hide_index=True,
                 column_config={"Received": st.column_config.DatetimeColumn("Received")})


def uploads_and_flags(actor: Actor, creator_id: str, region: str, locale: str) -> None:
    """The creator's uploads and what became of their flagged rows."""
    st.subheader("My uploads")
    ups: Any = query(q.uploads, actor, [region], creator_id)
    if len(ups):
        labels = {
            "file_name": "File", "received_at": "Received", "loaded_at": "Queryable", "profile": "Profile",
            "source": "Source", "status": "Status", "rows_total": "Rows", "rows_loaded": "Loaded",
            "rows_flagged": "Flagged", "rows_skipped": "Skipped", "rows_known": "Already known",
            "message": "Message",
        }
        style.table(ups.drop(columns=["upload_id"]), "uploads", labels, title="file_name", column_config={
            "received_at": st.column_config.DatetimeColumn("Received"),
            "loaded_at": st.column_config.DatetimeColumn("Queryable"),
        }, first_cards=3, more="older uploads")
    else:
        st.caption("No uploads yet.")
    st.subheader("Flagged rows")
    counts = query(q.flagged_summary, actor, [region], creator_id)
    group = style.kpi_group("flags")
    for status, label in [("pending", "Awaiting review"), ("approved", "Approved and loaded"),
                          ("rejected", "Rejected")]:
        group.metric(label, fmt.number(counts.get(status, 0), locale))
    flags = query(q.flagged, actor, [region], creator_id)
    if len(flags):
        labels = {
            "file_name": "File", "row_number": "Row", "reasons": "Why flagged", "status": "Status",
            "note": "Reviewer's note", "reviewed_at": "Decided", "flagged_at": "Flagged", "raw": "Values in the file",
        }
        style.table(flags.drop(columns=["flag_id"]), "flags", labels, column_config={
            "reviewed_at": st.column_config.DatetimeColumn("Decided"),
            "flagged_at": st.column_config.DatetimeColumn("Flagged"),
        }, first_cards=3, more="more flagged rows")
