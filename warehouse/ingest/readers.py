"""Readers: turn an uploaded file into a staging table of text cells, whatever its shape.

Each reader fills the temporary table ``stg(_row BIGINT, c0 .. cN VARCHAR, _cells INTEGER)``
on the ingest's own cursor: ``_row`` is the data row's position in the file (1 = first row
after the header), ``c<i>`` the text of header ``i``, ``_cells`` the number of cells when a
line had more than the header (a ragged line), else NULL.

CSV takes DuckDB's parallel reader first and falls back to Python's ``csv`` module for files
DuckDB refuses (ragged lines, quoted newlines mixed with short rows), so clean files are fast
and messy ones still load. Every failure to read becomes ``FileRejected`` with a reason a
person can act on; nothing raises a library error to the caller.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ..errors import FileRejected

HeaderScore = Callable[[list[str]], float]

_BATCH = 50_000
_SCAN_ROWS = 30  # rows searched for the header (bKash puts title rows above it)
_TEXT_PREFIX = 256 * 1024
_MAX_XLSX_UNCOMPRESSED = 512 * 1024 * 1024
_MAX_XLSX_RATIO = 150
_MAX_COLUMNS = 500
csv.field_size_limit(16 * 1024 * 1024)


@dataclass
class Staged:
    kind: str  # csv | xlsx | json | parquet
    headers: list[str]
    rows: int
    header_row: int  # 1-based line/row of the header in the file
    assumptions: list[str] = field(default_factory=list)
    replaced_chars: bool = False  # undecodable bytes were replaced with U+FFFD


def unique_headers(cells: Iterable[Any]) -> list[str]:
    """Header texts made unique ("Email", "Email (2)") so a repeated name maps to its first use."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(cells):
        name = " ".join(str(cell).split()) if cell is not None else ""
        name = name.lstrip("\ufeff") or f"column {i + 1}"
        n = seen.get(name.lower(), 0) + 1
        seen[name.lower()] = n
        out.append(name if n == 1 else f"{name} ({n})")
    return out


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time, int, Decimal)):
        return str(value) if not isinstance(value, date) else value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    text = str(value)
    return text if text.strip() else None


def _pick_header(rows: list[list[str | None]], score: HeaderScore) -> int:
    """Index of the header among the first rows: the best profile match, else the first
    row with at least two non-empty cells."""
    best, best_score = -1, 0.0
    for i, row in enumerate(rows[:_SCAN_ROWS]):
        cells = [c for c in row if c]
        if len(cells) < 2:
            continue
        s = score([str(c) for c in row if c is not None])
        if s > best_score:
            best, best_score = i, s
    if best >= 0:
        return best
    for i, row in enumerate(rows[:_SCAN_ROWS]):
        if sum(1 for c in row if c) >= 2:
            return i
    raise FileRejected("No header row found: the file needs a row of column names above the sales.")


class _Stager:
    """Creates ``stg`` and appends rows to it in Arrow batches."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, ncols: int) -> None:
        if ncols > _MAX_COLUMNS:
            raise FileRejected(f"The file has {ncols} columns; Kasuwa reads at most {_MAX_COLUMNS}.")
        self.cur, self.ncols, self.count = cur, ncols, 0
        cols = ", ".join(f"c{i} VARCHAR" for i in range(ncols))
        cur.execute(f"CREATE OR REPLACE TEMP TABLE stg (_row BIGINT, {cols}, _cells INTEGER)")
        self._buf: list[list[str | None]] = [[] for _ in range(ncols)]
        self._cells: list[int | None] = []

    def add(self, row: list[str | None]) -> None:
        n = len(row)
        for i in range(self.ncols):
            self._buf[i].append(row[i] if i < n else None)
        self._cells.append(n if n > self.ncols else None)
        if len(self._cells) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._cells:
            return
        start = self.count + 1
        arrays = {"_row": pa.array(range(start, start + len(self._cells)), pa.int64())}
        for i in range(self.ncols):
            arrays[f"c{i}"] = pa.array(self._buf[i], pa.string())
        arrays["_cells"] = pa.array(self._cells, pa.int32())
        batch = pa.table(arrays)  # noqa: F841 - read by DuckDB's replacement scan below
        self.cur.execute("INSERT INTO stg SELECT * FROM batch")
        self.count += len(self._cells)
        self._buf = [[] for _ in range(self.ncols)]
        self._cells = []


# --- text files ---------------------------------------------------------------------------

def _detect_encoding(head: bytes) -> tuple[str, int]:
    """(codec, BOM length) from a byte-order mark or the pattern of NUL bytes."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    sample = head[:4096]
    if sample and sample.count(b"\x00") > len(sample) // 4:
        even = sample[0::2].count(b"\x00")
        odd = sample[1::2].count(b"\x00")
        if odd > len(sample) // 3:
            return "utf-16-le", 0
        if even > len(sample) // 3:
            return "utf-16-be", 0
        raise FileRejected("This is not a text file (it looks binary). Export the sales as CSV, XLSX or JSON.")
    if b"\x00" in sample:
        raise FileRejected("This is not a text file (it looks binary). Export the sales as CSV, XLSX or JSON.")
    return "utf-8", 0


