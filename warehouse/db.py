"""The one door to every database: a region's warehouse (local file or Quack URL) and the
control database. Nothing else in Kasuwa calls ``duckdb.connect``.

One read-write connection per database per process, opened lazily and shared; threads get
their own cursor from it (DuckDB's rule: one writing process per file, many threads through
cursors). Opening runs the schema migrations, so a fresh data directory just works.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb

from . import schema
from .errors import ConfigError, RegionUnavailable, WarehouseBusy
from .i18n import _
from .regions import Region, all_regions, get_region
from .settings import settings

_log = logging.getLogger("kasuwa.db")

_LOCK = threading.Lock()
_OPEN: dict[tuple[str, str], duckdb.DuckDBPyConnection] = {}
_PID = re.compile(r"PID (\d+)")


def _extension_path(package: str, name: str) -> str:
    import importlib

    mod = importlib.import_module(package)
    base = Path(mod.__file__ or "").parent / "extensions"
    found = sorted(base.glob(f"*/{name}.duckdb_extension"))
    if not found:
        raise ConfigError(f"The {name} DuckDB extension is not installed (pip install {package}).")
    return str(found[-1])


def _open_file(path: Path, what: str) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # a bounded buffer pool: large uploads spill to disk instead of growing with the file
        return duckdb.connect(str(path), config={"memory_limit": f"{settings().duckdb_memory_mb}MB"})
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            pid = _PID.search(text)
            who = f" (process {pid.group(1)})" if pid else ""
            raise WarehouseBusy(
                _("The %(what)s is open in another Kasuwa process%(who)s. Use that process (for example upload "
                  "through the running app) or stop it, then try again.", what=what, who=who)
            ) from exc
        _log.warning("%s cannot be opened: %s", what, text.splitlines()[0])
        raise RegionUnavailable(_("The %(what)s cannot be opened right now (the server's log says why); try again "
                                  "later.", what=what)) from exc
    except duckdb.Error as exc:
        # the library's words (and the file's path) go to the operator's log, not to people
        _log.warning("%s cannot be opened: %s", what, str(exc).splitlines()[0])
        raise RegionUnavailable(_("The %(what)s cannot be opened right now (the server's log says why); try again "
                                  "later.", what=what)) from exc


def _open_quack(region: Region) -> duckdb.DuckDBPyConnection:
    """Attach a region served by ``quack_serve`` on its own host; queries run there."""
    token = settings().quack_token
    con = duckdb.connect()
    try:
        _load_quack(con)
        # DDL takes no bound parameters; the token comes from our own settings, quotes removed.
        safe = token.replace("'", "")
        con.execute(f"CREATE SECRET kasuwa_quack (TYPE quack, TOKEN '{safe}')")
        con.execute(f"ATTACH '{region.location.replace(chr(39), '')}' AS kasuwa_region")
        con.execute("USE kasuwa_region")
    except duckdb.Error as exc:
        con.close()
        _log.warning("region %s at %s cannot be reached: %s", region.code, region.location,
                     str(exc).splitlines()[0])
        raise RegionUnavailable(
            _("Region %(name)s cannot be reached right now. Other regions are unaffected. Files uploaded for it are "
              "kept; load them again when it is back.", name=region.name)
        ) from exc
    return con


def _load_quack(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"LOAD '{_extension_path('duckdb_extension_httpfs', 'httpfs')}'")
    con.execute(f"LOAD '{_extension_path('duckdb_extension_quack', 'quack')}'")


def serve_region(code: str, listen: str, stop: threading.Event | None = None) -> None:
    """Serve this host's copy of region ``code`` over Quack until ``stop`` is set (or forever).

    Other hosts point ``regions.toml`` at ``quack:HOST:PORT`` with the same KASUWA_QUACK_TOKEN;
    put TLS in front with a reverse proxy.
    """
    token = settings().quack_token
    if not token:
        raise ConfigError(_("Set KASUWA_QUACK_TOKEN before serving a region over the network."))
    region = get_region(code)
    con = _open_file(settings().warehouses_dir / f"{region.code}.duckdb", f"{region.name} warehouse")
    try:
        schema.migrate(con, "region")
        _load_quack(con)
        safe = token.replace("'", "")
        con.execute(f"CALL quack_serve('quack:{listen.replace(chr(39), '')}', token = '{safe}')")
        print(f"serving {region.code} on quack:{listen}", flush=True)
        (stop or threading.Event()).wait()
    finally:
        con.close()


def region_path(region: Region) -> Path:
    if region.location in ("", "file"):
        return settings().warehouses_dir / f"{region.code}.duckdb"
    return Path(region.location).expanduser()


def _connection(key: tuple[str, str], opener: Any, migrate_kind: str) -> duckdb.DuckDBPyConnection:
    with _LOCK:
        con = _OPEN.get(key)
        if con is None:
            con = opener()
            try:
                schema.migrate(con, migrate_kind)
            except Exception:
                con.close()
                raise
            _OPEN[key] = con
        return con


class Database:
    """A database reached through one shared connection; every query runs on a fresh cursor."""

    kind = "region"

    def __init__(self, key: tuple[str, str], label: str) -> None:
        self.key = key
        self.label = label

    def _open(self) -> duckdb.DuckDBPyConnection:  # pragma: no cover - overridden
        raise NotImplementedError

    def connection(self) -> duckdb.DuckDBPyConnection:
        return _connection(self.key, self._open, self.kind)

    def _prepare(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Per-cursor set-up (a remote region's cursor must select the attached catalog)."""

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self.connection().cursor()
        self._prepare(cur)
        try:
            yield cur
        finally:
            cur.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One explicit transaction: committed when the block ends, rolled back on any error."""
        with self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                # after a write conflict DuckDB has ended the transaction itself; keep the real error
                with suppress(duckdb.Error):
                    cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        with self.cursor() as cur:
            return cur.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> tuple[Any, ...] | None:
        with self.cursor() as cur:
            return cur.execute(sql, params).fetchone()

    def dicts(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        with self.cursor() as cur:
            res = cur.execute(sql, params)
            names = [d[0] for d in res.description or []]
            return [dict(zip(names, row, strict=True)) for row in res.fetchall()]

    def df(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        """A pandas DataFrame (money columns stay Decimal objects, never float)."""
        with self.cursor() as cur:
            # through Arrow: DuckDB's own .df() would turn DECIMAL into float64
            return cur.execute(sql, params).to_arrow_table().to_pandas()

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> None:
        with self.cursor() as cur:
            cur.execute(sql, params)


class RegionWarehouse(Database):
    """A region's warehouse. The only class that knows whether it is a local file or remote."""

    kind = "region"

    def __init__(self, region: Region) -> None:
        where = region.location if region.is_remote else str(region_path(region))
        super().__init__(("region", f"{region.code}@{where}"), f"{region.name} warehouse")
        self.region = region

    def _prepare(self, cur: duckdb.DuckDBPyConnection) -> None:
        if self.region.is_remote:
            cur.execute("USE kasuwa_region")

    def _open(self) -> duckdb.DuckDBPyConnection:
        if self.region.is_remote:
            return _open_quack(self.region)
        return _open_file(region_path(self.region), self.label)


