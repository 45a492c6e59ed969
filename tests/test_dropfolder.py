"""The drop folder (warehouse/dropfolder.py) with real files, real ingests into real warehouse
files, and real watcher processes: every file dropped is loaded exactly once — across a watcher
killed with SIGKILL and restarted, and with two watchers at once — and put away in done/ or
rejected/ with the JSON object ``kasuwa ingest --json`` prints beside it."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from warehouse import dropfolder
from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import close_all, warehouse
from warehouse.ingest import ingest_file
from warehouse.settings import PROJECT_ROOT, settings

OP = Actor.operator()
HEADER = "order_id,date,product,quantity,amount,currency,buyer_country,status\n"


@pytest.fixture(autouse=True)
def creators(data_dir, monkeypatch):
    monkeypatch.setenv("KASUWA_INBOX_SETTLE_SECONDS", "0")
    add_creator(OP, "ng-ada", "NG", "Ada")
    add_creator(OP, "ke-wanjiru", "KE", "Wanjiru")


def export(tag: str, n: int = 3) -> str:
    """A generic export of ``n`` good sales whose order ids start with ``tag``."""
    return HEADER + "".join(f"{tag}-{i},2025-07-0{1 + i % 9},Template,1,{1500 + i}.00,NGN,NG,paid\n"
                            for i in range(n))


def drop(creator: str, name: str, text: str) -> Path:
    folder = settings().inbox_dir / creator
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def folder_files(creator: str, sub: str) -> list[str]:
    d = settings().inbox_dir / creator / sub
    return sorted(p.name for p in d.iterdir()) if d.is_dir() else []


def result_of(creator: str, sub: str, name: str) -> dict:
    return json.loads((settings().inbox_dir / creator / sub / (name + ".result.json")).read_text(encoding="utf-8"))


def sales_count(region: str = "west-africa") -> int:
    row = warehouse(region).one("SELECT count(*) FROM sales")
    return int(row[0]) if row else 0


# --- one watcher, in this process ---------------------------------------------------------------


def test_a_dropped_file_is_loaded_and_put_in_done_with_its_result():
    drop("ng-ada", "july.csv", export("J"))
    results = dropfolder.scan_once()
    assert [r["status"] for r in results] == ["loaded"]
    assert folder_files("ng-ada", "done") == ["july.csv", "july.csv.result.json"]
    assert folder_files("ng-ada", "") == [".processing", "done"]  # nothing left where it was dropped
    saved = result_of("ng-ada", "done", "july.csv")
    assert saved == json.loads(json.dumps(results[0], default=str))
    # the object `kasuwa ingest --json` prints, with the file's name
    for key in ("file", "upload_id", "region", "profile", "status", "rows_total", "rows_loaded", "rows_flagged",
                "rows_skipped", "rows_known", "message"):
        assert key in saved
    assert saved["file"] == "july.csv" and saved["rows_loaded"] == 3 and saved["region"] == "west-africa"
    assert sales_count() == 3
    # the data file is kept as it was dropped
    assert (settings().inbox_dir / "ng-ada" / "done" / "july.csv").read_text(encoding="utf-8") == export("J")


def test_a_file_that_is_not_an_export_goes_to_rejected_with_the_reason_in_words():
    drop("ng-ada", "notes.txt", "Hello, these are my notes\nnothing to see here\n")
    (result,) = dropfolder.scan_once()
    assert result["status"] == "rejected"
    assert folder_files("ng-ada", "rejected") == ["notes.txt", "notes.txt.result.json"]
    saved = result_of("ng-ada", "rejected", "notes.txt")
    assert saved["status"] == "rejected" and saved["rows_loaded"] == 0
    assert "header" in saved["message"].lower()
    assert "Traceback" not in saved["message"] and "None" not in saved["message"]
    assert sales_count() == 0


def test_a_folder_named_after_no_creator_rejects_its_files_in_words():
    drop("nobody-we-know", "sales.csv", export("N"))
    (result,) = dropfolder.scan_once()
    assert result["status"] == "rejected" and result["upload_id"] is None
    saved = result_of("nobody-we-know", "rejected", "sales.csv")
    assert "no registered creator" in saved["message"] and "nobody-we-know" in saved["message"]
    assert "kasuwa creator add nobody-we-know" in saved["message"]
    assert sales_count() == 0


def test_the_same_file_dropped_twice_is_a_duplicate_and_still_put_away():
    drop("ng-ada", "july.csv", export("J"))
    first = dropfolder.scan_once()
    drop("ng-ada", "july.csv", export("J"))  # the same bytes, the same name, a week later
    second = dropfolder.scan_once()
    assert [r["status"] for r in first + second] == ["loaded", "duplicate"]
    assert "nothing loaded again" in second[0]["message"]
    assert folder_files("ng-ada", "done") == ["july (2).csv", "july (2).csv.result.json",
                                              "july.csv", "july.csv.result.json"]
    assert result_of("ng-ada", "done", "july (2).csv")["status"] == "duplicate"
    assert result_of("ng-ada", "done", "july.csv")["status"] == "loaded"  # not replaced
    assert sales_count() == 3


def test_a_half_written_file_is_not_taken_until_it_is_complete(monkeypatch):
    monkeypatch.setenv("KASUWA_INBOX_SETTLE_SECONDS", "1")
    full = export("H", 6)
    lines = full.splitlines(keepends=True)
    drop("ng-ada", "big.csv.part", full)  # a transfer tool's temporary name
    drop("ng-ada", ".big.csv.swp", full)  # a hidden file
    path = drop("ng-ada", "big.csv", "".join(lines[:3]))  # still being copied in
    assert dropfolder.scan_once() == []
    assert sorted(p.name for p in path.parent.iterdir() if p.is_file()) == [".big.csv.swp", "big.csv", "big.csv.part"]
    with path.open("a", encoding="utf-8") as out:  # the copy finishes
        out.write("".join(lines[3:]))
    assert dropfolder.scan_once() == []  # just written: not settled yet
    time.sleep(1.2)
    (result,) = dropfolder.scan_once()
    assert result["file"] == "big.csv" and result["rows_loaded"] == 6
    assert sales_count() == 6
    assert (path.parent / "big.csv.part").exists() and (path.parent / ".big.csv.swp").exists()


def test_a_creator_may_have_a_folder_elsewhere_named_in_inbox_toml(tmp_path, monkeypatch):
    cfg = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "data", cfg,
                    ignore=shutil.ignore_patterns("demo", "warehouses", "landing", "inbox", "*.duckdb*"))
    sftp = tmp_path / "sftp" / "ada-outgoing"
    sftp.mkdir(parents=True)
    (cfg / "inbox.toml").write_text(f'[folders]\n"ng-ada" = "{sftp}"\n', encoding="utf-8")
    monkeypatch.setenv("KASUWA_CONFIG_DIR", str(cfg))
    (sftp / "august.csv").write_text(export("A"), encoding="utf-8")
    (result,) = dropfolder.scan_once()
    assert result["status"] == "loaded", result["message"]
    assert sorted(p.name for p in (sftp / "done").iterdir()) == ["august.csv", "august.csv.result.json"]
    assert sales_count() == 3


def test_a_regions_watcher_leaves_other_regions_files_alone():
    drop("ng-ada", "west.csv", export("W"))
    drop("ke-wanjiru", "east.csv", export("E").replace("NGN,NG", "KES,KE"))
    east = dropfolder.scan_once("east-africa")
    assert [r["file"] for r in east] == ["east.csv"]
    assert folder_files("ng-ada", "") == ["west.csv"]  # not even claimed
    west = dropfolder.scan_once("west-africa")
    assert [(r["file"], r["status"]) for r in west] == [("west.csv", "loaded")]


def test_a_claim_left_by_a_dead_watcher_after_its_load_is_put_away_without_loading_again():
    """The crash between the load and the move: the next scan recognises the file by its sha256
    (a duplicate, nothing loaded) and puts it away; a claim whose result was already written is
    only moved."""
    folder = settings().inbox_dir / "ng-ada"
    dead = folder / ".processing" / "otherhost-4242-abcdef"  # no lock file: its process is gone
    dead.mkdir(parents=True)
    (dead / "loaded.csv").write_text(export("L"), encoding="utf-8")
    ingest_file(OP, "ng-ada", "loaded.csv", dead / "loaded.csv")  # loaded before the crash
    (dead / "written.csv").write_text(export("W"), encoding="utf-8")
    ingest_file(OP, "ng-ada", "written.csv", dead / "written.csv")
    written = {"file": "written.csv", "status": "loaded", "rows_loaded": 3, "message": "3 of 3 rows loaded."}
    (dead / "written.csv.result.json").write_text(json.dumps(written), encoding="utf-8")
    (dead / "fresh.csv").write_text(export("F"), encoding="utf-8")  # claimed, not loaded yet
    assert sales_count() == 6

    results = {r["file"]: r for r in dropfolder.scan_once()}
    assert results["loaded.csv"]["status"] == "duplicate"
    assert results["written.csv"] == written
    assert results["fresh.csv"]["status"] == "loaded"
    assert sales_count() == 9
    assert folder_files("ng-ada", "done") == sorted(
        f"{n}{s}" for n in ("fresh.csv", "loaded.csv", "written.csv") for s in ("", ".result.json"))
    assert result_of("ng-ada", "done", "written.csv") == written
    assert not dead.exists()


def test_a_file_waits_while_another_process_holds_the_warehouse():
    """While another process holds the region's warehouse the file stays where it was dropped
    (not claimed, not copied); it loads at the first scan after."""
    drop("ng-ada", "wait.csv", export("B"))
    close_all()
    path = str(settings().warehouses_dir / "west-africa.duckdb")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time\ncon = duckdb.connect(sys.argv[1])\nprint('held', flush=True)\ntime.sleep(120)")
        , path], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert dropfolder.scan_once() == []
        assert "wait.csv" in folder_files("ng-ada", "") and folder_files("ng-ada", "done") == []
        assert not any((settings().inbox_dir / "ng-ada" / ".processing").glob("*/*"))
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    (result,) = dropfolder.scan_once()
    assert result["status"] == "loaded" and sales_count() == 3


def test_the_claims_of_a_live_watcher_are_left_to_it_and_adopted_once_it_has_died():
    folder = settings().inbox_dir / "ng-ada"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom pathlib import Path\nfrom warehouse import dropclaims\n"
        "me = dropclaims.hold_identity(Path(sys.argv[1]))\nprint(me.id, flush=True)\ntime.sleep(120)"),
        str(settings().inbox_dir)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        other = holder.stdout.readline().strip()
        claim = folder / ".processing" / other
        claim.mkdir(parents=True)
        (claim / "theirs.csv").write_text(export("O"), encoding="utf-8")
        assert dropfolder.scan_once() == []  # alive: its claim is its own
        assert (claim / "theirs.csv").exists()
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    (result,) = dropfolder.scan_once()  # dead: adopted and finished
    assert result["file"] == "theirs.csv" and result["status"] == "loaded"
    assert not claim.exists() and sales_count() == 3


def test_the_watcher_command_refuses_an_unknown_region_in_words(capsys):
    assert dropfolder.main(["--region", "atlantis", "--once"]) == 2
    err = capsys.readouterr().err
    assert "Unknown region 'atlantis'" in err and "Traceback" not in err


def test_the_watcher_command_once_prints_one_json_object_per_file(capsys):
    drop("ng-ada", "once.csv", export("C"))
    assert dropfolder.main(["--once"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["file"] == "once.csv" and json.loads(line)["status"] == "loaded"


# --- real watcher processes ---------------------------------------------------------------------


def _watcher(log: Path, *extra: str) -> subprocess.Popen:
    """A real watcher process (it inherits this test's KASUWA_DATA_DIR and settle time)."""
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "warehouse.dropfolder", "--interval", "0.2", *extra],
                                cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT)


