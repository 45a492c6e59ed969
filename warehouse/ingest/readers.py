"""Readers: turn an uploaded file into a staging table of text cells, whatever its shape.

Each reader fills the temporary table
``stg(_row BIGINT, c0 .. cN VARCHAR, _cells INTEGER, _damage VARCHAR)`` on the ingest's own
cursor: ``_row`` is the data row's position in the file (1 = first row after the header),
``c<i>`` the text of header ``i``, ``_cells`` the number of cells when a line had more than the
header (a ragged line), else NULL, and ``_damage`` NULL for a good row, else why the row cannot
be trusted, in words for the reviewer (a line with an unmatched quote mark).

CSV takes DuckDB's parallel reader first and falls back to Python's ``csv`` module for files
DuckDB refuses (ragged lines, quoted newlines mixed with short rows, lone-CR line ends), so
clean files are fast and messy ones still load. An unmatched quote mark never swallows the
lines after it: the careful reader notices a quoted cell that runs over lines that look like
whole rows of their own, or that never closes, reads the line that opened it on its own (marked
in ``_damage``) and the following lines as rows again. On the fast path the check costs one
count of the file's line ends, plus one SQL scan of the multi-line cells when there are any.
Every failure to read becomes ``FileRejected`` with a reason a person can act on; nothing raises
a library error to the caller.
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
from ..i18n import N_

HeaderScore = Callable[[list[str]], float]

_BATCH = 50_000
_SCAN_ROWS = 30  # rows searched for the header (bKash puts title rows above it)
_TEXT_PREFIX = 256 * 1024
_MAX_XLSX_UNCOMPRESSED = 512 * 1024 * 1024
_MAX_XLSX_RATIO = 150
_MAX_COLUMNS = 500
_MAX_CELL = 16 * 1024 * 1024
csv.field_size_limit(_MAX_CELL)
UNMATCHED_QUOTE = "line {line} of the file has an unmatched quote mark; the row may be cut or merged with the next"


@dataclass
class Staged:
    kind: str  # csv | xlsx | json | parquet
    headers: list[str]
    rows: int
    header_row: int  # 1-based line/row of the header in the file
    assumptions: list[str] = field(default_factory=list)
    replaced_chars: bool = False  # undecodable bytes were replaced with U+FFFD
    damaged_rows: int = 0  # rows whose ``_damage`` says why they cannot be trusted
    table: str = "stg"  # the temporary table (or view) of text cells this stage owns


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
    raise FileRejected(N_("No header row found: the file needs a row of column names above the sales."))


class _Stager:
    """Creates ``stg`` and appends rows to it in Arrow batches."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, ncols: int) -> None:
        if ncols > _MAX_COLUMNS:
            raise FileRejected(N_("The file has %(count)s columns; Kasuwa reads at most %(limit)s.", count=ncols,
                                  limit=_MAX_COLUMNS))
        self.cur, self.ncols, self.count = cur, ncols, 0
        cols = ", ".join(f"c{i} VARCHAR" for i in range(ncols))
        cur.execute(f"CREATE OR REPLACE TEMP TABLE stg (_row BIGINT, {cols}, _cells INTEGER, _damage VARCHAR)")
        self._buf: list[list[str | None]] = [[] for _ in range(ncols)]
        self._cells: list[int | None] = []
        self._damage: list[str | None] = []

    def add(self, row: list[str | None], damage: str | None = None) -> None:
        n = len(row)
        for i in range(self.ncols):
            self._buf[i].append(row[i] if i < n else None)
        self._cells.append(n if n > self.ncols else None)
        self._damage.append(damage)
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
        arrays["_damage"] = pa.array(self._damage, pa.string())
        # registered by name: the sandbox (warehouse/sandbox.py) turns replacement scans off
        self.cur.register("kw_batch", pa.table(arrays))
        try:
            self.cur.execute("INSERT INTO stg SELECT * FROM kw_batch")
        finally:
            self.cur.unregister("kw_batch")
        self.count += len(self._cells)
        self._buf = [[] for _ in range(self.ncols)]
        self._cells = []
        self._damage = []


# --- text files ---------------------------------------------------------------------------

