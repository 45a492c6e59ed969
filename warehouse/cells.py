"""Text cells a spreadsheet program cannot turn into a formula (CSV downloads, payout
statements): one rule, used by ``app/export.py`` and ``warehouse/payouts/statements.py``; and
the reader's spreadsheet conventions those files are written in (``conventions``, ``cell``,
``rows_to_csv``: separator, decimal mark, day order; see ``app/export.py``'s docstring).

A cell is dangerous when, once the invisible characters a spreadsheet ignores or that only
steer the display are set aside (bidi controls such as U+202E, zero-width spaces, a BOM,
no-break spaces), it starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line
feed — in any width: full-width ``＝`` ``＋`` ``－`` ``＠`` are read as the same by some programs
(NFKC folds them). Such a cell gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from babel.dates import format_date, format_datetime

from . import locales

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: characters set aside before the first visible one is checked
_INVISIBLE = re.compile(r"^[\u00a0\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]+")


def formula_risk(text: str) -> bool:
    """Whether ``text`` could be read as a formula by a spreadsheet program."""
    if text.startswith(TRIGGERS):
        return True
    rest = _INVISIBLE.sub("", text)
    return bool(rest) and unicodedata.normalize("NFKC", rest[:1]).startswith(TRIGGERS)


def guard_text(text: str) -> str:
    """``text`` with a leading apostrophe when it could be read as a formula."""
    return "'" + text if formula_risk(text) else text


@dataclass(frozen=True)
class Conventions:
    """How a reader's spreadsheet reads a CSV: cell separator, decimal mark, date patterns."""

    delimiter: str = ","
    decimal: str = "."
    date_pattern: str | None = None  # Babel pattern; None: ISO 8601
    time_pattern: str = "HH:mm"


def conventions(locale: str | None) -> Conventions:
    """The CSV conventions of ``locale`` (``None``: commas, dots, ISO dates)."""
    if not locale:
        return Conventions()
    loc = locales.parse(locale)
    decimal = str(loc.number_symbols.get("latn", {}).get("decimal", "."))
    if loc.language == "en":
        return Conventions(decimal=decimal)
    short = str(loc.date_formats["short"].pattern)
    pattern = re.sub(r"y+", "yyyy", short)
    pattern = re.sub(r"(?<!d)d(?!d)", "dd", pattern)
    pattern = re.sub(r"(?<!M)M(?!M)", "MM", pattern)
    return Conventions(delimiter=";" if decimal == "," else ",", decimal=decimal, date_pattern=pattern)


def cell(value: Any, conv: Conventions | None = None) -> Any:
    """``value`` as a CSV cell: text guarded against formulas, numbers and dates written in
    ``conv``'s conventions (ISO dates and dot decimals without)."""
    if value is None or _missing(value):
        return ""
    if isinstance(value, str):
        return guard_text(value)
    if isinstance(value, bytes):
        return guard_text(value.decode("utf-8", "replace"))
    if isinstance(value, (bool, np.bool_)):
        return value
    if isinstance(value, (int, float, Decimal, np.integer, np.floating)):
        if conv is not None and conv.decimal != "." and not isinstance(value, (int, np.integer)):
            return str(value).replace(".", conv.decimal)
        return value
    if conv is not None and conv.date_pattern and isinstance(value, (date, datetime, pd.Timestamp)):
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        if isinstance(value, datetime):
            return format_datetime(value, f"{conv.date_pattern} {conv.time_pattern}", locale="en")
        return format_date(value, conv.date_pattern, locale="en")  # digits and order only: no words
    if isinstance(value, (date, datetime)) or hasattr(value, "isoformat"):
        return value.isoformat()  # dates and pandas timestamps: never a formula
    return guard_text(str(value))  # lists, dicts, anything else: as text, guarded


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # array-like values are not "missing"
        return False


def rows_to_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]], locale: str | None = None) -> bytes:
    """CSV bytes (UTF-8 with BOM) of ``header`` and ``rows``, every text cell guarded, in the
    conventions of ``locale`` (see the module's docstring)."""
    conv = conventions(locale) if locale else None
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", delimiter=conv.delimiter if conv else ",")
    writer.writerow([guard_text(str(h)) for h in header])
    for row in rows:
        writer.writerow([cell(v, conv) for v in row])
    return buf.getvalue().encode("utf-8-sig")
