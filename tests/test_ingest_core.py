"""The core promises of an ingest, checked with SQL on real warehouse files and real GX:
duplicates load nothing, overlapping exports count each order once, every row is accounted
for, every failing row is flagged (not GX's sample) with its raw values and reasons in words,
and the upload keeps the validation result."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse
from warehouse.ingest import ingest_file, pipeline
from warehouse.settings import settings

OP = Actor.operator()
REGION = "west-africa"
HEADER = ["order_id", "date", "product", "quantity", "amount", "currency", "buyer_country", "status"]


@pytest.fixture(autouse=True)
def creators(data_dir):
    add_creator(OP, "ng-ada", "NG", "Ada")
    add_creator(OP, "gh-kofi", "GH", "Kofi")


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    def cell(v: str) -> str:
        return f'"{v}"' if ("," in v or '"' in v or "\n" in v) else v

    return ("\n".join(",".join(cell(c) for c in r) for r in [header, *rows]) + "\n").encode()


def sale(
    order: str,
    amount: str = "1500.00",
    currency: str = "NGN",
    date: str = "2025-07-01",
    product: str = "Template",
    qty: str = "1",
    country: str = "NG",
    status: str = "paid",
) -> list[str]:
    return [order, date, product, qty, amount, currency, country, status]


def accounting(upload_id: str) -> dict[str, int]:
    """The upload's counts and the rows actually in the warehouse, read with SQL alone."""
    row = warehouse(REGION).one(
        "SELECT u.rows_total, u.rows_loaded, u.rows_flagged, u.rows_skipped, u.rows_known,"
        " (SELECT count(*) FROM sales s WHERE s.upload_id = u.upload_id),"
        " (SELECT count(*) FROM flagged_rows f WHERE f.upload_id = u.upload_id),"
        " (SELECT count(*) FROM skipped_rows k WHERE k.upload_id = u.upload_id)"
        " FROM uploads u WHERE u.upload_id = ?",
        [upload_id],
    )
    assert row is not None
    keys = ("total", "loaded", "flagged", "skipped", "known", "sales", "flagged_rows", "skipped_rows")
    return dict(zip(keys, row, strict=True))


def assert_invariant_in_sql() -> None:
    """Invariant 2 over every loaded upload, in one SQL statement on the warehouse alone."""
    bad = warehouse(REGION).rows(
        "SELECT u.upload_id FROM uploads u"
        " LEFT JOIN (SELECT upload_id, count(*) n FROM sales GROUP BY 1) s USING (upload_id)"
        " LEFT JOIN (SELECT upload_id, count(*) n FROM flagged_rows GROUP BY 1) f USING (upload_id)"
        " LEFT JOIN (SELECT upload_id, count(*) n FROM skipped_rows GROUP BY 1) k USING (upload_id)"
        " WHERE u.status = 'loaded' AND (u.rows_total <> u.rows_loaded + u.rows_flagged + u.rows_skipped + u.rows_known"
        "   OR coalesce(s.n, 0) <> u.rows_loaded OR coalesce(f.n, 0) <> u.rows_flagged"
        "   OR coalesce(k.n, 0) <> u.rows_skipped)"
    )
    assert bad == []


# --- invariant 4: duplicates and overlaps -----------------------------------------------------


def test_same_file_twice_is_a_duplicate_and_loads_nothing():
    data = csv_bytes([sale(f"D-{i}") for i in range(20)] + [sale("D-bad", amount="-3.00")])
    first = ingest_file(OP, "ng-ada", "july.csv", data)
    assert (first.status, first.rows_loaded, first.rows_flagged) == ("loaded", 20, 1)
    second = ingest_file(OP, "ng-ada", "july (copy).csv", data)
    assert second.status == "duplicate"
    assert (second.rows_total, second.rows_loaded, second.rows_flagged) == (0, 0, 0)
    assert first.upload_id in second.message
    wh = warehouse(REGION)
    assert wh.one("SELECT count(*) FROM sales")[0] == 20
    assert wh.one("SELECT count(*) FROM flagged_rows")[0] == 1
    assert wh.rows("SELECT status, sha256, rows_loaded FROM uploads ORDER BY received_at") == [
        ("loaded", first.sha256, 20),
        ("duplicate", first.sha256, 0),
    ]
    assert [p.name for p in (settings().landing_dir / REGION).iterdir()] == [first.sha256]
    assert_invariant_in_sql()


