"""Payouts by region (managers and admins): payouts per region and month, rail fees per rail,
creators waiting on a minimum — aggregates only. Administrators also record payouts as paid
(with the rail's reference), failed or reversed."""

import streamlit as st

from app import payouts_view as view
from app.errors import show_error
from app.session import require_page
from warehouse.errors import KasuwaError
from warehouse.payouts.overview import admin_payouts, payouts_overview
from warehouse.regions import region_codes

actor = require_page(__file__)
st.title("Payouts by region")

try:
    view.overview_tables(payouts_overview(actor))
    if actor.role == "admin":
        st.subheader("Record a payout's outcome")
        region = st.selectbox("Region", region_codes(), key="mark_region")
        view.mark_form(actor, admin_payouts(actor, str(region)))
except KasuwaError as exc:
    show_error(exc)
