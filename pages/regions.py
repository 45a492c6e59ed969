"""Regions (managers, admins): per region and over time — creators onboarded and active, GMV in
USD, pipeline latency p50/p95, time to first data, data-quality pass rates, review backlog and
its age. Aggregates only. A region that is down gets a notice; the others are shown as usual."""

import streamlit as st

from app import regions_view as view
from app.errors import show_error
from app.pickers import grain_picker, period_picker
from app.query_cache import query
from app.session import require_page
from warehouse.access import manager_regions
from warehouse.errors import KasuwaError
from warehouse.queries import metrics
from warehouse.regions import region_codes

actor = require_page(__file__)
st.title("Regions")

try:
    left, right = st.columns([3, 2])
    with left:
        period = period_picker("regions_period", default_days=182)
    with right:
        grain = grain_picker("regions_grain", period)
    codes = manager_regions(actor, region_codes())
    report = query(metrics.region_metrics, actor, codes, period, grain)
    view.notices(report)
    summary = view.summary_frame(report)
    series = view.series_frame(report)
    rules, sources = view.quality_frames(report)
    view.summary_table(summary)
    growth, pipeline, quality, backlog = st.tabs(["Growth", "Pipeline", "Data quality", "Review backlog"])
    with growth:
        view.growth_tab(series)
    with pipeline:
        view.pipeline_tab(series)
    with quality:
        view.quality_tab(series, rules, sources)
    with backlog:
        view.backlog_tab(series, summary)
    view.exports(report, summary, series, rules, sources)
except KasuwaError as exc:
    show_error(exc)