def _utf32_without_bom(sample: bytes) -> str | None:
    """"utf-32-le"/"utf-32-be" when the NUL bytes fall as only UTF-32 text puts them: every
    code point is below 0x110000, so one byte of four is always NUL and the next at most 0x10,
    while the lowest byte (the character itself, in text) is mostly not NUL."""
    sample = sample[: len(sample) // 4 * 4]
    if len(sample) < 8:
        return None
    quads = [sample[i::4] for i in range(4)]
    for codec, (low, top, zero) in (("utf-32-le", (0, 2, 3)), ("utf-32-be", (3, 1, 0))):
        if (quads[zero].count(0) == len(quads[zero]) and max(quads[top]) <= 0x10
                and len(quads[low]) - quads[low].count(0) >= len(quads[low]) // 2):
            return codec
    return None


def _detect_encoding(head: bytes) -> tuple[str, int]:
    """(codec, BOM length) from a byte-order mark or the pattern of NUL bytes."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    # before UTF-16: UTF-32-LE's mark begins with UTF-16-LE's
    if head.startswith(codecs.BOM_UTF32_LE):
        return "utf-32-le", 4
    if head.startswith(codecs.BOM_UTF32_BE):
        return "utf-32-be", 4
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    sample = head[:4096]
    if sample and sample.count(b"\x00") > len(sample) // 4:
        utf32 = _utf32_without_bom(sample)
        if utf32:
            return utf32, 0
        even = sample[0::2].count(b"\x00")
        odd = sample[1::2].count(b"\x00")
        if odd > len(sample) // 3:
            return "utf-16-le", 0
        if even > len(sample) // 3:
            return "utf-16-be", 0
        raise FileRejected(N_("This is not a text file (it looks binary). Export the sales as CSV, XLSX or JSON."))
    if b"\x00" in sample:
        raise FileRejected(N_("This is not a text file (it looks binary). Export the sales as CSV, XLSX or JSON."))
    return "utf-8", 0


def _line_feeds(path: Path) -> int:
    count = 0
    with open(path, "rb") as f:
        while chunk := f.read(4 * 1024 * 1024):
            count += chunk.count(b"\n")
    return count


def _utf8_line_feeds(path: Path, skip: int) -> int | None:
    """The file's number of line feeds when it is valid UTF-8 (counted on the same pass, for
    the check of swallowed lines), else None."""
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    count = 0
    with open(path, "rb") as f:
        f.seek(skip)
        try:
            while chunk := f.read(4 * 1024 * 1024):
                dec.decode(chunk)
                count += chunk.count(b"\n")
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            return None
    return count


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
        raise FileRejected(N_("The file is empty. Export the sales again and upload the new file."))
    codec, bom = _detect_encoding(head)
    assumptions: list[str] = []
    replaced = False
    text_path = path
    line_feeds = _utf8_line_feeds(path, bom) if codec == "utf-8" else None
    if line_feeds is not None:
        if bom:
            assumptions.append(N_("Read as UTF-8 (with byte-order mark)."))
    else:
        if codec == "utf-8" and _mostly_utf8(path, bom):
            # a UTF-8 file with a few bad bytes: reading it all as Windows-1252 would turn every
            # "é" and "₦" of the good rows into mojibake and load them silently
            assumptions.append(N_("The file is UTF-8 with some invalid bytes."))
        elif codec == "utf-8":
            codec = "cp1252"
            assumptions.append(N_("The file is not UTF-8; read it as Windows-1252 (Excel's usual CSV encoding)."))
        elif codec.startswith("utf-32"):
            assumptions.append(N_("Read as %(encoding)s.", encoding=codec.upper()))
        else:
            assumptions.append(N_("Read as %(encoding)s (Excel 'Unicode Text').", encoding=codec.upper()))
        text_path = scratch / "decoded.csv"
        replaced = _transcode(path, codec, bom, text_path)
        bom = 0
        line_feeds = None
        if replaced:
            assumptions.append(N_("Some bytes could not be decoded; rows containing them are flagged."))
    with open(text_path, encoding="utf-8", errors="replace", newline="") as f:
        f.read(1) if bom else None  # the BOM decodes to one character
        prefix = f.read(_TEXT_PREFIX)
    if prefix.count("\x00") > len(prefix) // 100:
        # text decoded with the wrong encoding (an unmarked UTF-32 or UTF-16 the NUL pattern did
        # not settle) reads as NUL characters between the letters
        raise FileRejected(N_("Kasuwa could not recognise the file's text encoding. Open it in a spreadsheet, "
                           "save it as 'CSV UTF-8' and upload that file."))
    delim = _sniff_delimiter(prefix)
    if delim != ",":
        assumptions.append({";": N_("Columns separated by semicolons."), "\t": N_("Columns separated by tabs."),
                            "|": N_("Columns separated by '|'.")}[delim])
    # newline="": lines end at LF, CRLF or a lone CR, as the file is read below
    reader = csv.reader(io.StringIO(prefix, newline=""), delimiter=delim)
    first: list[list[str | None]] = []
    ends: list[int] = []
    try:
        for row in reader:
            first.append([c if c.strip() else None for c in row])
            ends.append(reader.line_num)
            if len(first) >= _SCAN_ROWS:
                break
    except csv.Error as exc:
        raise FileRejected(N_("The first lines of the file cannot be read as rows of columns; "
                           "export the sales again as CSV and upload the new file.")) from exc
    first_nonblank = [r for r in first if any(r)]
    if not first_nonblank:
        raise FileRejected(N_("The file is empty. Export the sales again and upload the new file."))
    idx = _pick_header(first, score)
    headers = unique_headers(first[idx])
    skip_lines = ends[idx]
    if idx > 0:
        assumptions.append(N_("The header is on line %(line)s (rows above it are titles).", line=skip_lines))
    ncols = len(headers)
    if ncols > _MAX_COLUMNS:  # the prefix may end inside the header: count it in the file itself
        raise FileRejected(N_("The file has %(count)s columns; Kasuwa reads at most %(limit)s.",
                              count=_fields_on_line(text_path, delim, skip_lines), limit=_MAX_COLUMNS))
    # DuckDB's reader can return too few rows without an error (mixed CRLF/LF line ends, lone
    # CRs); the careful reader takes such files, any file where DuckDB reads fewer rows than the
    # first 256 KiB alone hold, and any whose quoted cells swallowed lines that look like rows.
    mixed_ends = ("\r\n" in prefix and re.search(r"(?<!\r)\n", prefix) is not None) or re.search(
        r"\r(?!\n)", prefix) is not None
    at_least = max(0, sum(1 for r in csv.reader(io.StringIO(prefix, newline=""), delimiter=delim) if any(
        c.strip() for c in r)) - (idx + 1) - 1)
    damaged = 0
    if mixed_ends or not _duckdb_csv(cur, text_path, delim, skip_lines, ncols):
        damaged = _python_csv(cur, text_path, delim, skip_lines, ncols, bom)
    elif _count(cur) < at_least or _may_have_swallowed(cur, text_path, delim, skip_lines, ncols, line_feeds):
        cur.execute("DROP VIEW stg")  # the careful reader's table replaces DuckDB's view
        cur.execute("DROP TABLE stg_raw")
        damaged = _python_csv(cur, text_path, delim, skip_lines, ncols, bom)
    if damaged:
        assumptions.append(
            N_("%(count)s lines have an unmatched quote mark; they were read line by line and wait for a reviewer.",
               count=damaged)
            if damaged > 1 else
            N_("1 line has an unmatched quote mark; it was read on its own and waits for a reviewer."))
    rows = _count(cur)
    return Staged("csv", headers, rows, skip_lines, assumptions, replaced, damaged)


def _fields_on_line(path: Path, delim: str, line: int) -> int:
    """How many fields the ``line``-th line (1-based, counted as the csv module counts them: a
    quoted cell may span lines) of a UTF-8 text file has, read 1 MiB at a time (a header of
    100,000 columns is longer than the prefix the header was found in)."""
    fields, quoted, at_line = 1, False, 1
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        while chunk := f.read(1 << 20):
            for ch in chunk:
                if ch == '"':
                    quoted = not quoted
                elif quoted:
                    continue
                elif ch == "\n":
                    if at_line == line:
                        return fields
                    at_line, fields = at_line + 1, 1
                elif ch == delim and at_line == line:
                    fields += 1
    return fields


def _duckdb_csv(cur: duckdb.DuckDBPyConnection, path: Path, delim: str, skip: int, ncols: int) -> bool:
    """DuckDB's fast reader; False when the file needs the careful Python reader."""
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(ncols)) + "}"
    try:
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE stg_raw AS SELECT * FROM read_csv(?, auto_detect = false,"
            f" header = false, skip = ?, delim = ?, quote = '\"', escape = '\"', columns = {cols},"
            " null_padding = true, max_line_size = 2097152)",
            [str(path), skip, delim],
        )
        # max_line_size sizes DuckDB's read buffers (16 MiB lines took 256 MiB blocks, more than
        # a small memory limit allows); a longer line fails here and the careful reader takes it.
        # A view, not a copy: copying held the file twice in memory at once (the peak of a
        # 5M-row ingest); insertion order is preserved, so rowid is the line's position
        cur.execute(
            "CREATE OR REPLACE TEMP VIEW stg AS SELECT (rowid + 1)::BIGINT AS _row, *,"
            " NULL::INTEGER AS _cells, NULL::VARCHAR AS _damage FROM stg_raw"
        )
        return True
    except duckdb.Error:
        cur.execute("DROP TABLE IF EXISTS stg_raw")
        return False


