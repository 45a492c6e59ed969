"""Which locale a person's numbers, money and dates are written in — the country's, not the region's.

A locale is a function of the user's language and country (CLDR through Babel):
:func:`locale_for` gives ``fr_SN`` for a creator in Senegal, ``bn_BD`` in Bangladesh, ``ur_PK``
in Pakistan, ``en_NG``, ``en_KE``, ``en_GH`` …; the language defaults from the country
(:data:`DEFAULT_LANGUAGES`) until a person chooses one. Users without a country (reviewers,
managers, admins) keep their region's locale from ``regions.toml``.

Digits: Babel takes a locale's separators from its numbering system but always writes the
digits 0-9 (``format_decimal(1234, locale="bn_BD", numbering_system="default")`` is
``1,234``). CLDR's default numbering system for ``bn`` is ``beng``, so :func:`native_digits`
writes Bengali digits itself (``১,২৩৪``); ``ur_PK``'s default is ``latn`` (Urdu in Pakistan
writes 0-9; ``arabext`` is only its "native" alternative), so Pakistani amounts keep 0-9.

Money (:func:`money`) is written in the locale's pattern with the currency's ISO 4217 decimals
(``warehouse.money.exponent``), not the locale's default: ``1 250 000 F CFA`` for XOF in
``fr_SN`` (narrow no-break spaces U+202F between groups, a no-break space U+00A0 before the
symbol), ``১২,৩৪,৫৬৭.৫০৳`` for BDT in ``bn_BD`` (lakh grouping).
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pandas as pd
from babel import Locale, localedata
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal

from .money import exponent, is_currency


def blank(value: Any) -> bool:
    """A cell with nothing to show: ``None``, NaN, ``NaT`` or pandas' NA (a list or a text is not)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False

FALLBACK_LOCALE = "en"
FALLBACK_LANGUAGE = "en"

#: The language a creator's pages use until they choose one, by country (ISO 3166 alpha-2);
#: every other country: English. Pakistan gets Urdu, with English one click away on the
#: account page ("My account").
DEFAULT_LANGUAGES: dict[str, str] = {"SN": "fr", "CI": "fr", "BD": "bn", "PK": "ur"}

#: Decimal digits of the CLDR numbering systems our locales use (Babel has no digit tables).
DIGITS: dict[str, str] = {
    "latn": "0123456789",
    "beng": "০১২৩৪৫৬৭৮৯",
    "arab": "٠١٢٣٤٥٦٧٨٩",
    "arabext": "۰۱۲۳۴۵۶۷۸۹",
    "deva": "०१२३४५६७८९",
}

_DATE_PARTS = {"d": "DD", "M": "MM", "y": "YYYY"}


def default_language(country: str | None) -> str:
    """The language a person from ``country`` reads first: ``SN`` → ``fr``, ``BD`` → ``bn``,
    ``PK`` → ``ur``, anything else (or no country) → ``en``."""
    return DEFAULT_LANGUAGES.get((country or "").strip().upper(), FALLBACK_LANGUAGE)


@lru_cache(maxsize=256)
def _known(name: str) -> bool:
    try:
        return bool(name) and localedata.exists(name) and Locale.parse(name) is not None
    except (ValueError, LookupError):
        return False


@lru_cache(maxsize=256)
def locale_for(language: str | None, country: str | None, region_locale: str) -> str:
    """The CLDR locale for a user reading ``language`` in ``country``.

    - ``language`` ``None``: the country's default (:func:`default_language`);
      ``locale_for(None, "SN", "en_NG") == "fr_SN"``, ``locale_for(None, "NG", "en_NG") == "en_NG"``.
    - no country (reviewers, managers, admins): the region's locale when it is in that language
      (or no language is given), else the language alone (``fr``).
    - a pair CLDR does not know (``fr`` in ``NG``): the region's locale if it is in that
      language, else the language alone; never an error (unknown names end at ``en``).
    """
    cc = (country or "").strip().upper() or None
    lang = (language or "").strip().replace("-", "_").split("_")[0].lower() or None
    region = region_locale if _known(region_locale) else FALLBACK_LOCALE
    if lang is None:
        if cc is None:
            return region
        lang = default_language(cc)
    if cc and _known(f"{lang}_{cc}"):
        return f"{lang}_{cc}"
    if Locale.parse(region).language == lang:
        return region
    return lang if _known(lang) else region


