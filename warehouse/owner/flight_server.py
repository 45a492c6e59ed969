"""A region's owner serves its DuckDB file over Apache Arrow **Flight SQL** (``kasuwa serve REGION``).

The protocol is Arrow's (gRPC, messages in ``flightsql/FlightSql.proto``); only this thin server is
ours, on ``pyarrow.flight``. Any Flight SQL client reaches it: Kasuwa's own processes through ADBC
(``flight_client.py``), an analyst's Python through ``adbc_driver_flightsql``, DBeaver and BI tools
through the Flight SQL JDBC driver.

What is served:

- **Statements** (``CommandStatementQuery``/``CommandStatementUpdate``) and **prepared statements**
  (``CreatePreparedStatement`` … ``ClosePreparedStatement``) whose parameters arrive by ``DoPut`` as
  a record batch, one row per execution. A batch whose column names all start with ``:`` binds by
  name (``$name`` in DuckDB), any other by position (``?``/``$1``).
- **Transactions** (``BeginTransaction``/``EndTransaction``): a transaction id names an owner-side
  DuckDB cursor holding an open transaction, used by every command that carries the id. It is not
  tied to a TCP connection: one left idle ``KASUWA_TRANSACTION_IDLE_SECONDS`` (its client died,
  say) is rolled back, and so is every open one when the server stops.
- Results stream back as Arrow record batches (``DoGet``): DECIMAL stays exact; HUGEINT columns
  (DuckDB's ``sum`` of integers) travel as int64, as DuckDB's own Python values are ints.
- ``CancelQuery`` and ``CancelFlightInfo`` interrupt a statement (running, or its result
  unread); ``GetSqlInfo``, ``GetCatalogs``, ``GetDbSchemas``, ``GetTables``, ``GetTableTypes``
  and empty key listings let a JDBC tool browse.
- **Jobs** (``jobs.JOBS``) as the Flight action ``kasuwa.job``: the body is JSON (``{"name",
  "args", "kwargs"}``, plain values), the results a stream of JSON messages: ``{"progress":
  [stage, fraction]}`` while an ingest runs, then ``{"result": …}``. Jobs run at a lower priority
  than statements (``priority.py``).

Who may do what: every call carries ``authorization: Bearer TOKEN`` (``TokenMiddleware``,
constant-time comparison; a wrong token is refused with UNAUTHENTICATED). The owner's token may do
everything above; an **analyst** token only reads (``SELECT``/``EXPLAIN``). Every statement passes
``sandbox.screen`` first (invariant 12: no ``COPY``, ``ATTACH``, ``INSTALL``, ``SET`` … from
callers), and the connection itself was locked down when it was opened (``sandbox.lock_down``).
Errors go back with a Flight status code and, after the words, a ``[kasuwa-error {json}]`` note
naming the kind (DuckDB's exception class or Kasuwa's) and plain fields, which
``flight_client.raise_from`` turns back into the same exception.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
from google.protobuf import any_pb2
from pyarrow import flight

from .. import plain, sandbox
from ..background import Background
from ..errors import KasuwaError, PermissionDenied
from ..i18n import N_
from ..settings import settings
from . import jobs, priority, registry
from .flightsql import FlightSql_pb2 as fsql

_log = logging.getLogger("kasuwa.owner")

#: a prepared statement or an unread result untouched this long is dropped
HANDLE_IDLE_SECONDS = 600.0
#: how often idle transactions, statements and results are looked for
SWEEP_SECONDS = 2.0
#: how often a running job's progress is looked at (and sent on when it moved)
PROGRESS_SECONDS = 0.3
#: the Flight action that runs a job of ``jobs.JOBS``
JOB_ACTION = "kasuwa.job"
#: the Flight action answering ``registry.proof`` to a nonce (needs no token: it proves ours)
HELLO_ACTION = "kasuwa.hello"
#: the note that carries an error's kind to Kasuwa's client (``flight_client.raise_from``)
ERROR_NOTE = "[kasuwa-error "

OWNER, ANALYST = "owner", "analyst"
_READ_ONLY = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


# --------------------------------------------------------------------------- authentication

class TokenMiddleware(flight.ServerMiddleware):
    """The role the call's bearer token grants (``None``: no token shown)."""

    def __init__(self, role: str | None) -> None:
        self.role = role


