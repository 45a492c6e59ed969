"""A region's owner speaks Arrow Flight SQL (issue 18), seen from outside Kasuwa: an analyst's
ADBC client (``adbc_driver_flightsql``, as the README shows) with a read-only token, the sandbox
through Flight SQL, transactions and prepared statements of a standard client, TLS with a
certificate made by the test, mutual TLS, and the refusal to listen off loopback without TLS.
Real owner processes on the test's data directory."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import adbc_driver_flightsql
import adbc_driver_flightsql.dbapi as flightsql
import adbc_driver_manager
import pytest
from owner_support import KASUWA, address, owners, self_signed_certificate, stop_owner

from warehouse.db import close_all, init_all, warehouse
from warehouse.owner import registry

WA = "west-africa"
ANALYST = "analyst-read-only-token"
AUTH = adbc_driver_flightsql.DatabaseOptions.AUTHORIZATION_HEADER.value


def connect(token: str, url: str | None = None, **extra: str) -> flightsql.Connection:
    """What an analyst writes (README): ADBC's DB-API connection with a bearer token."""
    return flightsql.connect(url or address(WA).url, db_kwargs={AUTH: f"Bearer {token}", **extra}, autocommit=True)


@pytest.fixture
def wa_owner(monkeypatch):
    monkeypatch.setenv("KASUWA_ANALYST_TOKEN", ANALYST)
    init_all()
    warehouse(WA).execute("INSERT INTO fx_rates VALUES ('2025-01-01', 'NGN', 0.0006512345, 'seed')")
    with owners(WA) as procs:
        yield procs[WA]


def test_an_analyst_reads_with_a_standard_client_and_money_stays_exact(wa_owner):
    with connect(ANALYST) as conn, conn.cursor() as cur:
        cur.execute("SELECT usd_rate, currency FROM fx_rates WHERE source = ?", ["seed"])
        assert cur.fetchall() == [(Decimal("0.0006512345"), "NGN")]
        cur.execute("SELECT sum(usd_rate) AS total FROM fx_rates")
        table = cur.fetch_arrow_table()
        assert str(table.schema.field("total").type).startswith("decimal")
        tables = conn.adbc_get_objects(depth="tables").read_all().to_pylist()
        names = {t["table_name"] for c in tables for s in c["catalog_db_schemas"] for t in s["db_schema_tables"]}
        assert {"sales", "uploads", "fx_rates"} <= names  # what a JDBC tool's browser lists


@pytest.mark.parametrize("sql", [
    "INSERT INTO fx_rates VALUES ('2025-01-02', 'NGN', 1, 'analyst')",
    "UPDATE fx_rates SET source = 'analyst'",
    "DELETE FROM fx_rates",
    "CREATE TABLE mine AS SELECT 1",
])
def test_an_analyst_token_cannot_change_anything(wa_owner, sql):
    with connect(ANALYST) as conn, conn.cursor() as cur, pytest.raises(adbc_driver_manager.Error, match="only read"):
        cur.execute(sql)
    assert warehouse(WA).rows("SELECT source FROM fx_rates") == [("seed",)]


@pytest.mark.parametrize("sql", [
    "COPY (SELECT * FROM fx_rates) TO '/tmp/kasuwa-stolen.csv'",
    "SELECT * FROM read_csv('/etc/passwd')",
    "ATTACH '/tmp/kasuwa-other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
])
@pytest.mark.parametrize("who", ["owner", "analyst"])
def test_no_file_outside_the_data_directory_through_flight_sql(wa_owner, sql, who):
    token = address(WA).token if who == "owner" else ANALYST
    with connect(token) as conn, conn.cursor() as cur, pytest.raises(adbc_driver_manager.Error):
        cur.execute(sql)
        cur.fetchall()


def test_a_standard_clients_prepared_statements_and_transactions(wa_owner):
    token = address(WA).token
    with connect(token) as conn, conn.cursor() as cur:
        cur.executemany("INSERT INTO fx_rates VALUES (?, 'GHS', ?, ?)",
                        [("2025-02-01", Decimal("0.07"), "batch-1"), ("2025-02-02", Decimal("0.08"), "batch-2")])
        cur.execute("SELECT count(*) FROM fx_rates WHERE currency = ?", ["GHS"])
        assert cur.fetchone() == (2,)
    with flightsql.connect(address(WA).url, db_kwargs={AUTH: f"Bearer {token}"}, autocommit=False) as conn:
        with conn.cursor() as cur:
            cur.execute("UPDATE fx_rates SET source = 'in a transaction' WHERE currency = 'GHS'")
            assert warehouse(WA).rows("SELECT DISTINCT source FROM fx_rates WHERE currency = 'GHS' ORDER BY 1") == [
                ("batch-1",), ("batch-2",)]  # not visible outside before COMMIT
        conn.rollback()
    assert warehouse(WA).one("SELECT count(*) FROM fx_rates WHERE source = 'in a transaction'") == (0,)


