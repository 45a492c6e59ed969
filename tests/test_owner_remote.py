"""A region on its own host (issue 9, item 5): ``kasuwa serve west-africa`` with its own data
directory and port, the central side pointing ``regions.toml`` at ``kasuwa://127.0.0.1:PORT``.
From the central side: ingest (the raw file is kept on the region's host, not centrally),
review decisions (a fix with UPDATEs, a rejection), a payout run and a mark, an FX load and a
rollup refresh. With the host down only that region is unavailable, in words (uploads for it
wait in the outbox: ``test_outbox.py``)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import test_review
from owner_support import free_port, kill_during_ingest, self_signed_certificate

from warehouse import fx, outbox, review
from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import close_all, init_all, warehouse
from warehouse.errors import RegionUnavailable
from warehouse.ingest import ingest_file
from warehouse.payouts.runs import run_payouts
from warehouse.queries.rollups import refresh_rollups
from warehouse.review import QueueFilter
from warehouse.settings import PROJECT_ROOT

OP = Actor.operator()
WA = "west-africa"
TOKEN = "remote-test-token"
REVIEWER = Actor("rev@example.org", "reviewer", regions=frozenset({WA}))


def _start_region_host(host_dir: Path, port: int) -> subprocess.Popen[str]:
    """The region's host serves over TLS (a central side reaches ``kasuwa://`` regions only so),
    with a self-signed certificate made for the test (``host_dir/tls``)."""
    cert, key = host_dir.parent / "tls" / "region-host.pem", host_dir.parent / "tls" / "region-host.key"
    if not cert.exists():
        self_signed_certificate(cert.parent)
    env = {"KASUWA_DATA_DIR": str(host_dir), "KASUWA_QUACK_TOKEN": TOKEN, "PATH": str(Path(sys.executable).parent)}
    server = subprocess.Popen(["kasuwa", "serve", WA, "--listen", f"127.0.0.1:{port}", "--tls-cert", str(cert),
                               "--tls-key", str(key)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = server.stdout.readline() if server.stdout else ""
    if f"serving {WA}" not in line:
        server.kill()
        raise AssertionError(server.communicate()[1])
    return server


@pytest.fixture
def remote_wa(tmp_path, monkeypatch):
    """West Africa's owner on its own 'host' (own data directory, own port)."""
    port = free_port()
    host_dir = tmp_path / "region-host"
    servers = [_start_region_host(host_dir, port)]
    try:
        cfg = tmp_path / "cfg"
        cfg.mkdir()
        shutil.copytree(PROJECT_ROOT / "data" / "profiles", cfg / "profiles")
        shutil.copy(PROJECT_ROOT / "data" / "rails.toml", cfg / "rails.toml")
        text = (PROJECT_ROOT / "data" / "regions.toml").read_text(encoding="utf-8")
        head, first, rest = text.partition(f'code = "{WA}"')
        rest = rest.replace('location = "file"', f'location = "kasuwa://127.0.0.1:{port}"', 1)
        (cfg / "regions.toml").write_text(head + first + rest, encoding="utf-8")
        monkeypatch.setenv("KASUWA_CONFIG_DIR", str(cfg))
        monkeypatch.setenv("KASUWA_QUACK_TOKEN", TOKEN)
        monkeypatch.setenv("KASUWA_TLS_CA", str(tmp_path / "tls" / "region-host.pem"))

        def restart() -> subprocess.Popen[str]:
            servers.append(_start_region_host(host_dir, port))
            return servers[-1]

        yield servers[0], host_dir, restart
    finally:
        close_all()
        for server in servers:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
            server.communicate()


