"""How fast the pages are on three regions of 5,000,000 sales each.

    python bench/pages.py [--rows 5000000] [--creators 2000] [--owners] [--keep DIR]

Builds the regions in a temporary ``KASUWA_DATA_DIR`` with SQL ``generate_series`` through the
warehouse API (creators, monthly uploads, sales, 1 % flagged rows — most already reviewed —
and demo FX rates), refreshes the rollups, then runs every page a creator, a reviewer and a
manager can open with Streamlit's AppTest and prints the server-side time of the page script
(measured inside the script thread), cold (Streamlit's caches cleared) and warm (run again),
and each as a ratio of a baseline measured in the same run: one aggregate query over the
creator's sales through the same harness.
``--owners`` measures the pages as the app meets them under ``./scripts/demo``: one owner
process per region (``kasuwa serve --all``) holds the files, and every query of the pages (and
of the baseline) goes to it over Flight SQL on loopback; then the owners are stopped and the
creator's sales page is measured again opening the file directly, and the protocol's cost is
printed as a ratio (target ≤ 1.2×).
Targets: creator pages ≤ 300 ms warm; the manager's regions page ≤ 1 s cold.
"""

from __future__ import annotations

import argparse
import builtins
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGIONS = {
    "west-africa": ("wa", ["NG", "GH", "SN", "CI"], ["NGN", "GHS", "XOF", "USD"]),
    "east-africa": ("ea", ["KE", "UG", "TZ", "RW"], ["KES", "UGX", "USD"]),
    "south-asia": ("sa", ["PK", "BD", "IN"], ["PKR", "BDT", "USD"]),
}
SOURCES = ["gumroad", "etsy", "paystack", "flutterwave", "stripe"]
CHANNELS = ["card", "bank", "mobile_money", "paypal"]
BUYERS = ["NG", "GH", "KE", "US", "GB", "PK", "BD", "SN", "CI", "UG", "DE", "FR", "CA", "ZA"]
RULES = ["expect_column_values_to_be_between", "expect_column_values_to_not_be_null",
         "expect_column_values_to_be_in_set"]
MONTHS = 6
START = datetime(2025, 1, 1, tzinfo=UTC)


