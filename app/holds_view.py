"""The review page's part for the guard rails on money: uploads whose money waits for a
reviewer before any payout includes it (``warehouse.payouts.guard``) — why, how much, and a
release or refuse decision with a note. Everything is asked of the warehouse with the Actor."""

from __future__ import annotations

import streamlit as st

from warehouse.access import Actor
from warehouse.errors import KasuwaError
from warehouse.i18n import _, ngettext, translate_text
from warehouse.payouts.guard import decide_hold, held_uploads

from . import format as fmt
from .errors import show_error
from .i18n import reader_locale


def held_uploads_panel(actor: Actor, region: str) -> None:
    """Held uploads of ``region``, each with its reasons and a release / refuse decision."""
    held = held_uploads(actor, region)
    if not held:
        return
    st.subheader(ngettext("%(count)s upload waits before any payout", "%(count)s uploads wait before any payout",
                          len(held), count=len(held)))
    for h in held:
        amount = fmt.money(h.amount, h.currency, reader_locale()) if h.amount is not None and h.currency else ""
        with st.expander(fmt.plain(f"{h.file_name} · {amount}"), expanded=len(held) == 1):
            st.markdown("\n".join(f"- {fmt.plain(translate_text(r))}" for r in h.reasons))
            note = st.text_input(_("Note (why)"), key=f"hold_note_{h.upload_id}", max_chars=500)
            left, right = st.columns(2)
            release = left.button(_("Release: its money counts"), key=f"hold_release_{h.upload_id}")
            refuse = right.button(_("Refuse: its money never counts"), key=f"hold_refuse_{h.upload_id}")
            if release or refuse:
                try:
                    decide_hold(actor, region, h.upload_id, release=bool(release), note=str(note or ""))
                except KasuwaError as exc:
                    show_error(exc)
                else:
                    st.rerun()
