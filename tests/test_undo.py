"""Undoing a whole upload (issue 21): one transaction removes its sales, flagged and skipped rows;
the upload stays as *undone* with who, when and why; the landing file is kept; the same file can
be uploaded again; rollups and metrics follow; money already paid out is refused or reversed;
a process killed in the middle of an undo leaves all of it or none of it."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest
from payouts_support import store_export

from warehouse import locales
from warehouse.access import Actor
from warehouse.cli import main
from warehouse.creators import add_creator
from warehouse.db import close_all, warehouse
from warehouse.errors import Conflict, PermissionDenied
from warehouse.ingest import ingest_file
from warehouse.queries import Period
from warehouse.queries.metrics import region_metrics
from warehouse.queries.rollups import refresh_rollups, rollups_current
from warehouse.settings import settings
from warehouse.undo import UndoRefused, undo_upload

WA = "west-africa"
OP = Actor.operator()
ADA = Actor("ada@example.org", "creator", creator_id="ng-ada")
REVIEWER = Actor("rev@example.org", "reviewer", regions=frozenset({WA}))
EAST = Actor("east@example.org", "reviewer", regions=frozenset({"east-africa"}))
MANAGER = Actor("boss@example.org", "manager")
HEADER = "order_id,date,product,quantity,amount,currency,buyer_country,status\n"
FILE = (HEADER + "A1,2024-05-01,Beads,1,1500.00,NGN,NG,paid\n"
        "A2,2024-05-02,Cloth,2,abc,NGN,NG,paid\n"
        "A3,2024-05-03,Basket,1,900.00,NGN,NG,failed\n"
        "A4,2024-05-04,Soap,3,2500.00,NGN,GH,paid\n").encode()


def counts(upload_id: str) -> tuple[int, int, int]:
    wh = warehouse(WA)
    return tuple(int(wh.one(f"SELECT count(*) FROM {t} WHERE upload_id = ?", [upload_id])[0])
                 for t in ("sales", "flagged_rows", "skipped_rows"))  # type: ignore[return-value]


@pytest.fixture
def ada_upload():
    add_creator(OP, "ng-ada", "NG", "Ada")
    res = ingest_file(ADA, "ng-ada", "may.csv", FILE)
    assert (res.status, res.rows_loaded, res.rows_flagged, res.rows_skipped) == ("loaded", 2, 1, 1), res.message
    return res


def test_undo_removes_sales_flags_and_skipped_rows_and_keeps_the_file_and_the_record(ada_upload):
    up = ada_upload.upload_id
    assert counts(up) == (2, 1, 1)
    res = undo_upload(ADA, WA, up, "wrong month")
    assert (res.sales_removed, res.flagged_removed, res.skipped_removed) == (2, 1, 1)
    assert res.amounts == {"NGN": Decimal("4000.00")}
    assert counts(up) == (0, 0, 0)
    status, by, reason, when = warehouse(WA).one(
        "SELECT status, undone_by, undone_reason, undone_at FROM uploads WHERE upload_id = ?", [up])
    assert (status, by, reason) == ("undone", "ada@example.org", "wrong month") and when is not None
    landed = settings().landing_dir / WA / ada_upload.sha256
    assert hashlib.sha256(landed.read_bytes()).hexdigest() == ada_upload.sha256  # kept byte for byte
    audit = warehouse(WA).dicts("SELECT * FROM upload_undos WHERE upload_id = ?", [up])[0]
    assert (audit["undone_by"], audit["reason"], audit["sales_removed"], audit["flagged_removed"],
            audit["skipped_removed"]) == ("ada@example.org", "wrong month", 2, 1, 1)
    assert json.loads(audit["amounts"]) == {"NGN": "4000.00"}
    assert "may.csv" in res.describe() and up not in res.describe()


def test_the_same_file_loads_again_after_an_undo(ada_upload):
    undo_upload(ADA, WA, ada_upload.upload_id)
    again = ingest_file(ADA, "ng-ada", "may.csv", FILE)
    assert (again.status, again.rows_loaded, again.rows_flagged, again.rows_skipped) == ("loaded", 2, 1, 1)
    third = ingest_file(ADA, "ng-ada", "may.csv", FILE)
    assert third.status == "duplicate"  # of the new load, not of the undone one
    assert ada_upload.upload_id not in third.message


def test_rollups_and_the_managers_figures_follow(ada_upload):
    refresh_rollups(WA)
    period = Period(date(2024, 5, 1), date.today() + timedelta(days=1))  # the region may be a day ahead

    def summary():
        return next(r for r in region_metrics(MANAGER, period).regions if r.region == WA).summary

    before = summary()
    assert (before["sales"], before["backlog_at_end"], before["uploads_loaded"]) == (2, 1, 1)
    undo_upload(REVIEWER, WA, ada_upload.upload_id, "another shop's file")
    assert rollups_current(WA)
    assert warehouse(WA).one("SELECT count(*) FROM rollup_sales_daily WHERE upload_id = ?",
                             [ada_upload.upload_id])[0] == 0
    after = summary()
    assert after["sales"] == 0 and after["backlog_at_end"] == 0 and after["uploads_loaded"] == 0


def test_who_may_undo(ada_upload, monkeypatch):
    up = ada_upload.upload_id
    for who in (EAST, MANAGER, Actor("bo@example.org", "creator", creator_id="ng-bo")):
        with pytest.raises(PermissionDenied):
            undo_upload(who, WA, up)
    monkeypatch.setenv("KASUWA_UNDO_WINDOW_DAYS", "0")  # the window has passed for the creator ...
    with pytest.raises(PermissionDenied, match="older than 0 days"):
        undo_upload(ADA, WA, up)
    assert counts(up) == (2, 1, 1)
    undo_upload(REVIEWER, WA, up)  # ... not for the region's reviewer
    with pytest.raises(Conflict, match=r"already undone by rev@example\.org"):
        undo_upload(OP, WA, up)


def test_a_creator_cannot_undo_an_upload_a_reviewer_made_for_them():
    add_creator(OP, "ng-ada", "NG", "Ada")
    res = ingest_file(REVIEWER, "ng-ada", "may.csv", FILE)
    with pytest.raises(PermissionDenied, match="Someone else made this upload"):
        undo_upload(ADA, WA, res.upload_id)


def test_kasuwa_upload_undo(ada_upload, capsys):
    assert main(["upload", "undo", ada_upload.upload_id, "--reason", "wrong file", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["status"], out["region"], out["file"], out["sales_removed"], out["amounts"]) == (
        "undone", WA, "may.csv", 2, {"NGN": "4000.00"})
    assert main(["upload", "undo", ada_upload.upload_id]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kasuwa: may.csv was already undone") and "Traceback" not in err
    assert main(["upload", "undo", "up-nope"]) == 1
    assert "No upload up-nope" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["upload", "undo"])
    assert usage.value.code == 2


# --- money already paid out ----------------------------------------------------------------------

TODAY = date.today()




def _balance() -> Decimal:
    return Decimal(warehouse(WA).one("SELECT coalesce(sum(amount), 0) FROM ledger WHERE creator_id = 'ng-ada'"
                                     " AND currency = 'NGN'")[0])


@pytest.fixture
def paid(tmp_path):
    """Ada's programme-store upload (₦4,500 + ₦500), settled by a payout run today; then a second
    upload (₦2,000) not yet paid. Returns (paid upload id, unpaid upload id)."""
    from warehouse.payouts.runs import run_payouts

    add_creator(OP, "ng-ada", "NG", "Ada", rail="paystack")
    for i in range(15):
        warehouse(WA).execute("INSERT INTO fx_rates (rate_date, currency, usd_rate) VALUES (?, 'NGN', 0.00065)",
                              [TODAY - timedelta(days=i)])
    first = ingest_file(OP, "ng-ada", "store.csv", store_export(tmp_path, [
        ("1", TODAY - timedelta(days=5), "4500.00"), ("2", TODAY - timedelta(days=4), "500.00")]),
        profile="programme-store")
    assert first.status == "loaded" and first.rows_loaded == 2, first.message
    result = run_payouts(OP, WA, TODAY)
    assert [d.decision for d in result.decisions] == ["scheduled"], [d.reason for d in result.decisions]
    second = ingest_file(OP, "ng-ada", "store2.csv", store_export(tmp_path, [
        ("3", TODAY - timedelta(days=1), "2000.00")]), profile="programme-store")
    assert second.rows_loaded == 1
    return first.upload_id, second.upload_id


def test_an_undo_of_paid_sales_is_refused_naming_the_payout(paid):
    paid_up, unpaid_up = paid
    before = _balance()
    for who in (REVIEWER, OP):
        with pytest.raises(UndoRefused) as err:
            undo_upload(who, WA, paid_up)
        assert "store.csv" in str(err.value) and "the payout of" in str(err.value)
        assert locales.day(TODAY, "en") in str(err.value) and "PO-" not in str(err.value)  # the day in words
    with pytest.raises(UndoRefused):  # a reviewer's wish for a reversal is not enough
        undo_upload(REVIEWER, WA, paid_up, reverse_paid=True)
    assert counts(paid_up) == (2, 0, 0) and _balance() == before
    assert warehouse(WA).one("SELECT status FROM uploads WHERE upload_id = ?", [paid_up])[0] == "loaded"
    undo_upload(REVIEWER, WA, unpaid_up)  # sales no payout settled go at once
    assert _balance() == before - Decimal("2000.00")


def test_an_administrator_reverses_paid_sales_and_the_balance_stays_exact(paid, tmp_path):
    paid_up, _ = paid
    before = _balance()
    res = undo_upload(OP, WA, paid_up, "another shop's file", reverse_paid=True)
    assert counts(paid_up) == (0, 0, 0)
    assert [(r["currency"], r["amount"]) for r in res.reversed] == [("NGN", Decimal("5000.00"))]
    # the paid sales' ₦5,000 are owed back: the balance is what remains, exactly
    assert _balance() == before - Decimal("5000.00")
    kinds = dict(warehouse(WA).rows("SELECT kind, sum(amount) FROM ledger_entries WHERE kind LIKE 'undo%'"
                                    " GROUP BY kind"))
    assert kinds == {"undone_paid": Decimal("5000.00"), "undo_reversal": Decimal("-5000.00")}
    # nothing before today changed: the payout stays backed by what it paid
    yesterday = TODAY - timedelta(days=1)
    assert Decimal(warehouse(WA).one(
        "SELECT coalesce(sum(amount), 0) FROM ledger WHERE creator_id = 'ng-ada' AND"
        " coalesce(value_date, CAST(timezone('Africa/Lagos', sold_at) AS DATE)) <= ?"
        " AND coalesce(upload_id, '') <> ?", [yesterday, paid[1]])[0]) == Decimal("5000.00")
    assert warehouse(WA).one("SELECT reversed_payouts FROM upload_undos")[0] != []
    again = ingest_file(OP, "ng-ada", "store.csv", store_export(tmp_path, [
        ("1", TODAY - timedelta(days=5), "4500.00"), ("2", TODAY - timedelta(days=4), "500.00")]),
        profile="programme-store")
    assert again.status == "loaded" and _balance() == before  # uploaded again: nothing paid twice


# --- a kill in the middle of an undo ---------------------------------------------------------------

CHILD = """
import os, signal, sys
from warehouse.access import Actor
from warehouse import undo
stop_at = sys.argv[2]
def hook(step):
    if step == stop_at:
        print("at", step, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
undo.step_hook = hook
undo.undo_upload(Actor.operator(), "west-africa", sys.argv[1], "killed")
print("finished", flush=True)
"""


@pytest.mark.parametrize("step", ["marked", "sales", "flagged", "audit"])
def test_a_kill_in_the_middle_of_an_undo_leaves_nothing_half_done(ada_upload, step):
    up = ada_upload.upload_id
    close_all()  # the child process opens the warehouse file itself
    proc = subprocess.run([sys.executable, "-c", CHILD, up, step], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == -9 and f"at {step}" in proc.stdout, proc.stderr
    assert counts(up) == (2, 1, 1)
    assert warehouse(WA).one("SELECT status FROM uploads WHERE upload_id = ?", [up])[0] == "loaded"
    assert warehouse(WA).one("SELECT count(*) FROM upload_undos")[0] == 0
    res = undo_upload(ADA, WA, up, "again")  # the undo runs again and finishes
    assert counts(up) == (0, 0, 0) and res.sales_removed == 2


def test_with_the_regions_owner_running_the_undo_is_its_job(ada_upload):
    from owner_support import KASUWA, owners

    up = ada_upload.upload_id
    with owners(WA):
        proc = subprocess.run([KASUWA, "upload", "undo", up, "--reason", "via the owner", "--json"],
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["sales_removed"] == 2
        again = subprocess.run([KASUWA, "upload", "undo", up], capture_output=True, text=True, timeout=120,
                               check=False)
        assert again.returncode == 1 and "already undone" in again.stderr and "Traceback" not in again.stderr
    close_all()
    assert counts(up) == (0, 0, 0)
    assert warehouse(WA).one("SELECT reason FROM upload_undos")[0] == "via the owner"


def test_an_upload_held_for_a_reviewer_leaves_the_holds_list_when_undone(tmp_path):
    from payouts_support import sale

    from warehouse.payouts.guard import held_uploads

    add_creator(OP, "ng-ada", "NG", "Ada", rail="paystack")
    for m in (20, 50, 80):
        sale(WA, "ng-ada", f"h{m}", TODAY - timedelta(days=m), "20000.00", "NGN", upload_id="up-h")
    res = ingest_file(OP, "ng-ada", "store.csv", store_export(tmp_path, [("9", TODAY - timedelta(days=1),
                                                                          "5000000.00")]), profile="programme-store")
    assert [h.upload_id for h in held_uploads(REVIEWER, WA)] == [res.upload_id]
    undo_upload(REVIEWER, WA, res.upload_id, "a typo in the amount")
    assert held_uploads(REVIEWER, WA) == [] and counts(res.upload_id) == (0, 0, 0)
