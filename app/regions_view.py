"""The managers' regions page: per-region summary, charts over time, data quality, review
backlog, notices for regions that are down, and CSV exports. Aggregates only — the figures
come from ``warehouse.queries.metrics``, which selects no personal data."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from warehouse.queries.metrics import MetricsReport

from . import charts
from . import format as fmt
from .export import to_csv_bytes


def notices(report: MetricsReport) -> None:
    """A clear notice for every region that could not be read; the rest carry on."""
    for r in report.regions:
        if r.status != "ok":
            st.warning(
                f"**{fmt.plain(r.name)} is unavailable right now.** Its figures are missing below; every "
                f"other region is shown as usual. Reason: {fmt.plain(r.message)}",
                icon=":material/cloud_off:",
            )
        elif r.stale:
            st.info(f"{fmt.plain(r.name)}: figures may lag behind the latest loads by a few minutes.",
                    icon=":material/schedule:")


def summary_frame(report: MetricsReport) -> pd.DataFrame:
    """One row per available region: the whole period's figures and the backlog now."""
    rows = []
    for r in report.available():
        s, b = r.summary, r.backlog
        rows.append({
            "region": r.name, "creators_total": s.get("creators_total"), "onboarded": s.get("onboarded"),
            "active_creators": s.get("active_creators"), "sales": s.get("sales"), "gmv_usd": s.get("gmv_usd"),
            "latency_p50_s": s.get("latency_p50_s"), "latency_p95_s": s.get("latency_p95_s"),
            "first_data_24h_share": s.get("first_data_24h_share"), "pass_rate": s.get("pass_rate"),
            "rows_flagged": s.get("rows_flagged"), "backlog_pending": b.get("pending"),
            "backlog_oldest_hours": b.get("oldest_hours"), "backlog_median_hours": b.get("median_hours"),
        })
    return pd.DataFrame(rows)


def series_frame(report: MetricsReport) -> pd.DataFrame:
    """Every region's per-period figures stacked, with a ``region`` column."""
    parts = [r.series.assign(region=r.name) for r in report.available() if r.series is not None]
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out[["region", *[c for c in out.columns if c != "region"]]]