def _may_have_swallowed(cur: duckdb.DuckDBPyConnection, path: Path, delim: str, skip: int, ncols: int,
                        line_feeds: int | None) -> bool:
    """True when DuckDB's rows may hide a quote that swallowed lines: some cell holds a line
    break followed by a line with a whole row's worth of delimiters. A file with no more line
    feeds than rows (the usual case) holds no cell with a line break: then the check costs only
    the count of line feeds (taken while the encoding was checked, for UTF-8 files)."""
    if ncols < 3:
        return False
    breaks = _line_feeds(path) if line_feeds is None else line_feeds
    if breaks <= _count(cur) + skip:
        return False
    d = f"chr({ord(delim)})"
    rowlike = " OR ".join(
        f"(strpos(c{i}, chr(10)) > 0 AND list_bool_or(list_transform(string_split(c{i}, chr(10))[2:],"
        f" x -> length(x) - length(replace(x, {d}, '')) >= {ncols - 1})))" for i in range(ncols))
    row = cur.execute(f"SELECT count(*) FROM (SELECT 1 FROM stg_raw WHERE {rowlike} LIMIT 1)").fetchone()
    return bool(row and row[0])


class _Lines:
    """The file's physical lines (ended by LF, CRLF or a lone CR) for ``csv.reader``, keeping
    those handed out for the record being read, so that a record which swallowed lines can
    be taken apart and its lines read again."""

    def __init__(self, f: Iterator[str]) -> None:
        self._f = f
        self._back: list[str] = []
        self.taken: list[str] = []
        self.first = 1  # the file's line number of taken[0]

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._back.pop() if self._back else next(self._f)
        self.taken.append(line)
        return line

    def keep(self) -> None:
        """The record just read stands."""
        self.first += len(self.taken)
        self.taken = []

    def first_alone(self) -> str:
        """The record just read is broken: its first line stands alone, the others are read again."""
        line, rest = self.taken[0], self.taken[1:]
        self._back.extend(reversed(rest))
        self.first += 1
        self.taken = []
        return line


