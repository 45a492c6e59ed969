"""Regional warehouses against one central warehouse, on the same data and the same queries.

    python bench/regional.py [--rows 2000000] [--creators 1000] [--repeat 5] [--keep DIR]

The seed's claim was that regional warehouses cut query cost by half. This builds three regions
of ``--rows`` sales each with ``bench/pages.py``'s builder (creators, monthly uploads, sales,
1 % flagged rows, FX rates, rollups), then lays the same rows out twice:

* **regional**: one DuckDB file per region, as Kasuwa runs;
* **central**: one DuckDB file holding every region, each table with a ``region`` column, and
  per region a schema of views ``SELECT * EXCLUDE (region) FROM main.<table> WHERE region = …``
  (FX rates are global: one copy). The project's query functions run on it unchanged: each
  cursor of a region starts with ``USE`` that region's schema, so every query they send gets
  the ``region = …`` predicate a central warehouse would need.

Both layouts hold their rows in arrival order (uploads as received, sales as loaded, regions
interleaved), as a warehouse that has been filling for months does; the builder writes them
creator by creator, which would favour both layouts' creator queries equally but unrealistically.

Then it runs the queries the pages run, through the project's own functions, on both layouts in
turn (same process, warm connections): a creator's sales summary (``queries.sales.kpis``),
daily series and top products over 90 days (one creator of each region), a reviewer's pending
queue (``review_queue.list_queue``, first page, each region), and the managers' regional
metrics over the six months (``queries.metrics.region_metrics``, every region). It prints the
median of ``--repeat`` runs per query (after one warm-up), the ratio central/regional per query,
and the totals. No targets: the figure is the claim's check.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pages  # noqa: E402 - bench/pages.py's builder, after the path is set

REGIONS = list(pages.REGIONS)
#: per table, the column that orders rows by arrival (tables not listed keep the builder's order)
ARRIVAL = {"sales": "loaded_at, sale_id", "uploads": "received_at, upload_id", "flagged_rows": "created_at, flag_id",
           "creators": "joined_at, creator_id", "rollup_sales_daily": "day, upload_id",
           "rollup_uploads": "refreshed_at, upload_id"}
#: tables every region shares in a central warehouse (one copy, no region column)
GLOBAL = {"fx_rates", "currencies", "schema_version", "source_custody"}
#: tables the schema's migration fills itself (from the project's data files): never copied
FILLED_BY_MIGRATION = ("schema_version", "currencies", "source_custody")
PERIOD_CREATOR = (date(2025, 4, 1), date(2025, 6, 30))
PERIOD_MANAGER = (date(2025, 1, 1), date(2025, 6, 30))
NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)


def use_env(data_dir: Path, config_dir: Path | None = None) -> None:
    """Point Kasuwa at a layout, as a shell would (the settings module reads the environment)."""
    os.environ["KASUWA_DATA_DIR"] = str(data_dir)  # noqa: TID251
    if config_dir is None:
        os.environ.pop("KASUWA_CONFIG_DIR", None)  # noqa: TID251
    else:
        os.environ["KASUWA_CONFIG_DIR"] = str(config_dir)  # noqa: TID251


def build_source(staging: Path, rows: int, creators: int) -> None:
    """The three regions through ``pages.build_region`` (the project's API), then closed."""
    from warehouse.db import close_all, init_all

    use_env(staging)
    init_all()
    for code in REGIONS:
        t0 = time.perf_counter()
        pages.build_region(code, rows, creators)
        print(f"  built {code}: {rows:,} sales, {creators:,} creators in {time.perf_counter() - t0:.1f}s", flush=True)
    close_all()


def _tables(con: Any, catalog: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = 'main'"
        " AND table_type = 'BASE TABLE' ORDER BY table_name", [catalog]).fetchall()]


def _copy_control(staging: Path, out: Path) -> None:
    """The control database (SQLite, ``control.sqlite3``, with its WAL if one is left) as it is."""
    for name in ("control.sqlite3", "control.sqlite3-wal"):
        if (staging / name).exists():
            shutil.copy(staging / name, out / name)


