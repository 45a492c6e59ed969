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
from warehouse.payouts.statements import monthly_statement, statement_csv, statement_months, statement_pdf
from warehouse.payouts.status import mark_payout, payout_history

from . import charts
from . import format as fmt
from .errors import show_error

STATUS_WORDS = {"scheduled": "Scheduled", "paid": "Paid", "failed": "Failed", "reversed": "Reversed"}


def outlook_block(o: Outlook, locale: str) -> None:
    """Balance per currency, the next payout and, in words, why it is what it is."""
    cols = st.columns(max(2, len(o.balances) + 1))
    for col, (currency, amount) in zip(cols, sorted(o.balances.items()), strict=False):
        col.metric(f"Balance in {currency}", fmt.money(amount, currency, locale))
    nxt = cols[-1]
    if o.next_date and o.next_amount is not None:
        nxt.metric(
            f"Next payout · {fmt.day(o.next_date, locale)}",
            fmt.money(o.next_amount, o.payout_currency, locale),
        )
    else:
        nxt.metric("Next payout", "—" if o.next_date is None else f"not on {fmt.day(o.next_date, locale)}")
    kind = {
        True: "custodial: it holds your balance and pays on a schedule",
        False: "non-custodial: money settles into your own account",
    }.get(o.custodial, "")
    if o.rail:
        st.caption(fmt.plain(f"Your payout rail: {o.rail} ({kind}). Paid in {o.payout_currency}."))
    st.markdown("\n".join(f"- {fmt.plain(r)}" for r in o.reasons))
    if not o.balances:
        st.info("No money in your ledger yet: it starts with your first loaded sale.", icon=":material/info:")


def history_table(actor: Actor, creator_id: str, locale: str) -> None:
    rows = payout_history(actor, creator_id)
    if not rows:
        st.caption("No payouts yet.")
        return
    df = pd.DataFrame(
        [
            {
                "Date": r["as_of"],
                "Payout": r["payout_id"],
                "Rail": r["rail"],
                "Amount": fmt.money(r["amount"], r["currency"], locale),
                "Rail fee": fmt.money(r["rail_fee"], r["currency"], locale),
                "Status": STATUS_WORDS.get(r["status"], r["status"]),
                "Reference": r["reference"] or "",
            }
            for r in rows
        ]
    )
    st.dataframe(df, hide_index=True, key="payout_history")


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
    """Cost against days until paid, one point per rail; colour = custodial or not."""
    fig = go.Figure()
    for custodial, name, colour in (
        (True, "Custodial", charts.PALETTE[1]),
        (False, "Non-custodial", charts.PALETTE[0]),
    ):
        pts = [c for c in costs if c.custodial is custodial and c.sales]
        fig.add_trace(
            go.Scatter(
                x=[_f(c.mean_days) for c in pts],
                y=[_f(c.total_cost) for c in pts],
                text=[charts.safe_text(c.name + (" (yours)" if c.current else "")) for c in pts],
                mode="markers+text",
                textposition="top center",
                name=name,
                marker={"size": 14, "color": colour, "line": {"width": 2, "color": "#111827"}},
                hovertemplate="%{text}: %{y:,.2f} over %{x} days<extra></extra>",
            )
        )
    currency = costs[0].currency if costs else ""
    fig.update_layout(
        template="plotly_white",
        height=charts.HEIGHT,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "y": 1.08, "x": 0},
    )
    fig.update_xaxes(title_text="Average days from sale to payout", rangemode="tozero")
    fig.update_yaxes(title_text=f"Total fees ({currency})", rangemode="tozero")
    return fig


def rail_comparison(actor: Actor, creator_id: str, locale: str, today: date | None = None) -> None:
    """What each rail available in the creator's country would have cost on their last 90 days."""
    costs = compare_rails(actor, creator_id, today)
    if not costs or not any(c.sales for c in costs):
        st.caption("No sales in the last 90 days to compare rails on.")
        return
    st.plotly_chart(comparison_chart(costs), key="rail_chart")
    rows = []
    for c in costs:
        rows.append(
            {
                "Rail": c.name + (" (yours)" if c.current else ""),
                "Kind": "Custodial" if c.custodial else "Non-custodial",
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
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="rail_table")
    st.caption(
        fmt.plain(
            f"On your {max(c.sales + c.unpriced for c in costs)} sales of the last 90 days, "
            f"in {costs[0].currency}. "
            "Fees come from data/rails.toml (published prices, some programme assumptions); they change."
        )
    )


def overview_tables(ov: Any) -> None:
    """Managers: payouts per region and month, rail fees per rail, creators waiting on a minimum."""
    for code, why in ov.unavailable.items():
        st.warning(fmt.plain(f"{code}: {why}"), icon=":material/cloud_off:")
    st.subheader("Payouts per region and month")
    if ov.by_month:
        df = pd.DataFrame(ov.by_month)
        usd = df.dropna(subset=["amount_usd"])
        if len(usd):
            fig = go.Figure()
            for i, (region, part) in enumerate(usd.groupby("region", sort=True)):
                sums = part.groupby("month")["amount_usd"].sum()
                fig.add_trace(
                    go.Bar(
                        x=list(sums.index),
                        y=[float(v) for v in sums.values],
                        name=charts.safe_text(region),
                        marker_color=charts.PALETTE[i % 7],
                    )
                )
            fig.update_layout(
                template="plotly_white",
                height=charts.HEIGHT,
                barmode="group",
                margin={"l": 10, "r": 10, "t": 10, "b": 10},
            )
            fig.update_yaxes(title_text="Paid or scheduled (USD)")
            st.plotly_chart(fig, key="payouts_by_month")
        st.dataframe(_money_columns(df, ["amount", "rail_fees"], usd_cols=["amount_usd"]), hide_index=True)
    else:
        st.caption("No payouts yet.")
    st.subheader("Rail fees paid, per rail")
    if ov.fees_by_rail:
        st.dataframe(_money_columns(pd.DataFrame(ov.fees_by_rail), ["rail_fees", "amount"]), hide_index=True)
    else:
        st.caption("No rail fees yet.")
    st.subheader("Creators waiting on a minimum payout")
    if ov.waiting:
        st.dataframe(_money_columns(pd.DataFrame(ov.waiting), ["waiting", "minimum"]), hide_index=True)
    else:
        st.caption("No creator's balance is waiting on a minimum after the latest run.")


def _money_columns(
    df: pd.DataFrame, cols: list[str], usd_cols: tuple[str, ...] | list[str] = ()
) -> pd.DataFrame:
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
            p["payout_id"]: f"{p['payout_id']} · {fmt.money(p['amount'], p['currency'])} · {p['status']}"
            for p in open_
        }
        pid = st.selectbox("Payout", list(labels), format_func=lambda k: labels[k], key="mark_pid")
        status = st.radio("New status", ["paid", "failed", "reversed"], horizontal=True, key="mark_status")
        reference = st.text_input(
            "Transfer reference (required when paid)", key="mark_reference", max_chars=200
        )
        if st.form_submit_button("Record"):
            try:
                p = mark_payout(actor, str(pid), str(status), reference)
            except KasuwaError as exc:
                show_error(exc)
            else:
                st.success(
                    fmt.plain(f"{p['payout_id']} is now {p['status']}."), icon=":material/check_circle:"
                )
