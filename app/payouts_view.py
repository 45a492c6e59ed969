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
from warehouse.i18n import N_, _, current_language, headers, ngettext, translate_text, use_language
from warehouse.payouts.compare import RailCost, compare_rails
from warehouse.payouts.custody import custody_of
from warehouse.payouts.outlook import Outlook
from warehouse.payouts.rails import rail_book
from warehouse.payouts.statements import monthly_statement, statement_csv, statement_months, statement_pdf
from warehouse.payouts.status import mark_payout, payout_history
from warehouse.payouts.whereabouts import Pot, Whereabouts
from warehouse.regions import get_region

from . import charts, style
from . import format as fmt
from .colours import region_colour
from .errors import show_error
from .i18n import reader_locale

NEXT_WORDS = {
    "nothing_due": N_("Nothing due yet"),
    "below_minimum": N_("Waiting for the minimum"),
    "no_rail": N_("No payout rail"),
    "rail_unavailable": N_("Rail unavailable"),
    "no_fx_rate": N_("Rate missing"),
}
STATUS_WORDS = {"scheduled": N_("Scheduled"), "paid": N_("Paid"), "failed": N_("Failed"), "reversed": N_("Reversed")}


def outlook_block(o: Outlook, locale: str) -> None:
    """Balance per currency, the next payout and, in words, why it is what it is."""
    group = style.kpi_group("outlook")  # two to a row on a phone
    for currency, amount in sorted(o.balances.items()):
        group.metric(_("Balance in %(currency)s", currency=currency), fmt.money(amount, currency, locale))
    nxt = group
    if o.next_amount is not None:
        label = (_("Next payout · %(day)s", day=fmt.day(o.next_date, locale)) if o.next_date
                 else _("Next payout"))
        nxt.metric(label, fmt.money(o.next_amount, o.payout_currency, locale))
    else:
        label = (_("Next payout day · %(day)s", day=fmt.day(o.next_date, locale)) if o.next_date
                 else _("Next payout day"))
        nxt.metric(label, _(NEXT_WORDS[o.status]) if o.status in NEXT_WORDS else "—")
    if o.rail:
        rail = rail_name_of(o.rail)
        if o.custodial is True:
            words = _("Your payout rail: %(rail)s (it holds your money and pays you on a schedule). Paid in "
                      "%(currency)s.", rail=rail, currency=o.payout_currency)
        elif o.custodial is False:
            words = _("Your payout rail: %(rail)s (money goes straight into your own account). Paid in "
                      "%(currency)s.", rail=rail, currency=o.payout_currency)
        else:
            words = _("Your payout rail: %(rail)s. Paid in %(currency)s.", rail=rail, currency=o.payout_currency)
        st.caption(fmt.plain(words))
    st.markdown("\n".join(f"- {fmt.plain(translate_text(r))}" for r in o.reasons))
    if not o.balances:
        st.info(_("No money in your ledger yet: it starts with your first loaded sale."), icon=":material/info:")


def _amounts(p: Pot, local: str, locale: str) -> str:
    """A pot in the creator's own currency first, then in USD (its own currency when no rate)."""
    first = fmt.money(p.local, local, locale) if p.local is not None else fmt.money(p.amount, p.currency, locale)
    shown = [first]
    if p.currency not in (local, "USD") and p.local is not None:
        shown.append(fmt.money(p.amount, p.currency, locale))
    if p.usd is not None and local != "USD":
        shown.append(fmt.money(p.usd, "USD", locale))
    return shown[0] + (f" ({' · '.join(shown[1:])})" if shown[1:] else "")


def _total(w: Whereabouts, kind: str, locale: str) -> tuple[str, str | None]:
    local, usd = w.total(kind), w.total(kind, in_usd=True)
    if local is None:  # a rate is missing: say it in each currency
        sums: dict[str, Decimal] = {}
        for p in getattr(w, kind):
            sums[p.currency] = sums.get(p.currency, Decimal(0)) + p.amount
        return " + ".join(fmt.money(v, c, locale) for c, v in sorted(sums.items())) or "—", None
    return fmt.money(local, w.local_currency, locale), (fmt.money(usd, "USD", locale) if usd is not None
                                                        and w.local_currency != "USD" else None)


