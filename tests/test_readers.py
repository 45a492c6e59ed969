"""Readers: every file shape becomes the staging table of text cells — encodings, delimiters,
header rows below titles, quoted newlines, ragged lines, XLSX, JSON and Parquet — read directly
into an in-memory DuckDB, plus the ingests that show ragged and re-encoded files end to end."""

from __future__ import annotations

import codecs
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse
from warehouse.ingest import ingest_file, profiles, readers

HEADER = "order_id,date,product,quantity,amount,currency,buyer_country"
ROWS = ["A-1,2025-03-01,Café crème,1,1500.00,NGN,NG", "A-2,2025-03-02,Pagne €,2,12.50,EUR,SN"]


def stage(tmp_path: Path, data: bytes, name: str = "sales.csv") -> tuple[readers.Staged, list[tuple]]:
    """Stage ``data`` as the ingest would and return the Staged record and the cells, row by row."""
    path = tmp_path / name
    path.write_bytes(data)
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    con = duckdb.connect()
    staged = readers.stage_file(con, path, name, scratch, profiles.header_score(profiles.load_profiles()))
    cells = con.execute("SELECT * EXCLUDE (_row, _damage) FROM stg ORDER BY _row").fetchall()
    assert con.execute("SELECT count(_damage) FROM stg").fetchone() == (staged.damaged_rows,)
    con.close()
    return staged, cells


def text(lines: list[str], delim: str = ",", end: str = "\n") -> str:
    return end.join(ln.replace(",", delim) for ln in lines) + end


EXPECTED = [("A-1", "2025-03-01", "Café crème", "1", "1500.00", "NGN", "NG", None),
            ("A-2", "2025-03-02", "Pagne €", "2", "12.50", "EUR", "SN", None)]


# --- encodings ------------------------------------------------------------------------------------

def test_utf8_without_bom(tmp_path):
    staged, cells = stage(tmp_path, text([HEADER, *ROWS]).encode("utf-8"))
    assert (staged.kind, staged.headers, staged.rows, staged.header_row) == ("csv", HEADER.split(","), 2, 1)
    assert cells == EXPECTED
    assert staged.assumptions == []


def test_utf8_with_bom(tmp_path):
    staged, cells = stage(tmp_path, codecs.BOM_UTF8 + text([HEADER, *ROWS]).encode("utf-8"))
    assert staged.headers[0] == "order_id"
    assert cells == EXPECTED
    assert staged.assumptions == ["Read as UTF-8 (with byte-order mark)."]


def test_excel_unicode_text_is_utf16_le_with_bom_and_tabs(tmp_path):
    data = codecs.BOM_UTF16_LE + text([HEADER, *ROWS], "\t", "\r\n").encode("utf-16-le")
    staged, cells = stage(tmp_path, data, "sales.txt")
    assert staged.headers == HEADER.split(",")
    assert cells == EXPECTED
    assert staged.assumptions == ["Read as UTF-16-LE (Excel 'Unicode Text').", "Columns separated by tabs."]


def test_utf16_be_with_bom(tmp_path):
    data = codecs.BOM_UTF16_BE + text([HEADER, *ROWS], "\t").encode("utf-16-be")
    staged, cells = stage(tmp_path, data)
    assert cells == EXPECTED
    assert staged.assumptions[0] == "Read as UTF-16-BE (Excel 'Unicode Text')."


def test_windows_1252_fallback_reads_accents_and_the_euro_sign(tmp_path):
    data = text([HEADER, *ROWS], ";").encode("cp1252")
    assert b"\xe9" in data and b"\x80" in data  # é and € as Excel's "CSV (séparateur: point-virgule)" writes them
    staged, cells = stage(tmp_path, data)
    assert cells == EXPECTED
    assert not staged.replaced_chars
    assert "The file is not UTF-8; read it as Windows-1252 (Excel's usual CSV encoding)." in staged.assumptions


# --- delimiters, header position, quoting ---------------------------------------------------------

@pytest.mark.parametrize(("delim", "said"), [(",", None), (";", "Columns separated by semicolons."),
                                             ("\t", "Columns separated by tabs."), ("|", "Columns separated by '|'.")])
def test_delimiters(tmp_path, delim, said):
    staged, cells = stage(tmp_path, text([HEADER, *ROWS], delim).encode())
    assert staged.headers == HEADER.split(",")
    assert cells == EXPECTED
    assert staged.assumptions == ([said] if said else [])


