"""How fast and how lean an ingest is, against DuckDB alone reading the same file.

    python bench/ingest.py [--rows 1000000] [--repeat 3] [--memory] [--owner] [--big-rows 5000000] [--keep DIR]

Generates a generic CSV (order_id, date, product, quantity, amount, currency, buyer_country,
status; ~0.5 % of rows fail validation and ~0.5 % are failed payments) in a temporary
directory, then times, in one run:

  (a)  DuckDB alone: ``read_csv`` + ``INSERT`` into a table of a fresh ``.duckdb`` file (in a
       child process that has already imported duckdb; the time covers connect, read, insert
       and close),
  (b1) ``kasuwa ingest FILE --json`` as a subprocess — what a user sees, including Python
       start-up and the Great Expectations import,
  (b2) ``ingest_file`` in a process whose imports are warm (GX already imported),
  (b3) with ``--owner``: ``kasuwa ingest FILE --json`` while the region's owner runs with its
       imports warm (``kasuwa serve west-africa``, as under ``./scripts/demo``): the command
       lands the file and the owner loads it — what users meet once owners run. Peak RSS is
       the larger of the command's and the owner's (``VmHWM``),

each in a fresh ``KASUWA_DATA_DIR``, and prints the times, the ratios b/a, the per-stage
timings the ingest reports, and the peak RSS of each child (``os.wait4``'s ``ru_maxrss``).
``--repeat`` runs the trio several times and reports the median: the machine is shared.

``--memory`` then ingests a ``--big-rows`` (default 5,000,000) file with the CLI and compares
its peak RSS with the 1M-row run: the ingest streams the file (landing in chunks, DuckDB with
a bounded memory limit, validation in chunks), so memory should not grow with the file.

Targets (issue 2, on the 2-core machine): b/a ≤ 6, peak RSS ≤ 1.5 GB, big-file RSS flat;
(issue 9) b3/a ≤ 2.5, peak RSS ≤ 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CREATOR = "bench-ng"
MAX_UPLOAD_MB = "8192"
#: the command of the Python running this bench (its virtualenv need not be on PATH)
KASUWA = str(Path(sys.executable).parent / "kasuwa")


def generate_csv(path: Path, rows: int) -> float:
    """Write ``rows`` sales with DuckDB (fast and deterministic); returns seconds taken."""
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(
        f"""COPY (
        SELECT 'ORD-' || lpad(CAST(i AS VARCHAR), 8, '0') AS order_id,
               strftime(DATE '2025-01-01' + CAST(i % 300 AS INTEGER), '%Y-%m-%d') AS date,
               'Product ' || (i % 500) AS product,
               1 + i % 3 AS quantity,
               CASE WHEN i % 199 = 0 THEN '-' ELSE '' END
                 || CASE WHEN i % 4 = 2 THEN CAST(1000 + (i * 7919) % 900000 AS VARCHAR)
                         ELSE printf('%d.%02d', 1 + (i * 7919) % 50000, i % 100) END AS amount,
               ['NGN', 'GHS', 'XOF', 'USD'][1 + i % 4] AS currency,
               ['NG', 'GH', 'SN', 'US', 'CI', 'GB'][1 + i % 6] AS buyer_country,
               CASE WHEN i % 211 = 0 THEN 'failed' ELSE 'paid' END AS status
        FROM range({int(rows)}) t(i)
    ) TO '{path}' (HEADER, DELIMITER ',')"""
    )
    con.close()
    return time.perf_counter() - t0


def child_env(data_dir: Path) -> dict[str, str]:
    # a launcher sets its children's environment, as a shell would
    env = dict(os.environ)  # noqa: TID251
    env.update(KASUWA_DATA_DIR=str(data_dir), KASUWA_MAX_UPLOAD_MB=MAX_UPLOAD_MB)
    return env


REAPER = (
    "import json, os, subprocess, sys, time\n"
    "t0 = time.perf_counter()\n"
    "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)\n"
    "pid, status, ru = os.wait4(p.pid, 0)\n"
    "wall = time.perf_counter() - t0\n"
    "out, err = p.stdout.read(), p.stderr.read()\n"
    "print(json.dumps({'wall': wall, 'rss_mib': ru.ru_maxrss / 1024, 'status': status, 'out': out,"
    " 'err': err[-2000:]}))\n"
)


def measured(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``cmd`` under a tiny reaper that waits for it with os.wait4 and reports its own
    peak RSS and wall time (the reaper's start-up is outside the measured window)."""
    proc = subprocess.run([sys.executable, "-c", REAPER, *cmd], env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"reaper failed: {proc.stderr.strip()[-2000:]}")
    res = json.loads(proc.stdout)
    if res["status"] != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed: {res['err']}")
    return res


# --- the children --------------------------------------------------------------------------


def child_duckdb(csv_path: str, db_path: str) -> None:
    """(a): DuckDB alone, timed after its import."""
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(db_path)
    con.execute("CREATE TABLE sales AS SELECT * FROM read_csv(?) LIMIT 0", [csv_path])
    con.execute("INSERT INTO sales SELECT * FROM read_csv(?)", [csv_path])
    n = con.execute("SELECT count(*) FROM sales").fetchone()[0]
    con.close()
    print(json.dumps({"seconds": time.perf_counter() - t0, "rows": n}))