def build_regional(staging: Path, out: Path) -> None:
    """One file per region, rows in arrival order; the control database copied as it is."""
    import duckdb

    from warehouse import schema

    (out / "warehouses").mkdir(parents=True)
    _copy_control(staging, out)
    for code in REGIONS:
        con = duckdb.connect(str(out / "warehouses" / f"{code}.duckdb"))
        schema.migrate(con, "region")
        con.execute(f"ATTACH '{staging / 'warehouses' / f'{code}.duckdb'}' AS src (READ_ONLY)")
        for table in _tables(con, "src"):
            if table in FILLED_BY_MIGRATION:
                continue
            order = f" ORDER BY {ARRIVAL[table]}" if table in ARRIVAL else ""
            con.execute(f"INSERT INTO main.{table} SELECT * FROM src.{table}{order}")
        con.execute("DETACH src")
        con.execute("CHECKPOINT")
        con.close()


def region_schema(code: str) -> str:
    return "r_" + re.sub(r"[^a-z0-9]", "_", code)


def build_central(staging: Path, out: Path) -> Path:
    """One file for every region: a ``region`` column on every regional table, rows of all
    regions interleaved in arrival order, and per region a schema of filtering views."""
    import duckdb

    from warehouse import schema

    out.mkdir(parents=True)
    _copy_control(staging, out)
    path = out / "central.duckdb"
    con = duckdb.connect(str(path))
    schema.migrate(con, "region")
    for code in REGIONS:
        con.execute(f"ATTACH '{staging / 'warehouses' / f'{code}.duckdb'}' AS {region_schema(code)} (READ_ONLY)")
    tables = _tables(con, "central")
    for table in tables:
        if table in GLOBAL:
            continue
        con.execute(f"ALTER TABLE main.{table} ADD COLUMN region VARCHAR")
    for table in tables:
        if table in FILLED_BY_MIGRATION:
            continue
        if table in GLOBAL:  # the same rates in every region: one copy
            con.execute(f"INSERT INTO main.{table} SELECT DISTINCT * FROM {region_schema(REGIONS[0])}.{table}")
            continue
        union = " UNION ALL ".join(f"SELECT *, '{c}' AS region FROM {region_schema(c)}.{table}" for c in REGIONS)
        order = f" ORDER BY {ARRIVAL[table]}" if table in ARRIVAL else ""
        con.execute(f"INSERT INTO main.{table} BY NAME SELECT * FROM ({union}){order}")
    for code in REGIONS:
        con.execute(f"DETACH {region_schema(code)}")
    for code in REGIONS:
        s = region_schema(code)
        con.execute(f"CREATE SCHEMA {s}")
        for table in tables:
            if table in GLOBAL:
                con.execute(f"CREATE VIEW {s}.{table} AS SELECT * FROM main.{table}")
            else:
                con.execute(f"CREATE VIEW {s}.{table} AS SELECT * EXCLUDE (region) FROM main.{table}"
                            f" WHERE region = '{code}'")
    con.execute("CHECKPOINT")
    con.close()
    # a configuration whose every region is located in the central file
    cfg = out / "config"
    shutil.copytree(ROOT / "data", cfg, ignore=shutil.ignore_patterns("demo", "warehouses", "landing", "*.duckdb*"))
    text = (cfg / "regions.toml").read_text(encoding="utf-8")
    (cfg / "regions.toml").write_text(text.replace('location = "file"', f'location = "{path}"'), encoding="utf-8")
    return cfg


def route_central_cursors(central: Path) -> None:
    """Each cursor of a region located in the central file starts in that region's schema of views."""
    from warehouse import db

    plain = db.RegionWarehouse._prepare

    def prepare(self: Any, cur: Any) -> None:
        if self.region.location == str(central):
            cur.execute(f"USE {region_schema(self.region.code)}")
        else:
            plain(self, cur)

    db.RegionWarehouse._prepare = prepare  # type: ignore[method-assign]