def _looks_like_rows(lines: list[str], delim: str, ncols: int) -> bool:
    """True when one of ``lines`` alone holds a whole row (as many cells as the header): a
    quoted cell running over it swallowed rows. Text in a multi-line cell (an M-Pesa
    ``Details``, a Shopify note) does not hold that many delimiters."""
    if ncols < 3:
        return False
    return any(len(next(csv.reader([ln], delimiter=delim), [])) >= ncols
               for ln in lines if ln.count(delim) >= ncols - 1)


def _split_damaged(line: str, delim: str) -> list[str | None]:
    """The cells of a line with an unmatched quote mark, as a person would read them: quoted
    cells that close are read as such, a quote that never closes is kept as text and the
    rest of the line is split at each delimiter (not swallowed into one cell)."""
    text = line.rstrip("\r\n")
    cells: list[str] = []
    i, n = 0, len(text)
    while i <= n:
        if i < n and text[i] == '"':
            j, buf = i + 1, []
            while True:
                k = text.find('"', j)
                if k < 0:  # never closes: the rest is text
                    cells.extend(text[i:].split(delim))
                    return [c if c.strip() else None for c in cells]
                if text.startswith('""', k):
                    buf.append(text[j:k + 1])
                    j = k + 2
                elif k + 1 == n or text[k + 1] == delim:
                    buf.append(text[j:k])
                    cells.append("".join(buf))
                    i = k + 2
                    break
                else:  # a quote inside the cell: kept as text
                    buf.append(text[j:k + 1])
                    j = k + 1
        else:
            k = text.find(delim, i)
            cells.append(text[i:] if k < 0 else text[i:k])
            i = n + 1 if k < 0 else k + 1
    return [c if c.strip() else None for c in cells]


