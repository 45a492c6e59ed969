"""One upload, end to end: land → read → detect profile → parse → validate → load.

The load is ONE transaction: sales, flagged rows, skipped rows and the upload record commit
together or not at all, so killing the process at any instant leaves the warehouse as it
was or as it is after the load, and running the same ingest again finishes the job.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ..access import Actor, can_upload_for
from ..creators import creator_region
from ..db import warehouse
from ..errors import FileRejected, KasuwaError, MappingNeeded, PermissionDenied
from ..regions import get_region
from ..settings import PROJECT_ROOT, settings
from . import landing, parse, profiles, readers, sql, validate
from .result import ExpectationOutcome, IngestResult

Progress = Callable[[str, float], None]
#: rows per validation chunk: GX costs ~0.3 s per call plus ~1.3 s per million rows, and a chunk's
#: frame is the Python side of an ingest's peak memory (bench/ingest.py measures both)
CHUNK_ROWS = 500_000
_REGION_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
_SAMPLE = 5000


def _region_lock(region: str) -> threading.Lock:
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


def _load_countries(cur: duckdb.DuckDBPyConnection) -> None:
    """Country names (English, French, aliases) -> ISO alpha-2, for exports that write names."""
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE kw_countries AS SELECT code, lower(name) AS name"
        " FROM read_csv(?, auto_detect = false, skip = 1, header = true, delim = ',', quote = '\"',"
        " escape = '\"', columns = {'code': 'VARCHAR', 'name': 'VARCHAR'})",
        [str(PROJECT_ROOT / "data" / "countries.csv")],
    )


def _sample(cur: duckdb.DuckDBPyConnection, col: int) -> list[str]:
    return [r[0] for r in cur.execute(
        f"SELECT DISTINCT c{col} FROM (SELECT c{col} FROM stg WHERE c{col} IS NOT NULL LIMIT {_SAMPLE * 4})"
        f" LIMIT {_SAMPLE}"
    ).fetchall()]


def _plan(cur: duckdb.DuckDBPyConnection, staged: readers.Staged, prof: profiles.Profile,
          cols: dict[str, int], region_code: str, assumptions: list[str]) -> sql.ParsePlan:
    plan = sql.ParsePlan(prof, cols, staged.headers, replaced_chars=staged.replaced_chars)
    for canon in ("gross", "unit_price", "fees", "net", "refunded", "quantity"):
        if canon not in cols:
            continue
        style = prof.number_style
        if style == "auto":
            style, ambiguous = parse.number_style(_sample(cur, cols[canon]))
            if style == "comma":
                assumptions.append(f"'{staged.headers[cols[canon]]}' uses a decimal comma (1.234,56).")
            elif ambiguous:
                assumptions.append(f"'{staged.headers[cols[canon]]}': values like 1,500 read as thousands.")
        plan.comma[canon] = style == "comma"
    if "sold_at" in cols:
        values = _sample(cur, cols["sold_at"])
        if "sold_time" in cols:
            joined = sql.datetime_text(f"c{cols['sold_at']}", f"c{cols['sold_time']}")
            rows = cur.execute(
                f"SELECT {joined} FROM stg"
                f" WHERE c{cols['sold_at']} IS NOT NULL LIMIT {_SAMPLE}"
            ).fetchall()
            values = [r[0] for r in rows]
        region = get_region(region_code)
        preferred = prof.date_order if prof.date_order != "auto" else (
            "mdy" if region.locale.endswith("_US") else "dmy")
        plan.dates = parse.date_formats(values, preferred, prof.date_format)
        if plan.dates and plan.dates.assumption:
            assumptions.append(plan.dates.assumption)
    return plan


def _frames(cur: duckdb.DuckDBPyConnection, total: int) -> Any:
    cols = ", ".join(validate.FRAME_COLUMNS)
    for start in range(0, total, CHUNK_ROWS):
        df = cur.execute(
            f"SELECT _row, {cols} FROM parsed WHERE skip_reason IS NULL AND _row > ? AND _row <= ?",
            [start, start + CHUNK_ROWS],
        ).df()
        df.set_index("_row", inplace=True)
        yield start + CHUNK_ROWS, df
        del df  # one chunk alive at a time: the caller drops its reference too


def _raw_json_sql(headers: list[str]) -> str:
    keys = []
    for i, h in enumerate(headers):
        keys.append("'" + h.replace("'", "''") + "'")
        keys.append(f"s.c{i}")
    return "json_object(" + ", ".join(keys) + ")"


_PARSED_JSON = ("json_object('order_id', p.order_id, 'line', p.line, 'product', p.product, 'sold_at',"
                " CAST(p.sold_at AS VARCHAR), 'currency', p.currency, 'quantity', p.quantity,"
                " 'gross', CAST(p.gross AS VARCHAR), 'fees', CAST(p.fees AS VARCHAR), 'net', CAST(p.net AS VARCHAR),"
                " 'refunded', CAST(p.refunded AS VARCHAR), 'buyer_country', p.buyer_country, 'channel', p.channel)")


def _load(cur: duckdb.DuckDBPyConnection, clock: _Clock, up: dict[str, Any], headers: list[str],
          failures: dict[int, list[tuple[str, str]]]) -> dict[str, int]:
    """The one transaction: sales, flagged rows, skipped rows and the upload record."""
    cur.execute("CREATE OR REPLACE TEMP TABLE fails (_row BIGINT, rules VARCHAR[], reasons VARCHAR[])")
    if failures:
        import pyarrow as pa

        rows = sorted(failures)
        fails_arrow = pa.table({  # noqa: F841 - read by DuckDB below
            "_row": pa.array(rows, pa.int64()),
            "rules": pa.array([sorted({r for r, _ in failures[k]}) for k in rows], pa.list_(pa.string())),
            "reasons": pa.array([list(dict.fromkeys(t for _, t in failures[k])) for k in rows],
                                pa.list_(pa.string())),
        })
        cur.execute("INSERT INTO fails SELECT * FROM fails_arrow")
    # rows that pass but whose order (creator + source + order + line) is already loaded
    cur.execute(
        # SEMI JOIN on the creator's own sales, not a correlated EXISTS: that one hashed every
        # distinct order of the file first (the memory peak of a 5M-row ingest)
        "CREATE OR REPLACE TEMP TABLE known AS SELECT p._row FROM parsed p"
        " SEMI JOIN (SELECT order_id, line FROM main.sales WHERE creator_id = ? AND source = ?) s"
        " ON s.order_id = p.order_id AND s.line = p.line"
        " ANTI JOIN fails f ON f._row = p._row"
        " WHERE p.skip_reason IS NULL",
        [up["creator_id"], up["source"]],
    )
    cur.execute("BEGIN TRANSACTION")
    try:
        inserted = cur.execute(
            "INSERT INTO main.sales (sale_id, creator_id, source, order_id, line, product, quantity, sold_at,"
            " currency, gross, fees, net, refunded, buyer_country, channel, upload_id, row_number, loaded_at)"
            " SELECT ? || ':' || p._row, ?, ?, p.order_id, p.line, p.product, p.quantity, p.sold_at, p.currency,"
            " p.gross::DECIMAL(18,4), p.fees::DECIMAL(18,4), p.net::DECIMAL(18,4), p.refunded::DECIMAL(18,4),"
            " p.buyer_country, p.channel, ?, p._row, ?"
            " FROM parsed p ANTI JOIN fails f ON f._row = p._row ANTI JOIN known k ON k._row = p._row"
            " WHERE p.skip_reason IS NULL",
            [up["upload_id"], up["creator_id"], up["source"], up["upload_id"], up["loaded_at"]],
        ).fetchone()
        cur.execute(
            "INSERT INTO main.flagged_rows (flag_id, upload_id, creator_id, row_number, raw, parsed, reasons,"
            f" rules, status, created_at) SELECT ? || ':' || f._row, ?, ?, f._row, {_raw_json_sql(headers)},"
            f" {_PARSED_JSON}, f.reasons, f.rules, 'pending', current_timestamp"
            " FROM fails f JOIN stg s ON s._row = f._row JOIN parsed p ON p._row = f._row",
            [up["upload_id"], up["upload_id"], up["creator_id"]],
        )
        cur.execute(
            "INSERT INTO main.skipped_rows SELECT ?, _row, skip_reason FROM parsed WHERE skip_reason IS NOT NULL",
            [up["upload_id"]],
        )
        counts = dict(zip(("total", "flagged", "skipped", "known"), cur.execute(
            "SELECT (SELECT count(*) FROM parsed), (SELECT count(*) FROM fails),"
            " (SELECT count(*) FROM parsed WHERE skip_reason IS NOT NULL), (SELECT count(*) FROM known)"
        ).fetchone() or (), strict=True))
        counts["loaded"] = int(inserted[0]) if inserted else 0
        message = _message(counts["total"], counts["flagged"], counts["loaded"], counts["skipped"], counts["known"])
        # the upload record is written once (remote regions take no UPDATE), so the load's time
        # is taken here, before the record and the commit that close it
        clock.stage("loading", 1.0)
        up["timings"] = dict(clock.timings)
        _insert_upload(cur, {**up, "rows_total": counts["total"], "rows_loaded": counts["loaded"],
                             "rows_flagged": counts["flagged"], "rows_skipped": counts["skipped"],
                             "rows_known": counts["known"], "message": message})
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
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


def _next_steps(res: IngestResult) -> list[str]:
    steps = []
    if res.status == "duplicate":
        steps.append("Nothing to do: this exact file was loaded before.")
    if res.rows_flagged:
        steps.append(f"{res.rows_flagged} row(s) wait for a reviewer. Fix them in your platform and export again, "
                     "or let the reviewer correct them; the rest of your sales are already in.")
    if res.rows_known:
        steps.append(f"{res.rows_known} order(s) were already loaded from an earlier export "
                     "and were not counted twice.")
    if res.missing:
        steps.append("Tell Kasuwa which of your columns hold: " + ", ".join(res.missing) + ".")
    if res.status == "loaded" and not res.rows_flagged:
        steps.append("All rows are in. Your sales pages show them now.")
    return steps


def ingest_file(
    actor: Actor, creator_id: str, file_name: str, data: bytes | Path, *, profile: str | None = None,
    mapping: dict[str, str] | None = None, progress: Progress | None = None,
) -> IngestResult:
    """Validate and load one export for ``creator_id``; never raises for a bad file (the result
    says ``rejected`` with the reason), raises KasuwaError for who-may-do-what problems."""
    region = creator_region(creator_id)
    if not can_upload_for(actor, creator_id, region):
        raise PermissionDenied("You can only upload files for your own account.")
    clock = _Clock(progress)
    gx_thread = validate.warm_up()
    received_at = _now()
    landed = landing.land(region, data)
    clock.stage("landing", 0.05)
    upload_id = f"up-{received_at:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
    up: dict[str, Any] = {"upload_id": upload_id, "creator_id": creator_id, "file_name": file_name[:255],
                          "sha256": landed.sha256, "size_bytes": landed.size, "landing_path": str(landed.path),
                          "received_at": received_at, "uploaded_by": actor.user_id, "source": None}
    wh = warehouse(region)
    res = IngestResult("rejected", upload_id, region, None, "", sha256=landed.sha256)
    with _region_lock(region):
        dup = wh.one("SELECT upload_id, loaded_at FROM uploads WHERE creator_id = ? AND sha256 = ?"
                     " AND status = 'loaded' ORDER BY loaded_at LIMIT 1", [creator_id, landed.sha256])
        if dup:
            res.status, res.profile = "duplicate", None
            res.message = f"Same file as upload {dup[0]} (loaded {dup[1]:%Y-%m-%d %H:%M} UTC); nothing loaded again."
            with wh.transaction() as cur:
                _insert_upload(cur, {**up, "status": "duplicate", "message": res.message, "loaded_at": None})
            res.next_steps = _next_steps(res)
            return res
        scratch = landing.scratch_dir()
        try:
            with wh.cursor() as cur:
                return _run(cur, res, up, landed, file_name, scratch, profile, mapping or {}, clock, gx_thread)
        except (FileRejected, MappingNeeded) as exc:
            res.status, res.message = "rejected", str(exc)
            if isinstance(exc, MappingNeeded):
                res.missing, res.headers = exc.missing, exc.headers
            with wh.transaction() as cur:
                _insert_upload(cur, {**up, "profile": res.profile, "status": "rejected", "message": res.message,
                                     "assumptions": res.assumptions, "timings": clock.timings})
            res.next_steps = _next_steps(res) or ["Check the file and upload it again."]
            return res
        finally:
            landing.remove_scratch(scratch)


def _run(cur: duckdb.DuckDBPyConnection, res: IngestResult, up: dict[str, Any], landed: landing.Landed,
         file_name: str, scratch: Path, profile_name: str | None, mapping: dict[str, str], clock: _Clock,
         gx_thread: threading.Thread) -> IngestResult:
    if landed.size > settings().max_upload_bytes:
        mb = settings().max_upload_bytes // (1024 * 1024)
        raise FileRejected(f"The file is {landed.size / 1048576:.1f} MB; the limit is {mb} MB. "
                           "Export a shorter date range and upload the parts.")
    known = profiles.load_profiles()
    parse.define_macros(cur)
    _load_countries(cur)
    try:
        staged = readers.stage_file(cur, landed.path, file_name, scratch, profiles.header_score(known))
    except duckdb.Error as exc:
        raise FileRejected(f"The file cannot be read: {str(exc).splitlines()[0]}") from exc
    res.assumptions.extend(staged.assumptions)
    res.headers = staged.headers
    clock.stage("reading", 0.3)
    if staged.rows == 0:
        raise FileRejected("The file has a header but no rows of sales.")
    prof = profiles.get_profile(profile_name) if profile_name else profiles.detect(staged.headers, known)
    res.profile = prof.name
    cols = profiles.resolve_columns(prof, staged.headers, mapping)
    if "currency" not in cols and "currency" not in prof.defaults:
        money = cols.get("gross", cols.get("unit_price"))
        sample = _sample(cur, money) if money is not None else []
        if not sample or sum(1 for v in sample if parse.SYMBOL_RE.search(v)) < 0.9 * len(sample):
            raise MappingNeeded(
                f"No currency column found (profile {prof.name}) and the amounts carry no currency symbol. "
                f"Map it, e.g. --map currency=<header>. The file's headers are: {', '.join(staged.headers[:30])}",
                ["currency"], staged.headers)
        res.assumptions.append("Currency read from the symbol in each amount.")
    plan = _plan(cur, staged, prof, cols, res.region or "", res.assumptions)
    try:
        cur.execute(sql.parse_sql(plan, len(staged.headers)), plan.params)
    except duckdb.Error as exc:
        raise FileRejected(f"The values could not be read: {str(exc).splitlines()[0]}") from exc
    clock.stage("parsing", 0.45)
    gx_thread.join()
    validator = validate.Validator(res.region or "", prof.suite)
    failures: dict[int, list[tuple[str, str]]] = {}
    for done, frame in _frames(cur, staged.rows):
        failures.update(validator.validate(frame))
        del frame
        clock.stage("validating", 0.45 + 0.4 * min(1.0, done / max(staged.rows, 1)))
    res.validation = [ExpectationOutcome(o["type"], o["column"], o["reason"], o["success"],
                                         o["unexpected_count"], o["examples"]) for o in validator.report()]
    up.update(profile=prof.name, source=prof.source, status="loaded", assumptions=res.assumptions,
              validation={"suites": validator.suite_names, "results": validator.report()})
    up["loaded_at"] = _now()
    counts = _load(cur, clock, up, staged.headers, failures)
    res.status = "loaded"
    res.rows_total, res.rows_loaded = counts["total"], counts["loaded"]
    res.rows_flagged, res.rows_skipped, res.rows_known = counts["flagged"], counts["skipped"], counts["known"]
    res.message = _message(res.rows_total, res.rows_flagged, res.rows_loaded, res.rows_skipped, res.rows_known)
    res.timings = clock.timings
    res.skipped_reasons = dict(cur.execute(
        "SELECT skip_reason, count(*) FROM parsed WHERE skip_reason IS NOT NULL GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall())
    res.flagged_examples = [
        {"row_number": r[0], "reasons": list(r[1]), "raw": json.loads(r[2])}
        for r in cur.execute("SELECT row_number, reasons, raw FROM main.flagged_rows WHERE upload_id = ?"
                             " ORDER BY row_number LIMIT 50", [res.upload_id]).fetchall()
    ]
    res.next_steps = _next_steps(res)
    _refresh_rollups(res.region or "")
    return res


def _refresh_rollups(region: str) -> None:
    """Keep the managers' rollups current; the load is committed already, and metrics re-check
    the rollups themselves, so a failure here only delays them."""
    from ..queries.rollups import refresh_rollups

    with suppress(KasuwaError, duckdb.Error):
        refresh_rollups(region)


def _message(total: int, flagged: int, loaded: int | None = None, skipped: int = 0, known: int = 0) -> str:
    if loaded is None:
        return f"{total} rows read, {flagged} flagged"
    parts = [f"{loaded} of {total} rows loaded"]
    if flagged:
        parts.append(f"{flagged} flagged for review")
    if skipped:
        parts.append(f"{skipped} skipped (not sales)")
    if known:
        parts.append(f"{known} already known")
    return ", ".join(parts) + "."


def run_safely(fn: Callable[[], IngestResult]) -> IngestResult:
    """For callers that must never see an exception (the app): KasuwaError becomes a result."""
    try:
        return fn()
    except KasuwaError as exc:
        return IngestResult("rejected", None, None, None, str(exc))
