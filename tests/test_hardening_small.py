"""The smaller breaks of issue 17 (point 7), each reproduced: a full disk says so in words, a
CLI stopped while the owner works does not promise nothing was loaded, the outbox keeps to the
creator's quota, tmp/ingest-* folders of killed processes are removed, a 100,006-column file is
counted right, full-width signs and bidi controls cannot start a formula, and ``kasuwa … |
head`` is no "unexpected error"."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.export import guard_cell
from warehouse import outbox
from warehouse.access import Actor
from warehouse.cells import cell as statement_cell  # the statements' cells
from warehouse.creators import add_creator
from warehouse.errors import RegionUnavailable
from warehouse.ingest import ingest_file
from warehouse.ingest.landing import remove_stale_scratch, scratch_dir
from warehouse.settings import settings

OP = Actor.operator()
KASUWA = str(Path(sys.executable).parent / "kasuwa")
HEADER = "order_id,date,product,quantity,amount,currency,buyer_country,status\n"


@pytest.mark.parametrize("text", ["\uff1dHYPERLINK(\"http://x\")", "\u202e=1+1", "\u200b@SUM(A1)", "\ufeff-2+3",
                                  "\uff0bcmd", "\uff20x", "\u2066=1"])
def test_full_width_signs_and_bidi_controls_cannot_start_a_formula(text):
    assert guard_cell(text) == "'" + text
    assert statement_cell(text) == "'" + text


def test_plain_text_is_left_alone():
    assert guard_cell("Ada \u202eabc") == "Ada \u202eabc" and statement_cell("\uff21da") == "\uff21da"


def test_a_100006_column_file_is_counted_right():
    add_creator(OP, "ng-ada", "NG", "Ada")
    header = ",".join(f"h{i}" for i in range(100_006))
    res = ingest_file(OP, "ng-ada", "wide.csv", (header + "\n" + ",".join("1" for _ in range(100_006)) + "\n").encode())
    assert res.status == "rejected" and "100006 columns" in res.message


def test_scratch_folders_of_killed_processes_are_removed_at_the_next_start():
    tmp = settings().data_dir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead_pid = int(dead.stdout)  # a process that has ended
    left = Path(tempfile.mkdtemp(dir=tmp, prefix=f"ingest-{dead_pid}-"))
    (left / "decoded.csv").write_text("x", encoding="utf-8")
    old_empty = Path(tempfile.mkdtemp(dir=tmp, prefix="ingest-"))
    mine = scratch_dir()  # an ingest starting now, in a live process
    try:
        assert not left.exists() and not old_empty.exists() and mine.exists()
        assert remove_stale_scratch() == 0  # a live process's folder stays
    finally:
        shutil.rmtree(mine)


def test_the_outbox_keeps_to_the_creators_quota(monkeypatch):
    monkeypatch.setenv("KASUWA_CREATOR_QUOTA_MB", "1")
    add_creator(OP, "ng-ada", "NG", "Ada")
    now = datetime.now(UTC)
    big = (HEADER + "x" * 700_000 + "\n").encode()
    first = outbox.keep(OP, "ng-ada", "west-africa", "a.csv", big, now)
    assert first.status == "waiting"
    second = outbox.keep(OP, "ng-ada", "west-africa", "b.csv", big + b"2", now)
    assert second.status == "rejected" and "Your storage is full" in second.message
    assert [w.file_name for w in outbox.waiting("ng-ada")] == ["a.csv"]


def test_a_cli_whose_output_pipe_closes_exits_quietly(tmp_path):
    add_creator(OP, "ng-ada", "NG", "Ada")
    path = tmp_path / "one.csv"
    path.write_text(HEADER + "A,2025-07-01,T,1,1,NGN,NG,paid\n", encoding="utf-8")
    from warehouse.db import close_all

    close_all()
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head` that has gone already
    try:
        proc = subprocess.run([KASUWA, "ingest", "--creator", "ng-ada", "--json", str(path)], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=300, check=False)
    finally:
        os.close(write_end)
    assert "unexpected error" not in proc.stderr and "BrokenPipe" not in proc.stderr
    assert proc.returncode == 141


def test_a_full_disk_is_named_not_hidden_behind_a_rollback_error(tmp_path, monkeypatch):
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(small)], capture_output=True,
                             check=False)
    if mounted.returncode != 0:
        pytest.skip("a small file system needs mount (root)")
    try:
        monkeypatch.setenv("KASUWA_DATA_DIR", str(small / "data"))
        add_creator(OP, "ng-ada", "NG", "Ada")
        rows = "".join(f"F-{i},2025-07-01,Template product name {i},1,{1500 + i}.00,NGN,NG,paid\n"
                       for i in range(40_000))
        with pytest.raises(RegionUnavailable, match="disk is full") as refused:
            ingest_file(OP, "ng-ada", "fill.csv", (HEADER + rows).encode())
        assert "rollback" not in str(refused.value).lower()
    finally:
        from warehouse.db import close_all

        close_all()
        subprocess.run(["umount", "-l", str(small)], check=False)


def test_a_cli_stopped_after_handing_its_file_to_the_owner_does_not_promise_nothing_was_loaded(capsys, monkeypatch):
    from warehouse import cli
    from warehouse.owner import registry as client

    monkeypatch.setattr(client, "JOBS_HANDED_OVER", set())
    assert cli._stopped() == 130
    assert "nothing half-loaded was kept" in capsys.readouterr().err
    client.JOBS_HANDED_OVER.add("ingest")  # what OwnerClient.job records before it sends the job
    assert cli._stopped() == 130
    said = capsys.readouterr().err
    assert "may still finish" in said and "nothing half-loaded" not in said
