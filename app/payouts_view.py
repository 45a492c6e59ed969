"""Widgets of the payouts pages: the creator's outlook, history, statements and rail
comparison; the managers' overview and the administrators' "mark paid" form.

Everything is asked of ``warehouse.payouts`` with the signed-in Actor (which checks access);
amounts stay Decimal and are formatted with ``app.format``; floats exist only inside charts.
User-entered text (references, product names) reaches the screen only through dataframes
and ``plain()``, never as HTML.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from warehouse.access import Actor
from warehouse.errors import KasuwaError
from warehouse.payouts.compare import RailCost, compare_rails
from warehouse.payouts.outlook import Outlook
from warehouse.payouts.rails import rail_book
from warehouse.payouts.statements import monthly_statement, statement_csv, statement_months, statement_pdf
from warehouse.payouts.status import mark_payout, payout_history
from warehouse.regions import get_region

from . import charts, style
from . import format as fmt
from .colours import region_colour
from .errors import show_error

NEXT_WORDS = {
    "nothing_due": "Nothing due yet",
    "below_minimum": "Waiting for the minimum",
    "no_rail": "No payout rail",
    "rail_unavailable": "Rail unavailable",
    "no_fx_rate": "Rate missing",
}
STATUS_WORDS = {"scheduled": "Scheduled", "paid": "Paid", "failed": "Failed", "reversed": "Reversed"}


def outlook_block(o: Outlook, locale: str) -> None:
    """Balance per currency, the next payout and, in words, why it is what it is."""
    group = style.kpi_group("outlook")  # two to a row on a phone
    for currency, amount in sorted(o.balances.items()):
        group.metric(f"Balance in {currency}", fmt.money(amount, currency, locale))
    nxt = group
    when = f" · {fmt.day(o.next_date, locale)}" if o.next_date else ""
    if o.next_amount is not None:
        nxt.metric(f"Next payout{when}", fmt.money(o.next_amount, o.payout_currency, locale))
    else:
        nxt.metric(f"Next payout day{when}", NEXT_WORDS.get(o.status, "—"))
    kind = {
        True: "it holds your money and pays you on a schedule",
        False: "money goes straight into your own account",
    }.get(o.custodial, "")
    if o.rail:
        st.caption(fmt.plain(f"Your payout rail: {o.rail} ({kind}). Paid in {o.payout_currency}."))
    st.markdown("\n".join(f"- {fmt.plain(r)}" for r in o.reasons))
    if not o.balances:
        st.info("No money in your ledger yet: it starts with your first loaded sale.", icon=":material/info:")


def rail_name(code: str) -> str:
    """The rail's name from rails.toml (the code itself when the file no longer lists it)."""
    rail = rail_book().rails.get(code)
    return rail.name if rail else code


def history_table(actor: Actor, creator_id: str, locale: str) -> None:
    """The creator's payouts, newest first: date, rail, amount, fee, status and reference."""
    rows = payout_history(actor, creator_id)
    if not rows:
        st.caption("No payouts yet.")
        return
    df = pd.DataFrame(
        [
            {
                "Date": r["as_of"],
                "Payout": r["payout_id"],
                "Rail": rail_name(r["rail"]),
                "Amount": fmt.money(r["amount"], r["currency"], locale),
                "Rail fee": fmt.money(r["rail_fee"], r["currency"], locale),
                "Status": STATUS_WORDS.get(r["status"], r["status"]),
                "Reference": r["reference"] or "",
            }
            for r in rows
        ]
    )
    style.table(df, "payout-history", {c: c for c in df.columns}, title="Date", grid_key="payout_history",
                first_cards=5, more="older payouts")