class TokenMiddlewareFactory(flight.ServerMiddlewareFactory):
    """Checks ``authorization: Bearer TOKEN`` on every call against the owner's and the
    analysts' tokens (constant-time). A wrong token is refused here with UNAUTHENTICATED; a call
    without one gets no role, and only ``kasuwa.hello`` accepts that."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = {t.encode(): role for t, role in tokens.items() if t}

    def start_call(self, info: Any, headers: dict[str, list[str]]) -> TokenMiddleware:
        given = next(iter(headers.get("authorization") or headers.get("Authorization") or []), "")
        if not given:
            return TokenMiddleware(None)
        scheme, _, token = given.partition(" ")
        role = None
        for known, who in self.tokens.items():  # every token compared: the time tells nothing
            if hmac.compare_digest(token.encode(), known) and scheme.lower() == "bearer":
                role = who
        if role is None:
            raise flight.FlightUnauthenticatedError("wrong token")
        return TokenMiddleware(role)


# --------------------------------------------------------------------------- protobuf helpers

def pack(message: Any) -> bytes:
    """``message`` in a ``google.protobuf.Any``, as Flight SQL carries its commands and results."""
    wrapper = any_pb2.Any()
    wrapper.Pack(message)
    return wrapper.SerializeToString()  # type: ignore[no-any-return]


def unpack(data: bytes) -> Any:
    """The Flight SQL message inside an ``Any`` (ValueError for anything else)."""
    wrapper = any_pb2.Any()
    wrapper.ParseFromString(data)
    name = wrapper.type_url.rpartition("/")[2]
    package, _, cls_name = name.rpartition(".")
    cls = getattr(fsql, cls_name, None) if package == "arrow.flight.protocol.sql" else None
    if cls is None:
        raise flight.FlightServerError(f"unsupported command {name or 'none'}")
    message = cls()
    wrapper.Unpack(message)
    return message


def error_for(exc: BaseException) -> flight.FlightError:
    """The Flight error a caller gets for ``exc``: a status code, the words, and the kind
    (``[kasuwa-error {"kind", "class", "fields"}]``) with plain values only."""
    if isinstance(exc, flight.FlightError):
        return exc
    note: dict[str, Any]
    if isinstance(exc, duckdb.Error):
        note = {"kind": "duckdb", "class": type(exc).__name__}
    elif isinstance(exc, KasuwaError):
        fields = {k: getattr(exc, k) for k in ("missing", "headers") if getattr(exc, k, None) is not None}
        note = {"kind": "kasuwa", "class": type(exc).__name__, "fields": fields}
    else:
        note = {"kind": "internal", "class": type(exc).__name__}
    text = str(exc) if not isinstance(exc, KasuwaError) or not exc.args else str(exc.args[0])
    if note["kind"] == "internal":
        text = text.splitlines()[0] if text else ""
    message = f"{text} {ERROR_NOTE}{json.dumps(note)}]"
    if isinstance(exc, PermissionDenied):
        return flight.FlightUnauthorizedError(message)
    if isinstance(exc, duckdb.Error | KasuwaError):
        return flight.FlightServerError(message)
    return flight.FlightInternalError(message)


# --------------------------------------------------------------------------- server state

@dataclass
class _Transaction:
    cursor: Any
    role: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    used: float = field(default_factory=time.monotonic)


@dataclass
class _Prepared:
    sql: str
    transaction: bytes | None
    role: str
    params: list[Any] | None = None
    used: float = field(default_factory=time.monotonic)


@dataclass
class _Result:
    """A statement's answer waiting for its ``DoGet``: a streaming reader on a cursor of its own,
    or a table (statements inside a transaction, whose cursor the next statement reuses)."""

    schema: pa.Schema
    reader: Any = None
    table: pa.Table | None = None
    cursor: Any = None
    role: str = OWNER
    used: float = field(default_factory=time.monotonic)

    def close(self) -> None:
        if self.cursor is not None:
            with suppress(duckdb.Error):
                self.cursor.close()
            self.cursor = None


def _bindings(batch: pa.RecordBatch | pa.Table | None) -> list[Any] | None:
    """The rows of a parameter batch as DuckDB binds them: dicts when every column is named
    ``:name`` (bound to ``$name``), else tuples by position."""
    if batch is None:
        return None
    names = batch.schema.names
    if names and all(n.startswith(":") for n in names):
        return [{k[1:]: v for k, v in row.items()} for row in batch.to_pylist()]
    columns = [col.to_pylist() for col in batch.columns]
    return [list(row) for row in zip(*columns, strict=True)] if columns else [[] for _ in range(batch.num_rows)]


def _int_hugeints(schema: pa.Schema, description: list[tuple[Any, ...]]) -> pa.Schema:
    """The schema results travel in: HUGEINT columns as int64 (DuckDB gives Python ints)."""
    fields = []
    for f, d in zip(schema, description, strict=True):
        kind = str(d[1]).upper()
        fields.append(f.with_type(pa.int64()) if kind in ("HUGEINT", "UHUGEINT", "INT128") else f)
    return pa.schema(fields, metadata=schema.metadata)


class _Cast:
    """A record batch reader cast to ``schema`` batch by batch (streams; nothing is collected)."""

    def __init__(self, reader: Any, schema: pa.Schema) -> None:
        self.reader, self.schema = reader, schema

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        for batch in self.reader:
            yield batch.cast(self.schema) if batch.schema != self.schema else batch


class OwnerServer(flight.FlightServerBase):
    """The Flight SQL server of one region's owner (see the module's docstring)."""

    def __init__(self, location: str, region: str, connection: Any, tokens: dict[str, str],
                 tls: tuple[bytes, bytes] | None = None, client_ca: bytes | None = None) -> None:
        kwargs: dict[str, Any] = {"middleware": {"auth": TokenMiddlewareFactory(tokens)}}
        if tls is not None:
            kwargs["tls_certificates"] = [flight.CertKeyPair(tls[0], tls[1])]
            if client_ca is not None:
                kwargs["verify_client"] = True
                kwargs["root_certificates"] = client_ca
        super().__init__(location, **kwargs)
        self.region, self.connection = region, connection
        self.owner_token = next(t for t, role in tokens.items() if role == OWNER)
        self._lock = threading.Lock()
        self._transactions: dict[bytes, _Transaction] = {}
        self._prepared: dict[bytes, _Prepared] = {}
        self._results: dict[bytes, _Result] = {}
        self._running: dict[bytes, Any] = {}  # result handle -> the cursor still executing it
        self._stopping = threading.Event()
        self._sweeper = threading.Thread(target=self._sweep, name=f"owner-sweep-{region}", daemon=True)
        self._sweeper.start()

    # ------------------------------------------------------------------ who is calling

    @staticmethod
    def _role(context: Any, need: str | None = None) -> str:
        middleware = context.get_middleware("auth")
        role = middleware.role if middleware is not None else None
        if role is None:
            raise flight.FlightUnauthenticatedError("a token is needed")
        if need == OWNER and role != OWNER:
            raise flight.FlightUnauthorizedError("this token may only read")
        return str(role)

    # ------------------------------------------------------------------ running statements

    def _transaction(self, tid: bytes | None, role: str) -> _Transaction | None:
        if not tid:
            return None
        with self._lock:
            txn = self._transactions.get(tid)
        if txn is None or txn.role != role:
            raise flight.FlightServerError(
                "This transaction is over (it was idle too long, or the region's owner restarted); "
                f"start again. {ERROR_NOTE}" + json.dumps({"kind": "duckdb", "class": "TransactionException"}) + "]")
        txn.used = time.monotonic()
        return txn

    def _check(self, cur: Any, sql: str, role: str) -> None:
        sandbox.screen(cur, sql)  # invariant 12: no COPY, ATTACH, INSTALL, SET … from callers
        if role != OWNER:
            try:
                kinds = {st.type for st in cur.extract_statements(sql)}
            except duckdb.Error:
                return  # DuckDB's own parse error follows
            if not kinds <= _READ_ONLY:
                raise PermissionDenied(N_("An analyst's token may only read (SELECT)."))

    def _execute(self, sql: str, params: list[Any] | None, tid: bytes | None, role: str,
                 want_rows: bool, checked: bool = False) -> tuple[_Result | None, int]:
        """Run ``sql`` once per parameter row; returns the result waiting for ``DoGet`` (when
        ``want_rows``) and the rows changed (-1 when DuckDB does not say). ``checked``: a
        prepared statement's SQL, screened when it was prepared."""
        txn = self._transaction(tid, role)
        cur = txn.cursor if txn is not None else self.connection.cursor()
        handle = secrets.token_bytes(16)
        try:
            with txn.lock if txn is not None else _nothing():
                if not checked:
                    self._check(cur, sql, role)
                with self._lock:
                    self._running[handle] = cur
                try:
                    if params is not None and len(params) > 1:
                        cur.executemany(sql, params)
                    else:
                        cur.execute(sql, params[0] if params else None)
                finally:
                    with self._lock:
                        self._running.pop(handle, None)
                description = cur.description
                if description is None:
                    if txn is None:
                        cur.close()
                    return (_Result(pa.schema([]), table=pa.table({})) if want_rows else None), -1
                if txn is not None or not want_rows:
                    table = cur.to_arrow_table()
                    schema = _int_hugeints(table.schema, description)
                    table = table.cast(schema) if schema != table.schema else table
                    if txn is None:
                        cur.close()
                    count = _count(table)
                    return (_Result(schema, table=table, role=role) if want_rows else None), count
                reader = cur.to_arrow_reader()
                schema = _int_hugeints(reader.schema, description)
                return _Result(schema, reader=_Cast(reader, schema), cursor=cur, role=role), -1
        except BaseException:
            if txn is None:
                with suppress(duckdb.Error):
                    cur.close()
            raise

    def _keep(self, result: _Result) -> bytes:
        handle = secrets.token_bytes(16)
        with self._lock:
            self._results[handle] = result
        return handle

    def _info(self, descriptor: Any, result: _Result) -> flight.FlightInfo:
        ticket = flight.Ticket(pack(fsql.TicketStatementQuery(statement_handle=self._keep(result))))
        return flight.FlightInfo(result.schema, descriptor, [flight.FlightEndpoint(ticket, [])], -1, -1)

    # ------------------------------------------------------------------ Flight RPCs

    def get_flight_info(self, context: Any, descriptor: Any) -> flight.FlightInfo:
        role = self._role(context)
        try:
            command = unpack(descriptor.command)
            if isinstance(command, fsql.CommandStatementQuery):
                result, _ = self._execute(command.query, None, command.transaction_id or None, role, True)
                return self._info(descriptor, result)  # type: ignore[arg-type]
            if isinstance(command, fsql.CommandPreparedStatementQuery):
                prepared = self._prepared_for(command.prepared_statement_handle, role)
                result, _ = self._execute(prepared.sql, prepared.params, prepared.transaction, role, True,
                                          checked=True)
                return self._info(descriptor, result)  # type: ignore[arg-type]
            return self._info(descriptor, self._catalog(command, role))
        except Exception as exc:
            raise self._failed(exc, "GetFlightInfo") from exc

    def get_schema(self, context: Any, descriptor: Any) -> flight.SchemaResult:
        role = self._role(context)
        command = unpack(descriptor.command)
        sql = getattr(command, "query", None)
        if sql is None:
            raise flight.FlightServerError("GetSchema is answered for statements only")
        cur = self.connection.cursor()
        try:
            self._check(cur, sql, role)
            return flight.SchemaResult(cur.execute(f"SELECT * FROM ({sql}) LIMIT 0").to_arrow_table().schema)
        except Exception as exc:
            raise self._failed(exc, "GetSchema") from exc
        finally:
            cur.close()

    def do_get(self, context: Any, ticket: Any) -> flight.FlightDataStream:
        role = self._role(context)
        command = unpack(ticket.ticket)
        if not isinstance(command, fsql.TicketStatementQuery):
            raise flight.FlightServerError("unknown ticket")
        with self._lock:
            result = self._results.pop(command.statement_handle, None)
        if result is None or result.role != role:
            raise flight.FlightServerError("This result is no longer kept (it was not read in time).")
        if result.table is not None:
            return flight.RecordBatchStream(result.table)

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                yield from result.reader
            finally:
                result.close()

        return flight.GeneratorStream(result.schema, batches())

    def do_put(self, context: Any, descriptor: Any, reader: Any, writer: Any) -> None:
        role = self._role(context)
        try:
            command = unpack(descriptor.command)
            if isinstance(command, fsql.CommandPreparedStatementQuery):  # parameters for the next run
                prepared = self._prepared_for(command.prepared_statement_handle, role)
                prepared.params = _bindings(reader.read_all())
                writer.write(pa.py_buffer(fsql.DoPutPreparedStatementResult(  # app_metadata: not in an Any
                    prepared_statement_handle=command.prepared_statement_handle).SerializeToString()))
                return
            if isinstance(command, fsql.CommandStatementUpdate):
                _, count = self._execute(command.query, None, command.transaction_id or None, role, False)
            elif isinstance(command, fsql.CommandPreparedStatementUpdate):
                prepared = self._prepared_for(command.prepared_statement_handle, role)
                sent = reader.read_all()
                params = _bindings(sent) if sent.num_columns else prepared.params
                if params is not None and not params:
                    count = 0  # no parameter rows: nothing to run
                else:
                    _, count = self._execute(prepared.sql, params, prepared.transaction, role, False, checked=True)
            else:
                raise flight.FlightServerError(f"DoPut does not take {type(command).__name__}")
            writer.write(pa.py_buffer(fsql.DoPutUpdateResult(record_count=count).SerializeToString()))
        except Exception as exc:
            raise self._failed(exc, "DoPut") from exc

    def list_actions(self, context: Any) -> list[tuple[str, str]]:
        return [("CreatePreparedStatement", ""), ("ClosePreparedStatement", ""), ("BeginTransaction", ""),
                ("EndTransaction", ""), ("CancelQuery", ""), ("CancelFlightInfo", ""), (JOB_ACTION, "run a Kasuwa job"),
                (HELLO_ACTION, "prove the owner holds the token")]

    def do_action(self, context: Any, action: Any) -> Iterator[bytes]:
        kind, body = action.type, action.body.to_pybytes() if action.body is not None else b""
        if kind == HELLO_ACTION:
            nonce = body.decode("utf-8", "replace")[:64]
            return iter([json.dumps({"region": self.region,
                                     "proof": registry.proof(self.owner_token, nonce)}).encode()])
        role = self._role(context)
        try:
            if kind == "CreatePreparedStatement":
                return iter([self._prepare(unpack(body), role)])
            if kind == "ClosePreparedStatement":
                with self._lock:
                    self._prepared.pop(unpack(body).prepared_statement_handle, None)
                return iter([])
            if kind == "BeginTransaction":
                return iter([self._begin(role)])
            if kind == "EndTransaction":
                self._end(unpack(body), role)
                return iter([])
            if kind == "CancelQuery":
                cancelled = self._cancel(unpack(body).info)
                outcome = (fsql.ActionCancelQueryResult.CANCEL_RESULT_CANCELLED if cancelled
                           else fsql.ActionCancelQueryResult.CANCEL_RESULT_NOT_CANCELLABLE)
                return iter([pack(fsql.ActionCancelQueryResult(result=outcome))])
            if kind == "CancelFlightInfo":  # Flight's own action (its messages are not in an Any)
                request = fsql.CancelFlightInfoRequestWire.FromString(body)
                status = 1 if self._cancel(request.info) else 3  # CANCEL_STATUS_CANCELLED / _NOT_CANCELLABLE
                return iter([fsql.CancelFlightInfoResultWire(status=status).SerializeToString()])
            if kind == JOB_ACTION:
                self._role(context, OWNER)
                head, sep, data = body.partition(b"\0")  # JSON, then a file's bytes when one is sent
                return self._job(json.loads(head), data if sep else None)
        except Exception as exc:
            raise self._failed(exc, kind) from exc
        raise flight.FlightServerError(f"unknown action {kind}")

    # ------------------------------------------------------------------ actions

    def _prepare(self, request: Any, role: str) -> bytes:
        tid = request.transaction_id if request.HasField("transaction_id") else None
        txn = self._transaction(tid, role)
        cur = txn.cursor if txn is not None else self.connection.cursor()
        try:
            self._check(cur, request.query, role)
        finally:
            if txn is None:
                cur.close()
        handle = secrets.token_bytes(16)
        with self._lock:
            self._prepared[handle] = _Prepared(request.query, tid, role)
        # no schemas ahead of time: DuckDB learns a statement's result when it runs with its values
        return pack(fsql.ActionCreatePreparedStatementResult(prepared_statement_handle=handle))

    def _prepared_for(self, handle: bytes, role: str) -> _Prepared:
        with self._lock:
            prepared = self._prepared.get(handle)
        if prepared is None or prepared.role != role:
            raise flight.FlightServerError("This prepared statement is closed; prepare it again.")
        prepared.used = time.monotonic()
        return prepared

    def _begin(self, role: str) -> bytes:
        cur = self.connection.cursor()
        cur.execute("BEGIN TRANSACTION")
        tid = secrets.token_bytes(16)
        with self._lock:
            self._transactions[tid] = _Transaction(cur, role)
        return pack(fsql.ActionBeginTransactionResult(transaction_id=tid))

    def _end(self, request: Any, role: str) -> None:
        txn = self._transaction(request.transaction_id, role)
        assert txn is not None
        with self._lock:
            self._transactions.pop(request.transaction_id, None)
        with txn.lock:
            try:
                commit = request.action == fsql.ActionEndTransactionRequest.END_TRANSACTION_COMMIT
                txn.cursor.execute("COMMIT" if commit else "ROLLBACK")
            finally:
                with suppress(duckdb.Error):
                    txn.cursor.close()

    def _cancel(self, serialized_info: bytes) -> bool:
        """Interrupt the statement behind a FlightInfo (running, or its result not yet read)."""
        info = flight.FlightInfo.deserialize(serialized_info)
        cancelled = False
        for endpoint in info.endpoints:
            with suppress(Exception):
                handle = unpack(endpoint.ticket.ticket).statement_handle
                with self._lock:
                    result = self._results.pop(handle, None)
                    running = self._running.get(handle)
                if running is not None:
                    running.interrupt()
                if result is not None:
                    result.close()
                cancelled = cancelled or result is not None or running is not None
        return cancelled

    def _job(self, request: dict[str, Any], data: bytes | None) -> Iterator[bytes]:
        name = str(request.get("name"))
        fn = jobs.JOBS.get(name)
        if fn is None:
            raise flight.FlightServerError(f"no job {name}")
        args, kwargs = plain.decode(request.get("args") or []), plain.decode(request.get("kwargs") or {})
        if data is not None:
            kwargs["data"] = data  # a file's bytes from a process that does not share our landing area
        key = secrets.token_urlsafe(16) if name in jobs.REPORTS_PROGRESS else None
        if key:
            kwargs["progress_key"] = key
        job = Background(lambda: priority.run_as_job(fn, *args, **kwargs), f"owner-job-{name}")

        def stream() -> Iterator[bytes]:
            last = None
            while not job.wait(PROGRESS_SECONDS):
                seen = jobs.progress_of(key) if key else None
                if seen and seen != last:
                    last = seen
                    yield json.dumps({"progress": list(seen)}).encode()
            try:
                result = job.result()
            except Exception as exc:
                raise self._failed(exc, f"job {name}") from exc
            yield json.dumps({"result": plain.encode(result)}).encode()

        return stream()

    # ------------------------------------------------------------------ browsing (JDBC tools)

    def _catalog(self, command: Any, role: str) -> _Result:
        cur = self.connection.cursor()
        try:
            schema, _, table = _browse(cur, command)
            return _Result(schema, table=table, role=role)
        finally:
            cur.close()

    # ------------------------------------------------------------------ housekeeping

    def _failed(self, exc: BaseException, what: str) -> flight.FlightError:
        if not isinstance(exc, duckdb.Error | KasuwaError | flight.FlightError):
            _log.exception("region %s: %s failed", self.region, what)  # a bug: in full here, one line there
        return error_for(exc)

    def _sweep(self) -> None:
        while not self._stopping.wait(SWEEP_SECONDS):
            self.sweep()

    def sweep(self, everything: bool = False) -> None:
        """Roll back transactions idle too long (all of them with ``everything``) and drop
        prepared statements and results nobody came back for."""
        now, idle_limit = time.monotonic(), settings().transaction_idle_seconds
        with self._lock:
            idle = {t: txn for t, txn in self._transactions.items()
                    if everything or now - txn.used > idle_limit}
            for t in idle:
                del self._transactions[t]
            for handle in [h for h, p in self._prepared.items() if everything or now - p.used > HANDLE_IDLE_SECONDS]:
                del self._prepared[handle]
            stale = [h for h, r in self._results.items() if everything or now - r.used > HANDLE_IDLE_SECONDS]
            results = [self._results.pop(h) for h in stale]
        for tid, txn in idle.items():
            if not txn.lock.acquire(timeout=5 if everything else 0):
                with self._lock:  # a statement of it is running right now: not idle after all
                    txn.used = time.monotonic()
                    self._transactions[tid] = txn
                continue
            try:
                _log.info("region %s: a transaction idle for %.0fs was rolled back", self.region, now - txn.used)
                with suppress(duckdb.Error):
                    txn.cursor.execute("ROLLBACK")
                with suppress(duckdb.Error):
                    txn.cursor.close()
            finally:
                txn.lock.release()
        for result in results:
            result.close()

    def shutdown(self) -> None:
        """Stop serving; every open transaction is rolled back."""
        self._stopping.set()
        super().shutdown()
        self.sweep(everything=True)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _count(table: pa.Table) -> int:
    """Rows changed, as DuckDB reports them for a write (one ``Count`` column), else -1."""
    if table.num_columns == 1 and table.num_rows == 1 and table.schema.names[0] == "Count":
        value = table.column(0)[0].as_py()
        return int(value) if isinstance(value, int) else -1
    return -1


