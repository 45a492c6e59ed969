"""A creator's own sales read models, on real DuckDB files: who may read them, exact totals,
periods in the region's time zone, USD at the rate of the sale's date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sales_support import creator, flag, rate, sale, upload, utc

from warehouse.access import Actor
from warehouse.errors import NotFound, PermissionDenied
from warehouse.queries import Period, data_version
from warehouse.queries import sales as q
from warehouse.queries.metrics import refresh_rollups

A = Actor("ada@x", "creator", creator_id="ng-ada")
B = Actor("bola@x", "creator", creator_id="ng-bola")
REVIEWER_WA = Actor("rev@x", "reviewer", regions=frozenset({"west-africa"}))
REVIEWER_EA = Actor("rev2@x", "reviewer", regions=frozenset({"east-africa"}))
MANAGER = Actor("boss@x", "manager")
ADMIN = Actor("root@x", "admin")
FEB = Period(date(2025, 2, 1), date(2025, 2, 28))
WA = "west-africa"


@pytest.fixture
def shop():
    """Ada (NG) sells in NGN and USD in Jan–Feb 2025; Bola (NG) in NGN; rates change on Feb 10."""
    creator("ng-ada", "NG", name="Ada")
    creator("ng-bola", "NG", name="Bola")
    rate(WA, date(2025, 1, 1), "NGN", "0.00065")
    rate(WA, date(2025, 2, 10), "NGN", "0.0006")
    upload(WA, "up-1", "ng-ada", utc(2025, 2, 27), utc(2025, 2, 27, 0, 0, 5), total=7, loaded=6, flagged=1)
    sale(WA, "ng-ada", 1, utc(2025, 1, 20, 10), "1000.00", "NGN", fees="100.00")  # January: previous period
    sale(WA, "ng-ada", 2, utc(2025, 2, 3, 10), "1500.50", "NGN", fees="150.05", product="Beads")
    sale(WA, "ng-ada", 3, utc(2025, 2, 12, 10), "2000.00", "NGN", fees="200.00", product="Beads",
         buyer_country="GH", channel="card")
    sale(WA, "ng-ada", 4, utc(2025, 2, 14, 10), "12.34", "USD", fees="1.00", product="Cloth",
         buyer_country=None, refunded="12.34")
    # 23:30 UTC on Jan 31 is 00:30 on Feb 1 in Lagos: a February sale
    sale(WA, "ng-ada", 5, utc(2025, 1, 31, 23, 30), "100.00", "NGN", product="Basket")
    # 22:30 UTC on Feb 28 is 23:30 in Lagos: still February; 23:30 UTC is March 1 there
    sale(WA, "ng-ada", 6, utc(2025, 2, 28, 22, 30), "7.00", "USD", product="Basket")
    sale(WA, "ng-ada", 7, utc(2025, 2, 28, 23, 30), "3.00", "USD", product="Late")
    sale(WA, "ng-bola", 1, utc(2025, 2, 5), "999999.00", "NGN", upload_id="up-b")
    flag(WA, "up-1", "ng-ada", 7, ["expect_column_values_to_be_between"], status="rejected",
         reviewed_at=utc(2025, 2, 28))


READS = [
    lambda actor, cid: q.kpis(actor, cid, FEB),
    lambda actor, cid: q.series(actor, cid, FEB, "day"),
    lambda actor, cid: q.top_products(actor, cid, FEB),
    lambda actor, cid: q.buyer_countries(actor, cid, FEB),
    lambda actor, cid: q.channels(actor, cid, FEB),
    lambda actor, cid: q.by_currency(actor, cid, FEB),
    lambda actor, cid: q.sales_rows(actor, cid, FEB),
    q.uploads,
    q.flagged,
    q.flagged_summary,
    q.sales_span,
]


@pytest.mark.parametrize("read", READS)
def test_a_creators_crafted_call_for_another_creators_data_is_refused(shop, read):
    with pytest.raises(PermissionDenied):
        read(A, "ng-bola")


@pytest.mark.parametrize("read", READS)
def test_managers_and_reviewers_of_other_regions_cannot_read_a_creators_rows(shop, read):
    for actor in (MANAGER, REVIEWER_EA):
        with pytest.raises(PermissionDenied):
            read(actor, "ng-ada")
    read(REVIEWER_WA, "ng-ada")
    read(ADMIN, "ng-ada")


def test_a_creator_asking_for_an_unknown_or_injected_id_learns_nothing(shop):
    for cid in ("nobody", "ng-ada' OR 1=1 --", "ng-bola"):
        with pytest.raises(PermissionDenied):
            q.kpis(A, cid, FEB)
    with pytest.raises(NotFound):
        q.kpis(ADMIN, "ng-ada' OR 1=1 --", FEB)


def test_kpis_total_exactly_at_the_rate_of_each_sales_date(shop):
    k = q.kpis(A, "ng-ada", FEB)
    gross = (Decimal("1500.50") * Decimal("0.00065") + Decimal("2000.00") * Decimal("0.0006")
             + Decimal("12.34") + Decimal("100.00") * Decimal("0.00065") + Decimal("7.00"))
    fees = Decimal("150.05") * Decimal("0.00065") + Decimal("200.00") * Decimal("0.0006") + Decimal("1.00")
    assert k.current.gross_usd == gross.quantize(Decimal("0.01"))
    assert k.current.fees_usd == fees.quantize(Decimal("0.01"))
    assert k.current.net_usd == (gross - fees).quantize(Decimal("0.01"))
    assert k.current.refunded_usd == Decimal("12.34")
    assert (k.current.sales, k.current.orders, k.current.units, k.current.unconverted) == (5, 5, 5, 0)
    assert isinstance(k.current.gross_usd, Decimal)


def test_previous_period_is_the_same_length_just_before(shop):
    k = q.kpis(A, "ng-ada", FEB)
    assert k.previous_period == Period(date(2025, 1, 4), date(2025, 1, 31))
    assert k.previous.sales == 1
    assert k.previous.gross_usd == Decimal("0.65")
    assert k.change("sales") == Decimal(4)
    empty = q.kpis(A, "ng-ada", Period(date(2024, 1, 1), date(2024, 1, 31)))
    assert empty.change("gross_usd") is None and empty.current.gross_usd == 0


def test_amounts_as_sold_are_exact_per_currency(shop):
    cur = q.by_currency(A, "ng-ada", FEB).set_index("currency")
    assert cur.loc["NGN", "gross"] == Decimal("3600.50")
    assert cur.loc["NGN", "fees"] == Decimal("350.05")
    assert cur.loc["USD", "gross"] == Decimal("19.34")
    assert cur.loc["USD", "refunded"] == Decimal("12.34")
    assert all(isinstance(v, Decimal) for v in cur["gross"])


def test_a_sale_without_a_usd_rate_is_counted_not_guessed(shop):
    sale(WA, "ng-ada", 9, utc(2025, 2, 20), "500", "GHS")
    k = q.kpis(A, "ng-ada", FEB)
    assert k.current.unconverted == 1
    cur = q.by_currency(A, "ng-ada", FEB).set_index("currency")
    assert cur.loc["GHS", "gross"] == Decimal("500") and cur.loc["GHS", "gross_usd"] is None


def test_series_has_every_period_and_adds_up_to_the_kpis(shop):
    days = q.series(A, "ng-ada", FEB, "day")
    assert len(days) == 28 and days["period"].iloc[0] == date(2025, 2, 1)
    assert int(days["sales"].sum()) == 5
    # each period is rounded to cents on its own: the sum may differ by half a cent per period
    total = q.kpis(A, "ng-ada", FEB).current.gross_usd
    assert abs(sum(days["gross_usd"]) - total) <= Decimal("0.005") * len(days)
    weeks = q.series(A, "ng-ada", FEB, "week")
    assert weeks["period"].iloc[0] == date(2025, 1, 27)  # ISO week containing Feb 1
    with pytest.raises(Exception, match="Unknown grain"):
        q.series(A, "ng-ada", FEB, "hour; DROP TABLE sales")


def test_products_countries_and_channels(shop):
    top = q.top_products(A, "ng-ada", FEB, limit=2)
    assert list(top["product"]) == ["Cloth", "Basket"]  # 12.34 USD; 7.00 USD + 100 NGN; Beads after
    countries = q.buyer_countries(A, "ng-ada", FEB).set_index("buyer_country")
    assert set(countries.index) == {"NG", "GH", "unknown"}
    chans = q.channels(A, "ng-ada", FEB)
    assert set(chans["channel"]) == {"card", "unknown"}


def test_rows_for_download_are_the_creators_own_in_local_time(shop):
    rows = q.sales_rows(A, "ng-ada", FEB)
    assert len(rows) == 5 and set(rows["currency"]) == {"NGN", "USD"}
    assert str(rows["sold_at"].iloc[0]) == "2025-02-01 00:30:00"  # Lagos time
    assert Decimal("999999.00") not in set(rows["gross"])


def test_downloaded_rows_are_guarded_against_formulas(shop):
    from app.sales_view import sales_csv

    sale(WA, "ng-ada", 30, utc(2025, 2, 20), "-5.00", "USD", product="=HYPERLINK(\"http://x\")")
    sale(WA, "ng-ada", 31, utc(2025, 2, 20), "1500", "XOF", product="@SUM(A1)")
    text = sales_csv(q.sales_rows(A, "ng-ada", FEB)).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Sold at (your local time),Platform,Order or receipt,Line,Product")
    assert "upload" not in text.splitlines()[0].lower() and "_" not in text.splitlines()[0]  # words, no ids
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text
    assert ",-5.00,USD," not in text and ",USD,-5.00," in text and ",XOF,1500,0," in text


def test_uploads_and_the_fate_of_flagged_rows(shop):
    ups = q.uploads(A, "ng-ada")
    assert list(ups["upload_id"]) == ["up-1"]
    flags = q.flagged(A, "ng-ada")
    assert list(flags["status"]) == ["rejected"] and flags["file_name"].iloc[0] == "up-1.csv"
    assert q.flagged_summary(A, "ng-ada") == {"pending": 0, "approved": 0, "rejected": 1}
    assert q.sales_span(A, "ng-ada") == (date(2025, 1, 20), date(2025, 3, 1))


def test_upload_targets_follow_the_reviewers_regions(shop):
    creator("ke-wanjiru", "KE", name="Wanjiru")
    assert [t["creator_id"] for t in q.upload_targets(REVIEWER_WA)] == ["ng-ada", "ng-bola"]
    assert [t["creator_id"] for t in q.upload_targets(A)] == ["ng-ada"]
    assert len(q.upload_targets(ADMIN)) == 3
    with pytest.raises(PermissionDenied):
        q.upload_targets(MANAGER)


def test_data_version_moves_with_loads_reviews_and_rates(shop):
    v1 = data_version(A, WA)
    assert data_version(A, WA) == v1
    sale(WA, "ng-ada", 20, utc(2025, 2, 20), "1", "USD")
    v2 = data_version(A, WA)
    assert v2 != v1
    rate(WA, date(2025, 2, 10), "NGN", "0.00061")
    assert data_version(A, WA) != v2


def test_rollups_do_not_change_what_a_creator_sees(shop):
    before = q.kpis(A, "ng-ada", FEB)
    refresh_rollups(WA)
    assert q.kpis(A, "ng-ada", FEB) == before