def whereabouts_block(w: Whereabouts, locale: str) -> None:
    """Where the creator's money is: received, on its way, owed by the programme — each in the
    creator's own currency first and USD second — then, source by source, in words."""
    group = style.kpi_group("whereabouts")
    for kind, label in (("received", _("Already received")), ("on_its_way", _("On its way")),
                        ("owed", _("Owed by the programme"))):
        value, usd = _total(w, kind, locale)
        group.metric(label, value, delta=usd, delta_color="off", delta_arrow="off")
    lines = []
    for p in w.received:
        name = translate_text(p.name)
        if custody_of(p.source).holds == "platform":
            lines.append(_("Received: %(amount)s from %(platform)s, paid out to you by %(platform)s.",
                           amount=_amounts(p, w.local_currency, locale), platform=name))
        else:
            lines.append(_("Received: %(amount)s in your own %(platform)s account.",
                           amount=_amounts(p, w.local_currency, locale), platform=name))
    for p in w.on_its_way:
        lines.append(_("On its way: %(amount)s held by %(platform)s, expected on %(day)s (its published hold "
                       "and payout schedule).", amount=_amounts(p, w.local_currency, locale),
                       platform=translate_text(p.name), day=fmt.day(p.expected, locale)))
    for p in w.owed:
        lines.append(_("Owed by the programme: %(amount)s from sales in %(store)s; the next payout below says "
                       "when.", amount=_amounts(p, w.local_currency, locale), store=translate_text(p.name)))
    for p in w.held:
        lines.append(_("Waiting for a reviewer: %(amount)s from an upload that changed what the programme owes you "
                       "by an unusual amount; no payout includes it until a reviewer releases it.",
                       amount=_amounts(p, w.local_currency, locale)))
    for p in w.elsewhere:
        lines.append(_("Not placed: %(amount)s from files Kasuwa cannot place; it cannot tell who holds this "
                       "money, and the programme does not pay it.", amount=_amounts(p, w.local_currency, locale)))
    if lines:
        st.markdown("\n".join(f"- {fmt.plain(x)}" for x in lines))
    else:
        st.caption(_("No sales loaded yet."))


def rail_name(code: str) -> str:
    """The rail's name from rails.toml in the reader's language (the code itself when the file
    no longer lists it)."""
    rail = rail_book().rails.get(code)
    return translate_text(rail.name) if rail else code


def rail_name_of(name: str) -> str:
    """A rail's name as rails.toml gives it, in the reader's language."""
    return translate_text(name)


def history_table(actor: Actor, creator_id: str, locale: str) -> None:
    """The creator's payouts, newest first: date (in the reader's locale), rail, amount, fee, status
    and the rail's reference (never the programme's own payout id)."""
    rows = payout_history(actor, creator_id)
    if not rows:
        st.caption(_("No payouts yet."))
        return
    df = pd.DataFrame(
        [
            {
                N_("Date"): fmt.when(r["as_of"], locale),
                N_("Rail"): rail_name(r["rail"]),
                N_("Amount"): fmt.money(r["amount"], r["currency"], locale),
                N_("Rail fee"): fmt.money(r["rail_fee"], r["currency"], locale),
                N_("Status"): _(STATUS_WORDS[r["status"]]) if r["status"] in STATUS_WORDS else r["status"],
                N_("Reference"): r["reference"] or "",
            }
            for r in rows
        ]
    )
    df = df.set_axis(headers(df.columns), axis=1)
    style.table(df, "payout-history", {c: c for c in df.columns}, title=_("Date"), grid_key="payout_history",
                first_cards=5, more=lambda n: ngettext("%(count)s older payout", "%(count)s older payouts", n))


