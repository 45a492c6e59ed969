"""Text cells a spreadsheet program cannot turn into a formula (CSV downloads, payout
statements): one rule, used by ``app/export.py`` and ``warehouse/payouts/statements.py``.

A cell is dangerous when, once the invisible characters a spreadsheet ignores or that only
steer the display are set aside (bidi controls such as U+202E, zero-width spaces, a BOM,
no-break spaces), it starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line
feed — in any width: full-width ``＝`` ``＋`` ``－`` ``＠`` are read as the same by some programs
(NFKC folds them). Such a cell gets a leading apostrophe.
"""

from __future__ import annotations

import re
import unicodedata

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
