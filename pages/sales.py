"""My sales (creators): gross, net after fees (the exports' fees, else the rail's published
tariff, marked estimated) and refunds in the creator's own currency; then KPIs in USD against the
previous period, sales over time, top products, buyer countries, sources and channels, amounts as
sold and in USD, a guarded CSV download, and the creator's uploads with the fate of their flagged
rows. Only the signed-in creator's own data."""

import streamlit as st

from app import sales_view, style
from app.errors import show_error
from app.format import page_locale
from app.pickers import grain_picker, period_picker
from app.query_cache import creator_region, query
from app.questions_view import creator_questions
from app.session import require_page
from warehouse.errors import KasuwaError
from warehouse.i18n import _
from warehouse.queries import sales as q
from warehouse.queries.local_figures import local_figures

actor = require_page(__file__)
st.title(_("My sales"))

try:  # uploads waiting for the region are kept centrally: shown even while it cannot be reached
    sales_view.waiting_uploads(actor, str(actor.creator_id), page_locale(actor, creator_region(str(actor.creator_id))))
except KasuwaError as exc:
    show_error(exc)

try:
    creator_id = str(actor.creator_id)
    region = creator_region(creator_id)
    locale = page_locale(actor, region)
    creator_questions(actor, creator_id, locale)  # a reviewer's questions first: they wait on the creator
    span = query(q.sales_span, actor, [region], creator_id)
    if span is None:
        st.info(_("No sales yet. Upload an export from the Upload page and they will show here."),
                icon=":material/upload_file:")
    else:
        left, right = st.columns([3, 2])
        with left:
            period = period_picker("sales_period", latest=span[1], earliest=span[0], locale=locale)
        with right:
            grain = grain_picker("sales_grain", period)
        st.caption(_("USD amounts use the exchange rate of each sale's date (the latest known on or before it)."))
        # the creator's own currency first, US dollars second
        local = query(local_figures, actor, [region], creator_id, period)
        local_before = query(local_figures, actor, [region], creator_id, period.previous())
        sales_view.kpi_row(query(q.kpis, actor, [region], creator_id, period), locale, local, local_before)
        sales_view.charts_block(actor, creator_id, region, period, grain, locale)
        style.section(_("As sold, per currency"))
        sales_view.currency_table(actor, creator_id, region, period, locale)
        sales_view.download(actor, creator_id, period, locale)
    sales_view.uploads_and_flags(actor, creator_id, region, locale)
except KasuwaError as exc:
    show_error(exc)
