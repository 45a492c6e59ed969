"""The managers' board report: the regions page's figures as tables people read (for the page,
the CSV downloads and the PDF alike) and as a printable PDF (fpdf2).

One list says which figures there are, what each is called, how it is rounded and what it
means (:data:`SUMMARY`, :data:`SERIES`, :data:`DEFINITIONS`), so the page, the CSV files and
the PDF cannot drift apart. Rounding: rates are percentages to one decimal, latencies seconds
to one decimal, backlog ages whole hours, GMV US dollars to the cent (half up).

The PDF's charts are drawn with fpdf2's own lines and shapes (no browser, no image renderer):
one colour per region, given by the caller from the app's single region → colour mapping, and
a period that is not over yet (or that the range cuts short) drawn dotted and marked "so far",
never as a fall. Counts of creators and rows get whole-number axes.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

import pandas as pd
from babel.numbers import format_decimal

from . import locales
from .i18n import N_, _, headers, ngettext, translate_text, use_language
from .ingest.validate import ASK_RULE, rule_label
from .locales import blank
from .payouts.statements import _font, _text, pdf_language
from .queries.metrics import MetricsReport, RegionMetrics, totals
from .settings import PROJECT_ROOT
from .source_names import source_name

KINDS = ("count", "usd", "rate", "seconds", "hours")
_CENT = Decimal("0.01")
_TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Figure:
    """A figure of the report: its column in the metrics, its header for people, its kind."""

    key: str
    header: str
    kind: str  # one of KINDS


#: The per-region table (the whole range; the backlog as it is now), in order.
SUMMARY: tuple[Figure, ...] = (
    Figure("creators_total", N_("Creators"), "count"),
    Figure("onboarded", N_("Joined in the period"), "count"),
    Figure("active_creators", N_("Active creators"), "count"),
    Figure("sales", N_("Sales"), "count"),
    Figure("gmv_usd", N_("GMV (USD)"), "usd"),
    Figure("latency_p50_s", N_("Latency p50 (s)"), "seconds"),
    Figure("latency_p95_s", N_("Latency p95 (s)"), "seconds"),
    Figure("first_data_24h_share", N_("First data ≤ 24 h (%)"), "rate"),
    Figure("pass_rate", N_("Pass rate (%)"), "rate"),
    Figure("rows_flagged", N_("Flagged rows"), "count"),
    Figure("backlog_pending", N_("Awaiting review now"), "count"),
    Figure("backlog_oldest_hours", N_("Oldest waiting (h)"), "hours"),
    Figure("backlog_median_hours", N_("Median wait (h)"), "hours"),
)

#: The per-period table (after Region, Period and Complete), in order.
SERIES: tuple[Figure, ...] = (
    Figure("creators_total", N_("Creators"), "count"),
    Figure("onboarded", N_("Joined"), "count"),
    Figure("active_creators", N_("Active creators"), "count"),
    Figure("sales", N_("Sales"), "count"),
    Figure("gmv_usd", N_("GMV (USD)"), "usd"),
    Figure("unconverted_sales", N_("Sales without a USD rate"), "count"),
    Figure("uploads", N_("Files received"), "count"),
    Figure("uploads_loaded", N_("Files loaded"), "count"),
    Figure("latency_p50_s", N_("Latency p50 (s)"), "seconds"),
    Figure("latency_p95_s", N_("Latency p95 (s)"), "seconds"),
    Figure("new_creators_judged", N_("New creators counted"), "count"),
    Figure("first_data_24h", N_("New creators with data within 24 h"), "count"),
    Figure("first_data_24h_share", N_("First data ≤ 24 h (%)"), "rate"),
    Figure("rows_validated", N_("Rows checked"), "count"),
    Figure("rows_flagged", N_("Flagged rows"), "count"),
    Figure("pass_rate", N_("Pass rate (%)"), "rate"),
    Figure("backlog_at_end", N_("Awaiting review at the period's end"), "count"),
)

#: One sentence per figure, shown on the page and printed in the PDF.
DEFINITIONS: tuple[tuple[str, str], ...] = (
    (N_("GMV"), N_("Gross merchandise value: what buyers paid for every sale made in the period, before fees "
            "and refunds, in US dollars at each sale day's exchange rate.")),
    (N_("Pass rate"), N_("The share of the rows in the period's files that passed every data-quality check; "
                  "the others were flagged for a reviewer.")),
    (N_("First data ≤ 24 h"), N_("Of the creators who joined in the period, the share whose first upload could be "
                          "queried within 24 hours of joining (someone who joined less than a day ago "
                          "without data yet is not counted).")),
    (N_("Latency"), N_("The time from a file being received to its rows being queryable: p50 is the typical "
                "(median) file, p95 the slowest one in twenty.")),
    (N_("Creators"), N_("Creators had joined by the end of the period, joined in the period, or are active: "
                 "they made at least one sale in it.")),
    (N_("Review backlog"), N_("Flagged rows waiting for a reviewer now, and how long the oldest and the typical "
                       "(median) one have waited.")),
)

#: The charts of the report: (metrics column, title, kind).
CHARTS: tuple[tuple[str, str, str], ...] = (
    ("gmv_usd", N_("GMV in USD"), "usd"),
    ("active_creators", N_("Active creators"), "count"),
    ("onboarded", N_("Creators who joined"), "count"),
    ("latency_p50_s", N_("Pipeline latency p50 (seconds)"), "seconds"),
    ("first_data_24h_share", N_("New creators with data within 24 h (%)"), "rate"),
    ("pass_rate", N_("Rows passing every check (%)"), "rate"),
    ("backlog_at_end", N_("Rows awaiting review at the period's end"), "count"),
)

GRAIN_WORDS = {"day": N_("per day"), "week": N_("per week"), "month": N_("per month")}


# --- rounding and words ------------------------------------------------------------------------


def rounded(value: Any, kind: str) -> Any:
    """``value`` as the report shows it: counts as int, USD as a Decimal to the cent, rates as a
    percentage (float) to one decimal, seconds to one decimal, hours whole; None when missing."""
    if blank(value):
        return None
    if kind == "count":
        return int(value)
    if kind == "usd":
        return Decimal(str(value)).quantize(_CENT, ROUND_HALF_UP)
    if kind == "rate":
        return float((Decimal(repr(float(value))) * 100).quantize(_TENTH, ROUND_HALF_UP))
    if kind == "seconds":
        return float(Decimal(repr(float(value))).quantize(_TENTH, ROUND_HALF_UP))
    if kind == "hours":
        return int(Decimal(repr(float(value))).quantize(Decimal(1), ROUND_HALF_UP))
    raise ValueError(f"unknown kind {kind!r}")


def text(value: Any, kind: str, locale: str | None = None) -> str:
    """A value already :func:`rounded` as people read it: ``1,234``, ``$1,234.50``, ``87.5%``,
    ``12.3 s``, ``5 h``; an empty string when missing. With ``locale``, in that reader's marks
    and digits (``1 234``, ``87,5 %``, ``১,২৩৪``); without, as above (CSV headers' rounding)."""
    if blank(value):
        return ""
    if locale:
        return _localised(value, kind, locale)
    if kind == "count":
        return f"{int(value):,}"
    if kind == "usd":
        v = Decimal(value)
        return f"{'-' if v < 0 else ''}${abs(v):,.2f}"
    if kind == "rate":
        return f"{float(value):.1f}%"
    if kind == "seconds":
        return f"{float(value):.1f} s"
    if kind == "hours":
        return f"{int(value):,} h"
    raise ValueError(f"unknown kind {kind!r}")


def _localised(value: Any, kind: str, locale: str) -> str:
    loc = locales.parse(locale)
    system = locales.numbering_system(locale)
    if kind == "usd":
        return locales.money(Decimal(value), "USD", locale)
    if kind == "count":
        figure = format_decimal(int(value), locale=loc, numbering_system=system)
    elif kind == "rate":
        pattern = copy.copy(loc.percent_formats[None])
        pattern.frac_prec = (1, 1)
        figure = pattern.apply(Decimal(str(value)) / 100, loc, numbering_system=system)
    elif kind == "seconds":
        figure = _("%(count)s s", count=format_decimal(value, "#,##0.0", locale=loc, numbering_system=system))
    elif kind == "hours":
        figure = _("%(count)s h", count=format_decimal(int(value), locale=loc, numbering_system=system))
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return locales.native_digits(figure, locale)


def shown(value: Any, kind: str, locale: str | None = None) -> str:
    """A raw metric as people read it (rounded, then in words; in ``locale``'s marks when given)."""
    return text(rounded(value, kind), kind, locale)


def period_words(period: Any, locale: str | None = None) -> str:
    """``7 Jun 2026 to 7 Dec 2026``: the days in ``locale``'s words, never ISO."""
    return _("%(start)s to %(end)s", start=locales.day(period.start, locale), end=locales.day(period.end, locale))


# --- tables for the page, the CSV files and the PDF ---------------------------------------------


def _summary_value(r: RegionMetrics, key: str) -> Any:
    if key.startswith("backlog_"):
        return r.backlog.get({"backlog_pending": "pending", "backlog_oldest_hours": "oldest_hours",
                              "backlog_median_hours": "median_hours"}[key])
    return r.summary.get(key)


def summary_table(report: MetricsReport) -> pd.DataFrame:
    """One row per region that could be read: Region and every :data:`SUMMARY` figure, rounded."""
    rows = [{"Region": translate_text(r.name), **{f.header: rounded(_summary_value(r, f.key), f.kind) for f in SUMMARY}}
            for r in report.available()]
    return _words(pd.DataFrame(rows, columns=["Region", *[f.header for f in SUMMARY]]))


def _words(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its headers in the reader's language (they are the catalogue's msgids)."""
    return df.set_axis(headers(df.columns), axis=1)


def series_table(report: MetricsReport) -> pd.DataFrame:
    """Every region's per-period figures: Region, Period (its first day), Complete (yes / so far)
    and every :data:`SERIES` figure, rounded."""
    rows = []
    for r in report.available():
        if r.series is None:
            continue
        for _i, row in r.series.iterrows():
            rows.append({
                "Region": translate_text(r.name), "Period": row["period"],
                "Complete": _("so far") if row.get("partial") else _("yes"),
                **{f.header: rounded(row.get(f.key), f.kind) for f in SERIES},
            })
    return _words(pd.DataFrame(rows, columns=["Region", "Period", "Complete", *[f.header for f in SERIES]]))


@lru_cache(maxsize=1)
def _suite_reasons() -> dict[str, str]:
    """``type:column`` → the expectation's ``meta.reason``, from every suite in ``expectations/``
    (read as JSON; Great Expectations itself is not needed for this)."""
    out: dict[str, str] = {}
    for path in sorted((PROJECT_ROOT / "expectations").glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for e in doc.get("expectations", []):
            reason = (e.get("meta") or {}).get("reason")
            if reason:
                out.setdefault(f"{e.get('type')}:{(e.get('kwargs') or {}).get('column')}", reason)
    return out


def check_words(rule: str, reason: Any = None) -> str:
    """What a failed check means, in words: the suite's reason for the rule, "rows Kasuwa could
    not tell were sales" for rows a person decides about (not one row's own reason), else the
    reason the flagged rows gave, else "another check" — never a rule's code name."""
    if rule in _suite_reasons():
        return translate_text(_suite_reasons()[rule])
    if rule == ASK_RULE:
        return _("rows Kasuwa could not tell were sales (a person decides)")
    if isinstance(reason, str) and reason and reason != rule:
        return translate_text(reason)
    return translate_text(rule_label(rule))


def rules_table(report: MetricsReport) -> pd.DataFrame:
    """Pass rate per check: Region, Check (its reason in words), Rows failing, Rows checked, Pass rate (%)."""
    rows = [
        {"Region": translate_text(r.name), "Check": check_words(row["rule"], row.get("reason")),
         "Rows failing": int(row["failed_rows"]), "Rows checked": int(row["rows_validated"]),
         "Pass rate (%)": rounded(row["pass_rate"], "rate")}
        for r in report.available() if r.rules is not None for _i, row in r.rules.iterrows()
    ]
    return _words(pd.DataFrame(rows, columns=["Region", "Check", "Rows failing", "Rows checked", "Pass rate (%)"]))


def sources_table(report: MetricsReport) -> pd.DataFrame:
    """Pass rate per source: Region, Source, Files, Rows checked, Flagged rows, Pass rate (%)."""
    rows = [
        {"Region": translate_text(r.name), "Source": source_name(row["source"]), "Files": int(row["uploads"]),
         "Rows checked": rounded(row["rows_validated"], "count"), "Flagged rows": rounded(row["rows_flagged"], "count"),
         "Pass rate (%)": rounded(row["pass_rate"], "rate")}
        for r in report.available() if r.sources is not None for _i, row in r.sources.iterrows()
    ]
    return _words(pd.DataFrame(rows, columns=["Region", "Source", "Files", "Rows checked", "Flagged rows",
                                              "Pass rate (%)"]))


# --- the PDF ------------------------------------------------------------------------------------

_GRID = (226, 232, 240)
_INK = (15, 23, 42)
_MUTED = (100, 116, 139)
_SO_FAR = "#94A3B8"


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _ticks(top: float, kind: str) -> list[float]:
    """0 and up to five round steps covering ``top``; whole steps for counts."""
    if top <= 0:
        top = 1.0
    raw = top / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if kind == "count":
        step = max(1, math.ceil(step))
    n = math.ceil(top / step - 1e-9)
    return [i * step for i in range(n + 1)]


def _tick_text(v: float, kind: str, locale: str | None = None) -> str:
    """An axis tick: whole dollars from $10, percent as drawn; in ``locale``'s marks and digits."""
    if locale:
        loc, system = locales.parse(locale), locales.numbering_system(locale)
        if kind == "usd" and (v >= 10 or v == 0):
            pattern = copy.copy(loc.currency_formats["standard"])
            pattern.frac_prec = (0, 0)
            figure = pattern.apply(Decimal(str(v)), loc, currency="USD", currency_digits=False, numbering_system=system)
            return locales.native_digits(figure, locale)
        if kind in ("usd", "rate", "count"):
            return text(Decimal(str(v)) if kind == "usd" else v, kind, locale)
        return locales.native_digits(format_decimal(v, locale=loc, numbering_system=system), locale)
    if kind == "usd":
        return f"${v:,.0f}" if v >= 10 or v == 0 else f"${v:,.2f}"
    if kind == "rate":
        return f"{v:g}%"
    if kind == "count":
        return f"{int(v):,}"
    return f"{v:g}"


def _label(day: date, grain: str, locale: str | None = None) -> str:
    """A chart's period in ``locale``'s words: ``Dec 2026`` for a month, ``7 Dec`` for a day or week."""
    if grain == "month":
        return locales.month(day, locale)
    from babel.dates import format_skeleton

    return locales.native_digits(format_skeleton("MMMd", day, locale=locales.parse(locale)), locale)


#: a region whose share of rows passing every check is below this needs attention
LOW_PASS_RATE = 0.9


def _change_words(now: Any, before: Any, locale: str | None = None) -> str | None:
    """``up 12.5%``, ``down 3.0%``, ``unchanged``; None when there is nothing to compare."""
    if blank(now) or blank(before) or not before:
        return None
    change = (Decimal(str(now)) - Decimal(str(before))) / Decimal(str(before))
    pct = text(rounded(abs(change), "rate"), "rate", locale)
    if change > 0:
        return _("up %(change)s", change=pct)
    if change < 0:
        return _("down %(change)s", change=pct)
    return _("unchanged")


def summary_paragraph(report: MetricsReport, previous: MetricsReport | None = None, locale: str | None = None) -> str:
    """The period in one paragraph, for the board: every region together (GMV, sales, active
    and new creators), the change against the period just before when ``previous`` is given,
    and what needs attention — regions that could not be read, the review backlog and its age,
    regions passing fewer than 90 % of rows."""
    now = totals(report)
    parts = [ngettext("%(period)s, %(count)s region together: GMV %(gmv)s from %(sales)s sales by %(active)s "
                      "active creators; %(joined)s creators joined.",
                      "%(period)s, %(count)s regions together: GMV %(gmv)s from %(sales)s sales by %(active)s "
                      "active creators; %(joined)s creators joined.", int(now["regions"]),
                      period=period_words(report.period, locale), count=now["regions"],
                      gmv=shown(now.get("gmv_usd") or 0, "usd", locale),
                      sales=shown(now.get("sales") or 0, "count", locale),
                      active=shown(now.get("active_creators") or 0, "count", locale),
                      joined=shown(now.get("onboarded") or 0, "count", locale))]
    if previous is not None:
        before = totals(previous)
        gmv = _change_words(now.get("gmv_usd"), before.get("gmv_usd"), locale)
        sales = _change_words(now.get("sales"), before.get("sales"), locale)
        span = period_words(previous.period, locale)
        if gmv or sales:
            parts.append(_("Against %(span)s: GMV %(gmv)s, sales %(sales)s.", span=span,
                           gmv=gmv or _("not comparable"), sales=sales or _("not comparable")))
        else:
            parts.append(_("Against %(span)s: nothing to compare (no sales then).", span=span))
    attention = []
    down = [translate_text(r.name) for r in report.regions if r.status != "ok"]
    if down:
        attention.append(_("%(regions)s could not be read", regions=", ".join(down)))
    pending = int(now.get("backlog_pending") or 0)
    if pending:
        oldest = max((rounded(r.backlog.get("oldest_hours"), "hours") or 0 for r in report.available()), default=0)
        attention.append(ngettext("%(count)s flagged row awaits review, the oldest for %(oldest)s",
                                  "%(count)s flagged rows await review, the oldest for %(oldest)s", pending,
                                  count=text(pending, "count", locale), oldest=text(oldest, "hours", locale)))
    low = [(translate_text(r.name), r.summary.get("pass_rate")) for r in report.available()
           if not blank(r.summary.get("pass_rate")) and float(r.summary["pass_rate"]) < LOW_PASS_RATE]
    if low:
        attention.append(_("few rows pass every check in %(regions)s", regions=", ".join(
            f"{name} ({shown(rate, 'rate', locale)})" for name, rate in low)))
    if attention:
        parts.append(_("Needs attention: %(items)s.", items="; ".join(attention)))
    else:
        parts.append(_("Nothing needs attention: every region passes at least 9 rows in 10 and no row awaits review."))
    return " ".join(parts)


def has_story(values: Sequence[float | None]) -> bool:
    """Whether a chart has something to say: figures in two periods or more, not all zero (a
    single dot or a flat line at zero says it better in a sentence)."""
    real = [v for v in values if v is not None]
    return len(real) >= 2 and any(v != 0 for v in real)


def _no_chart_words(title: str, kind: str, lines: list[tuple[str, list, list]], names: Mapping[str, str],
                    locale: str | None = None) -> str:
    """A chart that is not drawn, in a sentence: no figures, zero throughout, or each region's
    one figure (``GMV in USD: one period with figures: West Africa $0.65; South Asia $20.00.``)."""
    real = [v for _c, vs, _p in lines for v in vs if v is not None]
    if not real:
        return _("%(chart)s: no figures in this period.", chart=title)
    if all(v == 0 for v in real):
        return _("%(chart)s: zero in every period.", chart=title)
    each = []
    for code, vs, _p in lines:
        mine = [v for v in vs if v is not None]
        if mine:
            each.append(f"{names.get(code, code)} "
                        f"{shown(mine[-1] / 100 if kind == 'rate' else mine[-1], kind, locale)}")
    return _("%(chart)s: one period with figures: %(values)s.", chart=title, values="; ".join(each))


def _chart_lines(report: MetricsReport, column: str, kind: str) -> tuple[list[date], list[tuple[str, list, list]]]:
    """The periods of every region together, and per region (code, values, partial flags)."""
    periods = sorted({p for r in report.available() if r.series is not None for p in r.series["period"]})
    lines = []
    for r in report.available():
        if r.series is None or column not in r.series:
            continue
        by_period = {row["period"]: row for _i, row in r.series.iterrows()}
        values, partial = [], []
        for p in periods:
            row = by_period.get(p)
            v = None if row is None or blank(row[column]) else float(row[column])
            values.append(v * 100 if v is not None and kind == "rate" else v)
            partial.append(bool(row is not None and row.get("partial")))
        lines.append((r.region, values, partial))
    return periods, lines


def _draw_chart(pdf: Any, font: str, x: float, y: float, w: float, h: float, title: str, kind: str,
                periods: Sequence[date], lines: list[tuple[str, list, list]], colours: Mapping[str, str],
                grain: str, locale: str | None = None) -> None:
    pdf.set_text_color(*_INK)
    pdf.set_font(font, "B", 9)
    pdf.set_xy(x, y)
    pdf.cell(w, 5, _text(title, font, 80))
    left, bottom, top_pad = 14.0, 7.0, 7.0
    px, py, pw, ph = x + left, y + top_pad, w - left - 2, h - top_pad - bottom
    values = [v for _, vs, _ in lines for v in vs if v is not None]
    pdf.set_font(font, "", 6.5)
    if not periods or not values:
        pdf.set_text_color(*_MUTED)
        pdf.set_xy(px, py + ph / 2 - 3)
        pdf.cell(pw, 5, _text(_("No figures in this period."), font, 80), align="C")
        return
    ticks = _ticks(max(values), kind)
    top = ticks[-1] or 1.0

    def ypos(v: float) -> float:
        return py + ph - (v / top) * ph

    def xpos(i: int) -> float:
        return px + (pw / 2 if len(periods) == 1 else i * pw / (len(periods) - 1))

    pdf.set_line_width(0.15)
    pdf.set_draw_color(*_GRID)
    pdf.set_text_color(*_MUTED)
    for t in ticks:
        pdf.line(px, ypos(t), px + pw, ypos(t))
        pdf.set_xy(x, ypos(t) - 2)
        pdf.cell(left - 1.5, 4, _tick_text(t, kind, locale), align="R")
    n = len(periods)
    shown_at = sorted({round(i * (n - 1) / 4) for i in range(5)}) if n > 5 else range(n)
    for i in shown_at:
        pdf.set_xy(xpos(i) - 10, py + ph + 1)
        pdf.cell(20, 4, _text(_label(periods[i], grain, locale), font, 20), align="C")
    for code, vs, partial in lines:
        colour = _rgb(colours.get(code, "#64748B"))
        pdf.set_draw_color(*colour)
        pdf.set_fill_color(*colour)
        pdf.set_line_width(0.5)
        for i in range(1, len(vs)):
            a, b = vs[i - 1], vs[i]
            if a is None or b is None:
                continue
            if partial[i] or partial[i - 1]:
                with pdf.local_context(stroke_opacity=0.6):
                    pdf.set_dash_pattern(dash=0.8, gap=0.9)
                    pdf.line(xpos(i - 1), ypos(a), xpos(i), ypos(b))
                    pdf.set_dash_pattern()
            else:
                pdf.line(xpos(i - 1), ypos(a), xpos(i), ypos(b))
        pdf.set_line_width(0.3)
        for i, v in enumerate(vs):
            if v is None:
                continue
            if partial[i]:  # hollow and lighter: a period still running, "so far"
                with pdf.local_context(stroke_opacity=0.7):
                    pdf.circle(xpos(i), ypos(v), 0.7, style="D")
            elif len(vs) <= 40:
                pdf.circle(xpos(i), ypos(v), 0.55, style="F")
    pdf.set_draw_color(*_MUTED)
    pdf.set_line_width(0.2)
    pdf.line(px, py + ph, px + pw, py + ph)


def _legend(pdf: Any, font: str, report: MetricsReport, colours: Mapping[str, str], partial: bool) -> None:
    pdf.set_font(font, "", 8)
    pdf.set_text_color(*_INK)
    y = pdf.get_y() + 1
    x = pdf.l_margin
    for r in report.available():
        pdf.set_fill_color(*_rgb(colours.get(r.region, "#64748B")))
        pdf.rect(x, y + 1, 6, 2.4, style="F")
        pdf.set_xy(x + 7, y)
        label = _text(translate_text(r.name), font, 40)
        width = pdf.get_string_width(label) + 6
        pdf.cell(width, 4.5, label)
        x += 7 + width
    if partial:
        pdf.set_draw_color(*_rgb(_SO_FAR))
        pdf.set_line_width(0.5)
        pdf.set_dash_pattern(dash=0.8, gap=0.9)
        pdf.line(x, y + 2.2, x + 6, y + 2.2)
        pdf.set_dash_pattern()
        pdf.set_xy(x + 7, y)
        pdf.cell(0, 4.5, _text(_("dotted: period not over yet, figures so far"), font, 120))
    pdf.set_xy(pdf.l_margin, y + 6)


def _heading(pdf: Any, font: str, words: str) -> None:
    pdf.ln(3)
    pdf.set_text_color(*_INK)
    pdf.set_font(font, "B", 12)
    pdf.cell(0, 7, _text(words, font, 90), new_x="LMARGIN", new_y="NEXT")


def _table(pdf: Any, font: str, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
           right_from: int = 1) -> None:
    pdf.set_text_color(*_INK)
    pdf.set_font(font, "B", 8)
    pdf.set_draw_color(*_MUTED)
    pdf.set_line_width(0.2)
    for i, (head, wd) in enumerate(zip(header, widths, strict=True)):
        pdf.cell(wd, 6, _text(head, font, 40), border="B", align="R" if i >= right_from else "L")
    pdf.ln()
    pdf.set_font(font, "", 8)
    for row in rows:
        if pdf.will_page_break(5.5):
            pdf.add_page()
        for i, (value, wd) in enumerate(zip(row, widths, strict=True)):
            limit = max(6, int(wd / 1.6))
            pdf.cell(wd, 5.5, _text(value, font, limit), align="R" if i >= right_from else "L")
        pdf.ln()


def board_report_pdf(report: MetricsReport, colours: Mapping[str, str], generated_at: datetime | None = None,
                     previous: MetricsReport | None = None) -> bytes:
    """The regions page for ``report``'s range as a printable A4 PDF: the figures per region with
    their definitions, charts over time, data quality per check and per source, and the review
    backlog. ``colours`` maps a region code to its ``#RRGGBB`` colour. Written in the reader's
    language when the PDF fonts draw it (English, French, Bengali, Urdu), else in English
    (``statements.pdf_language``)."""
    with use_language(pdf_language()) as language:
        return _board_report_pdf(report, colours, generated_at, previous, language)


def _board_report_pdf(report: MetricsReport, colours: Mapping[str, str], generated_at: datetime | None,
                      previous: MetricsReport | None, locale: str | None) -> bytes:
    from fpdf import FPDF

    made = (generated_at or report.now or datetime.now(UTC)).astimezone(UTC)
    regions = report.available()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_title(_("Kasuwa regional report"))
    font = _font(pdf)
    pdf.add_page()
    pdf.set_font(font, "B", 16)
    pdf.cell(0, 9, _text(_("Kasuwa: regional report"), font, 90), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, "", 10)
    pdf.cell(0, 6, _text(_("Dates: %(period)s · %(grain)s", period=period_words(report.period, locale),
                           grain=_(GRAIN_WORDS.get(report.grain, report.grain))), font, 120),
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*_MUTED)
    moment = locales.day(made, locale) + made.strftime(" %H:%M")
    pdf.cell(0, 5, _text(_("Figures as of %(moment)s UTC", moment=moment), font, 120), new_x="LMARGIN",
             new_y="NEXT")
    cut = [r for r in regions if r.through and r.through < report.period.end]
    if cut:
        pdf.multi_cell(0, 5, _text(_("Each region is read up to its own today: %(regions)s.", regions="; ".join(
            _("%(region)s to %(day)s", region=translate_text(r.name), day=locales.day(r.through, locale))
            for r in cut if r.through)),
            font, 400), new_x="LMARGIN", new_y="NEXT")
    for r in report.regions:
        if r.status != "ok":
            pdf.set_text_color(180, 35, 24)
            # the reason is the administrators' business (it may name files): the board reads words
            pdf.multi_cell(0, 5, _text(_("%(region)s could not be read: its figures are missing. Make the report "
                                         "again once it is back; an administrator can see why.",
                                         region=translate_text(r.name)),
                                       font, 400),
                           new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*_INK)
    _heading(pdf, font, _("The period in brief"))
    pdf.set_font(font, "", 10)
    pdf.multi_cell(0, 5.2, _text(summary_paragraph(report, previous, locale), font, 1200), new_x="LMARGIN",
                   new_y="NEXT")

    _heading(pdf, font, _("Figures per region"))
    if regions:
        label_w = 56.0
        region_w = (pdf.epw - label_w) / max(len(regions), 1)
        rows = [[_(f.header), *[shown(_summary_value(r, f.key), f.kind, locale) for r in regions]] for f in SUMMARY]
        names = [translate_text(r.name) for r in regions]
        _table(pdf, font, [_("Figure"), *names], rows, [label_w] + [region_w] * len(regions))
    else:
        pdf.set_font(font, "", 10)
        pdf.cell(0, 6, _text(_("No region could be read for this period."), font, 120), new_x="LMARGIN",
                 new_y="NEXT")

    _heading(pdf, font, _("What the figures mean"))
    for title, sentence in DEFINITIONS:
        pdf.set_font(font, "B", 9)
        pdf.cell(36, 5, _text(_(title), font, 40))
        pdf.set_font(font, "", 9)
        pdf.multi_cell(0, 5, _text(_(sentence), font, 400), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.8)

    pdf.add_page()
    _heading(pdf, font, _("Over time, %(grain)s", grain=_(GRAIN_WORDS.get(report.grain, report.grain))))
    any_partial = any(bool(r.series["partial"].any()) for r in regions
                      if r.series is not None and "partial" in r.series)
    _legend(pdf, font, report, colours, any_partial)
    cw, ch, gap = (pdf.epw - 6) / 2, 58.0, 6.0
    top = pdf.get_y()
    drawn, told = [], []
    for column, title, kind in CHARTS:  # a chart with nothing to say becomes a sentence
        periods, lines = _chart_lines(report, column, kind)
        if any(has_story(vs) for _c, vs, _p in lines):
            drawn.append((periods, lines, title, kind))
        else:
            told.append(_no_chart_words(_(title), kind, lines, {r.region: translate_text(r.name) for r in regions},
                                        locale))
    for i, (periods, lines, title, kind) in enumerate(drawn):
        row, col = divmod(i, 2)
        y = top + row * (ch + 4)
        if y + ch > pdf.h - pdf.b_margin:
            pdf.add_page()
            top, y = pdf.get_y() - row * (ch + 4), pdf.get_y()
        _draw_chart(pdf, font, pdf.l_margin + col * (cw + gap), y, cw, ch, _(title), kind, periods, lines, colours,
                    report.grain, locale)
    pdf.set_xy(pdf.l_margin, top + math.ceil(len(drawn) / 2) * (ch + 4))
    if told:
        pdf.set_font(font, "", 9)
        pdf.set_text_color(*_INK)
        if not drawn:
            pdf.multi_cell(0, 5, _text(_("No figure changed over the period enough to draw."), font, 400),
                           new_x="LMARGIN", new_y="NEXT")
        for words in told:
            pdf.multi_cell(0, 5, _text(words, font, 400), new_x="LMARGIN", new_y="NEXT")

    pdf.add_page()
    _heading(pdf, font, _("Data quality"))
    rules = rules_table(report)
    pdf.set_font(font, "", 9)
    if rules.empty:
        pdf.cell(0, 6, _text(_("No row failed a check in this period."), font, 120), new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.cell(0, 6, _text(_("Pass rate per check (the checks rows failed most first):"), font, 120),
                 new_x="LMARGIN", new_y="NEXT")
        _table(pdf, font, [_("Region"), _("Check"), _("Rows failing"), _("Pass rate")],
               [[row[_("Region")], row[_("Check")], text(row[_("Rows failing")], "count", locale),
                 text(row[_("Pass rate (%)")], "rate", locale)]
                for _i, row in rules.iterrows()], [32, 108, 25, 25], right_from=2)
    sources = sources_table(report)
    if not sources.empty:
        pdf.ln(3)
        pdf.set_font(font, "", 9)
        pdf.cell(0, 6, _text(_("Pass rate per source:"), font, 120), new_x="LMARGIN", new_y="NEXT")
        _table(pdf, font, [_("Region"), _("Source"), _("Files"), _("Rows checked"), _("Flagged rows"), _("Pass rate")],
               [[row[_("Region")], row[_("Source")], text(row[_("Files")], "count", locale),
                 text(row[_("Rows checked")], "count", locale), text(row[_("Flagged rows")], "count", locale),
                 text(row[_("Pass rate (%)")], "rate", locale)]
                for _i, row in sources.iterrows()], [32, 58, 20, 28, 27, 25], right_from=2)

    _heading(pdf, font, _("Review backlog"))
    pdf.set_font(font, "", 9)
    for r in regions:
        pending = rounded(r.backlog.get("pending"), "count") or 0
        if pending:
            words = ngettext("%(region)s: %(count)s flagged row awaits review; the oldest has waited %(oldest)s, "
                             "the median one %(median)s.",
                             "%(region)s: %(count)s flagged rows await review; the oldest has waited %(oldest)s, "
                             "the median one %(median)s.", int(pending), region=translate_text(r.name),
                             count=text(pending, "count", locale),
                             oldest=shown(r.backlog.get("oldest_hours"), "hours", locale),
                             median=shown(r.backlog.get("median_hours"), "hours", locale))
        else:
            words = _("%(region)s: no flagged row awaits review.", region=translate_text(r.name))
        pdf.multi_cell(0, 5, _text(words, font, 400), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