def test_a_rejected_file_is_not_a_duplicate_when_sent_again():
    data = csv_bytes(
        [sale("R-1")],
        header=["order_id", "date", "product", "qty", "price paid", "currency", "buyer_country", "status"],
    )
    assert ingest_file(OP, "ng-ada", "r.csv", data).status == "rejected"
    again = ingest_file(OP, "ng-ada", "r.csv", data, mapping={"gross": "price paid"})
    assert (again.status, again.rows_loaded) == ("loaded", 1)


def test_overlapping_export_counts_each_order_once():
    june = ingest_file(OP, "ng-ada", "jan-jun.csv", csv_bytes([sale(f"O-{i}") for i in range(1, 101)]))
    july = ingest_file(OP, "ng-ada", "jun-jul.csv", csv_bytes([sale(f"O-{i}") for i in range(51, 151)]))
    assert (june.rows_loaded, june.rows_known) == (100, 0)
    assert (july.rows_total, july.rows_loaded, july.rows_known, july.rows_flagged) == (100, 50, 50, 0)
    assert "50 already known" in july.message
    wh = warehouse(REGION)
    assert wh.one("SELECT count(*), count(DISTINCT order_id) FROM sales") == (150, 150)
    assert wh.rows("SELECT creator_id, source, order_id, line FROM sales GROUP BY ALL HAVING count(*) > 1") == []
    # the second upload holds exactly the new orders
    assert {o for (o,) in wh.rows("SELECT order_id FROM sales WHERE upload_id = ?", [july.upload_id])} == {
        f"O-{i}" for i in range(101, 151)
    }
    assert accounting(july.upload_id)["known"] == 50
    assert_invariant_in_sql()


def test_order_lines_are_part_of_the_order_key():
    header = ["order_id", "line", "date", "product", "amount", "currency"]
    first = ingest_file(
        OP,
        "ng-ada",
        "a.csv",
        csv_bytes(
            [
                ["L-1", "1", "2025-07-01", "Hat", "10.00", "USD"],
                ["L-1", "2", "2025-07-01", "Scarf", "12.00", "USD"],
                ["L-2", "1", "2025-07-02", "Hat", "10.00", "USD"],
            ],
            header,
        ),
    )
    second = ingest_file(
        OP,
        "ng-ada",
        "b.csv",
        csv_bytes(
            [
                ["L-1", "2", "2025-07-01", "Scarf", "12.00", "USD"],
                ["L-1", "3", "2025-07-01", "Belt", "8.00", "USD"],
                ["L-2", "1", "2025-07-02", "Hat", "10.00", "USD"],
            ],
            header,
        ),
    )
    assert (first.rows_loaded, second.rows_loaded, second.rows_known) == (3, 1, 2)
    assert warehouse(REGION).rows("SELECT order_id, line, product FROM sales ORDER BY 1, 2") == [
        ("L-1", 1, "Hat"),
        ("L-1", 2, "Scarf"),
        ("L-1", 3, "Belt"),
        ("L-2", 1, "Hat"),
    ]


def test_the_same_order_id_of_another_creator_is_not_known():
    ada = ingest_file(OP, "ng-ada", "ada.csv", csv_bytes([sale("S-1"), sale("S-2")]))
    kofi = ingest_file(OP, "gh-kofi", "kofi.csv", csv_bytes([sale("S-1", currency="GHS", country="GH")]))
    assert (ada.rows_loaded, kofi.rows_loaded, kofi.rows_known) == (2, 1, 0)


# --- invariant 2: every row counted once, every failing row flagged --------------------------


def test_row_accounting_holds_in_sql_alone():
    ingest_file(OP, "ng-ada", "base.csv", csv_bytes([sale(f"A-{i}") for i in range(10)]))
    rows = (
        [sale(f"A-{i}") for i in range(5)]  # known
        + [sale(f"B-{i}") for i in range(7)]  # new
        + [sale(f"C-{i}", amount="abc") for i in range(3)]  # flagged
        + [sale(f"F-{i}", status="failed") for i in range(4)]  # skipped: not a sale
        + [["", "", "", "", "", "", "", ""]]  # an empty row: skipped
    )
    res = ingest_file(OP, "ng-ada", "mix.csv", csv_bytes(rows))
    acc = accounting(res.upload_id)
    assert acc == {
        "total": 20,
        "loaded": 7,
        "flagged": 3,
        "skipped": 5,
        "known": 5,
        "sales": 7,
        "flagged_rows": 3,
        "skipped_rows": 5,
    }
    assert res.skipped_reasons == {"payment not completed (status: failed)": 4, "empty row": 1}
    reasons = dict(
        warehouse(REGION).rows(
            "SELECT reason, count(*) FROM skipped_rows WHERE upload_id = ? GROUP BY 1", [res.upload_id]
        )
    )
    assert reasons == res.skipped_reasons
    assert_invariant_in_sql()