def test_decimal_commas_do_not_fool_the_delimiter_sniffer(tmp_path):
    data = "Date;Référence;Montant;Devise\n03/02/2025;F-1;1 234,50;EUR\n04/02/2025;F-2;12,00;EUR\n".encode()
    staged, cells = stage(tmp_path, data)
    assert staged.headers == ["Date", "Référence", "Montant", "Devise"]
    assert [c[2] for c in cells] == ["1 234,50", "12,00"]


def test_header_below_title_lines(tmp_path):
    data = text(["Sales report", "Exported 2025-03-31 by Kasuwa Studio", "", HEADER, *ROWS]).encode()
    staged, cells = stage(tmp_path, data)
    assert (staged.header_row, staged.headers) == (4, HEADER.split(","))
    assert cells == EXPECTED
    assert "The header is on line 4 (rows above it are titles)." in staged.assumptions


def test_quoted_newlines_and_quotes_stay_inside_one_cell(tmp_path):
    data = (HEADER + '\nA-1,2025-03-01,"Pagne\ntissé, ""wax""",1,1500.00,NGN,NG\n'
            "A-2,2025-03-02,Savon,1,5,NGN,NG\n").encode()
    staged, cells = stage(tmp_path, data)
    assert staged.rows == 2
    assert cells[0][2] == 'Pagne\ntissé, "wax"'
    assert cells[1][0] == "A-2"


def test_ragged_lines_keep_their_cells_count_and_short_lines_are_padded(tmp_path):
    data = text([HEADER, ROWS[0], "A-2,2025-03-02,Pagne,2,12.50,EUR,SN,surplus,cells", "A-3,2025-03-03,Savon"]).encode()
    staged, cells = stage(tmp_path, data)
    assert staged.rows == 3
    assert [c[-1] for c in cells] == [None, 9, None]  # _cells: how many cells a too-long line had
    assert cells[1][:7] == ("A-2", "2025-03-02", "Pagne", "2", "12.50", "EUR", "SN")
    assert cells[2][:4] == ("A-3", "2025-03-03", "Savon", None)


def test_repeated_header_names_are_made_unique():
    assert readers.unique_headers(["Country", "Email", "country", None, " Email "]) == [
        "Country", "Email", "country (2)", "column 4", "Email (2)"]


# --- spreadsheets, JSON, Parquet ------------------------------------------------------------------

def test_xlsx_with_title_rows_numbers_and_dates(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Kasuwa Studio — ventes"])
    ws.append([None])
    ws.append(HEADER.split(","))
    ws.append(["A-1", datetime(2025, 3, 1, 14, 5, 11), "Café crème", 1, 1500.0, "NGN", "NG"])
    ws.append(["A-2", "2025-03-02", "Pagne €", 2, 12.5, "EUR", "SN"])
    ws.append([None] * 7)  # an empty row is not a row of sales
    path = tmp_path / "ventes.xlsx"
    wb.save(path)
    staged, cells = stage(tmp_path, path.read_bytes(), "ventes.xlsx")
    assert (staged.kind, staged.header_row, staged.rows) == ("xlsx", 3, 2)
    assert staged.assumptions == ["The header is on row 3 (rows above it are titles)."]
    assert cells == [("A-1", "2025-03-01 14:05:11", "Café crème", "1", "1500", "NGN", "NG", None),
                     ("A-2", "2025-03-02", "Pagne €", "2", "12.5", "EUR", "SN", None)]


def test_json_api_envelope_with_nested_objects_is_flattened(tmp_path):
    doc = {"status": True, "message": "ok", "data": [
        {"reference": "R-1", "amount": 1500000, "customer": {"email": "a@example.com", "id": 7}, "paid_at": None},
        {"reference": "R-2", "amount": 250000, "customer": {"email": "b@example.com"}, "extra": [1, 2]},
    ], "meta": {"total": 2}}
    staged, cells = stage(tmp_path, json.dumps(doc).encode(), "transactions.json")
    assert staged.kind == "json"
    assert staged.headers == ["reference", "amount", "customer.email", "customer.id", "paid_at", "extra"]
    assert cells == [("R-1", "1500000", "a@example.com", "7", None, None, None),
                     ("R-2", "250000", "b@example.com", None, None, "[1, 2]", None)]


def test_json_top_level_list(tmp_path):
    staged, cells = stage(tmp_path, b'[{"a": "x", "b": 1.5}, {"a": "y", "b": 2}]', "rows.json")
    assert (staged.headers, cells) == (["a", "b"], [("x", "1.5", None), ("y", "2", None)])


def test_parquet(tmp_path):
    path = tmp_path / "sales.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 'A-' || i AS order_id, DATE '2025-03-01' + i::INTEGER AS date, i * 1.5 AS amount"
                f" FROM range(1, 4) t(i)) TO '{path}' (FORMAT parquet)")
    con.close()
    staged, cells = stage(tmp_path, path.read_bytes(), "sales.parquet")
    assert (staged.kind, staged.headers, staged.rows) == ("parquet", ["order_id", "date", "amount"], 3)
    assert cells[0] == ("A-1", "2025-03-02", "1.5", None)


