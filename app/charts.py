"""Plotly figures for the pages, one look everywhere.

Chart values are drawn from exact Decimals converted to floats here, for drawing only; tables
and downloads keep the exact amounts. Text that came from users (product names, sources,
channels) is HTML-escaped before it reaches Plotly, which would otherwise honour tags such as
``<b>`` or ``<a href>`` in labels and hover text. Figures are built in one constructor call
from plain dicts (Plotly validates each ``update_*`` call separately, which costs more than
the queries behind a warm page); Streamlit's theme styles them.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from babel import Locale

from warehouse import locales

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
    for col, label in zip(ys, list(names or ys), strict=True):
        trace: dict[str, Any] = {"x": _dates(df[x]), "y": _numbers(df[col]), "name": safe_text(label)}
        trace.update({"type": "bar"} if kind == "bar" else {"type": "scatter", "mode": "lines+markers"})
        traces.append(trace)
    return _figure(traces, title, y_title, locale=locale)


def by_group_over_time(
    df: pd.DataFrame, x: str, y: str, group: str, title: str | None = None, y_title: str | None = None,
    percent: bool = False, locale: str | None = None,
) -> go.Figure:
    """One line per value of ``group`` (e.g. a region) of ``y`` against ``x``."""
    traces = [
        {"type": "scatter", "mode": "lines+markers", "x": _dates(part[x]), "y": _numbers(part[y]),
         "name": safe_text(key)}
        for key, part in df.groupby(group, sort=False)
    ]
    yaxis = {"tickformat": ".0%", "rangemode": "normal"} if percent else {}
    return _figure(traces, title, y_title, locale=locale, showlegend=True, yaxis=yaxis)


def ranked_bars(
    df: pd.DataFrame, label: str, value: str, title: str | None = None, x_title: str | None = None,
    limit: int = 15, locale: str | None = None,
) -> go.Figure:
    """Horizontal bars, largest on top: ``value`` per ``label`` (labels escaped); the hover text
    names the value (``x_title``) in the page's language."""
    part = df.head(limit)
    trace = {"type": "bar", "orientation": "h", "x": _numbers(part[value]),
             "y": [safe_text(v) for v in part[label]], "marker": {"color": ACCENT}}
    if x_title:
        trace["hovertemplate"] = "%{y}<br>" + safe_text(x_title) + ": %{x:,.2f}<extra></extra>"
    return _figure([trace], title, None, x_title, locale=locale, hovermode="closest",
                   yaxis={"autorange": "reversed", "type": "category", "rangemode": "normal"},
                   xaxis={"rangemode": "tozero"})


def grouped_bars(
    df: pd.DataFrame, label: str, value: str, group: str, title: str | None = None,
    y_title: str | None = None, percent: bool = False, locale: str | None = None,
) -> go.Figure:
    """Vertical bars of ``value`` per ``label``, one colour per ``group``."""
    traces = [
        {"type": "bar", "x": [safe_text(v) for v in part[label]], "y": _numbers(part[value]),
         "name": safe_text(key)}
        for key, part in df.groupby(group, sort=False)
    ]
    yaxis = {"tickformat": ".0%", "rangemode": "normal"} if percent else {}
    return _figure(traces, title, y_title, locale=locale, barmode="group", hovermode="closest", showlegend=True,
                   xaxis={"type": "category"}, yaxis=yaxis)