def _is_utf8(path: Path, skip: int) -> bool:
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    with open(path, "rb") as f:
        f.seek(skip)
        try:
            while chunk := f.read(4 * 1024 * 1024):
                dec.decode(chunk)
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH = re.compile(rb"[\x80-\xff]")


def _mostly_utf8(path: Path, skip: int) -> bool:
    """True when most non-ASCII bytes form valid UTF-8 sequences (Windows-1252 text almost
    never does: its "é" is one byte followed by ASCII)."""
    valid = high = 0
    with open(path, "rb") as f:
        f.seek(skip)
        while chunk := f.read(4 * 1024 * 1024):
            valid += sum(len(m) for m in _UTF8_SEQ.findall(chunk))
            high += len(_HIGH.findall(chunk))
    return valid > 0 and valid >= high - valid


def _transcode(path: Path, codec: str, skip: int, out: Path) -> bool:
    """Write ``path`` decoded with ``codec`` as UTF-8 to ``out``; True if bytes were replaced."""
    dec = codecs.getincrementaldecoder(codec)("replace")
    replaced = False
    with open(path, "rb") as f, open(out, "w", encoding="utf-8", newline="") as w:
        f.seek(skip)
        while chunk := f.read(4 * 1024 * 1024):
            text = dec.decode(chunk)
            replaced = replaced or "\ufffd" in text
            w.write(text)
        tail = dec.decode(b"", final=True)
        replaced = replaced or "\ufffd" in tail
        w.write(tail)
    return replaced


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    best, best_key = ",", (-1.0, 0)
    for d in (",", ";", "\t", "|"):
        counts = [len(next(csv.reader([ln], delimiter=d))) for ln in lines[:40]]
        if not counts or max(counts) < 2:
            continue
        # most lines sharing the most common width wins; more columns breaks ties
        common = max(set(counts), key=counts.count)
        key = (counts.count(common) / len(counts), common)
        if key > best_key:
            best, best_key = d, key
    return best


def _read_text(cur: duckdb.DuckDBPyConnection, path: Path, scratch: Path, score: HeaderScore) -> Staged:
    with open(path, "rb") as f:
        head = f.read(_TEXT_PREFIX)
    if not head.strip():
        raise FileRejected("The file is empty. Export the sales again and upload the new file.")
    codec, bom = _detect_encoding(head)
    assumptions: list[str] = []
    replaced = False
    text_path = path
    if codec == "utf-8" and _is_utf8(path, bom):
        if bom:
            assumptions.append("Read as UTF-8 (with byte-order mark).")
    else:
        if codec == "utf-8" and _mostly_utf8(path, bom):
            # a UTF-8 file with a few bad bytes: reading it all as Windows-1252 would turn every
            # "é" and "₦" of the good rows into mojibake and load them silently
            assumptions.append("The file is UTF-8 with some invalid bytes.")
        elif codec == "utf-8":
            codec = "cp1252"
            assumptions.append("The file is not UTF-8; read it as Windows-1252 (Excel's usual CSV encoding).")
        else:
            assumptions.append(f"Read as {codec.upper()} (Excel 'Unicode Text').")
        text_path = scratch / "decoded.csv"
        replaced = _transcode(path, codec, bom, text_path)
        bom = 0
        if replaced:
            assumptions.append("Some bytes could not be decoded; rows containing them are flagged.")
    with open(text_path, encoding="utf-8", errors="replace", newline="") as f:
        f.read(1) if bom else None  # the BOM decodes to one character
        prefix = f.read(_TEXT_PREFIX)
    delim = _sniff_delimiter(prefix)
    if delim != ",":
        assumptions.append({";": "Columns separated by semicolons.", "\t": "Columns separated by tabs.",
                            "|": "Columns separated by '|'."}[delim])
    reader = csv.reader(io.StringIO(prefix), delimiter=delim)
    first: list[list[str | None]] = []
    ends: list[int] = []
    try:
        for row in reader:
            first.append([c if c.strip() else None for c in row])
            ends.append(reader.line_num)
            if len(first) >= _SCAN_ROWS:
                break
    except csv.Error as exc:
        raise FileRejected(f"The CSV cannot be read: {exc}.") from exc
    first_nonblank = [r for r in first if any(r)]
    if not first_nonblank:
        raise FileRejected("The file is empty. Export the sales again and upload the new file.")
    idx = _pick_header(first, score)
    headers = unique_headers(first[idx])
    skip_lines = ends[idx]
    if idx > 0:
        assumptions.append(f"The header is on line {skip_lines} (rows above it are titles).")
    ncols = len(headers)
    # DuckDB's reader can return too few rows without an error (mixed CRLF/LF line ends, lone
    # CRs); the tolerant reader takes such files, and any file where DuckDB reads fewer rows
    # than the first 256 KiB alone hold.
    mixed_ends = ("\r\n" in prefix and re.search(r"(?<!\r)\n", prefix) is not None) or re.search(
        r"\r(?!\n)", prefix) is not None
    at_least = max(0, sum(1 for r in csv.reader(io.StringIO(prefix), delimiter=delim) if any(
        c.strip() for c in r)) - (idx + 1) - 1)
    if mixed_ends or not _duckdb_csv(cur, text_path, delim, skip_lines, ncols) or _count(cur) < at_least:
        _python_csv(cur, text_path, delim, idx, ncols, bom)
    rows = _count(cur)
    return Staged("csv", headers, rows, skip_lines, assumptions, replaced)


