"""Undo an upload (issue 21), from the creator's uploads list and the reviewer's queue: pick the
upload (by its file name and date, never its id), say why, confirm; ``warehouse.undo`` does the
rest in one transaction and says what it removed."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import streamlit as st

from app import format as fmt
from app.errors import shown_errors
from app.query_cache import data_changed
from warehouse.access import Actor, is_admin
from warehouse.i18n import _, ngettext
from warehouse.regions import get_region
from warehouse.undo import undo_upload, undoable_uploads

_DONE = "kasuwa_undo_done"


def undo_panel(actor: Actor, region: str, locale: str, key: str, creator_id: str | None = None,
               preselect: str | None = None, with_creator: bool = False) -> None:
    """An "Undo an upload" expander listing the uploads ``actor`` may undo in ``region``."""
    done = st.session_state.pop(f"{_DONE}_{key}", None)
    if done:
        st.success(done, icon=":material/undo:")
    with shown_errors():
        ups = undoable_uploads(actor, region, creator_id)
    if not ups:
        return
    tz = ZoneInfo(get_region(region).time_zone)
    labels = {}
    for u in ups:
        sales = ngettext("%(count)s sale", "%(count)s sales", int(u["rows_loaded"]),
                         count=fmt.number(int(u["rows_loaded"]), locale))
        label = _("%(file)s, received %(when)s (%(sales)s)", file=u["file_name"],
                  when=fmt.moment(u["received_at"], locale, tz), sales=sales)
        labels[str(u["upload_id"])] = _("%(creator)s: %(upload)s", creator=u["creator_name"], upload=label) \
            if with_creator else label
    ids = list(labels)
    with st.expander(_("Undo an upload"), icon=":material/undo:"):
        st.caption(_("Undoing removes the upload's sales, its rows waiting for review and its skipped rows. The "
                     "file itself is kept, and you can upload it again."))
        with st.form(key=f"{key}_undo_form"):
            chosen = st.selectbox(_("Upload to undo"), ids, format_func=labels.__getitem__,
                                  index=ids.index(preselect) if preselect in ids else 0, key=f"{key}_undo_pick")
            reason = st.text_input(_("Why (kept with the upload)"), key=f"{key}_undo_reason", max_chars=500)
            reverse = st.checkbox(_("If a payout already paid some of its sales, record a reversing entry in the "
                                    "ledger (the amount is then owed back)"), key=f"{key}_undo_reverse") \
                if is_admin(actor) else False
            sure = st.checkbox(_("Yes, undo this upload"), key=f"{key}_undo_sure")
            go = st.form_submit_button(_("Undo the upload"), icon=":material/undo:")
        if go:
            if not sure:
                st.warning(_("Tick “Yes, undo this upload” first."))
                return
            with shown_errors():
                res = undo_upload(actor, region, chosen, reason, reverse_paid=bool(reverse))
                data_changed()
                st.session_state[f"{_DONE}_{key}"] = res.describe()
                st.rerun()