def statement_downloads(actor: Actor, creator_id: str, locale: str | None = None) -> None:
    """Pick a month (named in the reader's locale: "déc. 2026"); download its statement as CSV or
    PDF (built when clicked)."""
    months = statement_months(actor, creator_id)
    if not months:
        st.caption(_("Statements appear once your ledger has entries."))
        return
    labels = [f"{y:04d}-{m:02d}" for y, m in months]
    words = {k: fmt.month(date(y, m, 1), locale) for k, (y, m) in zip(labels, months, strict=True)}
    label = st.selectbox(_("Month"), labels, key="statement_month", format_func=words.__getitem__)
    year, month = (int(x) for x in str(label).split("-"))
    lang = current_language()

    def csv() -> bytes:  # built when clicked, maybe on another thread: in the page's language
        with use_language(lang):
            return statement_csv(monthly_statement(actor, creator_id, year, month), locale)

    def pdf() -> bytes:
        with use_language(lang):
            return statement_pdf(monthly_statement(actor, creator_id, year, month))

    left, right = st.columns(2)
    left.download_button(
        _("Statement (CSV)"),
        data=csv,
        file_name=f"kasuwa-statement-{label}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key="statement_csv",
    )
    right.download_button(
        _("Statement (PDF)"),
        data=pdf,
        file_name=f"kasuwa-statement-{label}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        on_click="ignore",
        key="statement_pdf",
    )


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def comparison_chart(costs: list[RailCost], locale: str | None = None) -> go.Figure:
    """Two panels, one above the other, sharing the rails: total fees (top) and average days
    until paid (bottom); orange bars are custodial rails, green ones non-custodial; the
    creator's rail is marked. Stacked, each panel's title has the chart's whole width (side by
    side, the two titles overlapped on a phone)."""
    from plotly.subplots import make_subplots

    shown = [c for c in costs if c.sales][::-1]  # cheapest at the top
    labels = [charts.safe_text(_yours(c)) for c in shown]
    colours = [charts.PALETTE[1] if c.custodial else charts.PALETTE[0] for c in shown]
    currency = shown[0].currency if shown else ""
    panel = 34 * len(shown) + 40
    fig = make_subplots(
        rows=2,
        cols=1,
        vertical_spacing=90 / (2 * panel + 90),
        subplot_titles=(_("Fees on 90 days of sales (%(currency)s)", currency=currency), _("Average days until paid")),
    )
    fig.add_trace(
        go.Bar(
            y=labels,
            x=[_f(c.total_cost) for c in shown],
            orientation="h",
            marker_color=colours,
            showlegend=False,
            customdata=[charts.value_label(_f(c.total_cost), locale) for c in shown],
            hovertemplate="%{y}: %{customdata}<extra></extra>",
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
            customdata=[charts.value_label(_f(c.mean_days), locale) for c in shown],
            hovertemplate="%{y}: " + charts.safe_text(_("%(days)s days", days="%{customdata}")) + "<extra></extra>",
        ),
        row=2,
        col=1,
    )
    for name, colour in ((_("Held by rail"), charts.PALETTE[1]), (_("Paid direct"), charts.PALETTE[0])):
        fig.add_trace(go.Bar(x=[None], y=[None], name=name, marker_color=colour), row=1, col=1)
    fig.update_layout(
        template="plotly_white",
        separators=charts.separators(locale),
        height=2 * panel + 90 + 60,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        # the legend on the first line, the first panel's title below it
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1, "yref": "container", "yanchor": "top"},
        bargap=0.35,
    )
    fig.update_xaxes(rangemode="tozero")
    # ticks written by Babel in the reader's locale (digits too), as on the sales charts
    fig.update_xaxes(charts.value_axis([_f(c.total_cost) for c in shown], locale), row=1, col=1)
    fig.update_xaxes(charts.value_axis([_f(c.mean_days) for c in shown], locale), row=2, col=1)
    fig.update_yaxes(automargin=True)
    return fig


def rail_comparison(actor: Actor, creator_id: str, locale: str, today: date | None = None) -> None:
    """What each rail available in the creator's country would have cost on their last 90 days."""
    costs = compare_rails(actor, creator_id, today)
    if not costs or not any(c.sales for c in costs):
        st.caption(_("No sales in the last 90 days to compare rails on."))
        return
    st.plotly_chart(comparison_chart(costs, locale), key="rail_chart", config=style.CHART_CONFIG)
    rows = []
    for c in costs:
        rows.append(
            {
                N_("Rail"): _yours(c),
                N_("Kind"): _("Held by rail") if c.custodial else _("Paid direct"),
                N_("Fees on sales"): fmt.money(c.sale_fees, c.currency, locale),
                N_("Payout fees"): fmt.money(c.payout_fees, c.currency, locale),
                N_("Total"): fmt.money(c.total_cost, c.currency, locale),
                N_("Share of sales"): "" if c.cost_share is None else fmt.percent(c.cost_share / 100, locale, 2),
                N_("Days until paid (average / longest)"): (
                    "" if c.mean_days is None else
                    f"{fmt.number(c.mean_days, locale)} / {fmt.number(c.max_days, locale)}"),
                N_("Minimum payout"): _minimum(c.minimum, locale),
                N_("Not priced"): c.unpriced,
                N_("Note"): "; ".join(sorted(translate_text(r) for r in c.unpriced_reasons)),
            }
        )
    table = pd.DataFrame(rows)
    table = table.set_axis(headers(table.columns), axis=1)
    style.table(table, "rails", {c: c for c in table.columns}, title=_("Rail"), grid_key="rail_table")
    total = max(c.sales + c.unpriced for c in costs)
    st.caption(
        fmt.plain(
            ngettext("On your %(count)s sale of the last 90 days, in %(currency)s.",
                     "On your %(count)s sales of the last 90 days, in %(currency)s.", total,
                     count=fmt.number(total, locale), currency=costs[0].currency)
            + " "
            + _("Fees are each rail's published prices (and a few of the programme's own estimates); rails change "
                "them from time to time. \"Held by rail\": the rail collects the buyer's payment, keeps your "
                "balance and pays you on its schedule. \"Paid direct\": the money settles straight into your own "
                "account.")
        )
    )


