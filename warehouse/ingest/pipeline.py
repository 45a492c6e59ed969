"""One upload, end to end: land → read → detect profile → parse → validate → load.

The load is ONE transaction: sales, flagged rows, skipped rows and the upload record commit
together or not at all, so killing the process at any instant leaves the warehouse as it
was or as it is after the load, and running the same ingest again finishes the job.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ..access import Actor
from ..db import owner_client, warehouse
from ..errors import FileRejected, KasuwaError, MappingNeeded, RegionUnavailable, WarehouseBusy
from ..i18n import N_, translate_text
from ..regions import get_region
from ..settings import PROJECT_ROOT, settings
from . import advice, guard, landing, parse, profiles, readers, sql, validate
from .result import ExpectationOutcome, IngestResult
from .sale import EDITABLE, FRAME_COLUMNS, MONEY, STORED
from .vocabulary import vocabulary

Progress = Callable[[str, float], None]
#: rows per validation chunk: GX costs ~0.3 s per call plus ~0.35 s per million rows, and a chunk's
#: frame is the Python side of an ingest's peak memory (bench/ingest.py measures both: a 1M-row
#: file's peak RSS grew by 21 MiB from 500k-row chunks to one chunk, its validation fell 0.95 -> 0.65 s)
CHUNK_ROWS = 1_000_000
_REGION_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
_SAMPLE = 5000


def region_lock(region: str) -> threading.Lock:
    """This process's lock for writes to ``region`` that must not interleave (an ingest, an undo)."""
    with _LOCKS_GUARD:
        return _REGION_LOCKS.setdefault(region, threading.Lock())


def _now() -> datetime:
    return datetime.now(UTC)


class _Clock:
    def __init__(self, progress: Progress | None) -> None:
        self.t0 = self.last = time.perf_counter()
        self.timings: dict[str, float] = {}
        self.progress = progress

    def stage(self, name: str, fraction: float) -> None:
        now = time.perf_counter()
        self.timings[name] = round(self.timings.get(name, 0.0) + now - self.last, 4)
        self.last = now
        if self.progress:
            self.progress(name, fraction)


@dataclass(frozen=True)
class Parsed:
    """The parse stage's product: one typed row per staged row in ``table``, with a skip reason
    (a known non-sale) or an ask reason (a person decides) where the row is not a sale."""

    table: str
    rows: int
    checks: str  # the view the suite reads: ``table`` with each row's ``order_key_count``
    joined: bool = False  # ``checks`` joins the duplicated keys (its rows come in no set order)


@dataclass(frozen=True)
class Failures:
    """The validation stage's product: row -> [(rule, reason)] for every row a person must see
    (failed expectations, and rows whose kind the profile cannot call a sale)."""

    by_row: dict[int, list[tuple[str, str]]]
    outcomes: list[ExpectationOutcome]
    suites: list[str]
    report: list[dict[str, Any]]


@dataclass(frozen=True)
class LoadCounts:
    total: int
    loaded: int
    flagged: int
    skipped: int
    known: int


#: rule name of a row flagged because the profile cannot tell whether it is a sale
ASK_RULE = validate.ASK_RULE


def prepare(cur: duckdb.DuckDBPyConnection) -> None:
    """Per-cursor lookups every parse needs: macros, country names, time zones, and a local copy
    of the currency table (a region served over Quack allows one remote scan per query)."""
    parse.define_macros(cur)
    _load_countries(cur)
    _load_zones(cur)
    cur.execute("CREATE OR REPLACE TEMP TABLE kw_currencies AS SELECT code, exponent FROM main.currencies")


def _data_table(cur: duckdb.DuckDBPyConnection, table: str, file: str, columns: dict[str, str], select: str) -> None:
    """A temporary look-up table from one of the project's data files (``data/<file>``; lines
    starting with # are comments)."""
    cols = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {select} FROM read_csv(?, auto_detect = false,"
        f" comment = '#', header = true, delim = ',', quote = '\"', escape = '\"', columns = {cols})",
        [str(PROJECT_ROOT / "data" / file)],
    )


def _load_zones(cur: duckdb.DuckDBPyConnection) -> None:
    """``kw_zones`` (abbreviation -> minutes east of UTC, ``data/zones.csv``) and ``kw_zone_names``
    (the IANA names DuckDB knows), for a file's own time-zone column."""
    _data_table(cur, "kw_zones", "zones.csv", {"abbr": "VARCHAR", "minutes": "INTEGER", "meaning": "VARCHAR"},
                "upper(abbr) AS abbr, minutes")
    cur.execute("CREATE OR REPLACE TEMP TABLE kw_zone_names AS SELECT name, lower(name) AS key"
                " FROM pg_timezone_names()")


def _load_countries(cur: duckdb.DuckDBPyConnection) -> None:
    """Country names (English, French, aliases) -> ISO alpha-2, for exports that write names."""
    _data_table(cur, "kw_countries", "countries.csv", {"code": "VARCHAR", "name": "VARCHAR"},
                "code, lower(name) AS name")
    # one look-up for names and codes alike ("nigeria", "ng" -> NG): one join per row, not two
    cur.execute("CREATE OR REPLACE TEMP TABLE kw_country_keys AS SELECT key, min(code) AS code FROM"
                " (SELECT name AS key, code FROM kw_countries UNION ALL SELECT lower(code), code FROM kw_countries)"
                " GROUP BY key")


