"""Floods and sizes (issue 8): one upload cannot flood the review queue, fill the disk or leave
debris behind, and the command line stays honest about what it refused.

Real DuckDB files, real Great Expectations suites, real ``kasuwa`` processes and real signals.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import close_all, warehouse
from warehouse.ingest import ingest_file
from warehouse.settings import settings

OP = Actor.operator()
CREATOR = "ng-flood"
OTHER = "ng-other"
REGION = "west-africa"
HEADER = "order_id,date,product,quantity,amount,currency,buyer_country"


@pytest.fixture(autouse=True)
def creators(data_dir):
    add_creator(OP, CREATOR, "NG", "Flood")
    add_creator(OP, OTHER, "NG", "Other")


def csv(rows: int, bad: int = 0, prefix: str = "F") -> bytes:
    """``rows`` sales, the first ``bad`` of them with an amount that is not a number."""
    lines = [HEADER]
    for i in range(rows):
        amount = "lots" if i < bad else f"{100 + i % 50}.50"
        lines.append(f"{prefix}-{i},2025-07-{1 + i % 28:02d},Template,1,{amount},NGN,NG")
    return ("\n".join(lines) + "\n").encode()


def counts(table: str) -> int:
    return warehouse(REGION).one(f"SELECT count(*) FROM {table}")[0]


def landing_files() -> list[Path]:
    d = settings().landing_dir / REGION
    return sorted(d.iterdir()) if d.exists() else []


def tmp_leftovers() -> list[Path]:
    d = settings().data_dir / "tmp"
    return sorted(d.iterdir()) if d.exists() else []


def kasuwa(*args: str) -> subprocess.CompletedProcess[str]:
    """A real ``kasuwa`` process (settings set with monkeypatch.setenv are inherited)."""
    close_all()  # one writing process per DuckDB file: let the child have it
    return subprocess.run(["kasuwa", *args], capture_output=True, text=True, timeout=120, check=False)


# --- the review cap ---------------------------------------------------------------------------


def test_a_file_that_would_flood_the_review_queue_is_rejected_whole_and_kept():
    data = csv(6000, bad=5600)  # 5,600 to review: more than 5,000 and more than 20 % of 6,000
    res = ingest_file(OP, CREATOR, "flood.csv", data)
    assert res.status == "rejected"
    assert "looks wrong" in res.message and "\n" not in res.message
    assert "5,600 of its 6,000 rows would need a reviewer" in res.message
    assert "more than the 5,000 one upload may send" in res.message
    assert "amount is missing or not a number (5,600 rows)" in res.message, res.message
    assert "Nothing was loaded" in res.message
    assert (counts("sales"), counts("flagged_rows"), counts("skipped_rows")) == (0, 0, 0)
    kept = settings().landing_dir / REGION / hashlib.sha256(data).hexdigest()
    assert kept.read_bytes() == data  # the raw file is kept
    assert warehouse(REGION).rows("SELECT status, message, rows_flagged FROM uploads") == [
        ("rejected", res.message, 0)]


def test_the_cap_is_the_larger_of_rows_and_share(monkeypatch):
    monkeypatch.setenv("KASUWA_REVIEW_CAP_ROWS", "10")  # 20 % of 100 rows = 20 is the larger
    under = ingest_file(OP, CREATOR, "under.csv", csv(100, bad=20, prefix="U"))
    assert (under.status, under.rows_loaded, under.rows_flagged) == ("loaded", 80, 20)
    over = ingest_file(OP, CREATOR, "over.csv", csv(100, bad=21, prefix="O"))
    assert over.status == "rejected" and "21 of its 100 rows" in over.message
    assert "more than the 20 one upload may send" in over.message
    monkeypatch.setenv("KASUWA_REVIEW_CAP_SHARE", "0.05")  # now 10 rows is the larger
    again = ingest_file(OP, CREATOR, "under2.csv", csv(100, bad=11, prefix="V"))
    assert again.status == "rejected" and "more than the 10 one upload may send" in again.message
    assert counts("flagged_rows") == 20  # only the first upload's


def test_rows_whose_kind_is_unknown_count_towards_the_cap(monkeypatch):
    monkeypatch.setenv("KASUWA_REVIEW_CAP_ROWS", "10")
    lines = ["ref,when,item,total,ccy,state"]
    for i in range(100):
        lines.append(f"K-{i},2025-07-01T10:00:00Z,Ebook,1500,NGN,{'mystery' if i < 30 else 'paid'}")
    data = ("\n".join(lines) + "\n").encode()
    mapping = {"order_id": "ref", "sold_at": "when", "product": "item", "gross": "total", "currency": "ccy",
               "status": "state"}
    res = ingest_file(OP, CREATOR, "kinds.csv", data, profile="lemonsqueezy-api", mapping=mapping)
    assert res.status == "rejected", res.message
    assert "30 of its 100 rows would need a reviewer" in res.message
    assert "is not one Kasuwa knows" in res.message and "(30 rows)" in res.message
    assert counts("flagged_rows") == 0 and counts("sales") == 0


def test_cli_rejects_a_flood_with_exit_1_one_line_and_json(tmp_path):
    path = tmp_path / "flood.csv"
    path.write_bytes(csv(6000, bad=6000))
    proc = kasuwa("ingest", str(path), "--creator", CREATOR, "--json")
    assert proc.returncode == 1, proc.stderr
    [line] = proc.stderr.splitlines()
    out = json.loads(proc.stdout)
    assert out["status"] == "rejected" and "looks wrong" in out["message"] and out["message"] in line
    assert "(6,000 rows)" in out["message"]
    assert counts("flagged_rows") == 0


# --- the size limit: refused before it is kept -------------------------------------------------


def test_a_file_over_the_limit_is_not_kept(monkeypatch):
    monkeypatch.setenv("KASUWA_MAX_UPLOAD_MB", "0.05")
    data = csv(2000)
    res = ingest_file(OP, CREATOR, "big.csv", data)
    assert res.status == "rejected" and "the limit is 0.05 MB" in res.message
    assert f"The file is {round(len(data) / 1048576, 2):g} MB" in res.message
    assert "nothing was kept" in res.message
    assert landing_files() == [] and tmp_leftovers() == []
    assert counts("uploads") == 0


def test_cli_stops_reading_dev_zero_at_the_limit(monkeypatch):
    monkeypatch.setenv("KASUWA_MAX_UPLOAD_MB", "5")
    t0 = time.perf_counter()
    proc = kasuwa("ingest", "/dev/zero", "--creator", CREATOR, "--json")
    assert time.perf_counter() - t0 < 60
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "rejected" and "the limit is 5 MB" in out["message"]
    assert landing_files() == [] and tmp_leftovers() == []


def test_cli_stops_reading_an_endless_pipe_at_the_limit(monkeypatch):
    monkeypatch.setenv("KASUWA_MAX_UPLOAD_MB", "2")
    close_all()
    sent = 0
    block = csv(20000)
    with subprocess.Popen(["kasuwa", "ingest", "/dev/stdin", "--creator", CREATOR, "--json"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdin and proc.stdout and proc.stderr
        pipe = proc.stdin

        def feed() -> None:
            nonlocal sent
            try:
                while sent < 500 * 1024 * 1024:  # far past the limit: the child must stop first
                    pipe.write(block)
                    sent += len(block)
            except (BrokenPipeError, ValueError):
                pass

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        proc.wait(timeout=120)  # not communicate(): it would close the child's stdin at once
        feeder.join(timeout=10)
        out, err = proc.stdout.read(), proc.stderr.read()
        with contextlib.suppress(BrokenPipeError):
            pipe.close()
    assert proc.returncode == 1, err
    assert json.loads(out)["status"] == "rejected"
    assert sent < 20 * 1024 * 1024  # read up to the limit (2 MB) and a pipe buffer or two, no more
    assert landing_files() == [] and tmp_leftovers() == []


# --- an interrupted copy leaves nothing behind --------------------------------------------------


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_copy_leaves_nothing_in_landing_or_tmp(sig, code):
    close_all()
    proc = subprocess.Popen(["kasuwa", "ingest", "/dev/stdin", "--creator", CREATOR],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=False)
    assert proc.stdin
    proc.stdin.write(b"x" * (6 * 1024 * 1024))  # more than one copy chunk, then the sender stalls
    proc.stdin.flush()
    deadline = time.time() + 60
    incoming: list[Path] = []
    while time.time() < deadline:
        d = settings().landing_dir / REGION
        incoming = list(d.glob(".incoming-*")) if d.exists() else []
        if incoming and incoming[0].stat().st_size > 0:
            break
        time.sleep(0.05)
    assert incoming, "the copy never started"
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "Traceback" not in err.decode() and len(err.decode().splitlines()) == 1
    assert landing_files() == [] and tmp_leftovers() == []


def test_sigterm_while_reading_removes_the_scratch_folder(tmp_path):
    path = tmp_path / "long.csv"
    path.write_bytes(csv(400_000))
    close_all()
    proc = subprocess.Popen(["kasuwa", "ingest", str(path), "--creator", CREATOR],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not tmp_leftovers():
        time.sleep(0.02)
    assert tmp_leftovers(), "the ingest never made its scratch folder"
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err
    if proc.returncode == 0:
        pytest.skip("the ingest finished before the signal arrived")
    assert proc.returncode == 143, err
    assert tmp_leftovers() == []
    assert counts("sales") == 0 and counts("flagged_rows") == 0  # the load is atomic
    # the file had been kept whole before the signal; it stays, byte for byte
    assert [p.name for p in landing_files()] == [hashlib.sha256(path.read_bytes()).hexdigest()]


# --- the storage quota per creator ---------------------------------------------------------------


def test_a_creator_over_quota_is_refused_with_a_clear_message(monkeypatch):
    monkeypatch.setenv("KASUWA_CREATOR_QUOTA_MB", "0.01")  # 10,485 bytes
    first = csv(130, prefix="A")
    assert 5200 < len(first) < 6000
    assert ingest_file(OP, CREATOR, "a.csv", first).status == "loaded"
    second = csv(130, prefix="B")
    res = ingest_file(OP, CREATOR, "b.csv", second)
    assert res.status == "rejected"
    assert res.message.startswith("Your storage is full: your kept files take 5 KB of the 10 KB you may use, and this "
                               "file (5 KB) does not fit")
    assert "nothing was kept" in res.message and "purge old uploads or raise your quota" in res.message
    assert [p.name for p in landing_files()] == [hashlib.sha256(first).hexdigest()]
    assert res.next_steps and "quota" in res.next_steps[0]
    # the same file again is still recognised, and another creator is not affected
    assert ingest_file(OP, CREATOR, "a.csv", first).status == "duplicate"
    assert ingest_file(OP, OTHER, "b.csv", second).status == "loaded"


def test_cli_reports_a_full_quota_as_json_with_exit_1(tmp_path, monkeypatch):
    monkeypatch.setenv("KASUWA_CREATOR_QUOTA_MB", "0.01")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(csv(130, prefix="A"))
    b.write_bytes(csv(130, prefix="B"))
    proc = kasuwa("ingest", str(a), str(b), "--creator", CREATOR, "--json")
    assert proc.returncode == 1
    first, second = (json.loads(line) for line in proc.stdout.splitlines())
    assert first["status"] == "loaded"
    assert second["status"] == "rejected" and "storage is full" in second["message"]
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"kasuwa: {b}: Your storage is full")


# --- the command line ----------------------------------------------------------------------------


def test_map_to_an_unknown_column_is_a_usage_error(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(csv(3))
    proc = kasuwa("ingest", str(path), "--creator", CREATOR, "--map", "evil=x", "--json")
    assert proc.returncode == 2
    assert "'evil' is not a canonical column" in proc.stderr and "gross" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert landing_files() == []


def test_refusals_before_landing_still_print_one_json_object_per_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KASUWA_MAX_UPLOAD_MB", "1")
    good = tmp_path / "good.csv"
    good.write_bytes(csv(3))
    missing = tmp_path / "missing.csv"
    proc = kasuwa("ingest", str(missing), "/dev/zero", str(good), "--creator", CREATOR, "--json")
    assert proc.returncode == 1
    objs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(o["file"], o["status"]) for o in objs] == [
        (str(missing), "rejected"), ("/dev/zero", "rejected"), (str(good), "loaded")]
    for o in objs[:2]:
        assert o["upload_id"] is None and o["message"]
        assert {"file", "upload_id", "region", "profile", "status", "rows_total", "rows_loaded", "rows_flagged",
                "rows_skipped", "message"} <= set(o)
    assert len(proc.stderr.splitlines()) == 2
    unknown = kasuwa("ingest", str(good), "--creator", "nobody", "--json")
    assert unknown.returncode == 1
    obj = json.loads(unknown.stdout)
    assert obj["status"] == "rejected" and "kasuwa creator add nobody" in obj["message"]


ESCAPES = ("\x1b", "\x07", "\r", "\x9b", "\u202e", "\x08")


@pytest.mark.parametrize("as_json", [False, True])
def test_control_characters_in_headers_and_names_never_reach_the_terminal(tmp_path, as_json):
    path = tmp_path / "evil\x1b[2J\u202e.csv"
    path.write_bytes("order_id,\x1b[31mdate\x1b[0m,product\x07,q\x9bty\r\u202eend,back\x08\nA,1,2,3,4,5\n".encode())
    proc = kasuwa("ingest", str(path), "--creator", CREATOR, *(["--json"] if as_json else []))
    assert proc.returncode == 1
    for stream in (proc.stdout, proc.stderr):
        for ch in ESCAPES:
            assert ch not in stream, (ch, stream)
    assert "\\x1b[31mdate\\x1b[0m" in proc.stderr and "\\u202e" in proc.stderr
    if as_json:  # the JSON still holds the header exactly, escaped by JSON itself
        assert "\x1b[31mdate\x1b[0m" in json.loads(proc.stdout)["message"]
