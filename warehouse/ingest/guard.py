"""Memory bounded by design (invariant 13): what an upload may cost is decided before Great
Expectations sees a row.

Great Expectations lists every failing row of every expectation; its pandas engine does it
one row at a time (a 4 MB file of 2M one-character lines took 187 s and 4.6 GB before the
review cap refused it). So, once the rows are parsed and before they are validated
(``check_before_validation``, called once by the pipeline):

- **rows per MiB** (text files; xlsx and parquet are compressed): a sale needs an order id,
  a date, an amount, separators — at least ``MIN_ROW_BYTES`` bytes. A file whose rows are
  shorter on average, past the review cap's own row count, is no sales export and is refused
  at once.
- **the review cap, counted in SQL**: rows that surely fail the suites that apply (a required
  value missing, outside its set or range, an order id repeated, a check column false) are
  counted by DuckDB (bounded by its own memory limit); more than the review cap allows and the
  file is refused without being validated, with the words the cap uses after validation.

Validation itself stops at the first chunk past the cap (``pipeline.validate_rows``), so the
per-row reasons kept in memory never exceed the cap by more than one chunk.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from ..errors import FileRejected, RegionUnavailable
from ..i18n import N_
from ..settings import settings
from .sale import FRAME_COLUMNS
from .validate import SUITES_DIR

#: fewest bytes a row of sales can take on average ("a,2025-1-1,1,NGN" is 16)
MIN_ROW_BYTES = 12


@lru_cache(maxsize=1)
def _base_suite() -> tuple[dict[str, Any], ...]:
    return (json.loads((SUITES_DIR / "base.json").read_text(encoding="utf-8")),)


def _sure_failures(docs: Sequence[dict[str, Any]]) -> tuple[tuple[str, str, str], ...]:
    """(reason, SQL condition, join it needs or '') under which a row surely fails the suites
    ``docs`` (never a row they pass), with the suites' own words for it: a not-null expectation
    on a NULL, an in-set on a value outside the set, a between on a value past it. A set is
    looked up by a hash join on its values: a 180-code ``NOT IN`` list on every row cost ten times
    more (0.13 s against 0.013 s on 1M rows)."""
    out: list[tuple[str, str, str]] = []
    for e in (e for doc in docs for e in doc.get("expectations", [])):
        kind, kw = e.get("type"), e.get("kwargs", {})
        col = kw.get("column")
        if col not in FRAME_COLUMNS or kw.get("row_condition"):  # a condition of its own: not sure
            continue
        reason = e.get("meta", {}).get("reason", kind)
        values = kw.get("value_set")
        if kind == "expect_column_values_to_not_be_null":
            out.append((reason, f"c.{col} IS NULL", ""))
        elif kind == "expect_column_values_to_be_in_set" and values == [True]:
            out.append((reason, f"c.{col} IS FALSE", ""))
        elif kind == "expect_column_values_to_be_in_set" and values and all(isinstance(v, str) for v in values):
            listed = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
            alias = f"set{len(out)}"
            join = f" LEFT JOIN (SELECT DISTINCT unnest([{listed}]) AS v) {alias} ON {alias}.v = c.{col}::VARCHAR"
            out.append((reason, f"(c.{col} IS NOT NULL AND {alias}.v IS NULL)", join))
        elif kind == "expect_column_values_to_be_between":
            if isinstance(kw.get("max_value"), int | float):
                out.append((reason, f"c.{col} > {kw['max_value']}", ""))
            if isinstance(kw.get("min_value"), int | float):
                out.append((reason, f"c.{col} < {kw['min_value']}", ""))
    return tuple(out)


def _refuse(count: int, total: int, cap: int, reasons: list[tuple[str, int]]) -> FileRejected:
    """The review cap's own refusal (``pipeline._check_review_cap``), from counts made in SQL."""
    common = "; ".join(N_("%(reason)s (%(count)s rows)", reason=text, count=format(n, ","))
                       for text, n in sorted(reasons, key=lambda r: -r[1])[:3] if n)
    return FileRejected(
        N_("This file looks wrong: %(count)s of its %(total)s rows would need a reviewer, more than the %(cap)s one "
           "upload may send. Most common reasons: %(reasons)s. Nothing was loaded (the file is kept). Check that it "
           "is the sales export itself, as the platform gave it, and that the columns chosen for it are the right "
           "ones, then upload it again.", count=format(count, ","), total=format(total, ","),
           cap=format(cap, ","), reasons=common))


def check_before_validation(cur: Any, checks: str, rows: int, size: int,
                            suites: Sequence[dict[str, Any]] | None = None, kind: str = "csv") -> None:
    """Raise ``FileRejected`` when the parsed rows in ``checks`` (the view the suite reads, of
    ``rows`` rows, from a file of ``size`` bytes, of reader ``kind``) would cost more than one
    upload may: rows too short to be sales (text files only: xlsx and parquet are compressed),
    or more rows surely failing the ``suites`` (GX JSON documents; default: the base suite)
    than the review cap allows."""
    cap = settings().review_cap(rows)
    if kind in ("csv", "json") and rows > cap and size / rows < MIN_ROW_BYTES:
        raise FileRejected(
            N_("This file looks wrong: its %(rows)s rows are %(bytes)s bytes long on average, too short to be sales "
               "(an order id, a date and an amount take more). Nothing was loaded (the file is kept). Check that it "
               "is the sales export itself, as the platform gave it, then upload it again.",
               rows=format(rows, ","), bytes=format(round(size / rows, 1))))
    conditions = _sure_failures(suites if suites is not None else _base_suite())
    if not conditions or rows <= cap:
        return
    by_reason: dict[str, list[str]] = {}
    for reason, condition, _join in conditions:
        by_reason.setdefault(reason, []).append(condition)
    texts = list(by_reason)
    counts = ", ".join(f"count_if({' OR '.join(by_reason[t])})" for t in texts)
    joins = "".join(j for _, _, j in conditions)
    found = cur.execute(f"SELECT count_if({' OR '.join(c for _, c, _ in conditions)}), {counts} FROM {checks} c"
                        f"{joins} WHERE c.skip_reason IS NULL").fetchone()
    failing = int(found[0]) if found and found[0] else 0
    if failing > cap:
        raise _refuse(failing, rows, cap, [(t, int(n or 0)) for t, n in zip(texts, found[1:], strict=True)])


def raise_if_disk_full(exc: BaseException) -> None:
    """Raise ``RegionUnavailable`` in words, from ``exc``, when it says the disk is full (DuckDB
    or the operating system): the cause people must hear, not the library's rollback error."""
    text = str(exc).lower()
    if getattr(exc, "errno", None) == 28 or "no space left" in text or "disk is full" in text:
        raise RegionUnavailable(N_("The server's disk is full, so nothing was loaded. Tell the operator; once there "
                                   "is room again, upload the file again.")) from exc
