"""The one door to every region's warehouse (local file, its owner process, or a Quack URL).
Nothing else in Kasuwa calls ``duckdb.connect``. The control database (accounts, sign-ins,
creator directory) has its own door, ``control/db.py``.

A region's warehouse is reached one of three ways (README: the process model):
- through its **owner** (``kasuwa serve``), the one process holding the file, when one is
  registered in ``KASUWA_DATA_DIR/run/`` and answers, or when ``regions.toml`` places the
  region at ``kasuwa://host:port`` (reached over TLS): an ``OwnerConnection`` whose cursors are
  ADBC Flight SQL cursors (``owner/flight_client.py``);
- **embedded**: no owner runs, so this process opens the file itself, exactly as before;
- over Quack (``quack:host:port``), attached.

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
from typing import TYPE_CHECKING, Any

import duckdb

from control.db import close_all as close_control
from control.db import init as init_control

from . import sandbox, schema
from .errors import ConfigError, RegionUnavailable, WarehouseBusy
from .files import make_private
from .i18n import _
from .owner.registry import OwnerAddress, answers, live_owner
from .regions import Region, all_regions, get_region
from .settings import settings

if TYPE_CHECKING:
    from .owner.flight_client import OwnerClient, OwnerConnection

_log = logging.getLogger("kasuwa.db")

_LOCK = threading.Lock()
_OPEN: dict[tuple[str, str], Any] = {}
#: regions this process owns (``kasuwa serve``): opened here, never routed to an owner
_OWNED: set[str] = set()
#: regions this process has reached through an owner: if it stops, wait for it (opening the file
#: here would keep a restarted owner out until this process ends)
_SEEN_OWNER: set[str] = set()
#: regions this process owns and also serves over Quack (``kasuwa serve --quack``)
_QUACK_SERVED: set[str] = set()
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
    make_private(path)
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


def own_region(code: str, quack: bool = False) -> Any:
    """Make this process the owner of region ``code``: open its file here (never through an
    owner) and return the shared connection. Refused with words when another process holds it.
    ``quack``: the region is also served over Quack (its extensions are loaded before the
    sandbox closes extension loading)."""
    _OWNED.add(code)
    if quack:
        _QUACK_SERVED.add(code)
    return warehouse(code).connection()


def is_owner(code: str) -> bool:
    """Whether this process is region ``code``'s owner (``kasuwa serve``)."""
    return code in _OWNED


def serve_quack(con: Any, listen: str) -> None:
    """Also offer the owner's open connection over Quack on ``listen`` (read-only analysts'
    DuckDB clients, and central sides that attach by ``quack:HOST:PORT``)."""
    token = settings().quack_token
    if not token:
        raise ConfigError(_("Set KASUWA_QUACK_TOKEN before serving a region over Quack."))
    safe = token.replace("'", "")
    con.execute(f"CALL quack_serve('quack:{listen.replace(chr(39), '')}', token = '{safe}')")


def region_path(region: Region) -> Path:
    if region.location in ("", "file"):
        return settings().warehouses_dir / f"{region.code}.duckdb"
    return Path(region.location).expanduser()


def _connection(key: tuple[str, str], opener: Any, migrate_kind: str) -> Any:
    with _LOCK:
        con = _OPEN.get(key)
        if con is None:
            con = opener()
            if getattr(con, "through_owner", False):  # the owner migrated its file when it opened it
                _OPEN[key] = con
                return con
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
                with suppress(duckdb.Error, RegionUnavailable):  # an owner gone rolled back already
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
        where = region.location if (region.is_remote or region.owner_url) else str(region_path(region))
        super().__init__(("region", f"{region.code}@{where}"), f"{region.name} warehouse")
        self.region = region

    def _prepare(self, cur: duckdb.DuckDBPyConnection) -> None:
        if self.region.is_remote:
            cur.execute("USE kasuwa_region")

    def _open(self) -> Any:
        if self.region.owner_url:  # a region on its own host, served by its owner
            url = owner_location(self.region.owner_url)
            address = OwnerAddress(self.region.code, url, settings().quack_token)
            if not answers(address):
                _log.warning("region %s's owner at %s does not answer", self.region.code, url)
                raise RegionUnavailable(
                    _("Region %(name)s cannot be reached right now. Other regions are unaffected. Files uploaded for "
                      "it are kept and load by themselves when it is back.", name=self.region.name))
            return self._proxy(address)
        if self.region.is_remote:
            return _open_quack(self.region)
        if self.region.code not in _OWNED:
            found = live_owner(self.region.code)
            if found is not None:
                _SEEN_OWNER.add(self.region.code)
                return self._proxy(found)
            if self.region.code in _SEEN_OWNER:
                raise RegionUnavailable(
                    _("The %(what)s is not answering right now (its owner process stopped). Other regions are "
                      "unaffected; try again once it is back.", what=self.label))
        con = _open_file(region_path(self.region), self.label)
        try:
            if self.region.code in _QUACK_SERVED:
                _load_quack(con)
            sandbox.lock_down(con)  # invariant 12: nothing outside landing/ and tmp/, no setting changed
        except Exception:
            con.close()
            raise
        return con

    def _proxy(self, address: OwnerAddress) -> OwnerConnection:
        def lost() -> None:
            with _LOCK:
                gone = _OPEN.pop(self.key, None)
            if getattr(gone, "through_owner", False):
                gone.close()

        # imported here: pyarrow.flight (gRPC) and ADBC are loaded only by processes that reach an
        # owner (a gRPC runtime loaded for nothing made some short CLI runs abort at exit)
        from .owner.flight_client import OwnerClient, OwnerConnection

        return OwnerConnection(OwnerClient(address, self.label, on_lost=lost))

    def owner(self) -> OwnerClient | None:
        """The client of the process that owns this warehouse, when it is not this one (jobs
        then run there); ``None`` when this process opens the file itself."""
        con = self.connection()
        return con.client if getattr(con, "through_owner", False) else None


def owner_location(owner_url: str) -> str:
    """The Flight location of a region on its own host (``kasuwa://host:port`` in regions.toml):
    always TLS, the root certificate from ``KASUWA_TLS_CA`` when it is not a public one."""
    return "grpc+tls://" + owner_url.removeprefix("kasuwa://")


def warehouse(region: str | Region) -> RegionWarehouse:
    """The warehouse of ``region`` (a code or a Region)."""
    return RegionWarehouse(get_region(region) if isinstance(region, str) else region)


def owner_client(region: str | Region) -> OwnerClient | None:
    """``warehouse(region).owner()``: where a job for ``region`` must run, if not here."""
    return warehouse(region).owner()


def init_all() -> dict[str, str]:
    """Create or migrate every region's warehouse and the control database.

    Returns region code -> "ok" or the reason it is unavailable (one region down does not stop
    the others).
    """
    init_control()
    status: dict[str, str] = {}
    for region in all_regions():
        try:
            warehouse(region).connection()
            status[region.code] = "ok"
        except (RegionUnavailable, WarehouseBusy) as exc:
            status[region.code] = str(exc)
    return status


def close_all() -> None:
    """Close every open connection, the control database's too (tests and the CLI's exit use this)."""
    close_control()
    with _LOCK:
        for con in _OPEN.values():
            with suppress(duckdb.Error):
                con.close()
        _OPEN.clear()
        _OWNED.clear()
        _SEEN_OWNER.clear()
        _QUACK_SERVED.clear()
