"""A region's owner: the one process that opens the region's DuckDB file, serving it to every
other Kasuwa process over HTTP (``kasuwa serve REGION``).

Two things are offered, both behind a bearer token:

- ``POST /sql``: one statement with bound parameters on this connection's session (an
  owner-side cursor). A session lives as long as the client's HTTP connection, so
  ``BEGIN`` … ``COMMIT`` across calls is one transaction; when the client closes the
  connection or dies (the kernel closes its socket), the session is rolled back and closed.
  A connection idle for ``SESSION_IDLE_SECONDS`` is closed the same way.
- ``POST /job/NAME``: a job from ``jobs.JOBS`` (ingest, review checks, payout runs, rollup
  refresh) run here by the same Python code, Great Expectations imported once per owner, at a
  lower priority than the statements of pages (``priority.py``).

``GET /health`` answers ``{"region", "pid"}``; ``GET /progress/KEY`` where the ingest started
with that progress key is (its stage and fraction; ``None`` before it starts and once it has
ended). Query results go back as Arrow IPC.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import duckdb

from .. import sandbox
from ..errors import KasuwaError
from ..settings import settings
from . import jobs, priority, registry, wire

_log = logging.getLogger("kasuwa.owner")

#: a client connection silent this long is closed and its open transaction rolled back
SESSION_IDLE_SECONDS = 600
#: a connection that has not yet shown the token gets this long for its first request
FIRST_REQUEST_SECONDS = 10
#: connections served at once; past it a new one is closed at once (a flood of half-open
#: connections cannot hold the owner's threads and memory)
MAX_CONNECTIONS = 256
#: largest request body beyond the upload limit (a job's arguments, a statement's parameters)
BODY_MARGIN_BYTES = 16 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one TCP connection = one session
    timeout = SESSION_IDLE_SECONDS
    server: OwnerHTTPServer

    def setup(self) -> None:
        super().setup()
        self.session: Any = None
        self.request.settimeout(FIRST_REQUEST_SECONDS)  # until the token has been shown once

    def finish(self) -> None:
        # the client closed the connection or vanished: nothing it left open may stay open
        if self.session is not None:
            with suppress(duckdb.Error):
                self.session.execute("ROLLBACK")
            with suppress(duckdb.Error):
                self.session.close()
            self.session = None
        with suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: int, header: dict[str, Any], body: bytes = b"") -> None:
        data = wire.pack(header, body)
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        """Checked from the headers alone, before a byte of the body is read; a caller without
        the token is answered and disconnected (its body is never read)."""
        given = self.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {self.server.token}".encode()):
            self.request.settimeout(SESSION_IDLE_SECONDS)
            return True
        self.close_connection = True
        self._send(401, {"error": {"kind": "auth", "message": "wrong token"}})
        return False

    def do_GET(self) -> None:
        if self.path.startswith("/hello/"):  # the caller asks us to prove the token before it sends it
            nonce = self.path.removeprefix("/hello/")[:64]
            self._send(200, {"region": self.server.region, "proof": registry.proof(self.server.token, nonce)})
            return
        if not self._authorized():
            return
        if self.path == "/health":
            self._send(200, {"region": self.server.region, "pid": os.getpid()})
        elif self.path.startswith("/progress/"):
            seen = jobs.progress_of(self.path.removeprefix("/progress/"))
            self._send(200, {"progress": list(seen) if seen else None})
        else:
            self._send(404, {"error": {"kind": "internal", "message": f"no such path {self.path}"}})

    def do_POST(self) -> None:
        if not self._authorized():
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= settings().max_upload_bytes + BODY_MARGIN_BYTES:
            self.close_connection = True
            self._send(413, {"error": {"kind": "internal", "message": "request body too large"}})
            return
        data = self.rfile.read(length)
        try:
            header, body = wire.unpack(data)
            if self.path == "/sql":
                self._sql(header)
            elif self.path.startswith("/job/"):
                self._job(self.path.removeprefix("/job/"), header, body)
            else:
                self._send(404, {"error": {"kind": "internal", "message": f"no such path {self.path}"}})
        except duckdb.Error as exc:
            self._send(200, {"error": {"kind": "duckdb", "class": type(exc).__name__, "message": str(exc)}})
        except KasuwaError as exc:
            self._send(200, {"error": {"kind": "kasuwa", "class": type(exc).__name__, "message": str(exc),
                                       "missing": getattr(exc, "missing", None),
                                       "headers": getattr(exc, "headers", None)}})
        except Exception as exc:  # a bug: logged here in full, one line to the caller
            _log.exception("region %s: %s failed", self.server.region, self.path)
            self._send(200, {"error": {"kind": "internal", "class": type(exc).__name__,
                                       "message": str(exc).splitlines()[0] if str(exc) else ""}})

    def _sql(self, header: dict[str, Any]) -> None:
        if self.session is None:
            self.session = self.server.connection.cursor()
        cur = self.session
        sandbox.screen(cur, header["sql"])  # invariant 12: no COPY, ATTACH, INSTALL, SET … from callers
        params = wire.decode(header.get("params"))
        if header.get("many"):
            cur.executemany(header["sql"], params or [])
        else:
            cur.execute(header["sql"], params if params is not None else ())
        desc = cur.description
        if desc is None:
            self._send(200, {"description": None})
            return
        table = cur.to_arrow_table()
        self._send(200, {"description": [[d[0], str(d[1])] for d in desc]}, wire.to_ipc(table))

    def _job(self, name: str, header: dict[str, Any], body: bytes) -> None:
        fn = jobs.JOBS.get(name)
        if fn is None:
            self._send(404, {"error": {"kind": "internal", "message": f"no job {name}"}})
            return
        args = wire.decode(header.get("args") or [])
        kwargs = wire.decode(header.get("kwargs") or {})
        if body:
            kwargs["data"] = body  # a file's bytes sent by a process that does not share our landing
        result = priority.run_as_job(fn, *args, **kwargs)  # pages first: see priority.py
        self._send(200, {"result": wire.encode(result)})


class OwnerHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # many app threads open sessions at once; the default backlog of 5 would refuse some
    request_queue_size = 128

    def __init__(self, listen: tuple[str, int], region: str, token: str, connection: Any) -> None:
        super().__init__(listen, _Handler)
        self.region, self.token, self.connection = region, token, connection
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):  # full: this connection is closed at once
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


def start(listen: tuple[str, int], region: str, token: str, connection: Any) -> OwnerHTTPServer:
    """Serve ``connection`` (the region's one open connection) on ``listen`` in a background thread."""
    server = OwnerHTTPServer(listen, region, token, connection)
    threading.Thread(target=server.serve_forever, name=f"owner-{region}", daemon=True).start()
    return server