def child_inprocess(csv_path: str) -> None:
    """(b2): ingest_file with warm imports (GX imported and its context built first)."""
    sys.path.insert(0, str(ROOT))
    from warehouse.access import Actor
    from warehouse.ingest import ingest_file, validate

    validate._context()
    t0 = time.perf_counter()
    res = ingest_file(Actor.operator(), CREATOR, Path(csv_path).name, Path(csv_path))
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "seconds": seconds,
                "status": res.status,
                "rows_total": res.rows_total,
                "rows_loaded": res.rows_loaded,
                "rows_flagged": res.rows_flagged,
                "rows_skipped": res.rows_skipped,
                "timings": res.timings,
            }
        )
    )


def _vm_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def owner_round(csv_path: Path, work: Path, template: Path, n: int) -> dict[str, Any]:
    """(b3): the file through ``kasuwa ingest`` while West Africa's owner runs, imports warm."""
    kasuwa = KASUWA
    d = fresh_data_dir(template, work, f"owner-{n}")
    env = child_env(d)
    owner = subprocess.Popen([kasuwa, "serve", "west-africa"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = owner.stdout.readline() if owner.stdout else ""
        if "serving west-africa" not in line:
            raise SystemExit(f"the owner did not start: {line}")
        warm = work / "warm.csv"  # one tiny file first: the owner's Great Expectations import is done
        warm.write_text("order_id,date,product,quantity,amount,currency,buyer_country\nW-1,2025-01-01,W,1,1.00,NGN,NG\n")
        subprocess.run([kasuwa, "ingest", str(warm), "--creator", CREATOR], env=env, check=True, capture_output=True)
        res = measured([kasuwa, "ingest", str(csv_path), "--creator", CREATOR, "--json"], env)
        out = json.loads(res["out"])
        assert out["status"] == "loaded", out
        owner_rss = _vm_hwm_mib(owner.pid)
    finally:
        owner.terminate()
        owner.communicate()
    timings = json.loads(_one(d, "SELECT timings FROM uploads WHERE status = 'loaded' ORDER BY rows_total DESC"))
    shutil.rmtree(d)
    return {"b_owner": res["wall"], "b_owner_rss": max(res["rss_mib"], owner_rss), "b_owner_cli_rss": res["rss_mib"],
            "b_owner_timings": timings}


# --- the bench -----------------------------------------------------------------------------


def fresh_data_dir(template: Path, work: Path, name: str) -> Path:
    d = work / name
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(template, d)
    return d


def make_template(work: Path) -> Path:
    template = work / "template"
    env = child_env(template)
    kasuwa = KASUWA
    subprocess.run([kasuwa, "init"], env=env, check=True, capture_output=True)
    subprocess.run(
        [kasuwa, "creator", "add", CREATOR, "--country", "NG", "--name", "Bench"],
        env=env,
        check=True,
        capture_output=True,
    )
    return template


def one_round(csv_path: Path, work: Path, template: Path, n: int) -> dict[str, Any]:
    kasuwa = KASUWA
    me = str(Path(__file__).resolve())
    db = work / f"alone-{n}.duckdb"
    db.unlink(missing_ok=True)
    a = measured([sys.executable, me, "--child", "duckdb", str(csv_path), str(db)], child_env(work))
    a_seconds = json.loads(a["out"])["seconds"]
    db.unlink(missing_ok=True)

    d1 = fresh_data_dir(template, work, f"cli-{n}")
    b1 = measured([kasuwa, "ingest", str(csv_path), "--creator", CREATOR, "--json"], child_env(d1))
    b1_out = json.loads(b1["out"])
    assert b1_out["status"] == "loaded", b1_out
    timings = json.loads(_one(d1, "SELECT timings FROM uploads WHERE status = 'loaded'"))
    shutil.rmtree(d1)

    d2 = fresh_data_dir(template, work, f"warm-{n}")
    b2 = measured([sys.executable, me, "--child", "inprocess", str(csv_path)], child_env(d2))
    b2_out = json.loads(b2["out"])
    shutil.rmtree(d2)
    return {
        "a": a_seconds,
        "a_rss": a["rss_mib"],
        "b_cli": b1["wall"],
        "b_cli_rss": b1["rss_mib"],
        "b_cli_timings": timings,
        "b_warm": b2_out["seconds"],
        "b_warm_rss": b2["rss_mib"],
        "b_warm_timings": b2_out["timings"],
        "rows": (b1_out["rows_total"], b1_out["rows_loaded"], b1_out["rows_flagged"], b1_out["rows_skipped"]),
    }


def _one(data_dir: Path, sql: str) -> Any:
    import duckdb

    con = duckdb.connect(str(data_dir / "warehouses" / "west-africa.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def fmt_timings(t: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in t.items())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3, help="rounds of (a, b subprocess, b warm); median reported")
    p.add_argument("--memory", action="store_true", help="also ingest a --big-rows file and compare peak RSS")
    p.add_argument("--owner", action="store_true", help="also (b3): kasuwa ingest while the region's owner runs")
    p.add_argument("--big-rows", type=int, default=5_000_000)
    p.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        {"duckdb": child_duckdb, "inprocess": child_inprocess}[args.child[0]](*args.child[1:])
        return 0

    work = args.keep or Path(tempfile.mkdtemp(prefix="kasuwa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    load0 = os.getloadavg()
    print(f"load average at start: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} ({os.cpu_count()} CPUs)")
    try:
        csv_path = work / f"sales-{args.rows}.csv"
        gen = generate_csv(csv_path, args.rows)
        print(f"generated {args.rows:,} rows, {csv_path.stat().st_size / 1e6:.1f} MB in {gen:.1f}s")
        template = make_template(work)
        rounds = []
        for n in range(args.repeat):
            r = one_round(csv_path, work, template, n)
            rounds.append(r)
            print(
                f"round {n + 1}: (a) duckdb alone {r['a']:.2f}s | (b) kasuwa ingest {r['b_cli']:.2f}s "
                f"(ratio {r['b_cli'] / r['a']:.1f}) | (b) warm in-process {r['b_warm']:.2f}s "
                f"(ratio {r['b_warm'] / r['a']:.1f}) | peak RSS: cli {r['b_cli_rss']:.0f} MiB, "
                f"warm {r['b_warm_rss']:.0f} MiB, duckdb alone {r['a_rss']:.0f} MiB | load {os.getloadavg()[0]:.2f}"
            )
            print(f"         stages, cli: {fmt_timings(r['b_cli_timings'])}")
            print(f"         stages, warm: {fmt_timings(r['b_warm_timings'])}")
            if args.owner:
                r.update(owner_round(csv_path, work, template, n))
                print(f"         (b3) kasuwa ingest, owner running: {r['b_owner']:.2f}s"
                      f" (ratio {r['b_owner'] / r['a']:.1f})"
                      f" | peak RSS {r['b_owner_rss']:.0f} MiB (command {r['b_owner_cli_rss']:.0f} MiB)")
                print(f"         stages, owner: {fmt_timings(r['b_owner_timings'])}")
        total, loaded, flagged, skipped = rounds[0]["rows"]
        print(f"rows: {total:,} total, {loaded:,} loaded, {flagged:,} flagged, {skipped:,} skipped")
        med = {k: statistics.median(r[k] for r in rounds) for k in ("a", "b_cli", "b_warm", "b_cli_rss")}
        ratios_cli = sorted(r["b_cli"] / r["a"] for r in rounds)
        ratios_warm = sorted(r["b_warm"] / r["a"] for r in rounds)
        print(
            f"median of {len(rounds)}: (a) {med['a']:.2f}s, (b) cli {med['b_cli']:.2f}s, "
            f"(b) warm {med['b_warm']:.2f}s; "
            f"ratio b/a cli {statistics.median(ratios_cli):.1f} (range {ratios_cli[0]:.1f}-{ratios_cli[-1]:.1f}), "
            f"warm {statistics.median(ratios_warm):.1f} (range {ratios_warm[0]:.1f}-{ratios_warm[-1]:.1f}); "
            f"peak RSS cli {med['b_cli_rss']:.0f} MiB (target: ratio <= 6, RSS <= 1536 MiB)"
        )

        if args.owner:
            owner_ratios = sorted(r["b_owner"] / r["a"] for r in rounds)
            print(f"(b3) with the owner running: median {statistics.median(r['b_owner'] for r in rounds):.2f}s, "
                  f"ratio b3/a {statistics.median(owner_ratios):.1f} "
                  f"(range {owner_ratios[0]:.1f}-{owner_ratios[-1]:.1f}), "
                  f"peak RSS {max(r['b_owner_rss'] for r in rounds):.0f} MiB (target: ratio <= 2.5, RSS <= 1536 MiB)")

        if args.memory:
            big = work / f"sales-{args.big_rows}.csv"
            gen = generate_csv(big, args.big_rows)
            print(f"generated {args.big_rows:,} rows, {big.stat().st_size / 1e6:.1f} MB in {gen:.1f}s")
            d = fresh_data_dir(template, work, "big")
            kasuwa = KASUWA
            res = measured([kasuwa, "ingest", str(big), "--creator", CREATOR, "--json"], child_env(d))
            out = json.loads(res["out"])
            timings = json.loads(_one(d, "SELECT timings FROM uploads WHERE status = 'loaded'"))
            shutil.rmtree(d)
            print(
                f"{args.big_rows:,} rows: {out['status']}, {out['rows_loaded']:,} loaded, {res['wall']:.1f}s, "
                f"peak RSS {res['rss_mib']:.0f} MiB vs {med['b_cli_rss']:.0f} MiB for {args.rows:,} rows "
                f"(x{res['rss_mib'] / med['b_cli_rss']:.2f} for x{args.big_rows / args.rows:.0f} the rows)"
            )
            print(f"         stages: {fmt_timings(timings)}")
        load1 = os.getloadavg()
        print(f"load average at end: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
