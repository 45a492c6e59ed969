"""The rules the review queue proposes (issue 21), for administrators: each proposal in words with
Accept and Dismiss; the rules in force below. ``warehouse.learned`` checks and records."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from app.errors import shown_errors
from warehouse import learned
from warehouse.access import Actor
from warehouse.errors import RegionUnavailable, WarehouseBusy
from warehouse.i18n import _, translate_text
from warehouse.regions import all_regions


def rules_panel(actor: Actor, done: Callable[[str], None]) -> None:
    st.caption(_("When reviewers decide the same kind of row from the same source the same way several times, "
                 "Kasuwa proposes a rule. An accepted rule reads that source's later uploads in the region, and "
                 "its reason is shown on each row it decides."))
    for n, reg in enumerate(all_regions()):
        try:
            proposed = learned.proposals(actor, reg.code)
            in_force = learned.accepted_rules(actor, reg.code)
        except (RegionUnavailable, WarehouseBusy):
            continue
        if not proposed and not in_force:
            continue
        st.subheader(translate_text(reg.name), anchor=False)
        for i, p in enumerate(proposed):
            with st.container(border=True, key=f"adm_rule_{n}_{i}"):
                st.text(p.sentence())
                a, b = st.columns(2)
                if a.button(_("Accept the rule"), key=f"adm_rule_ok_{n}_{i}", type="primary"):
                    with shown_errors():
                        learned.decide_rule(actor, reg.code, p.key, accept=True)
                        done(_("Rule accepted: later uploads in this region are read by it."))
                if b.button(_("Dismiss"), key=f"adm_rule_no_{n}_{i}"):
                    with shown_errors():
                        learned.decide_rule(actor, reg.code, p.key, accept=False)
                        done(_("Rule dismissed: it will not be proposed again."))
        if in_force:
            st.markdown(f"**{_('Rules in force')}**")
            for p in in_force:
                st.text(f"• {p.sentence()}")
