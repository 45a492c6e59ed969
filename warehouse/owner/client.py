"""Reaching a region's owner from another process: ``OwnerClient`` runs jobs there, and
``ProxyConnection`` / ``ProxyCursor`` stand in for a DuckDB connection and cursor so that
everything above ``db.py`` (queries, review decisions, payouts, FX loads, rollups) runs
unchanged: ``execute`` with bound parameters, ``executemany``, ``fetchall``, ``fetchone``,
``fetchmany``, ``description``, ``to_arrow_table`` and ``df``.

Each cursor is one HTTP connection to the owner, which is one owner-side session: a
transaction begun on a cursor spans its calls, and is rolled back by the owner if this
process closes the cursor or dies before committing.
"""

from __future__ import annotations

import http.client
import logging
import struct
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import duckdb

from .. import errors
from ..errors import ConfigError, KasuwaError, RegionUnavailable
from ..i18n import _
from . import wire
from .registry import OwnerAddress, proves_token

_log = logging.getLogger("kasuwa.owner.client")


class OwnerFailed(Exception):
    """The owner hit an unexpected error (a bug; its log has the details)."""


def _raise(err: dict[str, Any]) -> None:
    kind, cls, message = err.get("kind"), err.get("class") or "", err.get("message") or ""
    if kind == "duckdb":
        exc_type = getattr(duckdb, cls, duckdb.Error)
        if not (isinstance(exc_type, type) and issubclass(exc_type, duckdb.Error)):
            exc_type = duckdb.Error
        raise exc_type(message)
    if kind == "kasuwa":
        exc_type = getattr(errors, cls, KasuwaError)
        if exc_type is errors.MappingNeeded:
            raise errors.MappingNeeded(message, err.get("missing") or [], err.get("headers") or [])
        if not (isinstance(exc_type, type) and issubclass(exc_type, KasuwaError)):
            exc_type = KasuwaError
        raise exc_type(message)
    raise OwnerFailed(f"{cls}: {message}" if cls else message)


class OwnerClient:
    """Talks to the owner at ``address``; ``label`` names the warehouse in messages."""

    def __init__(self, address: OwnerAddress, label: str, on_lost: Callable[[], None] | None = None) -> None:
        self.address, self.label, self.on_lost = address, label, on_lost

    def open(self) -> http.client.HTTPConnection:
        """A connection to the owner that has proved it holds the token (before the token or a
        statement is sent on it: a process that took a dead owner's port learns neither)."""
        host, port = self.address.host_port
        conn = http.client.HTTPConnection(host, port)
        try:
            proved = proves_token(conn, self.address)
        except (OSError, ValueError, struct.error, http.client.HTTPException) as exc:
            conn.close()
            raise self._unreachable(exc) from exc
        if not proved:
            conn.close()
            _log.warning("the process at %s is not the owner of %s (it cannot prove the token)", self.address.url,
                         self.address.region)
            if self.on_lost:
                self.on_lost()  # the next use looks for the owner again
            raise ConfigError(
                f"The owner of the {self.label} could not prove it holds this process's token, so nothing was sent "
                "to it: both sides must use the same KASUWA_QUACK_TOKEN (a region on its own host), or another "
                "process has taken the owner's port (restart the owner on this machine).")
        return conn

    def _unreachable(self, exc: BaseException) -> RegionUnavailable:
        if self.on_lost:
            self.on_lost()  # the next use looks for the owner again
        return RegionUnavailable(
            _("The %(what)s is not answering right now (its owner process stopped or cannot be reached). Other "
              "regions are unaffected; try again once it is back.", what=self.label))

    def call(self, conn: http.client.HTTPConnection, path: str, header: dict[str, Any],
             body: bytes = b"") -> tuple[dict[str, Any], bytes]:
        """One request on ``conn``; errors come back as the exceptions the owner raised."""
        try:
            conn.request("POST", path, body=wire.pack(header, body), headers={
                "Authorization": f"Bearer {self.address.token}", "Content-Type": "application/octet-stream"})
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise self._unreachable(exc) from exc
        if resp.status == 401:
            raise ConfigError(
                f"The owner of the {self.label} refused this process's token. Check that both sides use "
                "the same KASUWA_QUACK_TOKEN (a region on its own host) or restart the owner (this machine).")
        reply, payload = wire.unpack(data)
        if "error" in reply:
            _raise(reply["error"])
        return reply, payload

    def progress(self, conn: http.client.HTTPConnection, key: str) -> tuple[str, float] | None:
        """Where the ingest started with progress key ``key`` is; ``None`` when it has not
        started, has ended, or the owner cannot say (a progress bar never fails an upload)."""
        try:
            conn.request("GET", f"/progress/{key}", headers={"Authorization": f"Bearer {self.address.token}"})
            resp = conn.getresponse()
            reply, _ = wire.unpack(resp.read())
            seen = reply.get("progress") if resp.status == 200 else None
            return (str(seen[0]), float(seen[1])) if seen else None
        except (OSError, http.client.HTTPException, ValueError, TypeError, IndexError):
            conn.close()  # reopened by the next request
            return None

    def job(self, name: str, *args: Any, data: bytes = b"", **kwargs: Any) -> Any:
        """Run job ``name`` in the owner and return its result (``data``: a file's bytes)."""
        JOBS_HANDED_OVER.add(name)  # a caller stopped meanwhile must not say the work stopped too
        conn = self.open()
        try:
            reply, _ = self.call(conn, f"/job/{name}", {"args": wire.encode(list(args)),
                                                        "kwargs": wire.encode(kwargs)}, data)
        finally:
            conn.close()
        return wire.decode(reply.get("result"))


