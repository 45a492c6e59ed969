"""CSV downloads that spreadsheet programs cannot turn into formulas.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed
gets a leading apostrophe (OWASP's CSV-injection advice; Gumroad writes its own exports the
same way). Column names are guarded too. Numbers, Decimals, dates and times are written as
values and never prefixed: ``-5.00`` stays a number. Files are UTF-8 with a byte-order mark so
Excel reads non-Latin product names correctly.

With a reader's ``locale`` a file follows that reader's spreadsheet conventions: where the
decimal mark is a comma (French, …) cells are separated by ``;`` and decimals written with a
comma, so French Excel opens it in columns with numbers it can add; dates are written in the
locale's own order with a four-digit year (``07/12/2026``, ``07/12/2026 18:17``) except in
English, which keeps ISO 8601 (what English spreadsheets read without asking). Digits stay
Latin (0-9): spreadsheets read no others as numbers. Without a locale: commas and ISO dates.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from babel.dates import format_date, format_datetime

from warehouse import locales
from warehouse.cells import TRIGGERS, formula_risk

__all__ = ["TRIGGERS", "guard_cell", "rows_to_csv"]


def guard_cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet: text that could start a formula (``warehouse/cells.py``:
    full-width signs and bidi controls included) gets a leading ``'``; anything that is not
    text is returned unchanged."""
    if isinstance(value, str) and formula_risk(value):
        return "'" + value
    return value


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


def _cell(value: Any, conv: Conventions | None = None) -> Any:
    if value is None or _missing(value):
        return ""
    if isinstance(value, str):
        return guard_cell(value)
    if isinstance(value, bytes):
        return guard_cell(value.decode("utf-8", "replace"))
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
    return guard_cell(str(value))  # lists, dicts, anything else: as text, guarded


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
    writer.writerow([guard_cell(str(h)) for h in header])
    for row in rows:
        writer.writerow([_cell(v, conv) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def to_csv_bytes(df: Any, locale: str | None = None) -> bytes:
    """CSV bytes of a pandas DataFrame (index left out), every text cell guarded."""
    return rows_to_csv(list(df.columns), df.itertuples(index=False, name=None), locale)
