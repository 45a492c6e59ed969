"""The one door to the control database: accounts, sign-ins, the login throttle, the creator
directory and saved column mappings. Nothing else in Kasuwa opens it.

Two backends with one API and one SQL:

- **SQLite** (the default): ``KASUWA_DATA_DIR/control.sqlite3`` in WAL mode, so readers never
  wait for a writer and any number of Kasuwa processes (app replicas on one host, the CLI,
  jobs) share it. Writers queue for at most :data:`BUSY_SECONDS`.
- **PostgreSQL** when ``KASUWA_CONTROL_URL=postgresql://…`` is set: app replicas on several
  hosts share sign-ins and accounts.

SQL is written once with ``?`` placeholders (adapted for psycopg here alone); times are Unix
seconds in ``DOUBLE PRECISION`` columns, lists are JSON text, flags are ``BOOLEAN``.
Connections are short-lived borrowings from a small per-process pool: every call or
:meth:`ControlDB.transaction` block takes one, runs, commits and gives it back, so no process
holds a lock between calls. A write transaction starts with ``BEGIN IMMEDIATE`` on SQLite (it
queues for the write lock at once rather than failing halfway). A lock not had within
:data:`BUSY_SECONDS` becomes :class:`ControlBusy`, an unreachable server
:class:`ControlUnavailable`, a duplicate key :class:`DuplicateKey`: our own errors, in words.

Opening a database runs the migrations in ``control/migrations`` (tracked in ``schema_version``)
under a lock (``BEGIN IMMEDIATE`` / ``pg_advisory_xact_lock``), so processes starting at once
apply each migration exactly once.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from warehouse.errors import Conflict, KasuwaError, WarehouseBusy
from warehouse.files import make_private
from warehouse.i18n import N_
from warehouse.settings import settings

_log = logging.getLogger("kasuwa.control")

#: how long a writer waits for another process's write lock before saying the database is busy
BUSY_SECONDS = 10
#: idle connections kept per process and database (more are opened when threads need them)
POOL_SIZE = 4
#: a PostgreSQL connection idle longer than this (seconds) is checked before it is used again
PING_AFTER = 30.0
#: PostgreSQL: seconds to open a connection, and the server's statement_timeout; a server that
#: answers nothing at all (stopped, hung) is given up by the client ``WATCHDOG_SECONDS`` after a
#: statement was sent, so a sign-in says in words that accounts cannot be read within 10 s
CONNECT_SECONDS = 4
STATEMENT_SECONDS = 5
WATCHDOG_SECONDS = 6.0
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_MIGRATION = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
#: the advisory lock key PostgreSQL migrations take ("kasuwa" in ASCII)
_PG_MIGRATION_LOCK = 0x6B617375_7761


class ControlBusy(WarehouseBusy):
    """Another process held the control database's write lock for longer than we wait."""

    title = N_("Accounts busy")


class ControlUnavailable(KasuwaError):
    """The control database cannot be opened or reached (the operator's log says why)."""

    title = N_("Sign-in unavailable")


class DuplicateKey(Conflict):
    """An insert met a row with the same key (a race another check did not see)."""

    title = "Already there"




def busy_words() -> str:
    return N_("Accounts and creators are being changed by another Kasuwa process and were still busy after "
              "%(seconds)s seconds. Try again in a moment.", seconds=BUSY_SECONDS)


UNAVAILABLE_WORDS = N_("Accounts and creators cannot be read right now (the server's log says why); "
                       "try again later.")


# --- the two dialects ----------------------------------------------------------------------------