#: jobs this process has handed to an owner: they run on there even if this process stops
JOBS_HANDED_OVER: set[str] = set()


class ProxyCursor:
    """A DuckDB-cursor look-alike whose statements run in the region's owner."""

    def __init__(self, client: OwnerClient) -> None:
        self.client = client
        self._conn: http.client.HTTPConnection | None = client.open()
        self._table: Any = None
        self._rows: list[tuple[Any, ...]] | None = None
        self._types: list[str] = []
        self._pos = 0
        self.description: list[tuple[Any, ...]] | None = None

    def _run(self, header: dict[str, Any]) -> ProxyCursor:
        if self._conn is None:
            raise duckdb.ConnectionException("Connection already closed!")
        reply, body = self.client.call(self._conn, "/sql", header)
        desc = reply.get("description")
        self._rows, self._pos = None, 0
        if desc is None:
            self.description, self._table, self._types = None, None, []
        else:
            self.description = [(name, kind, None, None, None, None, None) for name, kind in desc]
            self._types = [kind for _, kind in desc]
            self._table = wire.from_ipc(body)
        return self

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> ProxyCursor:
        return self._run({"sql": sql, "params": wire.encode(params)})

    def executemany(self, sql: str, params: Iterable[Sequence[Any] | dict[str, Any]]) -> ProxyCursor:
        return self._run({"sql": sql, "params": wire.encode(list(params)), "many": True})

    def _all(self) -> list[tuple[Any, ...]]:
        if self._table is None:
            raise duckdb.InvalidInputException("No open result set")
        if self._rows is None:
            self._rows = wire.rows(self._table, self._types)
        return self._rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows = self._all()[self._pos:]
        self._pos += len(rows)
        return rows

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self._all()
        if self._pos >= len(rows):
            return None
        self._pos += 1
        return rows[self._pos - 1]

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        rows = self._all()[self._pos:self._pos + size]
        self._pos += len(rows)
        return rows

    def to_arrow_table(self) -> Any:
        if self._table is None:
            raise duckdb.InvalidInputException("No open result set")
        return self._table

    fetch_arrow_table = to_arrow_table
    arrow = to_arrow_table

    def df(self) -> Any:
        """A pandas DataFrame through Arrow (DECIMAL stays Decimal)."""
        return self.to_arrow_table().to_pandas()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()  # the owner rolls back anything left open and closes the session
            self._conn = None

    def __enter__(self) -> ProxyCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ProxyConnection:
    """Stands in for the shared DuckDB connection of a region owned by another process."""

    def __init__(self, client: OwnerClient) -> None:
        self.client = client

    def cursor(self) -> ProxyCursor:
        return ProxyCursor(self.client)

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> ProxyCursor:
        return self.cursor().execute(sql, params)

    def close(self) -> None:
        """Nothing to close: every cursor holds its own session."""