def quality_frames(report: MetricsReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pass rate per rule, pass rate per source), each with a ``region`` column."""
    rules = [r.rules.assign(region=r.name) for r in report.available() if r.rules is not None and len(r.rules)]
    sources = [r.sources.assign(region=r.name) for r in report.available()
               if r.sources is not None and len(r.sources)]
    return (pd.concat(rules, ignore_index=True) if rules else pd.DataFrame(),
            pd.concat(sources, ignore_index=True) if sources else pd.DataFrame())


def summary_table(summary: pd.DataFrame) -> None:
    if summary.empty:
        st.info("No region could be read for this period.")
        return
    shown = summary.copy()
    shown["gmv_usd"] = [fmt.money(v, "USD") for v in shown["gmv_usd"]]
    pct = st.column_config.NumberColumn
    st.dataframe(
        shown, hide_index=True,
        column_config={
            "region": "Region", "creators_total": pct("Creators"), "onboarded": pct("Joined"),
            "active_creators": pct("Active", help="with at least one sale in the period"),
            "sales": pct("Sales"), "gmv_usd": "GMV (USD)",
            "latency_p50_s": pct("Latency p50", format="%.1f s", help="file received → rows queryable"),
            "latency_p95_s": pct("Latency p95", format="%.1f s"),
            "first_data_24h_share": pct("First data ≤ 24 h", format="percent",
                                        help="new creators whose first data was queryable within 24 h of joining"),
            "pass_rate": pct("Pass rate", format="percent", help="rows passing every check"),
            "rows_flagged": pct("Flagged rows"), "backlog_pending": pct("Awaiting review"),
            "backlog_oldest_hours": pct("Oldest waiting", format="%.0f h"),
            "backlog_median_hours": pct("Median wait", format="%.0f h"),
        },
    )


def _chart(df: pd.DataFrame, y: str, title: str, y_title: str, key: str, percent: bool = False) -> None:
    if df.empty or y not in df:
        return
    st.plotly_chart(charts.by_group_over_time(df, "period", y, "region", title=title, y_title=y_title,
                                              percent=percent), key=key)


def growth_tab(series: pd.DataFrame) -> None:
    _chart(series, "gmv_usd", "GMV in USD", "USD", "rg_gmv")
    _chart(series, "active_creators", "Active creators", "creators", "rg_active")
    _chart(series, "onboarded", "Creators onboarded", "creators", "rg_onboarded")
    _chart(series, "creators_total", "Creators in total", "creators", "rg_total")


def pipeline_tab(series: pd.DataFrame) -> None:
    _chart(series, "latency_p50_s", "Pipeline latency p50 (received → queryable)", "seconds", "rg_p50")
    _chart(series, "latency_p95_s", "Pipeline latency p95", "seconds", "rg_p95")
    _chart(series, "first_data_24h_share", "New creators with data queryable within 24 h", "share",
           "rg_ttfd", percent=True)


def quality_tab(series: pd.DataFrame, rules: pd.DataFrame, sources: pd.DataFrame) -> None:
    _chart(series, "pass_rate", "Rows passing every check", "share", "rg_pass", percent=True)
    if not rules.empty:
        st.plotly_chart(charts.grouped_bars(rules, "rule", "pass_rate", "region", title="Pass rate per rule",
                                            y_title="share", percent=True), key="rg_rules")
        st.dataframe(rules, hide_index=True, column_config={
            "pass_rate": st.column_config.NumberColumn("Pass rate", format="percent")})
    else:
        st.caption("No row failed a check in this period.")
    if not sources.empty:
        st.plotly_chart(charts.grouped_bars(sources, "source", "pass_rate", "region",
                                            title="Pass rate per source", y_title="share", percent=True),
                        key="rg_sources")
        st.dataframe(sources, hide_index=True, column_config={
            "pass_rate": st.column_config.NumberColumn("Pass rate", format="percent")})


def backlog_tab(series: pd.DataFrame, summary: pd.DataFrame) -> None:
    _chart(series, "backlog_at_end", "Flagged rows awaiting review at the end of each period", "rows",
           "rg_backlog")
    if not summary.empty:
        st.dataframe(summary[["region", "backlog_pending", "backlog_oldest_hours", "backlog_median_hours"]],
                     hide_index=True, column_config={
                         "region": "Region", "backlog_pending": "Awaiting review now",
                         "backlog_oldest_hours": st.column_config.NumberColumn("Oldest (hours)", format="%.0f"),
                         "backlog_median_hours": st.column_config.NumberColumn("Median age (hours)", format="%.0f"),
                     })


def exports(report: MetricsReport, summary: pd.DataFrame, series: pd.DataFrame, rules: pd.DataFrame,
            sources: pd.DataFrame) -> None:
    """CSV downloads of every figure on the page (formula-guarded like every export)."""
    stamp = f"{report.period.start.isoformat()}-{report.period.end.isoformat()}"
    cols = st.columns(4)
    items: list[tuple[str, Any, str]] = [
        ("Summary (CSV)", summary, f"kasuwa-regions-summary-{stamp}.csv"),
        (f"Per {report.grain} (CSV)", series, f"kasuwa-regions-{report.grain}-{stamp}.csv"),
        ("Pass rate per rule (CSV)", rules, f"kasuwa-regions-rules-{stamp}.csv"),
        ("Pass rate per source (CSV)", sources, f"kasuwa-regions-sources-{stamp}.csv"),
    ]
    for col, (label, df, name) in zip(cols, items, strict=True):
        col.download_button(label, data=to_csv_bytes(df), file_name=name, mime="text/csv",
                            icon=":material/download:", on_click="ignore", disabled=df.empty)