def statement_downloads(actor: Actor, creator_id: str) -> None:
    """Pick a month; download its statement as CSV or PDF (built when clicked)."""
    months = statement_months(actor, creator_id)
    if not months:
        st.caption("Statements appear once your ledger has entries.")
        return
    labels = [f"{y:04d}-{m:02d}" for y, m in months]
    label = st.selectbox("Month", labels, key="statement_month")
    year, month = (int(x) for x in str(label).split("-"))
    left, right = st.columns(2)
    left.download_button(
        "Statement (CSV)",
        data=lambda: statement_csv(monthly_statement(actor, creator_id, year, month)),
        file_name=f"kasuwa-statement-{label}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key="statement_csv",
    )
    right.download_button(
        "Statement (PDF)",
        data=lambda: statement_pdf(monthly_statement(actor, creator_id, year, month)),
        file_name=f"kasuwa-statement-{label}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        on_click="ignore",
        key="statement_pdf",
    )


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def comparison_chart(costs: list[RailCost]) -> go.Figure:
    """Two panels, one above the other, sharing the rails: total fees (top) and average days
    until paid (bottom); orange bars are custodial rails, green ones non-custodial; the
    creator's rail is marked. Stacked, each panel's title has the chart's whole width (side by
    side, the two titles overlapped on a phone)."""
    from plotly.subplots import make_subplots

    shown = [c for c in costs if c.sales][::-1]  # cheapest at the top
    labels = [charts.safe_text(c.name + (" (yours)" if c.current else "")) for c in shown]
    colours = [charts.PALETTE[1] if c.custodial else charts.PALETTE[0] for c in shown]
    currency = shown[0].currency if shown else ""
    panel = 34 * len(shown) + 40
    fig = make_subplots(
        rows=2,
        cols=1,
        vertical_spacing=90 / (2 * panel + 90),
        subplot_titles=(f"Fees on 90 days of sales ({currency})", "Average days until paid"),
    )
    fig.add_trace(
        go.Bar(
            y=labels,
            x=[_f(c.total_cost) for c in shown],
            orientation="h",
            marker_color=colours,
            showlegend=False,
            hovertemplate="%{y}: %{x:,.2f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Bar(
            y=labels,
            x=[_f(c.mean_days) for c in shown],
            orientation="h",
            marker_color=colours,
            showlegend=False,
            hovertemplate="%{y}: %{x} days<extra></extra>",
        ),
        row=2,
        col=1,
    )
    for name, colour in (("Held by rail", charts.PALETTE[1]), ("Paid direct", charts.PALETTE[0])):
        fig.add_trace(go.Bar(x=[None], y=[None], name=name, marker_color=colour), row=1, col=1)
    fig.update_layout(
        template="plotly_white",
        height=2 * panel + 90 + 60,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        # the legend on the first line, the first panel's title below it
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1, "yref": "container", "yanchor": "top"},
        bargap=0.35,
    )
    fig.update_xaxes(rangemode="tozero")
    fig.update_yaxes(automargin=True)
    return fig


def rail_comparison(actor: Actor, creator_id: str, locale: str, today: date | None = None) -> None:
    """What each rail available in the creator's country would have cost on their last 90 days."""
    costs = compare_rails(actor, creator_id, today)
    if not costs or not any(c.sales for c in costs):
        st.caption("No sales in the last 90 days to compare rails on.")
        return
    st.plotly_chart(comparison_chart(costs), key="rail_chart", config=style.CHART_CONFIG)
    rows = []
    for c in costs:
        rows.append(
            {
                "Rail": c.name + (" (yours)" if c.current else ""),
                "Kind": "Held by rail" if c.custodial else "Paid direct",
                "Fees on sales": fmt.money(c.sale_fees, c.currency, locale),
                "Payout fees": fmt.money(c.payout_fees, c.currency, locale),
                "Total": fmt.money(c.total_cost, c.currency, locale),
                "% of sales": "" if c.cost_share is None else fmt.number(c.cost_share, locale, 2) + " %",
                "Days until paid (avg / max)": "" if c.mean_days is None else f"{c.mean_days} / {c.max_days}",
                "Minimum payout": c.minimum or "",
                "Not priced": c.unpriced,
                "Note": "; ".join(sorted(c.unpriced_reasons)),
            }
        )
    table = pd.DataFrame(rows)
    style.table(table, "rails", {c: c for c in table.columns}, title="Rail", grid_key="rail_table")
    st.caption(
        fmt.plain(
            f"On your {max(c.sales + c.unpriced for c in costs)} sales of the last 90 days, "
            f"in {costs[0].currency}. "
            "Fees are each rail's published prices (and a few of the programme's own estimates); "
            "rails change them from time to time. \"Held by rail\": the rail collects the buyer's "
            "payment, keeps your balance and pays you on its schedule. \"Paid direct\": the money settles "
            "straight into your own account."
        )
    )


COLUMN_NAMES = {
    "region": "Region",
    "month": "Month",
    "currency": "Currency",
    "payouts": "Payouts",
    "paid": "Paid",
    "scheduled": "Scheduled",
    "failed_or_reversed": "Failed or reversed",
    "creators": "Creators",
    "amount": "Paid or scheduled",
    "rail_fees": "Rail payout fees",
    "amount_usd": "Paid or scheduled (USD)",
    "rail": "Rail",
    "sales": "Sales",
    "sale_fees": "Fees on sales (exports)",
    "waiting": "Waiting",
    "minimum": "Minimum",
    "last_run": "Latest run",
}


