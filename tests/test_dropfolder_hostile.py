"""What one creator puts in their drop folder never reads, moves or blocks anything of another
(invariant 12), with real files, links and FIFOs: links are never followed (a claim planted as a
link, a fake claim folder linked to another creator's done/, done/ itself a link), a FIFO or a
folder where a file belongs is set aside without stopping the scan, and a file still being
written is not loaded half."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
from test_dropfolder import export  # the same small generic export as the drop folder's own tests

from warehouse import dropclaims, dropfolder
from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse
from warehouse.settings import settings

OP = Actor.operator()


@pytest.fixture(autouse=True)
def creators(data_dir, monkeypatch):
    monkeypatch.setenv("KASUWA_INBOX_SETTLE_SECONDS", "0")
    add_creator(OP, "ng-ada", "NG", "Ada")
    add_creator(OP, "gh-kwame", "GH", "Kwame")


def inbox(creator: str) -> Path:
    folder = settings().inbox_dir / creator
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sales_ids() -> list[str]:
    return sorted(r[0] for r in warehouse("west-africa").rows("SELECT order_id FROM sales"))


def scan_in_thread(timeout: float = 120.0) -> list[dict]:
    """One scan in a thread: a scan that blocks (on a FIFO, say) fails the test instead of hanging it."""
    out: list[dict] = []
    t = threading.Thread(target=lambda: out.extend(dropfolder.scan_once()), daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "the scan is blocked"
    return out


def test_a_claim_planted_as_a_link_is_never_read(tmp_path):
    secret = tmp_path / "root-only.csv"
    secret.write_text(export("SECRET"), encoding="utf-8")
    ghost = inbox("ng-ada") / ".processing" / "ghost-1-abc"
    ghost.mkdir(parents=True)
    (ghost / "claimed.csv").symlink_to(secret)
    results = scan_in_thread()
    assert sales_ids() == []
    assert [r["status"] for r in results] == ["rejected"] and "not a plain file" in results[0]["message"]
    kept = inbox("ng-ada") / "rejected" / "claimed.csv"
    assert kept.is_symlink()  # set aside as the link it is, never followed
    assert secret.read_text(encoding="utf-8") == export("SECRET")


def test_a_fake_claim_folder_linked_to_another_creators_done_moves_nothing():
    kwame_done = inbox("gh-kwame") / "done"
    kwame_done.mkdir()
    (kwame_done / "raw.csv").write_text(export("K"), encoding="utf-8")
    (kwame_done / "raw.csv.result.json").write_text("{}", encoding="utf-8")
    processing = inbox("ng-ada") / ".processing"
    processing.mkdir()
    (processing / "ghost-2-abc").symlink_to(Path("../../gh-kwame/done"))
    scan_in_thread()
    assert sorted(p.name for p in kwame_done.iterdir()) == ["raw.csv", "raw.csv.result.json"]
    assert not (inbox("ng-ada") / "done").exists()
    assert sales_ids() == []


def test_done_linked_to_another_creators_folder_plants_nothing_there():
    (inbox("ng-ada") / "done").symlink_to(Path("../gh-kwame"))
    (inbox("ng-ada") / "sales.csv").write_text(export("A"), encoding="utf-8")
    (inbox("gh-kwame") / "mine.csv").write_text(export("K"), encoding="utf-8")
    results = scan_in_thread()
    # ng-ada's folder is left alone; gh-kwame's own file is loaded, nothing of ng-ada's lands there
    assert [r["file"] for r in results] == ["mine.csv"]
    assert sorted(p.name for p in inbox("gh-kwame").iterdir()) == [".processing", "done"]
    assert (inbox("ng-ada") / "sales.csv").exists()
    assert sales_ids() == ["K-0", "K-1", "K-2"]


def test_processing_as_a_link_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "ghost-3-abc").mkdir(parents=True)
    (elsewhere / "ghost-3-abc" / "x.csv").write_text(export("X"), encoding="utf-8")
    (inbox("ng-ada") / ".processing").symlink_to(elsewhere)
    scan_in_thread()
    assert (elsewhere / "ghost-3-abc" / "x.csv").exists() and sales_ids() == []


def test_a_creator_folder_that_is_a_link_is_not_a_drop_folder(tmp_path):
    elsewhere = tmp_path / "kwame-files"
    elsewhere.mkdir()
    (elsewhere / "s.csv").write_text(export("L"), encoding="utf-8")
    settings().inbox_dir.mkdir(parents=True, exist_ok=True)
    (settings().inbox_dir / "ng-ada").symlink_to(elsewhere)
    scan_in_thread()
    assert (elsewhere / "s.csv").exists() and sales_ids() == []


def test_a_fifo_and_a_folder_where_files_belong_block_no_one():
    ghost = inbox("ng-ada") / ".processing" / "ghost-4-abc"
    ghost.mkdir(parents=True)
    os.mkfifo(ghost / "pipe.csv")
    (ghost / "folder.csv").mkdir()
    (ghost / "folder.csv" / "inside.csv").write_text(export("IN"), encoding="utf-8")
    os.mkfifo(ghost / "pipe.csv.result.json")
    os.mkfifo(inbox("ng-ada") / "dropped-pipe.csv")
    (inbox("gh-kwame") / "k.csv").write_text(export("K"), encoding="utf-8")
    results = scan_in_thread()
    assert {r["file"]: r["status"] for r in results} == {"folder.csv": "rejected", "pipe.csv": "rejected",
                                                        "k.csv": "loaded"}
    assert sales_ids() == ["K-0", "K-1", "K-2"]
    rejected = sorted(p.name for p in (inbox("ng-ada") / "rejected").iterdir())
    assert "folder.csv" in rejected and "pipe.csv" in rejected
    scan_in_thread()  # and the next scan is as quick: nothing left to trip on


def test_a_file_whose_times_were_set_back_is_taken_only_once_seen_unchanged_for_the_settle_period(monkeypatch):
    monkeypatch.setenv("KASUWA_INBOX_SETTLE_SECONDS", "3600")
    path = inbox("ng-ada") / "growing.csv"
    path.write_text(export("G", 500), encoding="utf-8")
    old = time.time() - 7200
    os.utime(path, (old, old))  # mtime in the past (a copy tool keeping times); ctime is now anyway
    assert scan_in_thread() == [] and path.exists()


def test_a_file_that_changes_while_it_is_read_is_not_used(tmp_path):
    path = tmp_path / "growing.csv"
    path.write_text(export("G", 500), encoding="utf-8")
    fd, before = dropclaims.open_regular(path)
    try:
        with open(path, "a", encoding="utf-8") as more:  # the writer goes on after the claim
            more.write("G-500,2025-07-01,Template,1,1.00,NGN,NG,paid\n")
        with pytest.raises(dropclaims.Changed):
            dropclaims.snapshot(fd, before, tmp_path / "copies")
    finally:
        os.close(fd)
    assert list((tmp_path / "copies").iterdir()) == []  # no copy kept


def test_a_claimed_file_that_changed_goes_back_and_loads_whole_once_settled(monkeypatch):
    """The claim is read from its descriptor; an append between the open and the end of the copy
    sends it back to the drop folder (nothing loaded), and the next scan loads it whole."""
    path = inbox("ng-ada") / "late.csv"
    path.write_text(export("W", 500), encoding="utf-8")
    real_snapshot = dropclaims.snapshot

    def writer_goes_on(fd, before, dest):
        with open(f"/proc/self/fd/{fd}", "a", encoding="utf-8") as more:
            more.write("".join(f"W-{i},2025-07-01,Template,1,1.00,NGN,NG,paid\n" for i in range(500, 1000)))
        monkeypatch.setattr(dropclaims, "snapshot", real_snapshot)
        return real_snapshot(fd, before, dest)

    monkeypatch.setattr(dropclaims, "snapshot", writer_goes_on)
    assert scan_in_thread() == []
    assert sales_ids() == [] and path.exists()
    results = scan_in_thread()
    assert [(r["status"], r["rows_loaded"]) for r in results] == [("loaded", 1000)]
    assert json.loads((inbox("ng-ada") / "done" / "late.csv.result.json").read_text())["rows_loaded"] == 1000
