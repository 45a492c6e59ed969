"""The managers' regions page: per-region summary, what each figure means, charts over time,
data quality, review backlog, notices for regions that are down, the board report (PDF) and
CSV downloads. Aggregates only — the figures come from ``warehouse.queries.metrics``, which
selects no personal data; their names, rounding and definitions from ``warehouse.report``,
so the page, the CSV files and the PDF say the same.

Every chart gives a region its colour from ``app.colours``; a period that is not over yet
(today is in it, or the range cuts it short) is drawn dotted with an open marker and named
"so far", so a half-finished week never reads as a fall; counts get whole-number axes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from warehouse import report as board
from warehouse.i18n import N_, _, current_language, ngettext, translate_text, use_language
from warehouse.queries import metrics
from warehouse.queries.metrics import MetricsReport

from . import charts, colours, style
from . import format as fmt
from .export import to_csv_bytes
from .i18n import reader_locale

_COUNT_CHARTS = {"active_creators", "onboarded", "creators_total", "backlog_at_end"}


def notices(report: MetricsReport) -> None:
    """A clear notice for every region that could not be read; the rest carry on."""
    for r in report.regions:
        if r.status != "ok":
            st.warning(
                _("**%(region)s is unavailable right now.** Its figures are missing below; every other region is "
                  "shown as usual. Reason: %(reason)s", region=fmt.plain(translate_text(r.name)),
                  reason=fmt.plain(translate_text(r.message))),
                icon=":material/cloud_off:",
            )
        elif r.stale:
            st.info(_("%(region)s: figures may lag behind the latest loads by a few minutes.",
                      region=fmt.plain(translate_text(r.name))),
                    icon=":material/schedule:")


def summary_frame(report: MetricsReport) -> pd.DataFrame:
    """One row per available region: the whole period's figures and the backlog now, with
    readable headers and rounded values (``warehouse.report.summary_table``)."""
    return board.summary_table(report)


def series_frame(report: MetricsReport) -> pd.DataFrame:
    """Every region's per-period figures stacked (raw values, for the charts), with ``region``
    (the region's name) first."""
    parts = [r.series.assign(region=translate_text(r.name)) for r in report.available() if r.series is not None]
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out[["region", *[c for c in out.columns if c != "region"]]]


def quality_frames(report: MetricsReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pass rate per check, pass rate per source) with readable headers, rounded."""
    return board.rules_table(report), board.sources_table(report)


_FORMATS = {"rate": "%.1f%%", "seconds": "%.1f s", "hours": "%d h", "count": "%d"}
_HELP = {  # headers and sentences in English (msgids); shown translated
    "Active creators": N_("with at least one sale in the period"),
    "GMV (USD)": dict(board.DEFINITIONS)["GMV"],
    "Latency p50 (s)": dict(board.DEFINITIONS)["Latency"],
    "Latency p95 (s)": dict(board.DEFINITIONS)["Latency"],
    "First data ≤ 24 h (%)": dict(board.DEFINITIONS)["First data ≤ 24 h"],
    "Pass rate (%)": dict(board.DEFINITIONS)["Pass rate"],
}


def _change(now: Any, before: Any) -> Decimal | None:
    """The relative change from ``before`` to ``now`` (None when there is nothing to compare)."""
    if now is None or before in (None, 0):
        return None
    return (Decimal(str(now)) - Decimal(str(before))) / Decimal(str(before))


def _signed(text: str) -> str:
    return text if text.startswith(("-", "−")) else "+" + text


def totals_row(report: MetricsReport, previous: MetricsReport) -> None:
    """Every region together, each figure beside its change against the period of the same
    length just before (the manager's first two questions: how much, and is it growing)."""
    loc = reader_locale()
    now, before = metrics.totals(report), metrics.totals(previous)
    if not now["regions"]:
        return
    span = f"{fmt.day(previous.period.start, loc)} – {fmt.day(previous.period.end, loc)}"
    st.header(ngettext("All %(count)s region together", "All %(count)s regions together", now["regions"],
                       count=fmt.number(now["regions"], loc)), anchor=False)
    st.caption(_("Each change compares with %(span)s, the period of the same length just before.", span=span))

    def was(text: str) -> str:
        return _("Previous period (%(span)s): %(amount)s", span=span, amount=text or "—")

    usd = lambda v: fmt.money(Decimal(str(v)), "USD", loc) if v is not None else ""  # noqa: E731
    count = lambda v: fmt.number(v, loc) if v is not None else ""  # noqa: E731
    rate = lambda v: fmt.percent(v, loc) if v is not None else ""  # noqa: E731
    group = style.kpi_group("regions")
    for label, key, show in ((_("GMV (USD)"), "gmv_usd", usd), (_("Active creators"), "active_creators", count),
                             (_("Joined in the period"), "onboarded", count), (_("Sales"), "sales", count)):
        change = _change(now.get(key), before.get(key))
        group.metric(label, show(now.get(key)) or "—", delta=_signed(fmt.percent(change, loc)) if change is not None
                     else None, help=was(show(before.get(key))), border=True)
    pr_now, pr_before = now.get("pass_rate"), before.get("pass_rate")
    points = None
    if pr_now is not None and pr_before is not None:
        points = _signed(_("%(points)s pts", points=fmt.number(Decimal(str(round((pr_now - pr_before) * 100, 1))),
                                                                loc, 1)))
    group.metric(_("Pass rate (%)"), rate(pr_now) or "—", delta=points, help=was(rate(pr_before)), border=True)
    group.metric(_("Awaiting review now"), count(now.get("backlog_pending")) or "—", border=True,
                 delta_color="off")


#: the columns a phone keeps beside the region: what a manager asks first
_FIRST = (N_("Region"), N_("GMV (USD)"), N_("Pass rate (%)"), N_("Active creators"))


def summary_table(summary: pd.DataFrame) -> None:
    """The regions side by side: a grid on wide screens (GMV and pass rate right after the
    region), a card per region on a phone, so no figure is cut off at 390 px."""
    if summary.empty:
        st.info(_("No region could be read for this period."))
        return
    first = [_(h) for h in _FIRST if _(h) in summary.columns]
    shown = summary[[*first, *(c for c in summary.columns if c not in first)]].copy()
    gmv = _("GMV (USD)")
    shown[gmv] = [fmt.money(v, "USD", reader_locale()) if v is not None and not pd.isna(v) else "" for v in shown[gmv]]
    config: dict[str, Any] = {
        _(f.header): st.column_config.NumberColumn(_(f.header), format=_FORMATS[f.kind], help=_help(f.header))
        for f in board.SUMMARY if f.kind != "usd"
    }
    config[gmv] = st.column_config.TextColumn(gmv, help=_help("GMV (USD)"))
    labels = {c: c for c in shown.columns}
    narrow = shown.copy()
    for f in board.SUMMARY:  # the cards are text: numbers written in the reader's locale
        col = _(f.header)
        if col in narrow and f.kind != "usd":
            narrow[col] = [_card_value(v, f.kind) for v in narrow[col]]
    with st.container(key="kasuwa-wide-rg_summary"):
        st.dataframe(shown, hide_index=True, column_config=config, key="rg_summary")
    with st.container(key="kasuwa-narrow-rg_summary"):
        st.html(style.cards_html(narrow, labels, title=_("Region")))


def _card_value(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and value != value):  # noqa: PLR0124
        return ""
    loc = reader_locale()
    if kind == "rate":
        return fmt.percent(float(value) / 100, loc)
    if kind == "seconds":
        return _("%(seconds)s s", seconds=fmt.number(value, loc, 1))
    if kind == "hours":
        return _("%(hours)s h", hours=fmt.number(value, loc))
    return fmt.number(value, loc)


def _help(header: str) -> str | None:
    sentence = _HELP.get(header)
    return _(sentence) if sentence else None


def definitions() -> None:
    """One sentence per figure, in words."""
    st.markdown("\n".join(f"- **{_(title)}**: {_(sentence)}" for title, sentence in board.DEFINITIONS))


def _so_far(fig: Any, series: pd.DataFrame, y: str, by_name: dict[str, str]) -> None:
    """Redraw each region's partial periods dotted, with open markers named "… (so far)"."""
    if "partial" not in series or not series["partial"].any():
        return
    extra: list[dict[str, Any]] = []
    for trace in fig.data:
        part = series[series["region"] == trace.name]
        if part.empty or not part["partial"].any():
            continue
        xs, ys = list(trace.x), list(trace.y)
        flags = [bool(v) for v in part["partial"]]
        colour = by_name.get(str(trace.name), colours.SO_FAR)
        for i, partial in enumerate(flags):
            if not partial or ys[i] is None:
                continue
            pair = [j for j in (i - 1, i, i + 1) if 0 <= j < len(ys) and ys[j] is not None
                    and (j == i or not flags[j])][:2]
            if len(pair) == 2:
                extra.append({"type": "scatter", "mode": "lines", "x": [xs[j] for j in pair],
                              "y": [ys[j] for j in pair], "line": {"dash": "dot", "color": colour},
                              "opacity": 0.6, "hoverinfo": "skip", "showlegend": False,
                              "legendgroup": str(trace.name)})
            extra.append({"type": "scatter", "mode": "markers", "x": [xs[i]], "y": [ys[i]],
                          "name": _("%(region)s (so far)", region=trace.name), "legendgroup": str(trace.name),
                          "showlegend": False,
                          "marker": {"symbol": "circle-open", "size": 9, "color": colour, "line": {"width": 2}}})
        trace.y = [None if f else v for f, v in zip(flags, ys, strict=False)] + ys[len(flags):]
    for t in extra:
        fig.add_scatter(**{k: v for k, v in t.items() if k != "type"})
    fig.add_scatter(x=[None], y=[None], mode="lines", name=_("so far (period not over)"),
                    line={"dash": "dot", "color": colours.SO_FAR}, hoverinfo="skip")


def _whole_numbers(fig: Any, series: pd.DataFrame, y: str) -> None:
    top = pd.to_numeric(series[y], errors="coerce").max()
    fig.update_yaxes(tickformat=",d", rangemode="tozero", **({"dtick": 1} if pd.isna(top) or top <= 8 else {}))


def _chart(df: pd.DataFrame, y: str, title: str, y_title: str, key: str, by_name: dict[str, str],
           percent: bool = False) -> None:
    if df.empty or y not in df:
        return
    fig = charts.by_group_over_time(df, "period", y, "region", title=_(title), y_title=_(y_title), percent=percent,
                                    locale=reader_locale())
    colours.paint(fig, by_name)
    _so_far(fig, df, y, by_name)
    if y in _COUNT_CHARTS:
        _whole_numbers(fig, df, y)
    charts.show(fig, key, charts.data_table(df, {"period": _("Period"), "region": _("Region"), y: _(title)},
                                            reader_locale(), dates=["period"], percent=[y] if percent else [],
                                            usd=[y] if y.endswith("_usd") else []))


def growth_tab(series: pd.DataFrame, by_name: dict[str, str]) -> None:
    _chart(series, "gmv_usd", N_("GMV in USD"), "USD", "rg_gmv", by_name)
    _chart(series, "active_creators", N_("Active creators"), N_("creators"), "rg_active", by_name)
    _chart(series, "onboarded", N_("Creators onboarded"), N_("creators"), "rg_onboarded", by_name)
    _chart(series, "creators_total", N_("Creators in total"), N_("creators"), "rg_total", by_name)


def pipeline_tab(series: pd.DataFrame, by_name: dict[str, str]) -> None:
    _chart(series, "latency_p50_s", N_("Pipeline latency p50 (received → queryable)"), N_("seconds"), "rg_p50",
           by_name)
    _chart(series, "latency_p95_s", N_("Pipeline latency p95"), N_("seconds"), "rg_p95", by_name)
    _chart(series, "first_data_24h_share", N_("New creators with data queryable within 24 h"), N_("share"),
           "rg_ttfd", by_name, percent=True)


def _pass_rate_config() -> dict[str, Any]:
    rate = _("Pass rate (%)")
    return {rate: st.column_config.NumberColumn(rate, format="%.1f%%")}


def quality_tab(series: pd.DataFrame, rules: pd.DataFrame, sources: pd.DataFrame, by_name: dict[str, str]) -> None:
    _chart(series, "pass_rate", N_("Rows passing every check"), N_("share"), "rg_pass", by_name, percent=True)
    rate, region = _("Pass rate (%)"), _("Region")
    if not rules.empty:
        fig = charts.grouped_bars(rules.assign(share=rules[rate] / 100), _("Check"), "share", region,
                                  title=_("Pass rate per check"), y_title=_("share"), percent=True,
                                  locale=reader_locale())
        st.plotly_chart(colours.paint(fig, by_name), key="rg_rules")  # its data: the table below
        st.dataframe(rules, hide_index=True, column_config=_pass_rate_config(), key="rg_rules_table")
    else:
        st.caption(_("No row failed a check in this period."))
    if not sources.empty:
        fig = charts.grouped_bars(sources.assign(share=sources[rate] / 100), _("Source"), "share", region,
                                  title=_("Pass rate per source"), y_title=_("share"), percent=True,
                                  locale=reader_locale())
        st.plotly_chart(colours.paint(fig, by_name), key="rg_sources")  # its data: the table below
        st.dataframe(sources, hide_index=True, column_config=_pass_rate_config(), key="rg_sources_table")


def backlog_tab(series: pd.DataFrame, summary: pd.DataFrame, by_name: dict[str, str]) -> None:
    _chart(series, "backlog_at_end", N_("Flagged rows awaiting review at the end of each period"), N_("rows"),
           "rg_backlog", by_name)
    if not summary.empty:
        oldest, median = _("Oldest waiting (h)"), _("Median wait (h)")
        cols = [_("Region"), _("Awaiting review now"), oldest, median]
        st.dataframe(summary[cols], hide_index=True, key="rg_backlog_table", column_config={
            oldest: st.column_config.NumberColumn(oldest, format="%d h"),
            median: st.column_config.NumberColumn(median, format="%d h"),
        })


PER_GRAIN = {"day": N_("Per day (CSV)"), "week": N_("Per week (CSV)"), "month": N_("Per month (CSV)")}


def exports(report: MetricsReport, summary: pd.DataFrame, rules: pd.DataFrame, sources: pd.DataFrame,
            previous: MetricsReport | None = None) -> None:
    """The board report (PDF, built when clicked) and CSV downloads of every figure on the page:
    readable headers, rounded values, formula-guarded like every export."""
    stamp = f"{report.period.start.isoformat()}-{report.period.end.isoformat()}"
    palette = colours.colours_for(r.region for r in report.regions)
    lang = current_language()

    def pdf() -> bytes:  # built when clicked, maybe on another thread: in the page's language
        with use_language(lang):
            return board.board_report_pdf(report, palette, previous=previous)

    st.download_button(
        _("Board report (PDF)"), data=pdf,
        file_name=f"kasuwa-regions-report-{stamp}.pdf", mime="application/pdf", type="primary",
        icon=":material/picture_as_pdf:", on_click="ignore", disabled=not report.available(), key="rg_pdf",
    )
    per = board.series_table(report)
    cols = st.columns(4)
    items: list[tuple[str, Any, str]] = [
        (_("Summary (CSV)"), summary, f"kasuwa-regions-summary-{stamp}.csv"),
        (_(PER_GRAIN.get(report.grain, N_("Per period (CSV)"))), per, f"kasuwa-regions-{report.grain}-{stamp}.csv"),
        (_("Pass rate per check (CSV)"), rules, f"kasuwa-regions-checks-{stamp}.csv"),
        (_("Pass rate per source (CSV)"), sources, f"kasuwa-regions-sources-{stamp}.csv"),
    ]
    for col, (label, df, name) in zip(cols, items, strict=True):
        col.download_button(label, data=to_csv_bytes(df, reader_locale()), file_name=name, mime="text/csv",
                            icon=":material/download:", on_click="ignore", disabled=df.empty)