def _sample(cur: duckdb.DuckDBPyConnection, col: int, table: str = "stg") -> list[str]:
    return [r[0] for r in cur.execute(
        f"SELECT DISTINCT c{col} FROM (SELECT c{col} FROM {table} WHERE c{col} IS NOT NULL LIMIT {_SAMPLE * 4})"
        f" LIMIT {_SAMPLE}"
    ).fetchall()]


def build_plan(cur: duckdb.DuckDBPyConnection, staged: readers.Staged, prof: profiles.Profile,
               cols: dict[str, int], region_code: str, assumptions: list[str],
               continued_from: tuple[str, str] | None = None) -> sql.ParsePlan:
    """Decide how each column of ``stg`` is read (number style, date formats) from its values.
    ``continued_from`` (creator, source) looks up orders whose first lines an earlier export
    loaded, for profiles whose orders span several rows."""
    plan = sql.ParsePlan(prof, cols, staged.headers, replaced_chars=staged.replaced_chars, source=staged.table)
    if continued_from and prof.line_items and prof.fill_down and "order_id" in cols:
        plan.continued = _continued_orders(cur, staged.table, cols["order_id"], *continued_from)
    for canon in ("gross", "unit_price", "fees", "net", "refunded", "quantity"):
        if canon not in cols:
            continue
        style = prof.number_style
        if style == "auto":
            style, ambiguous = parse.number_style(_sample(cur, cols[canon], staged.table))
            if style == "comma":
                assumptions.append(N_("'%(column)s' uses a decimal comma (1.234,56).",
                                      column=staged.headers[cols[canon]]))
            elif ambiguous:
                assumptions.append(N_("'%(column)s': values like 1,500 read as thousands.",
                                      column=staged.headers[cols[canon]]))
        plan.comma[canon] = style == "comma"
    if "sold_at" in cols:
        values = _sample(cur, cols["sold_at"], staged.table)
        if "sold_time" in cols:
            joined = sql.datetime_text(f"c{cols['sold_at']}", f"c{cols['sold_time']}")
            rows = cur.execute(
                f"SELECT {joined} FROM {staged.table}"
                f" WHERE c{cols['sold_at']} IS NOT NULL LIMIT {_SAMPLE}"
            ).fetchall()
            values = [r[0] for r in rows]
        region = get_region(region_code)
        preferred = prof.date_order if prof.date_order != "auto" else (
            "mdy" if region.locale.endswith("_US") or _us_zones(cur, staged, cols) else "dmy")
        plan.dates = parse.date_formats(values, preferred, prof.date_format)
        if plan.dates and plan.dates.assumption:
            assumptions.append(plan.dates.assumption)
    return plan


#: time zones of the United States, where an account writes its dates month first (PayPal's
#: download follows the account's country): they break a day-or-month tie, never override values
_US_ZONE = re.compile(r"^(P[SD]T|M[SD]T|C[SD]T|E[SD]T|AK[SD]T|HST|US/.*|Pacific/Honolulu|America/(New_York|Chicago|"
                      r"Denver|Los_Angeles|Phoenix|Anchorage|Detroit|Boise|Indiana/.*|Kentucky/.*))$", re.IGNORECASE)


def _us_zones(cur: duckdb.DuckDBPyConnection, staged: readers.Staged, cols: dict[str, int]) -> bool:
    """Most of the file's own time-zone cells name a zone of the United States."""
    if "timezone" not in cols:
        return False
    zones = [z.strip() for z in _sample(cur, cols["timezone"], staged.table)[:50] if z and z.strip()]
    return bool(zones) and sum(1 for z in zones if _US_ZONE.match(z)) > len(zones) / 2


def _continued_orders(cur: duckdb.DuckDBPyConnection, table: str, order_col: int, creator_id: str,
                      source: str) -> bool:
    """``kw_continued``: for each order of this file already loaded, how many lines the export
    that held its first line gave it, and that line's order-level values. Counting the lines of
    the first export only (not every line loaded) keeps a re-exported continuation at the same
    line numbers, so an overlapping third export is still recognised as known."""
    # two statements, each reading the sales once: a region served over Quack allows one remote
    # scan per statement
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE kw_heads AS SELECT order_id, upload_id, sold_at, currency, buyer_country,"
        " channel FROM main.sales WHERE creator_id = ? AND source = ? AND line = 1"
        f" AND order_id IN (SELECT DISTINCT kw_text(c{order_col}) FROM {table} WHERE c{order_col} IS NOT NULL)",
        [creator_id, source],
    )
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE kw_continued AS"
        " SELECT h.order_id, count(*)::INTEGER AS line_offset, any_value(h.sold_at) AS sold_at,"
        "  any_value(h.currency) AS currency, any_value(h.buyer_country) AS buyer_country,"
        "  any_value(h.channel) AS channel"
        " FROM kw_heads h JOIN main.sales s ON s.order_id = h.order_id AND s.upload_id = h.upload_id"
        "  AND s.creator_id = ? AND s.source = ?"
        " GROUP BY h.order_id",
        [creator_id, source],
    )
    return True


