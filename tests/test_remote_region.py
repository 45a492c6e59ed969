"""A region served from its own host over DuckDB's Quack protocol (DESIGN: growing past one
machine): `kasuwa serve` in another process, this process attaching it by URL from
regions.toml. Ingestion and queries work the same; when the host is down, only that region
is unavailable."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from owner_support import free_port

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import close_all, init_all, warehouse
from warehouse.errors import RegionUnavailable
from warehouse.ingest import ingest_file
from warehouse.settings import PROJECT_ROOT

TINY = (b"order_id,date,product,quantity,amount,currency,buyer_country\n"
        b"R-1,2025-07-01,Template,1,1500.00,NGN,NG\nR-2,2025-07-02,Pack,2,12.50,USD,US\n"
        b"R-3,2025-07-03,Template,1,-5.00,NGN,NG\n")


def _config_with_remote_west_africa(cfg: Path, port: int) -> None:
    cfg.mkdir()
    shutil.copytree(PROJECT_ROOT / "data" / "profiles", cfg / "profiles")
    shutil.copy(PROJECT_ROOT / "data" / "rails.toml", cfg / "rails.toml")  # who holds each source's money
    text = (PROJECT_ROOT / "data" / "regions.toml").read_text(encoding="utf-8")
    head, first, rest = text.partition('code = "west-africa"')
    rest = rest.replace('location = "file"', f'location = "quack:localhost:{port}"', 1)
    (cfg / "regions.toml").write_text(head + first + rest, encoding="utf-8")


@pytest.fixture
def remote_region(tmp_path, monkeypatch):
    port = free_port()
    host_dir = tmp_path / "region-host"
    env = {"KASUWA_DATA_DIR": str(host_dir), "KASUWA_QUACK_TOKEN": "test-token",
           "PATH": str(Path(sys.executable).parent)}
    server = subprocess.Popen(["kasuwa", "serve", "west-africa", "--quack", f"localhost:{port}"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline() if server.stdout else ""
        assert "serving west-africa" in line, server.stderr.read() if server.stderr else line
        cfg = tmp_path / "cfg"
        _config_with_remote_west_africa(cfg, port)
        monkeypatch.setenv("KASUWA_CONFIG_DIR", str(cfg))
        monkeypatch.setenv("KASUWA_QUACK_TOKEN", "test-token")
        yield server
    finally:
        close_all()
        server.kill()
        server.communicate()


def test_ingest_and_queries_work_on_a_region_served_over_quack(remote_region):
    assert init_all()["west-africa"] == "ok"
    add_creator(Actor.operator(), "ng-remote", "NG", "Remote Creator")
    res = ingest_file(Actor.operator(), "ng-remote", "tiny.csv", TINY)
    assert (res.status, res.rows_loaded, res.rows_flagged) == ("loaded", 2, 1), res.message
    wh = warehouse("west-africa")
    assert wh.one("SELECT sum(gross) FROM sales WHERE currency = 'NGN'")[0] == 1500
    again = ingest_file(Actor.operator(), "ng-remote", "tiny.csv", TINY)
    assert again.status == "duplicate"


def test_a_region_whose_host_is_down_is_the_only_one_unavailable(remote_region):
    remote_region.kill()
    remote_region.communicate()
    time.sleep(0.2)
    status = init_all()
    assert status["east-africa"] == "ok" and status["south-asia"] == "ok"
    assert "cannot be reached" in status["west-africa"]
    with pytest.raises(RegionUnavailable):
        warehouse("west-africa").connection()
    add_creator(Actor.operator(), "ke-fine", "KE")
    assert warehouse("east-africa").one("SELECT count(*) FROM creators") == (1,)
