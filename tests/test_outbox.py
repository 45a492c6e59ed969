"""Uploads for a region on its own host while that host is down (issue 9, item 5): they are kept
centrally in the outbox with a ``waiting`` result, and load exactly once when the host is back
— through ``kasuwa outbox send``, the drop-folder watcher's own retries, or a retry after the
host was killed in the middle of receiving one. Other regions work meanwhile. Real processes
throughout: the region's host is ``kasuwa serve`` on its own data directory and port."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import test_owner_remote
from owner_support import app_server, health, kill_during_ingest
from sales_support import page, shown_text
from test_owner_remote import WA

from warehouse import outbox
from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import close_all, init_all, warehouse
from warehouse.ingest import ingest_file, mappings

OP = Actor.operator()
ADA = Actor("ada@x", "creator", creator_id="ng-ada")
KASUWA = str(Path(sys.executable).parent / "kasuwa")
#: West Africa's owner on its own "host" (own data directory and port): (process, its data dir, restart)
region_host = test_owner_remote.remote_wa
HEAD = "order_id,date,product,quantity,amount,currency,buyer_country\n"


def _file(*orders: str) -> bytes:
    return (HEAD + "".join(f"{o},2025-03-0{i + 1},Beads,1,{1500 + i}.00,NGN,NG\n"
                           for i, o in enumerate(orders))).encode()


def _stop(server: subprocess.Popen[str]) -> None:
    server.kill()
    server.communicate()
    close_all()


def _kasuwa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KASUWA, *args], check=False, capture_output=True, text=True, timeout=300)


def _loaded(order_ids: list[str]) -> list[tuple[str, int]]:
    return warehouse(WA).rows(
        "SELECT order_id, count(*) FROM sales WHERE order_id IN (SELECT unnest(CAST(? AS VARCHAR[])))"
        " GROUP BY 1 ORDER BY 1", [order_ids])


def test_uploads_wait_while_the_host_is_down_and_load_once_with_outbox_send(region_host, data_dir, tmp_path):
    server, host_dir, restart = region_host
    init_all()
    add_creator(OP, "ng-ada", "NG", "Ada")
    add_creator(OP, "ke-wanjiru", "KE", "Wanjiru")
    _stop(server)

    before = datetime.now(UTC)
    first = ingest_file(OP, "ng-ada", "march.csv", _file("M1", "M2"))
    assert (first.status, first.upload_id) == ("waiting", None)
    assert "kept" in first.message and "loads by itself" in first.message
    assert ingest_file(OP, "ng-ada", "march.csv", _file("M1", "M2")).message.startswith("This file is already waiting")
    waiting = outbox.waiting(creator_id="ng-ada")
    assert [(w.file_name, w.sha256) for w in waiting] == [("march.csv", first.sha256)]  # kept once
    assert not (data_dir / "landing" / WA).exists()  # not landed centrally: kept only until delivered

    # the command line says the same, and nothing is lost, so it is not a failure
    april = tmp_path / "april.csv"
    april.write_bytes(_file("P1"))
    cli = _kasuwa("ingest", str(april), "--creator", "ng-ada", "--json")
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["status"] == "waiting"

    # every other region works meanwhile
    other = ingest_file(OP, "ke-wanjiru", "ke.csv", (HEAD + "K1,2025-03-01,Tea,1,900.00,KES,KE\n").encode())
    assert other.status == "loaded", other.message

    # still down: one pass sends nothing and keeps everything
    still = _kasuwa("outbox", "send", "--json")
    assert (still.returncode, still.stdout) == (0, ""), still.stderr
    assert len(outbox.waiting()) == 2

    restart()
    close_all()
    delivered = datetime.now(UTC)
    sent = _kasuwa("outbox", "send", "--json")
    assert sent.returncode == 0, sent.stderr
    results = [json.loads(line) for line in sent.stdout.splitlines()]
    assert sorted((r["file"], r["status"], r["rows_loaded"]) for r in results) == [
        ("april.csv", "loaded", 1), ("march.csv", "loaded", 2)]
    assert outbox.waiting() == [] and not list((data_dir / "outbox" / WA).iterdir())
    assert (host_dir / "landing" / WA / str(first.sha256)).is_file()  # the host keeps the raw file
    assert _loaded(["M1", "M2", "P1"]) == [("M1", 1), ("M2", 1), ("P1", 1)]
    # the upload's received time is when the creator uploaded it, not when it was delivered
    received = warehouse(WA).one("SELECT received_at FROM uploads WHERE sha256 = ?", [first.sha256])
    assert received is not None
    at = received[0] if received[0].tzinfo else received[0].replace(tzinfo=UTC)
    assert before <= at < delivered

    again = _kasuwa("outbox", "send", "--json")
    assert (again.returncode, again.stdout) == (0, "")
    assert ingest_file(OP, "ng-ada", "march.csv", _file("M1", "M2")).status == "duplicate"
    assert _loaded(["M1", "M2", "P1"]) == [("M1", 1), ("M2", 1), ("P1", 1)]


def test_the_drop_folder_watcher_sends_the_outbox_on_its_own(region_host, data_dir, monkeypatch):
    server, _host_dir, restart = region_host
    init_all()
    add_creator(OP, "ng-ada", "NG", "Ada")
    _stop(server)
    assert ingest_file(OP, "ng-ada", "may.csv", _file("W1")).status == "waiting"
    restart()
    close_all()
    monkeypatch.setenv("KASUWA_OUTBOX_RETRY_SECONDS", "0.2")
    watcher = subprocess.Popen([KASUWA, "watch", "--region", WA, "--interval", "0.2"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        line = watcher.stdout.readline() if watcher.stdout else ""  # the delivered file's result object
    finally:
        watcher.send_signal(signal.SIGTERM)
        _, err = watcher.communicate(timeout=60)
    result = json.loads(line or "{}")
    assert (result.get("file"), result.get("status")) == ("may.csv", "loaded"), err
    assert outbox.waiting() == []
    assert _loaded(["W1"]) == [("W1", 1)]


def test_a_host_killed_while_receiving_an_upload_keeps_both_sides_consistent_and_the_retry_completes(
        region_host, data_dir, tmp_path):
    server, host_dir, restart = region_host
    init_all()
    add_creator(OP, "ng-big", "NG", "Big")
    big = tmp_path / "big.csv"
    big.write_text(HEAD + "".join(f"B-{i},2025-07-{1 + i % 28:02d},Item,1,{100 + i}.50,NGN,NG\n"
                                  for i in range(200_000)))
    first = kill_during_ingest(server, host_dir, lambda: ingest_file(OP, "ng-big", "big.csv", big))
    assert first.status in ("waiting", "loaded"), first.message  # type: ignore[attr-defined]
    assert not (data_dir / "landing" / WA).exists()  # nothing landed centrally

    server = restart()
    close_all()
    if first.status == "waiting":  # type: ignore[attr-defined]
        assert len(outbox.waiting(creator_id="ng-big")) == 1
        # the host is killed again, this time while the outbox is sending it: the entry stays
        sent = kill_during_ingest(server, host_dir, lambda: outbox.send(WA))
        if sent == []:  # killed before it answered: still waiting, nothing half-loaded there
            assert len(outbox.waiting(creator_id="ng-big")) == 1
        restart()
        close_all()
        results = outbox.send(WA)
        assert all(r["status"] in ("loaded", "duplicate") for r in results), results
    assert outbox.waiting() == []
    assert warehouse(WA).one("SELECT count(*), count(DISTINCT order_id) FROM sales") == (200_000, 200_000)
    assert warehouse(WA).one("SELECT count(*) FROM uploads WHERE status = 'loaded'") == (1,)


def test_the_upload_page_and_my_sales_say_in_words_that_the_file_waits(region_host):
    server, _host_dir, _restart = region_host
    init_all()
    add_creator(OP, "ng-ada", "NG", "Ada")
    _stop(server)
    at = page("pages/upload.py", ADA).run()
    at.file_uploader[0].upload("june.csv", _file("J1"), "text/csv").run()
    assert not at.exception
    said = " ".join(i.value for i in at.info).replace("\\", "")  # markdown escapes removed
    assert "cannot be reached right now, so this file was kept" in said and "loads by itself" in said
    assert not at.error
    sales = page("pages/sales.py", ADA).run()
    assert not sales.exception
    assert "Waiting to load" in shown_text(sales)
    assert list(sales.dataframe[0].value["File"]) == ["june.csv"]
    assert "cannot be reached" in " ".join(e.value for e in sales.error)  # the rest of the page says why


ODD = "Ref,When,Item,quantity,Devise\n{p}1,2025-02-03,Pagne,3,NGN\n{p}2,2025-02-04,Perles,4,NGN\n"


def test_the_creators_saved_columns_are_used_by_a_region_on_its_own_host_and_for_a_waiting_file(region_host):
    server, _host_dir, restart = region_host
    init_all()
    add_creator(OP, "ng-ada", "NG", "Ada")
    first = mappings.ingest_upload(ADA, "ng-ada", "odd.csv", ODD.format(p="S").encode(),
                                   columns={"sold_at": "When", "gross": "quantity"}, save_as="my-odd")
    assert (first.result.status, first.saved_as) == ("loaded", "my-odd"), first.result.message
    # the mapping is kept centrally; the region's host reads the next file of that layout with it
    second = ingest_file(ADA, "ng-ada", "odd2.csv", ODD.format(p="T").encode())
    assert (second.status, second.profile, second.rows_loaded) == ("loaded", "my-odd", 2), second.message
    _stop(server)
    assert ingest_file(ADA, "ng-ada", "odd3.csv", ODD.format(p="U").encode()).status == "waiting"
    restart()
    close_all()
    [sent] = outbox.send(WA)
    assert (sent["status"], sent["profile"], sent["rows_loaded"]) == ("loaded", "my-odd", 2), sent["message"]


def test_the_running_app_sends_the_outbox_on_its_own(region_host, data_dir, tmp_path, monkeypatch):
    server, _host_dir, restart = region_host
    init_all()
    add_creator(OP, "ng-ada", "NG", "Ada")
    _stop(server)
    assert ingest_file(OP, "ng-ada", "july.csv", _file("Y1", "Y2")).status == "waiting"
    monkeypatch.setenv("KASUWA_OUTBOX_RETRY_SECONDS", "0.3")
    with app_server(tmp_path / "app.log") as url:
        restart()
        deadline = time.monotonic() + 120  # a bound on the wait, not a figure under test
        while outbox.waiting() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert outbox.waiting() == [], (tmp_path / "app.log").read_text(errors="replace")
        assert health(url)
    close_all()
    assert _loaded(["Y1", "Y2"]) == [("Y1", 1), ("Y2", 1)]


def test_two_senders_at_once_deliver_each_waiting_file_once(region_host, data_dir):
    server, _host_dir, restart = region_host
    init_all()
    add_creator(OP, "ng-ada", "NG", "Ada")
    _stop(server)
    for n in range(4):
        assert ingest_file(OP, "ng-ada", f"part{n}.csv", _file(f"T{n}a", f"T{n}b")).status == "waiting"
    restart()
    close_all()
    senders = [subprocess.Popen([KASUWA, "outbox", "send", "--json"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [s.communicate(timeout=300) for s in senders]
    assert [s.returncode for s in senders] == [0, 0], outputs
    results = [json.loads(line) for out, _ in outputs for line in out.splitlines()]
    assert sorted((r["file"], r["status"]) for r in results) == [(f"part{n}.csv", "loaded") for n in range(4)]
    assert outbox.waiting() == [] and not list((data_dir / "outbox" / WA).iterdir())
    assert warehouse(WA).one("SELECT count(*), count(DISTINCT sha256) FROM uploads") == (4, 4)  # no second try