def parse_rows(cur: duckdb.DuckDBPyConnection, plan: sql.ParsePlan, ncols: int) -> Parsed:
    """Run the parse query: ``stg`` -> ``parsed`` (and ``parsed_checks``, what the suite reads)."""
    try:
        cur.execute(sql.parse_sql(plan, ncols), plan.params)
    except duckdb.Error as exc:
        raise FileRejected(N_("The values could not be read: %(reason)s", reason=str(exc).splitlines()[0])) from exc
    cur.execute(sql.dups_sql(plan))
    dups = cur.execute(f"SELECT count(*) FROM {plan.target}_dups").fetchone()
    joined = bool(dups and dups[0])
    cur.execute(sql.checks_sql(plan, joined))
    row = cur.execute(f"SELECT count(*) FROM {plan.target}").fetchone()
    return Parsed(plan.target, int(row[0]) if row else 0, f"{plan.target}_checks", joined)


def parse_notes(cur: duckdb.DuckDBPyConnection, parsed: Parsed, plan: sql.ParsePlan) -> list[str]:
    """What the parse did that a person should know, in words."""
    notes = []
    if "order_id" in plan.columns:
        header = plan.headers[plan.columns["order_id"]]
        row = cur.execute(f"SELECT count(*) FROM {parsed.table} WHERE starts_with(order_id, 'row-')").fetchone()
        if row and row[0]:
            notes.append(N_("%(count)s value(s) of '%(column)s' were written as rounded numbers (like 1,23E+21) by a "
                            "spreadsheet; those rows are told apart by their own date, time and amounts instead.",
                            count=row[0], column=header))
    for canon in ("order_id", "product"):
        if canon in plan.columns:
            i = plan.columns[canon]
            row = cur.execute(f"SELECT count(*) FROM {plan.source} WHERE c{i} IS NOT NULL AND kw_clean(c{i}) <> c{i}"
                              ).fetchone()
            if row and row[0]:
                notes.append(N_("%(count)s value(s) of '%(column)s' held invisible or control characters (zero-width "
                                "spaces, NUL bytes, terminal codes); they were removed before reading.",
                                count=row[0], column=plan.headers[i]))
    if "buyer_country" in plan.columns:
        header = plan.headers[plan.columns["buyer_country"]]
        rows = cur.execute(f"SELECT count(*) FROM {parsed.table} WHERE country_unknown AND skip_reason IS NULL"
                           ).fetchone()
        if rows and rows[0]:
            notes.append(N_("%(count)s row(s) name a buyer country in '%(column)s' that Kasuwa does not know; they "
                            "were read with the buyer country left blank.", count=rows[0], column=header))
    return notes


def validate_rows(cur: duckdb.DuckDBPyConnection, parsed: Parsed, validator: validate.Validator,
                  progress: Callable[[int], None] | None = None, cap: int | None = None) -> Failures:
    """The suite on every row that is not a known non-sale, chunk by chunk; rows whose kind the
    profile cannot call a sale join the failures with their reason. Past ``cap`` failing rows
    it stops (the review cap refuses the file anyway: invariant 13, ``guard.py``)."""
    by_row: dict[int, list[tuple[str, str]]] = {}
    for done, frame in _frames(cur, parsed):
        by_row.update(validator.validate(frame))
        del frame
        if progress:
            progress(done)
        if cap is not None and len(by_row) > cap:
            break
    for row_no, reason in cur.execute(
        f"SELECT _row, ask_reason FROM {parsed.table} WHERE ask_reason IS NOT NULL ORDER BY _row"
    ).fetchall():
        by_row.setdefault(int(row_no), []).insert(0, (ASK_RULE, reason))
    outcomes = [ExpectationOutcome(o["type"], o["column"], o["reason"], o["success"], o["unexpected_count"],
                                   o["examples"]) for o in validator.report()]
    return Failures(by_row, outcomes, validator.suite_names, validator.report())


def _frames(cur: duckdb.DuckDBPyConnection, parsed: Parsed) -> Any:
    cols = ", ".join(FRAME_COLUMNS)
    for start in range(0, parsed.rows, CHUNK_ROWS):
        df = cur.execute(
            # the table's order (a join's output has none: then the file's): the examples each
            # expectation reports are its first failing rows
            f"SELECT _row, {cols} FROM {parsed.checks} WHERE skip_reason IS NULL AND _row > ? AND _row <= ?"
            + (" ORDER BY _row" if parsed.joined else ""),
            [start, start + CHUNK_ROWS],
        ).to_arrow_table().to_pandas()  # through Arrow: the text columns convert without a copy per value
        df.set_index("_row", inplace=True)
        yield start + CHUNK_ROWS, df
        del df  # one chunk alive at a time: the caller drops its reference too


def _raw_json_sql(headers: list[str]) -> str:
    keys = []
    for i, h in enumerate(headers):
        keys.append("'" + h.replace("'", "''") + "'")
        keys.append(f"s.c{i}")
    return "json_object(" + ", ".join(keys) + ")"


def _parsed_json() -> str:
    """The canonical values as read, for the reviewer (text, so timestamps and money keep their
    exact form)."""
    parts = []
    for c in EDITABLE:
        parts.append(f"'{c}'")
        parts.append(f"CAST(p.{c} AS VARCHAR)")
    return "json_object(" + ", ".join(parts) + ")"


_SALE_VALUES = ", ".join(f"p.{c}{'::DECIMAL(18,4)' if c in MONEY else ''}" for c in STORED)


