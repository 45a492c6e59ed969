"""Damaged text files at the staging table: an unmatched quote mark never swallows the rows
after it (the line is kept, marked in ``stg._damage`` for a reviewer, the lines after it read
as rows again), real multi-line cells stay one cell, lone-CR and mixed line ends read every
row, UTF-32 reads, and a 20 MB cell is refused in Kasuwa's words. Samples: tests/samples/damaged/
(see its README). Each test stages through ``readers.stage_file`` into a real in-memory DuckDB."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import duckdb
import openpyxl
import pytest

from warehouse.errors import FileRejected
from warehouse.ingest import profiles, readers

SAMPLES = Path(__file__).parent / "samples" / "damaged"
HEADER = "order_id,date,product,quantity,amount,currency,buyer_country"
UNMATCHED = "of the file has an unmatched quote mark; the row may be cut or merged with the next"


def good(i: int) -> tuple:
    """The cells of the sample files' ordinary row D-i (as written by the README's recipe)."""
    return (f"D-{i}", f"2025-03-{i:02d}", f"Ankara print {i}", "1", f"{1000 + i}.00", "NGN", "NG")


class Stg:
    """What the reader staged: the Staged record, the cells of each row, ``_cells``, ``_damage``,
    and whether ``stg`` is DuckDB's view (the fast path) or the careful reader's table."""

    def __init__(self, tmp_path: Path, data: bytes, name: str = "sales.csv") -> None:
        path = tmp_path / name
        path.write_bytes(data)
        scratch = tmp_path / "scratch"
        scratch.mkdir(exist_ok=True)
        con = duckdb.connect()
        try:
            self.staged = readers.stage_file(con, path, name, scratch, profiles.header_score(profiles.load_profiles()))
            cols = [d[0] for d in con.execute("SELECT * FROM stg LIMIT 0").description]
            assert cols[0] == "_row" and cols[-2:] == ["_cells", "_damage"]  # the contract with parse
            rows = con.execute("SELECT * FROM stg ORDER BY _row").fetchall()
            assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
            self.cells = [r[1:-2] for r in rows]
            self.ragged = [r[-2] for r in rows]
            self.damage = [r[-1] for r in rows]
            self.kind = con.execute(
                "SELECT table_type FROM information_schema.tables WHERE table_name = 'stg'").fetchone()[0]
        finally:
            con.close()

    def damaged(self) -> dict[int, str]:
        return {i + 1: d for i, d in enumerate(self.damage) if d is not None}


def sample(tmp_path: Path, name: str) -> Stg:
    return Stg(tmp_path, (SAMPLES / name).read_bytes(), name)


def duckdb_alone_rows(path: Path) -> int:
    """How many rows DuckDB's own reader returns, with the reader's settings (for the record)."""
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(7)) + "}"
    con = duckdb.connect()
    try:
        return con.execute(f"SELECT count(*) FROM read_csv(?, auto_detect = false, header = false, skip = 1,"
                           f" delim = ',', quote = '\"', escape = '\"', columns = {cols}, null_padding = true)",
                           [str(path)]).fetchone()[0]
    finally:
        con.close()


# --- unmatched quote marks -----------------------------------------------------------------------

def test_an_unterminated_quote_marks_its_line_and_every_following_row_is_read(tmp_path):
    got = sample(tmp_path, "unterminated_quote.csv")
    assert (got.staged.rows, got.staged.damaged_rows) == (12, 1)
    assert got.damaged() == {5: f"line 6 {UNMATCHED}"}
    # the broken line's cells as a person reads them: the quote kept, the rest split, not swallowed
    assert got.cells[4] == ("D-5", "2025-03-05", '"Adire scarf', " indigo", "1", "1005.00", "NGN")
    assert got.ragged[4] == 8
    assert [c for i, c in enumerate(got.cells) if i != 4] == [good(i) for i in range(1, 13) if i != 5]
    assert "1 line has an unmatched quote mark; it was read on its own and waits for a reviewer." in \
        got.staged.assumptions


def test_a_quote_closed_rows_later_that_duckdb_reads_silently_is_caught_on_the_fast_path(tmp_path):
    # DuckDB alone accepts this file and returns 7 rows of 12: D-4's product cell swallows the
    # lines of D-5..D-8 and D-9 up to its stray quote, then D-9's cells complete the row
    assert duckdb_alone_rows(SAMPLES / "quote_closed_rows_later.csv") == 7
    got = sample(tmp_path, "quote_closed_rows_later.csv")
    assert (got.staged.rows, got.staged.damaged_rows) == (12, 1)
    assert got.damaged() == {4: f"line 5 {UNMATCHED}"}
    assert got.cells[3] == ("D-4", "2025-03-04", '"Ruler 30cm', "1", "1004.00", "NGN", "NG")
    # a quote inside an unquoted cell is text, as DuckDB and Excel read it: not damage
    assert got.cells[8] == ("D-9", "2025-03-09", 'Ruler 12"', "1", "1009.00", "NGN", "NG")
    assert [c for i, c in enumerate(got.cells) if i not in (3, 8)] == [good(i) for i in range(1, 13) if i not in (4, 9)]


def test_a_quote_still_open_at_the_end_of_the_file_marks_only_its_line(tmp_path):
    got = sample(tmp_path, "unterminated_quote_at_end.csv")
    assert (got.staged.rows, got.damaged()) == (8, {7: f"line 8 {UNMATCHED}"})
    assert got.cells[6] == ("D-7", "2025-03-07", '"Kente stole', "1", "1007.00", "NGN", "NG")
    assert got.cells[7] == good(8)


def test_a_bare_quote_inside_a_quoted_cell_is_marked_with_the_cell_as_written(tmp_path):
    got = sample(tmp_path, "quote_inside_quoted_cell.csv")
    assert (got.staged.rows, got.damaged()) == (6, {3: f"line 4 {UNMATCHED}"})
    assert got.cells[2] == ("D-3", "2025-03-03", 'Pagne 12" wax', "1", "1003.00", "NGN", "NG")
    assert [c for i, c in enumerate(got.cells) if i != 2] == [good(i) for i in (1, 2, 4, 5, 6)]


def test_real_multiline_cells_around_a_broken_quote_stay_one_cell(tmp_path):
    got = sample(tmp_path, "multiline_cells_and_a_broken_quote.csv")
    assert (got.staged.rows, got.damaged()) == (10, {4: f"line 6 {UNMATCHED}"})
    assert got.cells[1] == ("D-2", "2025-03-02", 'Beads, "blue"\nand gold', "2", "1002.00", "NGN", "NG")
    assert got.cells[6] == ("D-7", "2025-03-07", "Wrap\nskirt\nsize M", "1", "1007.00", "NGN", "NG")
    assert got.cells[3][:3] == ("D-4", "2025-03-04", '"Bag')
    assert [got.cells[i] for i in (0, 2, 4, 5, 7, 8, 9)] == [good(i) for i in (1, 3, 5, 6, 8, 9, 10)]


def test_several_broken_lines_are_counted_and_said_once(tmp_path):
    lines = [HEADER] + [",".join(good(i)) for i in range(1, 21)]
    for i in (3, 9, 15):
        lines[i] = lines[i].replace("Ankara", '"Ankara')
    got = Stg(tmp_path, ("\n".join(lines) + "\n").encode())
    assert got.staged.rows == 20
    assert got.damaged() == {i: f"line {i + 1} {UNMATCHED}" for i in (3, 9, 15)}
    assert got.staged.damaged_rows == 3
    assert "3 lines have an unmatched quote mark; they were read line by line and wait for a reviewer." in \
        got.staged.assumptions
    assert [got.cells[i - 1] for i in range(1, 21) if i not in (3, 9, 15)] == \
        [good(i) for i in range(1, 21) if i not in (3, 9, 15)]


def test_a_quote_that_swallows_more_than_16_mb_of_rows_is_damage_not_a_huge_cell(tmp_path):
    n = 300_000  # ~17 MB of rows after the broken line: past the 16 MB cell limit of the reader
    lines = [HEADER] + [f"B-{i},2025-03-01,Ankara print,1,1000.00,NGN,NG" for i in range(n)]
    lines[2] = 'B-1,2025-03-01,"Ankara print,1,1000.00,NGN,NG'
    got = Stg(tmp_path, ("\n".join(lines) + "\n").encode())
    assert (got.staged.rows, got.damaged()) == (n, {2: f"line 3 {UNMATCHED}"})
    assert got.cells[-1][0] == f"B-{n - 1}"


# --- real multi-line cells are not damage ----------------------------------------------------------

def test_mpesa_details_on_two_lines_read_on_duckdbs_fast_path(tmp_path):
    got = sample(tmp_path, "mpesa_multiline_details.csv")
    assert (got.staged.rows, got.staged.damaged_rows, got.kind) == (8, 0, "VIEW")
    assert got.cells[0][:3] == ("SDM1AB1CD", "2025-04-01 09:11:00", "Merchant Payment from\n2547******001 - BUYER 1")
    assert all("\n" in c[2] for c in got.cells)


def test_mpesa_details_read_the_same_by_the_careful_reader(tmp_path):
    fast = sample(tmp_path, "mpesa_multiline_details.csv")
    data = (SAMPLES / "mpesa_multiline_details.csv").read_bytes() + b"SDM9,2025-04-09 10:00:00,X,Completed,1,,1,more\n"
    careful = Stg(tmp_path, data)  # the surplus cell makes DuckDB refuse the file
    assert careful.kind != "VIEW"
    assert (careful.staged.rows, careful.staged.damaged_rows) == (9, 0)
    assert careful.cells[:8] == fast.cells


def test_shopify_notes_of_many_lines_with_commas_stay_one_cell(tmp_path):
    got = sample(tmp_path, "shopify_multiline_notes.csv")
    assert (got.staged.rows, got.staged.damaged_rows) == (6, 0)
    notes = [c[10] for c in got.cells]
    three = "Please gift-wrap, no price tag.\nDeliver after 5pm, gate 2,\ncall on arrival, thanks"
    five = "Line 1\nLine 2\nLine 3\nLine 4\nLine 5, the end"
    assert notes == [None, five, three, None, five, three]
    assert [c[0] for c in got.cells] == [f"#10{i:02d}" for i in range(1, 7)]


def test_a_clean_file_stays_on_duckdbs_fast_path(tmp_path):
    lines = [HEADER] + [",".join(good(i)) for i in range(1, 10)]
    got = Stg(tmp_path, ("\n".join(lines) + "\n\n\n").encode())  # blank lines at the end: no row
    assert (got.kind, got.staged.rows, got.damage) == ("VIEW", 9, [None] * 9)


# --- line ends -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["cr_only.csv", "mixed_line_ends.csv"])
def test_lone_cr_and_mixed_line_ends_read_every_row(tmp_path, name):
    got = sample(tmp_path, name)
    assert (got.staged.headers, got.staged.rows, got.staged.damaged_rows) == (HEADER.split(","), 9, 0)
    assert got.cells == [good(i) for i in range(1, 10)]


def test_lone_cr_file_with_a_quoted_line_break_and_no_final_line_end(tmp_path):
    data = "\r".join([HEADER, ",".join(good(1)).replace("Ankara print 1", '"Ankara\rprint"'),
                      *(",".join(good(i)) for i in range(2, 6))]).encode()
    got = Stg(tmp_path, data)
    assert got.staged.rows == 5
    assert got.cells[0][2] == "Ankara\rprint"
    assert got.cells[1:] == [good(i) for i in range(2, 6)]


# --- encodings and sizes said in Kasuwa's words -----------------------------------------------------

TEXT = (HEADER + "\n" + "\n".join(",".join(good(i)) for i in range(1, 4))
        + "\nD-4,2025-03-04,Crème ₦ 🎁,1,1004.00,NGN,NG\n")


@pytest.mark.parametrize(("bom", "codec"), [(codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                                            (b"", "utf-32-le"), (b"", "utf-32-be")])
def test_utf32_with_or_without_byte_order_mark_reads(tmp_path, bom, codec):
    got = Stg(tmp_path, bom + TEXT.encode(codec))
    assert got.staged.headers == HEADER.split(",")
    assert got.cells == [good(1), good(2), good(3), ("D-4", "2025-03-04", "Crème ₦ 🎁", "1", "1004.00", "NGN", "NG")]
    assert got.staged.assumptions[0] == f"Read as {codec.upper()}."


def test_text_that_decodes_to_nul_characters_is_refused_in_words(tmp_path):
    # a UTF-16 mark in front of UTF-32 text: decoded as UTF-16, every other character is NUL
    with pytest.raises(FileRejected) as exc:
        Stg(tmp_path, codecs.BOM_UTF16_LE + TEXT.encode("utf-32-le"))
    assert str(exc.value) == ("Kasuwa could not recognise the file's text encoding. Open it in a spreadsheet, "
                              "save it as 'CSV UTF-8' and upload that file.")


@pytest.mark.parametrize("cell", ["x" * (20 * 1024 * 1024), '"' + "x\n" * (10 * 1024 * 1024) + '"'])
def test_a_20_mb_cell_is_refused_in_words(tmp_path, cell):
    data = f"{HEADER}\n{','.join(good(1))}\nD-2,2025-03-02,{cell},1,1.00,NGN,NG\n".encode()
    with pytest.raises(FileRejected) as exc:
        Stg(tmp_path, data)
    assert str(exc.value) == ("A cell starting on line 3 holds more than 16 MB of text; a sales export never does. "
                              "Check that the file is the export itself and upload it again.")


# --- the other readers provide the column too --------------------------------------------------------

def test_xlsx_json_and_parquet_stage_a_null_damage_column(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(HEADER.split(","))
    wb.active.append(list(good(1)))
    wb.save(tmp_path / "s.xlsx")
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 'A-1' AS order_id, 1.5 AS amount) TO '{tmp_path / 's.parquet'}' (FORMAT parquet)")
    con.close()
    files = {"s.xlsx": (tmp_path / "s.xlsx").read_bytes(), "s.parquet": (tmp_path / "s.parquet").read_bytes(),
             "s.json": json.dumps([{"order_id": "A-1", "amount": 1.5}]).encode()}
    for name, data in files.items():
        got = Stg(tmp_path, data, name)
        assert (got.staged.rows, got.staged.damaged_rows, got.damage) == (1, 0, [None]), name
