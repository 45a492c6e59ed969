"""My payouts (creators): where the money is (received, on its way, owed by the programme),
balance now, the next payout and why, payout history with statuses
and references, monthly statements (CSV and PDF), and what each rail available in the
creator's country would have cost on their last 90 days of sales. Own data only."""

import streamlit as st

from app import payouts_view as view
from app import style
from app.errors import show_error
from app.format import page_locale
from app.query_cache import creator_region
from app.session import require_page
from warehouse.errors import KasuwaError
from warehouse.i18n import _
from warehouse.payouts.outlook import payout_outlook
from warehouse.payouts.whereabouts import where_is_my_money

actor = require_page(__file__)
st.title(_("My payouts"))

try:
    creator_id = str(actor.creator_id)
    locale = page_locale(actor, creator_region(creator_id))
    style.section(_("Where your money is"))
    view.whereabouts_block(where_is_my_money(actor, creator_id), locale)
    style.section(_("Owed by the programme"))
    view.outlook_block(payout_outlook(actor, creator_id, locale=locale), locale)
    style.section(_("Payout history"))
    view.history_table(actor, creator_id, locale)
    style.section(_("Monthly statements"))
    view.statement_downloads(actor, creator_id, locale)
    style.section(_("What each payment rail would have cost you"))
    view.rail_comparison(actor, creator_id, locale)
except KasuwaError as exc:
    show_error(exc)
