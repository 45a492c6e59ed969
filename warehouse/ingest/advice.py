"""What a creator can do about the rows of a file that wait for a reviewer — by why each was
flagged, not one sentence for all.

A row Kasuwa could not tell was a sale (an unpaid attempt, a status or kind of entry it does not
know: the ``kind_unknown`` rule, "a person decides") has nothing to fix in the platform; a
negative amount is most often a discount or a refund line, which a reviewer weighs against its
sale; a repeated order line is the reviewer's to keep or drop; only a value the file got wrong
(a missing or unreadable date, amount, currency …) is worth mending at the source and exporting
again. The sentences are catalogue messages (``N_``) with their counts, translated where shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from ..i18n import N_
from .validate import ASK_RULE

#: kinds of flag, most common advice first; each: (rules that make a row this kind, sentence)
ASKED = "asked"
NEGATIVE = "negative"
REPEATED = "repeated"
DATES = "dates"
FIX = "fix"

ADVICE = {
    ASKED: N_("%(count)s row(s) may not be sales (an unpaid or unfinished payment, or a kind of entry Kasuwa does "
              "not know): a reviewer decides whether each is a sale. Nothing to fix in your file; a payment "
              "completed later loads from a later export."),
    NEGATIVE: N_("%(count)s row(s) have a negative amount, most often a discount, a refund or a correction line: a "
                 "reviewer decides how each changes its sale. Nothing to fix in your file."),
    REPEATED: N_("%(count)s row(s) repeat an order line already in this file: a reviewer keeps one of them. Check "
                 "that your export was not made twice into one file."),
    DATES: N_("%(count)s row(s) have a date in the future or before 1995: check the dates in your platform, or let "
              "the reviewer correct them."),
    FIX: N_("%(count)s row(s) miss a value or have one Kasuwa cannot read (a date, an amount, a currency …): fix "
            "them in your platform and export again, or let the reviewer correct them."),
}

_NEGATIVE = ("expect_column_values_to_be_between:gross_minor",)
_REPEATED = (":order_key_count",)
_DATES = ("expect_column_values_to_be_between:sold_at_age_days", "expect_column_values_to_be_between:sold_at_year")


def kind_of(rules: Sequence[str]) -> str:
    """One row's kind of flag from the rules it failed: asked first (nothing to fix), then the
    data problems, a value to fix at the source last."""
    text = " ".join(rules)
    if ASK_RULE in rules:
        return ASKED
    if any(r in text for r in _REPEATED):
        return REPEATED
    if any(r in text for r in _DATES):
        return DATES
    if rules and all(r in _NEGATIVE for r in rules):
        return NEGATIVE
    return FIX


def advice(rows_rules: Iterable[Sequence[str]]) -> list[tuple[str, int]]:
    """``(sentence msgid, count)`` per kind of flag among ``rows_rules`` (each flagged row's
    failed rules), the largest group first."""
    counts = Counter(kind_of(list(rules or ())) for rules in rows_rules)
    return [(ADVICE[kind], n) for kind, n in counts.most_common()]