# --------------------------------------------------------------------------- browsing

_SQL_INFO: dict[int, tuple[int, Any]] = {  # info code -> (union member, value)
    0: (0, "Kasuwa region owner"),  # FLIGHT_SQL_SERVER_NAME
    1: (0, duckdb.__version__),  # FLIGHT_SQL_SERVER_VERSION
    2: (0, pa.__version__),  # FLIGHT_SQL_SERVER_ARROW_VERSION
    3: (1, False),  # FLIGHT_SQL_SERVER_READ_ONLY (an analyst's token is; the server is not)
    4: (1, True),  # FLIGHT_SQL_SERVER_SQL
    5: (1, False),  # FLIGHT_SQL_SERVER_SUBSTRAIT
    8: (3, 1),  # FLIGHT_SQL_SERVER_TRANSACTION: SQL_SUPPORTED_TRANSACTION_TRANSACTION
    9: (1, True),  # FLIGHT_SQL_SERVER_CANCEL
    100: (3, int(HANDLE_IDLE_SECONDS * 1000)),  # FLIGHT_SQL_SERVER_STATEMENT_TIMEOUT (ms)
    # 101, FLIGHT_SQL_SERVER_TRANSACTION_TIMEOUT (ms): from the settings, in _sql_info
    500: (1, False),  # SQL_DDL_CATALOG
    501: (1, False),  # SQL_DDL_SCHEMA
    502: (1, True),  # SQL_DDL_TABLE
    503: (3, 1),  # SQL_IDENTIFIER_CASE: case insensitive
    504: (0, '"'),  # SQL_IDENTIFIER_QUOTE_CHAR
    505: (3, 1),  # SQL_QUOTED_IDENTIFIER_CASE
    506: (1, True),  # SQL_ALL_TABLES_ARE_SELECTABLE
    529: (0, "schema"),  # SQL_SCHEMA_TERM
    531: (0, "catalog"),  # SQL_CATALOG_TERM
    532: (1, True),  # SQL_CATALOG_AT_START
}

