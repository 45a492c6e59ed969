"""Upload (creators for themselves; reviewers and admins on a creator's behalf): pick one or more
exports, watch them being read, checked and loaded, then read a report per file. A file whose
layout is no platform's opens a columns step: Kasuwa's reading of each column over the first rows,
confirmed or corrected once (a column, or one value for every row) and remembered for that
creator's next files of the same layout."""

import streamlit as st

from app import upload_view as up
from app.errors import show_error
from app.format import page_locale, plain
from app.query_cache import creator_region
from app.session import require_page
from warehouse.errors import KasuwaError
from warehouse.i18n import _
from warehouse.ingest import IngestResult

actor = require_page(__file__)
st.title(_("Upload sales exports"))
st.caption(
    _("CSV, TSV or Excel exports from Gumroad, Etsy, Shopify, Stripe, PayPal, Paystack, Flutterwave, bank and "
      "mobile-money statements, or your own spreadsheet. Every row is checked; rows with problems wait for a "
      "reviewer while the rest load straight away.")
)

try:
    creator_id = up.pick_creator(actor)
    if creator_id:
        locale = page_locale(actor, creator_region(creator_id))
        files = up.file_picker(f"up_files_{creator_id}", locale)
        done = up.results()
        fresh = [f for f in files if up.file_key(creator_id, f) not in done]
        for number, file in enumerate(fresh, start=1):
            done[up.file_key(creator_id, file)] = up.run_ingest(actor, creator_id, file, number, len(fresh))
        for file in files:
            key = up.file_key(creator_id, file)
            result = done.get(key)
            if result is None:
                continue
            with st.container(border=True):
                up.report(result, file.name, locale, creator_view=actor.creator_id == creator_id)
                saved, not_saved = st.session_state.get(up.saved_key(key)) or (None, None)
                if saved:
                    st.success(_("Saved as profile **%(name)s**: your next file with these columns loads without "
                                 "asking (for your account only).", name=plain(saved)),
                               icon=":material/bookmark_added:")
                if not_saved:
                    st.warning(_("The file loaded, but its columns were not remembered: %(reason)s",
                                 reason=plain(not_saved)))
                if isinstance(result, IngestResult) and result.status == "rejected" and (
                        result.missing or result.confirm):
                    up.columns_step(actor, creator_id, key, result, file, locale)
except KasuwaError as exc:
    show_error(exc)
