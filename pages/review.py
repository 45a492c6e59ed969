"""Review queue (reviewers, admins): uploads the guard rails on money held (release or refuse),
then flagged rows of the reviewer's regions, oldest first — tap a row to open it, fix and approve,
reject with a note, or decide many at once (shown, then confirmed). Every decision is checked and
recorded by ``warehouse.review``; this page only draws."""

from __future__ import annotations

import streamlit as st

from app import review_widgets as rw
from app.errors import shown_errors
from app.format import page_locale
from app.holds_view import held_uploads_panel
from app.questions_view import ask_form, asked_flash
from app.session import require_page
from app.undo_view import undo_panel
from warehouse import review
from warehouse.i18n import _, ngettext, translate_text
from warehouse.regions import get_region

actor = require_page(__file__)
st.title(_("Review queue"))
rw.flash()
asked_flash()

with shown_errors():
    regions = review.reviewable_regions(actor)
    if not regions:
        st.info(_("No region is assigned to your account yet. Ask an administrator."))
        st.stop()
    names = {c: translate_text(get_region(c).name) for c in regions}  # in this run's language
    region = st.selectbox(_("Region"), regions, format_func=names.__getitem__, key="rq_region")
    rw.use_locale(page_locale(actor, region))
    held_uploads_panel(actor, region)  # uploads whose money waits for a reviewer (guard rails on money)
    flt = rw.queue_filters(actor, region)
    matching, oldest = review.queue_span(actor, region, flt)
    rw.queue_caption(matching, oldest)
    page_no = rw.page_picker(matching)
    page = review.list_queue(actor, region, flt, limit=rw.PAGE_SIZE, offset=(page_no - 1) * rw.PAGE_SIZE)
    rw.take_table_open(page)
    rw.confirm_panel(actor, region)
    if not page.rows:
        st.success(_("Nothing to review with these filters."), icon=":material/task_alt:")
    else:
        rw.queue_table(region, page)
    flag_id = rw.open_row(page)
    if flag_id:
        rw.row_detail(actor, region, review.flag_detail(actor, region, flag_id), page)
    rw.choice_panel(actor, region, flt, page, matching)
    mine = rw.chosen(region)
    ask_form(actor, region, mine, "rq_chosen", ngettext("Ask the creator about the %(count)s row you chose",
                                                        "Ask the creators about the %(count)s rows you chose",
                                                        len(mine), count=len(mine)))
    undo_panel(actor, region, page_locale(actor, region), "review", preselect=flt.upload_id, with_creator=True)