BAD_KINDS = {
    # kind -> (row maker, reason in words, expectation column)
    "negative": (lambda i: sale(f"N-{i}", amount="-25.00"), "amount is negative", "gross_minor"),
    "not a number": (lambda i: sale(f"T-{i}", amount="twelve"), "amount is missing or not a number", "gross_minor"),
    "bad currency": (lambda i: sale(f"Y-{i}", currency="NGX"), "currency is not an ISO 4217 code", "currency"),
    "bad date": (lambda i: sale(f"B-{i}", date="2025-13-45"), "date is missing or not understood", "sold_at_age_days"),
    "no order id": (lambda i: sale(""), "order id is missing", "order_id"),
}


@pytest.mark.parametrize("chunk_rows", [250_000, 97], ids=["one chunk", "many chunks"])
def test_every_failing_row_is_flagged_not_a_sample(chunk_rows, monkeypatch):
    monkeypatch.setattr(pipeline, "CHUNK_ROWS", chunk_rows)
    rows, bad_rows = [], {}
    kinds = list(BAD_KINDS)
    for n in range(1, 1001):
        if n % 2 == 0:  # 500 bad rows, 100 of each kind, spread through the file
            kind = kinds[(n // 2) % len(kinds)]
            rows.append(BAD_KINDS[kind][0](n))
            bad_rows[n] = kind
        else:
            rows.append(sale(f"G-{n}", amount=f"{n}.25"))
    res = ingest_file(OP, "ng-ada", "half-bad.csv", csv_bytes(rows))
    assert (res.rows_total, res.rows_loaded, res.rows_flagged, res.rows_skipped) == (1000, 500, 500, 0)
    flagged = dict(
        warehouse(REGION).rows("SELECT row_number, reasons FROM flagged_rows WHERE upload_id = ?", [res.upload_id])
    )
    assert set(flagged) == set(bad_rows)
    for n, kind in bad_rows.items():
        assert BAD_KINDS[kind][1] in flagged[n], (n, kind, flagged[n])
    loaded = {r for (r,) in warehouse(REGION).rows("SELECT row_number FROM sales WHERE upload_id = ?", [res.upload_id])}
    assert loaded == set(range(1, 1001, 2))
    # the GX outcome counts every failing row, not the 20 of a SUMMARY result
    by_reason = {o.description: o for o in res.validation}
    for _kind, (_make, reason, _col) in BAD_KINDS.items():
        assert by_reason[reason].unexpected_count == 100 and not by_reason[reason].success
    assert_invariant_in_sql()


def test_flagged_rows_carry_raw_original_values_and_reasons_in_words():
    header = ["Order ID", "Sale Date", "Product Name", "Qty", "Amount", "Currency", "Country"]
    rows = [
        ["W-1", "01/07/2025", "Wax print", "1", "-1,500.00", "NGN", "Nigeria"],
        ["W-2", "02/07/2025", "Kente", "two", "2,000.50", "XOF", "SN"],
        ["W-3", "03/07/2025", "Bead set", "1", "800.00", "NGN", "NG"],
    ]
    res = ingest_file(OP, "ng-ada", "shop.csv", csv_bytes(rows, header))
    assert (res.rows_loaded, res.rows_flagged) == (1, 2)
    got = warehouse(REGION).rows(
        "SELECT row_number, raw, reasons, rules, status, creator_id FROM flagged_rows WHERE upload_id = ?"
        " ORDER BY row_number",
        [res.upload_id],
    )
    (n1, raw1, reasons1, rules1, status1, who1), (n2, raw2, reasons2, _rules2, _s2, _w2) = got
    assert (n1, n2) == (1, 2)
    # raw: the file's own headers and text, exactly
    assert json.loads(raw1) == dict(zip(header, rows[0], strict=True))
    assert json.loads(raw2) == dict(zip(header, rows[1], strict=True))
    assert reasons1 == ["amount is negative"]
    assert any(r.startswith("expect_column_values_to_be_between") for r in rules1)
    assert (status1, who1) == ("pending", "ng-ada")
    assert set(reasons2) == {
        "quantity is not a whole number",
        "an amount has more decimals than its currency has (ISO 4217) or is implausibly large",
    }
    # reasons are words for people: no GX type names
    for r in reasons1 + reasons2:
        assert "expect_" not in r and " " in r
    # the loaded row: country name mapped, day-first date, exact amount
    assert warehouse(REGION).rows("SELECT order_id, sold_at, gross, buyer_country FROM sales") == [
        ("W-3", datetime(2025, 7, 3, tzinfo=UTC), Decimal("800.0000"), "NG")
    ]


def test_upload_record_carries_the_gx_validation_result():
    res = ingest_file(
        OP,
        "ng-ada",
        "v.csv",
        csv_bytes(
            [sale("V-1"), sale("V-2", currency="ZZZ"), sale("V-3", currency="ZZZ"), sale("V-4", status="failed")]
        ),
    )
    validation, timings, status, message = warehouse(REGION).one(
        "SELECT validation, timings, status, message FROM uploads WHERE upload_id = ?", [res.upload_id]
    )
    v = json.loads(validation)
    assert v["suites"] == ["base", "region-west-africa"]
    assert len(v["results"]) == len(res.validation) >= 15
    for r in v["results"]:
        assert {"type", "column", "reason", "success", "unexpected_count", "examples"} <= set(r)
        assert r["type"].startswith("expect_")
    failed = {(r["type"], r["column"]): r for r in v["results"] if not r["success"]}
    iso = failed[("expect_column_values_to_be_in_set", "currency")]
    assert iso["unexpected_count"] == 2 and iso["examples"][:1] == ["ZZZ"]
    assert all(r["unexpected_count"] == 0 for r in v["results"] if r["success"])
    assert {"landing", "reading", "parsing", "validating", "loading"} <= set(json.loads(timings))
    assert (status, message) == ("loaded", res.message)
    assert accounting(res.upload_id) == {
        "total": 4,
        "loaded": 1,
        "flagged": 2,
        "skipped": 1,
        "known": 0,
        "sales": 1,
        "flagged_rows": 2,
        "skipped_rows": 1,
    }


def test_loaded_sales_hold_exact_typed_values():
    res = ingest_file(
        OP,
        "ng-ada",
        "t.csv",
        csv_bytes(
            [
                sale("E-1", amount="1,234.56", qty="3", date="2025-07-04"),
                sale("E-2", amount="5000", currency="XOF", country="SN"),
            ]
        ),
    )
    assert res.rows_loaded == 2
    got = warehouse(REGION).rows(
        "SELECT order_id, quantity, sold_at, currency, gross, fees, net, refunded, buyer_country, source, creator_id"
        " FROM sales ORDER BY order_id"
    )
    assert got == [
        (
            "E-1",
            3,
            datetime(2025, 7, 4, tzinfo=UTC),
            "NGN",
            Decimal("1234.56"),
            Decimal(0),
            Decimal("1234.56"),
            Decimal(0),
            "NG",
            "generic",
            "ng-ada",
        ),
        (
            "E-2",
            1,
            datetime(2025, 7, 1, tzinfo=UTC),
            "XOF",
            Decimal(5000),
            Decimal(0),
            Decimal(5000),
            Decimal(0),
            "SN",
            "generic",
            "ng-ada",
        ),
    ]


def test_a_file_full_of_repeated_order_ids_is_flagged_in_linear_time(tmp_path, monkeypatch):
    # 100,000 order ids each on two rows: both rows of each pair flagged. The duplicate check once
    # ran as a nested-loop join (quadratic: ~30 s here at this size, hours at a million rows).
    monkeypatch.setenv("KASUWA_REVIEW_CAP_SHARE", "1")  # every row may go to review here
    path = tmp_path / "pairs.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(HEADER) + "\n")
        f.writelines(f"P-{i // 2},2025-07-01,Hat,1,10.00,NGN,NG,paid\n" for i in range(200_000))
    res = ingest_file(OP, "ng-ada", "pairs.csv", path)
    assert (res.rows_total, res.rows_loaded, res.rows_flagged) == (200_000, 0, 200_000)
    dup = "the same order id (and line) appears more than once in this file"
    assert {o.description: o.unexpected_count for o in res.validation}[dup] == 200_000
    assert res.timings["parsing"] < 15, res.timings
