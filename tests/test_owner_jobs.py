"""Jobs while the app serves (issue 9): with one owner process per region and the app running,
commands from other processes — two ingests into one region and one into another, a payout run,
an FX load — all succeed at the same time while the app keeps answering, and every row is
counted once. An owner killed mid-ingest leaves its warehouse as it was; the same ingest run
again completes. Real processes throughout."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from owner_support import KASUWA, address, app_server, health, owners, start_owner, stop_owner
from streamlit.testing.v1 import AppTest

from control import accounts
from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import close_all, init_all, warehouse
from warehouse.errors import RegionUnavailable
from warehouse.ingest import landing
from warehouse.ingest.result import IngestResult
from warehouse.owner.flight_client import OwnerClient

ROOT = Path(__file__).resolve().parent.parent
OP = Actor.operator()
HEADER = "order_id,date,product,quantity,amount,currency,buyer_country\n"


def _export(path: Path, prefix: str, n: int, currency: str = "NGN", country: str = "NG") -> Path:
    path.write_text(HEADER + "".join(f"{prefix}-{i},2025-07-{1 + i % 28:02d},Item,1,{100 + i}.50,{currency},{country}\n"
                                     for i in range(n)), encoding="utf-8")
    return path


def _counts() -> dict[str, tuple[int, int]]:
    return {r: warehouse(r).one("SELECT count(*), count(DISTINCT upload_id) FROM sales") or (0, 0)
            for r in ("west-africa", "east-africa")}


def _page(role: str, path: str) -> AppTest:
    from app.session import ACTOR_KEY, LAST_SEEN_KEY

    email = next(e for e, _, r, _, _ in accounts.DEMO_USERS if r == role)
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.session_state[ACTOR_KEY] = accounts.current_actor(email)
    at.session_state[LAST_SEEN_KEY] = time.time()
    at.run()
    return at.switch_page(f"../{path}").run()


def test_commands_run_beside_the_app_and_the_owners_and_every_row_is_counted_once(tmp_path, data_dir):
    subprocess.run([KASUWA, "demo"], check=True, capture_output=True)
    for creator, country in (("ng-late", "NG"), ("ke-late", "KE")):
        subprocess.run([KASUWA, "creator", "add", creator, "--country", country], check=True, capture_output=True)
    wa1 = _export(tmp_path / "wa1.csv", "WA1", 400)
    wa2 = _export(tmp_path / "wa2.csv", "WA2", 8)
    ea1 = _export(tmp_path / "ea1.csv", "EA1", 250, "KES", "KE")
    rates = tmp_path / "rates.csv"
    rates.write_text("date,currency,usd_rate\n2025-07-01,NGN,0.00065\n2025-07-01,KES,0.0077\n")
    with owners("west-africa", "east-africa", "south-asia"), app_server(tmp_path / "app.log") as url:
        before = _counts()
        commands = [
            [KASUWA, "ingest", str(wa1), "--creator", "ng-late", "--json"],
            # -X importtime: the import log shows whether this process paid for Great Expectations
            [sys.executable, "-X", "importtime", "-m", "warehouse.cli", "ingest", str(wa2), "--creator", "ng-late"],
            [KASUWA, "ingest", str(ea1), "--creator", "ke-late", "--json"],
            [KASUWA, "payouts", "run", "--region", "west-africa", "--as-of", "2025-08-01", "--json"],
            [KASUWA, "fx", "load", str(rates)],
            [KASUWA, "creator", "add", "sn-new", "--country", "SN", "--name", "New"],
            [KASUWA, "user", "add", "new-reviewer@example.org", "--role", "reviewer", "--region", "west-africa",
             "--password-stdin"],
        ]
        password = tmp_path / "password.txt"  # ``user add --password-stdin`` reads it; the others read nothing
        password.write_text("a-long-enough-password\n")
        with open(password, encoding="utf-8") as stdin:
            procs = [subprocess.Popen(c, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for c in commands]
        answered = 0
        while any(p.poll() is None for p in procs):
            assert health(url)  # the app answers while the jobs run
            answered += 1
            time.sleep(0.2)
        results = [p.communicate() for p in procs]
        for cmd, proc, (out, err) in zip(commands, procs, results, strict=True):
            assert proc.returncode == 0, (cmd, out, err[-2000:])
        assert "great_expectations" not in results[1][1]  # the owner, warm, validated it
        after = _counts()
        assert after["west-africa"] == (before["west-africa"][0] + 408, before["west-africa"][1] + 2)
        assert after["east-africa"] == (before["east-africa"][0] + 250, before["east-africa"][1] + 1)
        assert warehouse("east-africa").one("SELECT usd_rate FROM fx_rates WHERE currency = 'KES'"
                                            " AND rate_date = '2025-07-01'") is not None
        assert warehouse("west-africa").one("SELECT count(*) FROM payout_runs WHERE as_of = '2025-08-01'")[0] >= 1
        assert warehouse("west-africa").one("SELECT count(*) FROM creators WHERE creator_id = 'sn-new'") == (1,)
        assert accounts.current_actor("new-reviewer@example.org").role == "reviewer"
        regions = _page("manager", "pages/regions.py")  # this process reads through the owners too
        assert not regions.exception, [e.value for e in regions.exception]
        review = _page("reviewer", "pages/review.py")
        assert not review.exception, [e.value for e in review.exception]
        assert health(url) and answered >= 1


def _ingest_job(path: Path, creator: str) -> object:
    landed = landing.land("west-africa", path)
    client = OwnerClient(address("west-africa"), "West Africa warehouse")
    return IngestResult.from_plain(client.job("ingest", OP.plain(), creator, path.name, landed.sha256, landed.size,
                                              datetime.now(UTC)))


def test_an_owner_killed_mid_ingest_leaves_the_region_consistent_and_the_same_ingest_then_completes(
        tmp_path, data_dir):
    init_all()
    add_creator(OP, "ng-big", "NG", "Big")
    big = _export(tmp_path / "big.csv", "B", 200_000)
    close_all()
    owner = start_owner("west-africa")
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(_try(lambda: _ingest_job(big, "ng-big"))))
    worker.start()
    scratch = data_dir / "tmp"
    while worker.is_alive() and not (scratch.is_dir() and any(scratch.iterdir())):
        time.sleep(0.02)  # wait until the owner is inside the ingest (its scratch folder exists)
    time.sleep(0.5)
    owner.send_signal(signal.SIGKILL)
    owner.communicate()
    worker.join()
    close_all()  # this process forgets the owner it used
    # no owner now (its run file names a dead process): this process opens the file itself
    loaded = warehouse("west-africa").one("SELECT count(*) FROM uploads WHERE status = 'loaded'")[0]
    sales = warehouse("west-africa").one("SELECT count(*) FROM sales")[0]
    assert (loaded, sales) in ((0, 0), (1, 200_000)), "a half-loaded upload was left behind"
    close_all()
    owner = start_owner("west-africa")
    try:
        again = _ingest_job(big, "ng-big")
        assert again.status in ("loaded", "duplicate"), again.message  # type: ignore[attr-defined]
        assert warehouse("west-africa").one("SELECT count(*), count(DISTINCT order_id) FROM sales") == (
            200_000, 200_000)
        assert warehouse("west-africa").one("SELECT count(*) FROM uploads WHERE status = 'loaded'") == (1,)
    finally:
        close_all()
        stop_owner(owner)
    first = outcome[0]  # the killed owner's client was told in words, or the load had finished
    assert isinstance(first, RegionUnavailable) or getattr(first, "status", None) == "loaded", first


def _try(fn: object) -> object:
    try:
        return fn()  # type: ignore[operator]
    except RegionUnavailable as exc:
        return exc


def test_an_upload_loaded_by_the_owner_shows_the_owners_stages_as_they_happen(tmp_path, monkeypatch):
    """The progress bar of an upload handed to the region's owner moves through the owner's
    own stages (reading, checking, loading) in order, then ends; a progress key is secret to
    its caller and forgotten once the job has ended: the stages stream back as the job's
    Flight action results."""
    from warehouse.ingest import entry

    init_all()
    add_creator(OP, "ng-bar", "NG", "Bar")
    big = _export(tmp_path / "big.csv", "BAR", 60_000)
    seen: list[tuple[str, float]] = []
    with owners("west-africa"):
        result = entry.ingest_file(OP, "ng-bar", "big.csv", big, progress=lambda s, f: seen.append((s, f)))
        from warehouse.owner import jobs

        assert jobs._PROGRESS == {}  # this process is not the owner: nothing of the job is kept here
    assert result.status == "loaded" and result.rows_loaded == 60_000
    stages = [s for s, _ in seen]
    assert stages[0] == "landing" and stages[-1] == "done" and seen[-1][1] == 1.0
    from_owner = [s for s in stages if s in ("reading", "parsing", "validating", "loading")]
    assert from_owner, f"no stage of the owner's was shown: {seen}"
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions), f"the bar went backwards: {seen}"


def test_the_storage_quota_holds_through_the_owner_without_a_sql_connection(tmp_path, data_dir, monkeypatch):
    """With the owner running, the quota is counted by the owner's ``kept_sizes`` job: a second
    file past the quota is refused and not kept, and the command never opened ADBC's DB-API."""
    monkeypatch.setenv("KASUWA_CREATOR_QUOTA_MB", "0.01")  # 10,485 bytes
    init_all()
    add_creator(OP, "ng-quota", "NG", "Quota")
    close_all()
    first, second = _export(tmp_path / "a.csv", "A", 150), _export(tmp_path / "b.csv", "B", 150)
    assert 5300 < first.stat().st_size < 6000  # two of them do not fit in 10,485 bytes
    with owners("west-africa"):
        loaded = subprocess.run([KASUWA, "ingest", str(first), "--creator", "ng-quota"], check=False,
                                capture_output=True, text=True)
        assert loaded.returncode == 0, loaded.stderr
        probe = ("import runpy, sys; sys.argv = ['kasuwa', 'ingest', sys.argv[1], '--creator', 'ng-quota'];"
                 "code = 0\ntry:\n    runpy.run_module('warehouse.cli', run_name='__main__')\n"
                 "except SystemExit as e:\n    code = e.code\n"
                 "print('dbapi' if 'adbc_driver_manager.dbapi' in sys.modules else 'no-dbapi', file=sys.stderr)\n"
                 "sys.exit(code)")
        refused = subprocess.run([sys.executable, "-c", probe, str(second)], check=False, capture_output=True,
                                 text=True)
    assert refused.returncode == 1 and "Your storage is full" in refused.stderr
    assert refused.stderr.strip().endswith("no-dbapi")  # one job call, no SQL connection in the command
    assert landing.is_landed("west-africa", hashlib.sha256(first.read_bytes()).hexdigest())
    assert not landing.is_landed("west-africa", hashlib.sha256(second.read_bytes()).hexdigest())  # nothing kept
