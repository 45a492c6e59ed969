"""CSV exports guard every text cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest

from app.export import guard_cell, rows_to_csv, to_csv_bytes


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "\nx",
                                  '=HYPERLINK("http://evil","x")', "=cmd|' /C calc'!A0"])
def test_text_starting_with_a_formula_trigger_gets_an_apostrophe(text):
    assert guard_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Beads", "", "a=b", " =1", "'quoted", "ok-", "৳500"])
def test_other_text_is_left_alone(value):
    assert guard_cell(value) == value


@pytest.mark.parametrize("value", [-5, Decimal("-5.00"), -1.5, date(2025, 1, 1), None, True])
def test_values_that_are_not_text_are_never_prefixed(value):
    assert guard_cell(value) == value


def read_back(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_frame_exports_with_guarded_cells_and_exact_numbers():
    df = pd.DataFrame({
        "product": ["=1+1", "-2", "Beads", "@x", "\tTab", None, "Kɔ́sɔ́ ₦"],
        "gross": [Decimal("-5.00"), Decimal("1500.50"), Decimal("0.0001"), None, Decimal("1"),
                  Decimal("2"), Decimal("3")],
        "quantity": [-1, 2, 3, 4, 5, 6, 7],
        "sold_at": pd.to_datetime(["2025-02-01 00:30"] * 6 + [None]),
    })
    rows = read_back(to_csv_bytes(df))
    assert rows[0] == ["product", "gross", "quantity", "sold_at"]
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'-2", "Beads", "'@x", "'\tTab", "", "Kɔ́sɔ́ ₦"]
    assert [r[1] for r in rows[1:]] == ["-5.00", "1500.50", "0.0001", "", "1", "2", "3"]
    assert rows[1][2] == "-1" and rows[1][3] == "2025-02-01T00:30:00" and rows[7][3] == ""


def test_headers_and_odd_values_are_guarded_too():
    data = rows_to_csv(["=evil", "ok"], [[["-a", "b"], {"k": "=v"}], [b"+bytes", datetime(2025, 1, 1, 9)]])
    rows = read_back(data)
    assert rows[0] == ["'=evil", "ok"]
    assert rows[1][0].startswith("[") and rows[2] == ["'+bytes", "2025-01-01T09:00:00"]


def test_cells_with_newlines_and_quotes_survive_the_round_trip():
    rows = read_back(rows_to_csv(["note"], [['say "hi",\nthen go']]))
    assert rows[1] == ['say "hi",\nthen go']


def test_a_french_readers_csv_uses_semicolons_decimal_commas_and_their_dates():
    import csv
    import io
    from datetime import UTC, date, datetime
    from decimal import Decimal

    import pandas as pd

    from app.export import to_csv_bytes

    df = pd.DataFrame({"Vendu le": [datetime(2026, 12, 7, 18, 17, tzinfo=UTC)], "Jour": [date(2026, 12, 2)],
                       "Montant": [Decimal("1500.50")], "Quantité": [3], "Produit": ["=1+1; perles"]})
    text = to_csv_bytes(df, "fr_SN").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Vendu le", "Jour", "Montant", "Quantité", "Produit"]
    assert rows[1] == ["07/12/2026 18:17", "02/12/2026", "1500,50", "3", "'=1+1; perles"]
    english = to_csv_bytes(df, "en_NG").decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(english)))[1][:3] == ["2026-12-07T18:17:00+00:00", "2026-12-02", "1500.50"]