def _duckdb_csv(cur: duckdb.DuckDBPyConnection, path: Path, delim: str, skip: int, ncols: int) -> bool:
    """DuckDB's fast reader; False when the file needs the tolerant Python reader."""
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(ncols)) + "}"
    try:
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE stg_raw AS SELECT * FROM read_csv(?, auto_detect = false,"
            f" header = false, skip = ?, delim = ?, quote = '\"', escape = '\"', columns = {cols},"
            " null_padding = true, max_line_size = 2097152)",
            [str(path), skip, delim],
        )
        # max_line_size sizes DuckDB's read buffers (16 MiB lines took 256 MiB blocks, more than
        # a small memory limit allows); a longer line fails here and the tolerant reader takes it.
        # A view, not a copy: copying held the file twice in memory at once (the peak of a
        # 5M-row ingest); insertion order is preserved, so rowid is the line's position
        cur.execute(
            "CREATE OR REPLACE TEMP VIEW stg AS SELECT (rowid + 1)::BIGINT AS _row, *,"
            " NULL::INTEGER AS _cells FROM stg_raw"
        )
        return True
    except duckdb.Error:
        cur.execute("DROP TABLE IF EXISTS stg_raw")
        return False


def _python_csv(cur: duckdb.DuckDBPyConnection, path: Path, delim: str, header_idx: int, ncols: int,
                bom: int) -> None:
    stager = _Stager(cur, ncols)
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        if bom:
            f.read(1)
        reader = csv.reader(f, delimiter=delim)
        try:
            for i, row in enumerate(reader):
                if i <= header_idx or not row:
                    continue
                stager.add([c if c.strip() else None for c in row])
        except csv.Error as exc:
            raise FileRejected(f"The CSV cannot be read near line {reader.line_num}: {exc}.") from exc
    stager.flush()


def _count(cur: duckdb.DuckDBPyConnection) -> int:
    row = cur.execute("SELECT count(*) FROM stg").fetchone()
    return int(row[0]) if row else 0


# --- spreadsheets, JSON, Parquet ------------------------------------------------------------

