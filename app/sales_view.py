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
from warehouse.i18n import N_, _, current_language, ngettext, translate_text, use_language
from warehouse.money import quantum
from warehouse.queries import Period
from warehouse.queries import sales as q
from warehouse.queries.local_figures import LocalFigures

from . import charts, style
from . import format as fmt
from .export import to_csv_bytes
from .query_cache import query
from .undo_view import undo_panel


def _delta(change: Decimal | None, locale: str) -> str | None:
    if change is None:
        return None
    text = fmt.percent(change, locale)
    return text if text.startswith(("-", "−")) else "+" + text


#: words for the codes the warehouse stores (an upload's status, a flagged row's status)
UPLOAD_STATUS = {"loaded": N_("Loaded"), "duplicate": N_("Duplicate"), "rejected": N_("Rejected"),
                 "undone": N_("Undone")}
FLAG_STATUS = {"pending": N_("Awaiting review"), "approved": N_("Approved"), "rejected": N_("Rejected"),
               "asked": N_("A reviewer asks you about it"), "answered": N_("Answered, awaiting review")}


#: what the counts count, said beside them (orders and units side by side read alike)
KPI_MEANING = {
    "orders": N_("Orders: each order counted once, however many lines (products) it has."),
    "units": N_("Units: the quantities of every line added up (two of one product count 2)."),
}


def _change(now: Decimal, before: Decimal) -> Decimal | None:
    return None if before == 0 else (now - before) / before