def test_a_wrong_token_is_refused_as_unauthenticated(wa_owner):
    with pytest.raises(adbc_driver_manager.Error, match=r"(?i)unauthenticated|wrong token"), \
            connect("nope") as conn, conn.cursor() as cur:
        cur.execute("SELECT 1")


def _serve(*args: str) -> subprocess.Popen[str]:
    close_all()
    return subprocess.Popen([KASUWA, "serve", WA, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_off_loopback_an_owner_refuses_to_serve_without_tls():
    init_all()
    close_all()
    proc = _serve("--listen", "0.0.0.0:0")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "needs TLS" in err and "--tls-cert" in err and "Traceback" not in err


def test_over_tls_with_a_certificate_made_by_the_test_and_mutual_tls(tmp_path, monkeypatch):
    init_all()
    warehouse(WA).execute("INSERT INTO fx_rates VALUES ('2025-01-01', 'NGN', 0.0006, 'over tls')")
    cert, key = self_signed_certificate(tmp_path / "server")
    client_cert, client_key = self_signed_certificate(tmp_path / "client", "analyst-laptop")
    proc = _serve("--listen", "127.0.0.1:0", "--tls-cert", str(cert), "--tls-key", str(key),
                  "--tls-client-ca", str(client_cert))
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert "grpc+tls://" in line, line + (proc.stderr.read() if proc.stderr else "")
        url = line.split(" on ", 1)[1].strip()
        token = json.loads(registry.run_file(WA).read_text())["token"]
        opts = adbc_driver_flightsql.DatabaseOptions
        tls = {opts.TLS_ROOT_CERTS.value: cert.read_text()}
        mtls = {**tls, opts.MTLS_CERT_CHAIN.value: client_cert.read_text(),
                opts.MTLS_PRIVATE_KEY.value: client_key.read_text()}
        with connect(token, url, **mtls) as conn, conn.cursor() as cur:
            cur.execute("SELECT source FROM fx_rates")
            assert cur.fetchall() == [("over tls",)]
        for missing in (tls, {}):  # no client certificate; no trust in the server's either
            with pytest.raises(adbc_driver_manager.Error), connect(token, url, **missing) as conn, \
                    conn.cursor() as cur:
                cur.execute("SELECT 1")
        # Kasuwa's own processes reach it with KASUWA_TLS_CA and their certificate
        monkeypatch.setenv("KASUWA_TLS_CA", str(cert))
        monkeypatch.setenv("KASUWA_TLS_CLIENT_CERT", str(client_cert))
        monkeypatch.setenv("KASUWA_TLS_CLIENT_KEY", str(client_key))
        assert warehouse(WA).rows("SELECT source FROM fx_rates") == [("over tls",)]
    finally:
        close_all()
        stop_owner(proc)


def test_the_cli_says_which_protocol_an_owner_speaks():
    out = subprocess.run([sys.executable, "-m", "warehouse.cli", "serve", "--help"], capture_output=True, text=True,
                         check=True).stdout
    assert "--tls-cert" in out and "--analyst-token-file" in out


def test_a_statement_whose_result_is_not_read_yet_can_be_cancelled(wa_owner):
    """``CancelQuery`` (Flight SQL) and ``CancelFlightInfo`` (Flight) on a statement whose result
    streams: the owner drops it, and its ticket gives nothing any more."""
    import pyarrow.flight as flight
    from google.protobuf import any_pb2

    from warehouse.owner.flightsql import FlightSql_pb2 as fsql

    client = flight.FlightClient(address(WA).url)
    options = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {address(WA).token}".encode())])
    try:
        for how in ("CancelQuery", "CancelFlightInfo"):
            command = any_pb2.Any()
            command.Pack(fsql.CommandStatementQuery(query="SELECT * FROM range(1000000000) t(i)"))
            info = client.get_flight_info(flight.FlightDescriptor.for_command(command.SerializeToString()), options)
            if how == "CancelQuery":
                body = any_pb2.Any()
                body.Pack(fsql.ActionCancelQueryRequest(info=info.serialize()))
                answer = any_pb2.Any.FromString(next(iter(client.do_action(
                    flight.Action(how, body.SerializeToString()), options))).body.to_pybytes())
                result = fsql.ActionCancelQueryResult()
                answer.Unpack(result)
                assert result.result == fsql.ActionCancelQueryResult.CANCEL_RESULT_CANCELLED
            else:
                body = fsql.CancelFlightInfoRequestWire(info=info.serialize()).SerializeToString()
                answer = next(iter(client.do_action(flight.Action(how, body), options))).body.to_pybytes()
                assert fsql.CancelFlightInfoResultWire.FromString(answer).status == 1  # CANCEL_STATUS_CANCELLED
            with pytest.raises(flight.FlightError, match="no longer kept"):
                client.do_get(info.endpoints[0].ticket, options).read_all()
    finally:
        client.close()