def _load(cur: duckdb.DuckDBPyConnection, clock: _Clock, up: dict[str, Any], staged: readers.Staged,
          parsed: Parsed, failures: dict[int, list[tuple[str, str]]]) -> LoadCounts:
    """The one transaction: sales, flagged rows, skipped rows and the upload record. Its own
    tables (``fails``, ``known``) live only for the load."""
    headers, stg, par = staged.headers, staged.table, parsed.table
    cur.execute("CREATE OR REPLACE TEMP TABLE fails (_row BIGINT, rules VARCHAR[], reasons VARCHAR[])")
    if failures:
        import pyarrow as pa

        rows = sorted(failures)
        cur.register("fails_arrow", pa.table({  # by name: the sandbox turns replacement scans off
            "_row": pa.array(rows, pa.int64()),
            "rules": pa.array([sorted({r for r, _ in failures[k]}) for k in rows], pa.list_(pa.string())),
            "reasons": pa.array([list(dict.fromkeys(t for _, t in failures[k])) for k in rows],
                                pa.list_(pa.string())),
        }))
        cur.execute("INSERT INTO fails SELECT * FROM fails_arrow")
        cur.unregister("fails_arrow")
    # rows that pass but whose order (creator + source + order + line) is already loaded
    cur.execute(
        # SEMI JOIN on the creator's own sales, not a correlated EXISTS: that one hashed every
        # distinct order of the file first (the memory peak of a 5M-row ingest)
        f"CREATE OR REPLACE TEMP TABLE known AS SELECT p._row FROM {par} p"
        " SEMI JOIN (SELECT order_id, line, account FROM main.sales WHERE creator_id = ? AND source = ?) s"
        " ON s.order_id = p.order_id AND s.line = p.line AND s.account IS NOT DISTINCT FROM p.account"
        " ANTI JOIN fails f ON f._row = p._row"
        " WHERE p.skip_reason IS NULL",
        [up["creator_id"], up["source"]],
    )
    cur.execute("BEGIN TRANSACTION")
    try:
        inserted = cur.execute(
            f"INSERT INTO main.sales (sale_id, creator_id, source, {', '.join(STORED)}, upload_id, row_number,"
            f" loaded_at) SELECT ? || ':' || p._row, ?, ?, {_SALE_VALUES}, ?, p._row, ?"
            f" FROM {par} p ANTI JOIN fails f ON f._row = p._row ANTI JOIN known k ON k._row = p._row"
            " WHERE p.skip_reason IS NULL",
            [up["upload_id"], up["creator_id"], up["source"], up["upload_id"], up["loaded_at"]],
        ).fetchone()
        cur.execute(
            "INSERT INTO main.flagged_rows (flag_id, upload_id, creator_id, row_number, raw, parsed, reasons,"
            f" rules, status, created_at) SELECT ? || ':' || f._row, ?, ?, f._row, {_raw_json_sql(headers)},"
            f" {_parsed_json()}, f.reasons, f.rules, 'pending', current_timestamp"
            f" FROM fails f JOIN {stg} s ON s._row = f._row JOIN {par} p ON p._row = f._row",
            [up["upload_id"], up["upload_id"], up["creator_id"]],
        )
        cur.execute(
            f"INSERT INTO main.skipped_rows SELECT ?, _row, skip_reason FROM {par} WHERE skip_reason IS NOT NULL",
            [up["upload_id"]],
        )
        total, flagged, skipped, known = cur.execute(
            f"SELECT (SELECT count(*) FROM {par}), (SELECT count(*) FROM fails),"
            f" (SELECT count(*) FROM {par} WHERE skip_reason IS NOT NULL), (SELECT count(*) FROM known)"
        ).fetchone() or (0, 0, 0, 0)
        counts = LoadCounts(int(total), int(inserted[0]) if inserted else 0, int(flagged), int(skipped), int(known))
        message = _message(counts.total, counts.flagged, counts.loaded, counts.skipped, counts.known)
        # the upload record is written once (remote regions take no UPDATE), so the load's time
        # is taken here, before the record and the commit that close it
        clock.stage("loading", 1.0)
        up["timings"] = dict(clock.timings)
        _insert_upload(cur, {**up, "rows_total": counts.total, "rows_loaded": counts.loaded,
                             "rows_flagged": counts.flagged, "rows_skipped": counts.skipped,
                             "rows_known": counts.known, "message": message})
        cur.execute("COMMIT")
    except BaseException as exc:
        # a COMMIT that failed (a full disk) has ended the transaction already: its ROLLBACK's
        # "no transaction is active" must not hide the real cause
        with suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        guard.raise_if_disk_full(exc)
        raise
    return counts


_UPLOAD_COLS = ("upload_id", "creator_id", "file_name", "sha256", "size_bytes", "landing_path", "profile",
                "source", "status", "rows_total", "rows_loaded", "rows_flagged", "rows_skipped", "rows_known",
                "received_at", "loaded_at", "message", "uploaded_by", "assumptions", "validation", "timings")


def _insert_upload(cur: duckdb.DuckDBPyConnection, up: dict[str, Any]) -> None:
    vals = []
    for c in _UPLOAD_COLS:
        v = up.get(c)
        is_json = c in ("assumptions", "validation", "timings") and v is not None
        vals.append(json.dumps(v, default=str) if is_json else v)
    cur.execute(
        f"INSERT INTO main.uploads ({', '.join(_UPLOAD_COLS)}) VALUES ({', '.join('?' for _ in _UPLOAD_COLS)})",
        [0 if v is None and c.startswith("rows_") else v for c, v in zip(_UPLOAD_COLS, vals, strict=True)],
    )


