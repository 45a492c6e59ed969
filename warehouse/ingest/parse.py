"""Parsing text cells into canonical values, in SQL so a million rows take a second.

Number and date *styles* are decided per column from the column's own values (a 25 in the
first position of a date settles day-first), then applied to every row by DuckDB. A cell that
does not parse becomes NULL and the validation suite flags the row with a reason; nothing is
guessed per cell, nothing is rounded.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import duckdb

from ..money import LOCAL_THREE_LETTER, SYMBOL_OR_CODE_PATTERN, SYMBOL_PATTERN, SYMBOLS

# Bengali, Extended Arabic-Indic and Arabic-Indic digits; Arabic separators; the minus sign
_DIGITS_FROM = "০১২৩৪৫৬৭৮৯۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫٬−"
_DIGITS_TO = "012345678901234567890123456789.,-"
_SYMBOLS = SYMBOL_PATTERN + "|[A-Za-z]{3}"  # a symbol, a local spelling or a code, next to an amount
_STRIP = rf"({_SYMBOLS}|[\s\x{{00A0}}\x{{202F}}\x{{2009}}])"
_SHAPE = r"[-+]?\(?[-+]?([0-9][0-9.,']*|[.,][0-9]+)\)?[-+]?"

SYMBOL_CURRENCY = SYMBOLS  # the one table, in warehouse.money


def define_macros(cur: duckdb.DuckDBPyConnection) -> None:
    """Temporary SQL macros used by the parse query (per connection)."""
    # translate() costs ~1 s per million cells; ASCII text (strlen = length) has nothing to translate
    cur.execute(
        "CREATE OR REPLACE TEMP MACRO kw_digits(x) AS CASE WHEN strlen(x) = length(x) THEN x"
        f" ELSE translate(x, '{_DIGITS_FROM}', '{_DIGITS_TO}') END"
    )
    cur.execute(f"CREATE OR REPLACE TEMP MACRO kw_strip(x) AS regexp_replace(kw_digits(x), '{_STRIP}', '', 'g')")
    cur.execute(
        "CREATE OR REPLACE TEMP MACRO kw_unsigned(s, comma) AS CASE WHEN comma"
        " THEN replace(regexp_replace(s, '[.'']', '', 'g'), ',', '.')"
        " ELSE regexp_replace(s, '[,'']', '', 'g') END"
    )
    # DECIMAL(18,6) is int64-backed (a DECIMAL(38,x) cast is ~100x slower); digits past the sixth
    # decimal place that are not zero make the value unreadable rather than silently rounded
    cur.execute(
        "CREATE OR REPLACE TEMP MACRO kw_dec(u) AS CASE"
        " WHEN regexp_full_match(u, '[0-9]{0,12}(\\.[0-9]{1,6}0*)?') THEN TRY_CAST(u AS DECIMAL(18,6)) END"
    )
    cur.execute(
        "CREATE OR REPLACE TEMP MACRO kw_num_s(s, comma) AS CASE"
        f" WHEN regexp_full_match(s, '{_SHAPE.replace(chr(39), chr(39) * 2)}')"
        " THEN kw_dec(kw_unsigned(regexp_replace(s, '[-+()]', '', 'g'), comma))"
        " * CASE WHEN regexp_matches(s, '[-(]') THEN -1 ELSE 1 END END"
    )
    # plain numbers skip the currency and separator clean-up entirely; they are tested before the
    # blank check, which a plain number never is (trim() costs as much as the test)
    cur.execute(
        "CREATE OR REPLACE TEMP MACRO kw_num(x, comma) AS CASE"
        " WHEN NOT comma AND regexp_full_match(x, '-?[0-9]{1,12}(\\.[0-9]{1,6})?')"
        " THEN TRY_CAST(x AS DECIMAL(18,6))"
        " WHEN x IS NULL OR trim(x) = '' THEN NULL"
        " ELSE kw_num_s(kw_strip(x), comma) END"
    )
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in SYMBOL_CURRENCY.items())
    local3 = ", ".join(f"'{k}'" for k in LOCAL_THREE_LETTER)
    cur.execute(
        "CREATE OR REPLACE TEMP MACRO kw_currency(x) AS CASE"
        # the fast path for ISO codes must not swallow three-letter local spellings (Ksh, CFA, GHC)
        f" WHEN regexp_full_match(x, '[A-Za-z]{{3}}') AND upper(x) NOT IN ({local3}) THEN upper(x) ELSE CASE"
        f" upper(trim(regexp_replace(x, '[\\s\\x{{00A0}}\\x{{202F}}]+', ' ', 'g'))) {cases}"
        " ELSE upper(trim(x)) END END"
    )
    cur.execute(
        "CREATE OR REPLACE TEMP MACRO kw_symbol(x) AS nullif(regexp_extract(kw_digits(x),"
        f" '({SYMBOL_OR_CODE_PATTERN})', 1), '')"
    )
    # text is normalised before keys are built: NFC, control characters (NUL, ESC of ANSI colour
    # codes; not tab or line breaks, which multi-line cells hold) become spaces, zero-width
    # characters go, so "A\u200b1" and "A1" are one order id;
    # ASCII text without control characters (nearly every cell) skips the regular expressions
    cur.execute(
        "CREATE OR REPLACE TEMP MACRO kw_clean(x) AS CASE"
        " WHEN strlen(x) = length(x) AND NOT regexp_matches(x, '[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]') THEN x"
        " ELSE nfc_normalize(regexp_replace(regexp_replace(x, '[\\x{200B}-\\x{200F}\\x{2060}\\x{FEFF}]', '', 'g'),"
        " '[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]+', ' ', 'g')) END"
    )
    # Gumroad writes a leading apostrophe before cells starting with = + - @ (formula guard).
    # ASCII text (for which trim() removes only spaces) with no control character, no space at
    # either end and no leading apostrophe (nearly every cell) is its own text: testing that
    # costs half of what trim() and the regular expressions cost
    cur.execute(
        "CREATE OR REPLACE TEMP MACRO kw_text(x) AS nullif(CASE"
        " WHEN strlen(x) = length(x) AND NOT (starts_with(x, ' ') OR suffix(x, ' ') OR starts_with(x, ''''))"
        " AND NOT regexp_matches(x, '[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]') THEN x"
        " ELSE trim(regexp_replace(kw_clean(x), '^''([=+\\-@\\t\\r])', '\\1')) END, '')"
    )
    cur.execute(
        # the regular expression runs only on the few cells ending in a zone name; ASCII text with
        # no space at either end and no zone name (nearly every cell) is read as it is
        "CREATE OR REPLACE TEMP MACRO kw_date_text(x) AS CASE"
        " WHEN strlen(x) = length(x) AND NOT (starts_with(x, ' ') OR suffix(x, ' ') OR suffix(x, 'Z')"
        " OR suffix(x, 'UTC') OR suffix(x, 'GMT')) THEN x"
        " WHEN suffix(rtrim(x), 'Z') OR suffix(rtrim(x), 'UTC') OR suffix(rtrim(x), 'GMT')"
        " THEN regexp_replace(trim(kw_digits(x)), '\\s*(UTC|GMT|Z)$', ' +0000')"
        " ELSE trim(kw_digits(x)) END"
    )


# --- number style -----------------------------------------------------------------------------

_DIG = str.maketrans(_DIGITS_FROM, _DIGITS_TO)
_STRIP_PY = re.compile(rf"({_SYMBOLS}|[\s\u00a0\u202f\u2009])")


def number_style(values: list[str]) -> tuple[str, bool]:
    """("dot" | "comma", ambiguous) for a column, from how its values end."""
    votes: Counter[str] = Counter()
    ambiguous = False
    for v in values:
        s = _STRIP_PY.sub("", v.translate(_DIG)).strip("-+()")
        if re.search(r"\d\.\d{3},\d*$", s) or re.search(r",\d{1,2}$", s) or re.search(r"\d\.\d{3}\.\d{3}", s):
            votes["comma"] += 1
        elif re.search(r"\d,\d{3}\.\d*$", s) or re.search(r"\.\d{1,2}$", s) or re.search(r"\d,\d{3},\d{3}", s):
            votes["dot"] += 1
        elif re.search(r"\d[.,]\d{3}$", s):
            ambiguous = True
        elif re.search(r"\.\d+$", s):
            votes["dot"] += 1
        elif re.search(r",\d+$", s):
            votes["comma"] += 1
    if votes["comma"] > votes["dot"]:
        return "comma", False
    return "dot", ambiguous and not votes


# --- date formats -------------------------------------------------------------------------------

_DATES = {
    "ymd": ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"],
    "dmy": ["%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d-%m-%y", "%d.%m.%y"],
    "mdy": ["%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%m-%d-%y"],
    "named": ["%d-%b-%y", "%d-%b-%Y", "%d %b %Y", "%b %d, %Y", "%d %B %Y", "%B %d, %Y"],
}
_TIMES = ["", " %H:%M:%S", " %H:%M", "T%H:%M:%S", "T%H:%M:%S.%f", " %H:%M:%S.%f", " %I:%M:%S %p",
          " %I:%M %p", "T%H:%M"]
_ZONES = ["", " %z", "%z"]
_UTC = re.compile(r"\s*(UTC|GMT|Z)$")


def _norm_date(v: str) -> str:
    return _UTC.sub(" +0000", v.strip().translate(_DIG))  # Bengali or Urdu digits read as 0-9


@dataclass(frozen=True)
class DateChoice:
    formats: tuple[str, ...]  # strptime formats, tried in order
    order: str  # ymd | dmy | mdy | named
    assumption: str | None  # said to the user when the column was ambiguous


#: each strptime directive widened: numbers (optionally space-padded), names, offsets
_LOOSE = dict.fromkeys("YymdHIMSf", r" ?\d{1,6}") | dict.fromkeys("bBp", r"[^\d\s]+") | {
    "z": r"(?:[+-]\d\d:?\d\d(?::?\d\d(?:\.\d{1,6})?)?|Z)", "%": "%"}


@lru_cache(maxsize=1024)
def _loose(fmt: str) -> re.Pattern[str]:
    """A regex that accepts at least what ``strptime(v, fmt)`` accepts (each directive widened),
    so most formats are ruled out at regex speed before strptime is tried."""
    out, i = [], 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            out.append(_LOOSE.get(fmt[i + 1], ".*?"))  # a directive not listed here: anything
            i += 2
            continue
        if ch.isspace():  # strptime reads a run of whitespace in the format as \s+
            out.append(r"\s+")
            while i < len(fmt) and fmt[i].isspace():
                i += 1
            continue
        out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE)


def _parses(fmt: str, v: str) -> bool:
    if not _loose(fmt).fullmatch(v):
        return False
    try:
        datetime.strptime(v, fmt)
    except ValueError:
        return False
    return True


def date_formats(values: list[str], preferred: str = "dmy", forced: str | None = None) -> DateChoice | None:
    """The formats that read a date column, deciding day- or month-first for the whole column."""
    vals = [_norm_date(v) for v in dict.fromkeys(values) if v and v.strip()]
    if not vals:
        return None
    if forced:
        # the profile's format is a hint: it wins when it reads the column, otherwise the values
        # decide (an Etsy file re-saved by a spreadsheet comes back as M/D/YYYY or ISO)
        if all(_parses(forced, v) for v in vals[:500]):
            return DateChoice((forced,), "given", None)
        preferred = "mdy" if forced.startswith("%m") else "dmy" if forced.startswith("%d") else preferred
    counts: dict[str, int] = {}
    for dates in _DATES.values():
        for d in dates:
            for t in _TIMES:
                for z in _ZONES:
                    fmt = d + t + z
                    if not _parses(fmt, vals[0]) and not any(_parses(fmt, v) for v in vals[1:50]):
                        continue
                    counts[fmt] = sum(1 for v in vals if _parses(fmt, v))
    if not counts:
        return None
    def order_of(fmt: str) -> str:
        return next(o for o, ds in _DATES.items() if any(fmt.startswith(d) for d in ds))
    by_order: Counter[str] = Counter()
    for fmt, n in counts.items():
        by_order[order_of(fmt)] = max(by_order[order_of(fmt)], n)
    best = max(by_order.values())
    tied = [o for o, n in by_order.items() if n == best]
    assumption = None
    if "dmy" in tied and "mdy" in tied:
        order = preferred if preferred in ("dmy", "mdy") else "dmy"
        sample = next((v for v in vals if re.match(r"\d{1,2}[/.-]\d{1,2}", v)), vals[0])
        first = "day" if order == "dmy" else "month"
        assumption = (f"Dates like {sample} were read {first} first: no value in the column settles it "
                      "(a number above 12 in the first or second place would).")
    else:
        order = tied[0] if len(tied) == 1 else sorted(tied, key=["ymd", "dmy", "mdy", "named"].index)[0]
    fmts = sorted((f for f in counts if order_of(f) == order), key=lambda f: -counts[f])
    return DateChoice(tuple(fmts[:6]), order, assumption)


def dates_share(values: list[str]) -> float:
    """The share of ``values`` (blanks left out) that read as dates in the column's best format:
    how a column chosen by its header is confirmed to hold dates."""
    vals = [_norm_date(v) for v in values if v and v.strip()][:500]
    choice = date_formats(vals) if vals else None
    if not choice:
        return 0.0
    return sum(1 for v in vals if any(_parses(f, v) for f in choice.formats)) / len(vals)


def date_sql(expr: str, choice: DateChoice, timezone: str, zone_expr: str | None = None) -> str:
    """A TIMESTAMPTZ expression reading ``expr`` with the chosen formats (NULL when none fits).

    A value with its own offset (``%z``) keeps it. Otherwise the time is local to the file's
    time-zone column (``zone_expr``, its text) where it has one — an abbreviation from
    ``data/zones.csv`` (PST, CEST, …: a fixed offset) or an IANA name (America/Los_Angeles) — and
    to the profile's ``timezone`` elsewhere. A zone the column names that Kasuwa does not know
    gives NULL: the row is flagged (date not understood), never read in a guessed zone."""
    tz = timezone.replace("'", "")

    def in_zone(local: str) -> str:
        # UTC needs no zone rules: the instant is the local time's microseconds since 1970, which
        # costs half of timezone('UTC', …) and reads the same
        if tz in ("UTC", "Etc/UTC"):
            return f"make_timestamptz(epoch_us({local}))"
        return f"timezone('{tz}', {local})"

    parts = []
    for fmt in choice.formats:
        f = fmt.replace("'", "''")
        if "%z" in fmt:
            parts.append(f"try_strptime(kw_date_text({expr}), '{f}')::TIMESTAMPTZ")
            continue
        local = f"try_strptime(kw_date_text({expr}), '{f}')::TIMESTAMP"
        if zone_expr is None:
            parts.append(in_zone(local))
        else:
            parts.append(
                f"CASE WHEN {zone_expr} IS NULL OR trim({zone_expr}) = '' THEN {in_zone(local)}"
                f" WHEN kz.minutes IS NOT NULL THEN make_timestamptz(epoch_us({local} - to_minutes(kz.minutes)))"
                f" WHEN kn.name IS NOT NULL THEN timezone(kn.name, {local}) END"
            )
    return "coalesce(" + ", ".join(parts) + ")" if len(parts) > 1 else parts[0]


#: a currency symbol or code inside an amount cell ("₦1,500", "1 234 F CFA", "USD 12.50")
SYMBOL_RE = re.compile(f"({SYMBOL_OR_CODE_PATTERN})")