def _wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def _assert_each_file_loaded_once(names: list[str], rows_each: int) -> None:
    done = folder_files("ng-ada", "done")
    assert done == sorted([*names, *(n + ".result.json" for n in names)])
    close_all()
    assert sales_count() == rows_each * len(names)
    uploads = warehouse("west-africa").rows(
        "SELECT file_name, count(*) FILTER (WHERE status = 'loaded'), count(*) FROM uploads GROUP BY 1 ORDER BY 1")
    assert [u[0] for u in uploads] == names
    assert all(loaded == 1 for _, loaded, _ in uploads)  # a redone file is a duplicate, never a second load
    for name in names:
        assert result_of("ng-ada", "done", name)["status"] in ("loaded", "duplicate")


@pytest.mark.slow
@pytest.mark.parametrize("put_away_before_kill", [0, 2], ids=["first-file", "third-file"])
def test_a_watcher_killed_mid_way_and_restarted_loads_every_file_exactly_once(tmp_path, put_away_before_kill):
    names = [f"part-{i}.csv" for i in range(6)]
    for i, name in enumerate(names):
        drop("ng-ada", name, export(f"K{i}", 4))
    close_all()  # the watcher process opens the databases itself
    processing = settings().inbox_dir / "ng-ada" / ".processing"
    done = settings().inbox_dir / "ng-ada" / "done"
    first = _watcher(tmp_path / "first.log")
    try:
        # SIGKILL while it holds a claim: mid-ingest (cold: importing, reading; warm: loading, moving)
        _wait_for(lambda: len(list(done.glob("*.csv"))) >= put_away_before_kill
                  and any(d.is_dir() and any(d.iterdir()) for d in processing.glob("*")), 120,
                  "the first watcher to claim a file")
        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.wait()
    assert first.returncode == -signal.SIGKILL
    assert any(any(d.iterdir()) for d in processing.iterdir())  # its claim is left behind
    again = subprocess.run([sys.executable, "-m", "warehouse.dropfolder", "--once"], cwd=PROJECT_ROOT,
                           capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    printed = [json.loads(line) for line in again.stdout.splitlines()]
    assert {p["file"] for p in printed} <= set(names)
    assert not any(any(d.iterdir()) for d in processing.iterdir() if d.is_dir())
    _assert_each_file_loaded_once(names, 4)


@pytest.mark.slow
def test_two_watchers_at_once_load_each_file_once_and_stop_cleanly_on_sigterm(tmp_path):
    names = [f"batch-{i}.csv" for i in range(8)]
    for i, name in enumerate(names):
        drop("ng-ada", name, export(f"T{i}", 3))
    close_all()
    watchers = [_watcher(tmp_path / f"w{n}.log") for n in (1, 2)]
    try:
        _wait_for(lambda: len(folder_files("ng-ada", "done")) == 2 * len(names), 240, "every file to be put away")
    finally:
        for w in watchers:
            w.send_signal(signal.SIGTERM)
        codes = [w.wait(timeout=60) for w in watchers]
    assert codes == [0, 0], [(tmp_path / f"w{n}.log").read_text() for n in (1, 2)]
    _assert_each_file_loaded_once(names, 3)
    lines = [json.loads(line) for n in (1, 2) for line in (tmp_path / f"w{n}.log").read_text().splitlines()
             if line.startswith("{")]
    assert sorted(p["file"] for p in lines) == names  # each file put away by one watcher, once