def kpi_row(kpis: q.Kpis, locale: str, local: LocalFigures | None = None,
            local_before: LocalFigures | None = None) -> None:
    """Gross, net after fees and refunds — in the creator's own currency when ``local`` is given
    (their figures for the period and the one before), then gross in US dollars (net and refunds
    in its help) — orders and units, each with its change against the previous period of the same length. A net
    whose fees are partly the rails' published prices says "estimated"."""
    now, before, prev = kpis.current, kpis.previous, kpis.previous_period
    items: list[tuple[str, str, Decimal | None, str, str, str | None]] = []
    usd_line = None
    if local is not None and local_before is not None and local.currency != "USD":
        c, lb = local.currency, local_before
        net_label = (_("Net after fees (%(currency)s, estimated)", currency=c) if local.fees_estimated
                     else _("Net after fees (%(currency)s)", currency=c))
        items += [
            (_("Gross sales (%(currency)s)", currency=c), fmt.money(local.gross, c, locale),
             _change(local.gross, lb.gross), fmt.money(lb.gross, c, locale), "normal", None),
            (net_label, fmt.money(local.net, c, locale), _change(local.net, lb.net), fmt.money(lb.net, c, locale),
             "normal", _("Fees from your exports: %(known)s. Estimated from the published prices of the payment "
                         "service, where the export gives no fee: %(estimated)s.",
                         known=fmt.money(local.fees_known, c, locale),
                         estimated=fmt.money(local.fees_estimated, c, locale))),
            (_("Refunded (%(currency)s)", currency=c), fmt.money(local.refunded, c, locale),
             _change(local.refunded, lb.refunded), fmt.money(lb.refunded, c, locale), "inverse", None),
        ]
        # US dollars second: a fourth money card (beside Units on a phone, so no extra height)
        items.append((_("Gross sales (USD)"), fmt.money(now.gross_usd, "USD", locale), kpis.change("gross_usd"),
                      fmt.money(before.gross_usd, "USD", locale), "normal",
                      _("In US dollars: net after the exports' fees %(net)s, refunded %(refunded)s.",
                        net=fmt.money(now.net_usd, "USD", locale),
                        refunded=fmt.money(now.refunded_usd, "USD", locale))))
        if local.fees_estimated:
            usd_line = _("Fees marked estimated: %(amount)s of fees the exports did not give, taken from the payment "
                         "service's published prices.", amount=fmt.money(local.fees_estimated, c, locale))
    else:
        items += [
            (_("Gross sales (USD)"), fmt.money(now.gross_usd, "USD", locale), kpis.change("gross_usd"),
             fmt.money(before.gross_usd, "USD", locale), "normal", None),
            (_("Net after fees (USD)"), fmt.money(now.net_usd, "USD", locale), kpis.change("net_usd"),
             fmt.money(before.net_usd, "USD", locale), "normal", None),
            (_("Refunded (USD)"), fmt.money(now.refunded_usd, "USD", locale), kpis.change("refunded_usd"),
             fmt.money(before.refunded_usd, "USD", locale), "inverse", None),
        ]
    items += [
        (_("Orders"), fmt.number(now.orders, locale), kpis.change("orders"), fmt.number(before.orders, locale),
         "normal", _(KPI_MEANING["orders"])),
        (_("Units"), fmt.number(now.units, locale), kpis.change("units"), fmt.number(before.units, locale),
         "normal", _(KPI_MEANING["units"])),
    ]
    span = f"{fmt.day(prev.start, locale)} – {fmt.day(prev.end, locale)}"
    # three to a row: money figures need the width (five in a row cut "US$1,097.53" to "US$1,0…");
    # two to a row on a phone, where stacked cards took a screen and a half before the first chart
    group = style.kpi_group("sales")
    for label, value, change, earlier, colour, more in items:  # more: what the figure counts, or its detail
        words = _("Previous period (%(span)s): %(amount)s", span=span, amount=earlier)
        group.metric(
            label, value, delta=_delta(change, locale), delta_color=colour,  # type: ignore[arg-type]
            help=f"{more}\n\n{words}" if more else words, border=True,
        )
    if usd_line:
        st.caption(fmt.plain(usd_line))
    if now.unconverted:
        st.info(
            ngettext("%(count)s sale has no USD rate for its date and is left out of the USD figures; its "
                     "amount as sold is in the table below.",
                     "%(count)s sales have no USD rate for their date and are left out of the USD figures; their "
                     "amounts as sold are in the table below.", now.unconverted,
                     count=fmt.number(now.unconverted, locale)),
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
    # no fees in the period: gross and net are one line, named so (two lines would hide each other)
    same = len(series) > 0 and all(g == n for g, n in zip(series["gross_usd"], series["net_usd"], strict=True))
    ys, names = ((["gross_usd"], [_("Gross = net (USD, no fees)")]) if same else
                 (["gross_usd", "net_usd"], [_("Gross (USD)"), _("Net (USD)")]))
    charts.show(
        charts.over_time(series, "period", ys, names, title=_("Sales over time"), y_title="USD", locale=locale),
        "sales_over_time",
        charts.data_table(series, {"period": _("Period"), "gross_usd": _("Gross (USD)"), "net_usd": _("Net (USD)")},
                          locale, dates=["period"], usd=["gross_usd", "net_usd"]),
        config=style.CHART_CONFIG,
    )
    left, right = st.columns(2)
    with left:
        products = query(q.top_products, actor, [region], creator_id, period, 10)
        if len(products):
            products = products.assign(product=[fmt.product_name(p) for p in products["product"]])
            charts.show(charts.ranked_bars(products, "product", "gross_usd", _("Top products"),
                                           _("Gross (USD)"), locale=locale), "top_products",
                        charts.data_table(products, {"product": _("Product"), "gross_usd": _("Gross (USD)")}, locale,
                                          usd=["gross_usd"]), config=style.CHART_CONFIG)
        else:
            st.caption(_("No products sold in this period."))
    with right:
        countries = query(q.buyer_countries, actor, [region], creator_id, period)
        if len(countries):
            named = countries.assign(country=[charts.country_name(c, locale) for c in countries["buyer_country"]])
            charts.show(charts.ranked_bars(named, "country", "gross_usd", _("Buyer countries"),
                                           _("Gross (USD)"), locale=locale), "buyer_countries",
                        charts.data_table(named, {"country": _("Buyer country"), "gross_usd": _("Gross (USD)")},
                                          locale, usd=["gross_usd"]), config=style.CHART_CONFIG)
        else:
            st.caption(_("No buyer countries in this period."))
    chans = query(q.channels, actor, [region], creator_id, period)
    if len(chans):
        chans = chans.assign(label=[fmt.source_name(s, c) for s, c in zip(chans["source"], chans["channel"],
                                                                          strict=True)])
        charts.show(charts.ranked_bars(chans, "label", "gross_usd", _("Sources and channels"), _("Gross (USD)"),
                                       locale=locale), "channels",
                    charts.data_table(chans, {"label": _("Source"), "gross_usd": _("Gross (USD)")}, locale,
                                      usd=["gross_usd"]), config=style.CHART_CONFIG)


def currency_table(actor: Actor, creator_id: str, region: str, period: Period, locale: str) -> None:
    """Amounts as sold, per currency, beside their USD value."""
    cur = query(q.by_currency, actor, [region], creator_id, period)
    if not len(cur):
        return
    shown = _money_text(cur, ["gross", "fees", "net", "refunded"], "currency", locale)
    shown = _money_text(shown, ["gross_usd", "net_usd"], None, locale)
    labels = {
        "currency": _("Currency"), "sales": _("Sales"), "gross": _("Gross (as sold)"), "fees": _("Fees"),
        "net": _("Net"), "refunded": _("Refunded"), "gross_usd": _("Gross (USD)"), "net_usd": _("Net (USD)"),
        "unconverted": _("Without a USD rate"),
    }
    style.table(shown, "currencies", labels, title="currency",
                column_config={"unconverted": st.column_config.NumberColumn(_("Without a USD rate"))})


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


#: the sales CSV's headers, in words (its columns in this order; the upload's internal id is left
#: out), translated into the reader's language when the file is made
CSV_HEADERS = {
    "sold_at": N_("Sold at (your local time)"), "source": N_("Platform"), "order_id": N_("Order or receipt"),
    "line": N_("Line"), "product": N_("Product"), "quantity": N_("Quantity"), "currency": N_("Currency"),
    "gross": N_("Amount"), "fees": N_("Fees"), "net": N_("Net"), "refunded": N_("Refunded"),
    "usd_rate": N_("US dollars per unit"), "gross_usd": N_("Amount in US dollars"),
    "buyer_country": N_("Buyer country"), "channel": N_("Channel"),
}


def sales_csv(df: pd.DataFrame, locale: str | None = None) -> bytes:
    """The sale lines as a CSV for people: readable headers, amounts at their currency's decimals,
    in the reader's spreadsheet conventions (``;`` and decimal commas for a French reader)."""
    shown = _in_minor_units(df)
    if "product" in shown.columns:
        shown = shown.assign(product=[fmt.product_name(p) for p in shown["product"]])
    shown = shown[[c for c in CSV_HEADERS if c in shown.columns]]
    if "source" in shown:
        shown = shown.assign(source=[fmt.source_name(v) for v in shown["source"]])
    return to_csv_bytes(shown.rename(columns={c: _(h) for c, h in CSV_HEADERS.items()}), locale)


def download(actor: Actor, creator_id: str, period: Period, locale: str | None = None) -> None:
    """A CSV of the period's sale lines, guarded against formula injection, built on click."""

    lang = current_language()

    def build() -> bytes:  # run when clicked, maybe on another thread: in the page's language
        with use_language(lang):
            return sales_csv(q.sales_rows(actor, creator_id, period), locale)

    st.download_button(
        _("Download these sales (CSV)"), data=build, mime="text/csv", icon=":material/download:",
        file_name=f"kasuwa-sales-{period.start.isoformat()}-{period.end.isoformat()}.csv",
        on_click="ignore",
    )


def waiting_uploads(actor: Actor, creator_id: str, locale: str) -> None:
    """The creator's uploads waiting for their region to be reachable again (shown even while
    it is not: they are kept centrally)."""
    waiting = q.waiting_uploads(actor, creator_id)
    if not waiting:
        return
    style.section(_("Waiting to load"))
    st.info(ngettext("%(count)s of your uploads could not reach your region yet. It is kept and loads by itself as "
                     "soon as the region is back; nothing needs to be uploaded again.",
                     "%(count)s of your uploads could not reach your region yet. They are kept and load by "
                     "themselves as soon as the region is back; nothing needs to be uploaded again.",
                     len(waiting), count=fmt.number(len(waiting), locale)),
            icon=":material/schedule:")
    file, received, status = _("File"), _("Received"), _("Status")
    st.dataframe(fmt.for_people(pd.DataFrame([{file: w["file_name"], received: w["received_at"],
                                                status: _("Waiting to load")} for w in waiting]), locale),
                 hide_index=True)


def uploads_and_flags(actor: Actor, creator_id: str, region: str, locale: str) -> None:
    """The creator's uploads and what became of their flagged rows."""
    style.section(_("My uploads"))
    ups: Any = query(q.uploads, actor, [region], creator_id)
    if len(ups):
        labels = {
            "file_name": _("File"), "received_at": _("Received"), "loaded_at": _("Queryable"),
            "profile": _("Profile"), "source": _("Source"), "status": _("Status"), "rows_total": _("Rows"),
            "rows_loaded": _("Loaded"), "rows_flagged": _("Flagged"), "rows_skipped": _("Skipped"),
            "rows_known": _("Already known"), "message": _("Message"),
        }
        shown = ups.drop(columns=["upload_id"])
        for col, words in (("status", UPLOAD_STATUS), ("profile", None), ("message", None)):
            if col in shown:
                shown[col] = [_(words[v]) if words and v in words else translate_text(v) for v in shown[col]]
        if "source" in shown:
            shown["source"] = [fmt.source_name(v) for v in shown["source"]]
        style.table(fmt.for_people(shown, locale), "uploads", labels, title="file_name", first_cards=3,
                    more=lambda n: ngettext("%(count)s older upload", "%(count)s older uploads", n))
        undo_panel(actor, region, locale, "my_uploads", creator_id)
    else:
        st.caption(_("No uploads yet."))
    style.section(_("Flagged rows"))
    counts = query(q.flagged_summary, actor, [region], creator_id)
    group = style.kpi_group("flags")
    for status, label in [("pending", _("Awaiting review")), ("approved", _("Approved and loaded")),
                          ("rejected", _("Rejected"))]:
        group.metric(label, fmt.number(counts.get(status, 0), locale))
    flags = query(q.flagged, actor, [region], creator_id)
    if len(flags):
        labels = {
            "file_name": _("File"), "row_number": _("Row"), "reasons": _("Why flagged"), "status": _("Status"),
            "note": _("Reviewer's note"), "reviewed_at": _("Decided"), "flagged_at": _("Flagged"),
            "raw": _("Values in the file"),
        }
        shown = flags.drop(columns=["flag_id"])
        if "reasons" in shown:
            shown["reasons"] = [translate_text(v) if isinstance(v, str) else v for v in shown["reasons"]]
        if "status" in shown:
            shown["status"] = [_(FLAG_STATUS[v]) if v in FLAG_STATUS else v for v in shown["status"]]
        style.table(fmt.for_people(shown, locale), "flags", labels, first_cards=3,
                    more=lambda n: ngettext("%(count)s more flagged row", "%(count)s more flagged rows", n))
