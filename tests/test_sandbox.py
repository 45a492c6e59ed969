"""A region's SQL sandbox (warehouse/sandbox.py, invariant 12) with a real owner process and a
real warehouse file: with the owner's token a caller can still run only what Kasuwa needs —
no COPY … TO, no file outside landing/ and tmp/, no ATTACH, INSTALL or SET (the statements of
issue 17, each); the owner refuses a call without its token (UNAUTHENTICATED) and is not held up
by idle connections."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import duckdb
import pytest
from owner_support import address, owners

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import close_all, init_all, warehouse
from warehouse.errors import PermissionDenied
from warehouse.ingest import ingest_file
from warehouse.settings import settings

WA = "west-africa"
CSV = ("order_id,date,product,quantity,amount,currency,buyer_country,status\n"
       "S-1,2025-07-01,Template,1,1500.00,NGN,NG,paid\n")


@pytest.fixture
def wa_owner():
    init_all()
    add_creator(Actor.operator(), "ng-ada", "NG", "Ada")
    (settings().data_dir / "session-secret").write_bytes(b"the-secret")
    with owners(WA) as procs:
        yield procs[WA]


def refused(sql: str, params=()) -> None:
    with pytest.raises((PermissionDenied, duckdb.PermissionException)):
        warehouse(WA).rows(sql, params)


def test_copy_to_a_file_is_refused(wa_owner, tmp_path):
    target = settings().data_dir / "stolen.csv"
    refused(f"COPY (SELECT 1) TO '{target}'")
    refused(f"COPY (SELECT 1) TO '{settings().data_dir / 'tmp' / 'x.csv'}'")  # even where reading is allowed
    assert not target.exists()


def test_files_outside_landing_and_tmp_cannot_be_read(wa_owner):
    refused("SELECT * FROM read_text(?)", [str(settings().data_dir / "session-secret")])
    refused("SELECT * FROM read_csv('/etc/passwd')")
    refused("SELECT * FROM read_blob(?)", [str(settings().control_path)])
    refused(f"SELECT * FROM read_text('{settings().landing_dir}/../session-secret')")


def test_attach_install_load_and_set_are_refused_and_ingests_still_work(wa_owner):
    refused(f"ATTACH '{settings().data_dir / 'other.duckdb'}' AS other")
    refused("INSTALL httpfs")
    refused("LOAD httpfs")
    refused("SET enable_external_access = false")
    refused("RESET memory_limit")
    refused("SELECT 1; SET threads = 1")
    refused(f"EXPORT DATABASE '{settings().data_dir / 'dump'}'")
    # the shared connection is as it was: an ingest through the owner still loads
    result = ingest_file(Actor.operator(), "ng-ada", "july.csv", CSV.encode())
    assert result.status == "loaded" and result.rows_loaded == 1
    assert warehouse(WA).one("SELECT count(*) FROM sales") == (1,)


def test_the_sandbox_is_set_when_the_file_is_opened_without_an_owner_too():
    init_all()
    (settings().data_dir / "session-secret").write_bytes(b"the-secret")
    with pytest.raises(duckdb.PermissionException):  # DuckDB itself refuses: no screening here
        warehouse(WA).rows("SELECT * FROM read_text(?)", [str(settings().data_dir / "session-secret")])
    with pytest.raises(duckdb.Error):
        warehouse(WA).execute("SET enable_external_access = true")
    close_all()


def _flight_call(token: str | None, sql: str) -> None:
    import pyarrow.flight as flight
    from google.protobuf import any_pb2

    from warehouse.owner.flightsql import FlightSql_pb2 as fsql

    command = any_pb2.Any()
    command.Pack(fsql.CommandStatementQuery(query=sql))
    client = flight.FlightClient(address(WA).url)
    headers = [(b"authorization", f"Bearer {token}".encode())] if token is not None else []
    try:
        client.get_flight_info(flight.FlightDescriptor.for_command(command.SerializeToString()),
                               flight.FlightCallOptions(headers=headers, timeout=30))
    finally:
        client.close()


def test_a_call_without_the_token_or_with_a_wrong_one_is_refused_and_nothing_runs(wa_owner):
    import pyarrow.flight as flight

    for token in (None, "not-the-token", ""):
        with pytest.raises(flight.FlightUnauthenticatedError):
            _flight_call(token, "CREATE TABLE intruder AS SELECT 1")
    assert warehouse(WA).one("SELECT count(*) FROM information_schema.tables WHERE table_name = 'intruder'") == (0,)


def test_a_flood_of_half_open_connections_does_not_stop_the_owner_answering(wa_owner):
    """300 TCP connections that never speak: gRPC holds them at no thread's cost, and statements
    from Kasuwa's processes are still answered."""
    url = urlsplit(address(WA).url)
    idle = []
    try:
        for _ in range(300):
            s = socket.create_connection((url.hostname, url.port), timeout=10)
            s.sendall(b"PRI * HTTP/2.0\r\n")  # half a connection preface, then silence
            idle.append(s)
        close_all()
        assert warehouse(WA).one("SELECT count(*) FROM sales") == (0,)
    finally:
        for s in idle:
            s.close()


def test_a_job_runs_as_the_account_is_not_as_the_request_claims(wa_owner):
    from control import accounts

    add_creator(Actor.operator(), "gh-kwame", "GH", "Kwame")
    accounts.add_user(Actor.operator(), "ada@example.org", "a long passphrase", "creator", creator_id="ng-ada")
    claimed = Actor("ada@example.org", "admin")  # what the body says; the account is ng-ada's creator
    with pytest.raises(PermissionDenied, match="only upload files for your own account"):
        ingest_file(claimed, "gh-kwame", "kwame.csv", CSV.encode())
    accounts.deactivate_user(Actor.operator(), "ada@example.org")
    with pytest.raises(PermissionDenied, match="no longer active"):
        ingest_file(Actor("ada@example.org", "creator", creator_id="ng-ada"), "ng-ada", "ada.csv", CSV.encode())
    assert warehouse(WA).one("SELECT count(*) FROM sales") == (0,)


def test_a_process_on_a_dead_owners_port_never_receives_the_token_nor_a_statement():
    """An impostor listening where the run file points (the owner died, another process took its
    port): the owner is asked to prove the token first (``kasuwa.hello``), so neither the token
    nor a statement is sent to it."""
    import os
    import socket
    import threading

    from warehouse.owner import registry

    seen: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.settimeout(2)
            try:
                while chunk := conn.recv(65536):
                    seen.append(chunk)
            except OSError:
                pass
            finally:
                conn.close()

    init_all()
    close_all()
    threading.Thread(target=accept, daemon=True).start()
    try:
        registry.write(registry.OwnerAddress(WA, f"grpc+tcp://127.0.0.1:{listener.getsockname()[1]}", "the-token",
                                             os.getpid()))
        assert warehouse(WA).one("SELECT count(*) FROM sales") == (0,)  # opened here instead
    finally:
        listener.close()
        close_all()
    received = b"".join(seen)
    assert b"the-token" not in received and b"SELECT" not in received
