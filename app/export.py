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

from typing import Any

from warehouse.cells import TRIGGERS, conventions, formula_risk, rows_to_csv

__all__ = ["TRIGGERS", "conventions", "guard_cell", "rows_to_csv", "to_csv_bytes"]


def guard_cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet: text that could start a formula (``warehouse/cells.py``:
    full-width signs and bidi controls included) gets a leading ``'``; anything that is not
    text is returned unchanged."""
    if isinstance(value, str) and formula_risk(value):
        return "'" + value
    return value


def to_csv_bytes(df: Any, locale: str | None = None) -> bytes:
    """CSV bytes of a pandas DataFrame (index left out), every text cell guarded."""
    return rows_to_csv(list(df.columns), df.itertuples(index=False, name=None), locale)
