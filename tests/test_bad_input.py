"""Bad input: files that cannot be sales are rejected with one line of reason, nothing is
written to sales or flagged_rows, and the raw bytes stay in landing (invariant 1). Messy but
readable text (undecodable bytes, ragged lines, quoted newlines) is loaded or flagged, never
a crash. Every case goes through ``ingest_file`` and through the ``kasuwa`` command."""

from __future__ import annotations

import hashlib
import io
import json
import random
import struct
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import close_all, warehouse
from warehouse.ingest import ingest_file
from warehouse.settings import settings

OP = Actor.operator()
CREATOR = "ng-bad"
REGION = "west-africa"
HEADER = "order_id,date,product,quantity,amount,currency,buyer_country"


@pytest.fixture(autouse=True)
def creator(data_dir):
    add_creator(OP, CREATOR, "NG", "Bad Input")


def good_csv(rows: int = 3, prefix: str = "G") -> bytes:
    lines = [HEADER] + [f"{prefix}-{i},2025-07-{1 + i % 28:02d},Template,1,{100 + i}.50,NGN,NG" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD_XLSX_ROWS: list[list[object]] = [
    ["order_id", "date", "product", "quantity", "amount", "currency"],
    *[[f"X-{i}", "2025-07-01", "Ebook", 1, 1500, "NGN"] for i in range(50)],
]


def rezip(original: bytes, replace: dict[str, bytes | str]) -> bytes:
    """The workbook ``original`` with some members' contents replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in zin.namelist():
            z.writestr(name, replace.get(name, zin.read(name)))
    return out.getvalue()


def zip_bomb(megabytes: int) -> bytes:
    """A workbook-shaped zip whose sheet is ``megabytes`` MiB of zeros (ratio ~1000:1)."""
    base = xlsx_bytes(GOOD_XLSX_ROWS)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in zin.namelist():
            if name != "xl/worksheets/sheet1.xml":
                z.writestr(name, zin.read(name))
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1 << 20)
            for _ in range(megabytes):
                member.write(chunk)
    return out.getvalue()


def lying_zip_bomb(megabytes: int) -> bytes:
    """A zip bomb whose central directory claims the sheet is tiny (so a size check believes it)."""
    data = bytearray(zip_bomb(megabytes))
    # patch every central-directory record's uncompressed size for the sheet to 1000 bytes
    sig = b"PK\x01\x02"
    pos = data.find(sig)
    while pos != -1:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        name = bytes(data[pos + 46 : pos + 46 + name_len])
        if name == b"xl/worksheets/sheet1.xml":
            extra_len = struct.unpack_from("<H", data, pos + 30)[0]
            extra_at = pos + 46 + name_len
            if struct.unpack_from("<I", data, pos + 24)[0] == 0xFFFFFFFF or extra_len:
                # zip64 extra field: header id 1, then the 8-byte sizes
                e = extra_at
                while e < extra_at + extra_len:
                    hid, size = struct.unpack_from("<HH", data, e)
                    if hid == 1:
                        struct.pack_into("<Q", data, e + 4, 1000)
                    e += 4 + size
            struct.pack_into("<I", data, pos + 24, 1000)
        pos = data.find(sig, pos + 4)
    return bytes(data)


def billion_laughs(pad_before_doctype: int = 0) -> bytes:
    """An xlsx whose sheet XML declares nested entities expanding to 10^9 'lol's."""
    ents = '<!ENTITY lol0 "lol">' + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    pad = "<!--" + "x" * pad_before_doctype + "-->" if pad_before_doctype else ""
    sheet = (
        '<?xml version="1.0"?>' + pad + "<!DOCTYPE worksheet [" + ents + "]>"
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    return rezip(xlsx_bytes(GOOD_XLSX_ROWS), {"xl/worksheets/sheet1.xml": sheet})


def corrupt_xlsx() -> bytes:
    """A real workbook with its sheet's compressed bytes overwritten."""
    data = bytearray(xlsx_bytes(GOOD_XLSX_ROWS))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    rng = random.Random(7)
    for i in range(start, start + info.compress_size):
        data[i] = rng.randrange(256)
    return bytes(data)


def binary_png() -> bytes:
    rng = random.Random(1)
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(20_000)


def binary_without_nul() -> bytes:
    rng = random.Random(2)
    return bytes(rng.randrange(1, 256) for _ in range(20_000))


BAD_FILES = {
    "empty": ("sales.csv", lambda: b"", "empty"),
    "whitespace only": ("sales.csv", lambda: b" \r\n\n\t \n", "empty"),
    "binary named csv": ("sales.csv", binary_png, "binary"),
    "binary without NUL bytes": ("sales.csv", binary_without_nul, None),
    "header only": ("sales.csv", (HEADER + "\n").encode, "no rows"),
    "truncated xlsx": ("sales.xlsx", lambda: xlsx_bytes(GOOD_XLSX_ROWS)[:1500], "damaged or truncated"),
    "corrupt xlsx": ("sales.xlsx", corrupt_xlsx, None),
    "zip bomb as xlsx": ("sales.xlsx", lambda: zip_bomb(64), "compression bomb"),
    "zip bomb lying about its size": ("sales.xlsx", lambda: lying_zip_bomb(64), None),
    "xml entity bomb in xlsx": ("sales.xlsx", billion_laughs, "entities"),
    "xml entity bomb after a long comment": ("sales.xlsx", lambda: billion_laughs(8000), None),
    "old xls": ("sales.xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".xls"),
    "json nested 10,000 deep": ("sales.json", lambda: b"[" * 10_000 + b"]" * 10_000, "nested too deeply"),
    "json objects nested 10,000 deep": (
        "sales.json",
        lambda: b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        "nested too deeply",
    ),
    "json object, not records": ("sales.json", lambda: b'{"total": 12, "currency": "NGN"}',
                                 "could not find the date of the sale"),
    "broken json": ("sales.json", lambda: b'[{"order_id": "A", "amount": ', "cannot be read"),
    "json list of numbers": ("sales.json", lambda: b"[1, 2, 3]", "no list of sale records"),
}


def assert_rejected_and_kept(res, data: bytes, needle: str | None) -> None:
    """The whole bad-input contract, checked on the result and on the warehouse with SQL."""
    assert res.status == "rejected", (res.status, res.message)
    assert res.message and "\n" not in res.message and "Traceback" not in res.message
    if needle:
        assert needle.lower() in res.message.lower(), res.message
    sha = hashlib.sha256(data).hexdigest()
    assert res.sha256 == sha
    kept = settings().landing_dir / REGION / sha
    assert kept.read_bytes() == data  # invariant 1: byte for byte
    wh = warehouse(REGION)
    assert wh.one("SELECT count(*) FROM sales")[0] == 0
    assert wh.one("SELECT count(*) FROM flagged_rows")[0] == 0
    assert wh.one("SELECT count(*) FROM skipped_rows")[0] == 0
    rows = wh.rows(
        "SELECT status, sha256, message, rows_loaded, rows_flagged FROM uploads WHERE upload_id = ?", [res.upload_id]
    )
    assert rows == [("rejected", sha, res.message, 0, 0)]


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_rejected_with_one_line_and_kept(case):
    name, make, needle = BAD_FILES[case]
    data = make()
    t0 = time.perf_counter()
    res = ingest_file(OP, CREATOR, name, data)
    elapsed = time.perf_counter() - t0
    assert_rejected_and_kept(res, data, needle)
    assert elapsed < 30, f"rejecting {case} took {elapsed:.1f}s"


def test_headers_that_match_nothing_name_the_missing_columns_and_how_to_map():
    data = b"foo,bar,baz,qux\n1,2,3,4\n5,6,7,8\n"
    res = ingest_file(OP, CREATOR, "mystery.csv", data)
    assert_rejected_and_kept(res, data, None)
    # what a sale needs and nothing more (an order id and a product are optional, a currency can be the
    # creator's own): an amount and a time
    assert set(res.missing) == {"gross", "sold_at"}
    assert "Kasuwa could not find the amount the buyer paid, the date of the sale in this file." in res.message
    assert res.headers == ["foo", "bar", "baz", "qux"]
    for canon in res.missing:
        assert f"--map {canon}=" in res.message
    assert "foo, bar, baz, qux" in res.message


def test_a_partly_recognised_header_names_only_what_is_missing():
    data = b"order_id,date,product,price paid,devise\nA-1,2025-07-01,Ebook,12.50,USD\n"
    res = ingest_file(OP, CREATOR, "partly.csv", data)
    assert_rejected_and_kept(res, data, "--map gross=")
    assert res.missing == ["gross"]


def test_a_rejected_file_ingests_once_mapped():
    data = b"order_id,date,product,price paid,devise\nA-1,2025-07-01,Ebook,12.50,USD\n"
    assert ingest_file(OP, CREATOR, "partly.csv", data).status == "rejected"
    res = ingest_file(OP, CREATOR, "partly.csv", data, mapping={"gross": "price paid"})
    assert (res.status, res.rows_loaded) == ("loaded", 1)


def test_file_over_the_size_limit_is_refused_before_it_is_kept(monkeypatch):
    monkeypatch.setenv("KASUWA_MAX_UPLOAD_MB", "0.05")  # 51,200 bytes
    data = good_csv(2000)
    assert len(data) > 60_000
    res = ingest_file(OP, CREATOR, "big.csv", data)
    assert res.status == "rejected" and "the limit is" in res.message and "MB" in res.message
    assert "\n" not in res.message and "Traceback" not in res.message
    assert res.profile is None and res.headers == []  # never read
    landing = settings().landing_dir / REGION
    assert not landing.exists() or not any(landing.iterdir())  # nothing kept, no half-written file
    assert warehouse(REGION).one("SELECT count(*) FROM sales")[0] == 0


# --- messy text: handled or flagged, never a crash ------------------------------------------


def counts(res) -> tuple[int, int, int, int]:
    return res.rows_total, res.rows_loaded, res.rows_flagged, res.rows_skipped


def flagged_reasons(upload_id: str) -> dict[int, list[str]]:
    return dict(
        warehouse(REGION).rows(
            "SELECT row_number, reasons FROM flagged_rows WHERE upload_id = ? ORDER BY row_number", [upload_id]
        )
    )


def test_undecodable_bytes_flag_their_rows_and_load_the_rest():
    # 0x81 and 0x8d are undefined in Windows-1252 as well as invalid UTF-8
    data = (HEADER + "\nU-1,2025-07-01,Caf\xe9 mix,1,10.00,NGN,NG\n").encode(
        "cp1252"
    ) + b"U-2,2025-07-02,Bad\x81\x8d,1,11.00,NGN,NG\nU-3,2025-07-03,Plain,1,12.00,NGN,NG\n"
    res = ingest_file(OP, CREATOR, "cp1252.csv", data)
    assert res.status == "loaded"
    assert counts(res) == (3, 2, 1, 0)
    assert any("Windows-1252" in a for a in res.assumptions)
    assert flagged_reasons(res.upload_id) == {2: ["the row has bytes that could not be decoded"]}
    products = [p for (p,) in warehouse(REGION).rows("SELECT product FROM sales ORDER BY row_number")]
    assert products == ["Café mix", "Plain"]


def test_a_stray_bad_byte_in_a_utf8_file_does_not_garble_the_good_rows():
    data = (HEADER + "\nV-1,2025-07-01,Café ₦ shop,1,10.00,NGN,NG\nV-3,2025-07-03,Ça va,1,12.00,NGN,NG\n").encode()
    data += b"V-2,2025-07-02,Bad\xff byte,1,11.00,NGN,NG\n"
    res = ingest_file(OP, CREATOR, "utf8.csv", data)
    assert counts(res) == (3, 2, 1, 0)
    assert flagged_reasons(res.upload_id) == {3: ["the row has bytes that could not be decoded"]}
    products = [p for (p,) in warehouse(REGION).rows("SELECT product FROM sales ORDER BY row_number")]
    assert products == ["Café ₦ shop", "Ça va"]


def test_ragged_lines_are_flagged_not_fatal():
    data = (
        HEADER + "\n"
        "R-1,2025-07-01,Ebook,1,10.00,NGN,NG\n"
        "R-2,2025-07-01,Ebook,1,10.00,NGN,NG,surplus,cells\n"  # too many cells
        "R-3,2025-07-01\n"  # too few: product and amount missing
        "R-4,2025-07-01,Ebook,1,10.00,NGN\n"
    ).encode()  # only the optional country missing
    res = ingest_file(OP, CREATOR, "ragged.csv", data)
    assert res.status == "loaded"
    assert counts(res) == (4, 2, 2, 0)
    reasons = flagged_reasons(res.upload_id)
    assert set(reasons) == {2, 3}
    assert "the line has more cells than the header has columns" in reasons[2]
    assert {"product name is missing", "amount is missing or not a number"} <= set(reasons[3])
    raw = json.loads(
        warehouse(REGION).one("SELECT raw FROM flagged_rows WHERE upload_id = ? AND row_number = 3", [res.upload_id])[0]
    )
    assert raw["order_id"] == "R-3" and raw["product"] is None


def test_quoted_newlines_stay_inside_their_cell():
    data = (
        HEADER + "\n"
        'Q-1,2025-07-01,"Two\nlines",1,10.00,NGN,NG\n'
        'Q-2,2025-07-02,"Say ""hi""\r\nthere",2,20.00,NGN,NG\n'
        "Q-3,2025-07-03,Plain,1,30.00,NGN,NG\n"
    ).encode()
    res = ingest_file(OP, CREATOR, "quoted.csv", data)
    assert counts(res) == (3, 3, 0, 0)
    got = warehouse(REGION).rows("SELECT row_number, order_id, product FROM sales ORDER BY row_number")
    assert got == [(1, "Q-1", "Two\nlines"), (2, "Q-2", 'Say "hi"\r\nthere'), (3, "Q-3", "Plain")]


def test_quoted_newlines_and_ragged_lines_together_keep_row_numbers():
    data = (
        HEADER + "\n"
        'M-1,2025-07-01,"Multi\nline",1,10.00,NGN,NG,extra\n'
        "M-2,2025-07-02,Short\n"
        'M-3,2025-07-03,"Again\nand\nagain",1,30.00,NGN,NG\n'
    ).encode()
    res = ingest_file(OP, CREATOR, "mixed.csv", data)
    assert counts(res) == (3, 1, 2, 0)
    assert set(flagged_reasons(res.upload_id)) == {1, 2}
    assert warehouse(REGION).rows("SELECT row_number, product FROM sales") == [(3, "Again\nand\nagain")]


def test_unterminated_quote_never_crashes():
    data = (
        HEADER + "\nZ-1,2025-07-01,Ebook,1,10.00,NGN,NG\n"
        'Z-2,2025-07-02,"never closed,1,10.00,NGN,NG\nZ-3,2025-07-03,Ebook,1,10.00,NGN,NG\n'
    ).encode()
    res = ingest_file(OP, CREATOR, "unterminated.csv", data)
    assert res.status in ("loaded", "rejected")
    assert "\n" not in res.message
    if res.status == "loaded":
        assert res.rows_total == res.rows_loaded + res.rows_flagged + res.rows_skipped
        assert res.rows_loaded >= 1


# --- through the command line ----------------------------------------------------------------


def run_cli(path: Path) -> subprocess.CompletedProcess[str]:
    close_all()  # one writing process per DuckDB file: let the child have it
    return subprocess.run(
        ["kasuwa", "ingest", str(path), "--creator", CREATOR, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


CLI_CASES = [
    "empty",
    "binary named csv",
    "corrupt xlsx",
    "zip bomb as xlsx",
    "xml entity bomb in xlsx",
    "json nested 10,000 deep",
]


@pytest.mark.parametrize("case", CLI_CASES)
def test_cli_rejects_bad_file_with_exit_1_and_one_line(case, tmp_path):
    name, make, _needle = BAD_FILES[case]
    data = make()
    path = tmp_path / name
    path.write_bytes(data)
    proc = run_cli(path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"kasuwa: {path}: "), proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "rejected" and out["message"] in lines[0]
    res = type(
        "R",
        (),
        {"status": out["status"], "message": out["message"], "sha256": out["sha256"], "upload_id": out["upload_id"]},
    )
    assert_rejected_and_kept(res, data, None)


def test_cli_rejects_unmapped_headers_with_exit_1(tmp_path):
    path = tmp_path / "mystery.csv"
    path.write_bytes(b"foo,bar\n1,2\n")
    proc = run_cli(path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    [line] = proc.stderr.splitlines()
    assert "--map gross=" in line and "--map sold_at=" in line
    assert json.loads(proc.stdout)["missing"] == ["gross", "sold_at"]


def test_cli_rejects_file_over_size_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("KASUWA_MAX_UPLOAD_MB", "0.05")  # inherited by the child process
    path = tmp_path / "big.csv"
    path.write_bytes(good_csv(2000))
    proc = run_cli(path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    [line] = proc.stderr.splitlines()
    assert "the limit is" in line


def test_cli_loads_messy_text_with_exit_0(tmp_path):
    path = tmp_path / "messy.csv"
    path.write_bytes(
        (
            HEADER + '\nC-1,2025-07-01,"Two\nlines",1,10.00,NGN,NG\nC-2,2025-07-01,Ebook,1,10.00,NGN,NG,surplus\n'
        ).encode()
        + b"C-3,2025-07-01,\x81,1,1,NGN,NG\n"
    )
    proc = run_cli(path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out = json.loads(proc.stdout)
    assert (out["status"], out["rows_total"], out["rows_loaded"], out["rows_flagged"]) == ("loaded", 3, 1, 2)