@lru_cache(maxsize=64)
def parse(name: str | None) -> Locale:
    """Babel's ``Locale`` for ``name``; ``en`` when the name is unknown."""
    try:
        return Locale.parse(name or FALLBACK_LOCALE)
    except (ValueError, LookupError):
        return Locale.parse(FALLBACK_LOCALE)


def numbering_system(locale: str | None) -> str:
    """CLDR's default numbering system of ``locale`` when we know its digits (``bn_BD`` →
    ``beng``, ``ur_PK`` → ``latn``), else ``latn``."""
    system = str(parse(locale).default_numbering_system or "latn")
    return system if system in DIGITS else "latn"


def native_digits(text: str, locale: str | None) -> str:
    """``text`` with 0-9 written in ``locale``'s own digits (``"12.50"`` → ``"১২.৫০"`` in bn_BD)."""
    system = numbering_system(locale)
    if system == "latn":
        return text
    return text.translate(str.maketrans(DIGITS["latn"], DIGITS[system]))


def money(amount: Decimal | int, currency: str, locale: str | None, latin_digits: bool = False) -> str:
    """``amount`` in ``currency``, in ``locale``'s pattern and digits, with the currency's ISO 4217
    decimals: ``₦1,234.50``, ``1 250 000 F CFA``, ``১২,৩৪,৫৬৭.৫০৳``, ``KWD1.500``; an unknown
    code as ``1,234.50 ZZZ``. ``latin_digits`` keeps 0-9 (for fonts without the locale's digits)."""
    value = Decimal(amount)
    loc = parse(locale)
    system = numbering_system(locale)
    code = (currency or "").upper()
    if not is_currency(code):
        text = f"{format_decimal(value, locale=loc, numbering_system=system)} {code}".strip()
    else:
        digits = exponent(code)
        pattern = copy.copy(loc.currency_formats["standard"])
        pattern.frac_prec = (digits, digits)
        text = pattern.apply(value, loc, currency=code, currency_digits=False, numbering_system=system)
    return text if latin_digits else native_digits(text, locale)


def day(value: Any, locale: str | None) -> str:
    """A calendar date in ``locale``'s medium words and digits (``7 Dec 2026``, ``7 déc. 2026``,
    ``৭ ডিসে, ২০২৬``): the warehouse's own sentences (reasons, PDFs) use it; never ISO."""
    if blank(value):
        return ""
    return native_digits(format_date(value, format="medium", locale=parse(locale)), locale)


def month(value: Any, locale: str | None) -> str:
    """A month and year in ``locale``'s words (``Dec 2026``, ``déc. 2026``)."""
    if blank(value):
        return ""
    return native_digits(format_skeleton("yMMM", value, locale=parse(locale)), locale)


def date_input_format(locale: str | None) -> str:
    """The order of day, month and year in ``locale``'s short dates, as Streamlit's
    ``st.date_input(format=…)`` takes it: ``DD/MM/YYYY`` for fr_SN, en_NG, bn_BD;
    ``MM/DD/YYYY`` for en (US); ``YYYY/MM/DD`` for zh; ``DD.MM.YYYY`` for de."""
    pattern = str(parse(locale).date_formats["short"].pattern)
    order = []
    for letter in re.findall(r"[dMy]", re.sub(r"'[^']*'", "", pattern)):
        if letter not in order:
            order.append(letter)
    if sorted(order) != ["M", "d", "y"]:
        return "YYYY/MM/DD"
    sep = next((c for c in pattern if c in "/.-"), "/")
    return sep.join(_DATE_PARTS[p] for p in order)


def user_language(language: str | None, creator_id: str | None) -> str:
    """The language a signed-in user reads: their own choice (``users.language``) when it is one
    the app is written in, else their creator's country's default (:func:`default_language`),
    else English (reviewers, managers, admins without a choice)."""
    from .i18n import supported

    chosen = supported(language)
    if chosen:
        return chosen
    if creator_id:
        from .creators import creator_country
        from .errors import NotFound

        try:
            return supported(default_language(creator_country(creator_id))) or FALLBACK_LANGUAGE
        except NotFound:
            return FALLBACK_LANGUAGE
    return FALLBACK_LANGUAGE


def user_locale(creator_id: str | None, region_locale: str, language: str | None = None) -> str:
    """The locale of a signed-in user: a creator account's creator's country (and ``language``,
    once chosen), anyone else the region's locale (or ``language``)."""
    country = None
    if creator_id:
        from control.directory import creator_country

        from .errors import NotFound

        try:
            country = creator_country(creator_id)
        except NotFound:
            country = None
    return locale_for(language, country, region_locale)
