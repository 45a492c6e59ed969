"""CSV downloads that spreadsheet programs cannot turn into formulas.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed
gets a leading apostrophe (OWASP's CSV-injection advice; Gumroad writes its own exports the
same way). Column names are guarded too. Numbers, Decimals, dates and times are written as
values and never prefixed: ``-5.00`` stays a number. Files are UTF-8 with a byte-order mark so
Excel reads non-Latin product names correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from warehouse.cells import TRIGGERS, formula_risk

__all__ = ["TRIGGERS", "guard_cell", "rows_to_csv"]


def guard_cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet: text that could start a formula (``warehouse/cells.py``:
    full-width signs and bidi controls included) gets a leading ``'``; anything that is not
    text is returned unchanged."""
    if isinstance(value, str) and formula_risk(value):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None or _missing(value):
        return ""
    if isinstance(value, str):
        return guard_cell(value)
    if isinstance(value, bytes):
        return guard_cell(value.decode("utf-8", "replace"))
    if isinstance(value, (bool, int, float, Decimal, np.integer, np.floating, np.bool_)):
        return value
    if isinstance(value, (date, datetime)) or hasattr(value, "isoformat"):
        return value.isoformat()  # dates and pandas timestamps: never a formula
    return guard_cell(str(value))  # lists, dicts, anything else: as text, guarded


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # array-like values are not "missing"
        return False


def rows_to_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV bytes (UTF-8 with BOM) of ``header`` and ``rows``, every text cell guarded."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([guard_cell(str(h)) for h in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def to_csv_bytes(df: Any) -> bytes:
    """CSV bytes of a pandas DataFrame (index left out), every text cell guarded."""
    return rows_to_csv(list(df.columns), df.itertuples(index=False, name=None))
