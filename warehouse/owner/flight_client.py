"""Reaching a region's owner from another process, over Flight SQL (``flight_server.py``).

- ``OwnerClient``: one owner's address; runs jobs there (the ``kasuwa.job`` Flight action, its
  progress streamed back) and lends out ADBC connections (``adbc_driver_flightsql``) from a small
  pool, since each new one is a new gRPC channel.
- ``OwnerCursor``: what ``db.py`` hands out for such a region. It is ADBC's DB-API cursor with the
  few things Kasuwa's callers use from a DuckDB cursor: ``execute`` with bound parameters (``?``,
  ``$1`` or ``$name`` with a dict), ``executemany``, ``fetchall``/``fetchone``/``fetchmany``,
  ``description``, ``to_arrow_table``/``fetch_arrow_table`` and ``df`` (through Arrow: DECIMAL
  stays Decimal). Parameters travel as one Arrow record batch (one row per execution) bound to a
  prepared statement. ``BEGIN TRANSACTION``/``COMMIT``/``ROLLBACK`` become Flight SQL's own
  ``BeginTransaction``/``EndTransaction`` (ADBC's autocommit switch): the transaction lives in the
  owner under an id, not on a TCP connection, and is rolled back there if this process dies.
- ``raise_from``: a Flight or ADBC error turned back into what the owner raised (``duckdb``'s
  exception classes, Kasuwa's ``KasuwaError`` subclasses with their fields), ``RegionUnavailable``
  when the owner cannot be reached, ``ConfigError`` for a refused token.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any, NoReturn

import duckdb
import pyarrow as pa
from pyarrow import flight

from .. import errors, plain
from ..errors import ConfigError, KasuwaError, RegionUnavailable
from ..i18n import _
from ..settings import settings
from .flight_server import ERROR_NOTE, HELLO_ACTION, JOB_ACTION
from .registry import JOBS_HANDED_OVER, OwnerAddress, OwnerFailed, proof

_log = logging.getLogger("kasuwa.owner.client")

#: seconds to wait for an owner to accept a connection before it counts as not answering
CONNECT_SECONDS = 5.0
#: idle ADBC connections kept per owner (each is a gRPC channel: a new one costs a handshake and
#: a GetSqlInfo, and its prepared statements are prepared again)
POOL_SIZE = 64
#: prepared statements kept per connection (a page's queries repeat: each reuse saves two calls)
STATEMENTS_KEPT = 64

_TXN = re.compile(r"^\s*(begin|start)(\s+transaction)?\s*;?\s*$|^\s*(commit|end)(\s+transaction)?\s*;?\s*$"
                  r"|^\s*(rollback|abort)(\s+transaction)?\s*;?\s*$", re.IGNORECASE)



def _read(path: str) -> bytes | None:
    return Path(path).expanduser().read_bytes() if path else None


def tls_files() -> dict[str, bytes | None]:
    """This process's TLS material for owners on other hosts (settings: ``KASUWA_TLS_CA``, the
    root certificate to trust; ``KASUWA_TLS_CLIENT_CERT``/``_KEY`` for mutual TLS)."""
    s = settings()
    try:
        return {"ca": _read(s.tls_ca), "cert": _read(s.tls_client_cert), "key": _read(s.tls_client_key)}
    except OSError as exc:
        raise ConfigError(f"A TLS file named in the settings cannot be read ({exc.strerror}: {exc.filename}).") \
            from exc


def flight_client(address: OwnerAddress) -> flight.FlightClient:
    """A pyarrow Flight client for ``address`` (TLS as the settings say when it is ``grpc+tls``)."""
    kwargs: dict[str, Any] = {}
    if address.url.startswith("grpc+tls"):
        files = tls_files()
        if files["ca"]:
            kwargs["tls_root_certs"] = files["ca"]
        if files["cert"] and files["key"]:
            kwargs["cert_chain"], kwargs["private_key"] = files["cert"], files["key"]
    return flight.FlightClient(address.url, **kwargs)


def _bearer(token: str) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"Bearer {token}".encode())]


def proves_token(address: OwnerAddress, timeout: float) -> bool:
    """Whether the process at ``address`` is the region's owner and knows its token, asked
    without sending the token (``kasuwa.hello`` with a nonce): a process that took a dead owner's
    port never learns the token nor receives a statement. Raises ``flight.FlightError``/OSError
    when nothing answers."""
    nonce = secrets.token_hex(16)
    client = flight_client(address)
    try:
        options = flight.FlightCallOptions(timeout=timeout)
        reply = json.loads(next(iter(client.do_action(flight.Action(HELLO_ACTION, nonce.encode()), options)))
                           .body.to_pybytes())
    finally:
        client.close()
    import hmac

    return reply.get("region") == address.region and hmac.compare_digest(
        str(reply.get("proof", "")), proof(address.token, nonce))


def _note(text: str) -> dict[str, Any] | None:
    """The ``[kasuwa-error {…}]`` note the owner put after its words, if any."""
    start = text.rfind(ERROR_NOTE)
    if start < 0:
        return None
    try:
        note, _end = json.JSONDecoder().raw_decode(text[start + len(ERROR_NOTE):])
    except ValueError:
        return None
    return note if isinstance(note, dict) else None


def _words(text: str) -> str:
    """The owner's words: before the note, without the client library's prefix."""
    cut = text.rfind(ERROR_NOTE)
    words = text[:cut] if cut >= 0 else text
    words = re.sub(r"^(\[FlightSQL\]\s*)+", "", words.strip())
    words = re.sub(r"^(INTERNAL|INVALID_ARGUMENT|UNAUTHORIZED|UNKNOWN|IO|Internal|Unknown):\s*", "", words)
    words = re.sub(r"^(Flight returned \w+ error, with message:\s*)", "", words)
    return words.strip()


def raise_from(exc: BaseException, label: str, on_lost: Callable[[], None] | None = None) -> NoReturn:
    """Raise what the owner raised, from the Flight or ADBC error ``exc``."""
    text = str(exc)
    note = _note(text)
    if note is not None:
        words, kind, cls = _words(text), note.get("kind"), str(note.get("class") or "")
        if kind == "duckdb":
            exc_type = getattr(duckdb, cls, duckdb.Error)
            if not (isinstance(exc_type, type) and issubclass(exc_type, duckdb.Error)):
                exc_type = duckdb.Error
            raise exc_type(words) from None
        if kind == "kasuwa":
            fields = note.get("fields") or {}
            k_type = getattr(errors, cls, KasuwaError)
            if k_type is errors.MappingNeeded:
                raise errors.MappingNeeded(words, fields.get("missing") or [], fields.get("headers") or []) from None
            if not (isinstance(k_type, type) and issubclass(k_type, KasuwaError)):
                k_type = KasuwaError
            raise k_type(words) from None
        raise OwnerFailed(f"{cls}: {words}" if cls else words) from None
    lowered = text.lower()
    if isinstance(exc, flight.FlightUnauthenticatedError) or "unauthenticated" in lowered:
        raise ConfigError(
            f"The owner of the {label} refused this process's token. Check that both sides use the same "
            "KASUWA_QUACK_TOKEN (a region on its own host) or restart the owner (this machine).") from None
    if (isinstance(exc, flight.FlightUnavailableError | flight.FlightTimedOutError | OSError)
            or "unavailable" in lowered or "connection refused" in lowered or "deadline" in lowered
            or "handshake" in lowered or "transport" in lowered):
        if on_lost:
            on_lost()  # the next use looks for the owner again
        raise RegionUnavailable(
            _("The %(what)s is not answering right now (its owner process stopped or cannot be reached). Other "
              "regions are unaffected; try again once it is back.", what=label)) from None
    raise OwnerFailed(_words(text)) from exc


class _Link:
    """One ADBC connection to an owner and the prepared statements kept on it, by SQL text.

    A prepared statement belongs to the transaction open when it was prepared (Flight SQL's
    ``ActionCreatePreparedStatementRequest.transaction_id``), so the kept ones are closed
    whenever a transaction begins or ends."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.statements: dict[str, Any] = {}

    def statement(self, sql: str) -> Any:
        stmt = self.statements.get(sql)
        if stmt is None:
            from adbc_driver_manager import AdbcStatement

            if len(self.statements) >= STATEMENTS_KEPT:
                self.forget()
            stmt = AdbcStatement(self.conn.adbc_connection)
            stmt.set_sql_query(sql)
            try:
                stmt.prepare()
            except Exception:
                stmt.close()
                raise
            self.statements[sql] = stmt
        return stmt

    def forget(self) -> None:
        statements, self.statements = self.statements, {}
        for stmt in statements.values():
            with suppress(Exception):
                stmt.close()

    def close(self) -> None:
        self.forget()
        with suppress(Exception):
            self.conn.close()

    def __del__(self) -> None:  # a process ending with links open: statements before their connection
        self.close()