def _pg_sql(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (and literal ``%`` doubled), outside quotes."""
    out, quoted = [], False
    for ch in sql:
        if ch == "'":
            quoted = not quoted
        if ch == "%":
            out.append("%%")
        elif ch == "?" and not quoted:
            out.append("%s")
        else:
            out.append(ch)
    return "".join(out)


def _value(v: Any) -> Any:
    """A bound value both drivers take alike (datetimes become Unix seconds)."""
    if isinstance(v, datetime):
        return v.timestamp()
    return v


def _params(params: Sequence[Any]) -> list[Any]:
    return [_value(v) for v in params]


def split_statements(script: str) -> list[str]:
    """The statements of a migration file (``--`` comments dropped, split at ``;`` outside quotes)."""
    lines = []
    for line in script.splitlines():
        quoted, cut = False, len(line)
        for i, ch in enumerate(line):
            if ch == "'":
                quoted = not quoted
            elif ch == "-" and not quoted and line[i:i + 2] == "--":
                cut = i
                break
        lines.append(line[:cut])
    text, quoted = "\n".join(lines), False
    out: list[str] = []
    current: list[str] = []
    for ch in text:
        if ch == "'":
            quoted = not quoted
        if ch == ";" and not quoted:
            stmt = "".join(current).strip()
            if stmt:
                out.append(stmt)
            current = []
        else:
            current.append(ch)
    if "".join(current).strip():
        out.append("".join(current).strip())
    return out


class _Backend:
    dialect = ""

    def connect(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def sql(self, sql: str, params: Sequence[Any]) -> str:
        return sql

    def run(self, con: Any, sql: str, values: list[Any]) -> Any:
        """Execute one statement with ``?`` placeholders on ``con``; the driver's cursor."""
        return con.execute(sql, values)

    def begin(self, con: Any) -> None:
        con.execute("BEGIN")

    def lock_migrations(self, con: Any) -> None:
        """Inside the open transaction: hold the migration lock until it ends."""

    def usable(self, con: Any, idle_for: float = 0.0) -> bool:
        """Whether a pooled connection, idle for ``idle_for`` seconds, may be used again."""
        return True

    def close(self, con: Any) -> None:
        with suppress(Exception):
            con.close()

    def translate(self, exc: BaseException) -> KasuwaError | None:  # pragma: no cover - overridden
        return None


class _SQLite(_Backend):
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)

    def connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        make_private(self.path)  # every password hash is in here (invariant 12)
        # autocommit (isolation_level=None): transactions are the explicit BEGIN … COMMIT below
        con = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
        try:
            con.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
            con.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer
            con.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; WAL stays consistent
        except BaseException:
            con.close()
            raise
        return con

    def begin(self, con: sqlite3.Connection) -> None:
        # take the write lock now: a deferred transaction that reads first can fail at its
        # first write when another process wrote in between, busy timeout or not
        con.execute("BEGIN IMMEDIATE")

    def translate(self, exc: BaseException) -> KasuwaError | None:
        name = getattr(exc, "sqlite_errorname", "") or ""
        if isinstance(exc, sqlite3.IntegrityError) and ("UNIQUE" in name or "PRIMARYKEY" in name):
            return DuplicateKey("That record already exists.")
        if isinstance(exc, sqlite3.OperationalError):
            if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(exc):
                return ControlBusy(busy_words())
            if name.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_READONLY",
                                "SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_PERM")):
                _log.warning("control database %s cannot be used: %s", self.label, exc)
                return ControlUnavailable(UNAVAILABLE_WORDS)
        return None