# --- end to end -----------------------------------------------------------------------------------

@pytest.fixture
def creator():
    add_creator(Actor.operator(), "ng-ada", "NG", "Ada")
    return "ng-ada"


def test_a_ragged_line_is_flagged_not_lost(creator):
    data = text([HEADER, ROWS[0], "A-2,2025-03-02,Pagne,2,12.50,NGN,SN,surplus", "A-3,2025-03-03,Savon,1,5,NGN,NG"])
    res = ingest_file(Actor.operator(), creator, "ragged.csv", data.encode())
    assert (res.status, res.rows_total, res.rows_loaded, res.rows_flagged, res.rows_skipped) == ("loaded", 3, 2, 1, 0)
    row = warehouse("west-africa").one(
        "SELECT row_number, reasons, raw->>'product' FROM flagged_rows WHERE upload_id = ?", [res.upload_id])
    assert row == (2, ["the line has more cells than the header has columns"], "Pagne")


def test_excel_unicode_text_ingests_with_exact_sums(creator):
    lines = ["Référence\tDate\tProduit\tQuantité\tMontant\tDevise\tPays",
             "F-1\t03/02/2025\tPagne tissé\t1\t15 000,00\tNGN\tNigeria",
             "F-2\t25/02/2025\tSavon noir\t2\t2 500,50\tNGN\tGhana"]
    data = codecs.BOM_UTF16_LE + "\r\n".join(lines).encode("utf-16-le") + "\r\n".encode("utf-16-le")
    res = ingest_file(Actor.operator(), creator, "ventes.txt", data)
    assert (res.status, res.profile, res.rows_loaded) == ("loaded", "generic", 2)
    got = warehouse("west-africa").one("SELECT sum(gross), min(product), string_agg(buyer_country, ',' ORDER BY"
                                       " row_number) FROM sales WHERE upload_id = ?", [res.upload_id])
    assert got == (Decimal("17500.50"), "Pagne tissé", "NG,GH")


def test_windows_1252_file_ingests_with_its_accents(creator):
    data = "Référence;Date;Produit;Montant;Devise\nF-1;2025-03-01;Crème €co;1500;NGN\n".encode("cp1252")
    res = ingest_file(Actor.operator(), creator, "ventes.csv", data)
    assert (res.status, res.rows_loaded) == ("loaded", 1)
    assert warehouse("west-africa").one("SELECT product FROM sales WHERE upload_id = ?", [res.upload_id]) == \
        ("Crème €co",)


def test_mixed_crlf_and_lf_line_ends_lose_no_row():
    """DuckDB's fast reader returns too few rows for such files without an error; the
    tolerant reader takes them and every row arrives."""
    from warehouse.access import Actor
    from warehouse.creators import add_creator
    from warehouse.ingest import ingest_file

    add_creator(Actor.operator(), "ng-mixed", "NG")
    data = (b"order_id,date,product,quantity,amount,currency,buyer_country\r\n"
            b"T-1,2025-07-01,Template,1,1500.00,NGN,NG\nT-2,2025-07-02,Pack,2,12.50,USD,US\r\n"
            b"T-3,2025-07-03,Template,1,5.00,NGN,NG\n")
    res = ingest_file(Actor.operator(), "ng-mixed", "mixed.csv", data)
    assert (res.status, res.rows_total, res.rows_loaded) == ("loaded", 3, 3)


def test_a_line_longer_than_duckdbs_buffer_is_read_whole(tmp_path):
    """A 3 MiB cell is past DuckDB's max_line_size (kept small so its buffers fit the memory
    limit): the tolerant reader takes the file and every row and cell arrives intact."""
    long_product = "x" * (3 * 1024 * 1024)
    rows = [ROWS[0], f"A-9,2025-03-03,{long_product},1,10.00,USD,US", ROWS[1]]
    staged, cells = stage(tmp_path, text([HEADER, *rows]).encode("utf-8"))
    assert staged.rows == 3
    assert [c[0] for c in cells] == ["A-1", "A-9", "A-2"]
    assert cells[1][2] == long_product
    assert cells[0] == EXPECTED[0] and cells[2] == EXPECTED[1]
