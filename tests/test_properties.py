"""Property: for any mix of good, bad, null-laden, non-sale and already-known rows, every row
of the file ends up in exactly one place — sales, flagged_rows, skipped_rows or "already
known" — the counts add up (invariant 2), and each row lands where its content says it should.
Real DuckDB files and the real GX suite; each example is one or two real ingests."""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse
from warehouse.ingest import ingest_file

OP = Actor.operator()
REGION = "west-africa"
COLUMNS = ("order_id", "date", "product", "quantity", "amount", "currency", "buyer_country", "status")
#: columns whose absence makes a row fail validation (quantity defaults to 1, country is optional)
REQUIRED = {"order_id", "date", "product", "amount", "currency"}
EXPONENT = {"NGN": 2, "USD": 2, "GHS": 2, "XOF": 0}


@dataclass
class Row:
    cells: dict[str, str]
    expect: str  # loaded | flagged | skipped | known


# --- strategies ---------------------------------------------------------------------------------


def amount_text(currency: str, units: int, cents: int, grouped: bool) -> str:
    whole = f"{units:,}" if grouped else str(units)
    return whole if EXPONENT[currency] == 0 else f"{whole}.{cents:02d}"


@st.composite
def good_cells(draw: st.DrawFn) -> dict[str, str]:
    currency = draw(st.sampled_from(sorted(EXPONENT)))
    return {
        "date": f"2025-{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d}",
        "product": draw(st.sampled_from(["Template", "Wax, print", 'Say "hi"', "Café crème", "Pack\nof two"])),
        "quantity": str(draw(st.integers(1, 5))),
        "amount": amount_text(currency, draw(st.integers(0, 2_000_000)), draw(st.integers(0, 99)), draw(st.booleans())),
        "currency": currency,
        "buyer_country": draw(st.sampled_from(["NG", "SN", "GH", "US", "Nigeria", ""])),
        "status": draw(st.sampled_from(["paid", "completed", ""])),
    }


BAD = {
    "negative": lambda c, d: {**c, "amount": "-" + c["amount"]} if c["amount"].strip("0.,") else {**c, "amount": "-5"},
    "not a number": lambda c, d: {**c, "amount": d(st.sampled_from(["twelve", "1.2.3", "--", "12..5"]))},
    "bad currency": lambda c, d: {**c, "currency": d(st.sampled_from(["ZZZ", "NGX", "dollars"]))},
    "bad date": lambda c, d: {**c, "date": d(st.sampled_from(["2025-13-45", "not a date", "2025-02-30"]))},
    "no order id": lambda c, d: {**c, "order_id": ""},
    "xof fraction": lambda c, d: {**c, "currency": "XOF", "amount": f"{d(st.integers(1, 99999))}.5"},
}
KINDS = ["good", "good", "good", *BAD, "nulls", "failed", "dup", "known"]


@st.composite
def files(draw: st.DrawFn) -> tuple[str, list[Row], list[Row]]:
    """(an id for this example, base rows loaded first, rows of the file under test)."""
    prefix = uuid.uuid4().hex[:8]
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=30))
    base: list[Row] = []
    rows: list[Row] = []
    for n, kind in enumerate(kinds):
        oid = f"{prefix}-{n}"
        cells = {"order_id": oid, **draw(good_cells())}
        if kind == "good":
            rows.append(Row(cells, "loaded"))
        elif kind in BAD:
            rows.append(Row(BAD[kind](cells, draw), "flagged"))
        elif kind == "nulls":
            blank = draw(st.sets(st.sampled_from(COLUMNS), min_size=1))
            cells = {k: ("" if k in blank else v) for k, v in cells.items()}
            if blank == set(COLUMNS):
                expect = "skipped"  # an empty row
            elif blank & REQUIRED:
                expect = "flagged"
            else:
                expect = "loaded"
            rows.append(Row(cells, expect))
        elif kind == "failed":  # not a sale, whatever else is wrong with it
            cells = {**cells, "status": draw(st.sampled_from(["failed", "Abandoned", "cancelled"]))}
            if draw(st.booleans()):
                cells = BAD[draw(st.sampled_from(sorted(BAD)))](cells, draw)
            rows.append(Row(cells, "skipped"))
        elif kind == "dup":  # the same order twice in one file: both flagged
            rows.append(Row(cells, "flagged"))
            rows.append(Row({**cells, **draw(good_cells()), "order_id": oid}, "flagged"))
        elif kind == "known":  # loaded before from an overlapping export
            base.append(Row({"order_id": oid, **draw(good_cells())}, "loaded"))
            rows.append(Row(cells, "known"))
    return prefix, base, draw(st.permutations(rows))