class _Watchdog:
    """Cuts the socket of a PostgreSQL connection whose statement has had no answer for
    ``WATCHDOG_SECONDS``: a server that is stopped (SIGSTOP) or hung still has its kernel accept
    and acknowledge bytes, so neither TCP keepalives nor the server's statement_timeout end the
    wait; the cut makes psycopg raise at once (an OperationalError: ``ControlUnavailable``).
    One thread per process, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watched: dict[int, tuple[Any, float]] = {}
        self._thread: threading.Thread | None = None

    def watch(self, con: Any) -> int:
        key = id(con)
        with self._lock:
            self._watched[key] = (con, time.monotonic() + WATCHDOG_SECONDS)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="control-watchdog", daemon=True)
                self._thread.start()
        return key

    def done(self, key: int) -> None:
        with self._lock:
            self._watched.pop(key, None)

    def _run(self) -> None:
        import socket

        while True:
            time.sleep(0.25)
            now = time.monotonic()
            with self._lock:
                late = [k for k, (_c, until) in self._watched.items() if until < now]
                cons = [self._watched.pop(k)[0] for k in late]
            for con in cons:
                _log.warning("control database: no answer in %ss; connection dropped", WATCHDOG_SECONDS)
                with suppress(Exception):
                    fd = con.pgconn.socket
                    sock = socket.socket(fileno=os.dup(fd))
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    finally:
                        sock.close()


_WATCHDOG = _Watchdog()


@contextmanager
def _watched(con: Any) -> Iterator[None]:
    key = _WATCHDOG.watch(con)
    try:
        yield
    finally:
        _WATCHDOG.done(key)


class _Postgres(_Backend):
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        self.label = re.sub(r"//[^@/]*@", "//…@", url)  # never the password in a log line

    def connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(
                self.url, autocommit=True, connect_timeout=CONNECT_SECONDS,
                # a lock or a statement not done in time is an error we turn into words, not a hang
                options=(f"-c lock_timeout={STATEMENT_SECONDS}s -c statement_timeout={STATEMENT_SECONDS}s"
                         " -c idle_in_transaction_session_timeout=60s"),
                # a peer gone without a word (host down, network cut) is noticed by the kernel
                keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3,
                tcp_user_timeout=int(WATCHDOG_SECONDS * 1000),
            )
        except psycopg.Error as exc:
            _log.warning("control database %s cannot be reached: %s", self.label, (str(exc).splitlines() or [""])[0])
            raise ControlUnavailable(UNAVAILABLE_WORDS) from exc

    def sql(self, sql: str, params: Sequence[Any]) -> str:
        return _pg_sql(sql) if params else sql

    def run(self, con: Any, sql: str, values: list[Any]) -> Any:
        # without values psycopg reads the text as it is (no placeholders, a lone % allowed)
        with _watched(con):
            return con.execute(_pg_sql(sql), values) if values else con.execute(sql)

    def begin(self, con: Any) -> None:
        self.run(con, "BEGIN", [])

    def lock_migrations(self, con: Any) -> None:
        self.run(con, "SELECT pg_advisory_xact_lock(?)", [_PG_MIGRATION_LOCK])

    def usable(self, con: Any, idle_for: float = 0.0) -> bool:
        if con.closed or con.broken:
            return False
        if idle_for > PING_AFTER:  # the server may have restarted or dropped it meanwhile
            try:
                self.run(con, "SELECT 1", [])
            except Exception:
                return False
        return True

    def translate(self, exc: BaseException) -> KasuwaError | None:
        import psycopg
        from psycopg import errors as pge

        if isinstance(exc, pge.UniqueViolation):
            return DuplicateKey("That record already exists.")
        if isinstance(exc, (pge.LockNotAvailable, pge.QueryCanceled, pge.DeadlockDetected,
                            pge.SerializationFailure)):
            return ControlBusy(busy_words())
        if isinstance(exc, psycopg.OperationalError):
            _log.warning("control database %s failed: %s", self.label, (str(exc).splitlines() or [""])[0])
            return ControlUnavailable(UNAVAILABLE_WORDS)
        return None


# --- the door ----------------------------------------------------------------------------------


class Cursor:
    """What a :meth:`ControlDB.transaction` block runs statements on (``?`` placeholders)."""

    def __init__(self, backend: _Backend, con: Any) -> None:
        self._backend = backend
        self._con = con
        self._cur: Any = None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        values = _params(params)
        self.close()
        self._cur = self._backend.run(self._con, sql, values)
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Cursor:
        if not rows:
            return self
        self.close()
        self._cur = self._con.cursor()
        self._cur.executemany(self._backend.sql(sql, rows[0]), [_params(r) for r in rows])
        return self

    def close(self) -> None:
        """Let go of the last statement: a SQLite statement left unread keeps its snapshot
        (and its lock) open after COMMIT."""
        if self._cur is not None:
            with suppress(Exception):
                self._cur.close()
            self._cur = None

    def fetchone(self) -> tuple[Any, ...] | None:
        row = self._cur.fetchone()
        return None if row is None else tuple(row)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._cur.fetchall()]

    @property
    def rowcount(self) -> int:
        return int(self._cur.rowcount) if self._cur is not None else 0


@dataclass
class _Pool:
    pid: int
    idle: list[tuple[Any, float]]  # (connection, when it was given back)


class ControlDB:
    """The control database of one location (a SQLite file or a PostgreSQL URL)."""

    def __init__(self, backend: _Backend) -> None:
        self._backend = backend
        self._lock = threading.Lock()
        self._pool = _Pool(os.getpid(), [])
        self._migrated = False

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._backend.dialect

    # connections: borrowed per call, returned at once
    def _take(self) -> Any:
        with self._lock:
            if self._pool.pid != os.getpid():
                # a forked child must not close (or use) its parent's connections: forget them
                _ABANDONED.extend(self._pool.idle)
                self._pool = _Pool(os.getpid(), [])
            while self._pool.idle:
                con, since = self._pool.idle.pop()
                if self._backend.usable(con, time.monotonic() - since):
                    return con
                self._backend.close(con)
        try:
            return self._backend.connect()
        except sqlite3.Error as exc:
            raise self._backend.translate(exc) or ControlUnavailable(UNAVAILABLE_WORDS) from exc

    def _give(self, con: Any, broken: bool = False) -> None:
        with self._lock:
            if not broken and self._pool.pid == os.getpid() and len(self._pool.idle) < POOL_SIZE \
                    and self._backend.usable(con):
                self._pool.idle.append((con, time.monotonic()))
                return
        self._backend.close(con)

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if not self._migrated:
            self.migrate()
        con = self._take()
        try:
            yield con
        except BaseException as exc:
            self._give(con, broken=isinstance(exc, ControlUnavailable))
            raise
        self._give(con)

    def _translate(self, exc: BaseException) -> BaseException:
        return self._backend.translate(exc) or exc

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """One write transaction: committed when the block ends, rolled back on any error.
        On SQLite it holds the write lock from its start: keep the block short."""
        with self._connection() as con:
            try:
                self._backend.begin(con)
                cur = Cursor(self._backend, con)
                try:
                    yield cur
                finally:
                    cur.close()
                self._backend.run(con, "COMMIT", [])
            except BaseException as exc:
                with suppress(Exception):
                    self._backend.run(con, "ROLLBACK", [])
                mine = self._translate(exc) if isinstance(exc, Exception) else exc
                if mine is exc:
                    raise
                raise mine from exc

    def _run(self, sql: str, params: Sequence[Any], fetch: str) -> Any:
        with self._connection() as con:
            cur = Cursor(self._backend, con)
            try:
                cur.execute(sql, params)
                if fetch == "count":
                    return cur.rowcount
                # every row read: a statement left half-stepped would keep SQLite's snapshot open
                found = cur.fetchall() if cur._cur.description else []
                if fetch == "one":
                    return found[0] if found else None
                return found
            except Exception as exc:
                mine = self._translate(exc)
                if mine is exc:
                    raise
                raise mine from exc
            finally:
                cur.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._run(sql, params, "all")  # type: ignore[no-any-return]

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return self._run(sql, params, "one")  # type: ignore[no-any-return]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement in its own transaction; returns the rows it changed."""
        return self._run(sql, params, "count")  # type: ignore[no-any-return]

    # migrations
    def migrate(self) -> list[int]:
        """Apply the migrations not yet applied; returns the versions applied now. Safe when
        several processes start at once: each migration runs under the migration lock."""
        con = self._take()
        applied: list[int] = []
        try:
            # the usual case, every migration applied: known without taking the write lock
            have = self._applied(con)
            for version, name, path in migrations():
                if version in have:
                    continue
                con_sql = path.read_text(encoding="utf-8")
                self._backend.begin(con)
                try:
                    self._backend.lock_migrations(con)
                    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                                " name VARCHAR(64) NOT NULL, applied_at DOUBLE PRECISION NOT NULL)")
                    cur = self._backend.run(con, "SELECT 1 FROM schema_version WHERE version = ?", [version])
                    done = cur.fetchall()
                    cur.close()
                    if not done:
                        for stmt in split_statements(con_sql):
                            con.execute(stmt)
                        self._backend.run(con, "INSERT INTO schema_version VALUES (?, ?, ?)",
                                          [version, name, time.time()])
                        applied.append(version)
                    self._backend.run(con, "COMMIT", [])
                except BaseException:
                    with suppress(Exception):
                        self._backend.run(con, "ROLLBACK", [])
                    raise
        except Exception as exc:
            self._backend.close(con)
            mine = self._translate(exc)
            if mine is exc:
                raise
            raise mine from exc
        self._give(con)
        self._migrated = True
        return applied

    def _applied(self, con: Any) -> set[int]:
        try:
            cur = self._backend.run(con, "SELECT version FROM schema_version", [])
            found = {int(v) for (v,) in cur.fetchall()}
            cur.close()
            return found
        except Exception:  # no table yet (a new database): every migration is checked under the lock
            return set()

    def close(self) -> None:
        """Close the idle connections (borrowed ones close when given back)."""
        with self._lock:
            idle, self._pool.idle = self._pool.idle, []
            mine = self._pool.pid == os.getpid()
        for con, _since in idle:
            if mine:
                self._backend.close(con)


