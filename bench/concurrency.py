"""Uploads at once into two regions while pages are served, against the same uploads one after another.

    python bench/concurrency.py [--files 4] [--rounds 4] [--rows 50000] [--base-rows 500000]
                                [--page pages/sales.py] [--idle-runs 30] [--other-region] [--keep DIR]

In a temporary ``KASUWA_DATA_DIR``: builds West and East Africa with ``bench/pages.py``'s
builder (``--base-rows`` sales each, so the page has something to read), adds one creator per
upload (alternately in West and East Africa), writes ``2 × --rounds × --files`` generic CSVs of
``--rows`` rows (distinct orders: nothing is a duplicate), and starts one owner per region
(``kasuwa serve --all``, as ``./scripts/demo`` does). Then, with the owners running:

  1. idle: the page loop alone — ``--page`` run for a creator with ``bench/pages.py``'s AppTest
     harness (server-side time of the page script, Streamlit's caches cleared before every run,
     so each run reads the warehouse through the owner), after three runs not counted; half of
     these runs before the uploads and half after them (the shared machine's load drifts);
  2. parallel: ``--files`` ``kasuwa ingest FILE --json`` commands started together (half into
     each region) while the same page loop runs until the last one has finished; ``--rounds``
     times (a round lasts a few seconds, so one round alone would time only a handful of pages
     and its "p95" would be its slowest page);
  3. sequential: as many other files, one command after another, the page loop running
     meanwhile too.

Prints per phase: failures, rows loaded, wall time, throughput (rows/s), each upload's
received→queryable latency (``uploads.received_at`` → ``loaded_at``, written by the ingest)
p50/p95 and its command's wall time, and the page's p50/p95 with the ratio to idle.
``--other-region`` sends every upload to East Africa, the region the page does not read: the
page then meets only the machine's load, not its own region's owner at work (regions never
block each other).
Targets (issue 9): no failure; page p95 during the parallel uploads ≤ 2× idle.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KASUWA = str(Path(sys.executable).parent / "kasuwa")
REGIONS = {"west-africa": ("NG", "NGN", "ng"), "east-africa": ("KE", "KES", "ke")}
PAGE_CREATOR = "wa-00042"  # a creator bench/pages.py's builder makes in West Africa


def _bench_pages() -> Any:
    """``bench/pages.py`` as a module (its name would clash with the project's ``pages/`` folder)."""
    spec = importlib.util.spec_from_file_location("kasuwa_bench_pages", ROOT / "bench" / "pages.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def write_csv(path: Path, prefix: str, rows: int, currency: str, country: str) -> None:
    """A generic export of ``rows`` sales whose order ids start with ``prefix`` (DuckDB writes it)."""
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"""COPY (
        SELECT '{prefix}-' || lpad(CAST(i AS VARCHAR), 8, '0') AS order_id,
               strftime(DATE '2025-01-01' + CAST(i % 300 AS INTEGER), '%Y-%m-%d') AS date,
               'Product ' || (i % 500) AS product,
               1 + i % 3 AS quantity,
               printf('%d.%02d', 1 + (i * 7919) % 50000, i % 100) AS amount,
               '{currency}' AS currency,
               '{country}' AS buyer_country
        FROM range({int(rows)}) t(i)
    ) TO '{path}' (HEADER, DELIMITER ',')"""
    )
    con.close()


@dataclass
class Upload:
    path: Path
    creator: str
    region: str
    started: float = 0.0
    wall: float = 0.0
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""


@dataclass
class Phase:
    name: str
    wall: float
    uploads: list[Upload]
    pages: list[float]


def _run(upload: Upload) -> None:
    """One ``kasuwa ingest FILE --json`` command, timed from start to exit (run in a thread)."""
    upload.started = time.perf_counter()
    proc = subprocess.run([KASUWA, "ingest", str(upload.path), "--creator", upload.creator, "--json"],
                          capture_output=True, text=True, check=False)
    upload.wall = time.perf_counter() - upload.started
    try:
        upload.result = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        upload.result = {}
    if proc.returncode != 0 or upload.result.get("status") != "loaded":
        upload.error = (upload.result.get("message") or (proc.stderr.strip().splitlines() or ["?"])[-1])[:200]


def run_phase(name: str, uploads: list[Upload], parallel: bool, page: Callable[[], float]) -> Phase:
    """Run ``uploads`` (all at once, or one after another) and time ``page()`` in a loop for as
    long as any of them runs."""
    def one_by_one() -> None:
        for up in uploads:
            _run(up)

    workers = ([threading.Thread(target=_run, args=(u,)) for u in uploads] if parallel
               else [threading.Thread(target=one_by_one)])
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    times = []
    while any(w.is_alive() for w in workers):
        times.append(page())
    for w in workers:
        w.join()
    wall = max(u.started + u.wall for u in uploads) - t0
    return Phase(name, wall, uploads, times)


def latencies(uploads: list[Upload]) -> dict[str, float]:
    """Seconds from each upload's received_at to its loaded_at, as its region's warehouse recorded them."""
    from warehouse.db import warehouse

    out = {}
    for up in uploads:
        uid = up.result.get("upload_id")
        if not uid:
            continue
        row = warehouse(up.region).one(
            "SELECT date_diff('millisecond', received_at, loaded_at) FROM uploads WHERE upload_id = ?", [uid])
        if row and row[0] is not None:
            out[uid] = row[0] / 1000
    return out


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(q * len(ordered)))) - 1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=4, help="uploads made at once (and then one by one)")
    ap.add_argument("--rounds", type=int, default=4, help="rounds of --files uploads at once")
    ap.add_argument("--rows", type=int, default=50_000, help="rows per uploaded file")
    ap.add_argument("--base-rows", type=int, default=500_000, help="sales already in each region")
    ap.add_argument("--page", default="pages/sales.py", help="the page timed in the loop (a creator's page)")
    ap.add_argument("--idle-runs", type=int, default=30, help="page runs timed with nothing else running")
    ap.add_argument("--other-region", action="store_true",
                    help="every upload into East Africa (the page reads West Africa)")
    ap.add_argument("--keep", help="work in this folder (kept) instead of a temporary one")
    args = ap.parse_args(argv)

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kasuwa-bench-conc-"))
    data_dir = work / "kasuwa-data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    # like a shell would: this process and the owners and commands it starts read it
    os.environ["KASUWA_DATA_DIR"] = str(data_dir)  # noqa: TID251
    bp = _bench_pages()
    from warehouse.access import Actor
    from warehouse.creators import add_creator
    from warehouse.db import close_all, init_all

    owners = None
    load0 = os.getloadavg()
    try:
        print(f"load average at start: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} ({os.cpu_count()} CPUs)")
        init_all()
        for code in REGIONS:
            t0 = time.perf_counter()
            bp.build_region(code, args.base_rows, max(50, args.base_rows // 2500))
            print(f"built {code}: {args.base_rows:,} sales in {time.perf_counter() - t0:.1f}s")
        batches: dict[str, list[Upload]] = {"parallel": [], "sequential": []}
        t0 = time.perf_counter()
        for batch, ups in batches.items():
            for i in range(args.files * args.rounds):
                region = "east-africa" if args.other_region else list(REGIONS)[i % 2]
                country, currency, prefix = REGIONS[region]
                creator = f"{prefix}-conc-{batch[0]}{i}"
                add_creator(Actor.operator(), creator, country, f"Bench {batch} {i}")
                path = work / f"{batch}-{i}.csv"
                write_csv(path, f"{batch[0].upper()}{i}", args.rows, currency, country)
                ups.append(Upload(path, creator, region))
        written = len(batches["parallel"]) + len(batches["sequential"])
        print(f"wrote {written} files of {args.rows:,} rows in {time.perf_counter() - t0:.1f}s")
        close_all()  # the owners must be the processes holding the files
        owners = bp.start_owners()

        from streamlit import logger as st_logger
        from streamlit.testing.v1 import AppTest  # noqa: F401 - imported first so its loggers are quietened

        st_logger.set_log_level("error")
        st_logger.get_logger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True
        actor = Actor("bench-creator", "creator", creator_id=PAGE_CREATOR)
        problems: list[str] = []

        def page() -> float:
            elapsed, shown = bp.run_page(args.page, actor, cold=True)
            problems.extend(shown)
            return elapsed

        for _ in range(3):  # the first opens pay for imports and the owners' first reads: not counted
            page()
        # idle is timed half before the uploads and half after: the shared machine's load drifts
        idle_runs = [page() for _ in range(args.idle_runs // 2)]
        rounds = [run_phase("parallel", batches["parallel"][r * args.files:(r + 1) * args.files], True, page)
                  for r in range(args.rounds)]
        phases = [Phase("parallel", sum(ph.wall for ph in rounds), [u for ph in rounds for u in ph.uploads],
                        [t for ph in rounds for t in ph.pages]),
                  run_phase("sequential", batches["sequential"], False, page)]
        idle_runs += [page() for _ in range(args.idle_runs - args.idle_runs // 2)]
        idle = Phase("idle", 0.0, [], idle_runs)

        idle_p95 = pct(idle.pages, 0.95)
        print(f"\npage {args.page} for {PAGE_CREATOR} (server-side, caches cleared each run), through the owner:")
        print(f"  idle:       {len(idle.pages):3d} runs, p50 {pct(idle.pages, 0.5) * 1000:6.0f} ms,"
              f" p95 {idle_p95 * 1000:6.0f} ms")
        failures = 0
        for ph in phases:
            p95 = pct(ph.pages, 0.95)
            print(f"  {ph.name + ':':11} {len(ph.pages):3d} runs, p50 {pct(ph.pages, 0.5) * 1000:6.0f} ms,"
                  f" p95 {p95 * 1000:6.0f} ms  (p95 {p95 / max(idle_p95, 1e-6):.2f}× idle,"
                  f" p50 {pct(ph.pages, 0.5) / max(pct(idle.pages, 0.5), 1e-6):.2f}× idle)")
        into = "all into east-africa" if args.other_region else f"half into each of {', '.join(REGIONS)}"
        print(f"\n{args.files} uploads at once ({args.rounds} rounds; the same number one by one) of {args.rows:,}"
              f" rows, {into}:")
        for ph in phases:
            lat = list(latencies(ph.uploads).values())
            loaded = sum(int(u.result.get("rows_loaded") or 0) for u in ph.uploads)
            failed = [u for u in ph.uploads if u.error]
            failures += len(failed)
            walls = [u.wall for u in ph.uploads]
            print(f"  {ph.name + ':':11} {len(failed)} failed, {loaded:,} rows loaded in {ph.wall:.1f}s"
                  f" = {loaded / max(ph.wall, 1e-6):,.0f} rows/s; received→queryable p50 {pct(lat, 0.5):.2f}s"
                  f" p95 {pct(lat, 0.95):.2f}s; command wall p50 {statistics.median(walls):.2f}s"
                  f" max {max(walls):.2f}s")
            for u in failed:
                print(f"      ! {u.path.name}: {u.error}")
        par, seq = phases
        print(f"\nparallel vs sequential: total time {par.wall / max(seq.wall, 1e-6):.2f}×,"
              f" throughput {seq.wall / max(par.wall, 1e-6):.2f}×")
        for p in dict.fromkeys(problems):
            print(f"  ! the page showed: {p}")
        ratio = pct(par.pages, 0.95) / max(idle_p95, 1e-6)
        print(f"\ntargets: no failure: {'met' if not failures and not problems else 'MISSED'};"
              f" page p95 during the parallel uploads ≤ 2× idle: {'met' if ratio <= 2 else 'MISSED'} ({ratio:.2f}×)")
        load1 = os.getloadavg()
        print(f"load average at end: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
        return 0 if not failures else 1
    finally:
        close_all()
        if owners is not None:
            bp.stop_owners(owners)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