def _python_csv(cur: duckdb.DuckDBPyConnection, path: Path, delim: str, skip_lines: int, ncols: int,
                bom: int) -> int:
    """Stage the rows below the first ``skip_lines`` lines with Python's ``csv`` module; returns
    how many rows are damaged (a line with an unmatched quote mark, read on its own)."""
    stager = _Stager(cur, ncols)
    damaged = 0
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        if bom:
            f.read(1)
        lines = _Lines(f)
        for _ in range(skip_lines):
            if next(lines, None) is None:
                break
        lines.keep()
        reader = csv.reader(lines, delimiter=delim, strict=True)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                # strict: a quote that never closes, or a closing quote followed by more text
                if "field larger" in str(exc) and not _looks_like_rows(lines.taken[1:], delim, ncols):
                    raise FileRejected(
                        N_("A cell starting on line %(line)s holds more than %(size)s MB of text; a sales export "
                           "never does. Check that the file is the export itself and upload it again.",
                           line=lines.first, size=_MAX_CELL // 1048576)) from exc
                if len(lines.taken) == 1 and lines.taken[0].count('"') % 2 == 0:
                    # quotes that pair up, e.g. text after a closing quote ("b" ,): read as before
                    row = next(csv.reader(lines.taken, delimiter=delim), [])
                    lines.keep()
                    stager.add([c if c.strip() else None for c in row])
                    continue
                line_no = lines.first
                stager.add(_split_damaged(lines.first_alone(), delim), UNMATCHED_QUOTE.format(line=line_no))
                damaged += 1
                continue
            if len(lines.taken) > 2 and _looks_like_rows(lines.taken[1:-1], delim, ncols):
                line_no = lines.first
                stager.add(_split_damaged(lines.first_alone(), delim), UNMATCHED_QUOTE.format(line=line_no))
                damaged += 1
                continue
            lines.keep()
            if row:
                stager.add([c if c.strip() else None for c in row])
    stager.flush()
    return damaged


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
                        N_("The spreadsheet unpacks to far more data than it holds (a compression bomb?); "
                       "it was not opened. Export the sheet as CSV instead.")
                )
            if "xl/workbook.xml" not in {i.filename for i in infos}:
                raise FileRejected(N_("This zip file is not an Excel workbook (.xlsx)."))
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    with z.open(info) as member:
                        head = member.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise FileRejected(
                            N_("The spreadsheet declares XML entities (a known attack); it was not opened.")
                        )
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
        # damaged deflate data (zlib.error), cut-off members (EOFError), unknown compression
        # methods (NotImplementedError) and encrypted members (RuntimeError) all mean the same
        raise FileRejected(N_("The spreadsheet is damaged or truncated; export it again.")) from exc


def _iter_xlsx(path: Path) -> Iterator[list[str | None]]:
    import openpyxl

    # a file object, not the path: the landed file is named by its sha256 and openpyxl refuses
    # paths without an .xlsx extension
    fh = open(path, "rb")  # noqa: SIM115 - closed in the finally below, after the last row
    try:
        try:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for damaged files
            raise FileRejected(N_("The spreadsheet is damaged or truncated; export it again.")) from exc
        try:
            ws = wb.worksheets[0]
            for row in ws.iter_rows(values_only=True):
                yield [_cell_text(v) for v in row]
        except Exception as exc:
            raise FileRejected(
                N_("The spreadsheet cannot be read (%(problem)s); export it again.", problem=type(exc).__name__)
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
        raise FileRejected(N_("The file holds no rows. Export the sales again and upload the new file."))
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
    assumptions = [N_("The header is on row %(row)s (rows above it are titles).", row=idx + 1)] if idx else []
    return Staged(kind, headers, stager.count, idx + 1, assumptions)


_RECORD_KEYS = ("data", "transactions", "orders", "sales", "results", "items")
_MAX_JSON_DEPTH = 4  # API answers wrap their list ({"200": {"data": {"data": [...]}}}) a few levels deep
_FLATTEN_DEPTH = 3  # nested objects become "data.attributes.total" up to this depth; deeper stay JSON text


def _find_records(doc: Any, depth: int = 0) -> list[Any] | None:
    """The list of records in an API answer or an export: the document itself when it is a list,
    else the first list of objects under a usual key (data, transactions, …), then under any key,
    looking a few levels down; None when there is none."""
    if isinstance(doc, list):
        return doc
    if not isinstance(doc, dict) or depth > _MAX_JSON_DEPTH:
        return None
    children = [doc[k] for k in _RECORD_KEYS if k in doc] + [v for k, v in doc.items() if k not in _RECORD_KEYS]
    for v in children:
        if isinstance(v, list) and v and isinstance(v[0], dict):
            return v
    for v in children:
        if isinstance(v, dict):
            found = _find_records(v, depth + 1)
            if found is not None:
                return found
    return None


def _records(doc: Any) -> list[dict[str, Any]]:
    recs = _find_records(doc)
    if recs is None and isinstance(doc, dict):
        recs = [doc]  # one record: a webhook's event, a single order
    if not recs or not all(isinstance(r, dict) for r in recs):
        raise FileRejected(N_("The JSON holds no list of sale records (objects with fields)."))
    return recs


def _flatten(rec: dict[str, Any], prefix: str = "", depth: int = 1) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in rec.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v and depth < _FLATTEN_DEPTH:
            out.update(_flatten(v, key + ".", depth + 1))
        else:
            out[key] = v
    return out


def _read_json(cur: duckdb.DuckDBPyConnection, path: Path, score: HeaderScore) -> Staged:
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8-sig"))
    except RecursionError as exc:
        raise FileRejected(N_("The JSON is nested too deeply to be sales records.")) from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise FileRejected(N_("The JSON cannot be read: %(reason)s.", reason=str(exc).splitlines()[0])) from exc
    recs = [_flatten(r) for r in _records(doc)]
    for i, r in enumerate(recs, start=1):
        if any(isinstance(v, str) and len(v) > _MAX_CELL for v in r.values()):
            raise FileRejected(N_("Record %(record)s of the JSON holds a text of more than %(size)s MB; a sales export "
                                  "never does. Check that the file is the export itself and upload it again.",
                                  record=i, size=_MAX_CELL // 1048576))
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
            raise FileRejected(N_("The file has %(count)s columns; Kasuwa reads at most %(limit)s.", count=len(names),
                                  limit=_MAX_COLUMNS))
        cols = ", ".join(f'CAST("{n.replace(chr(34), chr(34) * 2)}" AS VARCHAR) AS c{i}' for i, n in enumerate(names))
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE stg AS SELECT (row_number() OVER ())::BIGINT AS _row, {cols},"
            " NULL::INTEGER AS _cells, NULL::VARCHAR AS _damage FROM read_parquet(?)",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise FileRejected(N_("The Parquet file is damaged or unreadable; export it again.")) from exc
    return Staged("parquet", unique_headers(names), _count(cur), 1)


def stage_file(cur: duckdb.DuckDBPyConnection, path: Path, file_name: str, scratch: Path,
               score: HeaderScore) -> Staged:
    """Fill ``stg`` from the landed file, choosing the reader from the bytes (not the name)."""
    with open(path, "rb") as f:
        magic = f.read(8)
    if not magic:
        raise FileRejected(N_("The file is empty. Export the sales again and upload the new file."))
    if magic.startswith(b"PK\x03\x04") or magic.startswith(b"PK\x05\x06"):
        _check_zip(path)
        return _stage_rows(cur, _iter_xlsx(path), score, "xlsx")
    if magic.startswith(b"PAR1"):
        return _read_parquet(cur, path)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRejected(N_("Old Excel (.xls) files are not read; save the sheet as .xlsx or CSV."))
    stripped = magic.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"[") or file_name.lower().endswith(".json"):
        return _read_json(cur, path, score)
    return _read_text(cur, path, scratch, score)
