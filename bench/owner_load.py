"""Many app threads at once against one region's owner: throughput, p50/p95 and errors.

    python bench/owner_load.py [--clients 50] [--seconds 60] [--rows 1000000] [--old-tree DIR] [--keep DIR]

Builds West Africa with ``--rows`` sales (``bench/pages.py``'s generator), then runs the
creator's sales page queries (``warehouse.queries.sales``: KPIs, the daily series, top products,
buyer countries, channels, currencies) from ``--clients`` threads of one client process for
``--seconds``, each thread a creator of its own, against:

- ``flight``: one owner (``kasuwa serve west-africa``) reached over Flight SQL (this tree);
- ``direct``: no owner; the client process opens the DuckDB file itself (the floor);
- ``old`` (with ``--old-tree DIR``, a checkout of Kasuwa before issue 18): its owner and its
  home-made HTTP protocol, the same queries, the same file.

Each side runs with the code of its own tree (``PYTHONPATH``), in processes of its own; the data
directory is shared. Prints queries per second, p50/p95 latency of one page query and errors.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pages import stop_owners  # bench/pages.py: the owners stopped as Ctrl-C would

ROOT = Path(__file__).resolve().parent.parent
REGION = "west-africa"

_WORKER = r"""
import json, os, random, statistics, sys, threading, time
from datetime import date
sys.path.insert(0, os.environ["KASUWA_BENCH_TREE"])
from warehouse.access import Actor
from warehouse.queries import sales as q
from warehouse.queries.common import Period

clients, seconds, creators = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
period = Period(date(2025, 1, 1), date(2025, 6, 30))
calls = [lambda a, c: q.kpis(a, c, period), lambda a, c: q.series(a, c, period, "day"),
         lambda a, c: q.top_products(a, c, period), lambda a, c: q.buyer_countries(a, c, period),
         lambda a, c: q.channels(a, c, period), lambda a, c: q.by_currency(a, c, period)]
# one warm-up round: the first query of a process opens its connection
calls[0](Actor("bench", "creator", creator_id="wa-00001"), "wa-00001")
times, errors, lock = [], [], threading.Lock()
deadline = time.perf_counter() + seconds

def client(i):
    creator = f"wa-{(i * 37) % creators + 1:05d}"
    actor = Actor("bench", "creator", creator_id=creator)
    mine, bad = [], []
    n = 0
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        try:
            calls[n % len(calls)](actor, creator)
            mine.append(time.perf_counter() - t0)
        except Exception as exc:
            bad.append(f"{type(exc).__name__}: {str(exc)[:120]}")
        n += 1
    with lock:
        times.extend(mine)
        errors.extend(bad)

threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
start = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.perf_counter() - start
times.sort()
pick = lambda p: times[min(len(times) - 1, int(p * len(times)))] if times else float("nan")
print(json.dumps({"queries": len(times), "qps": len(times) / elapsed, "p50": pick(0.5), "p95": pick(0.95),
                  "errors": len(errors), "first_errors": sorted(set(errors))[:3]}))
"""


def _env(tree: Path, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)  # noqa: TID251 - the children get this process's environment, plus theirs
    env.update({"KASUWA_DATA_DIR": str(data_dir), "PYTHONPATH": str(tree), "KASUWA_BENCH_TREE": str(tree)})
    return env


def _owner(tree: Path, data_dir: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-m", "warehouse.cli", "serve", REGION], cwd=tree,
                            env=_env(tree, data_dir), stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if "serving" not in line:
        proc.kill()
        raise SystemExit(f"the owner from {tree} did not start: {line.strip()}")
    return proc


def run_side(name: str, tree: Path, data_dir: Path, owner: bool, clients: int, seconds: float,
             creators: int) -> dict[str, object]:
    """One side of the comparison: its owner (if any) and its client process."""
    proc = _owner(tree, data_dir) if owner else None
    try:
        out = subprocess.run([sys.executable, "-c", _WORKER, str(clients), str(seconds), str(creators)], cwd=tree,
                             env=_env(tree, data_dir), capture_output=True, text=True, check=False)
    finally:
        if proc is not None:
            stop_owners(proc)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"{name}: the client process failed:\n{out.stderr[-3000:]}")
    figures: dict[str, object] = json.loads(lines[-1])
    figures["side"] = name
    return figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rows", type=int, default=1_000_000, help="sales in West Africa")
    ap.add_argument("--creators", type=int, default=400)
    ap.add_argument("--old-tree", help="a checkout of Kasuwa before issue 18 (its HTTP protocol), to compare")
    ap.add_argument("--keep", help="build in (or reuse) this folder instead of a temporary one")
    args = ap.parse_args(argv)

    data_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kasuwa-load-"))
    reuse = bool(args.keep) and (data_dir / "warehouses" / f"{REGION}.duckdb").exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        if not reuse:
            build = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); sys.path.insert(0, {str(ROOT / 'bench')!r})\n"
                     "from warehouse.db import init_all, close_all\nimport pages\ninit_all()\n"
                     f"pages.build_region({REGION!r}, {args.rows}, {args.creators})\nclose_all()\n")
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", build], env=_env(ROOT, data_dir), check=True)
            print(f"built {REGION}: {args.rows:,} sales, {args.creators} creators in {time.perf_counter() - t0:.0f}s")
        sides = [("flight (Flight SQL owner)", ROOT, True)]
        if args.old_tree:
            sides.append(("old (HTTP owner, before #18)", Path(args.old_tree).resolve(), True))
        sides.append(("direct (file opened here)", ROOT, False))
        print(f"{args.clients} clients x {args.seconds:.0f} s, the creator's sales page queries\n")
        print(f"{'side':32} {'queries':>8} {'q/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
        results = []
        for name, tree, owner in sides:
            r = run_side(name, tree, data_dir, owner, args.clients, args.seconds, args.creators)
            results.append(r)
            print(f"{name:32} {r['queries']:>8} {r['qps']:>8.1f} {float(r['p50']) * 1000:>8.1f} "  # type: ignore[arg-type]
                  f"{float(r['p95']) * 1000:>8.1f} {r['errors']:>7}")  # type: ignore[arg-type]
            for e in r.get("first_errors") or []:  # type: ignore[union-attr]
                print(f"{'':32} ! {e}")
        direct = results[-1]
        for r in results[:-1]:
            print(f"{r['side']}: p50 {float(r['p50']) / float(direct['p50']):.2f}x direct, "  # type: ignore[arg-type]
                  f"throughput {float(r['qps']) / float(direct['qps']):.2f}x direct")  # type: ignore[arg-type]
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
