"""Regions (managers, admins): per region and over time — creators onboarded and active, GMV in
USD, pipeline latency p50/p95, time to first data, data-quality pass rates, review backlog and
its age, each figure explained in a sentence; the board report as a PDF and every table as CSV.
Aggregates only. A region that is down gets a notice; the others are shown as usual. The
default range ends on the latest of the regions' own todays, so no region's last hours are cut."""

import streamlit as st

from app import regions_view as view
from app.colours import colours_by_name
from app.errors import show_error
from app.i18n import reader_locale
from app.pickers import grain_picker, period_picker
from app.query_cache import query
from app.session import require_page
from warehouse.access import manager_regions
from warehouse.errors import KasuwaError
from warehouse.i18n import _
from warehouse.queries import metrics
from warehouse.regions import region_codes

actor = require_page(__file__)
st.title(_("Regions"))

try:
    codes = manager_regions(actor, region_codes())
    left, right = st.columns([3, 2])
    with left:
        # up to the latest local today: at 19:30 UTC it is already tomorrow in Karachi
        period = period_picker("regions_period", latest=metrics.latest_today(codes), default_days=182,
                               locale=reader_locale())
    with right:
        grain = grain_picker("regions_grain", period)
    report = query(metrics.region_metrics, actor, codes, period, grain)
    previous = query(metrics.region_metrics, actor, codes, metrics.previous_period(period), grain)
    view.notices(report)
    view.totals_row(report, previous)
    by_name = colours_by_name(report.regions)
    summary = view.summary_frame(report)
    series = view.series_frame(report)
    rules, sources = view.quality_frames(report)
    st.header(_("Region by region"), anchor=False)
    view.summary_table(summary)
    with st.expander(_("What the figures mean"), expanded=True):
        view.definitions()
    growth, pipeline, quality, backlog = st.tabs([_("Growth"), _("Pipeline"), _("Data quality"), _("Review backlog")])
    with growth:
        view.growth_tab(series, by_name)
    with pipeline:
        view.pipeline_tab(series, by_name)
    with quality:
        view.quality_tab(series, rules, sources, by_name)
    with backlog:
        view.backlog_tab(series, summary, by_name)
    view.exports(report, summary, rules, sources, previous)
except KasuwaError as exc:
    show_error(exc)
