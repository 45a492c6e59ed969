"""Kasuwa's Streamlit entry point: ``streamlit run app/main.py``.

Signs the user in, then builds ``st.navigation`` from the pages their role may open
(``app/registry.py``). Anonymous visitors get the sign-in page only, whatever URL they open.
Each page still checks access itself with ``require_page(__file__)``. Every run adds the
phone-friendly stylesheet and script (``app/style.py``) and, after a sign-in or sign-out, the
few lines that set or delete the login cookie (``app/session.py``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import i18n, session, style
from app.errors import show_error
from app.login import account_page, login_page, sidebar
from app.registry import pages_for
from warehouse.errors import KasuwaError
from warehouse.i18n import _

ROOT = Path(__file__).resolve().parent.parent

st.set_page_config(page_title="Kasuwa", page_icon="🏪", layout="wide")
style.inject()

try:
    actor = session.active_actor()
except KasuwaError as exc:  # the control database cannot be read: say so, draw nothing else
    show_error(exc)
    st.stop()
lang = i18n.apply(actor)  # before any text: the user's language, or the browser's before sign-in
i18n.decorate(lang)
if actor is None:
    pages = [st.Page(login_page, title=_("Sign in"), icon=":material/login:", url_path="login")]
else:
    pages = [
        st.Page(f"../{p.path}", title=_(p.title), icon=p.icon)
        for p in pages_for(actor.role) if (ROOT / p.path).exists()
    ]
    pages.append(st.Page(account_page, title=_("My account"), icon=":material/person:", url_path="account"))
    sidebar(actor.user_id, actor.role)

cookie_js = session.cookie_script()
if cookie_js:
    style.run_script(cookie_js, key="kasuwa-cookie")
st.navigation(pages).run()
