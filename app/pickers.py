"""Shared inputs: a date range and a time grain. Each owns the session-state key it is given."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from warehouse.i18n import N_, _
from warehouse.locales import date_input_format
from warehouse.queries import GRAINS, Period


def period_picker(key: str, latest: date | None = None, default_days: int = 90,
                  earliest: date | None = None, locale: str | None = None) -> Period:
    """A date range, by default the ``default_days`` up to ``latest`` (or the server's today). A
    page over several regions passes ``warehouse.queries.metrics.latest_today(codes)``: at
    19:30 UTC Karachi is already on tomorrow's date, and a range ending on the server's date
    would leave out its last hours. A range still being picked (one date so far) counts as
    that single day. With a ``locale`` the dates are typed in its order (``DD/MM/YYYY`` for
    fr_SN, bn_BD, en_NG), else ISO; the calendar's first day of the week is the browser's
    (Streamlit 1.67 takes it from the browser's locale and offers no setting)."""
    end = latest or date.today()
    start = end - timedelta(days=default_days - 1)
    if earliest and earliest > start:
        start = min(earliest, end)
    shape = date_input_format(locale) if locale else "YYYY-MM-DD"
    asked = st.session_state.pop(_goto(key), None)
    if asked:  # another page asked for these days (the upload report's "See these sales")
        st.session_state[key] = asked
    picked = st.date_input(_("Dates"), value=(start, end), key=key, format=shape)
    if isinstance(picked, date):
        return Period(picked, picked)
    chosen = [d for d in (picked or ()) if isinstance(d, date)]
    if not chosen:
        return Period(start, end)
    return Period(chosen[0], chosen[-1]) if len(chosen) > 1 else Period(chosen[0], chosen[0])


def _goto(key: str) -> str:
    return f"{key}_goto"


def go_to_period(key: str, first: date, last: date) -> None:
    """Ask the period picker ``key`` to show ``first``–``last`` the next time it is drawn."""
    st.session_state[_goto(key)] = (first, last)


def default_grain(period: Period) -> str:
    """Days for up to ~two months, weeks up to ~seven months, months beyond."""
    if period.days <= 62:
        return "day"
    if period.days <= 213:
        return "week"
    return "month"


GRAIN_WORDS = {"day": N_("Day"), "week": N_("Week"), "month": N_("Month")}


def grain_picker(key: str, period: Period) -> str:
    """Day, week or month (from the warehouse's allow-list)."""
    picked = st.segmented_control(
        _("Per"), list(GRAINS), default=default_grain(period), key=key,
        format_func={g: _(GRAIN_WORDS[g]) for g in GRAINS}.__getitem__,  # words made in this run's language
    )
    return picked if picked in GRAINS else default_grain(period)
