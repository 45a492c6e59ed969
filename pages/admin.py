"""Administration (admins): accounts — list, add, deactivate or reactivate, reset a password —,
creators — list and register —, and the columns creators saved on the upload page — list, and
share one with every creator as a profile. Every change goes through ``control.accounts`` /
``warehouse.creators`` / ``warehouse.ingest.mappings``, which check the acting user is an admin."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.errors import shown_errors
from app.format import for_people, plain
from app.login import ROLE_NAMES
from app.query_cache import data_changed
from app.rules_view import rules_panel
from app.session import require_page
from control import accounts
from warehouse.access import ROLES
from warehouse.creators import add_creator, list_creators
from warehouse.i18n import N_, _, current_language, headers
from warehouse.ingest import mappings
from warehouse.locales import locale_for
from warehouse.regions import all_regions

actor = require_page(__file__)
LOCALE = locale_for(current_language(), None, "en")  # dates in the admin's language
st.title(_("Administration"))
_FLASH = "adm_flash"
if _FLASH in st.session_state:
    st.success(plain(st.session_state.pop(_FLASH)), icon=":material/check_circle:")


def done(message: str) -> None:
    """Show ``message`` after a rerun that redraws the tables with the change."""
    st.session_state[_FLASH] = message
    data_changed()
    st.rerun()


users_tab, creators_tab, mappings_tab, rules_tab = st.tabs([_("Users"), _("Creators"), _("Saved columns"),
                                                           _("Rules from the queue")])

with users_tab, shown_errors():
    users = accounts.list_users(actor)
    st.dataframe(
        for_people(pd.DataFrame(
            [
                (
                    u.email,
                    _(ROLE_NAMES.get(u.role, u.role)),
                    u.creator_id,
                    ", ".join(u.regions) or (_("all") if u.role == "manager" else ""),
                    u.active,
                    u.created_at,
                    u.last_login_at,
                )
                for u in users
            ],
            columns=headers([N_("Email"), N_("Role"), N_("Creator"), N_("Regions"), N_("Active"), N_("Created"),
                             N_("Last sign-in")]),
        ), LOCALE),
        hide_index=True,
        key="adm_users",
    )
    creators = list_creators(actor)
    with st.form("adm_add_user", clear_on_submit=True):
        st.markdown(f"**{_('Add a user')}**")
        c1, c2, c3 = st.columns(3)
        email = c1.text_input(_("Email"))
        role = c2.selectbox(_("Role"), ROLES, format_func={r: _(ROLE_NAMES.get(r, r)) for r in ROLES}.__getitem__)
        creator = c3.selectbox(_("Creator (creator accounts)"), ["", *(c.creator_id for c in creators)])
        regions = st.multiselect(_("Regions (reviewers; managers: none = all)"), [r.code for r in all_regions()])
        p1, p2 = st.columns(2)
        password = p1.text_input(
            _("Password (at least %(count)s characters)", count=accounts.PASSWORD_MIN),
            type="password",
            autocomplete="new-password",
        )
        again = p2.text_input(_("Password again"), type="password", autocomplete="new-password")
        if st.form_submit_button(_("Add user"), type="primary"):
            if password != again:
                st.error(_("The two passwords differ; nothing was changed."))
            else:
                made = accounts.add_user(actor, email, password, role, creator_id=creator or None, regions=regions)
                done(_("%(email)s can now sign in as %(role)s.", email=made.email,
                       role=_(ROLE_NAMES.get(made.role, made.role)).lower()))

    emails = [u.email for u in users]
    with st.form("adm_active"):
        st.markdown(f"**{_('Deactivate or reactivate')}**")
        who = st.selectbox(_("User"), emails, key="adm_active_who")
        off, on = st.columns(2)
        if off.form_submit_button(_("Deactivate")) and who:
            accounts.deactivate_user(actor, who)
            done(_("%(email)s can no longer sign in.", email=who))
        if on.form_submit_button(_("Reactivate")) and who:
            accounts.update_user(actor, who, active=True)
            done(_("%(email)s can sign in again.", email=who))

    with st.form("adm_reset", clear_on_submit=True):
        st.markdown(f"**{_('Reset a password')}**")
        who = st.selectbox(_("User"), emails, key="adm_reset_who")
        p1, p2 = st.columns(2)
        new = p1.text_input(_("New password"), type="password", autocomplete="new-password")
        again = p2.text_input(_("New password again"), type="password", autocomplete="new-password")
        if st.form_submit_button(_("Reset password")) and who:
            if new != again:
                st.error(_("The two passwords differ; nothing was changed."))
            else:
                accounts.reset_password(actor, who, new)
                done(_("Password of %(email)s reset; tell them through a channel you trust.", email=who))

with creators_tab, shown_errors():
    st.dataframe(
        for_people(pd.DataFrame(
            [(c.creator_id, c.name, c.country, c.region, c.joined_at) for c in list_creators(actor)],
            columns=headers([N_("Creator"), N_("Name"), N_("Country"), N_("Region"), N_("Joined")]),
        ), LOCALE),
        hide_index=True,
        key="adm_creators",
    )
    countries = sorted({cc for r in all_regions() for cc in r.countries})
    with st.form("adm_add_creator", clear_on_submit=True):
        st.markdown(_("**Register a creator** — the region follows from the country"))
        c1, c2, c3 = st.columns(3)
        cid = c1.text_input(_("Creator id (letters, digits, . _ -)"))
        country = c2.selectbox(_("Country"), countries)
        name = c3.text_input(_("Name"))
        if st.form_submit_button(_("Register creator"), type="primary"):
            made = add_creator(actor, cid.strip(), country, name.strip() or None)
            done(_("Creator %(creator)s registered in %(region)s.", creator=made.creator_id, region=made.region))

with mappings_tab, shown_errors():
    st.caption(_("Columns a creator told Kasuwa about on the upload page. Each is used for that creator's own "
                 "files only; sharing one makes it a profile that reads every creator's files of that layout."))
    saved = mappings.list_mappings(actor)
    st.dataframe(
        for_people(pd.DataFrame(
            [(m.creator_id, m.name, m.describe(), ", ".join(m.layout), m.saved_at, m.shared_as or "")
             for m in saved],
            columns=headers([N_("Creator"), N_("Name"), N_("What it says"), N_("Columns of the file"), N_("Saved"),
                             N_("Shared as")]),
        ), LOCALE),
        hide_index=True,
        key="adm_mappings",
    )
    if saved:
        with st.form("adm_share_mapping"):
            st.markdown(f"**{_('Share with every creator')}**")
            picked = st.selectbox(_("Saved columns"), [(m.creator_id, m.name) for m in saved],
                                  format_func=lambda k: f"{k[1]} ({k[0]})", key="adm_share_which")
            c1, c2 = st.columns(2)
            shared_name = c1.text_input(_("Profile name (lowercase letters, digits, - or _)"), key="adm_share_name")
            title = c2.text_input(_("Title people read (optional)"), key="adm_share_title")
            if st.form_submit_button(_("Share as a profile")) and picked:
                mappings.promote_mapping(actor, picked[0], picked[1], shared_name or picked[1], title)
                done(_("Shared as profile %(name)s: it now reads every creator's files with these columns.",
                       name=shared_name or picked[1]))

with rules_tab, shown_errors():
    rules_panel(actor, done)