def _minimum(text: str | None, locale: str | None) -> str:
    """A rail's minimum payout (``"5000 NGN"`` as rails.toml gives it) as money in the reader's locale."""
    amount, _sep, currency = (text or "").partition(" ")
    try:
        return fmt.money(Decimal(amount), currency, locale)
    except ArithmeticError:
        return text or ""


def _yours(c: RailCost) -> str:
    name = translate_text(c.name)
    return _("%(rail)s (yours)", rail=name) if c.current else name


#: the overview's headers (English msgids; :func:`column_names` gives them in the reader's language)
COLUMN_NAMES = {
    "region": N_("Region"),
    "month": N_("Month"),
    "currency": N_("Currency"),
    "payouts": N_("Payouts"),
    "paid": N_("Paid"),
    "scheduled": N_("Scheduled"),
    "failed_or_reversed": N_("Failed or reversed"),
    "creators": N_("Creators"),
    "amount": N_("Paid or scheduled"),
    "rail_fees": N_("Rail payout fees"),
    "amount_usd": N_("Paid or scheduled (USD)"),
    "rail": N_("Rail"),
    "sales": N_("Sales"),
    "sale_fees": N_("Fees on sales (exports)"),
    "waiting": N_("Waiting"),
    "minimum": N_("Minimum"),
    "last_run": N_("Latest run"),
    "own_account": N_("In creators' own accounts"),
    "platform": N_("Held by platforms"),
    "owed": N_("Owed by the programme"),
    "held": N_("Waiting for a reviewer"),
    "unknown": N_("Not placed"),
}


def column_names() -> dict[str, str]:
    """:data:`COLUMN_NAMES` in the reader's language."""
    return {k: _(v) for k, v in COLUMN_NAMES.items()}


def region_name(code: str) -> str:
    """A region's name from regions.toml (its code when unknown)."""
    try:
        return translate_text(get_region(code).name)
    except KasuwaError:
        return code


def _table(rows: list[dict[str, Any]], money_cols: list[str], usd_cols: tuple[str, ...] = ()) -> None:
    """A managers' table: names for codes, amounts exact in their currency and the reader's
    locale (right after what the row is about, so that a phone shows them first), then counts;
    months and days in the reader's words, empty cells empty."""
    locale = reader_locale()
    df = _money_columns(pd.DataFrame(rows), money_cols, usd_cols)
    if "region" in df:
        df["region"] = [region_name(c) for c in df["region"]]
    if "rail" in df:
        df["rail"] = [rail_name(c) for c in df["rail"]]
    if "month" in df:
        df["month"] = [_month_words(m, locale) for m in df["month"]]
    lead = [c for c in ("region", "month", "rail", "currency") if c in df]
    amounts = [c for c in (*money_cols, *usd_cols) if c in df]
    df = df[[*lead, *amounts, *(c for c in df.columns if c not in lead and c not in amounts)]]
    st.dataframe(fmt.for_people(df, locale).rename(columns=column_names()), hide_index=True)


def month_chart(by_month: list[dict[str, Any]], locale: str | None) -> None:
    """Paid or scheduled per region and month in USD: months named and values written in the
    reader's locale (Babel), each region in its colour, the data behind it as a table."""
    usd = [r for r in by_month if r["amount_usd"] is not None]
    if not usd:
        return
    sums: dict[tuple[str, str], Decimal] = {}
    for r in usd:
        key = (r["month"], r["region"])
        sums[key] = sums.get(key, Decimal(0)) + r["amount_usd"]
    names = {code: region_name(code) for code in sorted({r for _m, r in sums})}
    df = pd.DataFrame([{"month": _month_words(m, locale), "region": names[code], "usd": float(v), "exact": v}
                       for (m, code), v in sorted(sums.items())])
    fig = charts.grouped_bars(df, "month", "usd", "region", y_title=_("Paid or scheduled (USD)"), locale=locale)
    by_name = {name: code for code, name in names.items()}
    for trace in fig.data:
        code = by_name.get(str(trace.name))
        if code:
            trace.marker.color = region_colour(code)
    fig.update_xaxes(title_text=_("Month"))
    data = pd.DataFrame({_("Month"): df["month"], _("Region"): df["region"],
                         _("Paid or scheduled (USD)"): [fmt.money(v, "USD", locale) for v in df["exact"]]})
    charts.show(fig, "payouts_by_month", data, config=style.CHART_CONFIG)