class OwnerClient:
    """Talks to the owner at ``address``; ``label`` names the warehouse in messages."""

    def __init__(self, address: OwnerAddress, label: str, on_lost: Callable[[], None] | None = None) -> None:
        self.address, self.label, self.on_lost = address, label, on_lost
        self._pool: list[Any] = []
        self._lock = threading.Lock()
        self._proved = False

    # ------------------------------------------------------------------ connections

    def _prove(self) -> None:
        if self._proved:
            return
        try:
            proved = proves_token(self.address, CONNECT_SECONDS)
        except (flight.FlightError, OSError, ValueError, StopIteration, pa.ArrowException) as exc:
            raise_from(exc, self.label, self.on_lost)
        if not proved:
            _log.warning("the process at %s is not the owner of %s (it cannot prove the token)", self.address.url,
                         self.address.region)
            if self.on_lost:
                self.on_lost()
            raise ConfigError(
                f"The owner of the {self.label} could not prove it holds this process's token, so nothing was sent "
                "to it: both sides must use the same KASUWA_QUACK_TOKEN (a region on its own host), or another "
                "process has taken the owner's port (restart the owner on this machine).")
        self._proved = True

    def db_kwargs(self) -> dict[str, str]:
        """ADBC's options for this owner: the bearer token, and TLS material for ``grpc+tls``."""
        import adbc_driver_flightsql as fsql

        kwargs = {fsql.DatabaseOptions.AUTHORIZATION_HEADER.value: f"Bearer {self.address.token}"}
        if self.address.url.startswith("grpc+tls"):
            files = tls_files()
            if files["ca"]:
                kwargs[fsql.DatabaseOptions.TLS_ROOT_CERTS.value] = files["ca"].decode()
            if files["cert"] and files["key"]:
                kwargs[fsql.DatabaseOptions.MTLS_CERT_CHAIN.value] = files["cert"].decode()
                kwargs[fsql.DatabaseOptions.MTLS_PRIVATE_KEY.value] = files["key"].decode()
        return kwargs

    def borrow(self) -> _Link:
        """An ADBC connection to the owner in autocommit mode (from the pool when one is idle)."""
        with self._lock:
            if self._pool:
                return self._pool.pop()  # type: ignore[no-any-return]
        self._prove()
        import adbc_driver_flightsql.dbapi as fsql_dbapi

        try:
            return _Link(fsql_dbapi.connect(self.address.url, db_kwargs=self.db_kwargs(), autocommit=True))
        except Exception as exc:
            raise_from(exc, self.label, self.on_lost)

    def give_back(self, link: _Link, healthy: bool) -> None:
        with self._lock:
            if healthy and len(self._pool) < POOL_SIZE:
                self._pool.append(link)
                return
        link.close()

    def close(self) -> None:
        """Close the idle connections (those lent out close when their cursor does)."""
        with self._lock:
            pool, self._pool = self._pool, []
        for link in pool:
            link.close()

    # ------------------------------------------------------------------ jobs

    def job(self, name: str, *args: Any, data: bytes | None = None,
            progress: Callable[[str, float], None] | None = None, **kwargs: Any) -> Any:
        """Run job ``name`` in the owner with plain ``args``/``kwargs`` (``data``: a file's bytes)
        and return its plain result; ``progress(stage, fraction)`` is called from this thread as
        the owner reports stages."""
        JOBS_HANDED_OVER.add(name)  # a caller stopped meanwhile must not say the work stopped too
        self._prove()
        body = json.dumps({"name": name, "args": plain.encode(list(args)), "kwargs": plain.encode(kwargs)}).encode()
        if data is not None:
            body += b"\0" + bytes(data)
        client = flight_client(self.address)
        try:
            options = flight.FlightCallOptions(headers=_bearer(self.address.token))
            for result in client.do_action(flight.Action(JOB_ACTION, body), options):
                message = json.loads(result.body.to_pybytes())
                if "progress" in message:
                    if progress is not None:
                        stage, fraction = message["progress"]
                        progress(str(stage), float(fraction))
                    continue
                return plain.decode(message.get("result"))
        except (flight.FlightError, OSError, pa.ArrowException) as exc:
            raise_from(exc, self.label, self.on_lost)
        finally:
            client.close()
        raise OwnerFailed(f"the job {name} ended without a result")

    # ------------------------------------------------------------------ SQL

    def cursor(self) -> OwnerCursor:
        return OwnerCursor(self)


