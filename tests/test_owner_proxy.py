"""Everything above db.py works unchanged through a region's owner: the review decisions
(fix and approve, a bad fix, bulk approve and reject, with UPDATEs and the re-validation run in
the owner), payout runs and marks, FX loads with ON CONFLICT, rollup refreshes. The same test
bodies as the embedded tests, run with the region owned by a real ``kasuwa serve`` process."""

from __future__ import annotations

from datetime import date

import pytest
import test_fx
import test_payouts_cli
import test_review
from owner_support import owners
from payouts_support import creator, sale

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import close_all, init_all, warehouse
from warehouse.ingest import ingest_file
from warehouse.queries.rollups import refresh_rollups

OP = Actor.operator()
WA = "west-africa"


@pytest.fixture
def ada_owned():
    """test_review's ada_upload, loaded before the owner starts; then West Africa is owned."""
    add_creator(OP, "ng-ada", "NG", "Ada")
    add_creator(OP, "gh-kofi", "GH", "Kofi")
    result = ingest_file(OP, "ng-ada", "ada.csv", test_review.csv(
        "A1,2024-05-01,Beads,1,1500.00,NGN,NG", "A2,2024-05-02,Cloth,2,abc,NGN,NG",
        "A3,2024-05-03,Basket,1,100.123,NGN,NG", "A4,2024-05-04,Mat,1,100,ZZZ,NG",
        "A5,2024-05-05,Soap,3,900,NGN,GH"))
    with owners(WA):
        assert warehouse(WA).owner() is not None
        yield result.upload_id


def test_review_decisions_through_the_owner(ada_owned):
    test_review.test_an_approved_fix_is_revalidated_and_loaded_in_the_same_step(ada_owned)


def test_a_bad_fix_through_the_owner(ada_owned):
    test_review.test_a_bad_fix_stays_flagged_with_the_reasons(ada_owned)


def test_bulk_decisions_and_rollups_through_the_owner(ada_owned):
    test_review.test_bulk_decisions_report_each_row(ada_owned)
    refresh_rollups(WA)
    total = warehouse(WA).one("SELECT sum(sales) FROM rollup_uploads")[0]
    assert total == warehouse(WA).one("SELECT count(*) FROM sales")[0]


@pytest.fixture
def paid_region():
    r = creator("ada", "NG", "paystack")
    sale(r, "ada", "s1", date(2026, 3, 11), "5000.00", "NGN", fees="175.00")
    with owners(r):
        assert warehouse(r).owner() is not None
        yield r


def test_payout_run_through_the_owner(paid_region, capsys):
    test_payouts_cli.test_run_pays_once_and_reports_each_creator(paid_region, capsys)


def test_payout_marks_through_the_owner(paid_region, capsys):
    test_payouts_cli.test_mark_paid_needs_a_reference_and_wrong_moves_exit_1(paid_region, capsys)


def test_fx_loads_through_the_owners():
    init_all()
    close_all()
    with owners(WA, "east-africa", "south-asia"):
        test_fx.test_a_rates_csv_loads_into_every_region_and_replaces_a_days_rate()