def _month_words(value: Any, locale: str | None) -> str:
    """``"2026-12"`` (a payouts month) in the reader's words: ``Dec 2026``, ``déc. 2026``."""
    try:
        year, mon = (int(x) for x in str(value).split("-")[:2])
    except ValueError:
        return str(value)
    return fmt.month(date(year, mon, 1), locale)


def overview_tables(ov: Any) -> None:
    """Managers: payouts per region and month, fees per rail, creators waiting on a minimum."""
    for code, why in ov.unavailable.items():
        st.warning(fmt.plain(f"{region_name(code)}: {why}"), icon=":material/cloud_off:")
    style.section(_("Where creators' money is"))
    st.caption(_("Net of refunds, in each currency sold. Only what the programme owes is paid by payout runs; "
                 "money in creators' own accounts or held by platforms reaches them without the programme."))
    if ov.by_custody:
        _table(ov.by_custody, ["own_account", "platform", "owed", "held", "unknown"])
    else:
        st.caption(_("No sales yet."))
    style.section(_("Payouts per region and month"))
    if ov.by_month:
        month_chart(ov.by_month, reader_locale())
        _table(ov.by_month, ["amount", "rail_fees"], ("amount_usd",))
    else:
        st.caption(_("No payouts yet."))
    style.section(_("Fees per rail"))
    st.caption(
        _("Fees the exports recorded on the sales of creators paid through each rail, and the rail's own payout "
          "fees, per currency.")
    )
    if ov.fees_by_rail:
        _table(ov.fees_by_rail, ["sale_fees", "rail_fees", "amount"])
    else:
        st.caption(_("No fees yet."))
    style.section(_("Creators waiting on a minimum payout"))
    if ov.waiting:
        _table(ov.waiting, ["waiting", "minimum"])
    else:
        st.caption(_("No creator's balance is waiting on a minimum after the latest run."))


def _money_columns(df: pd.DataFrame, cols: list[str], usd_cols: tuple[str, ...] = ()) -> pd.DataFrame:
    out = df.copy()
    for col in cols:
        out[col] = [fmt.money(v, c, reader_locale()) for v, c in zip(out[col], out["currency"], strict=True)]
    for col in usd_cols:
        out[col] = [fmt.money(v, "USD", reader_locale()) if v is not None and not pd.isna(v) else "" for v in out[col]]
    return out


def mark_form(actor: Actor, payouts: list[dict[str, Any]]) -> None:
    """Administrators: record a payout as paid (with the rail's reference), failed or reversed."""
    open_ = [p for p in payouts if p["status"] in ("scheduled", "paid")]
    if not open_:
        st.caption(_("No scheduled or paid payouts to update in this region."))
        return
    with st.form("mark_payout"):
        locale = reader_locale()
        named = {  # the creator, the day and the amount: what an administrator knows a payout by
            p["payout_id"]: f"{p.get('creator_name') or _('a creator')} · {fmt.when(p['as_of'], locale)} · "
                            f"{fmt.money(p['amount'], p['currency'], locale)}"
            for p in open_
        }
        labels = {pid: f"{words} · {_status(p['status'])}" for (pid, words), p in zip(named.items(), open_,
                                                                                     strict=True)}
        pid = st.selectbox(_("Payout"), list(labels), format_func=lambda k: labels[k], key="mark_pid")
        status = st.radio(_("New status"), ["paid", "failed", "reversed"], horizontal=True, key="mark_status",
                          format_func={s: _status(s) for s in ("paid", "failed", "reversed")}.__getitem__)
        reference = st.text_input(_("Transfer reference (required when paid)"), key="mark_reference", max_chars=200)
        if st.form_submit_button(_("Record")):
            try:
                p = mark_payout(actor, str(pid), str(status), reference)
            except KasuwaError as exc:
                show_error(exc)
            else:
                st.success(fmt.plain(_("%(payout)s is now %(status)s.", payout=named[str(pid)],
                                       status=_status(p["status"]).lower())), icon=":material/check_circle:")


def _status(code: str) -> str:
    return _(STATUS_WORDS[code]) if code in STATUS_WORDS else code
