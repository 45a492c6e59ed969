"""The two pages every visitor can have: the sign-in form, and "My account" once signed in."""

from __future__ import annotations

import streamlit as st

from control import accounts
from warehouse.access import Actor
from warehouse.errors import KasuwaError
from warehouse.i18n import LANGUAGES, N_, _

from . import i18n, session, style
from .errors import show_error, shown_errors
from .format import plain

ROLE_NAMES = {
    "creator": N_("Creator"),
    "reviewer": N_("Reviewer"),
    "manager": N_("Programme manager"),
    "admin": N_("Administrator"),
}


#: The sign-in page draws no Material Symbols icon: that font is 375 kB (brotli), over a third of
#: the page's bytes, and on slow 3G it shared the line with the scripts that draw the form. The
#: password field's show/hide eye is the one icon there: drawn as an eye character instead.
_NO_ICON_FONT = """<style>
.st-key-kasuwa-login [data-testid="stIconMaterial"] { font-family: inherit !important; font-size: 0 !important; }
.st-key-kasuwa-login [data-testid="stIconMaterial"]::before { content: "\\01F441"; font-size: 1.1rem;
  font-family: "Noto Color Emoji", "Segoe UI Emoji", "Apple Color Emoji", system-ui, sans-serif; }
.st-key-kasuwa-login button[aria-pressed="true"] [data-testid="stIconMaterial"]::before { content: "\\2715"; }
</style>"""


def login_page() -> None:
    """Email + password form; on success the session gets the Actor and the app reruns."""
    st.title("Kasuwa")
    st.caption(_("Sales, payouts and data quality for creators — sign in to continue."))
    notice = session.take_notice()
    if notice:
        st.info(notice, icon=":material/logout:")
    st.html(_NO_ICON_FONT)
    with st.container(key="kasuwa-login"), st.form("login", enter_to_submit=True):
        email = st.text_input(_("Email"), autocomplete="username")
        password = st.text_input(_("Password"), type="password", autocomplete="current-password")
        submitted = st.form_submit_button(_("Sign in"), type="primary")
    if not submitted:
        return
    try:
        actor = accounts.authenticate(email, password, client=session.client_address())
    except KasuwaError as exc:
        show_error(exc)
        return
    session.sign_in(actor)
    st.rerun()


def account_page() -> None:
    """Who is signed in, with which scope; the language the app speaks to them (English one
    click away); change one's own password."""
    actor = session.current_actor()
    if actor is None:
        st.stop()
    st.title(_("My account"))
    st.text(_("Email: %(email)s", email=actor.user_id))
    st.text(_("Role: %(role)s", role=_(ROLE_NAMES.get(actor.role, actor.role))))
    if actor.creator_id:
        st.text(_("Creator: %(creator)s", creator=actor.creator_id))
    if actor.regions:
        st.text(_("Regions: %(regions)s", regions=", ".join(sorted(actor.regions))))
    elif actor.role == "manager":
        st.text(_("Regions: all"))
    language_choice(actor)
    style.section(_("Change password"))
    with st.form("change_password", clear_on_submit=True):
        old = st.text_input(_("Current password"), type="password", autocomplete="current-password")
        new = st.text_input(
            _("New password (at least %(count)s characters)", count=accounts.PASSWORD_MIN),
            type="password",
            autocomplete="new-password",
        )
        again = st.text_input(_("New password again"), type="password", autocomplete="new-password")
        submitted = st.form_submit_button(_("Change password"))
    if submitted:
        if new != again:
            st.error(_("The two new passwords differ; nothing was changed."))
            return
        with shown_errors():  # a wrong current password is throttled like a failed sign-in
            accounts.change_own_password(actor, old, new, client=session.client_address(),
                                         keep_login=session.current_login())
            st.success(_("Password changed."))


def language_choice(actor: Actor) -> None:
    """The language the app speaks to ``actor``: each in its own name, the current one first
    chosen; saved with the account at once (``control.accounts.set_language``)."""
    style.section(_("Language"))
    current = i18n.actor_language(actor)
    codes = list(LANGUAGES)
    picked = st.segmented_control(
        _("Language"), codes, default=current, format_func=LANGUAGES.__getitem__, key="account_language",
        label_visibility="collapsed",
    )
    if picked and picked != current:
        with shown_errors():
            session.update_actor(accounts.set_language(actor, actor.user_id, picked).actor())
            st.session_state[i18n.LANG_KEY] = picked
            st.rerun()


def sidebar(actor_email: str, role: str) -> None:
    """Who is signed in, and the sign-out button."""
    with st.sidebar:
        st.caption(plain(_("Signed in as %(email)s · %(role)s", email=actor_email, role=_(ROLE_NAMES.get(role, role)))))
        if st.button(_("Sign out"), icon=":material/logout:", key="kasuwa_sign_out"):
            session.sign_out(notice=_("You are signed out."))
            st.rerun()