class ControlDatabase(Database):
    """Accounts, sessions, the creator directory and the region catalogue's state."""

    kind = "control"

    def __init__(self) -> None:
        path = settings().control_path
        super().__init__(("control", str(path)), "control database")
        self.path = path

    def _open(self) -> duckdb.DuckDBPyConnection:
        return _open_file(self.path, self.label)


def warehouse(region: str | Region) -> RegionWarehouse:
    """The warehouse of ``region`` (a code or a Region)."""
    return RegionWarehouse(get_region(region) if isinstance(region, str) else region)


def control() -> ControlDatabase:
    return ControlDatabase()


def init_all() -> dict[str, str]:
    """Create or migrate every region's warehouse and the control database.

    Returns region code -> "ok" or the reason it is unavailable (one region down does not stop
    the others).
    """
    control().connection()
    status: dict[str, str] = {}
    for region in all_regions():
        try:
            warehouse(region).connection()
            status[region.code] = "ok"
        except (RegionUnavailable, WarehouseBusy) as exc:
            status[region.code] = str(exc)
    return status


def close_all() -> None:
    """Close every open connection (tests and the CLI's exit use this)."""
    with _LOCK:
        for con in _OPEN.values():
            with suppress(duckdb.Error):
                con.close()
        _OPEN.clear()