def _next_steps(res: IngestResult, flagged_rules: list[list[str]] | None = None) -> list[str]:
    steps = []
    if res.status == "duplicate":
        steps.append(N_("Nothing to do: this exact file was loaded before."))
    if res.rows_flagged:
        steps.append(N_("%(count)s row(s) wait for a reviewer; the rest of your sales are already in.",
                        count=res.rows_flagged))
        # what to do about them, by why they were flagged (issue 20: not "export again" for all)
        steps += [N_(words, count=n) for words, n in advice.advice(flagged_rules or [])]
    if res.rows_known:
        steps.append(N_("%(count)s order(s) were already loaded from an earlier export and were not counted twice.",
                        count=res.rows_known))
    if res.missing:
        steps.append(N_("Tell Kasuwa which of your columns hold: %(columns)s.",
                        columns=", ".join(profiles.MEANING_WORDS.get(c, c) for c in res.missing)))
    if res.status == "loaded" and not res.rows_flagged:
        steps.append(N_("All rows are in. Your sales pages show them now."))
    return steps


def _ingest_landed(actor: Actor, creator_id: str, region: str, file_name: str, landed: landing.Landed,
                   received_at: datetime, profile: str | None, mapping: dict[str, str] | None, clock: _Clock,
                   gx_thread: threading.Thread, saved: list[dict[str, Any]] | None = None, *,
                   confirm: bool = False) -> IngestResult:
    """Load a landed file (one transaction). ``saved``: the creator's saved mappings sent by the
    central side, for a region on its own host (else they are read from the control database)."""
    upload_id = f"up-{received_at:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
    up: dict[str, Any] = {"upload_id": upload_id, "creator_id": creator_id, "file_name": file_name[:255],
                          "sha256": landed.sha256, "size_bytes": landed.size, "landing_path": str(landed.path),
                          "received_at": received_at, "uploaded_by": actor.user_id, "source": None}
    wh = warehouse(region)
    res = IngestResult("rejected", upload_id, region, None, "", sha256=landed.sha256)
    with region_lock(region):
        dup = wh.one("SELECT upload_id, loaded_at FROM uploads WHERE creator_id = ? AND sha256 = ?"
                     " AND status = 'loaded' ORDER BY loaded_at LIMIT 1", [creator_id, landed.sha256])
        if dup:
            res.status, res.profile = "duplicate", None
            res.message = N_("Same file as upload %(upload)s (loaded %(moment)s UTC); nothing loaded again.",
                             upload=dup[0], moment=dup[1].strftime("%Y-%m-%d %H:%M"))
            with wh.transaction() as cur:
                _insert_upload(cur, {**up, "status": "duplicate", "message": res.message, "loaded_at": None})
            res.next_steps = _next_steps(res)
            return res
        scratch = landing.scratch_dir()
        try:
            with wh.cursor() as cur:
                return _run(cur, res, up, landed, file_name, scratch, profile, mapping or {}, clock, gx_thread,
                            saved, confirm=confirm)
        except (FileRejected, MappingNeeded) as exc:
            res.status, res.message = "rejected", str(exc)
            if isinstance(exc, MappingNeeded):
                res.missing, res.headers, res.confirm = exc.missing, exc.headers, exc.confirm
            with wh.transaction() as cur:
                _insert_upload(cur, {**up, "profile": res.profile, "status": "rejected", "message": res.message,
                                     "assumptions": res.assumptions, "timings": clock.timings})
            res.next_steps = _next_steps(res) or [N_("Check the file and upload it again.")]
            return res
        finally:
            landing.remove_scratch(scratch)


def _mib(n: int) -> str:
    return f"{round(n / 1048576, 2):g} MB"


def _size(n: int) -> str:
    return _mib(n) if n >= 1048576 else f"{max(1, round(n / 1024))} KB"


class _Refused(FileRejected):
    """Refused before landing; ``step`` is what to do next. Not stored (no upload record): the
    message is made in the reader's language, the problem and the step each a sentence of its own."""

    def __init__(self, message: str, step: str) -> None:
        super().__init__(f"{translate_text(message)} {translate_text(step)}")
        self.step = step


def _land_within_limits(region: str, creator_id: str, data: bytes | Path) -> landing.Landed:
    """Keep the file unless it is over the size limit (reading stops there, even from a pipe) or
    would take the creator past their storage quota; either way nothing is kept then."""
    s = settings()
    kept = _kept_files(region, creator_id)

    def admit(sha: str, size: int) -> None:
        if kept is None or sha in kept:  # warehouse out of reach (the file waits), or kept already
            return
        used = sum(kept.values())
        if used + size > s.creator_quota_bytes:
            raise _Refused(
                N_("Your storage is full: your kept files take %(used)s of the %(quota)s you may use, and this file "
                   "(%(size)s) does not fit; nothing was kept.", used=_size(used), quota=_size(s.creator_quota_bytes),
                   size=_size(size)),
                N_("Ask an administrator to purge old uploads or raise your quota, then upload it again."))

    try:
        return landing.land(region, data, limit=s.max_upload_bytes, admit=admit)
    except landing.TooLarge as exc:
        size = None
        if isinstance(data, bytes):
            size = _mib(len(data))
        elif isinstance(data, Path) and data.is_file():
            size = _mib(data.stat().st_size)
        problem = (N_("The file is %(size)s; the limit is %(limit)s and nothing was kept.", size=size,
                      limit=_mib(exc.limit)) if size else
                   N_("The file is larger than the limit (reading stopped there); the limit is %(limit)s and nothing "
                      "was kept.", limit=_mib(exc.limit)))
        raise _Refused(problem, N_("Export a shorter date range and upload the parts.")) from None