def _check_zip(path: Path) -> None:
    """Refuse zip or XML bombs before a spreadsheet library sees the file."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            packed = max(1, sum(i.compress_size for i in infos))
            if total > _MAX_XLSX_UNCOMPRESSED or total / packed > _MAX_XLSX_RATIO:
                raise FileRejected(
                    "The spreadsheet unpacks to far more data than it holds (a compression bomb?); "
                    "it was not opened. Export the sheet as CSV instead."
                )
            if "xl/workbook.xml" not in {i.filename for i in infos}:
                raise FileRejected("This zip file is not an Excel workbook (.xlsx).")
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    with z.open(info) as member:
                        head = member.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise FileRejected(
                            "The spreadsheet declares XML entities (a known attack); it was not opened."
                        )
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
        # damaged deflate data (zlib.error), cut-off members (EOFError), unknown compression
        # methods (NotImplementedError) and encrypted members (RuntimeError) all mean the same
        raise FileRejected("The spreadsheet is damaged or truncated; export it again.") from exc


def _iter_xlsx(path: Path) -> Iterator[list[str | None]]:
    import openpyxl

    # a file object, not the path: the landed file is named by its sha256 and openpyxl refuses
    # paths without an .xlsx extension
    fh = open(path, "rb")  # noqa: SIM115 - closed in the finally below, after the last row
    try:
        try:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for damaged files
            raise FileRejected("The spreadsheet is damaged or truncated; export it again.") from exc
        try:
            ws = wb.worksheets[0]
            for row in ws.iter_rows(values_only=True):
                yield [_cell_text(v) for v in row]
        except Exception as exc:
            raise FileRejected(
                f"The spreadsheet cannot be read ({type(exc).__name__}); export it again."
            ) from exc
        finally:
            wb.close()
    finally:
        fh.close()


def _stage_rows(cur: duckdb.DuckDBPyConnection, rows: Iterator[list[str | None]], score: HeaderScore,
                kind: str) -> Staged:
    first: list[list[str | None]] = []
    for row in rows:
        first.append(row)
        if len(first) >= _SCAN_ROWS:
            break
    if not any(any(r) for r in first):
        raise FileRejected("The file holds no rows. Export the sales again and upload the new file.")
    idx = _pick_header(first, score)
    header = first[idx]
    while header and header[-1] is None:
        header = header[:-1]
    headers = unique_headers(header)
    stager = _Stager(cur, len(headers))
    for row in first[idx + 1:]:
        if any(row):
            stager.add(row)
    for row in rows:
        if any(row):
            stager.add(row)
    stager.flush()
    assumptions = [f"The header is on row {idx + 1} (rows above it are titles)."] if idx else []
    return Staged(kind, headers, stager.count, idx + 1, assumptions)


def _records(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, list):
        recs = doc
    elif isinstance(doc, dict):
        lists = [v for k, v in doc.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
        preferred = [doc[k] for k in ("data", "transactions", "orders", "sales", "results", "items")
                     if isinstance(doc.get(k), list)]
        recs = (preferred or lists or [[doc]])[0]
    else:
        recs = []
    if not recs or not all(isinstance(r, dict) for r in recs):
        raise FileRejected("The JSON holds no list of sale records (objects with fields).")
    return recs


def _flatten(rec: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in rec.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and not prefix:
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _read_json(cur: duckdb.DuckDBPyConnection, path: Path, score: HeaderScore) -> Staged:
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8-sig"))
    except RecursionError as exc:
        raise FileRejected("The JSON is nested too deeply to be sales records.") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise FileRejected(f"The JSON cannot be read: {str(exc).splitlines()[0]}.") from exc
    recs = [_flatten(r) for r in _records(doc)]
    keys: dict[str, None] = {}
    for r in recs:
        keys.update(dict.fromkeys(r))
    names = list(keys)
    header: list[str | None] = list(names)
    rows = iter([header] + [[_cell_text(r.get(k)) for k in names] for r in recs])
    staged = _stage_rows(cur, rows, score, "json")
    return staged


def _read_parquet(cur: duckdb.DuckDBPyConnection, path: Path) -> Staged:
    try:
        desc = cur.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        names = [d[0] for d in desc]
        if len(names) > _MAX_COLUMNS:
            raise FileRejected(f"The file has {len(names)} columns; Kasuwa reads at most {_MAX_COLUMNS}.")
        cols = ", ".join(f'CAST("{n.replace(chr(34), chr(34) * 2)}" AS VARCHAR) AS c{i}' for i, n in enumerate(names))
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE stg AS SELECT (row_number() OVER ())::BIGINT AS _row, {cols},"
            " NULL::INTEGER AS _cells FROM read_parquet(?)",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise FileRejected("The Parquet file is damaged or unreadable; export it again.") from exc
    return Staged("parquet", unique_headers(names), _count(cur), 1)


def stage_file(cur: duckdb.DuckDBPyConnection, path: Path, file_name: str, scratch: Path,
               score: HeaderScore) -> Staged:
    """Fill ``stg`` from the landed file, choosing the reader from the bytes (not the name)."""
    with open(path, "rb") as f:
        magic = f.read(8)
    if not magic:
        raise FileRejected("The file is empty. Export the sales again and upload the new file.")
    if magic.startswith(b"PK\x03\x04") or magic.startswith(b"PK\x05\x06"):
        _check_zip(path)
        return _stage_rows(cur, _iter_xlsx(path), score, "xlsx")
    if magic.startswith(b"PAR1"):
        return _read_parquet(cur, path)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRejected("Old Excel (.xls) files are not read; save the sheet as .xlsx or CSV.")
    stripped = magic.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"[") or file_name.lower().endswith(".json"):
        return _read_json(cur, path, score)
    return _read_text(cur, path, scratch, score)