_VALUE_TYPE = pa.union([
    pa.field("string_value", pa.utf8()), pa.field("bool_value", pa.bool_()), pa.field("bigint_value", pa.int64()),
    pa.field("int32_bitmask", pa.int32()), pa.field("string_list", pa.list_(pa.field("item", pa.utf8()))),
    pa.field("int32_to_int32_list_map", pa.map_(pa.int32(), pa.list_(pa.field("item", pa.int32())))),
], mode="dense")
SQL_INFO_SCHEMA = pa.schema([pa.field("info_name", pa.uint32(), nullable=False), pa.field("value", _VALUE_TYPE,
                                                                                          nullable=False)])


def _sql_info(wanted: list[int]) -> pa.Table:
    known = {**_SQL_INFO, 101: (3, int(settings().transaction_idle_seconds * 1000))}
    codes = [c for c in (wanted or sorted(known)) if c in known]
    members: list[list[Any]] = [[] for _ in range(6)]
    types, offsets = [], []
    for code in codes:
        member, value = known[code]
        types.append(member)
        offsets.append(len(members[member]))
        members[member].append(value)
    children = [pa.array(members[i], type=f.type) for i, f in enumerate(_VALUE_TYPE)]
    value = pa.UnionArray.from_dense(pa.array(types, pa.int8()), pa.array(offsets, pa.int32()), children,
                                     [f.name for f in _VALUE_TYPE], list(range(6)))
    return pa.Table.from_arrays([pa.array(codes, pa.uint32()), value], schema=SQL_INFO_SCHEMA)