def kept_sizes(region: str, creator_id: str) -> dict[str, int]:
    """sha256 -> size of every file this creator uploaded to ``region`` (the owner's job
    ``kept_sizes`` runs this where the warehouse is)."""
    rows = warehouse(region).rows(
        "SELECT sha256, max(size_bytes) FROM uploads WHERE creator_id = ? GROUP BY sha256", [creator_id])
    return {str(sha): int(size) for sha, size in rows}


def _kept_files(region: str, creator_id: str) -> dict[str, int] | None:
    """sha256 -> size of the files this creator has in landing (``None`` when the warehouse
    cannot be asked: the file is kept and loads when it is back). Through the region's owner it
    is one job call, so a command that only hands a file over never opens a SQL connection there
    (ADBC's DB-API module alone takes ~0.45 s to import)."""
    try:
        owner = owner_client(region)
        sizes = owner.job("kept_sizes", region, creator_id) if owner is not None else kept_sizes(region, creator_id)
    except (RegionUnavailable, WarehouseBusy):
        return None
    return {sha: int(size) for sha, size in sizes.items() if landing.is_landed(region, sha)}


def _check_review_cap(total: int, by_row: dict[int, list[tuple[str, str]]]) -> None:
    """Refuse the whole upload when it would send more rows to review than one upload may: a
    file where that many rows fail is the wrong file (or read the wrong way), not work for a
    person. The message names the most common reasons with their counts."""
    cap = settings().review_cap(total)
    if len(by_row) <= cap:
        return
    reasons: Counter[str] = Counter()
    for found in by_row.values():
        reasons.update({text for _, text in found})
    common = "; ".join(N_("%(reason)s (%(count)s rows)", reason=text, count=format(n, ","))
                       for text, n in reasons.most_common(3))
    raise FileRejected(
        N_("This file looks wrong: %(count)s of its %(total)s rows would need a reviewer, more than the %(cap)s one "
           "upload may send. Most common reasons: %(reasons)s. Nothing was loaded (the file is kept). Check that it "
           "is the sales export itself, as the platform gave it, and that the columns chosen for it are the right "
           "ones, then upload it again.", count=format(len(by_row), ","), total=format(total, ","),
           cap=format(cap, ","), reasons=common))


