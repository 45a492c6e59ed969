"""Plotly figures for the pages, one look everywhere.

Chart values are drawn from exact Decimals converted to floats here, for drawing only; tables
and downloads keep the exact amounts. Text that came from users (product names, sources,
channels) is HTML-escaped before it reaches Plotly, which would otherwise honour tags such as
``<b>`` or ``<a href>`` in labels and hover text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from babel import Locale

ACCENT = "#0F766E"
PALETTE = ["#0F766E", "#D97706", "#2563EB", "#9333EA", "#DC2626", "#059669", "#64748B"]
HEIGHT = 320


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


def _numbers(series: pd.Series) -> pd.Series:
    return series.map(lambda v: float(v) if isinstance(v, Decimal) else v).astype("float64")


def _layout(fig: go.Figure, title: str | None, y_title: str | None, x_title: str | None = None) -> go.Figure:
    fig.update_layout(
        template="plotly_white", height=HEIGHT, colorway=PALETTE,
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
        title={"text": safe_text(title)} if title else None,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hovermode="x unified",
    )
    fig.update_yaxes(title_text=safe_text(y_title) if y_title else None, rangemode="tozero")
    fig.update_xaxes(title_text=safe_text(x_title) if x_title else None)
    return fig


def over_time(
    df: pd.DataFrame, x: str, ys: Sequence[str], names: Sequence[str] | None = None,
    title: str | None = None, y_title: str | None = None, kind: str = "line",
) -> go.Figure:
    """One trace per column of ``ys`` against the dates in ``x`` (line or bars)."""
    fig = go.Figure()
    labels = list(names or ys)
    for col, label in zip(ys, labels, strict=True):
        values = _numbers(df[col]) if len(df) else []
        if kind == "bar":
            fig.add_trace(go.Bar(x=list(df[x]), y=values, name=safe_text(label)))
        else:
            fig.add_trace(go.Scatter(x=list(df[x]), y=values, name=safe_text(label), mode="lines+markers"))
    fig.update_layout(showlegend=len(labels) > 1)
    return _layout(fig, title, y_title)


def by_group_over_time(
    df: pd.DataFrame, x: str, y: str, group: str, title: str | None = None, y_title: str | None = None,
) -> go.Figure:
    """One line per value of ``group`` (e.g. a region) of ``y`` against ``x``."""
    fig = go.Figure()
    for key, part in df.groupby(group, sort=False):
        fig.add_trace(go.Scatter(
            x=list(part[x]), y=_numbers(part[y]), name=safe_text(key), mode="lines+markers",
        ))
    return _layout(fig, title, y_title)


def ranked_bars(
    df: pd.DataFrame, label: str, value: str, title: str | None = None, x_title: str | None = None,
    limit: int = 15,
) -> go.Figure:
    """Horizontal bars, largest on top: ``value`` per ``label`` (labels escaped)."""
    part = df.head(limit)
    fig = go.Figure(go.Bar(
        x=_numbers(part[value]) if len(part) else [],
        y=[safe_text(v) for v in part[label]],
        orientation="h", marker_color=ACCENT,
    ))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(hovermode="closest")
    return _layout(fig, title, None, x_title)


def grouped_bars(
    df: pd.DataFrame, label: str, value: str, group: str, title: str | None = None,
    y_title: str | None = None, percent: bool = False,
) -> go.Figure:
    """Vertical bars of ``value`` per ``label``, one colour per ``group``."""
    fig = go.Figure()
    for key, part in df.groupby(group, sort=False):
        fig.add_trace(go.Bar(
            x=[safe_text(v) for v in part[label]], y=_numbers(part[value]), name=safe_text(key),
        ))
    fig.update_layout(barmode="group", hovermode="closest")
    fig.update_xaxes(type="category")
    if percent:
        fig.update_yaxes(tickformat=".0%")
    return _layout(fig, title, y_title)