def build_region(code: str, rows: int, creators: int) -> dict[str, float]:
    """Creators, uploads (one per creator and month), sales, flagged rows and rates of one region."""
    from control import directory
    from warehouse import fx
    from warehouse.db import warehouse
    from warehouse.queries.metrics import refresh_rollups

    prefix, countries, currencies = REGIONS[code]
    uploads = creators * MONTHS
    per_upload = max(1, rows // uploads)
    flagged = max(1, per_upload // 100)
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    db = warehouse(code)
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO creators (creator_id, name, country, joined_at)"
            " SELECT $p || '-' || lpad(CAST(c AS VARCHAR), 5, '0'), 'Creator ' || c,"
            "  list_extract($countries, 1 + CAST(c % len($countries) AS INTEGER)),"
            "  $start + to_hours(CAST(hash(c) % (24 * 30 * $months) AS BIGINT))"
            " FROM range($n) t(c)",
            {"p": prefix, "countries": countries, "start": START, "months": MONTHS, "n": creators},
        )
        cur.execute(
            "INSERT INTO uploads (upload_id, creator_id, file_name, sha256, size_bytes, landing_path, profile,"
            " source, status, rows_total, rows_loaded, rows_flagged, rows_skipped, rows_known, received_at,"
            " loaded_at, message)"
            " SELECT $p || '-u' || u, $p || '-' || lpad(CAST(u // $months AS VARCHAR), 5, '0'),"
            "  'export-' || u || '.csv', md5(CAST(u AS VARCHAR)), 40000, '/dev/null', 'generic',"
            "  list_extract($sources, 1 + CAST((u // $months) % 5 AS INTEGER)), 'loaded',"
            "  $per + $flagged, $per, $flagged, 0, 0, r, r + to_milliseconds(CAST(800 + hash(u) % 9000 AS BIGINT)),"
            "  'bench'"
            " FROM (SELECT u, $start + to_days(CAST(30 * (u % $months) + 29 AS INTEGER))"
            "       + to_minutes(CAST(hash(u) % 1400 AS BIGINT)) AS r FROM range($uploads) t(u))",
            {"p": prefix, "months": MONTHS, "sources": SOURCES, "per": per_upload, "flagged": flagged,
             "start": START, "uploads": uploads},
        )
    times["creators+uploads"] = time.perf_counter() - t0
    directory.register_many((f"{prefix}-{c:05d}", code, countries[c % len(countries)]) for c in range(creators))
    t0 = time.perf_counter()
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO sales (sale_id, creator_id, source, order_id, line, product, quantity, sold_at,"
            " currency, gross, fees, net, refunded, buyer_country, channel, upload_id, row_number, loaded_at)"
            " SELECT upload_id || ':' || (r + 1), creator_id, source, 'o-' || i, 1, 'Product ' || (h % 20),"
            "  CAST(1 + h % 3 AS INTEGER), sold_at, currency, gross, fees, gross - fees,"
            "  CASE WHEN i % 50 = 0 THEN gross ELSE 0 END, list_extract($buyers, 1 + CAST(h % 14 AS INTEGER)),"
            "  list_extract($channels, 1 + CAST(h % 4 AS INTEGER)), upload_id, r + 1, sold_at"
            " FROM ("
            "  SELECT i, r, h, upload_id, creator_id, source, currency, sold_at,"
            "   CAST(CASE WHEN currency IN ('XOF', 'UGX') THEN 500 + h % 90000"
            "        WHEN currency = 'USD' THEN (200 + h % 9800) / 100.0"
            "        ELSE (100000 + h % 4900000) / 100.0 END AS DECIMAL(18,4)) AS gross,"
            "   CAST(CASE WHEN currency IN ('XOF', 'UGX') THEN (500 + h % 90000) // 10"
            "        WHEN currency = 'USD' THEN (200 + h % 9800) // 10 / 100.0"
            "        ELSE (100000 + h % 4900000) // 10 / 100.0 END AS DECIMAL(18,4)) AS fees"
            "  FROM ("
            "   SELECT i, i % $per AS r, hash(i * 7 + 1) AS h,"
            "    $p || '-u' || (i // $per) AS upload_id,"
            "    $p || '-' || lpad(CAST(i // $per // $months AS VARCHAR), 5, '0') AS creator_id,"
            "    list_extract($sources, 1 + CAST((i // $per // $months) % 5 AS INTEGER)) AS source,"
            "    list_extract($currencies, 1 + CAST((i // $per // $months) % len($currencies) AS INTEGER))"
            "      AS currency,"
            "    $start + to_days(CAST(30 * ((i // $per) % $months) AS INTEGER))"
            "     + to_seconds(CAST((i % $per) * 2592000 // $per AS BIGINT)) AS sold_at"
            "   FROM range($rows) t(i)))",
            {"per": per_upload, "p": prefix, "months": MONTHS, "sources": SOURCES, "currencies": currencies,
             "start": START, "rows": per_upload * uploads, "buyers": BUYERS, "channels": CHANNELS},
        )
        cur.execute(
            "INSERT INTO flagged_rows (flag_id, upload_id, creator_id, row_number, raw, reasons, rules, status,"
            " reviewed_by, reviewed_at, note, created_at)"
            " SELECT upload_id || ':' || (rows_loaded + k + 1), upload_id, creator_id, rows_loaded + k + 1,"
            "  '{\"amount\": \"-5.00\"}', ['amount is negative'],"
            "  [list_extract($rules, 1 + CAST(hash(upload_id, k) % 3 AS INTEGER))],"
            "  CASE WHEN hash(upload_id, k) % 10 < 7 THEN 'approved' ELSE 'pending' END,"
            "  CASE WHEN hash(upload_id, k) % 10 < 7 THEN 'reviewer' END,"
            "  CASE WHEN hash(upload_id, k) % 10 < 7 THEN loaded_at + INTERVAL 20 HOUR END, NULL, loaded_at"
            " FROM uploads, range($flagged) t(k)",
            {"rules": RULES, "flagged": flagged},
        )
    times["sales+flagged"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    fx.seed_demo_rates(code, START.date() - timedelta(days=30), START.date() + timedelta(days=30 * MONTHS + 30))
    db.execute("CHECKPOINT")
    times["rates+checkpoint"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    refresh_rollups(code, full=True)
    times["rollups (full)"] = time.perf_counter() - t0
    return times


def incremental_refresh(code: str) -> float:
    """Time ``refresh_rollups`` after one more monthly upload of ~400 rows (what an ingest adds)."""
    from warehouse.db import warehouse
    from warehouse.queries.metrics import refresh_rollups

    prefix = REGIONS[code][0]
    with warehouse(code).transaction() as cur:
        cur.execute(
            "INSERT INTO uploads (upload_id, creator_id, file_name, sha256, size_bytes, landing_path, status,"
            " rows_total, rows_loaded, received_at, loaded_at) VALUES ($u, $c, 'x.csv', 'x', 1, '/dev/null',"
            " 'loaded', 400, 400, now(), now())", {"u": f"{prefix}-extra", "c": f"{prefix}-00000"},
        )
        cur.execute(
            "INSERT INTO sales (sale_id, creator_id, source, order_id, product, quantity, sold_at, currency,"
            " gross, fees, net, refunded, upload_id, row_number, loaded_at)"
            " SELECT $u || ':' || i, $c, 'generic', 'x-' || i, 'Extra', 1, $t, 'USD', 10, 1, 9, 0, $u, i, now()"
            " FROM range(400) t(i)", {"u": f"{prefix}-extra", "c": f"{prefix}-00000", "t": START},
        )
    t0 = time.perf_counter()
    refresh_rollups(code)
    return time.perf_counter() - t0


_WRAPPER = """
import builtins, runpy, time
import streamlit as st
if {cold!r}:
    st.cache_data.clear()
_t = time.perf_counter()
try:
    runpy.run_path({path!r}, run_name="__main__")
finally:
    builtins._kasuwa_bench_elapsed = time.perf_counter() - _t
"""


#: the baseline: one aggregate over the creator's sales through the same harness and warehouse
#: layer (a page can hardly cost less); each page's time is also printed as a ratio of it
_BASELINE = """
from warehouse.db import warehouse
warehouse("west-africa").one(
    "SELECT count(*), sum(gross), max(sold_at) FROM sales WHERE creator_id = ?", [{creator_id!r}])
"""


def run_page(page: str, actor: object, cold: bool) -> tuple[float, list[str]]:
    """Server-side seconds of one run of ``page`` for ``actor`` (and any exceptions it showed)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(_WRAPPER.format(path=str(ROOT / page), cold=cold), default_timeout=600)
    at.session_state["kasuwa_actor"] = actor
    at.session_state["kasuwa_last_seen"] = time.time()
    at.run()
    problems = [str(getattr(e, "value", e))[:200] for e in at.exception]
    problems += [str(e.value)[:200] for e in at.error]
    return float(builtins._kasuwa_bench_elapsed), problems  # type: ignore[attr-defined]


def measure(page: str, actor: object, repeat: int) -> tuple[float, float, float, list[str]]:
    """First open, cold and median warm seconds of ``page`` (connections closed first), and the
    exceptions it showed."""
    from warehouse.db import close_all

    close_all()
    first, problems = run_page(page, actor, cold=True)
    cold, more = run_page(page, actor, cold=True)
    warm = statistics.median(run_page(page, actor, cold=False)[0] for _ in range(repeat))
    return first, cold, warm, list(dict.fromkeys(problems + more))


def start_owners() -> subprocess.Popen[str]:
    """``kasuwa serve --all`` on this process's KASUWA_DATA_DIR (no connection of this process
    may be open); returns once every owner has said where it serves."""
    from warehouse.regions import all_regions

    kasuwa = str(Path(sys.executable).parent / "kasuwa")
    proc = subprocess.Popen([kasuwa, "serve", "--all"], stdout=subprocess.PIPE, text=True)
    for _ in all_regions():
        line = proc.stdout.readline() if proc.stdout else ""
        if "serving" not in line:
            stop_owners(proc)
            raise SystemExit(f"an owner did not start: {line.strip()}")
    return proc


def stop_owners(proc: subprocess.Popen[str]) -> None:
    """Stop the owners as Ctrl-C would (they remove their run files), at once if they hang."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5_000_000, help="sales per region")
    ap.add_argument("--creators", type=int, default=2000, help="creators per region")
    ap.add_argument("--repeat", type=int, default=3, help="warm runs per page (median shown)")
    ap.add_argument("--owners", action="store_true",
                    help="measure through one owner process per region (kasuwa serve --all), as the app runs")
    ap.add_argument("--keep", help="build in (or reuse) this folder instead of a temporary one")
    args = ap.parse_args(argv)

    data_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kasuwa-bench-"))
    reuse = bool(args.keep) and (data_dir / "warehouses").exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    # like a shell would: the settings module reads the environment when asked
    os.environ["KASUWA_DATA_DIR"] = str(data_dir)  # noqa: TID251
    from warehouse.access import Actor
    from warehouse.db import close_all, init_all

    owners = None
    try:
        print(f"data dir: {data_dir}{' (reused)' if reuse else ''}")
        if not reuse:
            init_all()
            for code in REGIONS:
                t0 = time.perf_counter()
                parts = build_region(code, args.rows, args.creators)
                detail = ", ".join(f"{k} {v:.1f}s" for k, v in parts.items())
                print(f"built {code}: {args.rows:,} sales in {time.perf_counter() - t0:.1f}s ({detail})")
            for code in REGIONS:
                print(f"rollup refresh after one more upload ({code}): {incremental_refresh(code) * 1000:.0f} ms")
        if args.owners:
            close_all()  # the owners must be the processes holding the files
            owners = start_owners()
            print("pages measured through one owner process per region (kasuwa serve --all)")
        actors = {
            "creator": Actor("bench-creator", "creator", creator_id="wa-00042"),
            "reviewer": Actor("bench-reviewer", "reviewer", regions=frozenset({"west-africa"})),
            "manager": Actor("bench-manager", "manager"),
        }
        from streamlit import logger as st_logger
        from streamlit.testing.v1 import AppTest  # noqa: F401 - imported first so its loggers are quietened

        from app.registry import pages_for

        # the bench calls Streamlit's caches outside a script run, which warns on every call
        st_logger.set_log_level("error")
        st_logger.get_logger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True

        base_path = data_dir / "baseline_page.py"
        base_path.write_text(_BASELINE.format(creator_id=actors["creator"].creator_id), encoding="utf-8")
        _, base_cold, base_warm, _ = measure(str(base_path), actors["creator"], args.repeat)
        print(f"\nbaseline (one aggregate query on a creator's sales, same harness): "
              f"cold {base_cold * 1000:.0f} ms, warm {base_warm * 1000:.0f} ms")
        print(f"\n{'role':9} {'page':28} {'first open':>11} {'cold':>9} {'warm':>9} {'x base (warm)':>14}  target")
        verdicts = []
        through_owner: dict[str, float] = {}
        for role, actor in actors.items():
            for spec in pages_for(role):
                if not (ROOT / spec.path).exists():
                    continue
                first, cold, warm, problems = measure(spec.path, actor, args.repeat)
                target = ""
                if role == "creator":
                    ok = warm <= 0.300
                    target = f"warm ≤ 300 ms: {'met' if ok else 'MISSED'}"
                    verdicts.append(ok)
                elif spec.path == "pages/regions.py":
                    ok = cold <= 1.0
                    target = f"cold ≤ 1 s: {'met' if ok else 'MISSED'}"
                    verdicts.append(ok)
                if role == "creator" and spec.path == "pages/sales.py":
                    through_owner = {"cold": cold, "warm": warm}
                times = (f"{first * 1000:9.0f}ms {cold * 1000:7.0f}ms {warm * 1000:7.0f}ms"
                         f" {warm / max(base_warm, 1e-6):13.1f}x")
                print(f"{role:9} {spec.path:28} {times}  {target}")
                for p in problems:
                    print(f"{'':9} ! {p}")
        if owners is not None and through_owner:
            stop_owners(owners)
            owners = None
            close_all()
            _, cold, warm, _ = measure("pages/sales.py", actors["creator"], args.repeat)
            ratio = through_owner["warm"] / max(warm, 1e-6)
            ok = ratio <= 1.2
            verdicts.append(ok)
            cold_ratio = through_owner["cold"] / max(cold, 1e-6)
            print(f"\ncreator's sales page, the file opened directly: cold {cold * 1000:.0f} ms, "
                  f"warm {warm * 1000:.0f} ms; through the owner (Flight SQL) {ratio:.2f}x direct warm "
                  f"({cold_ratio:.2f}x cold) — target ≤ 1.2x: {'met' if ok else 'MISSED'}")
        print(f"\ntargets met: {sum(verdicts)} of {len(verdicts)}")
        return 0
    finally:
        close_all()
        if owners is not None:
            stop_owners(owners)
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