def csv_of(rows: list[Row], lineterminator: str = "\n") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=lineterminator)
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([r.cells[c] for c in COLUMNS])
    return buf.getvalue().encode()


# --- the property ---------------------------------------------------------------------------


def row_numbers(table: str, upload_id: str) -> list[int]:
    return [n for (n,) in warehouse(REGION).rows(f"SELECT row_number FROM {table} WHERE upload_id = ?", [upload_id])]


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files())
def test_every_row_is_counted_exactly_once(example):
    prefix, base, rows = example
    creator = f"ng-{prefix}"  # its own creator: files of earlier examples are not duplicates
    add_creator(OP, creator, "NG", "Property")
    base_ids: set[str] = set()
    if base:
        # CRLF: never byte-identical to the file under test, which would be a duplicate
        first = ingest_file(OP, creator, "base.csv", csv_of(base, "\r\n"))
        assert (first.status, first.rows_loaded) == ("loaded", len(base)), first.message
        base_ids = {r.cells["order_id"] for r in base}

    res = ingest_file(OP, creator, "mix.csv", csv_of(rows))
    assert res.status == "loaded", res.message
    total, loaded, flagged, skipped, known = warehouse(REGION).one(
        "SELECT rows_total, rows_loaded, rows_flagged, rows_skipped, rows_known FROM uploads WHERE upload_id = ?",
        [res.upload_id],
    )
    assert total == len(rows)
    assert total == loaded + flagged + skipped + known

    in_sales = row_numbers("sales", res.upload_id)
    in_flagged = row_numbers("flagged_rows", res.upload_id)
    in_skipped = row_numbers("skipped_rows", res.upload_id)
    assert (len(in_sales), len(in_flagged), len(in_skipped)) == (loaded, flagged, skipped)
    placed = Counter(in_sales + in_flagged + in_skipped)
    assert all(n == 1 for n in placed.values()), "a row was stored twice"
    assert set(placed) <= set(range(1, total + 1))
    in_known = set(range(1, total + 1)) - set(placed)
    assert len(in_known) == known  # so the multiset of all four is exactly 1..rows_total

    # each row went where its content says
    expected = {
        kind: {i for i, r in enumerate(rows, start=1) if r.expect == kind}
        for kind in ("loaded", "flagged", "skipped", "known")
    }
    assert set(in_sales) == expected["loaded"]
    assert set(in_flagged) == expected["flagged"]
    assert set(in_skipped) == expected["skipped"]
    assert in_known == expected["known"]
    # "known" rows really are orders of this creator loaded by the earlier upload
    assert {rows[i - 1].cells["order_id"] for i in in_known} <= base_ids
    if in_known:
        assert warehouse(REGION).one(
            "SELECT count(*) FROM sales WHERE creator_id = ? AND order_id IN (SELECT unnest(?::VARCHAR[]))",
            [creator, [rows[i - 1].cells["order_id"] for i in in_known]],
        )[0] == len(in_known)
    # and no order key is ever loaded twice
    assert (
        warehouse(REGION).rows("SELECT creator_id, source, order_id, line FROM sales GROUP BY ALL HAVING count(*) > 1")
        == []
    )