def _region_name(code: str) -> str:
    try:
        return get_region(code).name
    except KasuwaError:
        return code


def _table(rows: list[dict[str, Any]], money_cols: list[str], usd_cols: tuple[str, ...] = ()) -> None:
    df = _money_columns(pd.DataFrame(rows), money_cols, usd_cols)
    if "region" in df:
        df["region"] = [_region_name(c) for c in df["region"]]
    if "rail" in df:
        df["rail"] = [rail_name(c) for c in df["rail"]]
    st.dataframe(df.rename(columns=COLUMN_NAMES), hide_index=True)


def overview_tables(ov: Any) -> None:
    """Managers: payouts per region and month, fees per rail, creators waiting on a minimum."""
    for code, why in ov.unavailable.items():
        st.warning(fmt.plain(f"{_region_name(code)}: {why}"), icon=":material/cloud_off:")
    st.subheader("Payouts per region and month")
    if ov.by_month:
        usd = [r for r in ov.by_month if r["amount_usd"] is not None]
        if usd:
            fig = go.Figure()
            for region in sorted({r["region"] for r in usd}):
                sums: dict[str, Decimal] = {}
                for r in usd:
                    if r["region"] == region:
                        sums[r["month"]] = sums.get(r["month"], Decimal(0)) + r["amount_usd"]
                fig.add_trace(
                    go.Bar(
                        x=list(sums),
                        y=[float(v) for v in sums.values()],
                        name=charts.safe_text(_region_name(region)),
                        marker_color=region_colour(region),
                    )
                )
            fig.update_layout(
                template="plotly_white",
                height=charts.HEIGHT,
                barmode="group",
                margin={"l": 10, "r": 10, "t": 10, "b": 10},
            )
            fig.update_xaxes(type="category", title_text="Month")
            fig.update_yaxes(title_text="Paid or scheduled (USD)")
            st.plotly_chart(fig, key="payouts_by_month")
        _table(ov.by_month, ["amount", "rail_fees"], ("amount_usd",))
    else:
        st.caption("No payouts yet.")
    st.subheader("Fees per rail")
    st.caption(
        "Fees the exports recorded on the sales of creators paid through each rail, and the rail's "
        "own payout fees, per currency."
    )
    if ov.fees_by_rail:
        _table(ov.fees_by_rail, ["sale_fees", "rail_fees", "amount"])
    else:
        st.caption("No fees yet.")
    st.subheader("Creators waiting on a minimum payout")
    if ov.waiting:
        _table(ov.waiting, ["waiting", "minimum"])
    else:
        st.caption("No creator's balance is waiting on a minimum after the latest run.")


def _money_columns(df: pd.DataFrame, cols: list[str], usd_cols: tuple[str, ...] = ()) -> pd.DataFrame:
    out = df.copy()
    for col in cols:
        out[col] = [fmt.money(v, c) for v, c in zip(out[col], out["currency"], strict=True)]
    for col in usd_cols:
        out[col] = [fmt.money(v, "USD") if v is not None and not pd.isna(v) else "" for v in out[col]]
    return out


def mark_form(actor: Actor, payouts: list[dict[str, Any]]) -> None:
    """Administrators: record a payout as paid (with the rail's reference), failed or reversed."""
    open_ = [p for p in payouts if p["status"] in ("scheduled", "paid")]
    if not open_:
        st.caption("No scheduled or paid payouts to update in this region.")
        return
    with st.form("mark_payout"):
        labels = {
            p["payout_id"]: f"{p['payout_id']} · {fmt.money(p['amount'], p['currency'])} · {p['status']}" for p in open_
        }
        pid = st.selectbox("Payout", list(labels), format_func=lambda k: labels[k], key="mark_pid")
        status = st.radio("New status", ["paid", "failed", "reversed"], horizontal=True, key="mark_status")
        reference = st.text_input("Transfer reference (required when paid)", key="mark_reference", max_chars=200)
        if st.form_submit_button("Record"):
            try:
                p = mark_payout(actor, str(pid), str(status), reference)
            except KasuwaError as exc:
                show_error(exc)
            else:
                st.success(fmt.plain(f"{p['payout_id']} is now {p['status']}."), icon=":material/check_circle:")
