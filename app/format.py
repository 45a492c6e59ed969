"""How numbers, money, dates and user-supplied text look on every page — one place, with Babel.

Money is shown with its currency's ISO 4217 exponent (``warehouse.money.exponent``), not the
locale's default: XOF has no decimals, KWD three. Amounts are ``Decimal``; floats are accepted
for ratios and counts only. The locale is the user's (``warehouse.locales``): a creator's comes
from their country and language (``fr_SN``, ``bn_BD``, ``ur_PK``, ``en_NG`` …, see
:func:`page_locale`), anyone else's from their region (``regions.toml``) or ``en``. Numbers,
money, percentages, dates and ages are written in the locale's own digits where CLDR's default
numbering system has them (Bengali digits in ``bn_BD``).

:func:`plain` makes user-supplied text safe for the few Streamlit elements that render
Markdown (``st.error``, ``st.caption``, labels): every Markdown/HTML special character is
escaped, so ``[x](javascript:…)`` or ``<img …>`` shows as the characters typed.
"""

from __future__ import annotations

import copy
import re
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import pandas as pd
from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton, format_time, format_timedelta
from babel.numbers import format_decimal

from warehouse import locales
from warehouse.access import Actor
from warehouse.errors import KasuwaError
from warehouse.i18n import N_, _
from warehouse.locales import blank, date_input_format, locale_for, native_digits
from warehouse.source_names import SOURCE_NAMES, source_name  # noqa: F401 - one table, for the pages too

__all__ = ["age", "date_input_format", "day", "for_people", "locale_for", "moment", "money", "month", "number",
           "page_locale", "percent", "plain", "region_locale", "source_name", "when"]

DEFAULT_LOCALE = locales.FALLBACK_LOCALE
_WJ = "\u2060"
_AUTOLINKS = (
    (re.compile(r"\\@"), "\\@" + _WJ),
    (re.compile(r"\\:\\/\\/"), "\\:\\/\\/" + _WJ),
    (re.compile(r"(?i)\b(www)\\\."), "\\1" + _WJ + "\\."),
)
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&\"'=^@%;,?/])")


def _locale(name: str | None) -> Locale:
    return locales.parse(name)


def region_locale(region: str) -> str:
    """The Babel locale of a region (from regions.toml), ``en`` when unknown."""
    from warehouse.regions import get_region

    try:
        return get_region(region).locale
    except Exception:
        return DEFAULT_LOCALE


def page_locale(actor: Actor, region: str, language: str | None = None) -> str:
    """The locale a page is drawn in for ``actor``: a creator account's own country decides
    (``fr_SN``, ``bn_BD``, ``ur_PK`` …); anyone else keeps the locale of ``region``, the region
    the page is about. The language is ``language``, else the account's own choice
    (``actor.language``, from "My account"), else the country's default."""
    try:
        return locales.user_locale(actor.creator_id, region_locale(region), language or actor.language)
    except KasuwaError:  # a directory that cannot answer must not take the page down
        return region_locale(region)


def money(amount: Decimal | int | None, currency: str, locale: str | None = None) -> str:
    """``₦1,234.50``, ``1 234 F CFA`` (fr_SN), ``১২,৩৪,৫৬৭.৫০৳`` (bn_BD), ``KWD1,234.500``: symbol,
    grouping and digits from the locale, decimals from ISO 4217. ``None`` shows as an empty
    string; an unknown code as ``1,234.50 ZZZ``."""
    if amount is None:
        return ""
    return locales.money(amount, currency, locale)


def number(value: Decimal | float | int | None, locale: str | None = None, decimals: int | None = None) -> str:
    """A grouped number (``12,345``); ``decimals`` fixes the fraction digits."""
    if value is None:
        return ""
    loc = _locale(locale)
    pattern: Any = None
    if decimals is not None:
        pattern = copy.copy(loc.decimal_formats[None])
        pattern.frac_prec = (decimals, decimals)
    text = format_decimal(value, format=pattern, locale=loc, numbering_system=locales.numbering_system(locale))
    return native_digits(text, locale)