def queries(n_creators: int) -> list[tuple[str, Callable[[], Any]]]:
    """(label, call) per query: each call runs it once for every region (or once for all)."""
    from warehouse.access import Actor
    from warehouse.queries import sales
    from warehouse.queries.common import Period
    from warehouse.queries.metrics import region_metrics
    from warehouse.review_queue import QueueFilter, list_queue

    one = min(42, n_creators - 1)
    creators = [f"{pages.REGIONS[c][0]}-{one:05d}" for c in REGIONS]
    actors = {cid: Actor(f"bench-{cid}", "creator", creator_id=cid) for cid in creators}
    reviewer = Actor("bench-reviewer", "reviewer", regions=frozenset(REGIONS))
    manager = Actor("bench-manager", "manager")
    p90 = Period(*PERIOD_CREATOR)
    p6m = Period(*PERIOD_MANAGER)

    def each_creator(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
        return lambda: [fn(actors[c], c, p90, *args) for c in creators]

    def metrics() -> Any:
        report = region_metrics(manager, p6m, "month", now=NOW)
        bad = [f"{r.region}: {r.message}" for r in report.regions if r.status != "ok"]
        if bad:
            raise RuntimeError("; ".join(bad))
        return report

    return [
        ("creator: sales summary (kpis)", each_creator(sales.kpis)),
        ("creator: daily series, 90 days", each_creator(sales.series, "day")),
        ("creator: top products", each_creator(sales.top_products)),
        ("reviewer: pending queue, 1st page", lambda: [list_queue(reviewer, c, QueueFilter("pending"), limit=50)
                                                       for c in REGIONS]),
        ("manager: regional metrics, 6 months", metrics),
    ]


def fingerprint(value: Any) -> Any:
    """A comparable form of a query's answer (frames as CSV text, dataclasses field by field)."""
    if hasattr(value, "to_csv"):
        return value.to_csv(index=False)
    if isinstance(value, list | tuple):
        return [fingerprint(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: fingerprint(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: fingerprint(v) for k, v in value.items()}
    return repr(value)


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000, help="sales per region")
    ap.add_argument("--creators", type=int, default=1000, help="creators per region")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per query and layout (median shown)")
    ap.add_argument("--keep", help="build in (or reuse) this folder instead of a temporary one")
    args = ap.parse_args(argv)

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kasuwa-regional-"))
    reuse = bool(args.keep) and (base / "central" / "central.duckdb").exists()
    regional, central_dir = base / "regional", base / "central"
    try:
        print(f"data dir: {base}{' (reused)' if reuse else ''}")
        if not reuse:
            base.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            build_source(base / "staging", args.rows, args.creators)
            build_regional(base / "staging", regional)
            build_central(base / "staging", central_dir)
            shutil.rmtree(base / "staging", ignore_errors=True)
            print(f"  laid out regional and central in {time.perf_counter() - t0:.1f}s in all")
        central_cfg = central_dir / "config"
        sizes = {"regional": sum(p.stat().st_size for p in (regional / "warehouses").glob("*.duckdb")),
                 "central": (central_dir / "central.duckdb").stat().st_size}
        print(f"  files: regional {sizes['regional'] / 1e6:.0f} MB in {len(REGIONS)} files, "
              f"central {sizes['central'] / 1e6:.0f} MB in one")
        route_central_cursors(central_dir / "central.duckdb")
        layouts: dict[str, Callable[[], None]] = {
            "regional": lambda: use_env(regional),
            "central": lambda: use_env(central_dir, central_cfg),
        }
        from warehouse.db import close_all

        results: list[tuple[str, float, float]] = []
        mismatches: list[str] = []
        for label, call in queries(args.creators):
            times: dict[str, list[float]] = {name: [] for name in layouts}
            answers = {}
            for name, activate in layouts.items():  # warm-up: connections open, pages cached
                activate()
                answers[name] = fingerprint(call())
            if answers["regional"] != answers["central"]:
                mismatches.append(label)
            for _ in range(args.repeat):  # alternate, so a busy moment of the machine hits both
                for name, activate in layouts.items():
                    activate()
                    times[name].append(timed(call))
            reg, cen = (statistics.median(times[n]) for n in ("regional", "central"))
            results.append((label, reg, cen))
        close_all()

        print(f"\n{args.rows:,} sales per region x {len(REGIONS)} regions; median of {args.repeat} warm runs; "
              "creator and reviewer rows are one call per region, summed")
        print(f"{'query':38} {'regional':>10} {'central':>10} {'central/regional':>17}")
        for label, reg, cen in results:
            print(f"{label:38} {reg * 1000:8.1f}ms {cen * 1000:8.1f}ms {cen / max(reg, 1e-9):16.2f}x")
        tot_reg, tot_cen = sum(r for _, r, _ in results), sum(c for _, _, c in results)
        print(f"{'total':38} {tot_reg * 1000:8.1f}ms {tot_cen * 1000:8.1f}ms {tot_cen / max(tot_reg, 1e-9):16.2f}x")
        print("same answers on both layouts: " + ("yes, every query" if not mismatches
                                                  else "NO for " + ", ".join(mismatches)))
        cut = 1 - tot_reg / tot_cen if tot_cen else 0.0
        how = f"{cut:.0%} less" if cut >= 0 else f"{-cut:.0%} more"
        print(f"\nthe regional layout costs {how} than the central one in total "
              f"(the claim, half: {'met' if cut >= 0.5 else 'NOT met'})")
        return 0
    finally:
        from warehouse.db import close_all

        close_all()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
