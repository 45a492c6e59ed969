"""Regional metrics for managers on real DuckDB files: exact figures per month and for the
period, aggregates only, rollups kept in step, and one region down not stopping the others."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest
from sales_support import creator, flag, rate, sale, upload, utc

from warehouse.access import Actor
from warehouse.db import close_all, region_path, warehouse
from warehouse.errors import PermissionDenied
from warehouse.queries import Period
from warehouse.queries.metrics import COLUMNS, region_metrics
from warehouse.queries.rollups import refresh_rollups, rollups_current
from warehouse.regions import get_region

MANAGER = Actor("boss@x", "manager")
WA = "west-africa"
NOW = utc(2025, 3, 1)
JAN_FEB = Period(date(2025, 1, 1), date(2025, 2, 28))
R1, R2 = "expect_column_values_to_be_between", "expect_column_values_to_not_be_null"


@pytest.fixture
def region():
    """West Africa in Jan–Feb 2025: three creators, four uploads, four sales, three flagged rows."""
    creator("ng-ada", "NG", joined_at=utc(2025, 1, 10, 9))
    creator("ng-bola", "NG", joined_at=utc(2025, 2, 1, 9))
    creator("ng-chi", "NG", joined_at=utc(2025, 2, 20, 9))
    rate(WA, date(2024, 12, 1), "NGN", "0.00065")
    upload(WA, "up-a1", "ng-ada", utc(2025, 1, 10, 11), utc(2025, 1, 10, 11, 0, 10), source="gumroad",
           total=10, loaded=8, flagged=2)
    upload(WA, "up-a2", "ng-ada", utc(2025, 2, 2), utc(2025, 2, 2, 0, 0, 30), source="gumroad", total=5, loaded=5)
    upload(WA, "up-b1", "ng-bola", utc(2025, 2, 5), utc(2025, 2, 5, 0, 0, 2), source="etsy", total=5, loaded=3,
           flagged=1, skipped=1)
    upload(WA, "up-r", "ng-bola", utc(2025, 2, 6), None, status="rejected")
    sale(WA, "ng-ada", 1, utc(2025, 1, 12), "1000.00", "NGN", upload_id="up-a1", product="SECRET-PRODUCT",
         buyer_country="GH")
    sale(WA, "ng-ada", 1, utc(2025, 2, 3), "10.00", "USD", upload_id="up-a2")
    sale(WA, "ng-bola", 1, utc(2025, 2, 6), "2000.00", "NGN", upload_id="up-b1")
    sale(WA, "ng-bola", 2, utc(2025, 2, 7), "2000.00", "NGN", upload_id="up-b1")
    flag(WA, "up-a1", "ng-ada", 9, [R1], status="approved", created_at=utc(2025, 1, 10, 11),
         reviewed_at=utc(2025, 1, 11))
    flag(WA, "up-a1", "ng-ada", 10, [R1, R2], created_at=utc(2025, 1, 10, 12))
    flag(WA, "up-b1", "ng-bola", 5, [R2], created_at=utc(2025, 2, 5))


def west(report):
    return next(r for r in report.regions if r.region == WA)


def test_only_managers_and_admins_read_regional_metrics(region):
    for actor in (Actor("a", "creator", creator_id="ng-ada"), Actor("r", "reviewer", regions=frozenset({WA}))):
        with pytest.raises(PermissionDenied):
            region_metrics(actor, JAN_FEB)
    assert len(region_metrics(Actor("root", "admin"), JAN_FEB, now=NOW).regions) == 3


def test_a_manager_limited_to_regions_sees_only_those(region):
    report = region_metrics(Actor("m", "manager", regions=frozenset({"east-africa"})), JAN_FEB, now=NOW)
    assert [r.region for r in report.regions] == ["east-africa"]


def test_monthly_figures_are_exact(region):
    w = west(region_metrics(MANAGER, JAN_FEB, "month", now=NOW))
    assert w.status == "ok" and not w.stale
    jan, feb = (row for _, row in w.series.iterrows())
    assert jan["period"] == date(2025, 1, 1) and feb["period"] == date(2025, 2, 1)
    assert (jan["creators_total"], jan["onboarded"], jan["active_creators"], jan["sales"]) == (1, 1, 1, 1)
    assert (feb["creators_total"], feb["onboarded"], feb["active_creators"], feb["sales"]) == (3, 2, 2, 3)
    assert jan["gmv_usd"] == Decimal("0.65") and feb["gmv_usd"] == Decimal("12.60")
    assert (jan["uploads"], jan["uploads_loaded"], jan["latency_p50_s"]) == (1, 1, 10.0)
    assert (feb["uploads"], feb["uploads_loaded"]) == (3, 2)
    assert feb["latency_p50_s"] == pytest.approx(16.0) and feb["latency_p95_s"] == pytest.approx(28.6)
    assert (jan["new_creators_judged"], jan["first_data_24h"], jan["first_data_24h_share"]) == (1, 1, 1.0)
    assert (feb["new_creators_judged"], feb["first_data_24h"], feb["first_data_24h_share"]) == (2, 0, 0.0)
    assert (jan["rows_validated"], jan["rows_flagged"], jan["pass_rate"]) == (10, 2, pytest.approx(0.8))
    assert (feb["rows_validated"], feb["rows_flagged"]) == (9, 1)
    assert feb["pass_rate"] == pytest.approx(1 - 1 / 9)
    assert (jan["backlog_at_end"], feb["backlog_at_end"]) == (1, 2)
    assert set(w.series.columns) == set(COLUMNS)


def test_the_period_summary_is_computed_over_the_whole_period(region):
    s = west(region_metrics(MANAGER, JAN_FEB, now=NOW)).summary
    assert (s["creators_total"], s["onboarded"], s["active_creators"], s["sales"]) == (3, 3, 2, 4)
    assert s["gmv_usd"] == Decimal("13.25")
    assert s["latency_p50_s"] == pytest.approx(10.0)  # the median of 10, 30 and 2 s, not of months
    assert (s["new_creators_judged"], s["first_data_24h"]) == (3, 1)
    assert s["pass_rate"] == pytest.approx(1 - 3 / 19)
    assert s["backlog_at_end"] == 2


def test_pass_rate_per_rule_and_per_source_and_backlog_age(region):
    w = west(region_metrics(MANAGER, JAN_FEB, now=NOW))
    rules = w.rules.set_index("rule")
    assert rules.loc[R1, "failed_rows"] == 2 and rules.loc[R2, "failed_rows"] == 2
    assert rules.loc[R1, "pass_rate"] == pytest.approx(1 - 2 / 19)
    sources = w.sources.set_index("source")
    assert (sources.loc["gumroad", "rows_validated"], sources.loc["gumroad", "rows_flagged"]) == (15, 2)
    assert sources.loc["etsy", "pass_rate"] == pytest.approx(0.75)
    assert w.backlog["pending"] == 2
    assert w.backlog["oldest_hours"] == pytest.approx(49.5 * 24)
    assert w.backlog["median_hours"] == pytest.approx((49.5 * 24 + 24 * 24) / 2)


def test_a_creator_who_joined_less_than_a_day_ago_without_data_is_not_yet_judged(region):
    creator("ng-dayo", "NG", joined_at=utc(2025, 2, 28, 12))
    s = west(region_metrics(MANAGER, JAN_FEB, now=NOW)).summary
    assert (s["onboarded"], s["new_creators_judged"]) == (4, 3)


def test_no_personal_data_or_product_reaches_the_report(region):
    w = west(region_metrics(MANAGER, JAN_FEB, now=NOW))
    text = "\n".join(str(x) for x in (w.summary, w.series.to_dict(), w.rules.to_dict(), w.sources.to_dict(),
                                      w.backlog))
    assert "SECRET" not in text and "ng-ada" not in text and "GH" not in text


def test_rollups_follow_new_approved_and_removed_rows(region):
    refresh_rollups(WA)
    assert rollups_current(WA) and refresh_rollups(WA) == 0
    sale(WA, "ng-bola", 5, utc(2025, 2, 8), "1000.00", "NGN", upload_id="up-b1")  # an approved flagged row
    assert not rollups_current(WA)
    assert refresh_rollups(WA) == 1
    warehouse(WA).execute("DELETE FROM sales WHERE upload_id = 'up-a1'")
    assert refresh_rollups(WA) == 1
    inc = warehouse(WA).rows("SELECT * EXCLUDE (upload_id) FROM rollup_sales_daily ORDER BY ALL")
    refresh_rollups(WA, full=True)
    assert warehouse(WA).rows("SELECT * EXCLUDE (upload_id) FROM rollup_sales_daily ORDER BY ALL") == inc
    assert warehouse(WA).rows("SELECT day FROM rollup_sales_daily WHERE currency = 'USD'") == [(date(2025, 2, 3),)]


def test_metrics_bring_lagging_rollups_up_to_date_before_reading(region):
    before = west(region_metrics(MANAGER, JAN_FEB, now=NOW)).summary["gmv_usd"]
    sale(WA, "ng-chi", 1, utc(2025, 2, 21), "100.00", "USD", upload_id="up-c1")
    after = west(region_metrics(MANAGER, JAN_FEB, now=NOW)).summary
    assert after["gmv_usd"] == before + 100 and after["active_creators"] == 3


def test_gmv_uses_each_days_rate_without_rebuilding_rollups(region):
    refresh_rollups(WA)
    rate(WA, date(2025, 2, 7), "NGN", "0.001")
    feb = west(region_metrics(MANAGER, JAN_FEB, now=NOW)).series.iloc[1]
    assert feb["gmv_usd"] == Decimal("10") + Decimal("1.30") + Decimal("2.00")


def test_a_corrupt_region_file_is_reported_and_the_others_still_answer(region):
    close_all()
    region_path(get_region("east-africa")).write_bytes(b"this is not a duckdb file" * 100)
    report = region_metrics(MANAGER, JAN_FEB, now=NOW)
    status = {r.region: r.status for r in report.regions}
    assert status == {"west-africa": "ok", "east-africa": "unavailable", "south-asia": "ok"}
    east = next(r for r in report.regions if r.region == "east-africa")
    assert "East Africa" in east.message and east.series is None
    assert west(report).summary["gmv_usd"] == Decimal("13.25")


def test_a_region_locked_by_another_process_is_reported_and_the_others_still_answer(region):
    close_all()
    path = region_path(get_region("south-asia"))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
         " time.sleep(60)", str(path)], stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        report = region_metrics(MANAGER, JAN_FEB, now=NOW)
        status = {r.region: r.status for r in report.regions}
        assert status == {"west-africa": "ok", "east-africa": "ok", "south-asia": "unavailable"}
        assert "another Kasuwa process" in next(r for r in report.regions if r.region == "south-asia").message
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