def _param_batch(rows: Sequence[Sequence[Any] | dict[str, Any]]) -> pa.RecordBatch:
    """Parameter rows as one record batch: positional columns ``$1``…, or ``:name`` columns
    for named parameters (the server binds those to ``$name``)."""
    first = rows[0]
    if isinstance(first, dict):
        names = [f":{k}" for k in first]
        columns = [[_value(r[k]) for r in rows] for k in first]  # type: ignore[call-overload]
    else:
        names = [f"${i + 1}" for i in range(len(first))]
        columns = [[_value(r[i]) for r in rows] for i in range(len(first))]  # type: ignore[index]
    return pa.RecordBatch.from_arrays([pa.array(c) for c in columns], names=names)


def _value(v: Any) -> Any:
    if isinstance(v, set | frozenset):
        return sorted(v)
    if isinstance(v, tuple):
        return list(v)
    return v


class OwnerCursor:
    """A DuckDB-cursor look-alike over ADBC whose statements run in the owner (prepared
    statements kept on the pooled connection, parameters bound as one Arrow record batch)."""

    def __init__(self, client: OwnerClient) -> None:
        self.client = client
        self._link: _Link | None = client.borrow()
        self._healthy = True
        self._in_transaction = False
        self._table: pa.Table | None = None
        self._rows: list[tuple[Any, ...]] | None = None
        self._pos = 0
        self.description: list[tuple[Any, ...]] | None = None

    def _open(self) -> _Link:
        if self._link is None:
            raise duckdb.ConnectionException("Connection already closed!")
        return self._link

    def _failed(self, exc: BaseException) -> NoReturn:
        text = str(exc)
        if ERROR_NOTE not in text:  # the connection itself may be broken: not put back in the pool
            self._healthy = False
        raise_from(exc, self.client.label, self.client.on_lost)

    def _transaction(self, word: str) -> None:
        link = self._open()
        link.forget()  # statements prepared outside the transaction must not run in it (nor after it)
        adbc = link.conn.adbc_connection
        try:
            if word in ("begin", "start"):
                adbc.set_autocommit(False)  # Flight SQL BeginTransaction
                self._in_transaction = True
            elif word in ("commit", "end"):
                self._in_transaction = False
                adbc.set_autocommit(True)  # commits the open transaction (EndTransaction COMMIT)
            else:
                self._in_transaction = False
                adbc.rollback()  # EndTransaction ROLLBACK (ADBC begins a new one…)
                adbc.set_autocommit(True)  # … which this ends at once
        except Exception as exc:
            self._failed(exc)

    def _clear(self) -> None:
        self._table, self._rows, self._pos, self.description = None, None, 0, None

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> OwnerCursor:
        self._clear()
        link = self._open()
        txn = _TXN.match(sql)
        if txn:
            self._transaction(next(g for g in txn.groups() if g and g.strip().isalpha()).lower())
            return self
        try:
            stmt = link.statement(sql)
            if params is not None and len(params) > 0:
                stmt.bind(_param_batch([params]))
            handle, _count = stmt.execute_query()
            self._set(pa.RecordBatchReader._import_from_c(handle.address).read_all())
        except Exception as exc:
            self._failed(exc)
        return self

    def executemany(self, sql: str, params: Iterable[Sequence[Any] | dict[str, Any]]) -> OwnerCursor:
        self._clear()
        link = self._open()
        rows = list(params)
        if not rows:
            return self
        try:
            stmt = link.statement(sql)
            stmt.bind(_param_batch(rows))
            stmt.execute_update()
        except Exception as exc:
            self._failed(exc)
        return self

    def _set(self, table: pa.Table) -> None:
        if table.num_columns == 0:
            return
        self._table = table
        self.description = [(f.name, str(f.type), None, None, None, None, None) for f in table.schema]

    def _all(self) -> list[tuple[Any, ...]]:
        if self._table is None:
            raise duckdb.InvalidInputException("No open result set")
        if self._rows is None:
            columns = [col.to_pylist() for col in self._table.columns]
            self._rows = list(zip(*columns, strict=True))
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

    def to_arrow_table(self) -> pa.Table:
        if self._table is None:
            raise duckdb.InvalidInputException("No open result set")
        return self._table

    fetch_arrow_table = to_arrow_table
    arrow = to_arrow_table

    def df(self) -> Any:
        """A pandas DataFrame through Arrow (DECIMAL stays Decimal)."""
        return self.to_arrow_table().to_pandas()

    def close(self) -> None:
        if self._link is None:
            return
        link, self._link = self._link, None
        if self._in_transaction and self._healthy:
            link.forget()
            try:
                link.conn.adbc_connection.rollback()
                link.conn.adbc_connection.set_autocommit(True)
            except Exception:
                self._healthy = False
        self.client.give_back(link, self._healthy)

    def __enter__(self) -> OwnerCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class OwnerConnection:
    """Stands in for the shared DuckDB connection of a region owned by another process."""

    through_owner = True  # what db.py looks for (it imports this module only once an owner answers)

    def __init__(self, client: OwnerClient) -> None:
        self.client = client

    def cursor(self) -> OwnerCursor:
        return self.client.cursor()

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> OwnerCursor:
        return self.cursor().execute(sql, params)

    def close(self) -> None:
        """Closes the idle pooled connections; cursors lent out close themselves."""
        self.client.close()