def percent(ratio: Decimal | float | None, locale: str | None = None, decimals: int = 1) -> str:
    """``0.875`` → ``87.5%`` (en), ``87,5 %`` (fr_SN), ``৮৭.৫%`` (bn_BD): the locale's pattern."""
    if ratio is None:
        return ""
    loc = _locale(locale)
    pattern = copy.copy(loc.percent_formats[None])
    pattern.frac_prec = (decimals, decimals)
    text = pattern.apply(ratio, loc, numbering_system=locales.numbering_system(locale))
    return native_digits(text, locale)


def day(value: date | datetime | None, locale: str | None = None, style: str = "medium") -> str:
    """A calendar date in the locale's words and digits (``25 Nov 2024``, ``25 nov. 2024``,
    ``২৫ নভে, ২০২৪``)."""
    if value is None:
        return ""
    return native_digits(format_date(value, format=style, locale=_locale(locale)), locale)


def moment(value: datetime | None, locale: str | None = None, tz: tzinfo | None = None) -> str:
    """A date and time, shown in ``tz`` (a region's time zone) when given."""
    if value is None:
        return ""
    return native_digits(format_datetime(value, format="medium", tzinfo=tz, locale=_locale(locale)), locale)


def when(value: date | datetime | None, locale: str | None = None, tz: tzinfo | None = None) -> str:
    """The one way a page writes a date or a moment: a date as :func:`day`; a date and time as
    the locale's medium date and short time (``7 Dec 2026, 18:17``, ``7 déc. 2026, 18:17``), in
    ``tz`` when given. Never ISO, never "None" (``None``, ``NaT`` → "")."""
    if blank(value):
        return ""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return day(value, locale)
    loc = _locale(locale)
    if tz is not None and value.tzinfo is not None:
        value = value.astimezone(tz)
    on = format_date(value, format="medium", locale=loc)
    at = format_time(value, format="short", locale=loc)
    pattern = str(loc.datetime_formats.get("medium", "{1} {0}"))
    return native_digits(pattern.replace("{1}", on).replace("{0}", at), locale)


def month(value: date | datetime | None, locale: str | None = None) -> str:
    """A month and year in the locale's words (``Dec 2026``, ``déc. 2026``, ``ডিসে ২০২৬``)."""
    if value is None:
        return ""
    return native_digits(format_skeleton("yMMM", value, locale=_locale(locale)), locale)


def for_people(df: pd.DataFrame, locale: str | None = None, tz: tzinfo | None = None) -> pd.DataFrame:
    """A copy of ``df`` ready to be read: dates and moments through :func:`when` (the reader's
    locale, never ISO) and empty cells empty (never "None", "nan" or "NaT")."""
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_datetime64_any_dtype(series) or any(
            isinstance(v, (date, datetime, pd.Timestamp)) for v in series.head(50)
        ):
            out[col] = [when(v, locale, tz) for v in series]
        elif pd.api.types.is_float_dtype(series) and series.isna().any():
            out[col] = pd.Series(["" if pd.isna(v) else v for v in series], dtype=object, index=out.index)
        elif series.dtype == object or pd.api.types.is_string_dtype(series):
            out[col] = ["" if v is None or (not isinstance(v, (list, tuple, dict)) and pd.isna(v)) else v
                        for v in series]
    return out


def age(value: timedelta | datetime | None, locale: str | None = None, now: datetime | None = None) -> str:
    """How long ago / how long: ``3 days``, ``5 hours``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        ref = now or datetime.now(value.tzinfo)
        value = ref - value
    return native_digits(format_timedelta(value, threshold=1.0, locale=_locale(locale)), locale)


#: a sale whose file names no product (stored as '': reading by meaning, issue 15)
NOT_NAMED = N_("not named in the file")


def product_name(product: Any) -> str:
    """A sale's product for people: its name, or "not named in the file" when the export gave none."""
    return _(NOT_NAMED) if product is None or not str(product).strip() else str(product)


def plain(text: Any) -> str:
    """``text`` escaped for Markdown: shows literally, never as a link, image, HTML or emoji.

    Backslash escapes stop Markdown syntax; GFM's autolinking of bare emails and URLs runs on
    the parsed text, so an invisible word joiner (U+2060) breaks ``@``, ``://`` and ``www.``.
    """
    escaped = _SPECIAL.sub(r"\\\1", str(text))
    for pattern, joined in _AUTOLINKS:
        escaped = pattern.sub(joined, escaped)
    return escaped.replace("\n", "  \n")