def _like(pattern: str | None) -> str:
    return pattern if pattern else "%"


def _browse(cur: Any, command: Any) -> tuple[pa.Schema, Any, pa.Table]:
    """The answer to a metadata command, as (schema, reader, table) for ``_Result``."""
    utf8 = pa.utf8()
    if isinstance(command, fsql.CommandGetSqlInfo):
        table = _sql_info(list(command.info))
    elif isinstance(command, fsql.CommandGetCatalogs):
        rows = cur.execute("SELECT DISTINCT catalog_name FROM information_schema.schemata "
                           "WHERE catalog_name NOT IN ('system', 'temp') ORDER BY 1").fetchall()
        table = pa.table({"catalog_name": pa.array([r[0] for r in rows], utf8)},
                         schema=pa.schema([pa.field("catalog_name", utf8, nullable=False)]))
    elif isinstance(command, fsql.CommandGetDbSchemas):
        rows = cur.execute(
            "SELECT catalog_name, schema_name FROM information_schema.schemata WHERE catalog_name NOT IN "
            "('system', 'temp') AND catalog_name LIKE ? AND schema_name LIKE ? ORDER BY 1, 2",
            [command.catalog if command.HasField("catalog") else "%", _like(command.db_schema_filter_pattern)],
        ).fetchall()
        schema = pa.schema([pa.field("catalog_name", utf8), pa.field("db_schema_name", utf8, nullable=False)])
        table = pa.table([pa.array([r[0] for r in rows], utf8), pa.array([r[1] for r in rows], utf8)], schema=schema)
    elif isinstance(command, fsql.CommandGetTables):
        kinds = list(command.table_types)
        rows = cur.execute(
            "SELECT table_catalog, table_schema, table_name, CASE table_type WHEN 'BASE TABLE' THEN 'TABLE' "
            "ELSE table_type END FROM information_schema.tables WHERE table_catalog NOT IN ('system', 'temp') "
            "AND table_catalog LIKE ? AND table_schema LIKE ? AND table_name LIKE ? ORDER BY 1, 2, 3",
            [command.catalog if command.HasField("catalog") else "%", _like(command.db_schema_filter_pattern),
             _like(command.table_name_filter_pattern)]).fetchall()
        rows = [r for r in rows if not kinds or r[3] in kinds]
        fields = [pa.field("catalog_name", utf8), pa.field("db_schema_name", utf8),
                  pa.field("table_name", utf8, nullable=False), pa.field("table_type", utf8, nullable=False)]
        columns = [pa.array([r[i] for r in rows], utf8) for i in range(4)]
        if command.include_schema:
            fields.append(pa.field("table_schema", pa.binary(), nullable=False))
            columns.append(pa.array([cur.execute(
                f'SELECT * FROM "{r[0]}"."{r[1]}"."{r[2]}" LIMIT 0').to_arrow_table().schema.serialize()
                .to_pybytes() for r in rows], pa.binary()))
        table = pa.Table.from_arrays(columns, schema=pa.schema(fields))
    elif isinstance(command, fsql.CommandGetTableTypes):
        table = pa.table({"table_type": pa.array(["TABLE", "VIEW"], utf8)},
                         schema=pa.schema([pa.field("table_type", utf8, nullable=False)]))
    elif isinstance(command, fsql.CommandGetPrimaryKeys):
        table = pa.schema([pa.field("catalog_name", utf8), pa.field("db_schema_name", utf8),
                           pa.field("table_name", utf8, nullable=False), pa.field("column_name", utf8, nullable=False),
                           pa.field("key_name", utf8), pa.field("key_sequence", pa.int32(), nullable=False)]
                          ).empty_table()
    elif isinstance(command, fsql.CommandGetExportedKeys | fsql.CommandGetImportedKeys):
        table = pa.schema([pa.field(n, utf8) for n in ("pk_catalog_name", "pk_db_schema_name")]
                          + [pa.field("pk_table_name", utf8, nullable=False),
                             pa.field("pk_column_name", utf8, nullable=False)]
                          + [pa.field(n, utf8) for n in ("fk_catalog_name", "fk_db_schema_name")]
                          + [pa.field("fk_table_name", utf8, nullable=False),
                             pa.field("fk_column_name", utf8, nullable=False),
                             pa.field("key_sequence", pa.int32(), nullable=False),
                             pa.field("fk_key_name", utf8), pa.field("pk_key_name", utf8),
                             pa.field("update_rule", pa.uint8(), nullable=False),
                             pa.field("delete_rule", pa.uint8(), nullable=False)]).empty_table()
    else:
        raise flight.FlightServerError(f"unsupported command {type(command).__name__}")
    return table.schema, None, table


def location(host: str, port: int, tls: bool) -> str:
    """A Flight location (``grpc+tcp://`` or ``grpc+tls://``)."""
    bracketed = f"[{host}]" if ":" in host else host
    return f"grpc+{'tls' if tls else 'tcp'}://{bracketed}:{port}"


def start(listen: tuple[str, int], region: str, connection: Any, tokens: dict[str, str],
          tls: tuple[bytes, bytes] | None = None, client_ca: bytes | None = None) -> OwnerServer:
    """Serve ``connection`` (the region's one open connection) on ``listen`` in background threads."""
    server = OwnerServer(location(listen[0], listen[1], tls is not None), region, connection, tokens, tls, client_ca)
    threading.Thread(target=server.serve, name=f"owner-{region}", daemon=True).start()
    return server


Starter = Callable[..., OwnerServer]
