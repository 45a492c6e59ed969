"""Payouts by region (managers and admins): where creators' money is (own accounts, platforms,
owed by the programme), payouts per region and month, rail fees per rail,
creators waiting on a minimum — aggregates only, each table also as a CSV download (readable
headers, amounts at their currency's minor unit). Administrators also record payouts as paid
(with the rail's reference), failed or reversed."""

import pandas as pd
import streamlit as st

from app import payouts_view as view
from app import style
from app.errors import show_error
from app.export import to_csv_bytes
from app.i18n import reader_locale
from app.session import require_page
from warehouse.access import is_admin
from warehouse.errors import KasuwaError
from warehouse.i18n import N_, _
from warehouse.payouts.overview import admin_payouts, export_rows, payouts_overview
from warehouse.regions import region_codes

DOWNLOADS = (
    ("by_month", N_("Payouts per month (CSV)"), "kasuwa-payouts-per-month.csv"),
    ("fees_by_rail", N_("Fees per rail (CSV)"), "kasuwa-payouts-fees-per-rail.csv"),
    ("waiting", N_("Waiting on a minimum (CSV)"), "kasuwa-payouts-waiting.csv"),
    ("by_custody", N_("Where creators' money is (CSV)"), "kasuwa-money-by-custody.csv"),
)


def downloads(ov) -> None:
    cols = st.columns(len(DOWNLOADS))
    for col, (part, label, name) in zip(cols, DOWNLOADS, strict=True):
        df = pd.DataFrame(export_rows(ov, part))
        if "rail" in df:
            df["rail"] = [view.rail_name(c) for c in df["rail"]]
        csv = to_csv_bytes(df.rename(columns=view.column_names()), reader_locale())  # the reader's separators
        col.download_button(_(label), data=csv, file_name=name,
                            mime="text/csv", icon=":material/download:", on_click="ignore", disabled=df.empty,
                            key=f"po_{part}")


actor = require_page(__file__)
st.title(_("Payouts by region"))

try:
    overview = payouts_overview(actor)
    view.overview_tables(overview)
    downloads(overview)
    if is_admin(actor):
        style.section(_("Record a payout's outcome"))
        names = {code: view.region_name(code) for code in region_codes()}
        region = st.selectbox(_("Region"), list(names), key="mark_region", format_func=names.__getitem__)
        view.mark_form(actor, admin_payouts(actor, str(region)))
except KasuwaError as exc:
    show_error(exc)
