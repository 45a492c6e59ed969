"""How numbers, money, dates and user-supplied text look on every page — one place, with Babel.

Money is shown with its currency's ISO 4217 exponent (``warehouse.money.exponent``), not the
locale's default: XOF has no decimals, KWD three. Amounts are ``Decimal``; floats are accepted
for ratios and counts only. Locales come from the region catalogue (``en_NG``, ``en_KE`` …).

:func:`plain` makes user-supplied text safe for the few Streamlit elements that render
Markdown (``st.error``, ``st.caption``, labels): every Markdown/HTML special character is
escaped, so ``[x](javascript:…)`` or ``<img …>`` shows as the characters typed.
"""

from __future__ import annotations

import copy
import re
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_decimal, format_percent

from warehouse.money import exponent, is_currency

DEFAULT_LOCALE = "en"
_WJ = "\u2060"
_AUTOLINKS = (
    (re.compile(r"\\@"), "\\@" + _WJ),
    (re.compile(r"\\:\\/\\/"), "\\:\\/\\/" + _WJ),
    (re.compile(r"(?i)\b(www)\\\."), "\\1" + _WJ + "\\."),
)
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&\"'=^@%;,?/])")


@lru_cache(maxsize=64)
def _locale(name: str | None) -> Locale:
    try:
        return Locale.parse(name or DEFAULT_LOCALE)
    except (ValueError, LookupError):
        return Locale.parse(DEFAULT_LOCALE)


def region_locale(region: str) -> str:
    """The Babel locale of a region (from regions.toml), ``en`` when unknown."""
    from warehouse.regions import get_region

    try:
        return get_region(region).locale
    except Exception:
        return DEFAULT_LOCALE


def money(amount: Decimal | int | None, currency: str, locale: str | None = None) -> str:
    """``₦1,234.50``, ``F CFA1,234``, ``KWD1,234.500``: symbol and grouping from the locale,
    decimals from ISO 4217. ``None`` shows as an empty string; an unknown code as ``1,234.50 ZZZ``."""
    if amount is None:
        return ""
    value = Decimal(amount)
    loc = _locale(locale)
    code = (currency or "").upper()
    if not is_currency(code):
        return f"{format_decimal(value, locale=loc)} {code}".strip()
    digits = exponent(code)
    pattern = copy.copy(loc.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    return pattern.apply(value, loc, currency=code, currency_digits=False)


def number(value: Decimal | float | int | None, locale: str | None = None, decimals: int | None = None) -> str:
    """A grouped number (``12,345``); ``decimals`` fixes the fraction digits."""
    if value is None:
        return ""
    fmt = None if decimals is None else "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=fmt, locale=_locale(locale))


def percent(ratio: Decimal | float | None, locale: str | None = None, decimals: int = 1) -> str:
    """``0.875`` → ``87.5%``."""
    if ratio is None:
        return ""
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
    return format_percent(ratio, format=fmt, locale=_locale(locale))


def day(value: date | datetime | None, locale: str | None = None, style: str = "medium") -> str:
    """A calendar date in the locale's words (``25 Nov 2024``)."""
    if value is None:
        return ""
    return format_date(value, format=style, locale=_locale(locale))


def moment(value: datetime | None, locale: str | None = None, tz: tzinfo | None = None) -> str:
    """A date and time, shown in ``tz`` (a region's time zone) when given."""
    if value is None:
        return ""
    return format_datetime(value, format="medium", tzinfo=tz, locale=_locale(locale))


def age(value: timedelta | datetime | None, locale: str | None = None, now: datetime | None = None) -> str:
    """How long ago / how long: ``3 days``, ``5 hours``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        ref = now or datetime.now(value.tzinfo)
        value = ref - value
    return format_timedelta(value, threshold=1.0, locale=_locale(locale))


def plain(text: Any) -> str:
    """``text`` escaped for Markdown: shows literally, never as a link, image, HTML or emoji.

    Backslash escapes stop Markdown syntax; GFM's autolinking of bare emails and URLs runs on
    the parsed text, so an invisible word joiner (U+2060) breaks ``@``, ``://`` and ``www.``.
    """
    escaped = _SPECIAL.sub(r"\\\1", str(text))
    for pattern, joined in _AUTOLINKS:
        escaped = pattern.sub(joined, escaped)
    return escaped.replace("\n", "  \n")
