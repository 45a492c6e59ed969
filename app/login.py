"""The two pages every visitor can have: the sign-in form, and "My account" once signed in."""

from __future__ import annotations

import streamlit as st

from control import accounts
from warehouse.errors import KasuwaError

from . import session
from .errors import show_error, shown_errors
from .format import plain

ROLE_NAMES = {
    "creator": "Creator",
    "reviewer": "Reviewer",
    "manager": "Programme manager",
    "admin": "Administrator",
}


def login_page() -> None:
    """Email + password form; on success the session gets the Actor and the app reruns."""
    st.title("Kasuwa")
    st.caption("Sales, payouts and data quality for creators — sign in to continue.")
    notice = session.take_notice()
    if notice:
        st.info(notice, icon=":material/logout:")
    with st.form("login", enter_to_submit=True):
        email = st.text_input("Email", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
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
    """Who is signed in, with which scope; change one's own password."""
    actor = session.current_actor()
    if actor is None:
        st.stop()
    st.title("My account")
    st.text(f"Email: {actor.user_id}")
    st.text(f"Role: {ROLE_NAMES.get(actor.role, actor.role)}")
    if actor.creator_id:
        st.text(f"Creator: {actor.creator_id}")
    if actor.regions:
        st.text(f"Regions: {', '.join(sorted(actor.regions))}")
    elif actor.role == "manager":
        st.text("Regions: all")
    st.subheader("Change password")
    with st.form("change_password", clear_on_submit=True):
        old = st.text_input("Current password", type="password", autocomplete="current-password")
        new = st.text_input(
            f"New password (at least {accounts.PASSWORD_MIN} characters)",
            type="password",
            autocomplete="new-password",
        )
        again = st.text_input("New password again", type="password", autocomplete="new-password")
        submitted = st.form_submit_button("Change password")
    if submitted:
        if new != again:
            st.error("The two new passwords differ; nothing was changed.")
            return
        with shown_errors():  # a wrong current password is throttled like a failed sign-in
            accounts.change_own_password(actor, old, new, client=session.client_address())
            st.success("Password changed.")


def sidebar(actor_email: str, role: str) -> None:
    """Who is signed in, and the sign-out button."""
    with st.sidebar:
        st.caption(plain(f"Signed in as {actor_email} · {ROLE_NAMES.get(role, role)}"))
        if st.button("Sign out", icon=":material/logout:", key="kasuwa_sign_out"):
            session.sign_out(notice="You are signed out.")
            st.rerun()