def test_the_central_side_does_everything_on_a_region_on_its_own_host(remote_wa, data_dir):
    _server, host_dir, _ = remote_wa
    assert init_all()[WA] == "ok"
    add_creator(OP, "ng-ada", "NG", "Ada", rail="paystack")
    res = ingest_file(OP, "ng-ada", "ada.csv", test_review.csv(
        "A1,2024-05-01,Beads,1,1500.00,NGN,NG", "A2,2024-05-02,Cloth,2,abc,NGN,NG",
        "A3,2024-05-03,Basket,1,100,ZZZ,NG"))
    assert (res.status, res.rows_loaded, res.rows_flagged) == ("loaded", 1, 2), res.message
    assert (host_dir / "landing" / WA / str(res.sha256)).is_file()  # the raw file stays on its host
    assert not (data_dir / "landing" / WA / str(res.sha256)).exists()
    assert ingest_file(OP, "ng-ada", "ada.csv", test_review.csv(
        "A1,2024-05-01,Beads,1,1500.00,NGN,NG", "A2,2024-05-02,Cloth,2,abc,NGN,NG",
        "A3,2024-05-03,Basket,1,100,ZZZ,NG")).status == "duplicate"

    rows = review.list_queue(REVIEWER, WA, QueueFilter(upload_id=res.upload_id)).rows
    fix = next(r.flag_id for r in rows if r.order_id == "A2")
    drop = next(r.flag_id for r in rows if r.order_id == "A3")
    assert review.approve(REVIEWER, WA, fix, {"gross": "2500.50"}, "from the invoice").outcome == "approved"
    assert review.reject(REVIEWER, WA, drop, "not a sale").outcome == "rejected"
    assert warehouse(WA).one("SELECT gross FROM sales WHERE order_id = 'A2'") == (Decimal("2500.5000"),)

    fx.load_rates_csv(OP, b"date,currency,usd_rate\n2024-05-01,NGN,0.00065\n", WA)
    assert fx.usd_rate(OP, WA, "NGN", date(2024, 5, 2)) == Decimal("0.00065")
    refresh_rollups(WA)
    assert warehouse(WA).one("SELECT sum(sales) FROM rollup_uploads") == (2,)
    run = run_payouts(OP, WA, date(2024, 6, 30))
    assert [d.creator_id for d in run.decisions] == ["ng-ada"]
    assert warehouse(WA).one("SELECT count(*) FROM payout_runs") == (1,)


def test_a_region_whose_host_is_down_is_the_only_one_unavailable(remote_wa):
    server, _, _ = remote_wa
    assert init_all()[WA] == "ok"
    server.kill()
    server.communicate()
    close_all()
    status = init_all()
    assert status["east-africa"] == "ok" and status["south-asia"] == "ok"
    assert "cannot be reached" in status[WA]
    with pytest.raises(RegionUnavailable, match="Other regions are unaffected"):
        warehouse(WA).rows("SELECT 1")


def test_a_region_host_stopped_mid_ingest_leaves_both_sides_consistent_and_the_upload_then_loads(
        remote_wa, data_dir, tmp_path):
    server, host_dir, restart = remote_wa
    init_all()
    add_creator(OP, "ng-big", "NG", "Big")
    big = tmp_path / "big.csv"
    big.write_text("order_id,date,product,quantity,amount,currency,buyer_country\n" + "".join(
        f"B-{i},2025-07-{1 + i % 28:02d},Item,1,{100 + i}.50,NGN,NG\n" for i in range(200_000)))
    # kept in the outbox and the central side told it waits (or the load had finished)
    first = kill_during_ingest(server, host_dir, lambda: ingest_file(OP, "ng-big", "big.csv", big))
    assert first.status in ("waiting", "loaded"), first.message  # type: ignore[attr-defined]
    assert not (data_dir / "landing" / WA).exists() or not any((data_dir / "landing" / WA).iterdir())
    restart()
    close_all()
    again = ingest_file(OP, "ng-big", "big.csv", big)  # uploaded again by hand: it loads once all the same
    assert again.status in ("loaded", "duplicate"), again.message
    assert all(r["status"] in ("loaded", "duplicate") for r in outbox.send(WA))
    assert outbox.waiting() == []
    assert warehouse(WA).one("SELECT count(*), count(DISTINCT order_id) FROM sales") == (200_000, 200_000)
    assert warehouse(WA).one("SELECT count(*) FROM uploads WHERE status = 'loaded'") == (1,)
