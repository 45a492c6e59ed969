"""Plotly figures for the pages, one look everywhere.

Chart values are drawn from exact Decimals converted to floats here, for drawing only; tables
and downloads keep the exact amounts.

Every label a chart shows is written by Babel in the reader's locale, never by Plotly's own
English formatting: date ticks (``7 déc. 2026``, ``৭ ডিসে``), value ticks (``১২ হা``,
``1,2 k``) and hover text are pre-formatted (``tickvals``/``ticktext``, ``customdata``), so
Bengali axes carry Bengali digits and no Plotly locale file is loaded (no page weight added).
:func:`show` draws a figure with its data as a table in an expander, for screen readers and
for anyone who wants the numbers. Text that came from users (product names, sources,
channels) is HTML-escaped before it reaches Plotly, which would otherwise honour tags such as
``<b>`` or ``<a href>`` in labels and hover text. Figures are built in one constructor call
from plain dicts (Plotly validates each ``update_*`` call separately, which costs more than
the queries behind a warm page); Streamlit's theme styles them.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from babel import Locale
from babel.numbers import format_compact_decimal

from warehouse import locales
from warehouse.i18n import _

from . import format as fmt

ACCENT = "#0F766E"
PALETTE = ["#0F766E", "#D97706", "#2563EB", "#9333EA", "#DC2626", "#059669", "#64748B"]
HEIGHT = 320
TITLE_PX = 22  # from the top of a chart to the middle of its title's line
LEGEND_PX = 34  # one line of legend, with room for a second when a phone wraps it


def safe_text(value: Any) -> str:
    """User text as Plotly shows it literally (``<`` ``>`` ``&`` escaped)."""
    return html.escape("" if value is None else str(value), quote=False)


def country_name(code: Any, locale: str = "en") -> str:
    """``NG`` → ``Nigeria`` (Babel's territory names); unknown codes are returned as given."""
    text = "" if code is None else str(code)
    try:
        return str(Locale.parse(locale).territories.get(text.upper(), text))
    except (ValueError, LookupError):
        return text


def _numbers(values: Any) -> list[float | None]:
    out: list[float | None] = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        else:
            out.append(float(v) if isinstance(v, (Decimal, int, float)) else float(str(v)))
    return out


def _dates(values: Any) -> list[str]:
    return [v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values]


def _as_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def date_label(value: Any, locale: str | None) -> str:
    """A chart's date in the reader's locale (the one date formatter, :func:`app.format.when`)."""
    value = _as_date(value)
    if isinstance(value, datetime) and (value.hour, value.minute) == (0, 0):
        value = value.date()
    return fmt.when(value, locale) if isinstance(value, (date, datetime)) else str(value)


def value_label(value: float | None, locale: str | None, percent: bool = False, decimals: int = 2) -> str:
    """A value as the reader writes it: ``12,345.50``, ``12 345,50``, ``১২,৩৪৫.৫০``, ``87.5%``."""
    if value is None:
        return ""
    if percent:
        return fmt.percent(value, locale, 1)
    return fmt.number(Decimal(str(round(value, decimals))), locale, decimals if value % 1 else 0)


def tick_label(value: float, locale: str | None, percent: bool = False) -> str:
    """A short tick: ``1.2K``/``1,2 k``/``১.২ হা`` from 10,000 up, the number itself below."""
    if percent:
        return fmt.percent(value, locale, 0)
    if abs(value) >= 10_000:
        text = format_compact_decimal(value, locale=locales.parse(locale), fraction_digits=1)
        return locales.native_digits(text, locale)
    return fmt.number(Decimal(str(value)).normalize(), locale)


def nice_ticks(values: list[float | None], count: int = 5, floor_zero: bool = True) -> list[float]:
    """About ``count`` round tick values (steps of 1, 2, 2.5 or 5 x 10^k) covering ``values``."""
    real = [v for v in values if v is not None and math.isfinite(v)]
    lo = min(real + ([0.0] if floor_zero else [])) if real else 0.0
    hi = max(real) if real else 1.0
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t < hi + step * 0.999:
        ticks.append(round(t, 10))
        t += step
    return ticks


def value_axis(values: list[float | None], locale: str | None, percent: bool = False) -> dict[str, Any]:
    """A value axis whose tick labels Babel wrote (Plotly draws no number itself)."""
    ticks = nice_ticks(values)
    return {"tickmode": "array", "tickvals": ticks, "ticktext": [tick_label(t, locale, percent) for t in ticks],
            "range": [ticks[0], ticks[-1]]}


def date_axis(values: list[str], locale: str | None, count: int = 6) -> dict[str, Any]:
    """A date axis with about ``count`` ticks on the data's own dates, labelled by Babel."""
    unique = sorted(dict.fromkeys(values))
    if not unique:
        return {}
    step = max(1, math.ceil(len(unique) / count))
    picked = unique[::step]
    return {"type": "date", "tickmode": "array", "tickvals": picked,
            "ticktext": [date_label(v, locale) for v in picked]}


def separators(locale: str | None) -> str:
    """Plotly's ``separators`` (decimal mark, then group mark) for ``locale``: ``.,`` in en,
    ``,`` and a narrow no-break space in fr_SN, so axis ticks and hover values group as the
    page's numbers do."""
    symbols = locales.parse(locale).number_symbols.get("latn", {})
    return f"{symbols.get('decimal', '.')}{symbols.get('group', ',')}"


def _figure(traces: list[dict[str, Any]], title: str | None, y_title: str | None = None,
            x_title: str | None = None, locale: str | None = None, **layout: Any) -> go.Figure:
    base: dict[str, Any] = {
        "separators": separators(locale),
        "height": HEIGHT, "colorway": PALETTE,
        "margin": {"l": 10, "r": 10, "t": 70 if title else 30, "b": 10},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        "hovermode": "x unified", "showlegend": len(traces) > 1,
        "xaxis": {"title": {"text": safe_text(x_title)} if x_title else {}},
        "yaxis": {"title": {"text": safe_text(y_title)} if y_title else {}, "rangemode": "tozero"},
    }
    for key, value in layout.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return go.Figure(data=traces, layout=with_title(base, title))


def with_title(layout: dict[str, Any], title: str | None) -> dict[str, Any]:
    """``layout`` with ``title`` on the first line at the top left and the legend on a line of
    its own below it, above the plot, starting at the left: on a 390 px phone the two never
    share a line, so they cannot overlap (a legend on the title's line, on the right, covered
    long titles)."""
    out = dict(layout)
    if not title:
        return out
    height = float(out.get("height") or HEIGHT)
    out["title"] = {"text": safe_text(title), "x": 0, "xref": "container", "xanchor": "left", "pad": {"l": 4},
                    "y": 1 - TITLE_PX / height, "yref": "container", "yanchor": "middle"}
    if out.get("showlegend"):
        out["legend"] = {**out.get("legend", {}), "orientation": "h", "x": 0, "xanchor": "left",
                         "y": 1 - (TITLE_PX * 2) / height, "yref": "container", "yanchor": "top"}
        margin = dict(out.get("margin") or {})
        margin["t"] = max(int(margin.get("t", 0)), TITLE_PX * 2 + LEGEND_PX)
        out["margin"] = margin
    return out


def over_time(
    df: pd.DataFrame, x: str, ys: Sequence[str], names: Sequence[str] | None = None,
    title: str | None = None, y_title: str | None = None, kind: str = "line", locale: str | None = None,
) -> go.Figure:
    """One trace per column of ``ys`` against the dates in ``x`` (line or bars); ``names``,
    ``title`` and ``y_title`` come translated, numbers group in ``locale``'s way."""
    traces = []
    xs = _dates(df[x])
    every: list[float | None] = []
    for col, label in zip(ys, list(names or ys), strict=True):
        ys_ = _numbers(df[col])
        every += ys_
        trace: dict[str, Any] = {"x": xs, "y": ys_, "name": safe_text(label), **_hover(xs, ys_, label, locale)}
        trace.update({"type": "bar"} if kind == "bar" else {"type": "scatter", "mode": "lines+markers"})
        traces.append(trace)
    return _figure(traces, title, y_title, locale=locale, hovermode="closest",
                   xaxis=date_axis(xs, locale), yaxis=value_axis(every, locale))


def _hover(xs: list[str], ys: list[float | None], name: str, locale: str | None, percent: bool = False
           ) -> dict[str, Any]:
    """Hover text written by Babel: the date and the value in the reader's locale."""
    return {"customdata": [[date_label(a, locale), value_label(b, locale, percent)] for a, b in zip(xs, ys,
                                                                                                  strict=True)],
            "hovertemplate": "%{customdata[0]}<br>" + safe_text(name) + ": %{customdata[1]}<extra></extra>"}


def by_group_over_time(
    df: pd.DataFrame, x: str, y: str, group: str, title: str | None = None, y_title: str | None = None,
    percent: bool = False, locale: str | None = None,
) -> go.Figure:
    """One line per value of ``group`` (e.g. a region) of ``y`` against ``x``."""
    traces = []
    every: list[float | None] = []
    xs_all: list[str] = []
    for key, part in df.groupby(group, sort=False):
        xs, ys = _dates(part[x]), _numbers(part[y])
        every += ys
        xs_all += xs
        traces.append({"type": "scatter", "mode": "lines+markers", "x": xs, "y": ys, "name": safe_text(key),
                       **_hover(xs, ys, str(key), locale, percent)})
    yaxis = {**value_axis(every, locale, percent), "rangemode": "normal"}
    return _figure(traces, title, y_title, locale=locale, showlegend=True, hovermode="closest",
                   xaxis=date_axis(xs_all, locale), yaxis=yaxis)


def ranked_bars(
    df: pd.DataFrame, label: str, value: str, title: str | None = None, x_title: str | None = None,
    limit: int = 15, locale: str | None = None,
) -> go.Figure:
    """Horizontal bars, largest on top: ``value`` per ``label`` (labels escaped); the hover text
    names the value (``x_title``) in the page's language."""
    part = df.head(limit)
    xs = _numbers(part[value])
    trace = {"type": "bar", "orientation": "h", "x": xs,
             "y": [safe_text(v) for v in part[label]], "marker": {"color": ACCENT},
             "customdata": [value_label(v, locale) for v in xs]}
    named = safe_text(x_title) + ": " if x_title else ""
    trace["hovertemplate"] = "%{y}<br>" + named + "%{customdata}<extra></extra>"
    return _figure([trace], title, None, x_title, locale=locale, hovermode="closest",
                   yaxis={"autorange": "reversed", "type": "category", "rangemode": "normal"},
                   xaxis={"rangemode": "tozero", **value_axis(xs, locale)})


def grouped_bars(
    df: pd.DataFrame, label: str, value: str, group: str, title: str | None = None,
    y_title: str | None = None, percent: bool = False, locale: str | None = None,
) -> go.Figure:
    """Vertical bars of ``value`` per ``label``, one colour per ``group``."""
    traces = []
    every: list[float | None] = []
    for key, part in df.groupby(group, sort=False):
        ys = _numbers(part[value])
        every += ys
        traces.append({"type": "bar", "x": [safe_text(v) for v in part[label]], "y": ys, "name": safe_text(key),
                       "customdata": [value_label(v, locale, percent) for v in ys],
                       "hovertemplate": "%{x}<br>" + safe_text(key) + ": %{customdata}<extra></extra>"})
    yaxis = {**value_axis(every, locale, percent), "rangemode": "normal"}
    return _figure(traces, title, y_title, locale=locale, barmode="group", hovermode="closest", showlegend=True,
                   xaxis={"type": "category"}, yaxis=yaxis)


def show(fig: go.Figure, key: str, data: pd.DataFrame, config: dict[str, Any] | None = None) -> None:
    """The chart, then the data behind it as a table (in an expander): a screen reader hears the
    numbers, not a list of tick labels. ``data``'s columns are already in the reader's words and
    its values formatted in their locale."""
    st.plotly_chart(fig, key=key, config=config or {"displayModeBar": False, "responsive": True})
    with st.expander(_("The data behind this chart")):
        st.dataframe(fmt.for_people(data), hide_index=True, key=f"{key}_table")


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def data_table(df: pd.DataFrame, columns: dict[str, str], locale: str | None, dates: Sequence[str] = (),
               percent: Sequence[str] = (), usd: Sequence[str] = ()) -> pd.DataFrame:
    """The chart's data for people: ``columns`` (data column → header in the reader's words),
    dates by :func:`date_label`, shares as percentages, USD amounts as money, other numbers by
    :func:`value_label`; text as it is."""
    out = {}
    for col, header in columns.items():
        if col not in df:
            continue
        values = list(df[col])
        if col in dates:
            out[header] = [date_label(v, locale) for v in values]
        elif col in usd:
            out[header] = [fmt.money(Decimal(str(v)), "USD", locale) if not _missing(v) else ""
                           for v in values]
        elif col in percent:
            out[header] = [value_label(float(v), locale, True) if not _missing(v) else "" for v in values]
        elif pd.api.types.is_numeric_dtype(df[col]) or all(isinstance(v, (int, float, Decimal)) for v in values):
            out[header] = [value_label(float(v), locale) if not _missing(v) else "" for v in values]
        else:
            out[header] = ["" if v is None else str(v) for v in values]
    return pd.DataFrame(out)