_ABANDONED: list[Any] = []
_LOCK = threading.Lock()
_OPEN: dict[str, ControlDB] = {}


def migrations() -> list[tuple[int, str, Path]]:
    """(version, name, file) of every migration, in order."""
    found = []
    for p in MIGRATIONS_DIR.iterdir():
        m = _MIGRATION.match(p.name)
        if m:
            found.append((int(m.group(1)), m.group(2), p))
    return sorted(found)


def _backend_for(url: str, path: Path) -> _Backend:
    if not url:
        return _SQLite(path)
    if url.startswith(("postgresql://", "postgres://")):
        return _Postgres(url)
    raise ControlUnavailable("KASUWA_CONTROL_URL must be empty (the SQLite file in KASUWA_DATA_DIR) or a "
                             "postgresql://user:password@host:5432/name address; correct it and restart Kasuwa.")


def control() -> ControlDB:
    """The control database the settings name now (opened, and migrated, at first use)."""
    s = settings()
    key = s.control_url or f"sqlite:{s.control_path}"
    with _LOCK:
        db = _OPEN.get(key)
        if db is None:
            db = _OPEN[key] = ControlDB(_backend_for(s.control_url, s.control_path))
        return db


def init() -> list[int]:
    """Create or migrate the control database; returns the migration versions applied now."""
    return control().migrate()


def close_all() -> None:
    """Close every idle control connection of this process (tests and the CLI's exit)."""
    with _LOCK:
        dbs = list(_OPEN.values())
        _OPEN.clear()
    for db in dbs:
        db.close()