def _run(cur: duckdb.DuckDBPyConnection, res: IngestResult, up: dict[str, Any], landed: landing.Landed,
         file_name: str, scratch: Path, profile_name: str | None, mapping: dict[str, str], clock: _Clock,
         gx_thread: threading.Thread, saved: list[dict[str, Any]] | None = None, *,
         confirm: bool = False) -> IngestResult:
    known = profiles.load_profiles()
    prepare(cur)
    try:
        staged = readers.stage_file(cur, landed.path, file_name, scratch, profiles.header_score(known))
    except duckdb.Error as exc:
        raise FileRejected(N_("The file cannot be read: %(reason)s", reason=str(exc).splitlines()[0])) from exc
    res.assumptions.extend(staged.assumptions)
    res.headers = staged.headers
    clock.stage("reading", 0.3)
    if staged.rows == 0:
        raise FileRejected(N_("The file has a header but no rows of sales."))
    from .mappings import choose_profile, split_constants  # the creator's own saved mappings first

    detection = choose_profile(up["creator_id"], staged.headers, known, profile_name, saved)
    prof, mapping = split_constants(detection.profile, mapping)
    res.profile = prof.name
    res.assumptions.insert(0, detection.sentence)
    try:
        resolution = profiles.resolve(prof, staged.headers, mapping, res.assumptions,
                                      accept=lambda canon, i: fits_meaning(cur, staged, canon, i))
    except MappingNeeded as exc:  # the app asks for what is missing beside what was found, over the first rows
        res.columns, res.preview = dict(exc.found), preview_rows(cur, staged)
        raise
    cols = resolution.columns
    res.columns = {c: staged.headers[i] for c, i in cols.items()}
    res.unsure = list(resolution.unsure)
    symbols = own = None
    if "currency" not in cols and "currency" not in prof.defaults:
        money = cols.get("gross", cols.get("unit_price"))
        sample = _sample(cur, money, staged.table) if money is not None else []
        symbols = bool(sample) and sum(1 for v in sample if parse.SYMBOL_RE.search(v)) >= 0.9 * len(sample)
        if not symbols:
            own = creator_currency(cur, up["creator_id"], res.region or "")
            res.unsure.append("currency")
    if own:
        res.proposed["currency"] = own
    payouts = payout_marker(prof, staged.headers, cols) if not mapping and not detection.forced else None
    if payouts is not None:
        res.unsure.append("kind")
    if confirm and res.unsure and not mapping and not detection.forced:
        # the app shows Kasuwa's reading of each column and loads once the creator confirms it
        res.preview = preview_rows(cur, staged)
        raise MappingNeeded(N_("Kasuwa read this file's columns by what they mean; confirm its reading once and "
                               "it loads (your answer is kept for your next files like this one)."),
                            [], staged.headers, confirm=True)
    res.assumptions.extend(reading_notes(prof, staged.headers, cols))
    if payouts is not None:
        # a list of payouts or deposits read by meaning would make every bank transfer a "sale"
        prof = replace(prof, ask=(*prof.ask, profiles.SkipRule(staged.headers[payouts], PAYOUT_LIST, matches="(?s).*")))
        res.assumptions.append(N_("The file has a column ‘%(column)s’ and no column saying what kind of entry each "
                                  "row is: it may list payouts or deposits rather than sales, so a person decides.",
                                  column=staged.headers[payouts]))
    if symbols:
        res.assumptions.append(N_("Currency read from the symbol in each amount."))
    elif own:
        prof = replace(prof, defaults={**prof.defaults, "currency": own})
        res.assumptions.append(N_("The file names no currency: its amounts were read as %(currency)s, your own "
                                  "currency. If they are in another currency, ask a reviewer to correct them.",
                                  currency=own))
    from ..learned import apply_rules  # rules an administrator accepted from reviewers' decisions

    prof = apply_rules(cur, prof, res.assumptions)
    plan = build_plan(cur, staged, prof, cols, res.region or "", res.assumptions,
                      continued_from=(up["creator_id"], prof.source))
    parsed = parse_rows(cur, plan, len(staged.headers))
    res.assumptions.extend(parse_notes(cur, parsed, plan))
    clock.stage("parsing", 0.45)
    guard.check_before_validation(cur, parsed.checks, parsed.rows, landed.size,  # invariant 13
                                  validate.suite_documents(res.region or "", prof.suite), staged.kind)
    gx_thread.join()
    validator = validate.Validator(res.region or "", prof.suite)
    failures = validate_rows(cur, parsed, validator, lambda done: clock.stage(
        "validating", 0.45 + 0.4 * min(1.0, done / max(staged.rows, 1))), cap=settings().review_cap(parsed.rows))
    res.validation = failures.outcomes
    _check_review_cap(parsed.rows, failures.by_row)
    up.update(profile=prof.name, source=prof.source, status="loaded", assumptions=res.assumptions,
              validation={"suites": failures.suites, "results": failures.report})
    up["loaded_at"] = _now()
    counts = _load(cur, clock, up, staged, parsed, failures.by_row)
    res.status = "loaded"
    res.rows_total, res.rows_loaded = counts.total, counts.loaded
    res.rows_flagged, res.rows_skipped, res.rows_known = counts.flagged, counts.skipped, counts.known
    res.message = _message(res.rows_total, res.rows_flagged, res.rows_loaded, res.rows_skipped, res.rows_known)
    res.timings = clock.timings
    res.skipped_reasons = dict(cur.execute(
        f"SELECT skip_reason, count(*) FROM {parsed.table} WHERE skip_reason IS NOT NULL GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall())
    res.flagged_examples = [
        {"row_number": r[0], "reasons": list(r[1]), "raw": json.loads(r[2])}
        for r in cur.execute("SELECT row_number, reasons, raw FROM main.flagged_rows WHERE upload_id = ?"
                             " ORDER BY row_number LIMIT 50", [res.upload_id]).fetchall()
    ]
    res.first_sale, res.last_sale = cur.execute(
        f"SELECT CAST(timezone(?, min(sold_at)) AS DATE), CAST(timezone(?, max(sold_at)) AS DATE) FROM {parsed.table}"
        " WHERE skip_reason IS NULL AND _row NOT IN (SELECT row_number FROM main.flagged_rows WHERE upload_id = ?)",
        [get_region(res.region or "").time_zone] * 2 + [res.upload_id]).fetchone() or (None, None)
    res.next_steps = _next_steps(res, [list(r[0] or ()) for r in cur.execute(
        "SELECT rules FROM main.flagged_rows WHERE upload_id = ?", [res.upload_id]).fetchall()])
    from ..payouts.guard import hold_if_unusual  # guard rails on money (issue 16): unusual programme money
    hold_if_unusual(cur, res)  # waits for a reviewer before any payout includes it
    _refresh_rollups(res.region or "")
    return res


#: header words of a list of payouts, deposits or withdrawals (the money moving to a bank, not sales)
_PAYOUT_WORDS = re.compile(r"\b(payouts?|deposits?|withdrawals?|settlements?|arrival|versements?|virements?|retraits?|"
                           r"auszahlung|abhebung|uitbetaling|retiros?|depósitos?|saques?|prelievo|bonifico)\b")
#: why every row of such a file goes to a person ({value}: the cell of the column that says so)
PAYOUT_LIST = N_("the file may list payouts or deposits rather than sales (‘{value}’): a person decides whether "
                 "this row is a sale")


def payout_marker(prof: profiles.Profile, headers: list[str], cols: dict[str, int]) -> int | None:
    """The column that makes a file read by meaning look like a list of payouts or deposits
    (``Payout Date``, ``Arrival Date``, ``Deposit ID``) when nothing says what kind each row is."""
    if prof.detect or "kind" in cols or "kind" not in prof.vocabulary:
        return None
    return next((i for i, h in enumerate(headers) if _PAYOUT_WORDS.search(profiles.shape(h))), None)


def fits_meaning(cur: duckdb.DuckDBPyConnection, staged: readers.Staged, canon: str, col: int) -> bool:
    """A column chosen for ``canon`` by its header holds values of that meaning: dates for a
    time, numbers for an amount or a quantity, currency codes or symbols for a currency (each for
    most of its first 500 cells), known kinds of entry for a kind (at least one of its values is in
    one of the vocabulary's families). A column with no values at all fits."""
    # the first cells as they are (not distinct values: a few bad cells are rows to flag, not a
    # sign that the column means something else); the column fits when most of them do
    values = [r[0] for r in cur.execute(f"SELECT c{int(col)} FROM {staged.table} WHERE _row <= 5000"
                                        f" AND trim(c{int(col)}) <> '' ORDER BY _row LIMIT 500").fetchall()]
    if not values:
        return True
    if canon == "sold_at":
        return parse.dates_share(values) >= 0.5
    if canon in ("gross", "unit_price", "fees", "net", "refunded", "quantity"):
        row = cur.execute(
            "SELECT count(*) FILTER (WHERE kw_num(v, false) IS NOT NULL OR kw_num(v, true) IS NOT NULL"
            " OR regexp_full_match(trim(v), '[-–—]*')), count(*) FROM (SELECT unnest(?::VARCHAR[]) AS v)",
            [values]).fetchone()
        return bool(row and row[1] and row[0] / row[1] >= 0.5)
    if canon == "kind":
        vocab = vocabulary()
        return any(vocab.family_of(v) for v in values)
    if canon == "currency":
        row = cur.execute("SELECT count(*) FILTER (WHERE kw_currency(v) IS NOT NULL), count(*)"
                          " FROM (SELECT unnest(?::VARCHAR[]) AS v)", [values]).fetchone()
        return bool(row and row[1] and row[0] / row[1] >= 0.5)
    return True


#: a time column that says when the money was paid (the vocabulary lists such words first)
_PAID = re.compile(r"paid|pay|pag|zahl|betaal|betaling")


def reading_notes(prof: profiles.Profile, headers: list[str], cols: dict[str, int]) -> list[str]:
    """What the reader chose through the vocabulary, in words ("'Created (UTC)' read as the date of
    the sale"), and that a paid time was preferred to a created one."""
    notes = []
    for canon in ("sold_at", "gross", "currency", "order_id", "product", "kind"):
        if canon in prof.vocabulary and canon in cols:
            notes.append(N_("‘%(column)s’ read as %(meaning)s.", column=headers[cols[canon]],
                            meaning=profiles.MEANING_WORDS[canon]))
    if "sold_at" in cols and "sold_at" in prof.vocabulary:
        vocab = vocabulary().columns["sold_at"]
        chosen = headers[cols["sold_at"]]
        others = [h for h in headers if h != chosen and any(profiles.shape(w) == profiles.shape(h) for w in vocab)]
        if _PAID.search(profiles.shape(chosen)) and others:
            notes.append(N_("Sales are timed when they were paid (‘%(paid)s’), not when they were created "
                            "(‘%(created)s’).", paid=chosen, created=others[0]))
    if "order_id" not in cols:
        notes.append(N_("The file gives no order number: each line is recognised by its own date, amount and "
                        "description, so the same line in another export is not counted twice."))
    if "product" not in cols and "product" not in prof.defaults:
        notes.append(N_("The file names no product: its sales show as “not named in the file”."))
    return notes


def preview_rows(cur: duckdb.DuckDBPyConnection, staged: readers.Staged, n: int = 5) -> list[list[str]]:
    """The first ``n`` data rows as text, for the creator to see Kasuwa's reading of each column."""
    cols = ", ".join(f"c{i}" for i in range(len(staged.headers)))
    return [["" if v is None else str(v) for v in r]
            for r in cur.execute(f"SELECT {cols} FROM {staged.table} ORDER BY _row LIMIT {int(n)}").fetchall()]


def creator_currency(cur: duckdb.DuckDBPyConnection, creator_id: str, region: str) -> str:
    """The creator's own currency: their country's (data/rails.toml), else their region's first."""
    from ..payouts.rails import rail_book

    row = cur.execute("SELECT country FROM main.creators WHERE creator_id = ?", [creator_id]).fetchone()
    own = rail_book().local(str(row[0])) if row else None
    return own or get_region(region).currencies[0]


def _refresh_rollups(region: str) -> None:
    """Keep the managers' rollups current; the load is committed already, and metrics re-check
    the rollups themselves, so a failure here only delays them. In the region's owner the
    refresh runs after the ingest has answered (a thread at the job's priority): the sales are
    queryable at the commit, and nobody waits for the managers' aggregates."""
    from ..db import is_owner

    if is_owner(region):
        threading.Thread(target=_refresh_quietly, args=(region,), name="rollups", daemon=True).start()
    else:
        _refresh_quietly(region)


def _refresh_quietly(region: str) -> None:
    from ..queries.rollups import refresh_rollups

    with suppress(KasuwaError, duckdb.Error):
        refresh_rollups(region)


def _message(total: int, flagged: int, loaded: int | None = None, skipped: int = 0, known: int = 0) -> str:
    """The upload's one-line outcome, in English (stored; shown through ``translate_text``)."""
    if loaded is None:
        return N_("%(total)s rows read, %(flagged)s flagged", total=total, flagged=flagged)
    if not (flagged or skipped or known):
        return N_("%(loaded)s of %(total)s rows loaded.", loaded=loaded, total=total)
    return N_("%(loaded)s of %(total)s rows loaded, %(flagged)s flagged for review, %(skipped)s skipped (not sales), "
              "%(known)s already known.", loaded=loaded, total=total, flagged=flagged, skipped=skipped, known=known)


def run_safely(fn: Callable[[], IngestResult]) -> IngestResult:
    """For callers that must never see an exception (the app): KasuwaError becomes a result."""
    try:
        return fn()
    except KasuwaError as exc:
        return IngestResult("rejected", None, None, None, str(exc))
